// The real soi binary with a bucket (OpenStack Swift's S3 API on loopback):
// a mirror backfill puts every partition and the manifest in the bucket byte
// for byte; a rerun replaces them; large partitions go in parts; a bucket that
// is down costs nothing but a delay (the outbox, drained by the next run);
// refused credentials and a missing bucket stop the run with a clear error;
// with the bucket as the record, a stream killed with kill -9 recovers its day
// from the bucket; soi sync --verify finds and repairs a tampered object; and
// the simulator replays the bucket.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "sinks/store/s3_client.hpp"
#include "support/process.hpp"
#include "support/stream_fixture.hpp"
#include "support/swift_server.hpp"
#include "utils/file_digest.hpp"

namespace soi::it {
namespace {

namespace fs = std::filesystem;

constexpr const char* kKey = "FAKEKEY-soi-object-store-9f3e2d1c";
constexpr const char* kBucket = "soi-market";
constexpr const char* kPrefix = "prod";

class ObjectStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(test::SwiftServer::available()) << "OpenStack Swift is not installed: run scripts/setup.sh";
    swift_.start();
    swift_.create_bucket(kBucket);
    S3ClientOptions options;
    options.endpoint = swift_.endpoint();
    options.bucket = kBucket;
    options.retry.initial_backoff_ms = 10;
    options.retry.max_backoff_ms = 50;
    bucket_ = std::make_unique<S3Client>(options, S3Credentials{swift_.access_key(), swift_.secret_key(), ""});
  }

  Env env(const std::string& role = "mirror", Env extra = {}) const {
    Env e{{"MASSIVE_API_KEY", kKey},
          {"AWS_ACCESS_KEY_ID", swift_.access_key()},
          {"AWS_SECRET_ACCESS_KEY", swift_.secret_key()},
          {"SOI_SINKS_OBJECT_STORE_ENABLED", "true"},
          {"SOI_SINKS_OBJECT_STORE_ENDPOINT", swift_.endpoint()},
          {"SOI_SINKS_OBJECT_STORE_BUCKET", kBucket},
          {"SOI_SINKS_OBJECT_STORE_PREFIX", kPrefix},
          {"SOI_SINKS_OBJECT_STORE_PATH_STYLE", "true"},
          {"SOI_SINKS_OBJECT_STORE_ROLE", role},
          {"SOI_RETRY_POLICY_INITIAL_BACKOFF_MS", "20"},
          {"SOI_RETRY_POLICY_MAX_BACKOFF_MS", "200"}};
    for (auto& [k, v] : extra) e[k] = v;
    return e;
  }
  ProcessResult soi(std::vector<std::string> args, const Env& environment) {
    args.insert(args.begin(), {"--config", config_dir()});
    args.insert(args.end(), {"--data-dir", data().string()});
    return run_soi(args, environment, work_.path());
  }
  ProcessResult backfill(const SimulatorProcess& sim, const std::string& day, const Env& environment) {
    return soi({"backfill", "--from", day, "--to", day, "--base-url", sim.base_url(), "--json"}, environment);
  }

  fs::path data() const { return work_.path() / "data"; }
  fs::path outbox_file() const { return data() / "state" / "upload_outbox.jsonl"; }
  static std::string object_key(const std::string& key) { return std::string(kPrefix) + "/" + key; }
  // Every local partition, as a store key (raw/<feed>/date=.../data.parquet).
  std::vector<std::string> local_partitions() const {
    std::vector<std::string> keys;
    for (const auto& f : files_under(data() / "raw"))
      if (f.filename() == "data.parquet") keys.push_back(fs::relative(f, data()).string());
    std::sort(keys.begin(), keys.end());
    return keys;
  }
  std::string downloaded(const std::string& key) {
    const fs::path file = work_.path() / "download.bin";
    if (!bucket_->get_file(object_key(key), file)) return "<no object>";
    return read_file(file);
  }
  void expect_no_secret(const ProcessResult& r) const {
    for (const std::string& secret : {std::string(kKey), swift_.secret_key()}) {
      EXPECT_EQ(r.out.find(secret), std::string::npos);
      EXPECT_EQ(r.err.find(secret), std::string::npos);
      const auto leaks = files_containing(work_.path(), secret);
      EXPECT_TRUE(leaks.empty()) << "a secret is in " << leaks.front();
    }
  }

