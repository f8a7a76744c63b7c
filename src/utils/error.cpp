#include "utils/error.hpp"

#include "utils/redact.hpp"

namespace soi {

std::string_view to_string(ErrorCategory category) noexcept {
  switch (category) {
    case ErrorCategory::auth: return "auth";
    case ErrorCategory::rate_limit: return "rate_limit";
    case ErrorCategory::network: return "network";
    case ErrorCategory::server: return "server";
    case ErrorCategory::parse: return "parse";
    case ErrorCategory::schema: return "schema";
    case ErrorCategory::validation: return "validation";
    case ErrorCategory::storage: return "storage";
    case ErrorCategory::config: return "config";
  }
  return "unknown";
}

std::string describe(std::string_view message, const ErrorContext& context) {
  std::string out(message);
  std::string ctx;
  auto add = [&ctx](std::string_view key, const std::string& value) {
    if (value.empty()) return;
    ctx += ctx.empty() ? "" : ", ";
    ctx += key;
    ctx += '=';
    ctx += value;
  };
  add("source", context.source);
  add("ticker", context.ticker);
  add("date", context.date);
  add("url", context.url);
  if (!ctx.empty()) out += " (" + ctx + ")";
  return redact(out);
}

namespace {
ErrorContext redacted(ErrorContext c) {
  c.url = redact(c.url);
  return c;
}
}  // namespace

SoiError::SoiError(ErrorCategory category, std::string message, ErrorContext context, int http_status)
    : std::runtime_error("[" + std::string(to_string(category)) + "] " + describe(message, context)),
      category_(category),
      message_(redact(message)),
      context_(redacted(std::move(context))),
      http_status_(http_status) {}

}  // namespace soi
