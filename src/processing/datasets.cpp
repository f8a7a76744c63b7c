// The four stored datasets: their columns and how each row is read from the records.
#include <algorithm>
#include <array>
#include <cctype>
#include <optional>

#include "processing/dataset.hpp"
#include "utils/ascii.hpp"

namespace soi {
namespace {

// ingested_at, run_id: the stamp every dataset ends its constants with.
void write_stamp(RowWriter& out, const WriteStamp& stamp) {
  out.timestamp_ms(stamp.ingested_at_ms);
  out.text(stamp.run_id);
}

void optional_text(RowWriter& out, std::string_view value) {
  if (value.empty()) out.null();
  else out.text(value);
}

// ---- bars and option_bars -------------------------------------------------------

std::vector<Column> bar_columns(bool with_contract) {
  std::vector<Column> c = {
      {"date", LogicalType::date, false, kRoleDate},
      {"ticker", LogicalType::text, false, kRoleRow},
      {"ts", LogicalType::timestamp_ms, false, kRoleRow},
      {"open", LogicalType::float64, false, kRoleRow},
      {"high", LogicalType::float64, false, kRoleRow},
      {"low", LogicalType::float64, false, kRoleRow},
      {"close", LogicalType::float64, false, kRoleRow},
      {"volume", LogicalType::float64, true, kRoleRow},   // NULL: the wire did not carry it (indices)
      {"vwap", LogicalType::float64, true, kRoleRow},
      {"transactions", LogicalType::int64, true, kRoleRow},
      {"ingested_at", LogicalType::timestamp_ms, false, kRoleConstant},
      {"run_id", LogicalType::text, false, kRoleConstant},
      {"origin", LogicalType::text, false, kRoleRow},
  };
  if (with_contract) {
    c.push_back({"underlying", LogicalType::text, true, kRoleRow});
    c.push_back({"contract_type", LogicalType::text, true, kRoleRow});
    c.push_back({"strike", LogicalType::float64, true, kRoleRow});
    c.push_back({"expiration", LogicalType::date, true, kRoleRow});
  }
  return c;
}

// Emission order of a partition's BarDays: by ticker (stable). `sorted` tells
// whether the rows then come out in (ticker, ts) order, the usual case since each
// BarDay's bars are sorted by ts.
struct BarOrder {
  std::vector<std::uint32_t> order;
  bool sorted = true;
};

BarOrder bar_order(std::span<const BarDay> days) {
  BarOrder out;
  out.order.resize(days.size());
  for (std::uint32_t i = 0; i < out.order.size(); ++i) out.order[i] = i;
  std::stable_sort(out.order.begin(), out.order.end(),
                   [&](std::uint32_t a, std::uint32_t b) { return days[a].ticker < days[b].ticker; });
  const BarDay* prev = nullptr;
  for (std::uint32_t i : out.order) {
    const auto& bars = days[i].bars;
    if (bars.empty()) continue;
    if (prev && prev->ticker == days[i].ticker && prev->bars.back().ts_ms > bars.front().ts_ms) out.sorted = false;
    for (std::size_t k = 1; k < bars.size() && out.sorted; ++k)
      if (bars[k].ts_ms < bars[k - 1].ts_ms) out.sorted = false;
    prev = &days[i];
  }
  return out;
}

class BarCursor : public RowCursor {
 public:
  BarCursor(const Partition& p, const WriteStamp& stamp, std::uint8_t roles, bool with_contract)
      : p_(p), stamp_(stamp), roles_(roles), with_contract_(with_contract), order_(bar_order(p.bars).order) {}

