// loadgen: offers synthetic referrals to a running router and measures it.
//
//   loadgen --intake=HOST:PORT --routing=HOST:PORT --redis=redis://HOST:PORT
//           --redis_prefix=PREFIX --phases=xadd:1:5,empty_open:1000:20,open:1000:20,closed:64:20
//
// Phases run one after another (KIND:PARAM:SECONDS):
//   open:RATE:S          SubmitReferral, open loop at RATE/s (latency from the due time)
//   closed:N:S           SubmitReferral, N calls always in flight (the ceiling)
//   empty_open:RATE:S    grpc.health.v1 Health/Check on intake, open loop: the baseline
//                        for Submit latency (same server, same gRPC stack, no work)
//   empty_closed:N:S     the same, closed loop: the baseline call rate
//   xadd:DEPTH:S         raw XADD of a referral-sized entry on the same Redis, DEPTH
//                        commands per round trip (1: no pipelining)
//
// Each call phase starts with --warmup_s at its own load, checked but not
// timed. For every referral intake accepts, the watcher (XREAD on
// stream:routed, written in the same Lua script as the destination queue's
// entry) records when it lands; after each submit phase loadgen waits until
// every accepted referral has landed (or --drain_timeout_s), so phases do
// not overlap. At the end it reads every destination queue (ListQueues
// names them) and checks exactly-once on the queues (lost, duplicated) and,
// rebuilding each referral from its seed, that it is on the queue the rules
// decide offline; prints a table and writes --json_out and --svg_out.
//
// Exit status: 0 after a run, 3 if any accepted referral was lost,
// duplicated or misrouted, 1 if the run could not be made, 2 for bad flags.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <signal.h>
#include <sstream>
#include <string>
#include <sys/utsname.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/domain/referral_validator.h"
#include "common/pipeline/events.h"
#include "referrals/v1/events.pb.h"
#include "referrals/v1/routing_service.grpc.pb.h"
#include "services/routing/routing_data.h"
#include "tools/loadgen/load_driver.h"
#include "tools/loadgen/queue_watcher.h"
#include "tools/loadgen/referral_generator.h"
#include "tools/loadgen/report.h"
#include "tools/loadgen/request_log.h"
#include "tools/loadgen/xadd_baseline.h"

ABSL_FLAG(std::string, intake, "", "intake address; default $REFERRALS_INTAKE or 127.0.0.1:50051");
ABSL_FLAG(std::string, routing, "",
          "routing address; default $REFERRALS_ROUTING or 127.0.0.1:50053");
ABSL_FLAG(std::string, triage, "", "triage address, only to wait for its health; default none");
ABSL_FLAG(std::string, redis, "", "Redis the services use; default $REDIS_URL or 127.0.0.1:6379");
ABSL_FLAG(std::string, redis_prefix, "referrals:", "the services' --redis_prefix");
ABSL_FLAG(std::string, phases, "open:1000:10", "comma-separated KIND:PARAM:SECONDS (see above)");
ABSL_FLAG(double, key_rate, 1000, "the open-loop rate whose latencies are the headline");
ABSL_FLAG(double, sustain_seconds, 60,
          "an open-loop phase at least this long is reported as the sustained-throughput test");
ABSL_FLAG(uint64_t, seed, 1, "generator seed: the same seed gives the same referrals");
ABSL_FLAG(int, channels, 2, "gRPC channels (TCP connections) to intake");
ABSL_FLAG(int, deadline_ms, 10000, "deadline of each call");
ABSL_FLAG(int, drain_timeout_s, 30,
          "after a submit phase, wait this long at most for accepted referrals to land");
ABSL_FLAG(double, warmup_s, 1,
          "each call phase starts with this long at its own load, checked but not timed");
ABSL_FLAG(int, wait_ready_s, 30, "wait this long at most for the services to be SERVING");
ABSL_FLAG(std::string, pids, "",
          "NAME=PID,... of processes whose CPU use to report per phase (loadgen adds itself)");
