#include "tools/loadgen/report.h"

#include <algorithm>
#include <cmath>

#include <grpcpp/support/status.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace referrals::loadgen {
namespace {

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  // Nearest rank: the smallest value with at least p of the samples at or below it.
  size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

double P99(std::vector<double>& values) {
  if (values.empty()) return -1;
  std::sort(values.begin(), values.end());
  return Percentile(values, 0.99);
}

// The headline figures, found among the phases.
struct Headline {
  const PhaseResult* key = nullptr;      // open loop at the key rate
  const PhaseResult* sustain = nullptr;  // the longest open phase of sustain_seconds or more
  const PhaseResult* closed = nullptr;   // the closed-loop pipeline phase with the best rate
  const PhaseResult* empty_open = nullptr;
  const PhaseResult* empty_closed = nullptr;
  const PhaseResult* xadd = nullptr;            // one XADD per round trip
  const PhaseResult* xadd_pipelined = nullptr;  // the deepest pipeline
  double max_open_ok_per_s = 0;                 // the highest open-loop rate that ran clean
  int64_t lost = 0, duplicated = 0, errors = 0, misrouted = 0;
};

Headline FindHeadline(const RunReport& report) {
  Headline h;
  for (const PhaseResult& p : report.phases) {
    switch (p.spec.kind) {
      case PhaseKind::kOpen:
        if (h.key == nullptr && p.spec.param == report.key_rate) h.key = &p;
        // The longest such phase; of equally long ones, the fastest.
        if (p.spec.seconds >= report.sustain_seconds &&
            (h.sustain == nullptr || p.spec.seconds > h.sustain->spec.seconds ||
             (p.spec.seconds == h.sustain->spec.seconds && p.spec.param > h.sustain->spec.param))) {
          h.sustain = &p;
        }
        if (p.clean) h.max_open_ok_per_s = std::max(h.max_open_ok_per_s, p.spec.param);
        break;
      case PhaseKind::kClosed:
        if (h.closed == nullptr || p.e2e_per_s > h.closed->e2e_per_s) h.closed = &p;
        break;
      case PhaseKind::kEmptyOpen:
        if (h.empty_open == nullptr) h.empty_open = &p;
        break;
      case PhaseKind::kEmptyClosed:
        if (h.empty_closed == nullptr) h.empty_closed = &p;
        break;
      case PhaseKind::kXadd:
        if (p.spec.param <= 1) {
          if (h.xadd == nullptr) h.xadd = &p;
        } else if (h.xadd_pipelined == nullptr || p.spec.param > h.xadd_pipelined->spec.param) {
          h.xadd_pipelined = &p;
        }
        break;
    }
    if (IsPipeline(p.spec.kind)) {
      h.lost += p.lost;
      h.duplicated += p.duplicated;
      h.errors += p.errors;
      h.misrouted += p.misrouted;
    }
  }
  return h;
}

double Ratio(double a, double b) { return b > 0 ? a / b : 0; }

std::string Ms(double value) {
  if (value < 0) return "-";
  if (value >= 100) return absl::StrFormat("%.0f", value);
  if (value >= 10) return absl::StrFormat("%.1f", value);
  return absl::StrFormat("%.2f", value);
}

std::string Rate(double value) {
  return value > 0 && value < 10 ? absl::StrFormat("%.2g", value) : absl::StrFormat("%.0f", value);
}

std::string Latencies(const LatencySummary& s) {
  if (s.count == 0) return "-";
  return absl::StrCat(Ms(s.p50), " / ", Ms(s.p90), " / ", Ms(s.p99), " / ", Ms(s.p999), " / ",
                      Ms(s.max));
}

std::string JsonString(const std::string& value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppend(&out, "\\u00", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

std::string Num(double value) {
  if (!std::isfinite(value)) return "null";
  return absl::StrFormat("%.4g", value);
}
// Milliseconds keep three decimals; rates are whole numbers.
std::string JsonMs(double value) { return value < 0 ? "null" : absl::StrFormat("%.3f", value); }
std::string JsonRate(double value) { return absl::StrFormat("%.1f", value); }

std::string LatencyJson(const LatencySummary& s) {
  return absl::StrCat("{\"count\": ", s.count, ", \"p50_ms\": ", JsonMs(s.p50),
                      ", \"p90_ms\": ", JsonMs(s.p90), ", \"p99_ms\": ", JsonMs(s.p99),
                      ", \"p99_9_ms\": ", JsonMs(s.p999), ", \"max_ms\": ", JsonMs(s.max),
                      ", \"mean_ms\": ", JsonMs(s.mean), "}");
}

std::string KindName(PhaseKind kind) {
  switch (kind) {
    case PhaseKind::kOpen:
      return "open";
    case PhaseKind::kClosed:
      return "closed";
    case PhaseKind::kEmptyOpen:
      return "empty_open";
    case PhaseKind::kEmptyClosed:
      return "empty_closed";
    case PhaseKind::kXadd:
      return "xadd";
  }
  return "?";
}

}  // namespace

LatencySummary Summarize(std::vector<double> values) {
  LatencySummary s;
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  s.count = static_cast<int64_t>(values.size());
  s.p50 = Percentile(values, 0.50);
  s.p90 = Percentile(values, 0.90);
  s.p99 = Percentile(values, 0.99);
  s.p999 = Percentile(values, 0.999);
  s.max = values.back();
  double sum = 0;
  for (double v : values) sum += v;
  s.mean = sum / static_cast<double>(values.size());
  return s;
}

bool IsPipeline(PhaseKind kind) { return kind == PhaseKind::kOpen || kind == PhaseKind::kClosed; }

absl::StatusOr<std::vector<PhaseSpec>> ParsePhases(const std::string& text) {
  std::vector<PhaseSpec> phases;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    std::vector<std::string> parts = absl::StrSplit(item, ':');
    PhaseSpec spec;
    if (parts.size() != 3 || !absl::SimpleAtod(parts[1], &spec.param) ||
        !absl::SimpleAtod(parts[2], &spec.seconds) || spec.param <= 0 || spec.seconds <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("phase \"", item, "\": expected KIND:PARAM:SECONDS with positive numbers"));
    }
    const std::string& kind = parts[0];
    const std::string param = absl::StrFormat("%g", spec.param);
    if (kind == "open") {
      spec.kind = PhaseKind::kOpen;
      spec.label = absl::StrCat("submit open ", param, "/s");
    } else if (kind == "closed") {
      spec.kind = PhaseKind::kClosed;
      spec.label = absl::StrCat("submit closed ", param, " in flight");
    } else if (kind == "empty_open") {
      spec.kind = PhaseKind::kEmptyOpen;
      spec.label = absl::StrCat("empty call open ", param, "/s");
    } else if (kind == "empty_closed") {
      spec.kind = PhaseKind::kEmptyClosed;
      spec.label = absl::StrCat("empty call closed ", param, " in flight");
    } else if (kind == "xadd") {
      spec.kind = PhaseKind::kXadd;
      spec.label =
          spec.param <= 1 ? "raw XADD, no pipelining" : absl::StrCat("raw XADD, pipelined ", param);
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "phase \"", item, "\": kind must be open, closed, empty_open, empty_closed or xadd"));
    }
    absl::StrAppend(&spec.label, ", ", absl::StrFormat("%g", spec.seconds), " s");
    phases.push_back(spec);
  }
  if (phases.empty()) return absl::InvalidArgumentError("no phases");
  return phases;
}