  test::SwiftServer swift_;
  std::unique_ptr<S3Client> bucket_;
  TempDir work_;
};

TEST_F(ObjectStoreTest, AMirrorBackfillPutsEveryPartitionAndTheManifestInTheBucketByteForByte) {
  SimulatorProcess sim;
  auto r = backfill(sim, "2025-01-17", env());
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const auto keys = local_partitions();
  // Every feed: spy, vix, options, options_contracts, news.
  ASSERT_EQ(keys.size(), 5u) << r.out;
  for (const std::string& key : keys) {
    EXPECT_EQ(downloaded(key), read_file(data() / key)) << key;
    const auto info = bucket_->head(object_key(key));
    ASSERT_TRUE(info) << key;
    EXPECT_EQ(info->sha256, sha256_file_hex(data() / key)) << key;
  }
  const std::string run_id = json_field(r.out, "run_id");
  ASSERT_FALSE(run_id.empty()) << r.out;
  EXPECT_EQ(downloaded("manifests/" + run_id + ".json"), read_file(data() / "manifests" / (run_id + ".json")));
  EXPECT_TRUE(lines_of(outbox_file()).empty());

  // A rerun of the day replaces every object with the new local file.
  const std::string before = downloaded(keys.front());
  r = backfill(sim, "2025-01-17", env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::string& key : keys) EXPECT_EQ(downloaded(key), read_file(data() / key)) << key;
  EXPECT_NE(downloaded(keys.front()), before) << "the rerun's run_id column differs";
  expect_no_secret(r);
}