ABSL_FLAG(std::string, tag, "",
          "request id and correlation id prefix; default lg-<unix time>-<pid>");
ABSL_FLAG(bool, verify_routes, true,
          "check each referral landed on the queue the rules decide offline");
ABSL_FLAG(int, self_check, 2000, "validate this many generated referrals before starting");
ABSL_FLAG(std::string, run_label, "", "recorded in the JSON as \"run\", e.g. quick or full");
ABSL_FLAG(std::string, note, "", "recorded in the JSON as \"note\", e.g. the commit measured");
ABSL_FLAG(std::string, requests_csv, "",
          "write one line per call here (phase, due offset, call and e2e latency, code), for "
          "looking at a stall closely");
ABSL_FLAG(std::string, json_out, "", "write the results as JSON here");
ABSL_FLAG(std::string, svg_out, "", "write the p99-over-time picture here");
ABSL_FLAG(std::string, rules, REFERRALS_DEFAULT_RULES, "the rules the services load");
ABSL_FLAG(std::string, postcode_sectors, REFERRALS_DEFAULT_SECTORS, "the sector table");
ABSL_FLAG(std::string, local_authorities, REFERRALS_DEFAULT_AUTHORITIES, "the district table");

namespace referrals::loadgen {
namespace {

std::string FromFlagOrEnv(const std::string& flag, const char* env, const char* fallback) {
  if (!flag.empty()) return flag;
  const char* value = std::getenv(env);
  return (value != nullptr && *value != '\0') ? value : fallback;
}

// CPU seconds (user + system) a process has used so far; -1 if unreadable.
double CpuSeconds(int pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::vector<std::string> fields = absl::StrSplit(stat.substr(close + 2), ' ');
  int64_t user = 0, system = 0;
  // After "pid (comm) ": state is field 3, utime 14, stime 15.
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &user) ||
      !absl::SimpleAtoi(fields[12], &system)) {
    return -1;
  }
  return static_cast<double>(user + system) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double LoadAverage1() {
  std::ifstream in("/proc/loadavg");
  double load = 0;
  in >> load;
  return load;
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, "model name")) {
      return std::string(absl::StripAsciiWhitespace(line.substr(line.find(':') + 1)));
    }
  }
  return "unknown";
}

// "SERVING" when the server at `address` answers its health check so.
bool Serving(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
  grpc::Slice empty("", 0);
  grpc::ByteBuffer request(&empty, 1);  // a default ByteBuffer is not a message
  grpc::ByteBuffer response;
  absl::Notification done;
  grpc::Status status;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) {
                   status = std::move(s);
                   done.Notify();
                 });
  done.WaitForNotification();
  if (!status.ok()) return false;
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (response.Dump(&slices).ok()) {
    for (const auto& slice : slices)
      bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return bytes == std::string("\x08\x01", 2);  // status: SERVING
}

// INFO's "name:value" lines; empty when Redis cannot say.
std::map<std::string, std::string> RedisInfo(RedisConnection* redis) {
  std::map<std::string, std::string> info;
  if (redis == nullptr) return info;
  absl::StatusOr<RedisReply> reply = redis->Command({"INFO", "all"});
  if (!reply.ok()) return info;
  for (absl::string_view line :
       absl::StrSplit(reply->str, absl::ByAnyChar("\r\n"), absl::SkipEmpty())) {
    const size_t colon = line.find(':');
    if (colon != absl::string_view::npos && line[0] != '#') {
      info[std::string(line.substr(0, colon))] = std::string(line.substr(colon + 1));
    }
  }
  return info;
}

double InfoNumber(const std::map<std::string, std::string>& info, const std::string& name) {
  auto found = info.find(name);
  double value = 0;
  if (found == info.end() || !absl::SimpleAtod(found->second, &value)) return 0;
  return value;
}

struct CpuSample {
  std::vector<std::pair<std::string, int>> processes;
  std::vector<double> seconds;
  int64_t at_ns = 0;
};