std::string StatusCodeName(int code) {
  switch (static_cast<grpc::StatusCode>(code)) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return absl::StrCat("CODE_", code);
  }
}

PhaseResult AnalysePhase(const PhaseSpec& spec, const RequestLog& log, const DriveResult& run,
                         const std::vector<std::string>& queues,
                         const ExpectedQueue& expected_queue) {
  PhaseResult result;
  result.spec = spec;
  const bool pipeline = IsPipeline(spec.kind);
  std::vector<double> submit, e2e, e2e_server;
  std::map<int, std::pair<std::vector<double>, std::vector<double>>> by_second;
  int64_t last_arrival = 0;
  for (uint64_t seq = run.first_seq; seq < run.end_seq; ++seq) {
    const RequestRecord* r = log.Find(seq);
    if (r == nullptr) continue;
    const int64_t done = r->done_ns.load(std::memory_order_acquire);
    if (done == 0) continue;  // cannot happen: the drivers wait for every call
    const bool measured = r->scheduled_ns >= run.measure_start_ns;
    const int code = r->code.load(std::memory_order_relaxed);
    const int64_t arrived = r->arrived_ns.load(std::memory_order_acquire);
    const double submit_ms = static_cast<double>(done - r->scheduled_ns) / 1e6;
    std::pair<std::vector<double>, std::vector<double>>* window = nullptr;
    if (measured) {
      ++result.sent;
      submit.push_back(submit_ms);
      window = &by_second[static_cast<int>((r->scheduled_ns - run.measure_start_ns) / 1000000000)];
      window->first.push_back(submit_ms);
    } else {
      ++result.warmup_calls;
    }
    if (code != 0) {
      ++result.errors;
      ++result.errors_by_code[StatusCodeName(code)];
      if (arrived != 0 || r->queue_entries > 0) ++result.arrived_after_error;
      continue;
    }
    if (measured) ++result.ok;
    if (!pipeline) continue;
    if (r->duplicate_answer) ++result.duplicate_answers;
    // Exactly once is judged on the queues themselves (the final scan); the
    // routed event only times the arrival.
    if (r->queue_entries == 0) {
      ++result.lost;
      continue;
    }
    if (r->queue_entries > 1 || r->arrivals.load() > 1) ++result.duplicated;
    if (arrived == 0) {
      ++result.not_observed;
      continue;
    }
    if (measured) {
      ++result.arrived;
      last_arrival = std::max(last_arrival, arrived);
      const double e2e_ms = static_cast<double>(arrived - r->scheduled_ns) / 1e6;
      e2e.push_back(e2e_ms);
      window->second.push_back(e2e_ms);
      e2e_server.push_back(static_cast<double>(r->queue_ms) -
                           static_cast<double>(r->received_us) / 1e3);
    }
    if (r->arrived_referral_id != r->referral_id) ++result.id_mismatch;
    if (r->queue_index != r->scanned_queue_index) ++result.misrouted;  // event and queue disagree
    if (expected_queue && r->scanned_queue_index >= 0 &&
        static_cast<size_t>(r->scanned_queue_index) < queues.size() &&
        expected_queue(seq, r->received_us) != queues[r->scanned_queue_index]) {
      ++result.misrouted;
    }
  }
  result.submit = Summarize(std::move(submit));
  result.e2e = Summarize(std::move(e2e));
  result.e2e_server = Summarize(std::move(e2e_server));
  const double span_s =
      static_cast<double>((spec.kind == PhaseKind::kOpen || spec.kind == PhaseKind::kEmptyOpen
                               ? run.send_end_ns
                               : run.done_ns) -
                          run.measure_start_ns) /
      1e9;
  result.submit_per_s = span_s > 0 ? static_cast<double>(result.ok) / span_s : 0;
  if (pipeline && last_arrival > 0) {
    result.e2e_per_s = static_cast<double>(result.arrived) /
                       (static_cast<double>(last_arrival - run.measure_start_ns) / 1e9);
    result.drain_ms = static_cast<double>(last_arrival - run.send_end_ns) / 1e6;
  }
  for (auto& [second, samples] : by_second) {
    Window w;
    w.second = second;
    w.calls = static_cast<int64_t>(samples.first.size());
    w.submit_p99 = P99(samples.first);
    w.e2e_p99 = P99(samples.second);
    result.windows.push_back(w);
  }
  result.clean = result.errors == 0 && result.sent > 0;
  if (pipeline) {
    // Clean, and nothing left queued behind the last call: the pipeline kept
    // up with the offered rate (open loop) rather than buffering it.
    result.clean = result.clean && result.lost == 0 && result.duplicated == 0 &&
                   result.misrouted == 0 && result.not_observed == 0 && result.id_mismatch == 0 &&
                   result.duplicate_answers == 0 &&
                   (spec.kind != PhaseKind::kOpen || result.drain_ms <= 1000);
  }
  return result;
}