TEST_F(ObjectStoreTest, APartitionAboveTheThresholdIsUploadedInParts) {
  SimulatorProcess sim;
  // A SPY day is about 0.7 MiB uncompressed: above a 0.25 MiB threshold, in 0.25 MiB parts.
  const auto r = soi({"backfill", "--source", "spy", "--from", "2025-01-17", "--base-url", sim.base_url()},
                     env("mirror", {{"SOI_SINKS_PARQUET_COMPRESSION", "uncompressed"},
                                    {"SOI_SINKS_OBJECT_STORE_MULTIPART_THRESHOLD_MB", "0.25"},
                                    {"SOI_SINKS_OBJECT_STORE_MULTIPART_PART_MB", "0.25"},
                                    {"SOI_SINKS_OBJECT_STORE_PARALLEL_PARTS", "3"}}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string key = "raw/spy/date=2025-01-17/data.parquet";
  const auto size = fs::file_size(data() / key);
  ASSERT_GT(size, 2u << 18) << "the test needs a partition of several parts";
  const auto info = bucket_->head(object_key(key));
  ASSERT_TRUE(info);
  const std::string parts = std::to_string((size + (1u << 18) - 1) >> 18);
  EXPECT_TRUE(info->etag.size() > parts.size() && info->etag.ends_with("-" + parts)) << info->etag;
  EXPECT_EQ(downloaded(key), read_file(data() / key));
  EXPECT_TRUE(bucket_->list_multipart_uploads("").empty());
}

TEST_F(ObjectStoreTest, ABucketThatIsDownDelaysTheUploadsAndTheNextRunCatchesUp) {
  SimulatorProcess sim;
  // Nothing listens on the endpoint: every upload fails after its retries.
  Env down = env("mirror", {{"SOI_SINKS_OBJECT_STORE_ENDPOINT", "http://127.0.0.1:9"},
                            {"SOI_RETRY_POLICY_MAX_ATTEMPTS", "2"}});
  auto r = soi({"backfill", "--source", "spy,vix", "--from", "2025-01-17", "--base-url", sim.base_url(), "--json"},
               down);
  ASSERT_EQ(r.exit_code, 0) << "the local commit is the record: " << r.err << r.out;
  EXPECT_TRUE(fs::exists(data() / "raw/spy/date=2025-01-17/data.parquet"));
  const auto owed = lines_of(outbox_file());
  EXPECT_GE(owed.size(), 3u) << "two partitions and the manifest";
  EXPECT_NE(errors_log(data()).find("bucket upload failed, queued in the outbox"), std::string::npos);

  // soi status shows the outbox, and says the bucket is behind once that is older than commit_alert_seconds.
  auto status = soi({"status", "--json"}, env());
  EXPECT_EQ(status.exit_code, 0) << status.out;
  EXPECT_NE(status.out.find("\"depth\":3"), std::string::npos) << status.out;
  // The feeds commit concurrently: either day's partition may be the oldest entry.
  EXPECT_TRUE(status.out.find("\"oldest_key\":\"raw/spy/date=2025-01-17/data.parquet\"") != std::string::npos ||
              status.out.find("\"oldest_key\":\"raw/vix/date=2025-01-17/data.parquet\"") != std::string::npos)
      << status.out;
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  status = soi({"status"}, env("mirror", {{"SOI_SETTINGS_COMMIT_ALERT_SECONDS", "1"}}));
  EXPECT_EQ(status.exit_code, 1) << status.out;
  EXPECT_NE(status.out.find("over commit_alert_seconds"), std::string::npos) << status.out;

  // The bucket is back: the next run uploads what was owed, then its own day.
  r = soi({"backfill", "--source", "spy", "--from", "2025-01-16", "--base-url", sim.base_url()}, env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(lines_of(outbox_file()).empty());
  for (const char* key : {"raw/spy/date=2025-01-17/data.parquet", "raw/vix/date=2025-01-17/data.parquet",
                          "raw/spy/date=2025-01-16/data.parquet"})
    EXPECT_EQ(downloaded(key), read_file(data() / key)) << key;
}

TEST_F(ObjectStoreTest, RefusedCredentialsAndAMissingBucketStopTheRunClearly) {
  SimulatorProcess sim;
  const std::string wrong = "wrong-secret-7d41c09a";
  auto r = backfill(sim, "2025-01-17", env("mirror", {{"AWS_SECRET_ACCESS_KEY", wrong}}));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("AWS_SECRET_ACCESS_KEY"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("auth"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(wrong), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(data() / "raw")) << "nothing is collected before the bucket is usable";

  r = backfill(sim, "2025-01-17", env("mirror", {{"SOI_SINKS_OBJECT_STORE_BUCKET", "no-such-bucket"}}));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("no-such-bucket"), std::string::npos) << r.err;

  Env missing = env();
  missing.erase("AWS_SECRET_ACCESS_KEY");
  r = backfill(sim, "2025-01-17", missing);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("AWS_SECRET_ACCESS_KEY"), std::string::npos) << r.err;
  expect_no_secret(r);
}

TEST_F(ObjectStoreTest, SyncUploadsWhatTheBucketLacksAndVerifyRepairsATamperedObject) {
  SimulatorProcess sim;
  ASSERT_EQ(backfill(sim, "2025-01-17", env()).exit_code, 0);
  const std::string spy = "raw/spy/date=2025-01-17/data.parquet";
  const std::string vix = "raw/vix/date=2025-01-17/data.parquet";
  auto r = soi({"sync", "--json"}, env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json_int(r.out, "checked"), 5) << r.out;
  EXPECT_EQ(json_int(r.out, "in_sync"), 5) << r.out;

  // One object deleted; another overwritten behind soi's back with its metadata kept.
  ASSERT_TRUE(bucket_->remove(object_key(vix)));
  const std::string claimed = sha256_file_hex(data() / spy);
  const auto tampered = swift_.request({"PUT", "/" + std::string(kBucket) + "/" + kPrefix +
                                                    "/raw/spy/date%3D2025-01-17/data.parquet",
                                        "not the day", {"x-amz-meta-sha256: " + claimed}, std::nullopt});
  ASSERT_EQ(tampered.status, 200) << tampered.body;

  r = soi({"sync", "--json"}, env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json_int(r.out, "uploaded"), 1) << r.out;  // the metadata still claims the right hash
  EXPECT_EQ(json_int(r.out, "repaired"), 0) << r.out;
  EXPECT_EQ(downloaded(vix), read_file(data() / vix));
  // soi's client refuses a download that does not match the object's own hash.
  EXPECT_THROW(downloaded(spy), SoiError);

  r = soi({"sync", "--verify", "--feed", "spy,vix"}, env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("repaired s3://" + std::string(kBucket) + "/" + kPrefix + "/" + spy), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("2 partition(s) checked and verified: 1 in sync, 0 uploaded, 1 repaired, 0 failed"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(downloaded(spy), read_file(data() / spy));
  expect_no_secret(r);

  // With the bucket as the record, local files must never replace it.
  r = soi({"sync"}, env("primary"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("the bucket is the record"), std::string::npos) << r.err;
}

TEST_F(ObjectStoreTest, WithTheBucketAsTheRecordAKilledStreamRecoversItsDayFromTheBucket) {
  const Env primary = env("primary", {{"MASSIVE_API_KEY", kStreamKey}});
  {
    SimulatorProcess sim(sim_args(kBeforeOpen, "1000"));
    auto stream = start_stream(sim, data(), primary);
    const std::string spy = object_key(std::string("raw/spy/date=") + kStreamDay + "/data.parquet");
    ASSERT_TRUE(wait_until([&] { return bucket_->head(spy).has_value(); }, 30)) << stream->err_so_far();
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    stream->signal(SIGKILL);
    EXPECT_EQ(stream->wait().exit_code, 128 + SIGKILL);
  }
  EXPECT_FALSE(fs::exists(data() / "raw")) << "the bucket is the record: no local partition";
  SimulatorProcess sim(sim_args("2025-01-17T13:00:00-05:00", "0"));
  const auto r = run_stream(sim, data(), primary);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_FALSE(fs::exists(data() / "raw"));

  // The bucket's day, downloaded into a data directory's layout, equals the REST backfill.
  const fs::path copy = work_.path() / "from_bucket";
  for (const auto& object : bucket_->list(std::string(kPrefix) + "/raw/")) {
    const fs::path file = copy / object.key.substr(std::string(kPrefix).size() + 1);
    fs::create_directories(file.parent_path());
    ASSERT_TRUE(bucket_->get_file(object.key, file)) << object.key;
  }
  expect_equals_ground_truth(copy, ground_truth(kStreamDay), "recovered from the bucket");
}

TEST_F(ObjectStoreTest, TheSimulatorReplaysTheBucket) {
  {
    SimulatorProcess sim;
    ASSERT_EQ(soi({"backfill", "--source", "spy", "--from", "2025-01-17", "--base-url", sim.base_url()},
                  env("primary"))
                  .exit_code,
              0);
  }
  EXPECT_FALSE(fs::exists(data() / "raw"));
  SimulatorProcess replay({"--replay-from-bucket"}, env("primary"));
  const std::string page = http_get(replay.base_url(), "/v2/aggs/ticker/SPY/range/1/second/2025-01-17/2025-01-17"
                                                       "?adjusted=true&sort=asc&limit=50000");
  EXPECT_NE(page.find("\"resultsCount\""), std::string::npos) << page.substr(0, 300);
  EXPECT_GT(json_int(page, "resultsCount"), 20000) << page.substr(0, 300);
}

}  // namespace
}  // namespace soi::it
