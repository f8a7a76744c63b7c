#include "cli/stream_signals.hpp"

#include <atomic>

namespace soi::cli {
namespace {

// Static: a signal handler gets no user pointer. Atomic so the handler never
// reads a half-written pointer.
std::atomic<StreamControl*> g_control{nullptr};

extern "C" void on_stream_signal(int sig) {
  StreamControl* control = g_control.load();
  if (control == nullptr) return;
  if (sig == SIGUSR1) control->recenter.store(true);
  else control->stop.store(true);
}

void install(int sig, int flags, struct sigaction* old) {
  struct sigaction sa {};
  sa.sa_handler = on_stream_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART | flags;
  sigaction(sig, &sa, old);
}

}  // namespace

StreamSignalGuard::StreamSignalGuard(StreamControl& control) {
  static_assert(std::atomic<bool>::is_always_lock_free, "signal handlers need lock-free atomics");
  g_control.store(&control);
  // SA_RESETHAND: a second Ctrl-C / SIGTERM ends the process at once if the
  // graceful stop hangs (the write-ahead log keeps what was received).
  install(SIGINT, SA_RESETHAND, &old_int_);
  install(SIGTERM, SA_RESETHAND, &old_term_);
  install(SIGUSR1, 0, &old_usr1_);
}

StreamSignalGuard::~StreamSignalGuard() {
  sigaction(SIGINT, &old_int_, nullptr);
  sigaction(SIGTERM, &old_term_, nullptr);
  sigaction(SIGUSR1, &old_usr1_, nullptr);
  g_control.store(nullptr);
}

}  // namespace soi::cli
