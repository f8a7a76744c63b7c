// The stream's commits: one partition per enabled feed (or only the feeds with
// bars), and the write-ahead log checkpointed only after a commit every sink
// took, of a day allowed to checkpoint, while no failed recovered day holds it.
#include "orchestrator/stream_day_committer.hpp"

#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

namespace soi {
namespace {

namespace fs = std::filesystem;

const Date kDay = *parse_date("2025-01-17");
constexpr std::int64_t kOpen = 1737124200000;  // 2025-01-17 09:30 New York
constexpr std::uint8_t kSpy = 0;

// Records every partition; fails while `fail` is set.
class RecordingSink : public Sink {
 public:
  std::string_view name() const override { return "recording"; }
  using Sink::write;
  PartitionWriteResult write(const Partition& p, const RunInfo&) override {
    if (fail) throw SoiError(ErrorCategory::storage, "disk full");
    written.emplace_back(p.name);
    PartitionWriteResult r{"recording", std::string(p.name), format_date(p.date), "memory"};
    for (const auto& t : p.bars) r.rows += t.bars.size();
    rows.push_back(r.rows);
    return r;
  }
  std::vector<std::string> written;
  std::vector<std::uint64_t> rows;
  bool fail = false;
};

class StreamDayCommitterTest : public ::testing::Test {
 protected:
  StreamDayCommitterTest() {
    static int counter = 0;
    dir_ = fs::temp_directory_path() / ("soi_committer_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    config_.settings.data_dir = dir_.string();
    auto sink = std::make_unique<RecordingSink>();
    sink_ = sink.get();
    sinks_.add(std::move(sink));
    client_ = std::make_unique<RestClient>("http://127.0.0.1:9", "committer-key-1234", config_.retry);
    manifest_ = std::make_unique<RunManifest>(dir_.string(), "run-1", "test", 0);
    quarantine_ = std::make_unique<QuarantineWriter>(dir_.string());
    drift_ = std::make_unique<SchemaDriftTracker>(dir_.string(), [](const DriftAlert&) {});
    job_ = std::make_unique<BackfillJob>(BackfillServices{config_, *client_, calendar_, sinks_, *manifest_,
                                                          *quarantine_, *drift_, errors_, RunInfo{"run-1", 0}});
    open_ingest();
  }
  ~StreamDayCommitterTest() override {
    ingest_.reset();
    job_.reset();
    quarantine_.reset();
    fs::remove_all(dir_);
  }
  void open_ingest() {
    ingest_.reset();
    StreamIngestOptions o;
    o.wal.dir = dir_ / "wal";
    o.queue.capacity_batches = 4;
    o.queue.spill_path = dir_ / "spill";
    o.sync_interval = std::chrono::milliseconds(0);
    ingest_ = std::make_unique<StreamIngest>(o, errors_);
  }
  // Logs `count` SPY seconds and routes them into the day, as the writer does.
  void receive(StreamDayBook& day, int first, int count) {
    RecordBatch batch;
    for (int i = first; i < first + count; ++i) {
      Bar b;
      b.ts_ms = kOpen + i * 1000;
      b.open = b.high = b.low = b.close = 600 + i;
      batch.add(kSpy, "SPY", b, b.ts_ms + 5);
    }
    ingest_->submit(batch);
    RecordBatch popped;
    while (ingest_->pop(popped, std::chrono::milliseconds(0)))
      for (std::size_t k = 0; k < popped.size(); ++k) day.add(StreamFeed{kSpy}, popped[k].symbol, popped[k].bar);
  }
  // What a restart would replay.
  std::uint64_t replayable() {
    open_ingest();
    return ingest_->replay([](const WalRecord&) {});
  }
  StreamDayCommitter committer() { return StreamDayCommitter(feeds_, *job_, *ingest_); }
  BarWindow window() const { return BarWindow{kOpen, kOpen + 23400000, 1000}; }

  fs::path dir_;
  Config config_;
  FeedRegistry registry_ = default_feeds();
  StreamFeedSet feeds_{registry_, config_};
  MarketCalendar calendar_;
  SinkSet sinks_;
  RecordingSink* sink_ = nullptr;
  ErrorSummary errors_;
  std::unique_ptr<RestClient> client_;
  std::unique_ptr<RunManifest> manifest_;
  std::unique_ptr<QuarantineWriter> quarantine_;
  std::unique_ptr<SchemaDriftTracker> drift_;
  std::unique_ptr<BackfillJob> job_;
  std::unique_ptr<StreamIngest> ingest_;
};

TEST_F(StreamDayCommitterTest, EveryEnabledFeedGetsItsPartitionOrOnlyTheFeedsWithBars) {
  StreamDayBook day(kDay);
  receive(day, 0, 3);
  auto c = committer();
  ASSERT_TRUE(c.commit_bars(day, window(), {StreamDayCommitter::Feeds::enabled, false, false}));
  // spy, vix and options are enabled by default: the empty ones are committed empty.
  EXPECT_EQ(sink_->written, (std::vector<std::string>{"spy", "vix", "options"}));
  EXPECT_EQ(sink_->rows, (std::vector<std::uint64_t>{3, 0, 0}));
  sink_->written.clear();
  ASSERT_TRUE(c.commit_bars(day, window(), {StreamDayCommitter::Feeds::with_bars, false, false}));
  EXPECT_EQ(sink_->written, (std::vector<std::string>{"spy"}));
  EXPECT_EQ(c.commits(), 2u);
}

TEST_F(StreamDayCommitterTest, ASuccessfulCommitAllowedToCheckpointEmptiesTheLog) {
  StreamDayBook day(kDay);
  receive(day, 0, 5);
  {
    auto c = committer();
    ASSERT_TRUE(c.commit_bars(day, window(), {StreamDayCommitter::Feeds::enabled, false, false}));
  }
  EXPECT_EQ(replayable(), 5u) << "a commit not allowed to checkpoint keeps the log";
  StreamDayBook again(kDay);
  receive(again, 5, 2);
  {
    auto c = committer();
    ASSERT_TRUE(c.commit_bars(again, window(), {StreamDayCommitter::Feeds::enabled, false, true}));
  }
  EXPECT_EQ(replayable(), 0u);
}

TEST_F(StreamDayCommitterTest, AFailedSinkOrAHeldLogKeepsEveryRecordForTheNextRun) {
  StreamDayBook day(kDay);
  receive(day, 0, 4);
  sink_->fail = true;
  {
    auto c = committer();
    EXPECT_FALSE(c.commit_bars(day, window(), {StreamDayCommitter::Feeds::enabled, false, true}));
  }
  EXPECT_EQ(replayable(), 4u);

  sink_->fail = false;
  StreamDayBook held(kDay);
  receive(held, 4, 1);
  auto c = committer();
  c.hold_log();  // a recovered day failed to commit earlier in the session
  ASSERT_TRUE(c.commit_bars(held, window(), {StreamDayCommitter::Feeds::enabled, false, true}));
  EXPECT_TRUE(c.log_held());
  EXPECT_EQ(replayable(), 5u);
}

// The session ends with the cause of the first refused commit (a full disk names its path), not
// with a later one and not with nothing.
TEST_F(StreamDayCommitterTest, TheFirstRefusedCommitIsKeptWithItsCategory) {
  StreamDayBook day(kDay);
  receive(day, 0, 2);
  auto c = committer();
  ASSERT_TRUE(c.commit_bars(day, window(), {StreamDayCommitter::Feeds::with_bars, false, false}));
  EXPECT_TRUE(c.first_error().empty());
  sink_->fail = true;
  EXPECT_FALSE(c.commit_bars(day, window(), {StreamDayCommitter::Feeds::with_bars, false, false}));
  EXPECT_NE(c.first_error().find("disk full"), std::string::npos) << c.first_error();
  EXPECT_EQ(c.first_error_category(), "storage");
  sink_->fail = false;
  ASSERT_TRUE(c.commit_bars(day, window(), {StreamDayCommitter::Feeds::with_bars, false, false}));
  EXPECT_NE(c.first_error().find("disk full"), std::string::npos) << "a later success does not clear the cause";
}

TEST_F(StreamDayCommitterTest, TheLastCommitMovesTheBarsOutOfTheDay) {
  StreamDayBook day(kDay);
  receive(day, 0, 3);
  auto c = committer();
  ASSERT_TRUE(c.commit_bars(day, window(), {StreamDayCommitter::Feeds::with_bars, true, false}));
  EXPECT_EQ(sink_->rows, (std::vector<std::uint64_t>{3}));
  EXPECT_EQ(day.rows(StreamFeed{kSpy}), 3u);  // the counts stay for the summary
  EXPECT_THROW(day.snapshot(StreamFeed{kSpy}), std::logic_error);  // a fragment is never committed as the day
}

}  // namespace
}  // namespace soi
