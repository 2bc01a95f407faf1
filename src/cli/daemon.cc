// Foreground nodes and termination signals (cli/daemon.h).

#include "cli/daemon.h"

#include <signal.h>

namespace lts::cli {
namespace {

sigset_t TerminationSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

void BlockTerminationSignals() {
  signal(SIGPIPE, SIG_IGN);
  sigset_t set = TerminationSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForTerminationSignal() {
  sigset_t set = TerminationSet();
  int signo = 0;
  while (sigwait(&set, &signo) != 0) {
  }
  return signo;
}

}  // namespace lts::cli
