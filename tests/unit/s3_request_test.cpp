// The pure parts of the S3 request layer: key and query encoding as libcurl's
// SigV4 must sign them, the XML answers, and the credentials (environment or .env, redacted).
#include "sinks/store/s3_encoding.hpp"

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
#include "utils/error.hpp"
#include "utils/redact.hpp"

#include "s3_test_support.hpp"

namespace soi {
namespace {

namespace fs = std::filesystem;
using namespace s3_testing;

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


}  // namespace
}  // namespace soi
