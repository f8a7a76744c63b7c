#include "config/config_yaml.hpp"

#include <cstdint>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>
#include <yaml-cpp/yaml.h>

#include "config/config_names.hpp"
#include "config/config_value.hpp"

namespace soi::config {
namespace {

namespace fs = std::filesystem;

std::string join_key(const std::string& section, const std::string& name) {
  return section.empty() ? name : section + "." + name;
}

std::string describe_shape(const YAML::Node& node) {
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  if (node.IsNull()) return "an empty value";
  return quote_for_message(node.Scalar());
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

// Records where each document starts.
class DocumentStarts : public YAML::EventHandler {
 public:
  YAML::Mark start;
  void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// How many documents `text` holds, counting no further than 2 (all the caller asks is
// "more than one?"). Not YAML::LoadAll: yaml-cpp 0.7's LoadAll never returns on some
// malformed text ("&x:y,z", ","), where its parser keeps handing back an empty
// document without consuming anything, allocating a node each time. A document that starts where
// the previous one did is that case: a syntax error at that mark.
std::size_t count_documents(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts handler;
  std::size_t documents = 0;
  int previous_start = -1;
  while (documents <= 2 && parser.HandleNextDocument(handler)) {
    if (documents > 0 && handler.start.pos == previous_start)
      throw YAML::ParserException(handler.start, "content the YAML parser cannot read");
    previous_start = handler.start.pos;
    ++documents;
  }
  return documents;
}

class FileReader {
 public:
  FileReader(ConfigFile file, Config& config, Origins& origins)
      : file_(file), config_(config), origins_(origins), display_(origins.file_path(file)) {}

  void read() {
    const fs::path path = display_;
    std::error_code ec;
    if (!fs::exists(path, ec)) return;  // a missing file means all defaults
    if (!fs::is_regular_file(path, ec)) fail(display_ + ": is not a regular file");
    // Config files are a few KB; anything this large is not one (and is not read into memory).
    constexpr std::uintmax_t kMaxConfigFileBytes = 1u << 20;
    if (const auto bytes = fs::file_size(path, ec); !ec && bytes > kMaxConfigFileBytes)
      fail(fmt::format("{}: is {} bytes, larger than the 1 MiB a config file may have", display_, bytes));
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(display_ + ": cannot be read");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

    YAML::Node root;
    std::size_t documents = 0;
    try {
      documents = count_documents(text);
      root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      if (e.mark.is_null()) fail(fmt::format("{}: YAML syntax error: {}", display_, e.msg));
      fail(fmt::format("{}: YAML syntax error at line {}, column {}: {}", display_, e.mark.line + 1,
                       e.mark.column + 1, e.msg));
    }
    if (root.IsNull()) return;  // empty or comments only
    if (documents > 1)
      fail(display_ + ": holds more than one YAML document ('---'); keep all settings in one");
    if (!root.IsMap())
      fail(fmt::format("{}: expected a mapping of settings (key: value lines), got {}", display_,
                       describe_shape(root)));
    // Secrets first: a file holding a key must be refused even when it has other errors.
    refuse_secrets(root, "");
    read_section(root, "");
  }

 private:
  void refuse_secrets(const YAML::Node& node, const std::string& path) {
    if (node.IsSequence()) {
      for (size_t i = 0; i < node.size(); ++i) refuse_secrets(node[i], fmt::format("{}[{}]", path, i));
      return;
    }
    if (!node.IsMap()) return;
    for (const auto& pair : node) {
      if (!pair.first.IsScalar()) continue;  // reported as a bad key later
      const std::string name = pair.first.Scalar();
      const std::string full = join_key(path, name);
      // Schema keys are never secrets; anything else that is named like one is.
      if (!find_setting(file_, full) && looks_like_secret(name)) fail(secret_refusal(display_ + ": " + full));
      refuse_secrets(pair.second, full);
    }
  }

  void read_section(const YAML::Node& map, const std::string& section) {
    std::set<std::string> seen;
    for (const auto& pair : map) {
      if (!pair.first.IsScalar())
        fail(fmt::format("{}: {}keys must be plain names, got {}", display_,
                         section.empty() ? "" : section + ": ", describe_shape(pair.first)));
      const std::string full = join_key(section, pair.first.Scalar());
      // yaml-cpp keeps both copies of a repeated key; which one wins would be a guess.
      if (!seen.insert(full).second) fail(fmt::format("{}: {}: duplicate key", display_, full));
      if (const SettingSpec* spec = find_setting(file_, full)) {
        read_setting(*spec, pair.second);
      } else if (is_section(file_, full)) {
        if (pair.second.IsMap()) read_section(pair.second, full);
        else if (!pair.second.IsNull())  // "late_data:" alone keeps the section's defaults
          fail(fmt::format("{}: {}: expected a mapping with keys {}, got {}", display_, full,
                           join_names(keys_below(file_, full)), describe_shape(pair.second)));
      } else {
        fail(unknown_key_message(section, pair.first.Scalar()));
      }
    }
  }

  void read_setting(const SettingSpec& spec, const YAML::Node& node) {
    std::optional<std::string> problem;
    if (spec.is_list()) {
      if (node.IsNull()) {
        problem = assign_list(spec, config_, {});
      } else if (node.IsSequence()) {
        std::vector<std::string> items;
        for (size_t i = 0; i < node.size(); ++i) {
          if (!node[i].IsScalar())
            fail(fmt::format("{}: {}: expected {}, got {} (item {})", display_, spec.key, spec.expectation(),
                             describe_shape(node[i]), i + 1));
          items.push_back(node[i].Scalar());
        }
        problem = assign_list(spec, config_, items);
      } else {
        problem = fmt::format("expected {}, got {}", spec.expectation(), describe_shape(node));
      }
    } else if (node.IsScalar() || node.IsNull()) {
      problem = assign_scalar(spec, config_, node.IsNull() ? "" : node.Scalar());
      if (problem && node.IsNull()) problem = fmt::format("expected {}, got an empty value", spec.expectation());
    } else {
      problem = fmt::format("expected {}, got {}", spec.expectation(), describe_shape(node));
    }
    if (problem) fail(fmt::format("{}: {}: {}", display_, spec.key, *problem));
    origins_.set_from_file(spec);
  }

  std::string unknown_key_message(const std::string& section, const std::string& name) const {
    const std::string full = join_key(section, name);
    std::string hint;
    // The right name at the wrong level ("page_limit" for "spy.page_limit") or in
    // the wrong file ("max_attempts" in settings.yaml) is the likeliest mistake.
    for (const auto& spec : schema()) {
      const std::string leaf = spec.key.substr(spec.key.rfind('.') + 1);
      if (leaf != name) continue;
      hint = spec.file == file_ ? fmt::format("did you mean '{}'?", spec.key)
                                : fmt::format("did you mean '{}' in {}?", spec.key, file_name(spec.file));
      break;
    }
    if (hint.empty()) {
      if (auto near = closest_name(name, keys_below(file_, section)))
        hint = fmt::format("did you mean '{}'?", join_key(section, *near));
    }
    if (hint.empty()) {
      const auto allowed = keys_below(file_, section);
      hint = allowed.empty() ? std::string("this file takes no settings")
                             : "allowed " + std::string(section.empty() ? "here" : "in " + section) + ": " +
                                   join_names(allowed);
    }
    return fmt::format("{}: unknown key '{}' ({})", display_, full, hint);
  }

  ConfigFile file_;
  Config& config_;
  Origins& origins_;
  std::string display_;
};

}  // namespace

void read_yaml_file(ConfigFile file, Config& config, Origins& origins) {
  FileReader(file, config, origins).read();
}

}  // namespace soi::config
