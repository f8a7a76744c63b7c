// API key and other secrets: environment first, then .env; parsing; redaction.
#include <gtest/gtest.h>

#include "config_test_support.hpp"
#include "utils/error.hpp"
#include "utils/redact.hpp"
#include "utils/secrets.hpp"

namespace soi {
namespace {

using testing::EnvGuard;
using testing::TempDir;

class SecretsTest : public ::testing::Test {
 protected:
  void SetUp() override { clear_secrets(); }
  void TearDown() override { clear_secrets(); }

  std::string dotenv(const std::string& text) {
    dir.write(".env", text);
    return dir.file(".env");
  }
  std::string error_for(const std::string& text) {
    const std::string path = dotenv(text);
    try {
      get_secret("MASSIVE_API_KEY", path);
    } catch (const SoiError& e) {
      EXPECT_EQ(e.category(), ErrorCategory::config);
      return e.message();
    }
    return "";
  }

  EnvGuard env;
  TempDir dir;
};

TEST_F(SecretsTest, EnvironmentComesFirst) {
  env.set("MASSIVE_API_KEY", "from-environment-1");
  const auto path = dotenv("MASSIVE_API_KEY=from-file-2\n");
  EXPECT_EQ(load_api_key(path), "from-environment-1");
}

TEST_F(SecretsTest, DotEnvFillsAnUnsetVariable) {
  const auto path = dotenv("MASSIVE_API_KEY=from-file-2\n");
  EXPECT_EQ(load_api_key(path), "from-file-2");
}

TEST_F(SecretsTest, EmptyEnvironmentVariableCountsAsUnset) {
  env.set("MASSIVE_API_KEY", "");
  const auto path = dotenv("MASSIVE_API_KEY=from-file-2\n");
  EXPECT_EQ(load_api_key(path), "from-file-2");
}

TEST_F(SecretsTest, FallsBackToPolygonApiKey) {
  env.set("POLYGON_API_KEY", "polygon-env-3");
  EXPECT_EQ(load_api_key(dir.file("missing.env")), "polygon-env-3");
  const auto path = dotenv("POLYGON_API_KEY=polygon-file-4\n");
  EXPECT_EQ(load_api_key(path), "polygon-env-3");
  env.set("MASSIVE_API_KEY", "massive-env-5");
  EXPECT_EQ(load_api_key(path), "massive-env-5");
}

TEST_F(SecretsTest, PolygonKeyFromFileWhenNothingElse) {
  const auto path = dotenv("# keys\nPOLYGON_API_KEY=polygon-file-4\n");
  EXPECT_EQ(load_api_key(path), "polygon-file-4");
}

TEST_F(SecretsTest, NoKeyAnywhereIsNullopt) {
  EXPECT_EQ(load_api_key(dir.file("missing.env")), std::nullopt);
  EXPECT_EQ(load_api_key(dotenv("OTHER=1\n")), std::nullopt);
  EXPECT_EQ(load_api_key(dotenv("MASSIVE_API_KEY=\n")), std::nullopt);
}

TEST_F(SecretsTest, ParsesDotEnvSyntax) {
  const auto path = dotenv(
      "# a comment\n"
      "\n"
      "   \n"
      "export MASSIVE_API_KEY=\"quoted value\"  # trailing comment\n"
      "SOI_POSTGRES_URL='postgres://u:p#w@h/db'\n"
      "PLAIN = plain-value # comment\n"
      "HASH=abc#def\n"
      "ESCAPED=\"a\\\"b\\\\c\"\n"
      "WINDOWS=crlf-value\r\n"
      "TWICE=first\n"
      "TWICE=second\n");
  EXPECT_EQ(get_secret("MASSIVE_API_KEY", path), "quoted value");
  EXPECT_EQ(get_secret("SOI_POSTGRES_URL", path), "postgres://u:p#w@h/db");
  EXPECT_EQ(get_secret("PLAIN", path), "plain-value");
  EXPECT_EQ(get_secret("HASH", path), "abc#def");
  EXPECT_EQ(get_secret("ESCAPED", path), "a\"b\\c");
  EXPECT_EQ(get_secret("WINDOWS", path), "crlf-value");
  EXPECT_EQ(get_secret("TWICE", path), "second");
  EXPECT_EQ(get_secret("ABSENT", path), std::nullopt);
}

TEST_F(SecretsTest, FileIsNotReadWhenTheEnvironmentHasTheValue) {
  env.set("MASSIVE_API_KEY", "from-environment-1");
  EXPECT_EQ(load_api_key(dotenv("this line is broken\n")), "from-environment-1");
}

TEST_F(SecretsTest, SyntaxErrorsNameTheLineButNotTheValue) {
  const std::string secret = "Zq8uPk2VvSECRETvalue99";
  const std::string path = dir.file(".env");
  std::string message = error_for("OK=1\n\n" + secret + "\n");
  EXPECT_EQ(message, path + ": line 3: expected NAME=VALUE");
  EXPECT_EQ(message.find(secret), std::string::npos);
  message = error_for("MASSIVE_API_KEY=\"" + secret + "\n");
  EXPECT_EQ(message, path + ": line 1: the value has no closing \" quote");
  EXPECT_EQ(message.find(secret), std::string::npos);
  message = error_for("MASSIVE API KEY=" + secret + "\n");
  EXPECT_EQ(message, path + ": line 1: expected NAME=VALUE with a NAME of letters, digits and underscores");
  message = error_for("MASSIVE_API_KEY='" + secret + "' trailing\n");
  EXPECT_EQ(message, path + ": line 1: unexpected text after the closing quote (only a # comment may follow)");
  EXPECT_EQ(message.find(secret), std::string::npos);
}

TEST_F(SecretsTest, ReturnedSecretsAreRedactedEverywhere) {
  env.set("MASSIVE_API_KEY", "envSecretValue1234");
  const auto path = dotenv("SOI_POSTGRES_URL=postgres://user:pw5678@host/db\n");
  ASSERT_TRUE(load_api_key(path));
  ASSERT_TRUE(get_secret("SOI_POSTGRES_URL", path));
  EXPECT_EQ(redact("key envSecretValue1234 used"), "key ****1234 used");
  EXPECT_EQ(redact("db postgres://user:pw5678@host/db"), "db ****t/db");
  const SoiError error(ErrorCategory::auth, "refused key envSecretValue1234");
  EXPECT_EQ(std::string(error.what()).find("envSecretValue1234"), std::string::npos);
}

}  // namespace
}  // namespace soi
