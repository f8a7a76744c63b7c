#include "monitoring/heartbeat.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <simdjson.h>

#include "monitoring/logging.hpp"
#include "utils/json_text.hpp"
#include "utils/time_util.hpp"

namespace soi {
namespace {

bool pid_alive(long pid) {
  if (pid <= 0) return false;
  // Signal 0 only checks existence; EPERM means it exists but belongs to someone else.
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

[[noreturn]] void bad(std::string_view what) {
  throw SoiError(ErrorCategory::parse, "heartbeat: " + std::string(what));
}

std::int64_t time_field(simdjson::dom::element value, std::string_view key) {
  std::string_view text;
  if (value.get_string().get(text) != simdjson::SUCCESS) bad(std::string(key) + " is not a string");
  auto ms = parse_rfc3339_ms(text);
  if (!ms) bad(std::string(key) + " is not an RFC 3339 time: " + std::string(text));
  return *ms;
}

std::uint64_t count_field(simdjson::dom::element value, std::string_view key) {
  std::uint64_t n = 0;
  if (value.get_uint64().get(n) != simdjson::SUCCESS) bad(std::string(key) + " is not a non-negative integer");
  return n;
}

}  // namespace

std::string_view to_string(ConnectionStatus status) noexcept {
  switch (status) {
    case ConnectionStatus::connecting: return "connecting";
    case ConnectionStatus::connected: return "connected";
    case ConnectionStatus::reconnecting: return "reconnecting";
    case ConnectionStatus::closed: return "closed";
  }
  return "connecting";
}

std::optional<ConnectionStatus> parse_connection_status(std::string_view text) noexcept {
  for (auto s : {ConnectionStatus::connecting, ConnectionStatus::connected, ConnectionStatus::reconnecting,
                 ConnectionStatus::closed})
    if (to_string(s) == text) return s;
  return std::nullopt;
}

std::string heartbeat_path(const std::string& log_dir, std::string_view source) {
  return (std::filesystem::path(log_dir) / "heartbeat" / (std::string(source) + "_status.json")).string();
}

std::string heartbeat_to_json(const HeartbeatRecord& r) {
  return fmt::format(
      "{{\n  \"source\": {},\n  \"last_heartbeat\": {},\n  \"pid\": {},\n  \"interval_seconds\": {},\n"
      "  \"messages_last_interval\": {},\n  \"messages_total\": {},\n  \"last_message\": {},\n"
      "  \"connection\": {},\n  \"reconnects\": {},\n  \"queue_depth\": {},\n  \"spilled\": {},\n"
      "  \"lag_seconds\": {:.3f}\n}}\n",
      json_quote(r.source), json_quote(format_utc_iso_ms(r.last_heartbeat_ms)), r.pid, r.interval_seconds,
      r.messages_last_interval, r.messages_total,
      r.last_message_ms ? json_quote(format_utc_iso_ms(*r.last_message_ms)) : std::string("null"),
      json_quote(to_string(r.connection)), r.reconnects, r.queue_depth, r.spilled, r.lag_seconds);
}

HeartbeatRecord parse_heartbeat(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (auto err = parser.parse(json.data(), json.size()).get(root))
    bad(std::string("not a JSON object: ") + simdjson::error_message(err));
  HeartbeatRecord r;
  bool has_heartbeat = false;
  // Unknown keys are ignored: a newer soi may add fields an older `soi status` reads.
  for (auto [key, value] : root) {
    if (key == "source") {
      std::string_view s;
      if (value.get_string().get(s) != simdjson::SUCCESS) bad("source is not a string");
      r.source = std::string(s);
    } else if (key == "last_heartbeat") {
      r.last_heartbeat_ms = time_field(value, key);
      has_heartbeat = true;
    } else if (key == "pid") {
      std::int64_t pid = 0;
      if (value.get_int64().get(pid) != simdjson::SUCCESS) bad("pid is not an integer");
      r.pid = static_cast<long>(pid);
    } else if (key == "interval_seconds") {
      r.interval_seconds = static_cast<std::int64_t>(count_field(value, key));
    } else if (key == "messages_last_interval") {
      r.messages_last_interval = count_field(value, key);
    } else if (key == "messages_total") {
      r.messages_total = count_field(value, key);
    } else if (key == "last_message") {
      if (!value.is_null()) r.last_message_ms = time_field(value, key);
    } else if (key == "connection") {
      std::string_view s;
      if (value.get_string().get(s) != simdjson::SUCCESS) bad("connection is not a string");
      auto status = parse_connection_status(s);
      if (!status) bad("unknown connection status: " + std::string(s));
      r.connection = *status;
    } else if (key == "reconnects") {
      r.reconnects = count_field(value, key);
    } else if (key == "queue_depth") {
      r.queue_depth = count_field(value, key);
    } else if (key == "spilled") {
      r.spilled = count_field(value, key);
    } else if (key == "lag_seconds") {
      if (value.get_double().get(r.lag_seconds) != simdjson::SUCCESS) bad("lag_seconds is not a number");
    }
  }
  if (!has_heartbeat) bad("no last_heartbeat");
  return r;
}

HeartbeatRecord read_heartbeat_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw SoiError(ErrorCategory::storage, "cannot read heartbeat file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return parse_heartbeat(text.str());
  } catch (const SoiError& e) {
    throw SoiError(ErrorCategory::parse, e.message() + " (" + path + ")");
  }
}

HeartbeatWriter::HeartbeatWriter(std::string log_dir, std::string source, const StreamCounters& counters,
                                 std::chrono::seconds interval)
    : source_(std::move(source)), path_(heartbeat_path(log_dir, source_)), counters_(counters), interval_(interval) {}

// No final write here: a destructor must not throw and the caller decides what
// "closed" means. The jthread member stops and joins the thread.
HeartbeatWriter::~HeartbeatWriter() = default;

HeartbeatRecord HeartbeatWriter::write(std::int64_t now_ms) {
  std::lock_guard lock(write_mutex_);
  constexpr auto relaxed = std::memory_order_relaxed;
  HeartbeatRecord r;
  r.source = source_;
  r.last_heartbeat_ms = now_ms;
  r.pid = static_cast<long>(::getpid());
  r.interval_seconds = interval_.count();
  r.messages_total = counters_.messages_total.load(relaxed);
  r.messages_last_interval = r.messages_total - total_at_last_write_;
  if (std::int64_t last = counters_.last_message_ms.load(relaxed); last != 0) r.last_message_ms = last;
  r.connection = static_cast<ConnectionStatus>(counters_.connection.load(relaxed));
  r.reconnects = counters_.reconnects.load(relaxed);
  r.queue_depth = counters_.queue_depth.load(relaxed);
  r.spilled = counters_.spilled.load(relaxed);
  r.lag_seconds = static_cast<double>(counters_.lag_ms.load(relaxed)) / 1000.0;

  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), ec);
  if (ec) throw SoiError(ErrorCategory::storage, "cannot create heartbeat directory for " + path_ + ": " + ec.message());
  write_file_atomically(path_, heartbeat_to_json(r));
  // The interval starts over only once the file is written: a failed write does not lose messages.
  total_at_last_write_ = r.messages_total;
  last_write_ms_ = now_ms;
  return r;
}

