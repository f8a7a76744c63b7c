#include "processing/write_ahead_log.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "utils/error.hpp"

namespace soi {
namespace {

namespace fs = std::filesystem;

// Record i carries i in ts_ms, so order, gaps and duplicates are easy to check.
Bar bar_for(std::int64_t i) {
  Bar b;
  b.ts_ms = 1737124200000 + i;
  b.open = 600 + i * 0.01;
  b.high = b.open + 0.5;
  b.low = b.open - 0.5;
  b.close = b.open + 0.25;
  b.volume = static_cast<double>(100 + i);
  b.vwap = b.open + 0.1;
  b.transactions = i % 7;
  b.fields = static_cast<std::uint8_t>(i % 2 ? kBarFullFields : 0);  // odd: stock, even: index (no fields)
  return b;
}
std::string symbol_for(std::int64_t i) { return i % 3 ? "SPY" : "O:SPY250117C00590000"; }

void fill(RecordBatch& batch, std::int64_t first, std::int64_t count) {
  batch.clear();
  for (std::int64_t i = first; i < first + count; ++i)
    batch.add(static_cast<std::uint8_t>(i % 3), symbol_for(i), bar_for(i), 1737124201000 + i);
}

// Ids (ts offsets) of every record replay yields, checking each record's content.
std::vector<std::int64_t> replay_ids(WriteAheadLog& wal) {
  std::vector<std::int64_t> ids;
  wal.replay([&](const WalRecord& r, const WalPosition&) {
    const std::int64_t i = r.bar.ts_ms - 1737124200000;
    const Bar e = bar_for(i);
    EXPECT_EQ(r.feed, i % 3);
    EXPECT_EQ(r.symbol, symbol_for(i));
    EXPECT_EQ(r.receive_ms, 1737124201000 + i);
    EXPECT_EQ(r.bar.open, e.open);
    EXPECT_EQ(r.bar.high, e.high);
    EXPECT_EQ(r.bar.low, e.low);
    EXPECT_EQ(r.bar.close, e.close);
    EXPECT_EQ(r.bar.volume, e.volume);
    EXPECT_EQ(r.bar.vwap, e.vwap);
    EXPECT_EQ(r.bar.transactions, e.transactions);
    EXPECT_EQ(r.bar.fields, e.fields);
    ids.push_back(i);
  });
  return ids;
}

std::vector<std::int64_t> range(std::int64_t first, std::int64_t end) {
  std::vector<std::int64_t> v;
  for (auto i = first; i < end; ++i) v.push_back(i);
  return v;
}

class WalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("soi-wal-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(std::random_device{}()));
  }
  void TearDown() override { fs::remove_all(dir_); }
  WalOptions options(std::uint64_t segment_bytes = 64ull << 20) const { return WalOptions{dir_, segment_bytes}; }

  fs::path dir_;
  RecordBatch batch_;
};

TEST(WalCodecTest, Crc32cKnownValue) {
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c(""), 0u);
  // Chunked computation equals one pass (the slicing loop and the byte tail agree).
  const std::string text = "The quick brown fox jumps over the lazy dog, twice over.";
  EXPECT_EQ(crc32c(text.substr(13), crc32c(text.substr(0, 13))), crc32c(text));
}

TEST(WalCodecTest, HardwareAndPortableCrc32cAgree) {
  EXPECT_EQ(crc32c_portable("123456789"), 0xE3069283u);
  std::mt19937_64 rng(7);
  std::string data;
  for (std::size_t n = 0; n < 300; ++n) {  // every tail length, several word counts
    EXPECT_EQ(crc32c(data), crc32c_portable(data)) << "length " << n;
    EXPECT_EQ(crc32c(data, 0x1234567u), crc32c_portable(data, 0x1234567u)) << "length " << n;
    data.push_back(static_cast<char>(rng()));
  }
}

TEST(WalCodecTest, RejectsOverlongSymbols) {
  RecordBatch batch;
  EXPECT_THROW(batch.add(0, std::string(300, 'X'), Bar{}, 0), std::invalid_argument);
  batch.add(0, std::string(255, 'X'), Bar{}, 0);
  EXPECT_EQ(batch[0].symbol.size(), 255u);
}

