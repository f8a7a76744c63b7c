// Gzip (RFC 1952) of a request body, at zlib's fastest level: a loopback or LAN
// insert is bound by the server's parsing, not the wire, so more effort than
// level 1 costs time and saves little. Pure; any thread.
#pragma once

#include <string>
#include <string_view>

namespace soi {

// Appends the gzip stream of `data` to `out` (cleared first). Throws SoiError(storage)
// only when zlib itself fails (out of memory).
void gzip_compress(std::string_view data, std::string& out);

}  // namespace soi
