// S3Client against a throw-away Swift with its S3 API (tests/support/swift_server.hpp) and,
// for answers Swift gives only under load, a scripted loopback server: uploads byte for byte
// (single PUT and parallel multipart), keys that need encoding, the SHA-256 metadata, paging,
// the abort of a failed multipart upload, error categories and retries, and redaction.
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
#include "sinks/store/s3_encoding.hpp"
#include "sinks/store/s3_xml.hpp"
#include "support/scripted_http_server.hpp"
#include "support/suite_server.hpp"
#include "support/swift_server.hpp"
#include "utils/error.hpp"
#include "utils/file_digest.hpp"
#include "utils/redact.hpp"

namespace soi {
namespace {
namespace fs = std::filesystem;

// Bytes that exercise a body: every value, NULs and line ends included, in a random order.
std::string random_bytes(std::size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xFF);
  return out;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const fs::path& path, const std::string& content) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
}

// Runs `call`, expecting a SoiError; returns it.
SoiError expect_error(const std::function<void()>& call) {
  try {
    call();
  } catch (const SoiError& e) {
    return e;
  }
  ADD_FAILURE() << "expected a SoiError";
  return SoiError(ErrorCategory::parse, "no error was thrown");
}

// A retry policy that waits next to nothing.
RetryPolicy quick_retries(int attempts = 3) {
  RetryPolicy retry;
  retry.max_attempts = attempts;
  retry.initial_backoff_ms = 1;
  retry.max_backoff_ms = 5;
  retry.connect_timeout_seconds = 5;
  retry.request_timeout_seconds = 30;
  return retry;
}

// ---------------------------------------------------------------------------------------------
// Encoding and XML: the pure parts of the request layer.

TEST(S3Encoding, KeysKeepOnlyUnreservedBytesAndSlashes) {
  EXPECT_EQ(s3_encode_path("raw/spy/date=2025-01-17/data.parquet"), "raw/spy/date%3D2025-01-17/data.parquet");
  EXPECT_EQ(s3_encode_path("a b+c~d_e-f.g/h"), "a%20b%2Bc~d_e-f.g/h");
  EXPECT_EQ(s3_encode_path("\xC3\xBC%"), "%C3%BC%25");
  EXPECT_EQ(s3_encode_query_component("raw/spy/"), "raw%2Fspy%2F");
}

TEST(S3Encoding, QueryIsSortedAndEveryParameterHasAnEqualsSign) {
  EXPECT_EQ(s3_canonical_query({{"uploads", ""}}), "?uploads=");
  EXPECT_EQ(s3_canonical_query({{"uploadId", "x/y"}, {"partNumber", "3"}}), "?partNumber=3&uploadId=x%2Fy");
  EXPECT_EQ(s3_canonical_query({{"prefix", "raw/"}, {"list-type", "2"}, {"continuation-token", "a+b=="}}),
            "?continuation-token=a%2Bb%3D%3D&list-type=2&prefix=raw%2F");
  EXPECT_EQ(s3_canonical_query({}), "");
}

TEST(S3Encoding, PathStyleAndVirtualHostedUrls) {
  EXPECT_EQ(s3_bucket_url("http://127.0.0.1:9000/", "b", true), "http://127.0.0.1:9000/b");
  EXPECT_EQ(s3_bucket_url("https://s3.amazonaws.com", "b", false), "https://b.s3.amazonaws.com");
  EXPECT_EQ(s3_request_url("https://b.s3.amazonaws.com", "k=1", {}), "https://b.s3.amazonaws.com/k%3D1");
  EXPECT_EQ(s3_request_url("https://b.s3.amazonaws.com", "", {{"list-type", "2"}}),
            "https://b.s3.amazonaws.com/?list-type=2");
  EXPECT_EQ(s3_request_url("http://127.0.0.1:9000/b", "", {{"list-type", "2"}}), "http://127.0.0.1:9000/b?list-type=2");
}