  bool write_next(RowWriter& out) override {
    while (bar_ == end_)
      if (!next_day()) return false;
    const Bar& b = *bar_++;
    const BarDay& d = *day_;
    if (roles_ & kRoleDate) out.date(p_.date);
    if (roles_ & kRoleRow) {
      out.text(d.ticker);
      out.timestamp_ms(b.ts_ms);
      out.float64(b.open);
      out.float64(b.high);
      out.float64(b.low);
      out.float64(b.close);
      if (b.fields == kBarFullFields) [[likely]] {
        out.float64(b.volume);
        out.float64(b.vwap);
        out.int64(b.transactions);
      } else {
        if (b.fields & kBarHasVolume) out.float64(b.volume); else out.null();
        if (b.fields & kBarHasVwap) out.float64(b.vwap); else out.null();
        if (b.fields & kBarHasTransactions) out.int64(b.transactions); else out.null();
      }
    }
    if (roles_ & kRoleConstant) write_stamp(out, stamp_);
    if (roles_ & kRoleRow) {
      out.text(origin_);
      if (with_contract_) {
        if (d.contract) {
          out.text(d.contract->underlying);
          out.text(to_string(d.contract->type));
          out.float64(d.contract->strike);
          out.date(d.contract->expiration);
        } else {
          for (int i = 0; i < 4; ++i) out.null();
        }
      }
    }
    out.end_row();
    return true;
  }

 private:
  // Moves to the next BarDay in ticker order; false when there is none.
  bool next_day() {
    if (next_ >= order_.size()) return false;
    day_ = &p_.bars[order_[next_++]];
    bar_ = day_->bars.data();
    end_ = bar_ + day_->bars.size();
    origin_ = to_string(day_->origin);
    return true;
  }

  const Partition& p_;
  WriteStamp stamp_;
  std::uint8_t roles_;
  bool with_contract_;
  std::vector<std::uint32_t> order_;
  std::size_t next_ = 0;
  const BarDay* day_ = nullptr;
  const Bar* bar_ = nullptr;
  const Bar* end_ = nullptr;
  std::string_view origin_;
};

class BarsDataset : public Dataset {
 public:
  explicit BarsDataset(bool with_contract) : with_contract_(with_contract) {}
  std::string_view name() const override { return with_contract_ ? "option_bars" : "bars"; }
  std::vector<Column> columns(const Partition&) const override { return bar_columns(with_contract_); }
  std::vector<std::string> key() const override { return {"ticker", "ts"}; }
  std::vector<std::string> sort_order() const override { return {"ticker", "ts"}; }
  std::uint64_t row_count(const Partition& p) const override {
    std::uint64_t n = 0;
    for (const BarDay& d : p.bars) n += d.bars.size();
    return n;
  }
  std::unique_ptr<RowCursor> rows(const Partition& p, const WriteStamp& stamp, std::uint8_t roles) const override {
    return std::make_unique<BarCursor>(p, stamp, roles, with_contract_);
  }
  bool emits_sorted(const Partition& p) const override { return bar_order(p.bars).sorted; }
  void write_constants(const Partition&, const WriteStamp& stamp, RowWriter& out) const override {
    write_stamp(out, stamp);
  }

 private:
  bool with_contract_;
};

// ---- options_contracts ------------------------------------------------------------

class ContractsCursor : public RowCursor {
 public:
  ContractsCursor(const Partition& p, const WriteStamp& stamp, std::uint8_t roles, const Dataset& dataset)
      : p_(p), stamp_(stamp), roles_(roles), dataset_(dataset) {}

  bool write_next(RowWriter& out) override {
    if (!p_.universe || next_ >= p_.universe->contracts.size()) return false;
    const OptionsUniverse& u = *p_.universe;
    const OptionContract& c = u.contracts[next_++];
    if (roles_ & kRoleDate) out.date(p_.date);
    if (roles_ & kRoleRow) {
      out.text(c.ticker);
      out.text(c.underlying.empty() ? std::string_view(u.underlying) : std::string_view(c.underlying));
      out.text(to_string(c.type));
      out.float64(c.strike);
      out.date(c.expiration);
      optional_text(out, c.exercise_style);
      out.int64(c.shares_per_contract);
    }
    if (roles_ & kRoleConstant) dataset_.write_constants(p_, stamp_, out);
    out.end_row();
    return true;
  }

