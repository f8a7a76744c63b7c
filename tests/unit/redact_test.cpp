#include "utils/redact.hpp"

#include <gtest/gtest.h>

#include "utils/error.hpp"

namespace soi {
namespace {

class RedactTest : public ::testing::Test {
 protected:
  void TearDown() override { clear_secrets(); }
};

TEST_F(RedactTest, MasksRegisteredSecretToLastFour) {
  register_secret("abcdefghijklmnop1234");
  EXPECT_EQ(redact("key abcdefghijklmnop1234 in text"), "key ****1234 in text");
  EXPECT_EQ(redact("twice abcdefghijklmnop1234abcdefghijklmnop1234"), "twice ****1234****1234");
}

TEST_F(RedactTest, MasksApiKeyQueryParameterEvenWhenUnregistered) {
  EXPECT_EQ(redact("https://api.massive.com/v2/aggs?apiKey=SECRETVALUE99&limit=5"),
            "https://api.massive.com/v2/aggs?apiKey=****UE99&limit=5");
  EXPECT_EQ(redact("x?APIKEY=zzzzyyyy"), "x?APIKEY=****yyyy");
}

TEST_F(RedactTest, MaskSecretShortInput) {
  EXPECT_EQ(mask_secret("abc"), "****");
  EXPECT_EQ(mask_secret("abcd"), "****abcd");
}

TEST_F(RedactTest, ErrorsAreRedacted) {
  register_secret("TOPSECRETKEY5678");
  SoiError e(ErrorCategory::auth, "bad key TOPSECRETKEY5678", ErrorContext{"spy", "SPY", "2025-01-02",
                                                                          "http://h/x?apiKey=TOPSECRETKEY5678"});
  std::string what = e.what();
  EXPECT_EQ(what.find("TOPSECRETKEY5678"), std::string::npos) << what;
  EXPECT_NE(what.find("****5678"), std::string::npos) << what;
  EXPECT_NE(what.find("[auth]"), std::string::npos);
  EXPECT_NE(what.find("source=spy"), std::string::npos);
  EXPECT_NE(what.find("date=2025-01-02"), std::string::npos);
  EXPECT_EQ(e.context().url.find("TOPSECRETKEY5678"), std::string::npos);
}

}  // namespace
}  // namespace soi
