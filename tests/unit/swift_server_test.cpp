// The throw-away Swift S3 server (tests/support/swift_server.hpp) behaves as the S3 sink's tests
// will need, and as docs/s3-test-server.md says: signed requests from libcurl, objects byte for
// byte, multipart uploads, listings, and the error codes it answers with.
#include "support/swift_server.hpp"
#include "support/suite_server.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace soi::test {
namespace {

std::string between(const std::string& text, const std::string& open, const std::string& close, std::size_t from = 0) {
  const auto a = text.find(open, from);
  if (a == std::string::npos) return {};
  const auto b = text.find(close, a + open.size());
  return b == std::string::npos ? std::string() : text.substr(a + open.size(), b - a - open.size());
}

std::vector<std::string> keys_of(const std::string& listing) {
  std::vector<std::string> keys;
  for (std::size_t at = listing.find("<Key>"); at != std::string::npos; at = listing.find("<Key>", at + 1))
    keys.push_back(between(listing, "<Key>", "</Key>", at));
  return keys;
}

std::string percent_encode(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

std::string base64_md5(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_md5(), nullptr);
  unsigned char out[64];
  const int n = EVP_EncodeBlock(out, digest, static_cast<int>(len));
  return std::string(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
}

std::string from_hex(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return out;
}

// Bytes 0..255 over and over: NULs, high bytes and line ends must all survive.
std::string binary(std::size_t size, unsigned char offset = 0) {
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>(static_cast<unsigned char>(i + offset));
  return out;
}

TEST(SwiftServerAvailabilityTest, SetupInstalledSwift) {
  // scripts/setup.sh installs it: missing is a broken machine, not a reason to skip.
  EXPECT_TRUE(SwiftServer::available()) << "run scripts/setup.sh";
}

class SwiftServerTest : public SwiftBucketTest {
 protected:
  S3Response put(const std::string& encoded_key, const std::string& body, std::vector<std::string> headers = {}) {
    return server_->request({"PUT", "/" + bucket_ + "/" + encoded_key, body, std::move(headers), std::nullopt});
  }
  S3Response get(const std::string& target) { return server_->request({"GET", target, "", {}, std::nullopt}); }
};


TEST_F(SwiftServerTest, ServesOnLoopbackWithFreshCredentials) {
  EXPECT_TRUE(server_->running());
  EXPECT_EQ(server_->endpoint(), "http://127.0.0.1:" + std::to_string(server_->port()));
  EXPECT_EQ(server_->region(), "us-east-1");
  EXPECT_EQ(server_->access_key().rfind("test:", 0), 0u);
  EXPECT_GE(server_->secret_key().size(), 20u);
  // Every server listens on 127.0.0.1 alone (/proc/net/tcp: local address 0100007F, state 0A).
  ASSERT_EQ(server_->server_ports().size(), 4u);
  for (const int port : server_->server_ports()) {
    std::ifstream tcp("/proc/net/tcp");
    std::vector<std::string> listening;
    char hex_port[8];
    std::snprintf(hex_port, sizeof hex_port, ":%04X", port);
    for (std::string line; std::getline(tcp, line);) {
      std::istringstream fields(line);
      std::string slot, local, remote, state;
      fields >> slot >> local >> remote >> state;
      if (state == "0A" && local.size() > 5 && local.substr(local.size() - 5) == hex_port) listening.push_back(local);
    }
    EXPECT_EQ(listening, std::vector<std::string>{std::string("0100007F") + hex_port}) << port;
  }
  // A second create of the same bucket is refused as S3 does.
  const S3Response again = server_->request({"PUT", "/" + bucket_, "", {}, std::nullopt});
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.error_code(), "BucketAlreadyOwnedByYou");
}

TEST_F(SwiftServerTest, PutThenGetReturnsTheSameBytes) {
  const std::string body = binary(70'000);
  const S3Response stored = put("raw/spy/data.parquet", body, {"Content-Type: application/octet-stream"});
  ASSERT_EQ(stored.status, 200) << stored.body;
  EXPECT_EQ(stored.header("etag"), "\"" + md5_hex(body) + "\"");  // a single PUT's ETag is the MD5

  const S3Response got = get("/" + bucket_ + "/raw/spy/data.parquet");
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_TRUE(got.body == body);
  EXPECT_EQ(got.header("content-length"), std::to_string(body.size()));
  EXPECT_EQ(got.header("content-type"), "application/octet-stream");

  const S3Response missing = get("/" + bucket_ + "/raw/spy/other.parquet");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.error_code(), "NoSuchKey");
}

TEST_F(SwiftServerTest, KeyWithEqualsSignWorksPercentEncoded) {
  const std::string key = "raw/spy/date=2025-01-17/data.parquet";
  const S3Response stored = put("raw/spy/date%3D2025-01-17/data.parquet", "day one");
  ASSERT_EQ(stored.status, 200) << stored.body;
  const S3Response got = get("/" + bucket_ + "/raw/spy/date%3D2025-01-17/data.parquet");
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body, "day one");
  const S3Response listed = get("/" + bucket_ + "?list-type=2&prefix=raw%2Fspy%2F");
  EXPECT_EQ(keys_of(listed.body), std::vector<std::string>{key});