TEST(S3Xml, ReadsListingsErrorsAndEscapes) {
  const std::string listing =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Name>b</Name><Prefix>raw/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>"
      "<NextContinuationToken>cmF3L2I=</NextContinuationToken>"
      "<Contents><Key>raw/a&amp;b</Key><LastModified>x</LastModified><ETag>&quot;abc&quot;</ETag><Size>12</Size>"
      "</Contents><Contents><Key>raw/c&#x3D;d</Key><ETag>\"def-2\"</ETag><Size>0</Size></Contents></ListBucketResult>";
  const S3ListPage page = parse_s3_list_page(listing);
  ASSERT_EQ(page.objects.size(), 2u);
  EXPECT_EQ(page.objects[0].key, "raw/a&b");
  EXPECT_EQ(page.objects[0].bytes, 12u);
  EXPECT_EQ(page.objects[0].etag, "abc");
  EXPECT_EQ(page.objects[1].key, "raw/c=d");
  EXPECT_EQ(page.objects[1].etag, "def-2");
  EXPECT_TRUE(page.truncated);
  EXPECT_EQ(page.next_continuation_token, "cmF3L2I=");
  EXPECT_THROW(parse_s3_list_page("<Error><Code>x</Code></Error>"), SoiError);

  const S3ErrorBody error = parse_s3_error(
      "<?xml version='1.0' encoding='UTF-8'?>\n<Error><Code>BadDigest</Code><Message>The Content-MD5 you "
      "specified did not match what we received.</Message><RequestId>tx1</RequestId></Error>");
  EXPECT_EQ(error.code, "BadDigest");
  EXPECT_EQ(error.message, "The Content-MD5 you specified did not match what we received.");
  EXPECT_EQ(xml_root_name("  \n <?xml version='1.0'?>\n<Error><Code>x</Code></Error>"), "Error");
  EXPECT_EQ(xml_root_name("<CompleteMultipartUploadResult xmlns=\"x\"><ETag>e</ETag>"), "CompleteMultipartUploadResult");
  EXPECT_EQ(xml_element_text("<Prefix/><KeyCount>3</KeyCount>", "Prefix"), "");
  EXPECT_EQ(xml_element_text("<KeyCount>3</KeyCount>", "Key"), std::nullopt);
  EXPECT_EQ(s3_complete_multipart_body({{1, "\"a\""}, {2, "b"}}),
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;a&quot;</ETag></Part>"
            "<Part><PartNumber>2</PartNumber><ETag>b</ETag></Part></CompleteMultipartUpload>");
}

// ---------------------------------------------------------------------------------------------
// Credentials.

class S3CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : kNames) {
      if (const char* value = std::getenv(name)) saved_.emplace_back(name, value);
      ::unsetenv(name);
    }
    fs::create_directories(dir_);
  }
  void TearDown() override {
    for (const char* name : kNames) ::unsetenv(name);
    for (const auto& [name, value] : saved_) ::setenv(name.c_str(), value.c_str(), 1);
    fs::remove_all(dir_);
  }
  static constexpr const char* kNames[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"};
  std::vector<std::pair<std::string, std::string>> saved_;
  const fs::path dir_ = fs::temp_directory_path() / ("soi_s3_credentials_" + std::to_string(::getpid()));
};

TEST_F(S3CredentialsTest, ComeFromTheEnvironmentOrDotEnvAndAreRedacted) {
  ::setenv("AWS_ACCESS_KEY_ID", "test:user-from-env", 1);
  write_file(dir_ / ".env", "AWS_SECRET_ACCESS_KEY=dotenv-secret-value-1234\nAWS_SESSION_TOKEN='token-value-5678'\n");
  const S3Credentials credentials = load_s3_credentials((dir_ / ".env").string());
  EXPECT_EQ(credentials.access_key_id, "test:user-from-env");
  EXPECT_EQ(credentials.secret_access_key, "dotenv-secret-value-1234");
  EXPECT_EQ(credentials.session_token, "token-value-5678");
  const std::string text = redact("id test:user-from-env secret dotenv-secret-value-1234 token token-value-5678");
  EXPECT_EQ(text.find("dotenv-secret-value-1234"), std::string::npos) << text;
  EXPECT_EQ(text.find("token-value-5678"), std::string::npos) << text;
  EXPECT_EQ(text.find("test:user-from-env"), std::string::npos) << text;
}

TEST_F(S3CredentialsTest, MissingOnesAreAnAuthErrorNamingTheVariablesOnly) {
  ::setenv("AWS_SECRET_ACCESS_KEY", "only-the-secret-is-set-9876", 1);
  const SoiError e = expect_error([&] { load_s3_credentials((dir_ / "absent.env").string()); });
  EXPECT_EQ(e.category(), ErrorCategory::auth);
  EXPECT_NE(e.message().find("AWS_ACCESS_KEY_ID"), std::string::npos) << e.message();
  EXPECT_EQ(e.message().find("AWS_SECRET_ACCESS_KEY"), std::string::npos) << e.message();
  EXPECT_EQ(std::string(e.what()).find("only-the-secret"), std::string::npos) << e.what();
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  const SoiError both = expect_error([&] { load_s3_credentials((dir_ / "absent.env").string()); });
  EXPECT_NE(both.message().find("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"), std::string::npos) << both.message();
}

