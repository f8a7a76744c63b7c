// Liveness of a running stream, visible from outside the process.
//
// The stream's hot path bumps a few std::atomic counters (StreamCounters: no
// lock, no allocation). A HeartbeatWriter turns a snapshot of them into
// <log_dir>/heartbeat/<source>_status.json every interval (default 300 s),
// rewritten atomically so a reader (`soi status`, cron, a monitoring agent)
// never sees half a file. check_heartbeat() decides whether a heartbeat file is
// stale (too old, missing, unreadable, or its pid is gone); a stale result can
// be recorded as an alert in the errors log and the run's ErrorSummary.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>

#include "monitoring/error_summary.hpp"
#include "utils/error.hpp"

namespace soi {

enum class ConnectionStatus : int { connecting, connected, reconnecting, closed };

std::string_view to_string(ConnectionStatus status) noexcept;
std::optional<ConnectionStatus> parse_connection_status(std::string_view text) noexcept;

inline constexpr std::chrono::seconds kDefaultHeartbeatInterval{300};
inline constexpr std::chrono::seconds kDefaultStaleThreshold{900};

// Written by the stream's threads, read by the heartbeat writer. Relaxed atomics:
// each field is an independent statistic, no ordering between them is promised.
// "Messages in the last interval" is not a counter here: the writer derives it
// from the difference of totals, so the hot path never has to reset anything.
struct StreamCounters {
  std::atomic<std::uint64_t> messages_total{0};
  std::atomic<std::int64_t> last_message_ms{0};  // receive time (UTC ms), 0: none yet
  std::atomic<std::int64_t> lag_ms{0};           // receive time - event time of the last message
  std::atomic<int> connection{static_cast<int>(ConnectionStatus::connecting)};
  std::atomic<std::uint64_t> reconnects{0};
  std::atomic<std::uint64_t> queue_depth{0};     // gauge, set by the queue
  std::atomic<std::uint64_t> spilled{0};         // records spilled to disk (queue full)

  // One message (or one batch of `count`) received at `received_ms` carrying event time `event_ms`.
  void on_message(std::int64_t event_ms, std::int64_t received_ms, std::uint64_t count = 1) noexcept {
    messages_total.fetch_add(count, std::memory_order_relaxed);
    last_message_ms.store(received_ms, std::memory_order_relaxed);
    lag_ms.store(received_ms - event_ms, std::memory_order_relaxed);
  }
  void set_connection(ConnectionStatus status) noexcept {
    connection.store(static_cast<int>(status), std::memory_order_relaxed);
  }
  void on_reconnect() noexcept {
    reconnects.fetch_add(1, std::memory_order_relaxed);
    set_connection(ConnectionStatus::reconnecting);
  }
  void set_queue_depth(std::uint64_t depth) noexcept { queue_depth.store(depth, std::memory_order_relaxed); }
  void on_spill(std::uint64_t count = 1) noexcept { spilled.fetch_add(count, std::memory_order_relaxed); }
};

// The content of one heartbeat file (what `soi status` shows).
struct HeartbeatRecord {
  std::string source;
  std::int64_t last_heartbeat_ms = 0;              // UTC ms
  long pid = 0;
  std::int64_t interval_seconds = 0;
  std::uint64_t messages_last_interval = 0;
  std::uint64_t messages_total = 0;
  std::optional<std::int64_t> last_message_ms;     // none before the first message
  ConnectionStatus connection = ConnectionStatus::connecting;
  std::uint64_t reconnects = 0;
  std::uint64_t queue_depth = 0;
  std::uint64_t spilled = 0;
  double lag_seconds = 0;
};

// <log_dir>/heartbeat/<source>_status.json
std::string heartbeat_path(const std::string& log_dir, std::string_view source);
std::string heartbeat_to_json(const HeartbeatRecord& record);
// Throws SoiError(parse) when `json` is not a heartbeat document.
HeartbeatRecord parse_heartbeat(std::string_view json);
// Throws SoiError(storage) when the file cannot be read, SoiError(parse) when it is not a heartbeat.
HeartbeatRecord read_heartbeat_file(const std::string& path);

class HeartbeatWriter {
 public:
  HeartbeatWriter(std::string log_dir, std::string source, const StreamCounters& counters,
                  std::chrono::seconds interval = kDefaultHeartbeatInterval);
  ~HeartbeatWriter();  // stops the background thread, if any
  HeartbeatWriter(const HeartbeatWriter&) = delete;
  HeartbeatWriter& operator=(const HeartbeatWriter&) = delete;

  // Writes one heartbeat stamped `now_ms` (atomic rewrite) and starts a new interval.
  // Throws SoiError(storage) when the file cannot be written.
  HeartbeatRecord write(std::int64_t now_ms);
  // Writes when nothing was written yet or an interval has elapsed: for a loop that ticks anyway.
  bool maybe_write(std::int64_t now_ms);

  // Or let a background thread write at once and then every interval; stop() joins it,
  // then writes a last heartbeat (the caller sets the connection to closed first).
  // start() after stop() starts a new thread. Both from the owner's thread.
  // Write failures in the thread go to the errors log and do not stop the stream.
  void start();
  void stop();

  const std::string& path() const noexcept { return path_; }
  std::chrono::seconds interval() const noexcept { return interval_; }

 private:
  void write_logged(std::int64_t now_ms) noexcept;
  void run(std::stop_token stop);

  std::string source_;
  std::string path_;
  const StreamCounters& counters_;
  std::chrono::seconds interval_;
  std::mutex write_mutex_;  // write() from the thread and from the caller
  std::uint64_t total_at_last_write_ = 0;
  std::int64_t last_write_ms_ = 0;  // 0: never written
  std::mutex thread_mutex_;  // only for the thread's interval wait
  std::condition_variable_any wake_;  // woken by a stop request
  std::jthread thread_;  // last: destroyed (stopped and joined) before what it uses
};

// finished: the last heartbeat says the connection was closed on purpose (the
// stream ended at the close or on soi stop; soi run waits for the next
// session): not an alert, whether or not the process still runs.
enum class HeartbeatState { fresh, stale, missing, unreadable, process_gone, finished };

struct HeartbeatCheck {
  HeartbeatState state = HeartbeatState::missing;
  std::optional<HeartbeatRecord> record;  // when the file could be read
  double age_seconds = 0;                 // now - last_heartbeat
  std::string message;                    // one human line, e.g. for `soi status`

  bool stale() const noexcept { return state != HeartbeatState::fresh && state != HeartbeatState::finished; }
};

// Stale = older than `threshold`, missing, unreadable, or the writing pid is not alive
// (checked with kill(pid, 0): meaningful on the host that runs the stream).
HeartbeatCheck check_heartbeat(const std::string& path, std::int64_t now_ms,
                               std::chrono::seconds threshold = kDefaultStaleThreshold);

// The alert for a stale check (nullopt when fresh), as a SoiError so it flows like any
// other error: category network (the stream is not delivering), storage when unreadable.
std::optional<SoiError> heartbeat_alert(std::string_view source, const HeartbeatCheck& check);
// Records that alert into the errors log and `errors`; returns whether one was recorded.
bool record_heartbeat_alert(ErrorSummary& errors, std::string_view source, const HeartbeatCheck& check);

}  // namespace soi
