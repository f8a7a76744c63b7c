#include "orchestrator/options_backfill.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <exception>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "config/feed_registry.hpp"
#include "data_sources/parsed_get.hpp"
#include "monitoring/logging.hpp"
#include "processing/dedup.hpp"

namespace soi {
namespace {

// The registry's options feed and its universe's folder (the job is handed
// the feed's SQL table only: its constructor is shared with the stream).
const FeedSpec& options_feed() { return default_feed_registry().first_of(DatasetKind::option_bars); }
const std::string& options_feed_name() { return options_feed().name; }
const std::string& contracts_name() { return options_feed().companion->name; }
constexpr std::int64_t kFirstBarWindowMs = 5 * 60 * 1000;  // the open is looked for in the first 5 minutes
constexpr int kFirstBarPageLimit = 10;
constexpr int kMaxContractPages = 10000;  // a next_url loop must end


// Per contract: what its fetch produced (each worker writes only its own slots).
struct ContractFetch {
  std::uint64_t rejects = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t pages = 0;
};

// The first failure of the worker pool; an auth failure wins over any other
// (it stops the whole run, not just the day).
class FirstError {
 public:
  void set(std::exception_ptr error, bool auth) {
    std::lock_guard lock(mutex_);
    if (!error_ || (auth && !auth_)) {
      error_ = std::move(error);
      auth_ = auth;
    }
  }
  void rethrow_if_any() {
    std::lock_guard lock(mutex_);
    if (error_) std::rethrow_exception(error_);
  }