 private:
  const Partition& p_;
  WriteStamp stamp_;
  std::uint8_t roles_;
  const Dataset& dataset_;
  std::size_t next_ = 0;
};

class ContractsDataset : public Dataset {
 public:
  std::string_view name() const override { return "options_contracts"; }
  std::vector<Column> columns(const Partition&) const override {
    return {
        {"date", LogicalType::date, false, kRoleDate},
        {"ticker", LogicalType::text, false, kRoleRow},
        {"underlying", LogicalType::text, false, kRoleRow},
        {"contract_type", LogicalType::text, false, kRoleRow},
        {"strike", LogicalType::float64, false, kRoleRow},
        {"expiration", LogicalType::date, false, kRoleRow},
        {"exercise_style", LogicalType::text, true, kRoleRow},
        {"shares_per_contract", LogicalType::int32, false, kRoleRow},
        // The open and band the universe was selected with, the same on every row.
        {"underlying_open", LogicalType::float64, false, kRoleConstant},
        {"open_source", LogicalType::text, false, kRoleConstant},
        {"band_pct", LogicalType::float64, false, kRoleConstant},
        {"strike_low", LogicalType::float64, false, kRoleConstant},
        {"strike_high", LogicalType::float64, false, kRoleConstant},
        {"ingested_at", LogicalType::timestamp_ms, false, kRoleConstant},
        {"run_id", LogicalType::text, false, kRoleConstant},
    };
  }
  std::vector<std::string> key() const override { return {"date", "ticker"}; }
  std::vector<std::string> sort_order() const override { return {"ticker"}; }
  std::uint64_t row_count(const Partition& p) const override { return p.universe ? p.universe->contracts.size() : 0; }
  std::unique_ptr<RowCursor> rows(const Partition& p, const WriteStamp& stamp, std::uint8_t roles) const override {
    return std::make_unique<ContractsCursor>(p, stamp, roles, *this);
  }
  bool emits_sorted(const Partition& p) const override {
    if (!p.universe) return true;
    const auto& c = p.universe->contracts;
    return std::is_sorted(c.begin(), c.end(),
                          [](const OptionContract& a, const OptionContract& b) { return a.ticker < b.ticker; });
  }
  void write_constants(const Partition& p, const WriteStamp& stamp, RowWriter& out) const override {
    static const OptionsUniverse kNone{};
    const OptionsUniverse& u = p.universe ? *p.universe : kNone;
    out.float64(u.open);
    out.text(to_string(u.open_source));
    out.float64(u.band_pct);
    out.float64(u.strike_low);
    out.float64(u.strike_high);
    write_stamp(out, stamp);
  }
};

// ---- news -------------------------------------------------------------------------

struct SentimentColumn {
  std::string_view ticker;
  std::string column;
};

// One column per distinct name: two tickers mapping to one column keep the first.
std::vector<SentimentColumn> sentiment_columns(std::span<const std::string> tickers) {
  std::vector<SentimentColumn> out;
  for (const std::string& t : tickers) {
    std::string column = sentiment_column(t);
    if (std::none_of(out.begin(), out.end(), [&](const SentimentColumn& c) { return c.column == column; }))
      out.push_back({t, std::move(column)});
  }
  return out;
}

class NewsCursor : public RowCursor {
 public:
  NewsCursor(const Partition& p, const WriteStamp& stamp, std::uint8_t roles)
      : p_(p), stamp_(stamp), roles_(roles), sentiments_(sentiment_columns(p.sentiment_tickers)) {}

  bool write_next(RowWriter& out) override {
    if (next_ >= p_.articles.size()) return false;
    const NewsArticle& a = p_.articles[next_++];
    if (roles_ & kRoleDate) out.date(p_.date);
    if (roles_ & kRoleRow) {
      out.text(a.id);
      out.timestamp_ms(a.published_ms);
      out.text(a.title);
      optional_text(out, a.description);
      optional_text(out, a.author);
      out.text(a.article_url);
      optional_text(out, a.publisher);
      out.begin_list(a.tickers.size());
      for (const std::string& t : a.tickers) out.text(t);
      out.end_list();
      out.begin_list(a.keywords.size());
      for (const std::string& k : a.keywords) out.text(k);
      out.end_list();
      out.begin_list(a.insights.size());
      for (const NewsInsight& in : a.insights) {
        out.text(in.ticker);
        out.text(in.sentiment);
        out.text(in.reasoning);
      }
      out.end_list();
      for (const SentimentColumn& s : sentiments_) {
        const auto value = sentiment_for(a, s.ticker);
        if (value) out.text(*value); else out.null();
      }
    }
    if (roles_ & kRoleConstant) write_stamp(out, stamp_);
    out.end_row();
    return true;
  }

