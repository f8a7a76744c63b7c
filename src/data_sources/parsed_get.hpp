// One page of any paged endpoint: GET it and parse it; a body that does not
// parse (truncated, malformed) is fetched again, up to max_attempts in all,
// before the page fails. HTTP-level retries stay in RestClient; this is the
// page-level retry every paged source shares.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "data_sources/rest_client.hpp"

namespace soi {

// `parse` fills the caller's page from the body and throws SoiError(parse) when
// it cannot. Returns the response whose body parsed; `refetches` counts the
// extra GETs. The returned response's body is empty: once parsed, it went to
// the ResponseBufferPool for the next response. A non-parse error, or the last
// failed attempt, is rethrown with the page's URL in its context.
HttpResponse get_parsed(RestClient& client, const std::string& path_or_url, const ErrorContext& context,
                        int max_attempts, const std::function<void(const std::string& body)>& parse,
                        std::uint64_t* refetches = nullptr);

}  // namespace soi
