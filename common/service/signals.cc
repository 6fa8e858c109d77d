#include "common/service/signals.h"

#include <pthread.h>
#include <signal.h>

#include "common/service/log.h"

namespace referrals {
namespace {

sigset_t HandledSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

void BlockTerminationSignals() {
  signal(SIGPIPE, SIG_IGN);
  sigset_t set = HandledSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForTerminationSignal(std::function<void()> on_hangup) {
  sigset_t set = HandledSignals();
  while (true) {
    int signal_number = 0;
    if (sigwait(&set, &signal_number) != 0) continue;
    if (signal_number != SIGHUP) return signal_number;
    if (on_hangup) {
      on_hangup();
    } else {
      Log(LogLevel::kInfo, "sighup_ignored", {{"note", "nothing to reload"}});
    }
  }
}

}  // namespace referrals