bool HeartbeatWriter::maybe_write(std::int64_t now_ms) {
  {
    std::lock_guard lock(write_mutex_);
    if (last_write_ms_ != 0 && now_ms - last_write_ms_ < interval_.count() * 1000) return false;
  }
  write(now_ms);
  return true;
}

void HeartbeatWriter::write_logged(std::int64_t now_ms) noexcept {
  try {
    write(now_ms);
  } catch (const std::exception& e) {
    error_log().error("[storage] heartbeat {}: {}", source_, e.what());
  }
}

void HeartbeatWriter::start() {
  if (thread_.joinable()) return;
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

void HeartbeatWriter::run(std::stop_token stop) {
  std::unique_lock lock(thread_mutex_);
  while (!stop.stop_requested()) {
    lock.unlock();
    write_logged(now_utc_ms());
    lock.lock();
    wake_.wait_for(lock, stop, interval_, [] { return false; });  // the interval, or a stop
  }
}

void HeartbeatWriter::stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
  write_logged(now_utc_ms());
}

HeartbeatCheck check_heartbeat(const std::string& path, std::int64_t now_ms, std::chrono::seconds threshold) {
  HeartbeatCheck c;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    c.state = HeartbeatState::missing;
    c.message = "no heartbeat file " + path + " (stream not started?)";
    return c;
  }
  try {
    c.record = read_heartbeat_file(path);
  } catch (const SoiError& e) {
    c.state = HeartbeatState::unreadable;
    c.message = "heartbeat unreadable: " + e.message();
    return c;
  }
  const HeartbeatRecord& r = *c.record;
  c.age_seconds = static_cast<double>(now_ms - r.last_heartbeat_ms) / 1000.0;
  const std::string seen = fmt::format("last heartbeat {} ({:.0f} s ago), connection {}",
                                       format_utc_iso_ms(r.last_heartbeat_ms), c.age_seconds,
                                       to_string(r.connection));
  if (r.connection == ConnectionStatus::closed) {
    // The stream wrote its last heartbeat on the way out (the close, soi stop),
    // or `soi run` waits for the next session: an ended stream, not a dead one.
    c.state = HeartbeatState::finished;
    c.message = fmt::format("{}: finished (soi pid {} {}); {}", r.source, r.pid,
                            pid_alive(r.pid) ? "is waiting for the next session" : "exited after closing", seen);
  } else if (!pid_alive(r.pid)) {
    c.state = HeartbeatState::process_gone;
    c.message = fmt::format("{}: soi pid {} is not running; {}", r.source, r.pid, seen);
  } else if (c.age_seconds > static_cast<double>(threshold.count())) {
    c.state = HeartbeatState::stale;
    c.message = fmt::format("{}: heartbeat stale (threshold {} s); {}", r.source, threshold.count(), seen);
  } else {
    c.state = HeartbeatState::fresh;
    c.message = fmt::format("{}: alive, pid {}; {}", r.source, r.pid, seen);
  }
  return c;
}

std::optional<SoiError> heartbeat_alert(std::string_view source, const HeartbeatCheck& check) {
  if (!check.stale()) return std::nullopt;
  const ErrorCategory category =
      check.state == HeartbeatState::unreadable ? ErrorCategory::storage : ErrorCategory::network;
  return SoiError(category, "ALERT stale heartbeat: " + check.message, ErrorContext{std::string(source)});
}

bool record_heartbeat_alert(ErrorSummary& errors, std::string_view source, const HeartbeatCheck& check) {
  auto alert = heartbeat_alert(source, check);
  if (!alert) return false;
  errors.record(*alert);  // ErrorSummary logs it to the errors log, once
  return true;
}

}  // namespace soi