 private:
  const Partition& p_;
  WriteStamp stamp_;
  std::uint8_t roles_;
  std::vector<SentimentColumn> sentiments_;
  std::size_t next_ = 0;
};

class NewsDataset : public Dataset {
 public:
  std::string_view name() const override { return "news"; }
  std::vector<Column> columns(const Partition& p) const override {
    std::vector<Column> c = {
        {"date", LogicalType::date, false, kRoleDate},  // New York date of publication
        {"id", LogicalType::text, false, kRoleRow},
        {"published_utc", LogicalType::timestamp_ms, false, kRoleRow},
        {"title", LogicalType::text, false, kRoleRow},
        {"description", LogicalType::text, true, kRoleRow},
        {"author", LogicalType::text, true, kRoleRow},
        {"article_url", LogicalType::text, false, kRoleRow},
        {"publisher", LogicalType::text, true, kRoleRow},
        {"tickers", LogicalType::text_list, false, kRoleRow},
        {"keywords", LogicalType::text_list, false, kRoleRow},
        {"insights", LogicalType::struct_list, false, kRoleRow, {"ticker", "sentiment", "reasoning"}},
    };
    for (SentimentColumn& s : sentiment_columns(p.sentiment_tickers))
      c.push_back({std::move(s.column), LogicalType::text, true, kRoleRow});
    c.push_back({"ingested_at", LogicalType::timestamp_ms, false, kRoleConstant});
    c.push_back({"run_id", LogicalType::text, false, kRoleConstant});
    return c;
  }
  std::vector<std::string> key() const override { return {"id"}; }
  bool key_spans_days() const override { return true; }
  std::vector<std::string> sort_order() const override { return {"published_utc", "id"}; }
  std::uint64_t row_count(const Partition& p) const override { return p.articles.size(); }
  std::unique_ptr<RowCursor> rows(const Partition& p, const WriteStamp& stamp, std::uint8_t roles) const override {
    return std::make_unique<NewsCursor>(p, stamp, roles);
  }
  bool emits_sorted(const Partition& p) const override {
    return std::is_sorted(p.articles.begin(), p.articles.end(), [](const NewsArticle& a, const NewsArticle& b) {
      return a.published_ms != b.published_ms ? a.published_ms < b.published_ms : a.id < b.id;
    });
  }
  void write_constants(const Partition&, const WriteStamp& stamp, RowWriter& out) const override {
    write_stamp(out, stamp);
  }
};

const BarsDataset kBars(false);
const BarsDataset kOptionBars(true);
const ContractsDataset kContracts;
const NewsDataset kNews;
const std::array<const Dataset*, 4> kAll = {&kBars, &kOptionBars, &kContracts, &kNews};

}  // namespace

std::vector<std::string> Dataset::column_names(const Partition& partition, std::uint8_t roles) const {
  std::vector<std::string> out;
  for (const Column& c : columns(partition))
    if (c.role & roles) out.push_back(c.name);
  return out;
}

const Dataset& bars_dataset() { return kBars; }
const Dataset& option_bars_dataset() { return kOptionBars; }
const Dataset& options_contracts_dataset() { return kContracts; }
const Dataset& news_dataset() { return kNews; }
std::span<const Dataset* const> all_datasets() { return kAll; }

const Dataset& dataset_for(DatasetKind kind) {
  switch (kind) {
    case DatasetKind::bars: return kBars;
    case DatasetKind::option_bars: return kOptionBars;
    case DatasetKind::options_contracts: return kContracts;
    case DatasetKind::news: return kNews;
  }
  return kBars;
}

std::string sentiment_column(std::string_view ticker) {
  std::string out = "sentiment_";
  for (char c : ticker) {
    const auto u = static_cast<unsigned char>(c);
    out += std::isalnum(u) ? static_cast<char>(std::tolower(u)) : '_';
  }
  return out;
}

std::optional<std::string_view> sentiment_for(const NewsArticle& article, std::string_view ticker) {
  const std::string want = ascii_lower(ticker);
  for (const NewsInsight& in : article.insights)
    if (ascii_lower(in.ticker) == want) {
      if (in.sentiment.empty()) return std::nullopt;
      return std::string_view(in.sentiment);
    }
  return std::nullopt;
}

}  // namespace soi
