// Shared by the S3 client's unit tests (s3_request_test, s3_client_test,
// s3_client_scripted_test): bodies, files, an expected error and quick retries.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <random>
#include <string>

#include "config/config.hpp"
#include "utils/error.hpp"

namespace soi::s3_testing {

namespace fs = std::filesystem;

// Bytes that exercise a body: every value, NULs and line ends included, in a random order.
inline std::string random_bytes(std::size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xFF);
  return out;
}

inline std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void write_file(const fs::path& path, const std::string& content) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
}

// Runs `call`, expecting a SoiError; returns it.
inline SoiError expect_error(const std::function<void()>& call) {
  try {
    call();
  } catch (const SoiError& e) {
    return e;
  }
  ADD_FAILURE() << "expected a SoiError";
  return SoiError(ErrorCategory::parse, "no error was thrown");
}

// A retry policy that waits next to nothing.
inline RetryPolicy quick_retries(int attempts = 3) {
  RetryPolicy retry;
  retry.max_attempts = attempts;
  retry.initial_backoff_ms = 1;
  retry.max_backoff_ms = 5;
  retry.connect_timeout_seconds = 5;
  retry.request_timeout_seconds = 30;
  return retry;
}


}  // namespace soi::s3_testing
