// Orderly shutdown on SIGTERM/SIGINT, and reloading on SIGHUP.
#ifndef COMMON_SERVICE_SIGNALS_H_
#define COMMON_SERVICE_SIGNALS_H_

#include <functional>

namespace referrals {

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread and every thread
// it starts afterwards, and ignores SIGPIPE (hiredis writes with plain
// write(): a reset Redis socket must fail the call, not kill the process).
// Call first thing in main, before any thread exists.
void BlockTerminationSignals();

// Waits until SIGTERM or SIGINT arrives and returns its number. Each SIGHUP
// meanwhile calls `on_hangup` on this thread (when set; else it is logged
// as "sighup_ignored") and the wait goes on.
int WaitForTerminationSignal(std::function<void()> on_hangup = nullptr);

}  // namespace referrals

#endif  // COMMON_SERVICE_SIGNALS_H_