CpuSample SampleCpu(const std::vector<std::pair<std::string, int>>& processes) {
  CpuSample sample;
  sample.processes = processes;
  for (const auto& [name, pid] : processes) sample.seconds.push_back(CpuSeconds(pid));
  sample.at_ns = NowNanos();
  return sample;
}

std::vector<std::pair<std::string, double>> CpuPercent(const CpuSample& before,
                                                       const CpuSample& after) {
  std::vector<std::pair<std::string, double>> result;
  const double wall = static_cast<double>(after.at_ns - before.at_ns) / 1e9;
  for (size_t i = 0; i < before.processes.size(); ++i) {
    if (before.seconds[i] < 0 || after.seconds[i] < 0 || wall <= 0) continue;
    result.push_back(
        {before.processes[i].first, 100.0 * (after.seconds[i] - before.seconds[i]) / wall});
  }
  return result;
}

// Waits until every referral accepted in `run` has landed on a queue, or
// `timeout`. Returns how many are still missing.
int64_t WaitForArrivals(const RequestLog& log, const DriveResult& run, absl::Duration timeout) {
  std::vector<const RequestRecord*> pending;
  for (uint64_t seq = run.first_seq; seq < run.end_seq; ++seq) {
    const RequestRecord* r = log.Find(seq);
    if (r != nullptr && r->code.load() == 0) pending.push_back(r);
  }
  const absl::Time give_up = absl::Now() + timeout;
  while (true) {
    std::erase_if(pending, [](const RequestRecord* r) {
      return r->arrived_ns.load(std::memory_order_acquire) != 0;
    });
    if (pending.empty() || absl::Now() > give_up) return static_cast<int64_t>(pending.size());
    absl::SleepFor(absl::Milliseconds(20));
  }
}

