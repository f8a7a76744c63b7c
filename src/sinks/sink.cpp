#include "sinks/sink.hpp"

#include <cctype>

namespace soi {

std::string sentiment_column(std::string_view ticker) {
  std::string out = "sentiment_";
  for (char c : ticker) {
    const auto u = static_cast<unsigned char>(c);
    out += std::isalnum(u) ? static_cast<char>(std::tolower(u)) : '_';
  }
  return out;
}

}  // namespace soi
