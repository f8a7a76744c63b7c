// Historical backfill of ticker news (/v2/reference/news) over a date range:
// one paged stream per configured ticker over the whole range, pulled in
// lockstep (always the stream that is furthest behind), so a New York date is
// committed as soon as every stream has moved past it and memory holds only
// the articles of dates not yet committed. Articles are filtered for
// relevance, de-duplicated on id (an article tagged with several configured
// tickers arrives once per ticker) and written as one partition per New York
// date of publication; a date without articles gets an empty partition, so a
// rerun replaces it.
#pragma once

#include <vector>

#include "orchestrator/backfill_job.hpp"

namespace soi {

class NewsBackfillJob {
 public:
  explicit NewsBackfillJob(BackfillServices services);

  // News for every New York CALENDAR date from the first to the last date of
  // `days` (weekends included: news is published every day), fetched per
  // configured ticker over [first 00:00 NY, day after last 00:00 NY), filtered,
  // de-duplicated on id, one partition per NY date. summary.feed = "news"; one
  // DayOutcome per calendar date (rows = articles stored); an auth failure
  // stops the run (the dates not reached count as days_skipped); other
  // failures fail the affected dates and the run goes on.
  BackfillSummary run(const std::vector<Date>& days, ProgressReporter* progress);

 private:
  BackfillServices s_;
};

}  // namespace soi
