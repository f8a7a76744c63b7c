#include "sinks/sink_set.hpp"

#include <exception>
#include <optional>
#include <utility>
#include <system_error>
#include <thread>
#include <vector>

namespace soi {
namespace {

// One sink's write as a value: its result, or its failure (category storage).
struct Outcome {
  std::optional<PartitionWriteResult> written;
  std::optional<SoiError> failure;
};

// prepared: the sink's first half, done ahead (Sink::prepare), or null.
Outcome write_one(Sink& sink, const Partition& partition, const RunInfo& run,
                  std::unique_ptr<Sink::Prepared> prepared = nullptr) {
  Outcome out;
  try {
    out.written = prepared ? sink.write_prepared(partition, run, std::move(prepared)) : sink.write(partition, run);
  } catch (const SoiError& e) {
    out.failure = e;
  } catch (const std::exception& e) {
    out.failure = SoiError(ErrorCategory::storage, std::string(sink.name()) + " sink: " + e.what());
  } catch (...) {
    out.failure = SoiError(ErrorCategory::storage, std::string(sink.name()) + " sink: unknown failure");
  }
  return out;
}

}  // namespace

SinkSet::~SinkSet() {
  {
    std::lock_guard lock(open_mutex_);
    if (opening_.valid()) opening_.wait();  // the opener's sinks are destroyed with the future
  }
  // Closing a sink can take tens of milliseconds (a DuckDB checkpoint, a
  // database torn down) at the very end of a run: the sinks, which share no
  // state, close side by side, each thread resetting its own element.
  std::vector<std::thread> closers;
  for (std::size_t i = 1; i < sinks_.size(); ++i) {
    try {
      closers.emplace_back([this, i] { sinks_[i].reset(); });
    } catch (...) {
      sinks_[i].reset();  // no thread (or no memory for one) to be had: closed here
    }
  }
  if (!sinks_.empty()) sinks_[0].reset();
  for (auto& closer : closers) closer.join();
}

void SinkSet::add(std::unique_ptr<Sink> sink) {
  wait_open();
  sinks_.push_back(std::move(sink));
}

void SinkSet::open_in_background(Opener open) {
  std::lock_guard lock(open_mutex_);
  try {
    opening_ = std::async(std::launch::async, open);
  } catch (const std::system_error&) {  // no thread to be had: open here
    std::promise<std::vector<std::unique_ptr<Sink>>> opened;
    try {
      opened.set_value(open());
    } catch (...) {
      opened.set_exception(std::current_exception());
    }
    opening_ = opened.get_future();
  }
}

void SinkSet::wait_open() {
  std::lock_guard lock(open_mutex_);
  if (opening_.valid()) {
    try {
      for (auto& sink : opening_.get()) sinks_.push_back(std::move(sink));
    } catch (...) {
      open_failure_ = std::current_exception();
    }
  }
  if (open_failure_) std::rethrow_exception(open_failure_);
}

SinkSet::Prepared SinkSet::prepare(const Partition& partition, const RunInfo& run) {
  wait_open();
  Prepared prepared;
  if (sinks_.empty()) return prepared;
  try {
    prepared.first = sinks_[0]->prepare(partition, run);
  } catch (const SoiError& e) {
    prepared.failure = e;
  } catch (const std::exception& e) {
    prepared.failure = SoiError(ErrorCategory::storage, std::string(sinks_[0]->name()) + " sink: " + e.what());
  }
  return prepared;
}

SinkSetResult SinkSet::write(const Partition& partition, const RunInfo& run) { return write(partition, run, {}); }

SinkSetResult SinkSet::write(const Partition& partition, const RunInfo& run, Prepared prepared) {
  wait_open();
  std::vector<Outcome> outcomes(sinks_.size());
  {
    // The other sinks on threads of their own, the first on the caller's.
    std::vector<std::jthread> others;
    others.reserve(sinks_.size() > 1 ? sinks_.size() - 1 : 0);
    for (std::size_t i = 1; i < sinks_.size(); ++i) {
      if (sinks_[i]->reads_committed_partition()) continue;
      try {
        others.emplace_back([&, i] { outcomes[i] = write_one(*sinks_[i], partition, run); });
      } catch (const std::system_error&) {  // no thread to be had: this sink waits its turn here
        outcomes[i] = write_one(*sinks_[i], partition, run);
      }
    }
    if (prepared.failure) outcomes[0].failure = std::move(prepared.failure);
    else if (!sinks_.empty()) outcomes[0] = write_one(*sinks_[0], partition, run, std::move(prepared.first));
    // The sinks that read what the first committed, on this thread, while the
    // others may still be writing.
    for (std::size_t i = 1; i < sinks_.size(); ++i) {
      if (!sinks_[i]->reads_committed_partition()) continue;
      if (outcomes[0].failure) {
        outcomes[i].failure = SoiError(ErrorCategory::storage,
                                       std::string(sinks_[i]->name()) + " sink: not updated, because the " +
                                           std::string(sinks_[0]->name()) +
                                           " sink it reads failed to commit this day (see that sink's error)",
                                       outcomes[0].failure->context());
        continue;
      }
      outcomes[i] = write_one(*sinks_[i], partition, run);
    }
  }  // joined
  SinkSetResult result;
  for (std::size_t i = 0; i < sinks_.size(); ++i) {
    if (outcomes[i].written) {
      result.written.push_back(std::move(*outcomes[i].written));
    } else {
      result.failures.push_back(std::move(*outcomes[i].failure));
      result.failed_sinks.emplace_back(sinks_[i]->name());
    }
  }
  return result;
}

SinkSetResult SinkSet::write(const BarPartition& p, const RunInfo& run) { return write(to_partition(p), run); }
SinkSetResult SinkSet::write(const ContractsPartition& p, const RunInfo& run) { return write(to_partition(p), run); }
SinkSetResult SinkSet::write(const NewsPartition& p, const RunInfo& run) { return write(to_partition(p), run); }

}  // namespace soi
