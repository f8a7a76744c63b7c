// Every fault kind of the simulator, observed the way a client would see it,
// plus the fault-spec grammar.
#include <algorithm>
#include <thread>

#include "simulator/fault_injector.hpp"
#include "simulator_test_support.hpp"
#include "utils/error.hpp"

namespace soi::sim::test {
namespace {

const std::string kAggs = "/v2/aggs/ticker/SPY/range/1/minute/2025-01-17/2025-01-17?limit=100";

std::unique_ptr<SimulatorServer> with_faults(std::vector<std::string> faults) {
  auto o = test_options();
  o.config.faults = std::move(faults);
  return start_server(o);
}

std::int64_t served(const SimulatorServer& s, FaultKind kind) {
  Json doc(http_get(s.base_url() + "/_sim/stats").body);
  return int_of(doc["faults"], std::string(to_string(kind)));
}

TEST(SimulatorFaults, RateLimitFirstN) {
  auto s = with_faults({"rate_limit:first=2:retry_after=3"});
  for (int i = 0; i < 2; ++i) {
    auto r = http_get(s->base_url() + kAggs);
    EXPECT_EQ(r.status, 429);
    EXPECT_EQ(r.headers["retry-after"], "3");
    Json doc(r.body);
    EXPECT_EQ(str(doc.root, "status"), "ERROR");
    EXPECT_NE(str(doc.root, "error").find("exceeded the maximum requests per minute"), std::string::npos);
  }
  EXPECT_EQ(http_get(s->base_url() + kAggs).status, 200);
  EXPECT_EQ(served(*s, FaultKind::rate_limit), 2);
}

TEST(SimulatorFaults, RateLimitDefaultsToRetryAfterOne) {
  auto s = with_faults({"rate_limit:first=1"});
  EXPECT_EQ(http_get(s->base_url() + kAggs).headers["retry-after"], "1");
}

TEST(SimulatorFaults, ServerErrorEveryNthWithStatus) {
  auto s = with_faults({"server_error:status=502:every=3"});
  std::vector<long> statuses;
  for (int i = 0; i < 6; ++i) statuses.push_back(http_get(s->base_url() + kAggs).status);
  EXPECT_EQ(statuses, (std::vector<long>{200, 200, 502, 200, 200, 502}));
  auto d = with_faults({"server_error:first=1"});
  auto r = http_get(d->base_url() + kAggs);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(str(Json(r.body).root, "status"), "ERROR");
}

TEST(SimulatorFaults, SlowDelaysThenAnswers) {
  auto s = with_faults({"slow:delay_ms=400:first=1"});
  auto slow = http_get(s->base_url() + kAggs);
  EXPECT_EQ(slow.status, 200);
  EXPECT_GE(slow.seconds, 0.39);
  EXPECT_TRUE(Json(slow.body).ok);
  auto fast = http_get(s->base_url() + kAggs);
  EXPECT_LT(fast.seconds, 0.39);
  EXPECT_EQ(served(*s, FaultKind::slow), 1);
}

TEST(SimulatorFaults, SlowWaitIsCutShortByStop) {
  auto s = with_faults({"slow:delay_ms=60000"});
  std::thread client([&] { http_get(s->base_url() + kAggs, GetOptions{"k", {}, 5000}); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto start = std::chrono::steady_clock::now();
  s->stop();
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 2.0);
  client.join();
}

TEST(SimulatorFaults, TruncateSendsHalfTheBody) {
  auto s = with_faults({"truncate:first=1"});
  auto r = http_get(s->base_url() + kAggs);
  EXPECT_EQ(r.code, CURLE_PARTIAL_FILE);
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.body.empty());
  EXPECT_FALSE(Json(r.body).ok);
  auto whole = http_get(s->base_url() + kAggs);
  EXPECT_EQ(whole.code, CURLE_OK);
  // Half of a body of the same length (request_ids have equal length).
  EXPECT_EQ(r.body.size(), whole.body.size() / 2);
}

TEST(SimulatorFaults, MalformedIsNotJson) {
  auto s = with_faults({"malformed:first=1"});
  auto r = http_get(s->base_url() + kAggs);
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.body.empty());
  EXPECT_FALSE(Json(r.body).ok);
  EXPECT_TRUE(Json(http_get(s->base_url() + kAggs).body).ok);
}

TEST(SimulatorFaults, DropClosesWithoutAResponse) {
  auto s = with_faults({"drop:first=1"});
  auto r = http_get(s->base_url() + kAggs);
  EXPECT_EQ(r.code, CURLE_GOT_NOTHING);
  EXPECT_EQ(http_get(s->base_url() + kAggs).status, 200);
  EXPECT_EQ(served(*s, FaultKind::drop), 1);
}

TEST(SimulatorFaults, NewFieldAppearsInEnvelopeAndEveryResult) {
  auto s = with_faults({"new_field"});
  for (const std::string& path : {kAggs, std::string("/v3/reference/options/contracts?as_of=2025-01-17"),
                                 std::string("/v2/reference/news?limit=3")}) {
    Json doc(http_get(s->base_url() + path).body);
    ASSERT_TRUE(doc.ok);
    EXPECT_EQ(int_of(doc.root, "zz_sim_new_field"), 1) << path;
    for (auto e : doc["results"].get_array()) EXPECT_EQ(int_of(e, "zz_sim_new_field"), 1) << path;
  }
  Json status(http_get(s->base_url() + "/v1/marketstatus/now").body);
  EXPECT_EQ(int_of(status.root, "zz_sim_new_field"), 1);
}

TEST(SimulatorFaults, BadRecordBreaksOneBarPerPage) {
  auto s = with_faults({"bad_record:path=/v2/aggs"});
  Json doc(http_get(s->base_url() + kAggs).body);
  int broken = 0;
  for (auto e : doc["results"].get_array())
    if (num(e, "h") < num(e, "l")) ++broken;
  EXPECT_EQ(broken, 1);
  EXPECT_EQ(served(*s, FaultKind::bad_record), 1);
}

TEST(SimulatorFaults, PathSelectionAndDefaultScope) {
  auto s = with_faults({"server_error:path=/v2/reference/news"});
  EXPECT_EQ(http_get(s->base_url() + kAggs).status, 200);
  EXPECT_EQ(http_get(s->base_url() + "/v2/reference/news").status, 503);
  // /_sim/ endpoints are never faulted unless a path= names them.
  auto all = with_faults({"server_error"});
  EXPECT_EQ(http_get(all->base_url() + "/_sim/stats").status, 200);
  EXPECT_EQ(http_get(all->base_url() + "/v1/marketstatus/now").status, 503);
}

TEST(SimulatorFaults, ProbabilityIsSeededAndRoughlyRight) {
  const auto run = [] {
    auto s = with_faults({"server_error:prob=0.3"});
    std::vector<long> statuses;
    for (int i = 0; i < 100; ++i) statuses.push_back(http_get(s->base_url() + "/v1/marketstatus/now").status);
    return statuses;
  };
  const auto a = run(), b = run();
  EXPECT_EQ(a, b);
  const auto failures = std::count(a.begin(), a.end(), 503);
  EXPECT_GT(failures, 15);
  EXPECT_LT(failures, 45);
}

TEST(SimulatorFaults, SpecGrammar) {
  auto spec = parse_fault_spec("rate_limit:first=2:retry_after=5:path=/v2/aggs/ticker/I:VIX");
  EXPECT_EQ(spec.kind, FaultKind::rate_limit);
  EXPECT_EQ(spec.first.value(), 2u);
  EXPECT_EQ(spec.retry_after_s, 5);
  EXPECT_EQ(spec.path, "/v2/aggs/ticker/I:VIX");
  EXPECT_EQ(parse_fault_spec("server_error").status, 503);
  EXPECT_EQ(parse_fault_spec("slow").delay_ms, 2000);
  EXPECT_DOUBLE_EQ(parse_fault_spec("drop:prob=0.25").prob.value(), 0.25);
  for (const char* bad : {"", "explode", "rate_limit:first", "rate_limit:first=x", "server_error:status=404",
                          "slow:retry_after=2", "drop:prob=1.5", "truncate:every=0", "malformed:colour=red",
                          "rate_limit:=3"}) {
    try {
      parse_fault_spec(bad);
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const SoiError& e) {
      EXPECT_EQ(e.category(), ErrorCategory::config) << bad;
      EXPECT_NE(std::string(e.what()).find("fault spec"), std::string::npos) << e.what();
    }
  }
}

TEST(SimulatorFaults, InvalidSpecInConfigRejectsTheServer) {
  auto o = test_options();
  o.config.faults = {"rate_limit:first=1", "sometimes_broken"};
  try {
    SimulatorServer s(o);
    ADD_FAILURE() << "server accepted an invalid fault spec";
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::config);
    EXPECT_NE(std::string(e.what()).find("sometimes_broken"), std::string::npos);
  }
}

}  // namespace
}  // namespace soi::sim::test
