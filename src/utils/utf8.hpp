// UTF-8 hygiene for text copied from the wire into files soi writes: JSON must
// be valid UTF-8, and truncation must never split a code point.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace soi {

// `text` with every invalid byte sequence replaced by U+FFFD. Returns the input
// unchanged (one copy) when it is already valid, which is the common case.
std::string valid_utf8(std::string_view text);

// The longest prefix of `text` of at most `max_bytes` that does not end inside
// a multi-byte sequence.
std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes);

}  // namespace soi
