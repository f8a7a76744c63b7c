// S3Client against a scripted loopback server, for answers Swift does not give on demand:
// SlowDown and Retry-After, retries running out, the session token, a 200 completion that
// carries an <Error>, and the headers an upload's digests go in.
#include "sinks/store/s3_client.hpp"

#include <gtest/gtest.h>
#include <fcntl.h>
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
#include "sinks/store/s3_payload_digest.hpp"
#include "support/scripted_http_server.hpp"
#include "support/swift_server.hpp"  // sha256_hex, and OpenSSL for the MD5
#include "utils/error.hpp"
#include "utils/file_digest.hpp"
#include "utils/redact.hpp"

#include "s3_test_support.hpp"

namespace soi {
namespace {

namespace fs = std::filesystem;
using namespace s3_testing;

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
    EXPECT_EQ(r.headers.at("x-amz-checksum-sha256"), s3_checksum_sha256(test::sha256_hex("body")));
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

std::string base64_digest(const std::string& data, const EVP_MD* md) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, md, nullptr);
  unsigned char out[128];
  const int n = EVP_EncodeBlock(out, digest, static_cast<int>(len));
  return std::string(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
}

fs::path scratch_file(const char* name) {
  return fs::temp_directory_path() / ("soi_s3_scripted_" + std::string(name) + "_" + std::to_string(::getpid()));
}

// A single PUT's checksum is its SHA-256 once more, in base64: no second digest.
TEST(S3ClientScripted, ASinglePutGoesWithItsSha256AsPayloadHashChecksumAndMetadata) {
  test::ScriptedHttpServer server({{200, {"ETag: \"e\""}, ""}});
  S3Client client(scripted_options(server), kScriptedCredentials);
  const std::string body = random_bytes(5 << 20, 7);
  const fs::path file = scratch_file("big");
  write_file(file, body);
  const S3ObjectInfo stored = client.put_file("big", file);
  fs::remove(file);
  EXPECT_EQ(stored.sha256, test::sha256_hex(body));
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_TRUE(requests[0].body == body);
  EXPECT_EQ(requests[0].headers.at("x-amz-content-sha256"), test::sha256_hex(body));
  EXPECT_EQ(requests[0].headers.at("x-amz-checksum-sha256"), base64_digest(body, EVP_sha256()));
  EXPECT_EQ(requests[0].headers.at("x-amz-meta-sha256"), test::sha256_hex(body));
  EXPECT_FALSE(requests[0].headers.count("content-md5"));
}

// The caller's hash is sent as it is: the file is not read to hash it again.
// (A server refuses a wrong one: S3ClientTest.AWrongKnownSha256IsRefused.)
TEST(S3ClientScripted, AKnownSha256IsSentWithoutHashingTheFileAgain) {
  test::ScriptedHttpServer server({{200, {"ETag: \"e\""}, ""}});
  S3Client client(scripted_options(server), kScriptedCredentials);
  const fs::path file = scratch_file("known");
  write_file(file, "body");
  const std::string other = test::sha256_hex("not the body");
  std::string upper = other;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  const S3ObjectInfo stored = client.put_file("k", file, "text/plain", upper);
  fs::remove(file);
  EXPECT_EQ(stored.sha256, other);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].headers.at("x-amz-content-sha256"), other);
  EXPECT_EQ(requests[0].headers.at("x-amz-meta-sha256"), other);
  EXPECT_EQ(requests[0].headers.at("x-amz-checksum-sha256"), s3_checksum_sha256(other));
}

TEST(S3ClientScripted, AKnownSha256ThatIsNotOneIsIgnoredAndTheFileHashed) {
  test::ScriptedHttpServer server({{200, {"ETag: \"e\""}, ""}});
  S3Client client(scripted_options(server), kScriptedCredentials);
  const fs::path file = scratch_file("bad_known");
  write_file(file, "body");
  client.put_file("k", file, "text/plain", "not-a-hash");
  fs::remove(file);
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].headers.at("x-amz-content-sha256"), test::sha256_hex("body"));
}

// From 4 MiB on (a multipart upload's parts), the SHA-256 and the MD5 of a
// range are computed on two threads.
TEST(S3PayloadDigest, ALargeRangeGetsBothDigestsRight) {
  const std::string body = random_bytes(9 << 20, 11);
  const fs::path file = scratch_file("range");
  write_file(file, body);
  const int fd = ::open(file.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  const std::uint64_t offset = 1 << 20, length = 6 << 20;
  const S3PayloadDigest digest = s3_digest_file_range(fd, offset, length, file, true);
  ::close(fd);
  fs::remove(file);
  const std::string range = body.substr(offset, length);
  EXPECT_EQ(digest.sha256_hex, test::sha256_hex(range));
  EXPECT_EQ(digest.md5_base64, base64_digest(range, EVP_md5()));
}

TEST(S3PayloadDigest, ChecksumIsTheBase64OfTheHexDigest) {
  EXPECT_EQ(s3_checksum_sha256(test::sha256_hex("")), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  EXPECT_EQ(s3_checksum_sha256("abc"), "");
  EXPECT_EQ(s3_checksum_sha256(std::string(64, 'g')), "");
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
