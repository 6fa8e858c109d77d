#!/usr/bin/env bash
# Measures the router on this machine (method and latest figures:
# docs/performance.md). One command: builds in Release (build-release/),
# starts a fresh redis-server (AOF on, appendfsync everysec) and the three
# services under a fresh key prefix, then runs tools/loadgen, which in the
# same run measures
#   - the baselines: raw XADD of a referral-sized entry on that Redis (one per
#     round trip, and pipelined 64 deep) and an empty gRPC unary call
#     (grpc.health.v1 Health/Check on the intake server), open and closed loop;
#   - the pipeline: SubmitReferral open loop at one referral every 2 s (each
#     after an idle gap), 500 and 1000/s for 20 s, closed loop with 64 in
#     flight (the ceiling), 2000/s for 60 s (the sustained test) and 3000/s
#     for 20 s; end to end = submitted -> on the destination queue; every
#     accepted referral checked to be on exactly one queue, the one the rules
#     decide. Each step waits for the pipeline to empty before the next.
# Prints the table with each figure's ratio to its baseline and writes
# build/bench/results.json, build/bench/latency.svg (p99 per second, every
# phase) and build/bench/table.txt. Stops everything it started, on success,
# failure or Ctrl-C.
#
#   scripts/bench.sh           the full run (about 6 minutes after the build)
#   scripts/bench.sh --quick   the same steps, shorter (under a minute)
#
# Environment: BENCH_PHASES overrides the phase list (see tools/loadgen/main.cc);
# BENCH_INTAKE_FLAGS, BENCH_TRIAGE_FLAGS, BENCH_ROUTING_FLAGS add flags to a
# service (e.g. BENCH_TRIAGE_FLAGS=--consumers=2) to try a configuration;
# BENCH_REPLICAS=2 runs two processes each of triage and routing;
# BENCH_LOADGEN_FLAGS adds flags to loadgen (e.g. --requests_csv=FILE);
# BENCH_REDIS_FLAGS adds redis-server options (e.g. --auto-aof-rewrite-percentage 0).
# Unit-level postcode data is not loaded (REFERRALS_POSTCODE_DATA is ignored):
# the services run on the sector table, their default configuration.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

mode=full
case "${1:-}" in
  --quick) mode=quick ;;
  "") ;;
  *) echo "usage: scripts/bench.sh [--quick]" >&2; exit 2 ;;
esac

if [ "$mode" = quick ]; then
  phases="xadd:1:2,xadd:64:2,empty_open:1000:4,empty_closed:32:2,open:1000:5,closed:64:5,open:2000:5"
  sustain_seconds=5
  drain_timeout=15
else
  # Each step starts on an empty pipeline (loadgen waits for it). The ceiling
  # (closed loop) is taken before the long steps have grown the data set;
  # the 60 s step at 2000/s is both the 2000/s step and the sustained test.
  phases="xadd:1:5,xadd:64:5,empty_open:1000:20,empty_closed:32:10,open:0.5:30,open:500:20,open:1000:20,closed:64:20,open:2000:60,open:3000:20"
  sustain_seconds=60
  drain_timeout=120
fi
phases=${BENCH_PHASES:-$phases}

scripts/bootstrap.sh
build_dir=build-release
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DREFERRALS_BUILD_TESTS=OFF \
  -DREFERRALS_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$build_dir" --target intake_service triage_service routing_service loadgen

out_dir=build/bench
mkdir -p "$out_dir"
run_dir=$(mktemp -d -t referrals-bench-XXXXXX)
pids=()
started_redis=0
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$started_redis" = 1 ]; then stop_redis "$run_dir"; fi
  # The AOF can be gigabytes after a full run; the logs are worth keeping.
  rm -rf "$run_dir/appendonlydir"
  echo "bench.sh: stopped everything it started (logs in $run_dir)" >&2
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

unset REFERRALS_POSTCODE_DATA
redis_port=$(free_port)
start_redis "$run_dir" "$redis_port" --include "$PWD/deploy/redis/redis.conf" \
  --appendfsync everysec --latency-monitor-threshold 10 ${BENCH_REDIS_FLAGS:-}