std::string FormatTable(const RunReport& report) {
  std::string out;
  absl::StrAppend(
      &out,
      absl::StrFormat("%-38s %9s %9s %9s  %-36s  %-36s %7s %5s %4s %s\n", "PHASE", "OFFERED/s",
                      "OK/s", "E2E/s", "CALL ms p50 / p90 / p99 / p99.9 / max",
                      "E2E ms p50 / p90 / p99 / p99.9 / max", "ERRORS", "LOST", "DUP", "CLEAN"));
  for (const PhaseResult& p : report.phases) {
    const bool pipeline = IsPipeline(p.spec.kind);
    const std::string offered =
        p.spec.kind == PhaseKind::kOpen || p.spec.kind == PhaseKind::kEmptyOpen ? Rate(p.spec.param)
                                                                                : "-";
    absl::StrAppend(
        &out, absl::StrFormat("%-38s %9s %9s %9s  %-36s  %-36s %7d %5s %4s %s\n", p.spec.label,
                              offered, Rate(p.submit_per_s), pipeline ? Rate(p.e2e_per_s) : "-",
                              Latencies(p.submit), pipeline ? Latencies(p.e2e) : "-", p.errors,
                              pipeline ? absl::StrCat(p.lost) : "-",
                              pipeline ? absl::StrCat(p.duplicated) : "-", p.clean ? "yes" : "NO"));
    std::vector<std::string> notes;
    if (!p.errors_by_code.empty()) {
      std::vector<std::string> codes;
      for (const auto& [code, n] : p.errors_by_code) codes.push_back(absl::StrCat(code, " ", n));
      notes.push_back(absl::StrCat("errors: ", absl::StrJoin(codes, ", ")));
    }
    if (pipeline) {
      notes.push_back(absl::StrCat("drain ", Ms(p.drain_ms), " ms"));
      notes.push_back(absl::StrCat("e2e by event timestamps p50/p99 ", Ms(p.e2e_server.p50), "/",
                                   Ms(p.e2e_server.p99), " ms"));
      if (p.misrouted > 0) notes.push_back(absl::StrCat("MISROUTED ", p.misrouted));
      if (p.backlog_left > 0) {
        notes.push_back(absl::StrCat("NOT DRAINED: ", p.backlog_left,
                                     " entries still in the pipeline when the next phase began"));
      }
      if (p.not_observed > 0) {
        notes.push_back(absl::StrCat("on a queue but no routed event seen ", p.not_observed));
      }
      if (p.id_mismatch > 0) notes.push_back(absl::StrCat("ID MISMATCH ", p.id_mismatch));
      if (p.duplicate_answers > 0) {
        notes.push_back(absl::StrCat("DUPLICATE ANSWERS ", p.duplicate_answers));
      }
      if (p.arrived_after_error > 0) {
        notes.push_back(absl::StrCat("stored though the call failed ", p.arrived_after_error));
      }
    }
    if (!p.cpu_percent.empty()) {
      std::vector<std::string> cpu;
      for (const auto& [name, percent] : p.cpu_percent) {
        cpu.push_back(absl::StrFormat("%s %.0f%%", name, percent));
      }
      notes.push_back(absl::StrCat("cpu ", absl::StrJoin(cpu, " ")));
    }
    if (!p.cpu_us_per_referral.empty()) {
      std::vector<std::string> cost;
      double total = 0;
      for (const auto& [name, us] : p.cpu_us_per_referral) {
        cost.push_back(absl::StrFormat("%s %.0f", name, us));
        if (name != "loadgen") total += us;
      }
      notes.push_back(absl::StrFormat("cpu us per referral %s (services + redis %.0f)",
                                      absl::StrJoin(cost, " "), total));
    }
    notes.push_back(absl::StrFormat("load %.2f->%.2f", p.load1_before, p.load1_after));
    notes.push_back(absl::StrFormat(
        "redis forks %d (last %.1f ms), delayed fsyncs %d, memory %.0f MB, aof %.0f MB",
        p.redis_forks, p.redis_last_fork_ms, p.redis_delayed_fsync, p.redis_memory_mb,
        p.redis_aof_mb));
    absl::StrAppend(&out, "    ", absl::StrJoin(notes, "; "), "\n");
  }

  const Headline h = FindHeadline(report);
  absl::StrAppend(&out, "\nBaselines on this machine, this run:\n");
  if (h.xadd != nullptr) {
    absl::StrAppend(&out,
                    absl::StrFormat("  raw XADD, 1 connection, no pipelining   %9s/s  p99 %s ms\n",
                                    Rate(h.xadd->submit_per_s), Ms(h.xadd->submit.p99)));
  }
  if (h.xadd_pipelined != nullptr) {
    absl::StrAppend(
        &out, absl::StrFormat("  raw XADD, 1 connection, pipelined %-5g %9s/s\n",
                              h.xadd_pipelined->spec.param, Rate(h.xadd_pipelined->submit_per_s)));
  }
  if (h.empty_open != nullptr) {
    absl::StrAppend(
        &out, absl::StrFormat("  empty gRPC call (Health/Check on intake) p99 %s ms at %s/s\n",
                              Ms(h.empty_open->submit.p99), Rate(h.empty_open->spec.param)));
  }
  if (h.empty_closed != nullptr) {
    absl::StrAppend(
        &out, absl::StrFormat("  empty gRPC call, closed loop %g in flight %9s/s\n",
                              h.empty_closed->spec.param, Rate(h.empty_closed->submit_per_s)));
  }
  absl::StrAppend(&out, "\nHeadline (ratios to the baselines):\n");
  if (h.closed != nullptr) {
    const double rate = h.closed->e2e_per_s;
    absl::StrAppend(&out,
                    absl::StrFormat("  max sustained (closed loop, e2e)   %7s/s", Rate(rate)));
    if (h.xadd != nullptr) {
      absl::StrAppend(&out,
                      absl::StrFormat("  = %.3f x raw XADD", Ratio(rate, h.xadd->submit_per_s)));
    }
    if (h.xadd_pipelined != nullptr) {
      absl::StrAppend(&out, absl::StrFormat("  = %.4f x pipelined XADD",
                                            Ratio(rate, h.xadd_pipelined->submit_per_s)));
    }
    absl::StrAppend(&out, "\n");
  }
  if (h.key != nullptr) {
    absl::StrAppend(&out, absl::StrFormat("  at %s/s open loop: Submit p50 %s ms, p99 %s ms",
                                          Rate(h.key->spec.param), Ms(h.key->submit.p50),
                                          Ms(h.key->submit.p99)));
    if (h.empty_open != nullptr) {
      absl::StrAppend(&out, absl::StrFormat(" (= %.1f x empty-call p99)",
                                            Ratio(h.key->submit.p99, h.empty_open->submit.p99)));
    }
    absl::StrAppend(&out, absl::StrFormat("; e2e p50 %s ms, p99 %s ms\n", Ms(h.key->e2e.p50),
                                          Ms(h.key->e2e.p99)));
  }
  if (h.sustain != nullptr) {
    absl::StrAppend(
        &out, absl::StrFormat(
                  "  sustained %s/s for %gs: %s (errors %d, lost %d, duplicated %d, drain %s ms)\n",
                  Rate(h.sustain->spec.param), h.sustain->spec.seconds,
                  h.sustain->clean ? "clean" : "NOT clean", h.sustain->errors, h.sustain->lost,
                  h.sustain->duplicated, Ms(h.sustain->drain_ms)));
  }
  absl::StrAppend(
      &out, absl::StrFormat("  highest clean open-loop step %s/s; all pipeline phases: errors %d, "
                            "lost %d, duplicated %d, misrouted %d, unexpected queue entries %d\n",
                            Rate(h.max_open_ok_per_s), h.errors, h.lost, h.duplicated, h.misrouted,
                            report.unexpected_entries));
  if (!report.redis_latency_events.empty()) {
    absl::StrAppend(&out, "  redis latency monitor (event: latest / max ms): ",
                    absl::StrJoin(report.redis_latency_events, "; "), "\n");
  }
  if (!report.redis_commands.empty()) {
    std::vector<std::string> commands;
    for (const auto& c : report.redis_commands) {
      commands.push_back(absl::StrFormat("%s %d calls %.1f us/call %.1f s", c.name, c.calls,
                                         c.usec_per_call, c.seconds));
    }
    absl::StrAppend(
        &out, "  redis time by command after the baselines: ", absl::StrJoin(commands, "; "), "\n");
  }
  if (!report.queue_mix.empty()) {
    int64_t total = 0;
    for (const auto& [queue, n] : report.queue_mix) total += n;
    std::vector<std::string> mix;
    for (const auto& [queue, n] : report.queue_mix) {
      if (n > 0) {
        mix.push_back(absl::StrFormat("%s %.1f%%", queue,
                                      100.0 * static_cast<double>(n) / static_cast<double>(total)));
      }
    }
    absl::StrAppend(&out, "  queue mix: ", absl::StrJoin(mix, ", "), "\n");
  }
  return out;
}

