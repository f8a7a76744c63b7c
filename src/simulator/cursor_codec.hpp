// Opaque pagination cursors. Like the real service, a cursor is base64 of a
// query string ("limit=5000&sort=asc&adjusted=true"); it carries everything the
// next page needs so next_url never repeats (or leaks) the caller's parameters.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "simulator/query_params.hpp"

namespace soi::sim {

// URL-safe alphabet without padding, so a cursor needs no escaping in a URL.
std::string base64_encode(std::string_view bytes);
// Accepts the standard and the URL-safe alphabet, with or without padding.
std::optional<std::string> base64_decode(std::string_view text);

std::string encode_cursor(const QueryParams& params);
// nullopt when the cursor is not valid base64.
std::optional<QueryParams> decode_cursor(std::string_view cursor);

}  // namespace soi::sim