 private:
  std::mutex mutex_;
  std::exception_ptr error_;
  bool auth_ = false;
};

}  // namespace

OptionsBackfillJob::OptionsBackfillJob(BackfillServices services, std::function<RestClient&()> worker_client,
                                       std::string bars_sql_table)
    : s_(services), job_(services), has_workers_(static_cast<bool>(worker_client)),
      clients_(services.client, std::move(worker_client)), bars_sql_table_(std::move(bars_sql_table)) {}

std::size_t OptionsBackfillJob::contract_workers() const {
  return has_workers_ ? static_cast<std::size_t>(std::max(1, s_.config.sources.options.max_in_flight)) : 1;
}

RestClient& OptionsBackfillJob::worker(std::size_t slot, std::size_t w) {
  return clients_.at(slot * contract_workers() + w + 1);
}

BackfillSummary OptionsBackfillJob::run(const std::vector<Date>& days, ProgressReporter* progress) {
  universes_.clear();
  const auto& o = s_.config.sources.options;
  // Tracked contracts are read from the committed partitions: with them, one day at a time.
  // Otherwise half of max_days_in_flight: a day has contract_workers() requests
  // in flight, not one, and holds ~90,000 bars. Measured on a year at 150 ms
  // latency, 4 days of 4 contracts kept the pace of 8 days with 85 MiB less
  // memory; 2 days fell behind.
  const std::size_t max_days = static_cast<std::size_t>(std::max(1, s_.config.sources.max_days_in_flight));
  const std::size_t in_flight =
      has_workers_ && !tracked_ ? (max_days + 1) / 2 : 1;
  const std::size_t slots = BackfillJob::fetch_slots(in_flight, days.size());
  clients_.prepare(slots * contract_workers() + 1);  // here: the factory is the committer's to call
  std::deque<SlotParsers> parsers(slots);  // a deque: parsers never move
  exec_log().info(
      "backfill options ({} +/-{}% of the open, expiry_selection={}): {} trading day(s), up to {} in flight, run {}",
      o.underlying, o.strike_range_pct, o.expiry_selection, days.size(), in_flight, s_.run.run_id);
  return job_.run_days(options_feed_name(), days, progress, in_flight,
                       [&](Date d, std::size_t slot) { return fetch_day(d, slot, parsers[slot]); });
}

OptionsBackfillJob::Open OptionsBackfillJob::resolve_open(Date d, const BarWindow& session, RestClient& client,
                                                          AggsParser& first_bar_parser) {
  const auto& o = s_.config.sources.options;
  const std::string date_text = format_date(d);
  ErrorContext context{options_feed_name(), o.underlying, date_text, ""};
  std::string why;
  try {
    const HttpResponse r =
        client.get(fmt::format("/v1/open-close/{}/{}?adjusted=true", o.underlying, date_text), context);
    if (const auto open = parse_open_close_open(r.body)) return Open{*open, OpenSource::open_close};
    why = "the answer carries no usable open";
  } catch (const SoiError& e) {
    // A bad key (401) stops the run; a 403 (plan without open-close, or today's
    // figures asked before the close) only makes the official open unavailable.
    if (e.category() == ErrorCategory::auth && e.http_status() != 403) throw;
    why = e.message();
  }
  exec_log().info("options {}: official open of {} unavailable ({}); using the first session bar", date_text,
                  o.underlying, why);

  AggregatesRequest request;
  request.ticker = o.underlying;
  request.window = BarWindow{session.from_ms, std::min(session.to_ms, session.from_ms + kFirstBarWindowMs), 1000};
  request.page_limit = kFirstBarPageLimit;
  request.adjusted = true;
  request.shape = AggsShape::equity;
  AggregatesPageStream stream(client, first_bar_parser, request, context, s_.config.retry.max_attempts);
  AggsPage page;
  while (stream.next(page)) {
    if (page.bars.empty()) continue;
    const auto first = std::min_element(page.bars.begin(), page.bars.end(),
                                        [](const Bar& a, const Bar& b) { return a.ts_ms < b.ts_ms; });
    return Open{first->open, OpenSource::first_bar};
  }
  throw SoiError(ErrorCategory::validation,
                 fmt::format("no opening price for {}: open-close unavailable ({}) and no {} bar in the first 5 "
                             "minutes of the session",
                             o.underlying, why, o.underlying),
                 context);
}

std::vector<OptionContract> OptionsBackfillJob::list_contracts(Date d, const StrikeBand& band, DayOutcome& out,
                                                               RestClient& client, ContractsParser& parser,
                                                               DeferredDrift* deferred) {
  const auto& o = s_.config.sources.options;
  ErrorContext context{options_feed_name(), o.underlying, format_date(d), ""};
  std::vector<OptionContract> listed;
  ContractsPage page;
  std::string next = contracts_path(o, d, band);
  for (int pages = 0; !next.empty(); ++pages) {
    if (pages >= kMaxContractPages)
      throw SoiError(ErrorCategory::server,
                     fmt::format("options contracts listing did not end after {} pages", kMaxContractPages), context);
    const HttpResponse response = get_parsed(client, next, context, s_.config.retry.max_attempts,
                                             [&](const std::string& body) {
                                               page.clear();
                                               parser.parse(body, page);
                                             });
    for (const auto& reject : page.rejects) {
      s_.quarantine.add(contracts_name(), d, o.underlying, reject.reason, reject.raw_json, response.url);
      ++out.rejects;
    }
    for (const auto& drift : page.drift) {
      if (deferred) deferred->add(contracts_name(), d, drift.field, drift.kind, drift.example);
      else s_.drift.observe(contracts_name(), d, drift.field, drift.kind, drift.example);
    }
    listed.insert(listed.end(), std::make_move_iterator(page.contracts.begin()),
                  std::make_move_iterator(page.contracts.end()));
    next = page.next_url;
  }
  return listed;
}

OptionsUniverse OptionsBackfillJob::discover_universe(Date d, std::optional<Centre> centre, DayOutcome& out) {
  const auto& o = s_.config.sources.options;
  Open open;
  if (centre) open = Open{centre->price, centre->source};
  else open = resolve_open(d, job_.session_window(d), s_.client, stream_parsers_.first_bar);
  const StrikeBand band = strike_band(open.price, o.strike_range_pct);
  return select_universe(list_contracts(d, band, out, s_.client, stream_parsers_.contracts, nullptr), o, d,
                         open.price, open.source);
}

std::vector<BarDay> OptionsBackfillJob::fetch_bars(const OptionsUniverse& universe, const BarWindow& session,
                                                   DayOutcome& out, std::size_t slot, DeferredDrift& drift_seen) {
  const auto& o = s_.config.sources.options;
  const std::size_t n = universe.contracts.size();
  std::vector<BarDay> days(n);
  std::vector<ContractFetch> fetched(n);
  if (n == 0) return {};
  const std::string date_text = format_date(universe.date);
  const int max_attempts = s_.config.retry.max_attempts;
  // Without a worker callback there is only the main client: one worker (a client is one thread's).
  const std::size_t workers = std::min(n, contract_workers());
  std::vector<RestClient*> clients;
  for (std::size_t w = 0; w < workers; ++w) clients.push_back(&worker(slot, w));  // prepared by run()

  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  FirstError first_error;
  auto work = [&](RestClient& client) {
    AggsParser parser(AggsShape::equity);
    AggsPage page;
    while (!stop.load(std::memory_order_relaxed)) {
      const std::size_t i = next.fetch_add(1);
      if (i >= n) return;
      const OptionContract& contract = universe.contracts[i];
      try {
        AggregatesRequest request;
        request.ticker = contract.ticker;
        request.window = session;
        request.page_limit = o.page_limit;
        request.adjusted = true;
        request.shape = AggsShape::equity;
        const ErrorContext context{options_feed_name(), contract.ticker, date_text, ""};
        AggregatesPageStream stream(client, parser, request, context, max_attempts);
        BarDay& day = days[i];
        day.feed = options_feed_name();
        day.ticker = contract.ticker;
        day.date = universe.date;
        day.origin = Origin::rest;
        day.contract = contract;
        while (stream.next(page)) {
          day.bars.insert(day.bars.end(), page.bars.begin(), page.bars.end());
          // QuarantineWriter and DeferredDrift are thread-safe.
          for (const auto& reject : page.rejects) {
            s_.quarantine.add(options_feed_name(), universe.date, contract.ticker, reject.reason, reject.raw_json, "");
            ++fetched[i].rejects;
          }
          for (const auto& drift : page.drift)
            drift_seen.add(options_feed_name(), universe.date, drift.field, drift.kind, drift.example);
        }
        fetched[i].pages = stream.pages();
        fetched[i].duplicates = dedup_keep_last(day.bars);
      } catch (const SoiError& e) {
        first_error.set(std::current_exception(), e.category() == ErrorCategory::auth);
        stop = true;
        return;
      } catch (...) {
        first_error.set(std::current_exception(), false);
        stop = true;
        return;
      }
    }
  };

  std::vector<std::thread> threads;
  threads.reserve(workers - 1);
  try {
    for (std::size_t w = 1; w < workers; ++w) threads.emplace_back(work, std::ref(*clients[w]));
  } catch (...) {
    first_error.set(std::current_exception(), false);
    stop = true;
  }
  work(*clients[0]);  // the coordinating thread is worker 0
  for (auto& t : threads) t.join();
  try {
    first_error.rethrow_if_any();
  } catch (const SoiError&) {
    throw;
  } catch (const std::exception& e) {
    // bad_alloc, thread creation failure...: still a recorded day failure, never an escape past the run.
    throw SoiError(ErrorCategory::storage, std::string("options download failed: ") + e.what(),
                   ErrorContext{options_feed_name(), universe.underlying, format_date(universe.date), ""});
  }

  std::vector<BarDay> traded;
  for (std::size_t i = 0; i < n; ++i) {
    out.rejects += fetched[i].rejects;
    out.duplicates += fetched[i].duplicates;
    out.pages += fetched[i].pages;
    if (!days[i].bars.empty()) traded.push_back(std::move(days[i]));  // no trades, no bars: nothing invented
  }
  return traded;  // universe.contracts is sorted by ticker, so is this
}

void OptionsBackfillJob::add_tracked(OptionsUniverse& universe, const ErrorContext& context) {
  std::vector<OptionContract> tracked;
  try {
    tracked = tracked_(universe.date);
  } catch (const SoiError& e) {
    // Replacing the day without them would drop their bars: the day fails, its partitions stay.
    throw SoiError(e.category(), "cannot read the day's tracked contracts (kept by --keep-tracked-contracts): " +
                                     e.message(), context);
  }
  std::erase_if(tracked, [&](const OptionContract& c) { return c.underlying != universe.underlying; });
  const std::size_t added = add_contracts(universe, std::move(tracked)).size();
  if (added)
    exec_log().info("options {}: {} contract(s) the day already tracks kept beside the band around the open",
                    format_date(universe.date), added);
}

BackfillJob::DayCommit OptionsBackfillJob::fetch_day(Date d, std::size_t slot, SlotParsers& parsers) {
  const auto& o = s_.config.sources.options;
  struct Fetched {
    DayOutcome out;
    OptionsUniverse universe;
    std::vector<BarDay> traded;
    ErrorContext context;
    BarWindow session;
    DeferredDrift drift;  // observed at commit: the tracker sees days in date order
  };
  auto f = std::make_shared<Fetched>();
  f->out.date = d;
  f->context = ErrorContext{options_feed_name(), o.underlying, format_date(d), ""};
  const auto fetch_start = std::chrono::steady_clock::now();
  f->session = job_.session_window(d);

  RestClient& client = worker(slot, 0);
  const Open open = resolve_open(d, f->session, client, parsers.first_bar);
  const StrikeBand band = strike_band(open.price, o.strike_range_pct);
  const std::vector<OptionContract> listed = list_contracts(d, band, f->out, client, parsers.contracts, &f->drift);
  f->universe = select_universe(listed, o, d, open.price, open.source);
  if (tracked_) add_tracked(f->universe, f->context);

  // Every bar is fetched before anything is stored: a day that fails midway
  // leaves the previous universe and bars of that day together, untouched.
  f->traded = fetch_bars(f->universe, f->session, f->out, slot, f->drift);
  f->out.fetch_seconds = seconds_since(fetch_start);
  if (f->out.rejects)
    s_.errors.record(ErrorCategory::validation,
                     std::to_string(f->out.rejects) + " record(s) failed validation and were quarantined", f->context);

  // Committer thread, in date order.
  return [this, f] {
    DayOutcome& out = f->out;
    const OptionsUniverse& universe = f->universe;
    const Date d = universe.date;
    f->drift.replay(s_.drift);
    // The universe is stored first: the bars of the day refer to it.
    DayOutcome contracts_out;
    const bool contracts_ok = job_.commit(ContractsPartition{d, universe}, contracts_name(), f->context, contracts_out);
    const bool bars_ok = job_.commit(BarPartition{options_feed_name(), d, std::span<const BarDay>(f->traded),
                                                  f->session.from_ms, f->session.to_ms, bars_sql_table_,
                                                  &option_bars_dataset()},
                                     options_feed_name(), f->context, out);
    out.commit_seconds += contracts_out.commit_seconds;
    if (!contracts_ok && out.error.empty()) out.error = contracts_out.error;
    out.ok = contracts_ok && bars_ok;
    std::set<date::sys_days> expirations;
    for (const auto& c : universe.contracts) expirations.insert(to_sys(c.expiration));
    exec_log().info(
        "options {}: open {:.2f} ({}), band +/-{}% [{:.2f}, {:.2f}], {} contracts on {} expiration(s), {} traded, "
        "{} bars, {} pages, {} quarantined, {} duplicates replaced -> {}",
        f->context.date, universe.open, to_string(universe.open_source), universe.band_pct, universe.strike_low,
        universe.strike_high, universe.contracts.size(), expirations.size(), f->traded.size(), out.rows, out.pages,
        out.rejects, out.duplicates, out.location);
    universes_.push_back(universe);
    return out;
  };
}

}  // namespace soi
