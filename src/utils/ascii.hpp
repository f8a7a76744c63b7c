// ASCII case folding for identifiers, tickers and config words (not for text in
// general: bytes outside ASCII pass through unchanged).
#pragma once

#include <string>
#include <string_view>

namespace soi {

std::string ascii_lower(std::string_view text);

}  // namespace soi