  // Sent raw, the '=' is signed raw by libcurl, while Swift (as AWS) signs the path with each
  // '=' encoded: the signatures differ.
  const S3Response raw = put("raw/spy/date=2025-01-18/data.parquet", "day two");
  EXPECT_EQ(raw.status, 403);
  EXPECT_EQ(raw.error_code(), "SignatureDoesNotMatch");
  EXPECT_NE(raw.body.find("date%3D2025-01-18"), std::string::npos) << raw.body;  // its canonical request
}

TEST_F(SwiftServerTest, RefusesAWrongSecretOrPayloadHash) {
  S3Credentials wrong = server_->credentials();
  wrong.secret_key.back() = wrong.secret_key.back() == 'a' ? 'b' : 'a';
  const S3Response bad_secret = s3_request(wrong, {"PUT", "/" + bucket_ + "/k", "x", {}, std::nullopt});
  EXPECT_EQ(bad_secret.status, 403);
  EXPECT_EQ(bad_secret.error_code(), "SignatureDoesNotMatch");
  EXPECT_EQ(bad_secret.body.find(server_->secret_key()), std::string::npos);

  S3Credentials stranger = server_->credentials();
  stranger.access_key = "test:nobody";
  const S3Response unknown = s3_request(stranger, {"GET", "/" + bucket_ + "/k", "", {}, std::nullopt});
  EXPECT_EQ(unknown.status, 403);
  EXPECT_EQ(unknown.error_code(), "SignatureDoesNotMatch");  // not InvalidAccessKeyId as on AWS

  // A payload hash that is not the body's: 400 BadDigest, and nothing is stored.
  const S3Response bad_hash =
      server_->request({"PUT", "/" + bucket_ + "/k", "the body", {}, sha256_hex("another body")});
  EXPECT_EQ(bad_hash.status, 400);
  EXPECT_EQ(bad_hash.error_code(), "BadDigest");
  EXPECT_EQ(get("/" + bucket_ + "/k").status, 404);

  // The header is required; UNSIGNED-PAYLOAD skips the check.
  const S3Response no_hash = server_->request({"PUT", "/" + bucket_ + "/k", "the body", {}, ""});
  EXPECT_EQ(no_hash.status, 400);
  EXPECT_EQ(no_hash.error_code(), "InvalidRequest");
  EXPECT_EQ(server_->request({"PUT", "/" + bucket_ + "/k", "the body", {}, "UNSIGNED-PAYLOAD"}).status, 200);
}

TEST_F(SwiftServerTest, MultipartUploadJoinsItsParts) {
  const std::string target = "/" + bucket_ + "/raw/options/date%3D2025-01-17/data.parquet";
  const S3Response created = server_->request({"POST", target + "?uploads=", "", {}, std::nullopt});
  ASSERT_EQ(created.status, 200) << created.body;
  const std::string upload_id = between(created.body, "<UploadId>", "</UploadId>");
  ASSERT_FALSE(upload_id.empty()) << created.body;

  const std::string part1 = binary(SwiftServer::kMinPartSize, 1);
  const std::string part2 = binary(1000, 7);  // the last part may be smaller
  std::vector<std::string> etags;
  int number = 0;
  for (const std::string* part : {&part1, &part2}) {
    const S3Response r = server_->request(
        {"PUT", target + "?partNumber=" + std::to_string(++number) + "&uploadId=" + upload_id, *part, {}, std::nullopt});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("etag"), "\"" + md5_hex(*part) + "\"");
    etags.push_back(r.header("etag"));
  }
  const std::string complete = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>" + etags[0] +
                               "</ETag></Part><Part><PartNumber>2</PartNumber><ETag>" + etags[1] +
                               "</ETag></Part></CompleteMultipartUpload>";
  const S3Response done = server_->request({"POST", target + "?uploadId=" + upload_id, complete, {}, std::nullopt});
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_NE(done.body.find("<CompleteMultipartUploadResult"), std::string::npos) << done.body;
  // As on AWS: the MD5 of the parts' binary MD5s, then "-" and the number of parts.
  EXPECT_EQ(between(done.body, "<ETag>", "</ETag>"),
            "\"" + md5_hex(from_hex(md5_hex(part1)) + from_hex(md5_hex(part2))) + "-2\"");

  const S3Response got = get(target);
  ASSERT_EQ(got.status, 200);
  EXPECT_TRUE(got.body == part1 + part2);
}

