#include "simulator/api_response.hpp"

#include <atomic>
#include <chrono>

#include <fmt/format.h>

#include "simulator/sim_random.hpp"

namespace soi::sim {

std::string new_request_id() {
  // Unique per process and per call; not meant to be reproducible.
  static const std::uint64_t process_salt = static_cast<std::uint64_t>(
      std::chrono::steady_clock::now().time_since_epoch().count() ^
      std::chrono::system_clock::now().time_since_epoch().count());
  static std::atomic<std::uint64_t> counter{0};
  const std::uint64_t n = counter.fetch_add(1, std::memory_order_relaxed);
  const std::uint64_t a = hash_combine(process_salt, n);
  const std::uint64_t b = hash_combine(a, 0x72657169);
  return fmt::format("{:016x}{:016x}", a, b);
}

SimResponse error_response(int http_status, const std::string& request_id, std::string_view message) {
  JsonWriter w;
  w.begin_object().field("status", "ERROR").field("request_id", request_id).field("error", message).end_object();
  SimResponse r;
  r.status = http_status;
  r.body = w.take();
  r.request_id = request_id;
  return r;
}

SimResponse not_found_response(const std::string& request_id, std::string_view message) {
  JsonWriter w;
  w.begin_object().field("status", "NOT_FOUND").field("request_id", request_id).field("message", message).end_object();
  SimResponse r;
  r.status = 404;
  r.body = w.take();
  r.request_id = request_id;
  return r;
}

SimResponse json_response(std::string body) {
  SimResponse r;
  r.body = std::move(body);
  return r;
}

}  // namespace soi::sim