std::string ToJson(const RunReport& report) {
  const Headline h = FindHeadline(report);
  std::vector<std::string> fields;
  auto add = [&fields](const std::string& name, const std::string& value) {
    fields.push_back(absl::StrCat("  ", JsonString(name), ": ", value));
  };
  add("run", JsonString(report.run_label));
  add("note", JsonString(report.note));
  // The headline fields, at the key open-loop rate where they are latencies.
  add("key_rate_per_s", JsonRate(report.key_rate));
  add("throughput_per_s", h.key ? JsonRate(h.key->e2e_per_s) : "null");
  add("submit_p50_ms", h.key ? JsonMs(h.key->submit.p50) : "null");
  add("submit_p99_ms", h.key ? JsonMs(h.key->submit.p99) : "null");
  add("e2e_p50_ms", h.key ? JsonMs(h.key->e2e.p50) : "null");
  add("e2e_p99_ms", h.key ? JsonMs(h.key->e2e.p99) : "null");
  add("max_sustained_per_s", h.closed ? JsonRate(h.closed->e2e_per_s) : "null");
  add("max_clean_open_loop_per_s", JsonRate(h.max_open_ok_per_s));
  add("raw_xadd_per_s", h.xadd ? JsonRate(h.xadd->submit_per_s) : "null");
  add("raw_xadd_p99_ms", h.xadd ? JsonMs(h.xadd->submit.p99) : "null");
  add("raw_xadd_pipelined_per_s",
      h.xadd_pipelined ? JsonRate(h.xadd_pipelined->submit_per_s) : "null");
  add("empty_call_p99_ms", h.empty_open ? JsonMs(h.empty_open->submit.p99) : "null");
  add("empty_call_per_s", h.empty_closed ? JsonRate(h.empty_closed->submit_per_s) : "null");
  add("ratio_max_sustained_to_raw_xadd",
      h.closed && h.xadd ? Num(Ratio(h.closed->e2e_per_s, h.xadd->submit_per_s)) : "null");
  add("ratio_max_sustained_to_raw_xadd_pipelined",
      h.closed && h.xadd_pipelined ? Num(Ratio(h.closed->e2e_per_s, h.xadd_pipelined->submit_per_s))
                                   : "null");
  add("ratio_submit_p99_to_empty_call_p99",
      h.key && h.empty_open ? Num(Ratio(h.key->submit.p99, h.empty_open->submit.p99)) : "null");
  if (h.sustain != nullptr) {
    add("sustained", absl::StrCat("{\"rate_per_s\": ", JsonRate(h.sustain->spec.param),
                                  ", \"seconds\": ", Num(h.sustain->spec.seconds),
                                  ", \"e2e_per_s\": ", JsonRate(h.sustain->e2e_per_s),
                                  ", \"clean\": ", h.sustain->clean ? "true" : "false",
                                  ", \"e2e_p99_ms\": ", JsonMs(h.sustain->e2e.p99), "}"));
  }
  add("lost", absl::StrCat(h.lost));
  add("duplicated", absl::StrCat(h.duplicated));
  add("errors", absl::StrCat(h.errors));
  add("misrouted", absl::StrCat(h.misrouted));
  add("unexpected_queue_entries", absl::StrCat(report.unexpected_entries));
  add("targets",
      absl::StrCat(
          "{\"sustained_2000_per_s_60_s_clean\": ",
          h.sustain && h.sustain->clean && h.sustain->spec.param >= 2000 &&
                  h.sustain->spec.seconds >= 60
              ? "true"
              : "false",
          ", \"submit_p99_at_1000_le_5_ms\": ",
          h.key && h.key->spec.param == 1000 && h.key->submit.count > 0 && h.key->submit.p99 <= 5
              ? "true"
              : "false",
          ", \"e2e_p99_at_1000_le_20_ms\": ",
          h.key && h.key->spec.param == 1000 && h.key->e2e.count > 0 && h.key->e2e.p99 <= 20
              ? "true"
              : "false",
          "}"));
  std::vector<std::string> machine;
  for (const auto& [k, v] : report.machine) {
    machine.push_back(absl::StrCat(JsonString(k), ": ", JsonString(v)));
  }
  add("machine", absl::StrCat("{", absl::StrJoin(machine, ", "), "}"));
  add("generator", JsonString(report.generator_summary));
  std::vector<std::string> mix;
  for (const auto& [queue, n] : report.queue_mix) {
    mix.push_back(absl::StrCat(JsonString(queue), ": ", n));
  }
  add("queue_mix", absl::StrCat("{", absl::StrJoin(mix, ", "), "}"));
  std::vector<std::string> events;
  for (const std::string& e : report.redis_latency_events) events.push_back(JsonString(e));
  add("redis_latency_events", absl::StrCat("[", absl::StrJoin(events, ", "), "]"));
  std::vector<std::string> commands;
  for (const auto& c : report.redis_commands) {
    commands.push_back(absl::StrCat("{\"command\": ", JsonString(c.name), ", \"calls\": ", c.calls,
                                    ", \"usec_per_call\": ", Num(c.usec_per_call),
                                    ", \"seconds\": ", Num(c.seconds), "}"));
  }
  add("redis_commands", absl::StrCat("[", absl::StrJoin(commands, ", "), "]"));

  std::vector<std::string> phases;
  for (const PhaseResult& p : report.phases) {
    std::vector<std::string> codes;
    for (const auto& [code, n] : p.errors_by_code)
      codes.push_back(absl::StrCat(JsonString(code), ": ", n));
    std::vector<std::string> cpu;
    for (const auto& [name, percent] : p.cpu_percent)
      cpu.push_back(absl::StrCat(JsonString(name), ": ", Num(percent)));
    std::vector<std::string> cost;
    for (const auto& [name, us] : p.cpu_us_per_referral) {
      cost.push_back(absl::StrCat(JsonString(name), ": ", Num(us)));
    }
    std::vector<std::string> windows;
    for (const Window& w : p.windows) {
      windows.push_back(absl::StrCat("[", w.second, ", ", w.calls, ", ", JsonMs(w.submit_p99), ", ",
                                     JsonMs(w.e2e_p99), "]"));
    }
    phases.push_back(absl::StrCat(
        "    {\"label\": ", JsonString(p.spec.label),
        ", \"kind\": ", JsonString(KindName(p.spec.kind)), ", \"param\": ", Num(p.spec.param),
        ", \"seconds\": ", Num(p.spec.seconds), ", \"warmup_calls\": ", p.warmup_calls,
        ", \"sent\": ", p.sent, ", \"ok\": ", p.ok, ", \"errors\": ", p.errors,
        ", \"errors_by_code\": {", absl::StrJoin(codes, ", "), "}",
        ", \"ok_per_s\": ", JsonRate(p.submit_per_s), ", \"e2e_per_s\": ", JsonRate(p.e2e_per_s),
        ",\n     \"call\": ", LatencyJson(p.submit), ",\n     \"e2e\": ", LatencyJson(p.e2e),
        ",\n     \"e2e_by_event_timestamps\": ", LatencyJson(p.e2e_server),
        ",\n     \"arrived\": ", p.arrived, ", \"lost\": ", p.lost,
        ", \"duplicated\": ", p.duplicated, ", \"misrouted\": ", p.misrouted,
        ", \"id_mismatch\": ", p.id_mismatch, ", \"not_observed\": ", p.not_observed,
        ", \"backlog_left\": ", p.backlog_left, ", \"duplicate_answers\": ", p.duplicate_answers,
        ", \"arrived_after_error\": ", p.arrived_after_error,
        ", \"drain_ms\": ", JsonMs(p.drain_ms), ", \"clean\": ", p.clean ? "true" : "false",
        ", \"cpu_percent\": {", absl::StrJoin(cpu, ", "), "}, \"cpu_us_per_referral\": {",
        absl::StrJoin(cost, ", "), "}, \"load1_before\": ", Num(p.load1_before),
        ", \"load1_after\": ", Num(p.load1_after), ", \"started_unix_ms\": ", p.started_unix_ms,
        ",\n     \"redis\": {\"forks\": ", p.redis_forks, ", \"last_fork_ms\": ",
        JsonMs(p.redis_last_fork_ms), ", \"delayed_fsyncs\": ", p.redis_delayed_fsync,
        ", \"memory_mb\": ", Num(p.redis_memory_mb), ", \"aof_mb\": ", Num(p.redis_aof_mb), "}",
        ",\n     \"windows_second_calls_callp99_e2ep99\": [", absl::StrJoin(windows, ", "), "]}"));
  }
  add("phases", absl::StrCat("[\n", absl::StrJoin(phases, ",\n"), "\n  ]"));
  return absl::StrCat("{\n", absl::StrJoin(fields, ",\n"), "\n}\n");
}

