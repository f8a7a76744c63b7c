#include "processing/late_data.hpp"

#include "utils/error.hpp"
#include "utils/market_calendar.hpp"

namespace soi {

LateDataPolicy::LateDataPolicy(const LateDataConfig& config, IngestMode mode, const MarketCalendar* calendar)
    : config_(config), calendar_(calendar) {
  if (config_.streaming_policy != "reject" && config_.streaming_policy != "accept")
    throw SoiError(ErrorCategory::config,
                   "settings.late_data.streaming_policy must be reject|accept, got '" + config_.streaming_policy + "'");
  if (config_.max_lateness_days < 0)
    throw SoiError(ErrorCategory::config, "settings.late_data.max_lateness_days must be >= 0, got " +
                                              std::to_string(config_.max_lateness_days));
  enforced_ = mode == IngestMode::streaming && config_.streaming_policy == "reject";
}

Date LateDataPolicy::oldest_on_time_day(Date today_ny) const {
  const int n = config_.max_lateness_days;
  if (n == 0) return today_ny;
  if (calendar_) return calendar_->last_trading_days(today_ny, n).front();
  return add_days(today_ny, -n);
}

std::int64_t LateDataPolicy::cutoff_ms(Date today_ny) const {
  const int day = static_cast<int>(to_sys(today_ny).time_since_epoch().count());
  std::lock_guard lock(cache_mutex_);
  if (!cache_valid_ || cached_day_ != day) {
    cached_cutoff_ms_ = ny_wall_to_utc_ms(oldest_on_time_day(today_ny), 0);
    cached_day_ = day;
    cache_valid_ = true;
  }
  return cached_cutoff_ms_;
}

LateDataPolicy::Verdict LateDataPolicy::check(std::int64_t bar_ts_ms, Date today_ny) const {
  if (!enforced_ || bar_ts_ms >= cutoff_ms(today_ny)) return {};
  const Date record_day = ny_date_of_utc_ms(bar_ts_ms);
  std::string reason = "late_data: record from " + format_date(record_day) + " is older than ";
  if (config_.max_lateness_days > 0)
    reason += "the oldest on-time day " + format_date(oldest_on_time_day(today_ny)) + " for ";
  reason += "the current trading day " + format_date(today_ny) +
            " (late_data.max_lateness_days=" + std::to_string(config_.max_lateness_days) + ")";
  return {false, std::move(reason)};
}

}  // namespace soi
