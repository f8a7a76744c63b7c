#include "data_sources/parsed_get.hpp"

#include <algorithm>
#include <utility>

#include "data_sources/response_buffer_pool.hpp"
#include "monitoring/logging.hpp"

namespace soi {

HttpResponse get_parsed(RestClient& client, const std::string& path_or_url, const ErrorContext& context,
                        int max_attempts, const std::function<void(const std::string& body)>& parse,
                        std::uint64_t* refetches) {
  max_attempts = std::max(1, max_attempts);
  for (int attempt = 1;; ++attempt) {
    HttpResponse response = client.get(path_or_url, context);
    try {
      parse(response.body);
      ResponseBufferPool::shared().give_back(std::exchange(response.body, std::string()));
      return response;
    } catch (const SoiError& e) {
      ResponseBufferPool::shared().give_back(std::exchange(response.body, std::string()));
      ErrorContext ctx = context;
      ctx.url = response.url;
      if (e.category() != ErrorCategory::parse || attempt >= max_attempts)
        throw SoiError(e.category(), e.message(), ctx, static_cast<int>(response.status));
      if (refetches) ++*refetches;
      exec_log().debug("refetching unparseable page ({}): {}", response.url, e.message());
    }
  }
}

}  // namespace soi
