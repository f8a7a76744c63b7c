#include "processing/schema_drift.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <optional>
#include <tuple>

#include "utils/durable_file.hpp"
#include "utils/error.hpp"
#include "utils/json_text.hpp"
#include "utils/redact.hpp"
#include "utils/utf8.hpp"

namespace soi {
namespace {

int day_number(Date d) { return static_cast<int>(to_sys(d).time_since_epoch().count()); }

std::optional<DriftKind> parse_kind(std::string_view s) {
  for (DriftKind k : {DriftKind::unknown_field, DriftKind::missing_optional_field, DriftKind::type_changed})
    if (to_string(k) == s) return k;
  return std::nullopt;
}

// Redact before cutting: a secret cut in half would no longer match.
std::string clean_example(std::string_view example) {
  const std::string redacted = valid_utf8(redact(example));
  return std::string(utf8_prefix(redacted, SchemaDriftTracker::kMaxExampleBytes));
}

}  // namespace

std::string_view to_string(DriftKind kind) {
  switch (kind) {
    case DriftKind::unknown_field:
      return "unknown_field";
    case DriftKind::missing_optional_field:
      return "missing_optional_field";
    case DriftKind::type_changed:
      return "type_changed";
  }
  return "unknown_field";
}

std::size_t SchemaDriftTracker::KeyHash::operator()(const KeyView& k) const noexcept {
  const std::size_t h = std::hash<std::string_view>{}(k.source);
  const std::size_t f = std::hash<std::string_view>{}(k.field);
  return (h * 0x9E3779B97F4A7C15ULL) ^ (f + (static_cast<std::size_t>(k.kind) + 1) * 0x632BE59BD9B4E019ULL);
}

SchemaDriftTracker::SchemaDriftTracker(std::string data_dir, AlertCallback on_alert)
    : data_dir_(std::move(data_dir)), on_alert_(std::move(on_alert)) {
  load();
}

void SchemaDriftTracker::observe(std::string_view source, Date date, std::string_view field, DriftKind kind,
                                 std::string_view example) {
  const int day = day_number(date);
  std::optional<DriftAlert> alert;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(KeyView{source, field, kind});
    if (it != entries_.end() && it->second.last_day == day) {  // hot path: known drift, already seen today
      ++it->second.count;
      return;
    }
    if (it == entries_.end()) {
      Entry entry;
      entry.first_seen_ms = now_utc_ms();
      entry.example = clean_example(example);
      it = entries_.emplace(Key{std::string(source), std::string(field), kind}, std::move(entry)).first;
    }
    ++it->second.count;
    it->second.last_day = std::max(it->second.last_day, day);

    auto seen = alerted_day_.find(source);
    if (seen == alerted_day_.end()) seen = alerted_day_.emplace(std::string(source), day - 1).first;
    if (seen->second < day) {
      seen->second = day;
      ++alerts_raised_;
      alert.emplace();
      alert->source = std::string(source);
      alert->date = format_date(date);
      alert->field = redact(field);
      alert->kind = kind;
      alert->example = it->second.example;
      alert->message = fmt::format(
          "schema drift in {} on {}: {} '{}' (example: {}); further drift for {} that day is only counted in {}",
          alert->source, alert->date, to_string(kind), alert->field, alert->example, alert->source,
          registry_path().string());
    }
  }
  if (alert && on_alert_) on_alert_(*alert);
}

std::vector<DriftEntry> SchemaDriftTracker::entries() const {
  std::vector<DriftEntry> out;
  {
    std::lock_guard lock(mutex_);
    out.reserve(entries_.size());
    for (const auto& [key, e] : entries_) {
      out.push_back(DriftEntry{key.source, key.field, key.kind, e.first_seen_ms, e.count, e.example,
                               format_date(Date{date::sys_days{date::days{e.last_day}}})});
    }
  }
  std::sort(out.begin(), out.end(), [](const DriftEntry& a, const DriftEntry& b) {
    return std::tie(a.source, a.field, a.kind) < std::tie(b.source, b.field, b.kind);
  });
  return out;
}

std::uint64_t SchemaDriftTracker::count(std::string_view source, std::string_view field, DriftKind kind) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(KeyView{source, field, kind});
  return it == entries_.end() ? 0 : it->second.count;
}

std::uint64_t SchemaDriftTracker::alerts_raised() const {
  std::lock_guard lock(mutex_);
  return alerts_raised_;
}

void SchemaDriftTracker::flush() const {
  const std::vector<DriftEntry> list = entries();
  std::vector<std::pair<std::string, int>> alerted;
  {
    std::lock_guard lock(mutex_);
    alerted.assign(alerted_day_.begin(), alerted_day_.end());
  }
  std::sort(alerted.begin(), alerted.end());
  std::string out = "{\n  \"updated_at\": " + json_quote(format_utc_iso_ms(now_utc_ms())) + ",\n  \"entries\": [";
  for (std::size_t i = 0; i < list.size(); ++i) {
    const DriftEntry& e = list[i];
    out += fmt::format(
        "{}\n    {{\"source\": {}, \"field\": {}, \"kind\": {}, \"first_seen\": {}, \"last_date\": {}, "
        "\"count\": {}, \"example\": {}}}",
        i ? "," : "", json_quote(valid_utf8(e.source)), json_quote(valid_utf8(redact(e.field))),
        json_quote(to_string(e.kind)), json_quote(format_utc_iso_ms(e.first_seen_ms)), json_quote(e.last_date), e.count,
        json_quote(e.example));
  }
  out += list.empty() ? "],\n  \"last_alert\": {" : "\n  ],\n  \"last_alert\": {";
  for (std::size_t i = 0; i < alerted.size(); ++i) {
    out += fmt::format("{}\n    {}: {}", i ? "," : "", json_quote(valid_utf8(alerted[i].first)),
                       json_quote(format_date(Date{date::sys_days{date::days{alerted[i].second}}})));
  }
  out += alerted.empty() ? "}\n}\n" : "\n  }\n}\n";
  const auto path = registry_path();
  create_directories_or_throw(path.parent_path());
  write_file_atomically(path.string(), out);
}

void SchemaDriftTracker::load() {
  const auto path = registry_path();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return;
  try {
    simdjson::dom::parser parser;
    simdjson::dom::element doc = parser.load(path.string());
    for (simdjson::dom::element item : doc["entries"].get_array()) {
      const auto kind = parse_kind(std::string_view(item["kind"]));
      const auto date = parse_date(std::string_view(item["last_date"]));
      const auto first = parse_rfc3339_ms(std::string_view(item["first_seen"]));
      if (!kind || !date || !first) throw std::runtime_error("bad entry");
      Entry e{*first, std::uint64_t(item["count"]), std::string(std::string_view(item["example"])), day_number(*date)};
      entries_[Key{std::string(std::string_view(item["source"])), std::string(std::string_view(item["field"])),
                   *kind}] = std::move(e);
    }
    for (auto [source, value] : doc["last_alert"].get_object()) {
      const auto date = parse_date(std::string_view(value));
      if (!date) throw std::runtime_error("bad last_alert");
      alerted_day_[std::string(source)] = day_number(*date);
    }
  } catch (const std::exception&) {
    // Keep the unreadable file for inspection instead of overwriting it on flush().
    entries_.clear();
    alerted_day_.clear();
    std::filesystem::rename(path, path.string() + ".corrupt", ec);
  }
}

}  // namespace soi
