// Minimal JSON text helpers for the few documents soi writes by hand
// (summaries, manifests, heartbeats). Parsing always goes through simdjson.
#pragma once

#include <string>
#include <string_view>

namespace soi {

// Quoted, escaped JSON string literal.
std::string json_quote(std::string_view text);
// The same, appended to `out` (no temporary string: used on the simulator's hot path).
void append_json_quoted(std::string& out, std::string_view text);

// Writes `content` to `path` atomically (temp file in the same directory,
// fsync, rename, fsync of the directory). Throws SoiError(storage) on failure.
void write_file_atomically(const std::string& path, std::string_view content);

}  // namespace soi