started_redis=1
redis_url="redis://127.0.0.1:$redis_port"
prefix="bench-$(date +%s)-$$:"
intake_addr="127.0.0.1:$(free_port)"
triage_addr="127.0.0.1:$(free_port)"
routing_addr="127.0.0.1:$(free_port)"
echo "bench.sh: redis-server $redis_url (AOF on, everysec; data in $run_dir), prefix $prefix"

common=(--redis="$redis_url" --redis_prefix="$prefix" --shutdown_grace_seconds=3)
"$build_dir/services/intake/intake_service" "${common[@]}" --listen="$intake_addr" \
  ${BENCH_INTAKE_FLAGS:-} >"$run_dir/intake.log" 2>&1 &
intake_pid=$!
pids+=("$intake_pid")
# BENCH_REPLICAS processes each of triage and routing (default 1), as
# replicas sharing the consumer groups; the first of each serves loadgen.
replicas=${BENCH_REPLICAS:-1}
pid_list="intake=$intake_pid"
for r in $(seq 1 "$replicas"); do
  suffix=$([ "$r" = 1 ] && echo "" || echo "$r")
  t_addr=$([ "$r" = 1 ] && echo "$triage_addr" || echo "127.0.0.1:$(free_port)")
  r_addr=$([ "$r" = 1 ] && echo "$routing_addr" || echo "127.0.0.1:$(free_port)")
  "$build_dir/services/triage/triage_service" "${common[@]}" --listen="$t_addr" \
    ${BENCH_TRIAGE_FLAGS:-} >"$run_dir/triage$suffix.log" 2>&1 &
  pids+=("$!")
  pid_list="$pid_list,triage$suffix=$!"
  "$build_dir/services/routing/routing_service" "${common[@]}" --listen="$r_addr" \
    ${BENCH_ROUTING_FLAGS:-} >"$run_dir/routing$suffix.log" 2>&1 &
  pids+=("$!")
  pid_list="$pid_list,routing$suffix=$!"
done

# Each service logs "started" once it listens; one that exits is a failure.
for log in "$run_dir"/intake.log "$run_dir"/triage*.log "$run_dir"/routing*.log; do
  name=$(basename "$log" .log)
  for _ in $(seq 1 200); do
    if grep -q '"event":"started"' "$run_dir/$name.log" 2>/dev/null; then break; fi
    for pid in "${pids[@]}"; do
      if ! kill -0 "$pid" 2>/dev/null; then
        echo "bench.sh: a service failed to start:" >&2
        tail -n 5 "$run_dir"/*.log >&2
        exit 1
      fi
    done
    sleep 0.1
  done
done

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain 2>/dev/null | head -1)" ]; then commit="$commit+local changes"; fi
echo "bench.sh: before: $(uptime)" | tee "$out_dir/uptime.txt"
redis_pid=$(cat "$run_dir/redis.pid")
# In the background and waited for, so Ctrl-C reaches the trap at once.
"$build_dir/tools/loadgen/loadgen" \
  --intake="$intake_addr" --routing="$routing_addr" --triage="$triage_addr" \
  --redis="$redis_url" --redis_prefix="$prefix" \
  --phases="$phases" --key_rate=1000 --sustain_seconds="$sustain_seconds" \
  --drain_timeout_s="$drain_timeout" --seed=1 \
  --pids="$pid_list,redis=$redis_pid" \
  --run_label="$mode" --note="commit $commit; $(nproc) CPUs; triage and routing x$replicas; $(uptime | sed 's/.*load/load/')" \
  --json_out="$out_dir/results.json" --svg_out="$out_dir/latency.svg" \
  ${BENCH_LOADGEN_FLAGS:-} >"$out_dir/table.txt" &
loadgen_pid=$!
pids+=("$loadgen_pid")
loadgen_status=0
wait "$loadgen_pid" || loadgen_status=$?
echo "bench.sh: after: $(uptime)" | tee -a "$out_dir/uptime.txt"

echo
cat "$out_dir/table.txt"
echo
echo "bench.sh: wrote $out_dir/results.json, $out_dir/latency.svg, $out_dir/table.txt"
if [ "$loadgen_status" = 3 ]; then
  echo "bench.sh: some accepted referrals were lost, duplicated or misrouted (see the table)" >&2
fi
exit "$loadgen_status"
