// `soi stream` when the disk fails under it: a full disk (a small tmpfs as the
// data directory), a data directory that turns read-only mid-session, and a
// write-ahead-log directory that disappears mid-session. Each ends the run
// with exit 1 and a `storage` error naming the path; no partial partition is
// visible; what was received stays in the write-ahead log where that is still
// writable; and the next run, once the disk is back, completes the day equal
// to its REST backfill.
//
// Mounting needs root (CAP_SYS_ADMIN). Where mount(2) is refused the test says
// so on stderr and checks the same promise one level down instead: the Parquet
// sink over a FaultyStore whose put fails.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "sinks/parquet/parquet_sink.hpp"
#include "sinks/store/local_store.hpp"
#include "support/faulty_store.hpp"
#include "support/process.hpp"
#include "support/stream_fixture.hpp"
#include "utils/error.hpp"
#include "utils/time_util.hpp"

namespace soi::it {
namespace {

namespace fs = std::filesystem;

// A tmpfs of `size` (e.g. "3m") mounted on `dir` for the life of the object.
class TmpfsMount {
 public:
  TmpfsMount(const fs::path& dir, const std::string& size) : dir_(dir) {
    fs::create_directories(dir);
    if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0) mounts_ = 1;
    else why_not_ = std::strerror(errno);
  }
  ~TmpfsMount() {
    for (; mounts_ > 0; --mounts_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;

  bool mounted() const { return mounts_ > 0; }
  const std::string& why_not() const { return why_not_; }
  // Space is back.
  bool resize(const std::string& size) {
    return ::mount(nullptr, dir_.c_str(), nullptr, MS_REMOUNT, ("size=" + size).c_str()) == 0;
  }
  // A read-only view over the directory: new opens by path fail with EROFS;
  // files already open for writing keep their writable mount.
  bool make_read_only() {
    if (::mount(dir_.c_str(), dir_.c_str(), nullptr, MS_BIND, nullptr) != 0) return false;
    ++mounts_;
    return ::mount(nullptr, dir_.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) == 0;
  }
  // Writable again (the read-only view removed).
  bool make_writable() {
    if (mounts_ < 2 || ::umount2(dir_.c_str(), MNT_DETACH) != 0) return false;
    --mounts_;
    return true;
  }

 private:
  fs::path dir_;
  int mounts_ = 0;
  std::string why_not_;
};

class DiskFaultsTest : public ::testing::Test {
 protected:
  fs::path data() const { return work_.path() / "data"; }

  // The run failed on the disk: exit 1, status failed, a storage error naming
  // a path under the data directory and `what` (the OS's words).
  void expect_storage_failure(const ProcessResult& r, const std::string& what) const {
    EXPECT_EQ(r.exit_code, 1) << r.err << r.out;
    EXPECT_EQ(json_field(r.out, "status"), "failed") << r.out;
    EXPECT_EQ(json_field(r.out, "error_category"), "storage") << r.out;
    const std::string error = json_field(r.out, "error");
    EXPECT_NE(error.find(data().string() + "/"), std::string::npos) << "the error names no path: " << error;
    EXPECT_NE(error.find(what), std::string::npos) << error;
    EXPECT_NE(r.err.find("soi: stream 2025-01-17 failed (storage)"), std::string::npos) << r.err;
  }
  // Every partition visible under raw/ is a whole Parquet file (partial
  // writes are hidden temporary files, or nothing).
  void expect_no_partial_partition() const {
    for (const auto& f : files_under(data() / "raw")) {
      const std::string name = f.filename().string();
      if (name.rfind('.', 0) == 0) continue;  // a hidden staging file, never read as the day
      EXPECT_EQ(name, "data.parquet") << f;
      EXPECT_NO_THROW(duckdb_scalar("SELECT count(*) FROM read_parquet('" + f.string() + "')")) << f;
    }
  }
  // Bytes of write-ahead-log segments (beyond their 8-byte headers).
  std::uintmax_t wal_record_bytes() const {
    std::uintmax_t bytes = 0;
    for (const auto& f : files_under(data() / "state/wal"))
      if (f.filename().string().rfind("segment-", 0) == 0 && fs::file_size(f) > 8) bytes += fs::file_size(f) - 8;
    return bytes;
  }
  // The next run, later the same day with the disk back: replays the log,
  // repairs the rest over REST and ends with exactly the day.
  void next_run_completes_the_day(bool expect_replay) {
    SimulatorProcess sim(sim_args("2025-01-17T13:00:00-05:00", "0"));
    auto r = run_stream(sim, data());
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_EQ(json_field(r.out, "status"), "ok") << r.out;
    if (expect_replay) {
      EXPECT_GT(json_int(r.out, "replayed"), 0) << "nothing came back from the write-ahead log";
    }
    expect_equals_ground_truth(data(), ground_truth(kStreamDay), "the next run");
    EXPECT_TRUE(files_containing(work_.path(), kStreamKey).empty());
  }
  // A stream of 2025-01-17 running, past its first commit.
  ::testing::AssertionResult committed_once(BackgroundSoi& stream) const {
    if (wait_until([&] { return fs::exists(partition(data(), "spy", kStreamDay)); }, 30))
      return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "no commit within 30 s: " << stream.err_so_far();
  }
  // False when mount(2) was refused: the fault was then checked through FaultyStore.
  bool mounted_or_fell_back(const TmpfsMount& disk, const std::string& fault) {
    if (disk.mounted()) return true;
    mount_error_ = disk.why_not();
    check_through_faulty_store(fault);
    return false;
  }
  // Without mount(2): the Parquet sink over a store whose put fails, as a full
  // disk fails it: a storage error naming the partition, the previous day kept.
  void check_through_faulty_store(const std::string& fault) {
    std::cerr << "[ disk ] " << fault << ": mount(2) refused (" << mount_error_
              << "); checking the Parquet sink over FaultyStore instead\n";
    const fs::path dir = work_.path() / "faulty";
    auto faulty = std::make_shared<test::FaultyStore>(std::make_shared<LocalStore>(dir), test::StoreFaults{.fail_put = 2});
    ParquetSink sink(faulty, ParquetSinkConfig{}, 1);
    const Date day = *parse_date(kStreamDay);
    BarDay spy;
    spy.feed = "spy";
    spy.ticker = "SPY";
    spy.date = day;
    spy.bars.push_back(Bar{});
    spy.bars.back().ts_ms = 1737124200000;  // 09:30 New York
    const RunInfo run{"20250117T101502Z-3f9a", 0};
    std::vector<BarDay> bars{spy};
    sink.write_partition("spy", day, bars, run);
    const fs::path file = parquet_partition_file(dir, "spy", day);
    try {
      sink.write_partition("spy", day, bars, run);
      ADD_FAILURE() << "a failed put was not reported";
    } catch (const SoiError& e) {
      EXPECT_EQ(e.category(), ErrorCategory::storage);
      EXPECT_NE(e.message().find(file.string()), std::string::npos) << e.message();
    }
    EXPECT_EQ(duckdb_scalar("SELECT count(*) FROM read_parquet('" + file.string() + "')"), "1");
  }

  TempDir work_;
  std::string mount_error_;
};

// A 3 MB data directory fills up with the morning's write-ahead log.
TEST_F(DiskFaultsTest, FullDiskFailsWithTheLogKeptAndTheNextRunCompletesTheDay) {
  TmpfsMount disk(data(), "3m");
  if (!mounted_or_fell_back(disk, "full disk")) return;
  {
    SimulatorProcess sim(sim_args(kBeforeOpen, "0"));
    auto r = run_stream(sim, data());
    expect_storage_failure(r, "No space left on device");
  }
  expect_no_partial_partition();
  EXPECT_GT(wal_record_bytes(), 1000000u) << "the received records are not in the write-ahead log";
  ASSERT_TRUE(disk.resize("512m"));
  next_run_completes_the_day(true);
}

// Read-only from 10:00 or so on: every commit is refused; the open log
// segment (opened before) still takes every record.
TEST_F(DiskFaultsTest, ReadOnlyDataDirectoryFailsTheDayAndTheNextRunCompletesIt) {
  TmpfsMount disk(data(), "512m");
  if (!mounted_or_fell_back(disk, "read-only data directory")) return;
  {
    SimulatorProcess sim(sim_args(kBeforeOpen, "2000"));
    auto stream = start_stream(sim, data());
    ASSERT_TRUE(committed_once(*stream));
    const std::uintmax_t logged_before = wal_record_bytes();
    ASSERT_TRUE(disk.make_read_only()) << std::strerror(errno);
    auto r = stream->wait(120);
    expect_storage_failure(r, "Read-only file system");
    EXPECT_GT(wal_record_bytes(), logged_before) << "records received after the disk turned read-only are lost";
  }
  expect_no_partial_partition();
  ASSERT_TRUE(disk.make_writable());
  next_run_completes_the_day(true);
}

// The write-ahead log's directory is removed mid-session (an operator, a
// cleaner): the next checkpoint cannot be written.
TEST_F(DiskFaultsTest, VanishedWalDirectoryFailsTheDayAndTheNextRunCompletesIt) {
  {
    SimulatorProcess sim(sim_args(kBeforeOpen, "2000"));
    auto stream = start_stream(sim, data());
    ASSERT_TRUE(committed_once(*stream));
    fs::remove_all(data() / "state" / "wal");
    auto r = stream->wait(120);
    expect_storage_failure(r, (data() / "state" / "wal").string());
  }
  expect_no_partial_partition();
  next_run_completes_the_day(false);  // the log went with its directory: REST repairs from the last commit
}

}  // namespace
}  // namespace soi::it
