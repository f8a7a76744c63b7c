// Late data: while streaming, a record for a trading day older than the
// current one (beyond late_data.max_lateness_days) would rewrite a partition
// that a backfill already closed, so the default policy rejects it; the caller
// quarantines rejected records. Backfill is exempt: re-fetching old days is
// its whole purpose.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

#include "config/config.hpp"
#include "utils/time_util.hpp"

namespace soi {

class MarketCalendar;

enum class IngestMode { backfill, streaming };

class LateDataPolicy {
 public:
  struct Verdict {
    bool accepted = true;
    std::string reason;  // empty when accepted; "late_data: record from ..." when rejected
    explicit operator bool() const { return accepted; }
  };

  // Throws SoiError(config) for a policy other than reject|accept or a negative
  // max_lateness_days. With a calendar, lateness counts trading days (Friday is
  // 1 day late on Monday); without one, calendar days. The calendar must
  // outlive the policy.
  LateDataPolicy(const LateDataConfig& config, IngestMode mode, const MarketCalendar* calendar = nullptr);

  // Thread-safe. Records at or after New York midnight of the oldest on-time
  // day are accepted without any date conversion (the streaming hot path).
  // Records from the future are not late and are accepted.
  Verdict check(std::int64_t bar_ts_ms, Date today_ny) const;

  // The oldest trading day still on time when today is `today_ny`.
  Date oldest_on_time_day(Date today_ny) const;

  bool enforced() const { return enforced_; }

 private:
  std::int64_t cutoff_ms(Date today_ny) const;

  LateDataConfig config_;
  bool enforced_ = false;
  const MarketCalendar* calendar_;
  mutable std::mutex cache_mutex_;  // the cutoff changes once a day: cache it
  mutable int cached_day_ = 0;
  mutable bool cache_valid_ = false;
  mutable std::int64_t cached_cutoff_ms_ = 0;
};

}  // namespace soi
