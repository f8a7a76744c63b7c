#include "simulator/request_log.hpp"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "utils/error.hpp"

namespace soi::sim {

RequestLog::RequestLog(const std::string& path) : file_(std::fopen(path.c_str(), "a")) {
  if (!file_)
    throw SoiError(ErrorCategory::storage, fmt::format("cannot open the request log {}: {}", path, std::strerror(errno)),
                   ErrorContext{"simulator", "", "", ""});
}

RequestLog::~RequestLog() {
  if (file_) std::fclose(file_);
}

void RequestLog::append(std::int64_t arrived_ms, int status, std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  const std::string line = fmt::format("{} {} {}\n", arrived_ms, status, path);
  std::lock_guard lock(mutex_);
  std::fwrite(line.data(), 1, line.size(), file_);
  std::fflush(file_);
}

}  // namespace soi::sim