TEST_F(SwiftServerTest, MultipartRefusesASmallPartAndAQueryLibcurlSignsDifferently) {
  const std::string target = "/" + bucket_ + "/small";
  // libcurl signs the query as written; Swift signs "uploads=" and the parameters sorted.
  EXPECT_EQ(server_->request({"POST", target + "?uploads", "", {}, std::nullopt}).error_code(),
            "SignatureDoesNotMatch");
  const S3Response created = server_->request({"POST", target + "?uploads=", "", {}, std::nullopt});
  const std::string upload_id = between(created.body, "<UploadId>", "</UploadId>");
  ASSERT_FALSE(upload_id.empty()) << created.body;
  EXPECT_EQ(server_->request({"PUT", target + "?uploadId=" + upload_id + "&partNumber=1", "x", {}, std::nullopt})
                .error_code(),
            "SignatureDoesNotMatch");

  // A part under the minimum is taken, and refused when the upload is completed.
  const std::string small = binary(SwiftServer::kMinPartSize - 1);
  std::string complete = "<CompleteMultipartUpload>";
  for (int n = 1; n <= 2; ++n) {
    const S3Response r = server_->request(
        {"PUT", target + "?partNumber=" + std::to_string(n) + "&uploadId=" + upload_id, small, {}, std::nullopt});
    ASSERT_EQ(r.status, 200) << r.body;
    complete += "<Part><PartNumber>" + std::to_string(n) + "</PartNumber><ETag>" + r.header("etag") + "</ETag></Part>";
  }
  complete += "</CompleteMultipartUpload>";
  const S3Response done = server_->request({"POST", target + "?uploadId=" + upload_id, complete, {}, std::nullopt});
  EXPECT_EQ(done.status, 400);
  EXPECT_EQ(done.error_code(), "EntityTooSmall");
}

TEST_F(SwiftServerTest, ListObjectsV2PagesThroughAPrefix) {
  for (const char* key : {"raw/spy/date%3D2025-01-16/a", "raw/spy/date%3D2025-01-17/a", "raw/spy/date%3D2025-01-17/b",
                          "raw/vix/date%3D2025-01-17/a"})
    ASSERT_EQ(put(key, key).status, 200);

  const S3Response page1 = get("/" + bucket_ + "?list-type=2&max-keys=2&prefix=raw%2Fspy%2F");
  ASSERT_EQ(page1.status, 200) << page1.body;
  EXPECT_EQ(keys_of(page1.body), (std::vector<std::string>{"raw/spy/date=2025-01-16/a", "raw/spy/date=2025-01-17/a"}));
  EXPECT_EQ(between(page1.body, "<IsTruncated>", "</IsTruncated>"), "true");
  EXPECT_EQ(between(page1.body, "<KeyCount>", "</KeyCount>"), "2");
  const std::string token = between(page1.body, "<NextContinuationToken>", "</NextContinuationToken>");
  ASSERT_FALSE(token.empty()) << page1.body;

  // The token is base64 ('=' and '+' included): it goes percent-encoded, its parameter first.
  const S3Response page2 =
      get("/" + bucket_ + "?continuation-token=" + percent_encode(token) + "&list-type=2&max-keys=2&prefix=raw%2Fspy%2F");
  ASSERT_EQ(page2.status, 200) << page2.body;
  EXPECT_EQ(keys_of(page2.body), std::vector<std::string>{"raw/spy/date=2025-01-17/b"});
  EXPECT_EQ(between(page2.body, "<IsTruncated>", "</IsTruncated>"), "false");

  const S3Response dirs = get("/" + bucket_ + "?delimiter=%2F&list-type=2&prefix=raw%2F");
  EXPECT_NE(dirs.body.find("<CommonPrefixes><Prefix>raw/spy/</Prefix></CommonPrefixes>"), std::string::npos)
      << dirs.body;
}

TEST_F(SwiftServerTest, MissingBucketIsNoSuchBucket) {
  for (const std::string target : {"/no-such-bucket/key", "/no-such-bucket?list-type=2"}) {
    const S3Response r = get(target);
    EXPECT_EQ(r.status, 404) << target;
    EXPECT_EQ(r.error_code(), "NoSuchBucket") << target;
  }
  EXPECT_EQ(put("k", "x").status, 200);  // this test's own bucket exists
}

TEST_F(SwiftServerTest, ConditionalPutIsNotImplementedAndOnlyContentMd5IsChecked) {
  const S3Response conditional = put("once", "x", {"If-None-Match: *"});
  EXPECT_EQ(conditional.status, 501);
  EXPECT_EQ(conditional.error_code(), "NotImplemented");

  const std::string body = "checked body";
  EXPECT_EQ(put("md5-ok", body, {"Content-MD5: " + base64_md5(body)}).status, 200);
  const S3Response bad_md5 = put("md5-bad", body, {"Content-MD5: " + base64_md5("other")});
  EXPECT_EQ(bad_md5.status, 400);
  EXPECT_EQ(bad_md5.error_code(), "BadDigest");
  // x-amz-checksum-* is not looked at: a wrong one is stored all the same.
  EXPECT_EQ(put("sha-ignored", body, {"x-amz-checksum-sha256: 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}).status,
            200);
}

}  // namespace
}  // namespace soi::test
