#include "simulator/occ_ticker.hpp"

#include <charconv>

#include <fmt/format.h>

namespace soi::sim {
namespace {

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

std::optional<OccContract> parse_occ_ticker(std::string_view ticker) {
  if (!ticker.starts_with("O:")) return std::nullopt;
  std::string_view body = ticker.substr(2);
  // Fixed 15-character tail: YYMMDD (6) + C|P (1) + strike (8).
  if (body.size() < 16 || body.size() > 21) return std::nullopt;
  const std::string_view root = body.substr(0, body.size() - 15);
  const std::string_view yymmdd = body.substr(root.size(), 6);
  const char type = body[root.size() + 6];
  const std::string_view strike = body.substr(root.size() + 7);
  if (!all_digits(yymmdd) || !all_digits(strike) || (type != 'C' && type != 'P')) return std::nullopt;
  for (char c : root)
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return std::nullopt;
  OccContract contract;
  contract.root = std::string(root);
  const int yy = (yymmdd[0] - '0') * 10 + (yymmdd[1] - '0');
  const unsigned mm = static_cast<unsigned>((yymmdd[2] - '0') * 10 + (yymmdd[3] - '0'));
  const unsigned dd = static_cast<unsigned>((yymmdd[4] - '0') * 10 + (yymmdd[5] - '0'));
  contract.expiration = Date{date::year{2000 + yy}, date::month{mm}, date::day{dd}};
  if (!contract.expiration.ok()) return std::nullopt;
  contract.is_call = type == 'C';
  std::from_chars(strike.data(), strike.data() + strike.size(), contract.strike_milli);
  return contract;
}

std::string format_occ_ticker(const OccContract& c) {
  return fmt::format("O:{}{:02}{:02}{:02}{}{:08}", c.root, static_cast<int>(c.expiration.year()) % 100,
                     static_cast<unsigned>(c.expiration.month()), static_cast<unsigned>(c.expiration.day()),
                     c.is_call ? 'C' : 'P', c.strike_milli);
}

}  // namespace soi::sim
