// `soi simulate --request-log FILE`: one line per REST request served, so a
// test can check what a client sent and when (e.g. never more than N requests
// in any one second). Format, one request a line, appended:
//   <arrival, UTC epoch milliseconds> <HTTP status> <path without the query>
// The query is left out: a key sent as apiKey= never reaches the file.
// Each line is flushed as it is written: what was served before a crash is there.
// Thread-safe: every connection thread appends.
#pragma once

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

namespace soi::sim {

class RequestLog {
 public:
  // Throws SoiError(storage) when the file cannot be opened for appending.
  explicit RequestLog(const std::string& path);
  ~RequestLog();
  RequestLog(const RequestLog&) = delete;
  RequestLog& operator=(const RequestLog&) = delete;

  void append(std::int64_t arrived_ms, int status, std::string_view target);

 private:
  std::mutex mutex_;
  std::FILE* file_ = nullptr;
};

}  // namespace soi::sim
