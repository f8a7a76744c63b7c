// Schema drift: the parser reports fields the contract does not know, optional
// fields that stopped arriving and fields whose JSON type changed. The tracker
// keeps a registry (first seen, count, one redacted example) persisted to
// <data_dir>/logs/errors/schema_drift.json, and raises ONE alert per source
// per trading day, so a drifted field on every record does not flood the log.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "utils/time_util.hpp"

namespace soi {

// What the parser noticed about a field, compared with the contract.
enum class DriftKind : std::uint8_t { unknown_field, missing_optional_field, type_changed };
std::string_view to_string(DriftKind kind);

struct DriftAlert {
  std::string source;
  std::string date;  // trading day, YYYY-MM-DD
  std::string field;
  DriftKind kind = DriftKind::unknown_field;
  std::string example;  // redacted, <= 200 bytes
  std::string message;  // one line for the error log
};

struct DriftEntry {
  std::string source;
  std::string field;
  DriftKind kind = DriftKind::unknown_field;
  std::int64_t first_seen_ms = 0;  // UTC
  std::uint64_t count = 0;
  std::string example;
  std::string last_date;  // trading day of the latest observation, YYYY-MM-DD
};

class SchemaDriftTracker {
 public:
  using AlertCallback = std::function<void(const DriftAlert&)>;
  static constexpr std::size_t kMaxExampleBytes = 200;

  // Loads an existing registry from <data_dir>/logs/errors/schema_drift.json
  // (first_seen and counts carry over between runs; an unreadable file is
  // moved aside to schema_drift.json.corrupt and the registry starts empty).
  explicit SchemaDriftTracker(std::string data_dir, AlertCallback on_alert = {});

  // Thread-safe. The common case (a drift already seen today) is one hash
  // lookup under a mutex with no allocation. The callback runs outside the lock.
  void observe(std::string_view source, Date date, std::string_view field, DriftKind kind, std::string_view example);

  // Atomically rewrites the registry file. Throws SoiError(storage).
  void flush() const;

  std::vector<DriftEntry> entries() const;  // sorted by source, field, kind
  std::uint64_t count(std::string_view source, std::string_view field, DriftKind kind) const;
  std::uint64_t alerts_raised() const;
  std::filesystem::path registry_path() const { return data_dir_ / "logs" / "errors" / "schema_drift.json"; }

 private:
  struct Key {
    std::string source;
    std::string field;
    DriftKind kind;
  };
  struct KeyView {
    std::string_view source;
    std::string_view field;
    DriftKind kind;
  };
  struct Entry {
    std::int64_t first_seen_ms = 0;
    std::uint64_t count = 0;
    std::string example;
    int last_day = 0;  // days since 1970-01-01 of the latest observation
  };
  // Transparent hash/equality: find() with a KeyView of string_views, no allocation.
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(const KeyView& k) const noexcept;
    std::size_t operator()(const Key& k) const noexcept { return (*this)(KeyView{k.source, k.field, k.kind}); }
  };
  struct KeyEq {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const noexcept {
      return a.kind == b.kind && std::string_view(a.field) == std::string_view(b.field) &&
             std::string_view(a.source) == std::string_view(b.source);
    }
  };
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };

  void load();

  std::filesystem::path data_dir_;
  AlertCallback on_alert_;
  mutable std::mutex mutex_;
  std::unordered_map<Key, Entry, KeyHash, KeyEq> entries_;
  // Per source: the last day an alert was raised.
  std::unordered_map<std::string, int, StringHash, std::equal_to<>> alerted_day_;
  std::uint64_t alerts_raised_ = 0;
};

}  // namespace soi