// ---------------------------------------------------------------------------------------------
// Against Swift.

TEST(S3ClientSwiftAvailability, SetupInstalledSwift) {
  // scripts/setup.sh installs it: missing is a broken machine, not a reason to skip.
  EXPECT_TRUE(test::SwiftServer::available()) << "run scripts/setup.sh";
}

class S3ClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { start_error_ = test::start_suite_server(server_); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(start_error_.empty()) << start_error_;
    const std::string name = test::current_test_slug();
    bucket_ = "c-" + name;
    ASSERT_NO_THROW(server_->create_bucket(bucket_));
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

  static test::SwiftServer* server_;
  static std::string start_error_;
  std::string bucket_;
  const fs::path dir_ = fs::temp_directory_path() / ("soi_s3_client_" + std::to_string(::getpid()));
};

test::SwiftServer* S3ClientTest::server_ = nullptr;
std::string S3ClientTest::start_error_;

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
  client.set_upload_tamper([&](int part, std::string& md5) {
    if (part == 3) {
      md5 = "1B2M2Y8AsgTpgAmY7PhCfg==";  // the MD5 of ""
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
  client.set_upload_tamper([](int part, std::string& md5) {
    if (part == 0) md5 = "1B2M2Y8AsgTpgAmY7PhCfg==";
  });
  const SoiError e = expect_error([&] { client.put_bytes("k", "body", "text/plain"); });
  EXPECT_EQ(e.category(), ErrorCategory::storage);
  EXPECT_NE(e.message().find("HTTP 400 BadDigest"), std::string::npos) << e.message();
  EXPECT_EQ(client.stats().requests, 1u) << "a refused body is not retried";
  EXPECT_FALSE(client.head("k"));
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
    client.set_upload_tamper([](int, std::string& md5) { md5 = "1B2M2Y8AsgTpgAmY7PhCfg=="; });
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

// ---------------------------------------------------------------------------------------------
// Answers Swift does not give on demand, from a scripted server.

S3ClientOptions scripted_options(const test::ScriptedHttpServer& server) {
  S3ClientOptions o;
  o.endpoint = server.endpoint();
  o.bucket = "bucket";
  o.retry = quick_retries(4);
  return o;
}

const S3Credentials kScriptedCredentials{"scripted:user", "scripted-secret-value", ""};

TEST(S3ClientScripted, SlowDownAndServerErrorsAreRetriedHonouringRetryAfter) {
  const std::string slow_down = "<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>";
  test::ScriptedHttpServer server({{503, {"Retry-After: 7"}, slow_down},
                                   {500, {}, "<Error><Code>InternalError</Code></Error>"},
                                   {200, {"ETag: \"abc\""}, ""}});
  S3Client client(scripted_options(server), kScriptedCredentials);
  std::vector<std::chrono::milliseconds> waits;
  client.set_sleeper([&](std::chrono::milliseconds wait) { waits.push_back(wait); });
  const S3ObjectInfo stored = client.put_bytes("raw/date=1/k", "body", "text/plain");
  EXPECT_EQ(stored.etag, "abc");
  ASSERT_EQ(waits.size(), 2u);
  EXPECT_EQ(waits[0], std::chrono::seconds(7));  // Retry-After
  EXPECT_LE(waits[1], std::chrono::milliseconds(5));  // the policy's backoff
  EXPECT_EQ(client.stats().retries, 2u);

  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  for (const auto& r : requests) {
    EXPECT_EQ(r.method, "PUT");
    EXPECT_EQ(r.target, "/bucket/raw/date%3D1/k");
    EXPECT_EQ(r.body, "body");
    EXPECT_EQ(r.headers.at("x-amz-content-sha256"), test::sha256_hex("body"));
    EXPECT_EQ(r.headers.at("x-amz-meta-sha256"), test::sha256_hex("body"));
    EXPECT_EQ(r.headers.at("content-type"), "text/plain");
    EXPECT_FALSE(r.headers.at("content-md5").empty());
    // Signed by libcurl: the access key in the credential scope, never the secret.
    EXPECT_NE(r.headers.at("authorization").find("AWS4-HMAC-SHA256 Credential=scripted:user/"), std::string::npos);
    EXPECT_NE(r.headers.at("authorization").find("/us-east-1/s3/aws4_request"), std::string::npos);
    EXPECT_EQ(r.headers.at("authorization").find("scripted-secret-value"), std::string::npos);
    EXPECT_FALSE(r.headers.count("x-amz-security-token"));
  }
}

TEST(S3ClientScripted, ARetryAfterBeyondTheCeilingFailsAtOnceAsRateLimited) {
  test::ScriptedHttpServer server({{429, {"Retry-After: 3600"}, ""}});
  S3Client client(scripted_options(server), kScriptedCredentials);
  client.set_sleeper([](std::chrono::milliseconds) { ADD_FAILURE() << "no wait expected"; });
  const SoiError e = expect_error([&] { client.head("k"); });
  EXPECT_EQ(e.category(), ErrorCategory::rate_limit) << e.what();
  EXPECT_NE(e.message().find("max_retry_after_seconds"), std::string::npos) << e.message();
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(S3ClientScripted, RetriesRunOutAsAServerError) {
  test::ScriptedHttpServer server({{503, {}, "<Error><Code>ServiceUnavailable</Code></Error>"}});
  S3Client client(scripted_options(server), kScriptedCredentials);
  client.set_sleeper([](std::chrono::milliseconds) {});
  const SoiError e = expect_error([&] { client.list(""); });
  EXPECT_EQ(e.category(), ErrorCategory::server) << e.what();
  EXPECT_EQ(e.http_status(), 503);
  EXPECT_EQ(server.requests().size(), 4u);
}

TEST(S3ClientScripted, ASessionTokenGoesAsXAmzSecurityToken) {
  test::ScriptedHttpServer server({{200, {}, ""}});
  S3Client client(scripted_options(server), {"scripted:user", "scripted-secret-value", "the-session-token"});
  EXPECT_TRUE(client.head("k"));
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& r = requests[0];
  EXPECT_EQ(r.method, "HEAD");
  EXPECT_EQ(r.headers.at("x-amz-security-token"), "the-session-token");
  EXPECT_NE(r.headers.at("authorization").find("x-amz-security-token"), std::string::npos) << "signed";
}

// A 200 to CompleteMultipartUpload whose body turns out to be an <Error>.
std::vector<test::ScriptedReply> multipart_script(const std::string& completion_error) {
  return {{200, {}, "<InitiateMultipartUploadResult><Bucket>bucket</Bucket><Key>k</Key><UploadId>up/1+2</UploadId>"
                    "</InitiateMultipartUploadResult>"},
          {200, {"ETag: \"p1\""}, ""},
          {200, {"ETag: \"p2\""}, ""},
          {200, {}, "<?xml version=\"1.0\"?>\n\n   \n<Error><Code>" + completion_error + "</Code><Message>late failure"
                    "</Message></Error>"},
          {204, {}, ""}};
}

TEST(S3ClientScripted, ACompletionAnswered200WithAnErrorIsAFailureAndTheUploadIsAborted) {
  test::ScriptedHttpServer server(multipart_script("InvalidPart"));
  S3ClientOptions o = scripted_options(server);
  o.multipart_threshold = 10;
  o.part_size = 30;
  o.parallel_parts = 1;
  S3Client client(o, kScriptedCredentials);
  const fs::path file = fs::temp_directory_path() / ("soi_s3_scripted_" + std::to_string(::getpid()));
  write_file(file, std::string(50, 'x'));
  const SoiError e = expect_error([&] { client.put_file("k", file); });
  fs::remove(file);
  EXPECT_EQ(e.category(), ErrorCategory::storage) << e.what();
  EXPECT_NE(e.message().find("HTTP 200 InvalidPart: late failure"), std::string::npos) << e.message();
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 5u);
  EXPECT_EQ(requests[0].method + " " + requests[0].target, "POST /bucket/k?uploads=");
  EXPECT_EQ(requests[0].headers.at("x-amz-meta-sha256"), test::sha256_hex(std::string(50, 'x')));
  EXPECT_EQ(requests[1].method + " " + requests[1].target, "PUT /bucket/k?partNumber=1&uploadId=up%2F1%2B2");
  EXPECT_EQ(requests[1].body, std::string(30, 'x'));
  EXPECT_EQ(requests[1].headers.at("x-amz-content-sha256"), test::sha256_hex(std::string(30, 'x')));
  EXPECT_EQ(requests[2].body, std::string(20, 'x'));
  EXPECT_EQ(requests[3].method + " " + requests[3].target, "POST /bucket/k?uploadId=up%2F1%2B2");
  EXPECT_EQ(requests[3].headers.at("content-type"), "application/xml");
  EXPECT_NE(requests[3].body.find("<Part><PartNumber>2</PartNumber><ETag>&quot;p2&quot;</ETag></Part>"),
            std::string::npos)
      << requests[3].body;
  EXPECT_EQ(requests[4].method + " " + requests[4].target, "DELETE /bucket/k?uploadId=up%2F1%2B2");
}

TEST(S3ClientScripted, ACompletionFailingLateWithInternalErrorIsRetried) {
  std::vector<test::ScriptedReply> script = multipart_script("InternalError");
  script[4] = {200, {}, "<CompleteMultipartUploadResult><ETag>\"whole-2\"</ETag></CompleteMultipartUploadResult>"};
  test::ScriptedHttpServer server(script);
  S3ClientOptions o = scripted_options(server);
  o.multipart_threshold = 10;
  o.part_size = 30;
  o.parallel_parts = 2;
  S3Client client(o, kScriptedCredentials);
  client.set_sleeper([](std::chrono::milliseconds) {});
  const fs::path file = fs::temp_directory_path() / ("soi_s3_scripted_" + std::to_string(::getpid()));
  write_file(file, std::string(50, 'y'));
  const S3ObjectInfo stored = client.put_file("k", file);
  fs::remove(file);
  EXPECT_EQ(stored.etag, "whole-2");
  EXPECT_EQ(server.requests().size(), 5u);
  EXPECT_EQ(server.requests()[4].method, "POST");
}

std::string base64_md5(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_md5(), nullptr);
  unsigned char out[64];
  const int n = EVP_EncodeBlock(out, digest, static_cast<int>(len));
  return std::string(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
}

// From 4 MiB on, the SHA-256 and the MD5 of a file are computed on two threads.
TEST(S3ClientScripted, ALargeBodyGoesWithItsSha256AndMd5) {
  test::ScriptedHttpServer server({{200, {"ETag: \"e\""}, ""}});
  S3Client client(scripted_options(server), kScriptedCredentials);
  const std::string body = random_bytes(5 << 20, 7);
  const fs::path file = fs::temp_directory_path() / ("soi_s3_scripted_" + std::to_string(::getpid()));
  write_file(file, body);
  const S3ObjectInfo stored = client.put_file("big", file);
  fs::remove(file);
  EXPECT_EQ(stored.sha256, test::sha256_hex(body));
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_TRUE(requests[0].body == body);
  EXPECT_EQ(requests[0].headers.at("x-amz-content-sha256"), test::sha256_hex(body));
  EXPECT_EQ(requests[0].headers.at("content-md5"), base64_md5(body));
}

TEST(S3ClientScripted, ContentMd5CanBeLeftOut) {
  test::ScriptedHttpServer server({{200, {"ETag: \"e\""}, ""}});
  S3ClientOptions o = scripted_options(server);
  o.content_md5 = false;
  S3Client client(o, kScriptedCredentials);
  bool tampered = false;
  client.set_upload_tamper([&](int, std::string&) { tampered = true; });
  client.put_bytes("k", "body", "text/plain");
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_FALSE(requests[0].headers.count("content-md5"));
  EXPECT_EQ(requests[0].headers.at("x-amz-content-sha256"), test::sha256_hex("body"));
  EXPECT_FALSE(tampered);
}

TEST(S3ClientScripted, UrlOfNamesEndpointBucketAndKeyOnly) {
  S3ClientOptions o;
  o.endpoint = "https://s3.amazonaws.com";
  o.bucket = "my-bucket";
  o.path_style = false;
  S3Client hosted(o, kScriptedCredentials);
  EXPECT_EQ(hosted.url_of("raw/spy/date=2025-01-17/data.parquet"),
            "https://my-bucket.s3.amazonaws.com/raw/spy/date=2025-01-17/data.parquet");
  o.endpoint = "http://127.0.0.1:9000";
  o.path_style = true;
  S3Client path(o, kScriptedCredentials);
  EXPECT_EQ(path.url_of("k"), "http://127.0.0.1:9000/my-bucket/k");
  o.bucket = "";
  EXPECT_THROW(S3Client(o, kScriptedCredentials), SoiError);
}

}  // namespace
}  // namespace soi