TEST_F(WalTest, AppendReplayRoundTrip) {
  WriteAheadLog wal(options());
  EXPECT_TRUE(replay_ids(wal).empty());
  fill(batch_, 0, 10);
  const WalPosition p1 = wal.append(batch_);
  fill(batch_, 10, 5);
  const WalPosition p2 = wal.append(batch_);
  EXPECT_LT(p1, p2);
  EXPECT_EQ(wal.end(), p2);
  wal.sync();
  EXPECT_EQ(replay_ids(wal), range(0, 15));
  EXPECT_EQ(wal.stats().appended_records, 15u);
  EXPECT_EQ(wal.stats().skipped_bytes, 0u);
  // Replay's positions are the ones append() returned at batch boundaries.
  std::vector<WalPosition> positions;
  wal.replay([&](const WalRecord&, const WalPosition& next) { positions.push_back(next); });
  ASSERT_EQ(positions.size(), 15u);
  EXPECT_EQ(positions[9], p1);
  EXPECT_EQ(positions[14], p2);
}

TEST_F(WalTest, CheckpointThenReplayYieldsOnlyLaterRecords) {
  {
    WriteAheadLog wal(options());
    fill(batch_, 0, 10);
    const WalPosition p1 = wal.append(batch_);
    fill(batch_, 10, 10);
    wal.append(batch_);
    wal.checkpoint(p1);
    EXPECT_EQ(wal.checkpointed(), p1);
    EXPECT_EQ(replay_ids(wal), range(10, 20));
    wal.checkpoint(WalPosition{0, 8});  // backwards: ignored
    EXPECT_EQ(wal.checkpointed(), p1);
    EXPECT_THROW(wal.checkpoint(WalPosition{wal.end().segment, wal.end().offset + 1}), std::invalid_argument);
  }
  // The checkpoint is durable: a new process sees the same.
  WriteAheadLog wal(options());
  EXPECT_EQ(replay_ids(wal), range(10, 20));
  fill(batch_, 20, 3);
  wal.append(batch_);
  EXPECT_EQ(replay_ids(wal), range(10, 23));
  wal.checkpoint(wal.end());
  EXPECT_TRUE(replay_ids(wal).empty());
}

TEST_F(WalTest, CheckpointOrSegmentAtTheLastNumberIsRefusedNotWrapped) {
  // A checkpoint of segment 2^64-1 once made the next segment number wrap to 0, so every
  // later record sat before the checkpoint and no replay returned it; a segment numbered
  // 10^16 would have a 17-digit name that no listing sees.
  fs::create_directories(dir_);
  for (const std::string segment : {"18446744073709551615", "-1", "10000000000000000"}) {
    std::ofstream(dir_ / "checkpoint") << "soi-wal-checkpoint 1 " << segment << " 8\n";
    EXPECT_THROW(WriteAheadLog{options()}, SoiError) << segment;
  }
  std::ofstream(dir_ / "checkpoint") << "soi-wal-checkpoint 1 9999999999999999 8\n";
  try {
    WriteAheadLog wal(options());
    FAIL() << "expected segment numbers exhausted";
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::storage);
    EXPECT_NE(std::string(e.what()).find("segment numbers exhausted"), std::string::npos) << e.what();
  }
  fs::remove(dir_ / "checkpoint");
  std::ofstream(dir_ / "segment-9999999999999999.wal") << "SOIWAL01";
  EXPECT_THROW(WriteAheadLog{options()}, SoiError);
  fs::remove(dir_ / "segment-9999999999999999.wal");
  WriteAheadLog wal(options());  // and a normal log still opens
  EXPECT_EQ(wal.end().segment, 1u);
}

TEST_F(WalTest, ReopenAfterCrashReplaysEverything) {
  {
    WriteAheadLog wal(options());
    fill(batch_, 0, 100);
    wal.append(batch_);
  }  // destroyed without sync or checkpoint
  {
    WriteAheadLog wal(options());
    EXPECT_EQ(replay_ids(wal), range(0, 100));
    fill(batch_, 100, 50);
    wal.append(batch_);
  }  // "crashed" again before committing the replay
  WriteAheadLog wal(options());
  EXPECT_EQ(replay_ids(wal), range(0, 150));
  EXPECT_EQ(wal.segments().size(), 2u);  // each open starts a segment
  wal.checkpoint(wal.end());
  EXPECT_TRUE(wal.segments().empty());  // both fully committed, the new one not created yet
  EXPECT_TRUE(replay_ids(wal).empty());
}

