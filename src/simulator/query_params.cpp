#include "simulator/query_params.hpp"

#include <algorithm>

namespace soi::sim {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

}  // namespace

std::string percent_decode(std::string_view text, bool plus_as_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += (plus_as_space && c == '+') ? ' ' : c;
  }
  return out;
}

namespace {

std::string encode(std::string_view text, bool keep_colon) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_unreserved(c) || (keep_colon && c == ':')) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

}  // namespace

std::string percent_encode(std::string_view text) { return encode(text, false); }
std::string percent_encode_segment(std::string_view text) { return encode(text, true); }

SplitTarget split_target(std::string_view target) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return {target, {}};
  return {target.substr(0, q), target.substr(q + 1)};
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) segments.push_back(percent_decode(path.substr(start, end - start), false));
    start = end + 1;
  }
  return segments;
}

QueryParams QueryParams::parse(std::string_view query) {
  QueryParams params;
  std::size_t start = 0;
  while (start < query.size()) {
    std::size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view pair = query.substr(start, end - start);
    if (!pair.empty()) {
      const auto eq = pair.find('=');
      std::string key = percent_decode(pair.substr(0, eq), true);
      std::string value = eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1), true);
      params.items_.emplace_back(std::move(key), std::move(value));
    }
    start = end + 1;
  }
  return params;
}

std::optional<std::string_view> QueryParams::get(std::string_view key) const {
  for (auto it = items_.rbegin(); it != items_.rend(); ++it)
    if (it->first == key) return std::string_view(it->second);
  return std::nullopt;
}

void QueryParams::set(std::string key, std::string value) {
  erase(key);
  items_.emplace_back(std::move(key), std::move(value));
}

void QueryParams::erase(std::string_view key) {
  items_.erase(std::remove_if(items_.begin(), items_.end(), [&](const auto& kv) { return kv.first == key; }),
               items_.end());
}

std::string QueryParams::encode() const {
  std::string out;
  for (const auto& [key, value] : items_) {
    if (!out.empty()) out += '&';
    out += percent_encode(key);
    out += '=';
    out += percent_encode(value);
  }
  return out;
}

}  // namespace soi::sim
