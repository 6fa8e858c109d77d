// Orderly shutdown on SIGTERM/SIGINT.
#ifndef COMMON_SERVICE_SIGNALS_H_
#define COMMON_SERVICE_SIGNALS_H_

namespace referrals {

// Blocks SIGTERM and SIGINT in the calling thread and every thread it starts
// afterwards, and ignores SIGPIPE (hiredis writes with plain write(): a reset
// Redis socket must fail the call, not kill the process). Call first thing in
// main, before any thread exists.
void BlockTerminationSignals();

// Waits until SIGTERM or SIGINT arrives and returns its number.
int WaitForTerminationSignal();

}  // namespace referrals

#endif  // COMMON_SERVICE_SIGNALS_H_