TEST_F(WalTest, SecondOpenOfTheSameLogIsRefused) {
  WriteAheadLog wal(options());
  try {
    WriteAheadLog other(options());
    FAIL() << "second open succeeded";
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::storage);
    EXPECT_NE(std::string(e.what()).find(dir_.string()), std::string::npos);
  }
}

TEST_F(WalTest, TornTailIsIgnoredAndAppendingContinues) {
  fs::path segment;
  {
    WriteAheadLog wal(options());
    fill(batch_, 0, 10);
    wal.append(batch_);
    segment = wal.segment_path(wal.end().segment);
  }
  // Cut the last record in half, as a write interrupted by kill -9 would.
  fs::resize_file(segment, fs::file_size(segment) - 40);
  {
    WriteAheadLog wal(options());
    EXPECT_EQ(replay_ids(wal), range(0, 9));
    EXPECT_GT(wal.stats().skipped_bytes, 0u);
    fill(batch_, 100, 5);
    wal.append(batch_);
    auto expected = range(0, 9);
    for (auto i : range(100, 105)) expected.push_back(i);
    EXPECT_EQ(replay_ids(wal), expected);
  }
}

TEST_F(WalTest, CorruptCrcStopsTheSegmentAtTheLastValidRecord) {
  fs::path segment;
  {
    WriteAheadLog wal(options());
    fill(batch_, 0, 10);
    wal.append(batch_);
    segment = wal.segment_path(wal.end().segment);
  }
  // Flip one byte inside the 5th record's payload (all of the first 9 records
  // have the same size except the symbol: find the frame by replaying positions).
  std::vector<WalPosition> ends;
  {
    WriteAheadLog wal(options());
    wal.replay([&](const WalRecord&, const WalPosition& next) { ends.push_back(next); });
  }
  ASSERT_EQ(ends.size(), 10u);
  {
    std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(ends[3].offset + 30));
    f.put('\x7f');
  }
  WriteAheadLog wal(options());
  EXPECT_EQ(replay_ids(wal), range(0, 4));
  fill(batch_, 10, 3);
  wal.append(batch_);
  auto expected = range(0, 4);
  for (auto i : range(10, 13)) expected.push_back(i);
  EXPECT_EQ(replay_ids(wal), expected);
}

TEST_F(WalTest, ZeroFilledTailAndHeaderlessSegmentAreIgnored) {
  {
    WriteAheadLog wal(options());
    fill(batch_, 0, 3);
    wal.append(batch_);
    // What an OS crash can leave: the file extended with zeros.
    fs::resize_file(wal.segment_path(wal.end().segment), fs::file_size(wal.segment_path(wal.end().segment)) + 4096);
  }
  std::ofstream(dir_ / "segment-0000000000000005.wal") << "SOI";  // cut before its header was complete
  WriteAheadLog wal(options());
  EXPECT_EQ(replay_ids(wal), range(0, 3));
  EXPECT_EQ(wal.end().segment, 6u);
}

TEST_F(WalTest, SegmentsRollOverAndCommittedOnesAreDeleted) {
  WriteAheadLog wal(options(4096));
  std::vector<WalPosition> after;
  for (int b = 0; b < 20; ++b) {
    fill(batch_, b * 10, 10);  // ~1 KB per batch: about 4 batches per segment
    after.push_back(wal.append(batch_));
  }
  const auto before = wal.segments();
  ASSERT_GE(before.size(), 4u);
  for (auto seq : before) EXPECT_LE(fs::file_size(wal.segment_path(seq)), 4096u);
  EXPECT_EQ(replay_ids(wal), range(0, 200));

  wal.checkpoint(after[11]);  // batches 0..11 committed
  const auto remaining = wal.segments();
  ASSERT_FALSE(remaining.empty());
  EXPECT_EQ(remaining.front(), after[11].segment);
  EXPECT_EQ(wal.stats().deleted_segments, before.size() - remaining.size());
  EXPECT_GT(wal.stats().deleted_segments, 0u);
  EXPECT_EQ(replay_ids(wal), range(120, 200));

  wal.checkpoint(wal.end());
  EXPECT_EQ(wal.segments(), std::vector<std::uint64_t>{wal.end().segment});
  EXPECT_TRUE(replay_ids(wal).empty());
}

