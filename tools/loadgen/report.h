// Turning the request log into results: per-phase latency percentiles,
// throughput, errors by status code and the exactly-once check; and writing
// them as a table, as JSON and as an SVG of p99 latency over time.
#ifndef TOOLS_LOADGEN_REPORT_H_
#define TOOLS_LOADGEN_REPORT_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/loadgen/load_driver.h"
#include "tools/loadgen/request_log.h"

namespace referrals::loadgen {

// Nearest-rank percentiles, in milliseconds.
struct LatencySummary {
  int64_t count = 0;
  double p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0, mean = 0;
};
LatencySummary Summarize(std::vector<double> values_ms);

enum class PhaseKind {
  kOpen,         // SubmitReferral, open loop at `param`/s
  kClosed,       // SubmitReferral, `param` in flight
  kEmptyOpen,    // Health/Check, open loop
  kEmptyClosed,  // Health/Check, closed loop
  kXadd,         // raw XADD, `param` per round trip
};

// "open:1000:20" and the like: KIND:PARAM:SECONDS, KIND one of open, closed,
// empty_open, empty_closed, xadd.
struct PhaseSpec {
  PhaseKind kind = PhaseKind::kOpen;
  double param = 0;
  double seconds = 0;
  std::string label;  // e.g. "open 1000/s"
};
absl::StatusOr<std::vector<PhaseSpec>> ParsePhases(const std::string& text);
bool IsPipeline(PhaseKind kind);  // open or closed: has an end-to-end part

// Latency in one second of a phase (by due time), for the picture.
struct Window {
  int second = 0;
  int64_t calls = 0;
  double submit_p99 = -1;  // -1: no sample
  double e2e_p99 = -1;
};

// Counts and latencies are of the measured calls; errors and the
// exactly-once counts (lost .. arrived_after_error) include the warm-up's.
struct PhaseResult {
  PhaseSpec spec;
  int64_t warmup_calls = 0;
  int64_t sent = 0;
  int64_t ok = 0;
  int64_t errors = 0;
  std::map<std::string, int64_t> errors_by_code;  // e.g. "DEADLINE_EXCEEDED" -> 3
  double submit_per_s = 0;                        // calls answered OK per second of the phase
  double e2e_per_s = 0;             // referrals on a queue per second, start to last arrival
  LatencySummary submit;            // call latency (every completed call, failed ones too)
  LatencySummary e2e;               // due time -> seen on the destination queue
  LatencySummary e2e_server;        // intake's received_time -> queue entry id (Redis ms)
  int64_t arrived = 0;              // OK'd referrals seen arriving (routed event)
  int64_t lost = 0;                 // OK'd, on no destination queue at the end
  int64_t duplicated = 0;           // on the queues (or routed) more than once
  int64_t misrouted = 0;            // on another queue than the rules decide offline
  int64_t not_observed = 0;         // on a queue, but its routed event never seen
  int64_t id_mismatch = 0;          // queued under another referral id than intake answered
  int64_t duplicate_answers = 0;    // intake answered duplicate=true to a fresh request id
  int64_t arrived_after_error = 0;  // the call failed (e.g. deadline) yet it was stored
  double drain_ms = -1;             // last arrival after the last call was due
  // Entries stored but neither routed nor dead-lettered when loadgen stopped
  // waiting (--drain_timeout_s): the next phase started with this backlog.
  int64_t backlog_left = 0;
  bool clean = false;  // no errors, nothing lost or twice, no backlog left
  std::vector<Window> windows;
  std::vector<std::pair<std::string, double>> cpu_percent;  // process -> % of one core
  // Pipeline phases: CPU time each process used from the phase's start until
  // it drained, divided by the calls made (the cost of one referral).
  std::vector<std::pair<std::string, double>> cpu_us_per_referral;
  // Redis during the phase (INFO): forks (AOF rewrites), writes delayed
  // because the previous fsync had not finished, and size at the end.
  int64_t redis_forks = 0;
  int64_t redis_delayed_fsync = 0;
  double redis_last_fork_ms = 0;
  double redis_memory_mb = 0;
  double redis_aof_mb = 0;
  int64_t started_unix_ms = 0;  // wall clock, to match with the services' and Redis's logs
  double load1_before = 0, load1_after = 0;
};

// Where a referral should have gone: `seq` is its request, `received_us` its
// receipt time. Empty: not checked.
using ExpectedQueue = std::function<std::string(uint64_t seq, int64_t received_us)>;

// Reads a pipeline or empty-call phase's records out of the log.
PhaseResult AnalysePhase(const PhaseSpec& spec, const RequestLog& log, const DriveResult& run,
                         const std::vector<std::string>& queues,
                         const ExpectedQueue& expected_queue);

// Names of grpc::StatusCode values.
std::string StatusCodeName(int code);

// Everything a run produced, with the headline figures the bench quotes.
struct RunReport {
  std::vector<PhaseResult> phases;
  double key_rate = 1000;       // the open-loop step the headline latencies come from
  double sustain_seconds = 60;  // an open phase at least this long is the sustain test
  std::map<std::string, std::string> machine;              // free-form facts: cpus, model, load
  std::vector<std::pair<std::string, int64_t>> queue_mix;  // queue -> entries seen
  int64_t unexpected_entries = 0;
  std::string generator_summary;
  // Redis's LATENCY LATEST at the end (event, latest ms, max ms), when the
  // server's latency monitor is on.
  std::vector<std::string> redis_latency_events;
  // Where Redis's time went after the baselines (INFO commandstats): command,
  // calls, microseconds per call, total seconds. Largest total first.
  struct RedisCommand {
    std::string name;
    int64_t calls = 0;
    double usec_per_call = 0;
    double seconds = 0;
  };
  std::vector<RedisCommand> redis_commands;
  std::string run_label;  // e.g. "quick" or "full"
  std::string note;       // free text from the caller, e.g. the commit
};

std::string FormatTable(const RunReport& report);
std::string ToJson(const RunReport& report);
std::string ToSvg(const RunReport& report);

}  // namespace referrals::loadgen

#endif  // TOOLS_LOADGEN_REPORT_H_