// Waits until everything intake stored has left the pipeline: stream:submitted
// no longer growing and each entry on it routed or dead-lettered, or
// `timeout`. Calls that failed client-side (deadline) may still be stored
// after the fact, so OK'd arrivals alone do not show an empty pipeline.
// Returns the entries still in the pipeline (0: drained; -1: Redis could not say).
int64_t WaitForEmptyPipeline(RedisConnection* redis, const std::string& prefix,
                             absl::Duration timeout) {
  if (redis == nullptr) return -1;
  const absl::Time give_up = absl::Now() + timeout;
  int64_t last_submitted = -1;
  absl::Time stable_since = absl::Now();
  while (true) {
    absl::StatusOr<std::vector<RedisReply>> lengths = redis->Pipeline({
        {"XLEN", prefix + "stream:submitted"},
        {"XLEN", prefix + "stream:routed"},
        {"XLEN", prefix + "stream:deadletter"},
    });
    if (!lengths.ok() || lengths->size() != 3) return -1;
    const int64_t submitted = (*lengths)[0].integer;
    const int64_t left = submitted - (*lengths)[1].integer - (*lengths)[2].integer;
    if (submitted != last_submitted) {
      last_submitted = submitted;
      stable_since = absl::Now();
    }
    if ((left <= 0 && absl::Now() - stable_since >= absl::Milliseconds(300)) ||
        absl::Now() > give_up) {
      return std::max<int64_t>(left, 0);
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
}

int Run() {
  signal(SIGPIPE, SIG_IGN);  // hiredis writes with write(2)
  absl::StatusOr<std::vector<PhaseSpec>> phases = ParsePhases(absl::GetFlag(FLAGS_phases));
  if (!phases.ok()) {
    std::cerr << "--phases: " << phases.status().message() << "\n";
    return 2;
  }
  absl::StatusOr<RedisOptions> redis = ParseRedisUrl(
      FromFlagOrEnv(absl::GetFlag(FLAGS_redis), "REDIS_URL", "redis://127.0.0.1:6379"));
  if (!redis.ok()) {
    std::cerr << "--redis: " << redis.status().message() << "\n";
    return 2;
  }
  std::vector<std::pair<std::string, int>> processes;
  for (absl::string_view item : absl::StrSplit(absl::GetFlag(FLAGS_pids), ',', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(item, absl::MaxSplits('=', 1));
    int pid = 0;
    if (kv.first.empty() || !absl::SimpleAtoi(kv.second, &pid)) {
      std::cerr << "--pids: expected NAME=PID,...\n";
      return 2;
    }
    processes.push_back({kv.first, pid});
  }
  processes.push_back({"loadgen", static_cast<int>(getpid())});
  const std::string prefix = absl::GetFlag(FLAGS_redis_prefix);
  const std::string tag = absl::GetFlag(FLAGS_tag).empty()
                              ? absl::StrCat("lg-", absl::ToUnixSeconds(absl::Now()), "-", getpid())
                              : absl::GetFlag(FLAGS_tag);
  const absl::Duration deadline = absl::Milliseconds(absl::GetFlag(FLAGS_deadline_ms));

  // The same rules and postcode data as the services (and the same
  // $REFERRALS_POSTCODE_DATA rule), to pick postcodes and check routes.
  RoutingDataPaths paths;
  paths.rules = absl::GetFlag(FLAGS_rules);
  paths.postcode_sectors = absl::GetFlag(FLAGS_postcode_sectors);
  paths.postcode_data = PostcodeDataPath("");
  paths.local_authorities = absl::GetFlag(FLAGS_local_authorities);
  absl::StatusOr<RoutingData> loaded = LoadRoutingData(paths);
  if (!loaded.ok()) {
    std::cerr << "routing data: " << loaded.status().message() << "\n";
    return 1;
  }
  auto data = std::make_shared<const RoutingData>(*std::move(loaded));
  auto generator =
      ReferralGenerator::Create(data, paths.postcode_sectors, absl::GetFlag(FLAGS_seed));
  if (!generator.ok()) {
    std::cerr << "generator: " << generator.status().message() << "\n";
    return 1;
  }

  // Every generated referral must be valid, or the run measures rejections.
  // Also: typical sizes, and a typical submitted event for the XADD baseline.
  absl::TimeZone london;
  if (!absl::LoadTimeZone("Europe/London", &london)) london = absl::UTCTimeZone();
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), london);
  const int checks = std::max(1, absl::GetFlag(FLAGS_self_check));
  std::vector<std::string> events;
  double referral_bytes = 0;
  for (int i = 0; i < checks; ++i) {
    const std::string id = absl::StrCat("self-check-", i);
    referrals::v1::Referral referral = (*generator)->Make(i, id);
    FieldViolations violations = ValidateReferral(referral, today);
    if (!violations.empty()) {
      std::cerr << "generator made an invalid referral (#" << i << "): " << violations[0].field
                << ": " << violations[0].description << "\n";
      return 1;
    }
    referral_bytes += static_cast<double>(referral.ByteSizeLong());
    referrals::v1::ReferralSubmitted event;
    *event.mutable_meta() =
        NewEventMeta(NewReferralId(absl::Now()), NewRandomId("C-"), absl::Now());
    *event.mutable_referral() = referral;
    *event.mutable_received_time() = ToTimestamp(absl::Now());
    events.push_back(event.SerializeAsString());
  }
  referral_bytes /= checks;
  std::sort(events.begin(), events.end(),
            [](const std::string& a, const std::string& b) { return a.size() < b.size(); });
  const std::string& typical_event = events[events.size() / 2];  // the median size
  RunReport report;
  report.key_rate = absl::GetFlag(FLAGS_key_rate);
  report.sustain_seconds = absl::GetFlag(FLAGS_sustain_seconds);
  report.run_label = absl::GetFlag(FLAGS_run_label);
  report.note = absl::GetFlag(FLAGS_note);
  report.generator_summary = absl::StrFormat(
      "seed %d; %d generated referrals valid; mean referral %.0f bytes; median submitted event "
      "%d bytes (the XADD baseline's payload); sectors essex %d, southend %d, thurrock %d, "
      "split %d, out of area %d",
      absl::GetFlag(FLAGS_seed), checks, referral_bytes, typical_event.size(),
      (*generator)->pool_size(Area::kEssex), (*generator)->pool_size(Area::kSouthend),
      (*generator)->pool_size(Area::kThurrock), (*generator)->pool_size(Area::kSplit),
      (*generator)->pool_size(Area::kOutOfArea));
  std::cerr << "[loadgen] " << report.generator_summary << "\n";

  utsname uts;
  uname(&uts);
  report.machine["cpus"] = absl::StrCat(std::thread::hardware_concurrency());
  report.machine["cpu_model"] = CpuModel();
  report.machine["kernel"] = absl::StrCat(uts.sysname, " ", uts.release);
  report.machine["load1_at_start"] = absl::StrFormat("%.2f", LoadAverage1());
  report.machine["started"] =
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone());

  const std::string intake_address =
      FromFlagOrEnv(absl::GetFlag(FLAGS_intake), "REFERRALS_INTAKE", "127.0.0.1:50051");
  const std::string routing_address =
      FromFlagOrEnv(absl::GetFlag(FLAGS_routing), "REFERRALS_ROUTING", "127.0.0.1:50053");
  std::vector<std::shared_ptr<grpc::Channel>> intake =
      MakeChannels(intake_address, absl::GetFlag(FLAGS_channels));
  auto routing = grpc::CreateChannel(routing_address, grpc::InsecureChannelCredentials());
  std::vector<std::pair<std::string, std::shared_ptr<grpc::Channel>>> to_check = {
      {intake_address, intake[0]}, {routing_address, routing}};
  if (!absl::GetFlag(FLAGS_triage).empty()) {
    to_check.push_back(
        {absl::GetFlag(FLAGS_triage),
         grpc::CreateChannel(absl::GetFlag(FLAGS_triage), grpc::InsecureChannelCredentials())});
  }
  const absl::Time ready_by = absl::Now() + absl::Seconds(absl::GetFlag(FLAGS_wait_ready_s));
  for (const auto& [address, channel] : to_check) {
    while (!Serving(channel)) {
      if (absl::Now() > ready_by) {
        std::cerr << "the service at " << address << " is not SERVING\n";
        return 1;
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
  }

  // Every destination queue, from the router itself.
  std::vector<std::string> queues;
  {
    auto stub = referrals::v1::RoutingService::NewStub(routing);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    referrals::v1::ListQueuesResponse response;
    grpc::Status status = stub->ListQueues(&context, {}, &response);
    if (!status.ok()) {
      std::cerr << "ListQueues failed: " << status.error_message() << "\n";
      return 1;
    }
    for (const auto& queue : response.queues()) queues.push_back(queue.queue());
  }
  RequestLog log;
  QueueWatcher watcher(*redis, prefix, queues, tag, &log);
  if (absl::Status started = watcher.Start(); !started.ok()) {
    std::cerr << "queue watcher: " << started.message() << "\n";
    return 1;
  }

  // For Redis's own view of each phase (forks, delayed fsyncs); optional.
  std::unique_ptr<RedisConnection> stats_redis;
  if (auto connected = RedisConnection::Connect(*redis); connected.ok()) {
    stats_redis = *std::move(connected);
  }
  CompletionQueues completion_queues(2);
  SubmitCaller submit(intake, &completion_queues, generator->get(), tag, deadline);
  HealthCaller health(intake, &completion_queues, deadline);
  const std::string xadd_key = absl::StrCat(prefix, "bench:xadd");
  std::vector<DriveResult> runs(phases->size());
  std::vector<PhaseResult> xadd_results(phases->size());
  std::vector<std::vector<std::pair<std::string, double>>> cpu(phases->size());
  std::vector<std::vector<std::pair<std::string, double>>> cpu_used(phases->size());
  std::vector<int64_t> calls_in_window(phases->size(), 0);
  std::vector<std::pair<double, double>> load(phases->size());
  std::vector<std::pair<std::map<std::string, std::string>, std::map<std::string, std::string>>>
      redis_info(phases->size());
  std::vector<int64_t> started_unix_ms(phases->size());
  std::vector<int64_t> backlog_left(phases->size(), 0);
  for (size_t i = 0; i < phases->size(); ++i) {
    const PhaseSpec& spec = (*phases)[i];
    const absl::Duration duration = absl::Seconds(spec.seconds);
    const absl::Duration warmup = absl::Seconds(absl::GetFlag(FLAGS_warmup_s));
    started_unix_ms[i] = absl::ToUnixMillis(absl::Now());
    std::cerr << "[loadgen] " << absl::FormatTime("%H:%M:%E3S", absl::Now(), absl::UTCTimeZone())
              << " " << spec.label << " ..." << std::flush;
    load[i].first = LoadAverage1();
    redis_info[i].first = RedisInfo(stats_redis.get());
    const CpuSample before = SampleCpu(processes);
    std::string note;
    switch (spec.kind) {
      case PhaseKind::kXadd: {
        absl::StatusOr<XaddResult> x =
            RunXadd(*redis, xadd_key, typical_event, static_cast<int>(spec.param), duration);
        if (!x.ok()) {
          std::cerr << "\nXADD baseline: " << x.status().message() << "\n";
          return 1;
        }
        PhaseResult& r = xadd_results[i];
        r.spec = spec;
        r.sent = x->count + x->errors;
        r.ok = x->count;
        r.errors = x->errors;
        if (x->errors > 0) r.errors_by_code["REDIS_ERROR"] = x->errors;
        r.submit_per_s = x->seconds > 0 ? static_cast<double>(x->count) / x->seconds : 0;
        r.submit = Summarize(std::move(x->latency_ms));
        r.clean = x->errors == 0;
        note = absl::StrFormat("%.0f/s", r.submit_per_s);
        break;
      }
      case PhaseKind::kOpen:
        runs[i] = RunOpenLoop(submit, log, static_cast<int>(i), spec.param, warmup, duration);
        break;
      case PhaseKind::kClosed:
        runs[i] = RunClosedLoop(submit, log, static_cast<int>(i), static_cast<int>(spec.param),
                                warmup, duration);
        break;
      case PhaseKind::kEmptyOpen:
        runs[i] = RunOpenLoop(health, log, static_cast<int>(i), spec.param, warmup, duration);
        break;
      case PhaseKind::kEmptyClosed:
        runs[i] = RunClosedLoop(health, log, static_cast<int>(i), static_cast<int>(spec.param),
                                warmup, duration);
        break;
    }
    if (IsPipeline(spec.kind)) {
      const absl::Time drain_by = absl::Now() + absl::Seconds(absl::GetFlag(FLAGS_drain_timeout_s));
      const int64_t missing = WaitForArrivals(log, runs[i], drain_by - absl::Now());
      const int64_t left = WaitForEmptyPipeline(stats_redis.get(), prefix, drain_by - absl::Now());
      backlog_left[i] = left;
      note =
          absl::StrCat(runs[i].end_seq - runs[i].first_seq, " calls",
                       missing > 0 ? absl::StrCat(", ", missing, " accepted but not on a queue yet")
                                   : ", all accepted ones on their queues",
                       left > 0 ? absl::StrCat(", ", left, " entries still in the pipeline") : "");
    } else if (spec.kind != PhaseKind::kXadd) {
      note = absl::StrCat(runs[i].end_seq - runs[i].first_seq, " calls");
    }
    const CpuSample after = SampleCpu(processes);
    cpu[i] = CpuPercent(before, after);
    // Every call of the window (warm-up included) is work the services did
    // while the CPU was sampled.
    calls_in_window[i] = static_cast<int64_t>(runs[i].end_seq - runs[i].first_seq);
    for (size_t k = 0; k < processes.size(); ++k) {
      if (before.seconds[k] >= 0 && after.seconds[k] >= 0) {
        cpu_used[i].push_back({processes[k].first, after.seconds[k] - before.seconds[k]});
      }
    }
    redis_info[i].second = RedisInfo(stats_redis.get());
    load[i].second = LoadAverage1();
    std::cerr << " " << note << "\n";
    // The baseline's entries must not cost the pipeline an AOF rewrite.
    if (spec.kind == PhaseKind::kXadd &&
        (i + 1 == phases->size() || (*phases)[i + 1].kind != PhaseKind::kXadd)) {
      if (absl::Status compacted = DropAndCompact(*redis, xadd_key, absl::Seconds(120));
          !compacted.ok()) {
        std::cerr << "[loadgen] after the XADD baseline: " << compacted.message() << "\n";
      }
      // Redis's command statistics from here on are the pipeline's.
      if (stats_redis != nullptr) (void)stats_redis->Command({"CONFIG", "RESETSTAT"});
    }
    absl::SleepFor(absl::Milliseconds(200));  // let the machine settle between phases
  }
  // Late duplicates would land within moments of the originals.
  absl::SleepFor(absl::Seconds(1));
  watcher.Stop();
  if (watcher.read_errors() > 0) {
    std::cerr << "[loadgen] warning: " << watcher.read_errors()
              << " reads of stream:routed failed; arrivals may be timed late\n";
  }
  if (absl::Status scanned = watcher.ScanQueues(); !scanned.ok()) {
    std::cerr << "reading the destination queues failed, so exactly-once cannot be checked: "
              << scanned.message() << "\n";
    return 1;
  }

  ExpectedQueue expected;
  if (absl::GetFlag(FLAGS_verify_routes)) {
    expected = [&](uint64_t seq, int64_t received_us) {
      const referrals::v1::Referral referral = (*generator)->Make(seq, absl::StrCat(tag, "-", seq));
      const absl::Time received = absl::FromUnixMicros(received_us);
      const referrals::v1::TriageResult triage = data->triage->Classify(referral, received);
      return data->engine->Decide(referral, triage, received, received).queue();
    };
  }
  for (size_t i = 0; i < phases->size(); ++i) {
    const PhaseSpec& spec = (*phases)[i];
    PhaseResult result = spec.kind == PhaseKind::kXadd
                             ? xadd_results[i]
                             : AnalysePhase(spec, log, runs[i], watcher.queues(), expected);
    result.cpu_percent = cpu[i];
    if (IsPipeline(spec.kind) && calls_in_window[i] > 0) {
      for (const auto& [name, seconds] : cpu_used[i]) {
        result.cpu_us_per_referral.push_back(
            {name, 1e6 * seconds / static_cast<double>(calls_in_window[i])});
      }
    }
    result.load1_before = load[i].first;
    result.load1_after = load[i].second;
    result.started_unix_ms = started_unix_ms[i];
    result.backlog_left = backlog_left[i];
    if (result.backlog_left > 0) result.clean = false;
    const auto& [info_before, info_after] = redis_info[i];
    result.redis_forks = static_cast<int64_t>(InfoNumber(info_after, "total_forks") -
                                              InfoNumber(info_before, "total_forks"));
    result.redis_delayed_fsync = static_cast<int64_t>(InfoNumber(info_after, "aof_delayed_fsync") -
                                                      InfoNumber(info_before, "aof_delayed_fsync"));
    result.redis_last_fork_ms = InfoNumber(info_after, "latest_fork_usec") / 1e3;
    result.redis_memory_mb = InfoNumber(info_after, "used_memory") / 1e6;
    result.redis_aof_mb = InfoNumber(info_after, "aof_current_size") / 1e6;
    report.phases.push_back(std::move(result));
  }
  for (size_t q = 0; q < queues.size(); ++q) {
    report.queue_mix.push_back({queues[q], watcher.per_queue()[q]});
  }
  report.unexpected_entries = watcher.unexpected() + watcher.unexpected_on_queues();
  if (stats_redis != nullptr) {
    // "cmdstat_evalsha:calls=1,usec=2,usec_per_call=2.00,..."
    for (const auto& [name, value] : RedisInfo(stats_redis.get())) {
      if (!absl::StartsWith(name, "cmdstat_")) continue;
      RunReport::RedisCommand command;
      command.name = name.substr(8);
      double usec = 0;
      for (absl::string_view field : absl::StrSplit(value, ',')) {
        std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(field, '=');
        if (kv.first == "calls") (void)absl::SimpleAtoi(kv.second, &command.calls);
        if (kv.first == "usec") (void)absl::SimpleAtod(kv.second, &usec);
        if (kv.first == "usec_per_call") (void)absl::SimpleAtod(kv.second, &command.usec_per_call);
      }
      command.seconds = usec / 1e6;
      report.redis_commands.push_back(command);
    }
    std::sort(report.redis_commands.begin(), report.redis_commands.end(),
              [](const auto& a, const auto& b) { return a.seconds > b.seconds; });
    if (report.redis_commands.size() > 8) report.redis_commands.resize(8);
    // [[event, unix time, latest ms, max ms], ...]
    if (auto latest = stats_redis->Command({"LATENCY", "LATEST"}); latest.ok()) {
      for (const RedisReply& event : latest->elements) {
        if (event.elements.size() < 4) continue;
        report.redis_latency_events.push_back(absl::StrCat(event.elements[0].str, ": ",
                                                           event.elements[2].integer, " / ",
                                                           event.elements[3].integer));
      }
    }
  }
  report.machine["load1_at_end"] = absl::StrFormat("%.2f", LoadAverage1());

  std::cout << FormatTable(report) << std::flush;
  for (const auto& [flag, content] : {std::pair{absl::GetFlag(FLAGS_json_out), ToJson(report)},
                                      std::pair{absl::GetFlag(FLAGS_svg_out), ToSvg(report)}}) {
    if (flag.empty()) continue;
    std::ofstream out(flag, std::ios::trunc);
    out << content;
    if (!out.good()) {
      std::cerr << "cannot write " << flag << "\n";
      return 1;
    }
  }
  if (const std::string path = absl::GetFlag(FLAGS_requests_csv); !path.empty()) {
    std::ofstream out(path, std::ios::trunc);
    out << "phase,seq,due_ms,call_ms,code,e2e_ms,arrivals\n";
    for (size_t i = 0; i < phases->size(); ++i) {
      for (uint64_t seq = runs[i].first_seq; seq < runs[i].end_seq; ++seq) {
        const RequestRecord* r = log.Find(seq);
        if (r == nullptr) continue;
        const int64_t arrived = r->arrived_ns.load();
        out << i << "," << seq << ","
            << absl::StrFormat("%.3f",
                               static_cast<double>(r->scheduled_ns - runs[i].start_ns) / 1e6)
            << ","
            << absl::StrFormat("%.3f",
                               static_cast<double>(r->done_ns.load() - r->scheduled_ns) / 1e6)
            << "," << r->code.load() << ","
            << (arrived == 0
                    ? std::string()
                    : absl::StrFormat("%.3f", static_cast<double>(arrived - r->scheduled_ns) / 1e6))
            << "," << r->arrivals.load() << "\n";
      }
    }
  }
  int64_t broken = 0;
  for (const PhaseResult& p : report.phases) broken += p.lost + p.duplicated + p.misrouted;
  return broken > 0 ? 3 : 0;
}

}  // namespace
}  // namespace referrals::loadgen

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "loadgen --intake=HOST:PORT --routing=HOST:PORT --redis=URL --redis_prefix=P "
      "--phases=KIND:PARAM:SECONDS,... [--json_out=F] [--svg_out=F]");
  absl::ParseCommandLine(argc, argv);
  return referrals::loadgen::Run();
}
