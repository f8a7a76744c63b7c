// Every failure in soi carries a category and the context it happened in.
// Categories drive retry decisions, the error summary and exit codes.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace soi {

enum class ErrorCategory {
  auth,        // 401/403, missing or refused key
  rate_limit,  // 429
  network,     // DNS, connect, reset, timeout
  server,      // 5xx, service-side ERROR status
  parse,       // body is not the JSON we expect
  schema,      // JSON is valid but its shape drifted from the contract
  validation,  // a record breaks a data rule (low <= open <= high, ...)
  storage,     // Parquet/DuckDB/filesystem
  config,      // bad configuration or usage (exit code 2)
};

std::string_view to_string(ErrorCategory category) noexcept;

// Where an error happened. Every field is optional; url must already be redacted
// (SoiError redacts again anyway).
struct ErrorContext {
  std::string source;  // spy, vix, options, news, simulator, ...
  std::string ticker;
  std::string date;    // YYYY-MM-DD (trading day)
  std::string url;
};

class SoiError : public std::runtime_error {
 public:
  SoiError(ErrorCategory category, std::string message, ErrorContext context = {}, int http_status = 0);

  ErrorCategory category() const noexcept { return category_; }
  const ErrorContext& context() const noexcept { return context_; }
  int http_status() const noexcept { return http_status_; }
  // The bare message, without category/context decoration (already redacted).
  const std::string& message() const noexcept { return message_; }

 private:
  ErrorCategory category_;
  std::string message_;
  ErrorContext context_;
  int http_status_;
};

// "message (source=spy, ticker=SPY, date=2025-01-02, url=...)" with empty fields left out.
std::string describe(std::string_view message, const ErrorContext& context);

}  // namespace soi