std::string ToSvg(const RunReport& report) {
  // One panel per phase with calls: p99 per one-second window, log scale
  // from 0.1 ms to 10 s, so a stall stands out however short.
  std::vector<const PhaseResult*> panels;
  for (const PhaseResult& p : report.phases) {
    if (p.spec.kind != PhaseKind::kXadd && !p.windows.empty()) panels.push_back(&p);
  }
  const double width = 960, panel_h = 150, top = 50, gap = 40, left = 70, right = 20;
  const double plot_w = width - left - right;
  const double height = top + static_cast<double>(panels.size()) * (panel_h + gap) + 10;
  const double log_min = -1, log_max = 4;  // 0.1 ms .. 10 s
  std::string svg = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
      "font-family=\"sans-serif\" font-size=\"11\">\n"
      "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
      "<text x=\"%.0f\" y=\"16\" font-size=\"14\">p99 latency per 1-second window, log "
      "scale, each phase after its warm-up</text>\n"
      "<text x=\"%.0f\" y=\"32\"><tspan fill=\"#1f77b4\">call (SubmitReferral, or the empty "
      "call)</tspan>, <tspan fill=\"#d62728\">submitted to on the destination queue</tspan>; "
      "dashed: the targets, 5 ms (Submit p99) and 20 ms (end to end p99)</text>\n",
      width, height, left, left);
  for (size_t i = 0; i < panels.size(); ++i) {
    const PhaseResult& p = *panels[i];
    const double y0 = top + static_cast<double>(i) * (panel_h + gap) + 15;
    const double seconds = std::max(1.0, std::ceil(p.spec.seconds));
    auto x_of = [&](double s) { return left + plot_w * std::min(s, seconds) / seconds; };
    auto y_of = [&](double ms) {
      const double l = std::clamp(std::log10(std::max(ms, 1e-9)), log_min, log_max);
      return y0 + panel_h * (log_max - l) / (log_max - log_min);
    };
    absl::StrAppend(
        &svg, absl::StrFormat("<text x=\"%.0f\" y=\"%.0f\" font-size=\"12\">%s%s</text>\n", left,
                              y0 - 4, p.spec.label, p.clean ? "" : "  (not clean)"));
    absl::StrAppend(&svg, absl::StrFormat("<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" "
                                          "height=\"%.0f\" fill=\"none\" stroke=\"#999\"/>\n",
                                          left, y0, plot_w, panel_h));
    for (int l = static_cast<int>(log_min); l <= static_cast<int>(log_max); ++l) {
      const double ms = std::pow(10.0, l);
      const double y = y_of(ms);
      absl::StrAppend(
          &svg,
          absl::StrFormat("<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#eee\"/>"
                          "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%s ms</text>\n",
                          left, y, left + plot_w, y, left - 4, y + 4,
                          ms < 1 ? "0.1" : absl::StrFormat("%.0f", ms)));
    }
    if (IsPipeline(p.spec.kind)) {
      for (double target : {5.0, 20.0}) {
        absl::StrAppend(
            &svg,
            absl::StrFormat("<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"%s\" "
                            "stroke-dasharray=\"4 3\"/>\n",
                            left, y_of(target), left + plot_w, y_of(target),
                            target == 5 ? "#1f77b4" : "#d62728"));
      }
    }
    const int step = seconds > 30 ? 10 : seconds > 5 ? 5 : 1;
    for (int t = 0; t <= static_cast<int>(seconds); t += step) {
      absl::StrAppend(
          &svg, absl::StrFormat("<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%ds</text>\n",
                                x_of(t), y0 + panel_h + 13, t));
    }
    std::string call_points, e2e_points;
    for (const Window& w : p.windows) {
      const double x = x_of(w.second + 0.5);
      if (w.submit_p99 >= 0)
        absl::StrAppend(&call_points, absl::StrFormat("%.1f,%.1f ", x, y_of(w.submit_p99)));
      if (w.e2e_p99 >= 0)
        absl::StrAppend(&e2e_points, absl::StrFormat("%.1f,%.1f ", x, y_of(w.e2e_p99)));
    }
    if (!call_points.empty()) {
      absl::StrAppend(&svg,
                      "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"",
                      call_points, "\"/>\n");
    }
    if (!e2e_points.empty()) {
      absl::StrAppend(&svg,
                      "<polyline fill=\"none\" stroke=\"#d62728\" stroke-width=\"1.5\" points=\"",
                      e2e_points, "\"/>\n");
    }
  }
  absl::StrAppend(&svg, "</svg>\n");
  return svg;
}

}  // namespace referrals::loadgen
