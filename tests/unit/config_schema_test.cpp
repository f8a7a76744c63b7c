// The schema against its users: the repository's config/*.yaml, docs/configuration.md,
// `config show` output and environment variable names.
#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "config/config.hpp"
#include "config/config_dump.hpp"
#include "config/config_schema.hpp"

namespace soi::config {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(ConfigSchemaTest, RepositoryYamlShowsEverySetting) {
  // The YAML files are the user's documentation: each setting must be spelled out.
  for (const auto& spec : schema()) {
    YAML::Node node = YAML::LoadFile(std::string(SOI_SOURCE_DIR "/config/") + file_name(spec.file));
    std::string key = spec.key;
    for (size_t dot; (dot = key.find('.')) != std::string::npos; key = key.substr(dot + 1)) {
      node.reset(node[key.substr(0, dot)]);
      ASSERT_TRUE(node.IsMap()) << file_name(spec.file) << " lacks section of " << spec.key;
    }
    EXPECT_TRUE(node[key].IsDefined()) << file_name(spec.file) << " does not show " << spec.key;
  }
}

TEST(ConfigSchemaTest, EnvironmentNamesFollowTheRuleAndAreUnique) {
  EXPECT_EQ(find_setting(ConfigFile::settings, "data_dir")->env_name(), "SOI_SETTINGS_DATA_DIR");
  EXPECT_EQ(find_setting(ConfigFile::settings, "late_data.streaming_policy")->env_name(),
            "SOI_SETTINGS_LATE_DATA_STREAMING_POLICY");
  EXPECT_EQ(find_setting(ConfigFile::sources, "spy.page_limit")->env_name(), "SOI_SOURCES_SPY_PAGE_LIMIT");
  EXPECT_EQ(find_setting(ConfigFile::settings, "stream.queue_policy")->env_name(), "SOI_SETTINGS_STREAM_QUEUE_POLICY");
  EXPECT_EQ(find_setting(ConfigFile::sources, "websocket.base_url")->env_name(), "SOI_SOURCES_WEBSOCKET_BASE_URL");
  EXPECT_EQ(find_setting(ConfigFile::retry_policy, "retry_on_status")->env_name(),
            "SOI_RETRY_POLICY_RETRY_ON_STATUS");
  std::set<std::string> names;
  for (const auto& spec : schema()) EXPECT_TRUE(names.insert(spec.env_name()).second) << spec.env_name();
}

TEST(ConfigSchemaTest, EverySettingHasAOneLineDescription) {
  // Defaults are validated by RepositoryConfigEqualsStructDefaults (config_test.cpp).
  for (const auto& spec : schema()) {
    EXPECT_FALSE(spec.description.empty()) << spec.key;
    EXPECT_EQ(spec.description.find('\n'), std::string::npos) << spec.key;
  }
}

TEST(ConfigSchemaTest, DumpPrintsEverySettingAsFileKeyValue) {
  Config config;
  config.simulator.faults = {"status=500"};
  const std::string dump = dump_config(config);
  EXPECT_EQ(static_cast<size_t>(std::count(dump.begin(), dump.end(), '\n')), schema().size());
  EXPECT_NE(dump.find("settings.yaml: data_dir = \"./data\"\n"), std::string::npos) << dump;
  EXPECT_NE(dump.find("settings.yaml: late_data.streaming_policy = \"reject\"\n"), std::string::npos);
  EXPECT_NE(dump.find("sources.yaml: spy.page_limit = 50000\n"), std::string::npos);
  EXPECT_NE(dump.find("sources.yaml: spy.enabled = true\n"), std::string::npos);
  EXPECT_NE(dump.find("settings.yaml: stream.queue_policy = \"spill\"\n"), std::string::npos);
  EXPECT_NE(dump.find("sources.yaml: websocket.base_url = \"\"\n"), std::string::npos);
  EXPECT_NE(dump.find("retry_policy.yaml: jitter = 0.2\n"), std::string::npos);
  EXPECT_NE(dump.find("retry_policy.yaml: retry_on_status = [429, 500, 502, 503, 504]\n"), std::string::npos);
  EXPECT_NE(dump.find("simulator.yaml: faults = [\"status=500\"]\n"), std::string::npos);
}

TEST(ConfigSchemaTest, DocsReferenceIsGeneratedFromTheSchema) {
  const std::string doc_path = SOI_SOURCE_DIR "/docs/configuration.md";
  const std::string doc = read_text(doc_path);
  const std::string begin = "<!-- BEGIN GENERATED SETTINGS REFERENCE -->\n";
  const std::string end = "<!-- END GENERATED SETTINGS REFERENCE -->";
  const size_t from = doc.find(begin);
  const size_t to = doc.find(end);
  ASSERT_NE(from, std::string::npos) << doc_path << " lacks the generated-reference markers";
  ASSERT_NE(to, std::string::npos);
  const std::string current = doc.substr(from + begin.size(), to - from - begin.size());
  const std::string expected = "\n" + reference_markdown();
  if (current != expected) {
    // Leave the fresh table next to the test binary so updating the doc is a copy.
    const std::string fresh = "configuration_reference.md";
    std::ofstream(fresh) << expected;
    FAIL() << doc_path << " is out of date with the schema; replace the text between the markers with "
           << fresh << " (written in the test's working directory)";
  }
}

}  // namespace
}  // namespace soi::config
