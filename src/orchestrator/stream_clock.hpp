// The stream's notion of "now". Normally the host's clock; with
// stream.clock = server, the API server's clock (/v1/marketstatus/now
// serverTime): what a stream pointed at `soi simulate --speed 60 --start ...`
// needs to follow a simulated day, and a guard for a host whose clock drifts.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "data_sources/market_status_client.hpp"  // parse_server_time

namespace soi {

class RestClient;
struct Config;

class StreamClock {
 public:
  virtual ~StreamClock() = default;
  // UTC ms. Never goes backwards.
  virtual std::int64_t now_ms() = 0;
  // "system" or "server <url>", for logs and the summary.
  virtual std::string describe() const = 0;
};

// The host's clock (now_utc_ms()).
class SystemStreamClock final : public StreamClock {
 public:
  std::int64_t now_ms() override;
  std::string describe() const override { return "system"; }

 private:
  std::atomic<std::int64_t> last_ms_{0};  // the largest value returned so far
};

// The server's clock: GET /v1/marketstatus/now at most once per `refresh` of
// wall time; between two answers the last server time is returned unchanged
// (a simulator at speed 0 only moves when it streams, so nothing is
// extrapolated). A failed request keeps the last value and is logged once per
// failure streak; before the first successful answer, the host's clock is used.
class ServerStreamClock final : public StreamClock {
 public:
  ServerStreamClock(RestClient& client, std::chrono::milliseconds refresh = std::chrono::milliseconds(1000));
  std::int64_t now_ms() override;
  std::string describe() const override;

 private:
  RestClient& client_;
  std::chrono::milliseconds refresh_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point last_fetch_{};
  bool attempted_ = false;  // a request was made (successful or not) at last_fetch_
  bool fetched_ = false;    // a server time was received
  bool failing_ = false;
  std::int64_t last_ms_ = 0;
  SystemStreamClock host_;  // until the server first answers
};

// The configured clock (settings stream.clock).
std::unique_ptr<StreamClock> make_stream_clock(const Config& config, RestClient& client);

}  // namespace soi
