#include "monitoring/logging.hpp"

#include <filesystem>
#include <memory>
#include <mutex>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "utils/error.hpp"
#include "utils/redact.hpp"

namespace soi {
namespace {

// Redacts every message before it reaches any real sink: the single choke
// point that keeps API keys out of log files and the terminal.
class RedactingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit RedactingSink(spdlog::sink_ptr inner) : inner_(std::move(inner)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string clean = redact(std::string_view(msg.payload.data(), msg.payload.size()));
    spdlog::details::log_msg copy = msg;
    copy.payload = clean;
    inner_->log(copy);
  }
  void flush_() override { inner_->flush(); }

 private:
  spdlog::sink_ptr inner_;
};

struct Loggers {
  std::mutex mutex;
  std::shared_ptr<spdlog::logger> exec, errors, perf;
};

Loggers& loggers() {
  static Loggers l;
  return l;
}

spdlog::sink_ptr stderr_sink(spdlog::level::level_enum level) {
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  sink->set_level(level);
  sink->set_pattern("%^%l%$: %v");
  auto redacting = std::make_shared<RedactingSink>(sink);
  redacting->set_level(level);  // the logger filters on the outer sink's level
  return redacting;
}

std::shared_ptr<spdlog::logger> make_logger(const std::string& name, const LogOptions& o, const std::string& sub,
                                            spdlog::level::level_enum echo_level) {
  std::vector<spdlog::sink_ptr> sinks;
  if (!o.log_dir.empty()) {
    std::filesystem::path dir = std::filesystem::path(o.log_dir) / sub;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw SoiError(ErrorCategory::storage, "cannot create log directory " + dir.string() + ": " + ec.message());
    auto file = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
        (dir / (sub + ".log")).string(), static_cast<std::size_t>(o.max_file_mb * 1024 * 1024),
        static_cast<std::size_t>(o.max_files));
    file->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l [%n] %v");
    sinks.push_back(std::make_shared<RedactingSink>(file));
  }
  if (o.echo_to_stderr || o.log_dir.empty()) sinks.push_back(stderr_sink(echo_level));
  auto logger = std::make_shared<spdlog::logger>(name, sinks.begin(), sinks.end());
  logger->set_level(spdlog::level::from_str(o.level));
  logger->flush_on(spdlog::level::warn);
  return logger;
}

void ensure_defaults() {
  auto& l = loggers();
  if (l.exec) return;
  LogOptions o;
  l.exec = make_logger("execution", o, "execution", spdlog::level::warn);
  l.errors = make_logger("errors", o, "errors", spdlog::level::warn);
  l.perf = make_logger("performance", o, "performance", spdlog::level::err);
}

}  // namespace

void init_logging(const LogOptions& options) {
  auto& l = loggers();
  std::lock_guard lock(l.mutex);
  l.exec = make_logger("execution", options, "execution", spdlog::level::warn);
  l.errors = make_logger("errors", options, "errors", spdlog::level::warn);
  // Performance lines are for files; never echoed.
  LogOptions perf = options;
  perf.echo_to_stderr = false;
  l.perf = make_logger("performance", perf, "performance", spdlog::level::off);
  if (perf.log_dir.empty()) l.perf->set_level(spdlog::level::off);
  spdlog::flush_every(std::chrono::seconds(2));
}

void shutdown_logging() {
  auto& l = loggers();
  std::lock_guard lock(l.mutex);
  for (auto* logger : {&l.exec, &l.errors, &l.perf})
    if (*logger) (*logger)->flush();
}

spdlog::logger& exec_log() {
  auto& l = loggers();
  std::lock_guard lock(l.mutex);
  ensure_defaults();
  return *l.exec;
}

spdlog::logger& error_log() {
  auto& l = loggers();
  std::lock_guard lock(l.mutex);
  ensure_defaults();
  return *l.errors;
}

spdlog::logger& perf_log() {
  auto& l = loggers();
  std::lock_guard lock(l.mutex);
  ensure_defaults();
  return *l.perf;
}

}  // namespace soi
