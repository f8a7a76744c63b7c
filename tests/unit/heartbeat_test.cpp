#include "monitoring/heartbeat.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "utils/json_text.hpp"
#include "utils/time_util.hpp"

namespace soi {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kT0 = 1'737'124'200'000;  // 2025-01-17T14:30:00Z

class HeartbeatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("soi-heartbeat-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string log_dir() const { return dir_.string(); }

  fs::path dir_;
};

// A pid that certainly does not exist any more: a child that has exited and been reaped.
long dead_pid() {
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  return static_cast<long>(child);
}

TEST_F(HeartbeatTest, WritesEveryFieldAndParsesBack) {
  StreamCounters counters;
  counters.set_connection(ConnectionStatus::connected);
  counters.on_message(kT0 - 250, kT0, 3);
  counters.on_reconnect();
  counters.set_connection(ConnectionStatus::connected);
  counters.set_queue_depth(42);
  counters.on_spill(7);

  HeartbeatWriter writer(log_dir(), "spy", counters, std::chrono::seconds(60));
  EXPECT_EQ(writer.path(), (dir_ / "heartbeat" / "spy_status.json").string());
  writer.write(kT0 + 1000);

  const HeartbeatRecord r = read_heartbeat_file(writer.path());
  EXPECT_EQ(r.source, "spy");
  EXPECT_EQ(r.last_heartbeat_ms, kT0 + 1000);
  EXPECT_EQ(r.pid, static_cast<long>(::getpid()));
  EXPECT_EQ(r.interval_seconds, 60);
  EXPECT_EQ(r.messages_last_interval, 3u);
  EXPECT_EQ(r.messages_total, 3u);
  ASSERT_TRUE(r.last_message_ms.has_value());
  EXPECT_EQ(*r.last_message_ms, kT0);
  EXPECT_EQ(r.connection, ConnectionStatus::connected);
  EXPECT_EQ(r.reconnects, 1u);
  EXPECT_EQ(r.queue_depth, 42u);
  EXPECT_EQ(r.spilled, 7u);
  EXPECT_DOUBLE_EQ(r.lag_seconds, 0.25);

  std::ifstream in(writer.path());
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find(R"("last_heartbeat": "2025-01-17T14:30:01.000Z")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("connection": "connected")"), std::string::npos) << text;
}

TEST_F(HeartbeatTest, NoMessageYetIsNull) {
  StreamCounters counters;
  HeartbeatWriter writer(log_dir(), "vix", counters);
  const HeartbeatRecord written = writer.write(kT0);
  EXPECT_FALSE(written.last_message_ms.has_value());
  const HeartbeatRecord r = read_heartbeat_file(writer.path());
  EXPECT_FALSE(r.last_message_ms.has_value());
  EXPECT_EQ(r.connection, ConnectionStatus::connecting);
  EXPECT_EQ(r.interval_seconds, 300);  // the default
}

TEST_F(HeartbeatTest, RewriteIsAtomicAndLeavesNoTempFile) {
  StreamCounters counters;
  HeartbeatWriter writer(log_dir(), "spy", counters);
  for (int i = 0; i < 5; ++i) {
    counters.on_message(kT0, kT0 + i);
    writer.write(kT0 + i * 1000);
  }
  EXPECT_EQ(read_heartbeat_file(writer.path()).messages_total, 5u);
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir_ / "heartbeat")) {
    ++files;
    EXPECT_EQ(entry.path().filename(), "spy_status.json");
  }
  EXPECT_EQ(files, 1u);
}

