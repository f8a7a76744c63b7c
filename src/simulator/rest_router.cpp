#include "simulator/rest_router.hpp"


#include <fmt/format.h>

#include "simulator/aggs_endpoint.hpp"
#include "simulator/api_response.hpp"
#include "simulator/contracts_endpoint.hpp"
#include "simulator/daily_endpoints.hpp"
#include "simulator/endpoint_context.hpp"
#include "simulator/market_status_endpoint.hpp"
#include "simulator/news_endpoint.hpp"
#include "simulator/parquet_replay.hpp"
#include "utils/error.hpp"
#include "utils/redact.hpp"

namespace soi::sim {
namespace {

constexpr std::string_view kRateLimitText =
    "You've exceeded the maximum requests per minute, please wait or upgrade your subscription to continue. "
    "https://massive.com/pricing";

std::string_view server_error_text(int status) {
  switch (status) {
    case 500: return "Internal server error";
    case 502: return "Bad gateway";
    case 504: return "Gateway timeout";
    default: return "Service temporarily unavailable, please try again";
  }
}

[[noreturn]] void config_error(const std::string& message) {
  throw SoiError(ErrorCategory::config, message, ErrorContext{"simulator", "", "", ""});
}

Endpoint classify(const std::vector<std::string>& s) {
  // "" matches any segment (ticker, multiplier, dates).
  const auto is = [&](std::initializer_list<std::string_view> pattern) {
    if (s.size() != pattern.size()) return false;
    std::size_t i = 0;
    for (auto p : pattern) {
      if (!p.empty() && s[i] != p) return false;
      ++i;
    }
    return true;
  };
  if (is({"v2", "aggs", "ticker", "", "range", "", "", "", ""})) return Endpoint::aggs;
  if (is({"v2", "aggs", "ticker", "", "prev"})) return Endpoint::aggs_prev;
  if (is({"v1", "open-close", "", ""})) return Endpoint::open_close;
  if (is({"v3", "reference", "options", "contracts"})) return Endpoint::options_contracts;
  if (is({"v2", "reference", "news"})) return Endpoint::news;
  if (is({"v1", "marketstatus", "now"})) return Endpoint::market_status_now;
  if (is({"v1", "marketstatus", "upcoming"})) return Endpoint::market_status_upcoming;
  if (is({"_sim", "stats"})) return Endpoint::sim_stats;
  return Endpoint::not_found;
}

}  // namespace

std::vector<FaultSpec> parse_fault_specs(const std::vector<std::string>& specs) {
  std::vector<FaultSpec> out;
  out.reserve(specs.size());
  for (const auto& s : specs) out.push_back(parse_fault_spec(s));
  return out;
}

RestRouter::RestRouter(SimulatorOptions options) : options_(std::move(options)) {
  const SimulatorConfig& c = options_.config;
  if (c.data != "synthetic" && c.data != "replay")
    config_error("simulator data must be 'synthetic' or 'replay', got '" + c.data + "'");
  if (!(c.spy_open > 0)) config_error(fmt::format("simulator spy_open must be > 0, got {}", c.spy_open));
  if (!(c.vix_level > 0)) config_error(fmt::format("simulator vix_level must be > 0, got {}", c.vix_level));
  if (options_.port < 0 || options_.port > 65535)
    config_error(fmt::format("simulator port must be 0..65535, got {}", options_.port));
  faults_ = std::make_unique<FaultInjector>(parse_fault_specs(c.faults), c.seed);
  if (!options_.api_key.empty()) register_secret(options_.api_key);
  market_ = std::make_unique<SyntheticMarket>(c, options_.cache_bars);
  if (c.data == "replay")
    replay_ = options_.replay_store ? std::make_unique<ParquetReplay>(options_.replay_store, options_.cache_bars)
                                    : std::make_unique<ParquetReplay>(c.replay_dir, options_.cache_bars);
  news_ = std::make_unique<NewsGenerator>(c.seed, *market_);
}

RestRouter::~RestRouter() = default;

std::int64_t RestRouter::now_ms() const { return options_.clock ? options_.clock() : now_utc_ms(); }

std::string RestRouter::request_key(const SimRequest& request) {
  std::string_view auth = request.authorization;
  if (auth.size() > 7 && (auth.substr(0, 7) == "Bearer " || auth.substr(0, 7) == "bearer ")) {
    auth.remove_prefix(7);
    while (!auth.empty() && auth.front() == ' ') auth.remove_prefix(1);
    if (!auth.empty()) return std::string(auth);
  }
  if (auto key = request.params.get("apiKey")) return std::string(*key);
  return {};
}

SimResponse RestRouter::handle(const SimRequest& request) {
  RequestScope scope{request, new_request_id(), "http://" + (request.host.empty() ? "127.0.0.1" : request.host),
                     now_ms()};
  const auto segments = split_path(request.path);
  const Endpoint endpoint = classify(segments);
  stats_.count_request(endpoint);
  SimResponse response;
  // /_sim/ is the tests' back door: no key needed, no faults unless a path= names it.
  const bool sim_path = std::string_view(request.path).starts_with("/_sim/");
  const std::string key = sim_path ? std::string() : request_key(request);
  if (request.method != "GET") {
    response = error_response(405, scope.request_id, "Only GET is supported by this API");
  } else if (!sim_path && key.empty()) {
    stats_.count_unauthorized();
    response = error_response(401, scope.request_id, "API Key was not provided");
  } else if (!sim_path && !options_.api_key.empty() && key != options_.api_key) {
    stats_.count_unauthorized();
    response = error_response(401, scope.request_id, "Unknown API Key");
  } else {
    // Faults come after authentication: a client with a bad key sees 401, never a
    // fault, so auth tests stay deterministic under any fault spec.
    const FaultPlan plan = faults_->decide(request.path);
    if (plan.drop) {
      response.drop = true;
      faults_->record(FaultKind::drop);
    } else if (plan.error_status == 429) {
      response = error_response(429, scope.request_id, kRateLimitText);
      response.headers.emplace_back("Retry-After", std::to_string(plan.retry_after_s));
      faults_->record(FaultKind::rate_limit);
    } else if (plan.error_status != 0) {
      response = error_response(plan.error_status, scope.request_id, server_error_text(plan.error_status));
      faults_->record(FaultKind::server_error);
    } else if (plan.malformed) {
      response.body = fmt::format(R"({{"status":"OK","request_id":"{}","results":[{{"o":<html><body>upstream )"
                                  "proxy hiccup</body></html>",
                                  scope.request_id);
      faults_->record(FaultKind::malformed);
    } else {
      scope.new_field = plan.new_field;
      scope.bad_record = plan.bad_record;
      response = dispatch(endpoint, segments, scope);
      if (plan.new_field && response.status == 200) faults_->record(FaultKind::new_field);
      if (response.bad_record_applied) faults_->record(FaultKind::bad_record);
    }
    if (plan.delay_ms > 0) {
      response.delay_ms = plan.delay_ms;
      faults_->record(FaultKind::slow);
    }
    if (plan.truncate && !response.drop) {
      response.truncate = true;
      faults_->record(FaultKind::truncate);
    }
  }
  response.request_id = scope.request_id;
  response.headers.emplace_back("X-Request-Id", scope.request_id);
  return response;
}

SimResponse RestRouter::dispatch(Endpoint endpoint, const std::vector<std::string>& segments, RequestScope& scope) {
  SimServices services{options_.config, calendar_, replay_ ? *replay_ : static_cast<BarProvider&>(*market_), *market_,
                       *news_};
  try {
    switch (endpoint) {
      case Endpoint::aggs: return handle_aggs_range(services, scope, segments);
      case Endpoint::aggs_prev: return handle_prev(services, scope, segments[3]);
      case Endpoint::open_close: return handle_open_close(services, scope, segments[2], segments[3]);
      case Endpoint::options_contracts: return handle_options_contracts(services, scope);
      case Endpoint::news: return handle_news(services, scope);
      case Endpoint::market_status_now: return handle_market_status_now(services, scope);
      case Endpoint::market_status_upcoming: return handle_market_status_upcoming(services, scope);
      case Endpoint::sim_stats: return json_response(stats_.to_json(*faults_));
      case Endpoint::websocket:
      case Endpoint::not_found: break;
    }
    return not_found_response(scope.request_id, "Not found.");
  } catch (const BadRequest& e) {
    stats_.count_bad_request();
    return error_response(400, scope.request_id, e.what());
  } catch (const std::exception& e) {
    // A simulator bug or unreadable replay data: answer like a failing server.
    return error_response(500, scope.request_id, redact(e.what()));
  }
}

}  // namespace soi::sim
