// Historical backfill of one bar feed over a list of trading days:
// for each day, pull the session's pages, validate (rejects -> quarantine,
// drift -> registry), de-duplicate, and replace the day's partition in the
// sink; time the commit and record it in the manifest. A failed day is
// recorded and the run goes on; an auth failure stops the run (every later
// request would fail the same way), and so do sinks that cannot be opened
// (SinkSet::wait_open throws out of run()).
//
// Up to sources.max_days_in_flight days are fetched at once (OrderedDayPipeline),
// each on a worker with its own RestClient sharing the host's rate limiter;
// the days are committed one at a time, in date order, by the thread that
// called run(): sinks, manifest entries and progress see one thread and the
// order of a sequential run.
//
// The CPU-bound parts of a day (each page's parse, then de-duplication and
// encoding) run in turns (BackfillServices::cpu_turns), earliest day first:
// days then finish in the order they are committed in, rather than all at
// once at the end of a round of days in flight.
//
// Threads: a BackfillJob is driven by one thread (the committer). Worker
// threads run only the fetch half of a day, touching their slot's client and
// their turn's seat's parser, the day's own DeferredDrift (handed to the SchemaDriftTracker at
// commit, so it sees days in date order) and the thread-safe QuarantineWriter,
// ErrorSummary and loggers; never the manifest or the progress. Of the sinks,
// a worker calls only SinkSet::prepare (a bar day's Parquet file encoded on
// its thread, several days at once); the committer puts it in place.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/feed_registry.hpp"
#include "data_sources/aggregates_fetcher.hpp"
#include "data_sources/rest_client.hpp"
#include "orchestrator/worker_clients.hpp"
#include "monitoring/error_summary.hpp"
#include "monitoring/progress.hpp"
#include "processing/quarantine.hpp"
#include "processing/schema_drift.hpp"
#include "sinks/manifest.hpp"
#include "sinks/sink_set.hpp"
#include "utils/market_calendar.hpp"
#include "utils/ordered_turns.hpp"

namespace soi {

// What distinguishes one bar feed from another.
struct BarFeedSpec {
  std::string feed;    // folder under data/raw: spy, vix, options
  std::string ticker;  // SPY, I:VIX
  AggsShape shape = AggsShape::equity;
  int page_limit = 50000;
  bool adjusted = true;
  std::string sql_table;  // spy_bars, vix_bars (the FeedSpec's)
};

// A registry bar feed (DatasetKind::bars) as the job runs it, with the
// configuration's ticker, page size and adjustment.
BarFeedSpec bar_feed_spec(const FeedSpec& feed, const Config& config);

struct DayOutcome {
  Date date;
  bool ok = false;
  std::uint64_t rows = 0;
  std::uint64_t rejects = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t pages = 0;
  double fetch_seconds = 0;
  double commit_seconds = 0;
  std::string location;
  std::string error;           // the first failure, e.g. a sink that refused the partition
  std::string error_category;  // its category ("storage", ...)
};

struct BackfillSummary {
  std::string feed;
  std::vector<DayOutcome> days;
  std::uint64_t days_skipped = 0;  // not attempted after a fatal error
  bool stopped_on_auth = false;    // an auth failure stopped the run: later feeds must not start
  std::uint64_t rows() const;
  std::uint64_t rejects() const;
  std::uint64_t failed_days() const;
};

struct BackfillServices {
  const Config& config;
  RestClient& client;
  const MarketCalendar& calendar;
  SinkSet& sinks;
  RunManifest& manifest;
  QuarantineWriter& quarantine;
  SchemaDriftTracker& drift;
  ErrorSummary& errors;
  RunInfo run;
  // Feeds backfilled concurrently (backfill --source all): one lock held
  // around every sink write (the SinkSet and its sinks are written by one
  // thread at a time), and one flag an auth failure raises so that every feed
  // stops. nullptr: a feed alone.
  std::mutex* commit_lock = nullptr;
  std::atomic<bool>* auth_stop = nullptr;
  // Turns at the CPU for a bar day's parse, de-duplication and encoding, earliest
  // day first (OrderedTurns), shared by the bar feeds of a run because they
  // share the cores. nullptr: the job takes turns of its own (cpu_turn_count()).
  OrderedTurns* cpu_turns = nullptr;
};

// Turns for CPU-bound work: one per core, at most 4.
std::size_t cpu_turn_count();

// UTC window of the configured session (settings.session_start/end) on day d,
// narrowed by an exchange early close or late open.
BarWindow configured_session_window(const Config& config, const MarketCalendar& calendar, Date d);

class BackfillJob {
 public:
  // worker_client: one more RestClient for the feed's host, owned by the run
  // (see WorkerClients), called from the committing thread before the workers
  // start. Without it the job has its main client only: one day at a time.
  explicit BackfillJob(BackfillServices services, std::function<RestClient&()> worker_client = {});

  // Up to sources.max_days_in_flight days fetched at once, committed in date order.
  BackfillSummary run(const BarFeedSpec& feed, const std::vector<Date>& days, ProgressReporter* progress);

  // A day split in two: DayFetch runs on a worker thread (or the committer)
  // with the client of its slot and returns the day's DayCommit, which runs on
  // the committing thread in date order. Either may throw SoiError: the day fails.
  using DayCommit = std::function<DayOutcome()>;
  using DayFetch = std::function<DayCommit(Date, std::size_t slot)>;

  // The day loop every feed shares: up to max_in_flight days fetched at once
  // (the caller has prepared fetch_slots of per-slot state), committed in date order; a failed
  // day is recorded in the error summary and the run goes on; an auth failure
  // stops the run (the days not committed counted as skipped); progress is
  // reported after each day. summary.feed = feed. Committer thread.
  BackfillSummary run_days(std::string_view feed, const std::vector<Date>& days, ProgressReporter* progress,
                           std::size_t max_in_flight, const DayFetch& fetch);
  // One day after another, `day` doing both halves on the calling thread.
  BackfillSummary run_days(std::string_view feed, const std::vector<Date>& days, ProgressReporter* progress,
                           const std::function<DayOutcome(Date)>& day);

  // The client of a fetch slot (0: the job's own). Safe from the slot's thread
  // once run_days has prepared the slots.
  RestClient& client(std::size_t slot) { return clients_.at(slot); }
  // Fetch slots run_days(.., max_in_flight, ..) calls DayFetch with for `days` days:
  // [0, fetch_slots) (per-slot clients and parsers are prepared for them beforehand).
  static std::size_t fetch_slots(std::size_t max_in_flight, std::size_t days);

  // UTC window of the configured session on day d (early closes honoured).
  BarWindow session_window(Date d) const { return configured_session_window(s_.config, s_.calendar, d); }

  // Writes a partition to every sink: results into the manifest and the perf
  // log, slow commits as alerts, sink failures into the error summary. Returns
  // false when any sink failed (the day then counts as failed: a rerun repairs it).
  // Shared by every feed's job. prepared: the first sink's half of this
  // partition's write, done ahead on the fetching thread (SinkSet::prepare).
  template <typename Partition>
  bool commit(const Partition& partition, std::string_view feed, const ErrorContext& context, DayOutcome& out,
              SinkSet::Prepared prepared = {});

 private:
  // Worker half: the day's pages, validated and de-duplicated; returns its commit.
  DayCommit fetch_day(const BarFeedSpec& feed, Date d, RestClient& client, const SeatedAggsParsers& parsers);

  BackfillServices s_;
  WorkerClients clients_;
  std::unique_ptr<OrderedTurns> own_turns_;  // when the services bring none
};

}  // namespace soi