TEST_F(HeartbeatTest, MessagesLastIntervalStartsOverAtEachWrite) {
  StreamCounters counters;
  HeartbeatWriter writer(log_dir(), "spy", counters, std::chrono::seconds(300));
  counters.on_message(kT0, kT0, 10);
  EXPECT_TRUE(writer.maybe_write(kT0));  // first call always writes
  EXPECT_EQ(read_heartbeat_file(writer.path()).messages_last_interval, 10u);

  counters.on_message(kT0, kT0, 4);
  EXPECT_FALSE(writer.maybe_write(kT0 + 299'999));  // interval not elapsed
  EXPECT_TRUE(writer.maybe_write(kT0 + 300'000));
  HeartbeatRecord r = read_heartbeat_file(writer.path());
  EXPECT_EQ(r.messages_last_interval, 4u);
  EXPECT_EQ(r.messages_total, 14u);

  EXPECT_TRUE(writer.maybe_write(kT0 + 600'000));  // a quiet interval
  r = read_heartbeat_file(writer.path());
  EXPECT_EQ(r.messages_last_interval, 0u);
  EXPECT_EQ(r.messages_total, 14u);
}

TEST_F(HeartbeatTest, BackgroundThreadWritesAtStartAndAtStop) {
  StreamCounters counters;
  HeartbeatWriter writer(log_dir(), "spy", counters, std::chrono::seconds(3600));
  writer.start();
  counters.on_message(kT0, kT0, 2);
  counters.set_connection(ConnectionStatus::closed);
  writer.stop();  // final heartbeat carries what happened since the first one
  const HeartbeatRecord r = read_heartbeat_file(writer.path());
  EXPECT_EQ(r.messages_total, 2u);
  EXPECT_EQ(r.connection, ConnectionStatus::closed);
}

TEST_F(HeartbeatTest, FreshAndStaleByAge) {
  StreamCounters counters;
  HeartbeatWriter writer(log_dir(), "spy", counters);
  writer.write(kT0);
  HeartbeatCheck fresh = check_heartbeat(writer.path(), kT0 + 900'000);  // exactly the threshold: still fresh
  EXPECT_EQ(fresh.state, HeartbeatState::fresh) << fresh.message;
  EXPECT_FALSE(fresh.stale());
  HeartbeatCheck stale = check_heartbeat(writer.path(), kT0 + 900'001);
  EXPECT_EQ(stale.state, HeartbeatState::stale);
  EXPECT_TRUE(stale.stale());
  EXPECT_NE(stale.message.find("stale"), std::string::npos) << stale.message;
  EXPECT_EQ(check_heartbeat(writer.path(), kT0 + 61'000, std::chrono::seconds(60)).state, HeartbeatState::stale);
}

TEST_F(HeartbeatTest, MissingUnreadableAndDeadPidAreStale) {
  const std::string path = heartbeat_path(log_dir(), "spy");
  HeartbeatCheck missing = check_heartbeat(path, kT0);
  EXPECT_EQ(missing.state, HeartbeatState::missing);
  EXPECT_TRUE(missing.stale());

  fs::create_directories(dir_ / "heartbeat");
  write_file_atomically(path, "{not json");
  EXPECT_EQ(check_heartbeat(path, kT0).state, HeartbeatState::unreadable);

  HeartbeatRecord r;
  r.source = "spy";
  r.last_heartbeat_ms = kT0;
  r.pid = dead_pid();
  write_file_atomically(path, heartbeat_to_json(r));
  HeartbeatCheck gone = check_heartbeat(path, kT0 + 1000);  // recent, but its writer is gone
  EXPECT_EQ(gone.state, HeartbeatState::process_gone);
  EXPECT_NE(gone.message.find("pid " + std::to_string(r.pid) + " is not running"), std::string::npos)
      << gone.message;

  // The same dead writer, but its last heartbeat said "closed": the stream ended, no alert.
  r.connection = ConnectionStatus::closed;
  write_file_atomically(path, heartbeat_to_json(r));
  HeartbeatCheck finished = check_heartbeat(path, kT0 + 86'400'000);
  EXPECT_EQ(finished.state, HeartbeatState::finished);
  EXPECT_FALSE(finished.stale()) << finished.message;
  EXPECT_NE(finished.message.find("finished"), std::string::npos) << finished.message;
}

TEST_F(HeartbeatTest, StaleCheckRecordsAnAlert) {
  StreamCounters counters;
  HeartbeatWriter writer(log_dir(), "spy", counters);
  writer.write(kT0);
  ErrorSummary errors;
  EXPECT_FALSE(record_heartbeat_alert(errors, "spy", check_heartbeat(writer.path(), kT0 + 1000)));
  EXPECT_EQ(errors.total(), 0u);

  EXPECT_TRUE(record_heartbeat_alert(errors, "spy", check_heartbeat(writer.path(), kT0 + 3'600'000)));
  EXPECT_EQ(errors.count(ErrorCategory::network), 1u);
  const auto entries = errors.entries();
  const auto& entry = entries.at({"network", "spy"});
  EXPECT_NE(entry.example.find("ALERT stale heartbeat"), std::string::npos) << entry.example;
}

TEST(HeartbeatParseTest, RejectsDocumentsThatAreNotHeartbeats) {
  EXPECT_THROW(parse_heartbeat("[]"), SoiError);
  EXPECT_THROW(parse_heartbeat(R"({"pid": 1})"), SoiError);  // no last_heartbeat
  EXPECT_THROW(parse_heartbeat(R"({"last_heartbeat": "2025-01-17T14:30:00Z", "connection": "sleeping"})"),
               SoiError);
  // Unknown keys are ignored (forward compatibility).
  EXPECT_EQ(parse_heartbeat(R"({"last_heartbeat": "2025-01-17T14:30:00Z", "new_field": [1]})").last_heartbeat_ms,
            kT0);
}

}  // namespace
}  // namespace soi
