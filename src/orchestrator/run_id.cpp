#include "orchestrator/run_id.hpp"

#include <random>

#include <date/date.h>
#include <fmt/format.h>

#include "utils/time_util.hpp"

namespace soi {

std::string new_run_id() {
  date::sys_time<std::chrono::seconds> now{std::chrono::seconds{now_utc_ms() / 1000}};
  std::random_device rd;
  return date::format("%Y%m%dT%H%M%SZ", now) + fmt::format("-{:04x}", rd() & 0xffff);
}

}  // namespace soi
