// S3Client against a throw-away Swift with its S3 API (tests/support/swift_server.hpp):
// uploads byte for byte (single PUT and parallel multipart), keys that need encoding, the
// SHA-256 metadata, paging, the abort of a failed multipart upload, error categories and
// retries, and redaction.
#include "sinks/store/s3_client.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <random>
#include <thread>

#include "sinks/store/s3_credentials.hpp"
#include "sinks/store/s3_xml.hpp"
#include "support/suite_server.hpp"
#include "support/swift_server.hpp"
#include "utils/error.hpp"
#include "utils/file_digest.hpp"
#include "utils/redact.hpp"

#include "s3_test_support.hpp"

namespace soi {
namespace {

namespace fs = std::filesystem;
using namespace s3_testing;

// ---------------------------------------------------------------------------------------------
// Against Swift.

TEST(S3ClientSwiftAvailability, SetupInstalledSwift) {
  // scripts/setup.sh installs it: missing is a broken machine, not a reason to skip.
  EXPECT_TRUE(test::SwiftServer::available()) << "run scripts/setup.sh";
}

class S3ClientTest : public test::SwiftBucketTest {
 protected:
  void SetUp() override {
    SwiftBucketTest::SetUp();
    if (HasFatalFailure()) return;
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  S3ClientOptions options() const {
    S3ClientOptions o;
    o.endpoint = server_->endpoint();
    o.region = server_->region();
    o.bucket = bucket_;
    o.retry = quick_retries();
    return o;
  }
  static S3Credentials credentials() { return {server_->access_key(), server_->secret_key(), ""}; }
  // Small parts, as the test server allows: 5 KiB.
  S3ClientOptions multipart_options(int parallel = 3) const {
    S3ClientOptions o = options();
    o.multipart_threshold = 8 * 1024;
    o.part_size = test::SwiftServer::kMinPartSize;
    o.parallel_parts = parallel;
    return o;
  }
  // Uploads begun and not completed nor aborted, as the server lists them.
  std::string uploads_in_progress() const {
    const test::S3Response r = server_->request({"GET", "/" + bucket_ + "?uploads=", "", {}, std::nullopt});
    EXPECT_EQ(r.status, 200) << r.body;
    std::string keys;
    for (const std::string_view upload : xml_elements(r.body, "Upload"))
      keys += xml_element_text(upload, "Key").value_or("?") + " ";
    return keys;
  }

  const fs::path dir_ = fs::temp_directory_path() / ("soi_s3_client_" + std::to_string(::getpid()));
};


TEST_F(S3ClientTest, SinglePutThenGetIsByteEqual) {
  S3Client client(options(), credentials());
  const std::string body = random_bytes(300'000, 1);
  write_file(dir_ / "in.bin", body);
  const S3ObjectInfo stored = client.put_file("raw/spy/data.parquet", dir_ / "in.bin");
  EXPECT_EQ(stored.key, "raw/spy/data.parquet");
  EXPECT_EQ(stored.bytes, body.size());
  EXPECT_EQ(stored.etag, test::md5_hex(body));  // one PUT: the MD5, unquoted
  EXPECT_EQ(stored.sha256, test::sha256_hex(body));
  EXPECT_EQ(client.stats().requests, 1u);

  ASSERT_TRUE(client.get_file("raw/spy/data.parquet", dir_ / "out.bin"));
  EXPECT_TRUE(read_file(dir_ / "out.bin") == body);
  // Only the target is left: the download went through a temporary file.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 2);

  const test::S3Response raw = server_->request({"HEAD", "/" + bucket_ + "/raw/spy/data.parquet", "", {}, std::nullopt});
  EXPECT_EQ(raw.header("content-type"), "application/octet-stream");
}

TEST_F(S3ClientTest, PutBytesAndAnEmptyObject) {
  S3Client client(options(), credentials());
  client.put_bytes("notes/a.json", "{\"a\":1}", "application/json");
  client.put_bytes("notes/empty", "", "application/octet-stream");
  ASSERT_TRUE(client.get_file("notes/a.json", dir_ / "a.json"));
  EXPECT_EQ(read_file(dir_ / "a.json"), "{\"a\":1}");
  ASSERT_TRUE(client.get_file("notes/empty", dir_ / "empty"));
  EXPECT_EQ(fs::file_size(dir_ / "empty"), 0u);
  const test::S3Response raw = server_->request({"HEAD", "/" + bucket_ + "/notes/a.json", "", {}, std::nullopt});
  EXPECT_EQ(raw.header("content-type"), "application/json");
}

TEST_F(S3ClientTest, KeysWithEqualsSignsAndOtherBytesThatNeedEncoding) {
  S3Client client(options(), credentials());
  const std::vector<std::string> keys = {"raw/spy/date=2025-01-17/data.parquet", "odd/a b+c~d&e.txt",
                                         "odd/\xC3\xBC%25;,:@$!'()*"};
  for (const std::string& key : keys) client.put_bytes(key, "content of " + key, "text/plain");
  for (const std::string& key : keys) {
    SCOPED_TRACE(key);
    ASSERT_TRUE(client.get_file(key, dir_ / "got"));
    EXPECT_EQ(read_file(dir_ / "got"), "content of " + key);
    const auto info = client.head(key);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->bytes, ("content of " + key).size());
  }
  std::vector<std::string> listed;
  for (const S3ObjectInfo& o : client.list("")) listed.push_back(o.key);
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(listed, sorted);
  ASSERT_EQ(client.list("raw/spy/date=2025-01-17/").size(), 1u);
  EXPECT_EQ(client.list("raw/spy/date=2025-01-17/")[0].key, keys[0]);
  // Swift stores the decoded key: a raw request with the encoded form finds it.
  EXPECT_EQ(server_->request({"GET", "/" + bucket_ + "/raw/spy/date%3D2025-01-17/data.parquet", "", {}, std::nullopt})
                .status,
            200);
}

TEST_F(S3ClientTest, Sha256MetadataRoundTrips) {
  S3Client client(options(), credentials());
  const std::string body = random_bytes(20'000, 2);
  write_file(dir_ / "in.bin", body);
  client.put_file("k", dir_ / "in.bin");
  const auto info = client.head("k");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->sha256, sha256_file_hex(dir_ / "in.bin"));
  EXPECT_EQ(info->bytes, body.size());
  const test::S3Response raw = server_->request({"HEAD", "/" + bucket_ + "/k", "", {}, std::nullopt});
  EXPECT_EQ(raw.header("x-amz-meta-sha256"), test::sha256_hex(body));
  // Listings carry no metadata.
  ASSERT_EQ(client.list("k").size(), 1u);
  EXPECT_FALSE(client.list("k")[0].sha256);
}

TEST_F(S3ClientTest, MultipartUploadOfSeveralPartsInParallel) {
  S3Client client(multipart_options(3), credentials());
  const std::size_t part = test::SwiftServer::kMinPartSize;
  const std::string body = random_bytes(5 * part + 1234, 3);  // 6 parts, the last one short
  write_file(dir_ / "big.bin", body);
  const S3ObjectInfo stored = client.put_file("raw/options/date=2025-01-17/data.parquet", dir_ / "big.bin");
  EXPECT_EQ(stored.bytes, body.size());
  EXPECT_EQ(stored.sha256, test::sha256_hex(body));
  ASSERT_GE(stored.etag.size(), 3u);
  EXPECT_EQ(stored.etag.substr(stored.etag.size() - 2), "-6") << stored.etag;
  EXPECT_EQ(client.stats().requests, 8u);  // create, 6 parts, complete

  ASSERT_TRUE(client.get_file("raw/options/date=2025-01-17/data.parquet", dir_ / "out.bin"));
  EXPECT_TRUE(read_file(dir_ / "out.bin") == body);
  const auto info = client.head("raw/options/date=2025-01-17/data.parquet");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->etag, stored.etag);
  EXPECT_EQ(info->sha256, stored.sha256);
  EXPECT_EQ(uploads_in_progress(), "");
}

TEST_F(S3ClientTest, AFailingPartAbortsTheUploadAndKeepsThePreviousObject) {
  S3Client client(multipart_options(2), credentials());
  client.put_bytes("day", "previous object", "application/octet-stream");
  const std::string body = random_bytes(4 * test::SwiftServer::kMinPartSize, 4);
  write_file(dir_ / "big.bin", body);
  std::atomic<int> tampered{0};
  // Part 3 goes with a Content-MD5 that is not its body's: the server answers 400 BadDigest.
  client.set_upload_tamper([&](int part, S3PayloadDigest& digest) {
    if (part == 3) {
      digest.md5_base64 = "1B2M2Y8AsgTpgAmY7PhCfg==";  // the MD5 of ""
      ++tampered;
    }
  });
  const SoiError e = expect_error([&] { client.put_file("day", dir_ / "big.bin"); });
  EXPECT_EQ(tampered.load(), 1);
  EXPECT_EQ(e.category(), ErrorCategory::storage) << e.what();
  EXPECT_NE(e.message().find("BadDigest"), std::string::npos) << e.message();
  EXPECT_NE(e.message().find("UploadPart 3"), std::string::npos) << e.message();
  EXPECT_NE(e.message().find(client.url_of("day")), std::string::npos) << e.message();
  EXPECT_EQ(uploads_in_progress(), "") << "the upload was not aborted";
  ASSERT_TRUE(client.get_file("day", dir_ / "out"));
  EXPECT_EQ(read_file(dir_ / "out"), "previous object");
}

TEST_F(S3ClientTest, AMultipartUploadWhoseCreationIsRefusedSendsNoPart) {
  S3Credentials wrong = credentials();
  wrong.secret_access_key += "x";
  S3Client client(multipart_options(4), wrong);
  write_file(dir_ / "big.bin", random_bytes(6 * test::SwiftServer::kMinPartSize, 6));
  const SoiError e = expect_error([&] { client.put_file("k", dir_ / "big.bin"); });
  EXPECT_EQ(e.category(), ErrorCategory::auth) << e.what();
  EXPECT_NE(e.message().find("CreateMultipartUpload"), std::string::npos) << e.message();
  EXPECT_EQ(client.stats().requests, 1u) << "the parts digested meanwhile were never sent";
  EXPECT_EQ(uploads_in_progress(), "");
}

TEST_F(S3ClientTest, ARefusedCompletionAbortsTheUpload) {
  S3ClientOptions o = multipart_options(2);
  o.part_size = 1024;  // under the server's minimum: refused at completion (EntityTooSmall)
  S3Client client(o, credentials());
  write_file(dir_ / "big.bin", random_bytes(10'000, 5));
  const SoiError e = expect_error([&] { client.put_file("small-parts", dir_ / "big.bin"); });
  EXPECT_EQ(e.category(), ErrorCategory::storage) << e.what();
  EXPECT_NE(e.message().find("CompleteMultipartUpload"), std::string::npos) << e.message();
  EXPECT_NE(e.message().find("EntityTooSmall"), std::string::npos) << e.message();
  EXPECT_EQ(uploads_in_progress(), "");
  EXPECT_FALSE(client.head("small-parts"));
}

TEST_F(S3ClientTest, ASinglePutWithACorruptedBodyIsRefused) {
  S3Client client(options(), credentials());
  // A payload hash (signed, so the signature holds) that is not the body's.
  client.set_upload_tamper([](int part, S3PayloadDigest& digest) {
    if (part == 0) digest.sha256_hex = test::sha256_hex("");
  });
  const SoiError e = expect_error([&] { client.put_bytes("k", "body", "text/plain"); });
  EXPECT_EQ(e.category(), ErrorCategory::storage);
  EXPECT_NE(e.message().find("HTTP 400 BadDigest"), std::string::npos) << e.message();
  EXPECT_EQ(client.stats().requests, 1u) << "a refused body is not retried";
  EXPECT_FALSE(client.head("k"));
}

// A caller's hash is trusted to save a read of the file, never to store a
// wrong object: the server checks the body against it.
TEST_F(S3ClientTest, AWrongKnownSha256IsRefusedAndARightOneStored) {
  S3Client client(options(), credentials());
  write_file(dir_ / "day.bin", "the day's bytes");
  const SoiError e = expect_error(
      [&] { client.put_file("day", dir_ / "day.bin", "application/octet-stream", test::sha256_hex("other bytes")); });
  EXPECT_EQ(e.category(), ErrorCategory::storage) << e.what();
  EXPECT_NE(e.message().find("BadDigest"), std::string::npos) << e.message();
  EXPECT_FALSE(client.head("day"));

  const std::string sha256 = test::sha256_hex("the day's bytes");
  EXPECT_EQ(client.put_file("day", dir_ / "day.bin", "application/octet-stream", sha256).sha256, sha256);
  EXPECT_EQ(client.head("day")->sha256, sha256);
  ASSERT_TRUE(client.get_file("day", dir_ / "out"));
  EXPECT_EQ(read_file(dir_ / "out"), "the day's bytes");
}

TEST_F(S3ClientTest, AMultipartUploadTakesTheKnownSha256AsTheObjects) {
  S3Client client(multipart_options(2), credentials());
  const std::string body = random_bytes(3 * test::SwiftServer::kMinPartSize + 17, 9);
  write_file(dir_ / "big.bin", body);
  const std::string sha256 = test::sha256_hex(body);
  EXPECT_EQ(client.put_file("big", dir_ / "big.bin", "application/octet-stream", sha256).sha256, sha256);
  EXPECT_EQ(client.head("big")->sha256, sha256);
  ASSERT_TRUE(client.get_file("big", dir_ / "out"));  // checked against the hash on the way
  EXPECT_TRUE(read_file(dir_ / "out") == body);
}

// The server checks each part, not the whole: the client checks a known hash
// before it completes the upload.
TEST_F(S3ClientTest, AMultipartUploadWithAWrongKnownSha256IsAborted) {
  S3Client client(multipart_options(2), credentials());
  client.put_bytes("big", "previous object", "application/octet-stream");
  write_file(dir_ / "big.bin", random_bytes(3 * test::SwiftServer::kMinPartSize, 10));
  const SoiError e = expect_error(
      [&] { client.put_file("big", dir_ / "big.bin", "application/octet-stream", test::sha256_hex("other")); });
  EXPECT_EQ(e.category(), ErrorCategory::storage) << e.what();
  EXPECT_NE(e.message().find("not the " + test::sha256_hex("other") + " it was given"), std::string::npos)
      << e.message();
  EXPECT_EQ(uploads_in_progress(), "") << "the upload was not aborted";
  ASSERT_TRUE(client.get_file("big", dir_ / "out"));
  EXPECT_EQ(read_file(dir_ / "out"), "previous object");
}

TEST_F(S3ClientTest, ListPagesThroughContinuationTokensSorted) {
  S3ClientOptions o = options();
  o.list_page_size = 2;
  S3Client client(o, credentials());
  std::vector<std::string> keys;
  for (const char* day : {"2025-01-16", "2025-01-17", "2025-01-20", "2025-01-21", "2025-01-22"})
    keys.push_back(std::string("raw/spy/date=") + day + "/data.parquet");
  keys.push_back("raw/spy/x+y z");  // continuation tokens (base64 of a key) with '+' and '='
  for (auto it = keys.rbegin(); it != keys.rend(); ++it) client.put_bytes(*it, *it, "text/plain");
  client.put_bytes("raw/vix/date=2025-01-17/data.parquet", "v", "text/plain");

  const auto before = client.stats().requests;
  const std::vector<S3ObjectInfo> listed = client.list("raw/spy/");
  EXPECT_EQ(client.stats().requests - before, 3u) << "6 keys in pages of 2";
  std::vector<std::string> got;
  for (const S3ObjectInfo& object : listed) {
    got.push_back(object.key);
    EXPECT_EQ(object.bytes, object.key.size());
    EXPECT_EQ(object.etag, test::md5_hex(object.key));
  }
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(got, keys);
  EXPECT_EQ(client.list("raw/").size(), 7u);
  EXPECT_TRUE(client.list("raw/qqq/").empty());
}

TEST_F(S3ClientTest, HeadRemoveAndGetOfMissingKeys) {
  S3Client client(options(), credentials());
  EXPECT_FALSE(client.head("missing"));
  EXPECT_FALSE(client.remove("missing"));
  write_file(dir_ / "keep", "untouched");
  EXPECT_FALSE(client.get_file("missing", dir_ / "keep"));
  EXPECT_EQ(read_file(dir_ / "keep"), "untouched");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1) << "no download left behind";

  client.put_bytes("present", "x", "text/plain");
  EXPECT_TRUE(client.remove("present"));
  EXPECT_FALSE(client.head("present"));
  EXPECT_FALSE(client.remove("present"));
}

TEST_F(S3ClientTest, ADownloadThatDoesNotMatchItsSha256IsRefused) {
  S3Client client(options(), credentials());
  // Written by another tool with a wrong digest in its metadata.
  const test::S3Response stored = server_->request(
      {"PUT", "/" + bucket_ + "/k", "the body", {"x-amz-meta-sha256: " + test::sha256_hex("another body")}, std::nullopt});
  ASSERT_EQ(stored.status, 200) << stored.body;
  const SoiError e = expect_error([&] { client.get_file("k", dir_ / "out"); });
  EXPECT_EQ(e.category(), ErrorCategory::storage);
  EXPECT_NE(e.message().find("x-amz-meta-sha256"), std::string::npos) << e.message();
  EXPECT_FALSE(fs::exists(dir_ / "out"));
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(S3ClientTest, AWrongSecretIsAnAuthErrorNamingTheVariablesAndIsNotRetried) {
  S3Credentials wrong = credentials();
  wrong.secret_access_key = "not-the-secret-" + std::string(server_->secret_key().substr(0, 4)) + "zz";
  S3Client client(options(), wrong);
  for (const std::function<void()>& call : std::vector<std::function<void()>>{
           [&] { client.put_bytes("k", "x", "text/plain"); }, [&] { client.list(""); },
           [&] { client.check_bucket(); }, [&] { client.head("k"); }}) {
    const auto before = client.stats().requests;
    const SoiError e = expect_error(call);
    EXPECT_EQ(client.stats().requests - before, 1u) << "retried: " << e.what();
    EXPECT_EQ(e.category(), ErrorCategory::auth) << e.what();
    EXPECT_NE(e.message().find("AWS_ACCESS_KEY_ID"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("AWS_SECRET_ACCESS_KEY"), std::string::npos) << e.message();
    const std::string text = std::string(e.what()) + e.message();
    EXPECT_EQ(text.find(wrong.secret_access_key), std::string::npos) << text;
    EXPECT_EQ(text.find(server_->secret_key()), std::string::npos) << text;
  }
  EXPECT_EQ(client.stats().retries, 0u);
}

TEST_F(S3ClientTest, AMissingBucketIsAConfigErrorNamingIt) {
  S3ClientOptions o = options();
  o.bucket = "no-such-bucket-here";
  S3Client client(o, credentials());
  for (const std::function<void()>& call : std::vector<std::function<void()>>{
           [&] { client.check_bucket(); }, [&] { client.put_bytes("k", "x", "text/plain"); },
           [&] { client.list("raw/"); }, [&] { client.get_file("k", dir_ / "out"); }}) {
    const SoiError e = expect_error(call);
    EXPECT_EQ(e.category(), ErrorCategory::config) << e.what();
    EXPECT_NE(e.message().find("bucket 'no-such-bucket-here' does not exist"), std::string::npos) << e.message();
  }
  S3Client existing(options(), credentials());
  EXPECT_NO_THROW(existing.check_bucket());
}

TEST_F(S3ClientTest, AServerThatIsDownIsANetworkErrorAfterRetries) {
  test::SwiftServer doomed;
  ASSERT_NO_THROW(doomed.start());
  doomed.create_bucket("doomed");
  S3ClientOptions o = options();
  o.endpoint = doomed.endpoint();
  o.bucket = "doomed";
  S3Client client(o, {doomed.access_key(), doomed.secret_key(), ""});
  client.put_bytes("k", "x", "text/plain");
  doomed.stop();

  const auto before = client.stats();
  const SoiError e = expect_error([&] { client.get_file("k", dir_ / "out"); });
  EXPECT_EQ(e.category(), ErrorCategory::network) << e.what();
  EXPECT_EQ(client.stats().requests - before.requests, 3u);
  EXPECT_EQ(client.stats().retries - before.retries, 2u);
  EXPECT_NE(e.message().find(client.url_of("k")), std::string::npos) << e.message();
  EXPECT_NE(e.message().find("after 3 attempts"), std::string::npos) << e.message();
  EXPECT_FALSE(fs::exists(dir_ / "out"));
}

TEST_F(S3ClientTest, OneClientServesSeveralThreads) {
  S3Client client(multipart_options(2), credentials());
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      try {
        const std::string body = random_bytes(t % 2 ? 3 * test::SwiftServer::kMinPartSize : 3000, 10 + t);
        const fs::path in = dir_ / ("in" + std::to_string(t));
        const fs::path out = dir_ / ("out" + std::to_string(t));
        write_file(in, body);
        const std::string key = "t/" + std::to_string(t);
        client.put_file(key, in);
        if (!client.get_file(key, out) || read_file(out) != body) ++failures;
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
        ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(client.list("t/").size(), 4u);
}

TEST_F(S3ClientTest, LeftoverUploadsAreListedAndAborted) {
  S3Client client(options(), credentials());
  const test::S3Response created = server_->request({"POST", "/" + bucket_ + "/raw/x?uploads=", "", {}, std::nullopt});
  ASSERT_EQ(created.status, 200) << created.body;
  const std::vector<S3MultipartUploadInfo> uploads = client.list_multipart_uploads("raw/");
  ASSERT_EQ(uploads.size(), 1u);
  EXPECT_EQ(uploads[0].key, "raw/x");
  EXPECT_TRUE(client.list_multipart_uploads("other/").empty());
  client.abort_multipart_upload(uploads[0].key, uploads[0].upload_id);
  EXPECT_TRUE(client.list_multipart_uploads("").empty());
  EXPECT_NO_THROW(client.abort_multipart_upload(uploads[0].key, uploads[0].upload_id)) << "already gone";
}

TEST_F(S3ClientTest, RedactHidesTheSecretInEveryError) {
  clear_secrets();
  S3Credentials credentials_in_use = credentials();
  credentials_in_use.session_token = "session-token-abcdefgh";  // Swift ignores it; it is still a secret
  const std::string secret = credentials_in_use.secret_access_key;
  S3ClientOptions o = options();
  o.retry = quick_retries(2);
  std::vector<SoiError> errors;
  {
    S3Client client(o, credentials_in_use);  // registers what it was given
    EXPECT_EQ(redact("x " + secret + " y").find(secret), std::string::npos);
    client.set_upload_tamper([](int, S3PayloadDigest& digest) { digest.sha256_hex = test::sha256_hex(""); });
    errors.push_back(expect_error([&] { client.put_bytes("k", "x", "text/plain"); }));  // storage
    S3ClientOptions missing = o;
    missing.bucket = "absent-bucket";
    S3Client no_bucket(missing, credentials_in_use);
    errors.push_back(expect_error([&] { no_bucket.list(""); }));  // config
    S3ClientOptions down = o;
    down.endpoint = "http://127.0.0.1:" + std::to_string(test::free_loopback_port());
    S3Client nobody(down, credentials_in_use);
    errors.push_back(expect_error([&] { nobody.head("k"); }));  // network
  }
  S3Credentials wrong = credentials_in_use;
  wrong.secret_access_key = secret + "x";
  S3Client refused(o, wrong);
  errors.push_back(expect_error([&] { refused.put_bytes("k", "x", "text/plain"); }));  // auth
  ASSERT_EQ(errors.size(), 4u);
  for (const SoiError& e : errors) {
    const std::string text = std::string(e.what()) + "\n" + e.message() + "\n" + e.context().url;
    EXPECT_EQ(text.find(secret), std::string::npos) << text;
    EXPECT_EQ(text.find("session-token-abcdefgh"), std::string::npos) << text;
    EXPECT_EQ(text.find(server_->access_key()), std::string::npos) << text;
  }
  EXPECT_EQ(errors[0].category(), ErrorCategory::storage);
  EXPECT_EQ(errors[1].category(), ErrorCategory::config);
  EXPECT_EQ(errors[2].category(), ErrorCategory::network);
  EXPECT_EQ(errors[3].category(), ErrorCategory::auth);
}


}  // namespace
}  // namespace soi