TEST_F(WalTest, CheckpointsRunInTwoStepsAndAppendsMayComeBetween) {
  WriteAheadLog wal(options(4096));
  std::vector<WalPosition> after;
  for (int b = 0; b < 24; ++b) {
    fill(batch_, b * 10, 10);
    after.push_back(wal.append(batch_));
  }

  auto pending = wal.prepare_checkpoint(after[11]);
  ASSERT_TRUE(pending);
  EXPECT_EQ(wal.checkpointed(), after[11]);
  EXPECT_FALSE(pending->obsolete.empty());
  for (const auto& p : pending->obsolete) EXPECT_TRUE(fs::exists(p)) << "nothing is deleted before the write";
  fill(batch_, 240, 10);  // appends between the two steps are kept
  wal.append(batch_);
  WriteAheadLog::write_checkpoint(*pending);
  for (const auto& p : pending->obsolete) EXPECT_FALSE(fs::exists(p));
  EXPECT_FALSE(wal.prepare_checkpoint(after[11])) << "not after the current checkpoint";
  EXPECT_EQ(replay_ids(wal), range(120, 250));
}

TEST_F(WalTest, MalformedCheckpointIsAStorageError) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "checkpoint") << "garbage\n";
  try {
    WriteAheadLog wal(options());
    FAIL() << "opened with a malformed checkpoint";
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::storage);
    EXPECT_NE(std::string(e.what()).find("checkpoint"), std::string::npos);
  }
}

// A child process appends (and now and then checkpoints) until it is killed
// with SIGKILL; the parent then replays. Every record whose append() returned
// must be there, in order, exactly once, starting after the last checkpoint.
TEST_F(WalTest, KilledWriterLosesNothingAndDuplicatesNothing) {
  for (int round = 0; round < 3; ++round) {
    fs::remove_all(dir_);
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      try {
        WriteAheadLog wal(options(256 << 10));  // small segments: rollovers and deletions under fire
        RecordBatch batch;
        for (std::int64_t b = 0;; ++b) {
          fill(batch, b * 1000, 1000);
          const WalPosition end = wal.append(batch);
          std::int64_t ack[2] = {(b + 1) * 1000, -1};
          if (b % 10 == 9) {
            wal.checkpoint(end);
            ack[1] = (b + 1) * 1000;
          }
          if (::write(fds[1], ack, sizeof ack) != static_cast<ssize_t>(sizeof ack)) ::_exit(3);
        }
      } catch (...) {
        ::_exit(2);
      }
    }
    ::close(fds[1]);
    std::int64_t appended = 0, committed = 0;
    std::int64_t ack[2];
    const std::int64_t kill_after = 33 + round * 13;  // batches, not at a checkpoint
    while (appended < kill_after * 1000 && ::read(fds[0], ack, sizeof ack) == static_cast<ssize_t>(sizeof ack)) {
      appended = ack[0];
      if (ack[1] >= 0) committed = ack[1];
    }
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
    // Acks written before the kill still count.
    while (::read(fds[0], ack, sizeof ack) == static_cast<ssize_t>(sizeof ack)) {
      appended = ack[0];
      if (ack[1] >= 0) committed = ack[1];
    }
    ::close(fds[0]);

    WriteAheadLog wal(options(256 << 10));
    const auto ids = replay_ids(wal);
    if (ids.empty()) continue;  // killed right after a checkpoint covering everything: nothing to replay
    // Starts at a checkpoint at least as recent as the last acknowledged one
    // (one written just before the kill may not have been acknowledged).
    EXPECT_GE(ids.front(), committed);
    EXPECT_EQ(ids.front() % 10000, 0);
    EXPECT_LE(ids.front(), appended);
    for (std::size_t i = 1; i < ids.size(); ++i) ASSERT_EQ(ids[i], ids[i - 1] + 1) << "gap or duplicate at " << i;
    EXPECT_GE(ids.back() + 1, appended);
  }
}

}  // namespace
}  // namespace soi
