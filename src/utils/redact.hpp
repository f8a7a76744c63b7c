// One redaction mechanism for every line, error, file and URL soi writes.
// Secrets are registered once at start (API key, database passwords); every
// registered secret becomes "****" + its last 4 characters wherever it appears.
// apiKey= query parameters are masked even when the value was never registered.
#pragma once

#include <string>
#include <string_view>

namespace soi {

// Registers a secret (ignored when shorter than 4 characters). Thread-safe.
void register_secret(std::string secret);
// Forgets all secrets (tests only).
void clear_secrets();

// "****" + last 4 characters ("****" alone for shorter input).
std::string mask_secret(std::string_view secret);

// Returns text with every registered secret and every apiKey=/api_key= value masked.
std::string redact(std::string_view text);

}  // namespace soi
