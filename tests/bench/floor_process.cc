#include "tests/bench/floor_process.h"

#include <fcntl.h>
#include <pthread.h>

#include <csignal>
#include <cstdio>

#include "absl/synchronization/mutex.h"

namespace retro::bench {
namespace {

sigset_t StopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  return signals;
}

}  // namespace

void PrepareFloorProcess() {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  const sigset_t signals = StopSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // inherited by every thread
}

int OpenAppendOnly(const std::string& path) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (fd < 0) std::perror(path.c_str());
  return fd;
}

void LogListening(const std::string& listen, int port) {
  std::fprintf(stderr, "listening on %s:%d\n", listen.substr(0, listen.rfind(':')).c_str(), port);
  std::fflush(stderr);
}

void WaitForStopSignal() {
  const sigset_t signals = StopSignals();
  int received = 0;
  sigwait(&signals, &received);
}

}  // namespace retro::bench
