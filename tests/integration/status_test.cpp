// One writer per data directory, and `soi status`: a second writer is refused
// with the holder's pid; status reports the holder and every stream heartbeat,
// and exits 1 when a heartbeat is stale.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "monitoring/heartbeat.hpp"
#include "support/process.hpp"
#include "utils/process_lock.hpp"
#include "utils/time_util.hpp"

namespace soi::it {
namespace {

namespace fs = std::filesystem;

class StatusTest : public ::testing::Test {
 protected:
  std::string data() const { return (work_.path() / "data").string(); }
  ProcessResult soi(std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", config_dir()});
    return run_soi(args, {{"MASSIVE_API_KEY", "FAKEKEY-status-test-0000"}}, work_.path());
  }
  TempDir work_;
};

TEST_F(StatusTest, ASecondWriterIsRefusedAndStatusNamesTheHolder) {
  SimulatorProcess sim;
  std::vector<std::string> backfill{"backfill", "--source", "spy", "--from", "2025-01-17", "--base-url",
                                    sim.base_url(), "--data-dir", data()};
  {
    ProcessLock held = ProcessLock::acquire(data(), "stream (test)", now_utc_ms());
    auto refused = soi(backfill);
    EXPECT_EQ(refused.exit_code, 2) << refused.err;
    EXPECT_NE(refused.err.find("in use by soi pid " + std::to_string(::getpid())), std::string::npos) << refused.err;
    EXPECT_FALSE(fs::exists(work_.path() / "data/raw/spy")) << "the refused run wrote data";

    auto status = soi({"status", "--data-dir", data()});
    EXPECT_EQ(status.exit_code, 0) << status.err;
    EXPECT_NE(status.out.find("running: soi pid " + std::to_string(::getpid())), std::string::npos) << status.out;
    auto json = soi({"status", "--data-dir", data(), "--json"});
    EXPECT_NE(json.out.find("\"running\":true,\"pid\":" + std::to_string(::getpid())), std::string::npos) << json.out;
  }
  // Released: the same backfill now runs, and nothing holds the directory afterwards.
  auto ok = soi(backfill);
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  auto status = soi({"status", "--data-dir", data(), "--json"});
  EXPECT_NE(status.out.find("\"running\":false"), std::string::npos) << status.out;
}

TEST_F(StatusTest, StaleHeartbeatIsReportedWithExitCodeOne) {
  StreamCounters counters;
  counters.set_connection(ConnectionStatus::connected);
  counters.on_message(now_utc_ms() - 2000, now_utc_ms(), 42);
  HeartbeatWriter writer(data() + "/logs", "stocks", counters);

  writer.write(now_utc_ms());
  auto fresh = soi({"status", "--data-dir", data()});
  EXPECT_EQ(fresh.exit_code, 0) << fresh.out << fresh.err;
  EXPECT_NE(fresh.out.find("stream stocks: fresh"), std::string::npos) << fresh.out;
  EXPECT_NE(fresh.out.find("42 messages"), std::string::npos) << fresh.out;

  writer.write(now_utc_ms() - 1000 * 1000);  // last heartbeat 1,000 s ago; the default threshold is 900 s
  auto stale = soi({"status", "--data-dir", data()});
  EXPECT_EQ(stale.exit_code, 1) << stale.out;
  EXPECT_NE(stale.out.find("stream stocks: stale"), std::string::npos) << stale.out;
  auto json = soi({"status", "--data-dir", data(), "--json"});
  EXPECT_EQ(json.exit_code, 1);
  EXPECT_NE(json.out.find("\"state\":\"stale\""), std::string::npos) << json.out;
  EXPECT_NE(json.out.find("\"stale\":true"), std::string::npos) << json.out;
}

}  // namespace
}  // namespace soi::it
