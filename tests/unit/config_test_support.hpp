// Helpers for the config and secrets tests: a scratch directory and an
// environment guard, so tests neither see the developer's SOI_* / API key
// variables nor leak their own into later tests.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace soi::testing {

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("soi_cfg_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name, std::ios::binary) << text;
  }

 private:
  std::filesystem::path path_;
};

// Clears every variable the config/secrets code reads, restores them on exit.
class EnvGuard {
 public:
  EnvGuard() {
    for (char** entry = environ; *entry != nullptr; ++entry) {
      const std::string text(*entry);
      const auto eq = text.find('=');
      if (eq == std::string::npos) continue;
      const std::string name = text.substr(0, eq);
      if (watched(name)) saved_[name] = text.substr(eq + 1);
    }
    for (const auto& [name, value] : saved_) ::unsetenv(name.c_str());
  }
  ~EnvGuard() {
    std::vector<std::string> now;
    for (char** entry = environ; *entry != nullptr; ++entry) {
      const std::string text(*entry);
      const std::string name = text.substr(0, text.find('='));
      if (watched(name)) now.push_back(name);
    }
    for (const auto& name : now) ::unsetenv(name.c_str());
    for (const auto& [name, value] : saved_) ::setenv(name.c_str(), value.c_str(), 1);
  }
  EnvGuard(const EnvGuard&) = delete;
  EnvGuard& operator=(const EnvGuard&) = delete;

  void set(const std::string& name, const std::string& value) { ::setenv(name.c_str(), value.c_str(), 1); }

 private:
  static bool watched(const std::string& name) {
    return name.starts_with("SOI_") || name == "MASSIVE_API_KEY" || name == "POLYGON_API_KEY";
  }
  std::map<std::string, std::string> saved_;
};

}  // namespace soi::testing
