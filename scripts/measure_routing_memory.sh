#!/usr/bin/env bash
# Measures the routing service's resident memory with a UK-size postcode
# file (issue 7's target: at most 400 MB with 2.7 M units). Writes a
# synthetic ONSPD file of that size (August 2025 layout, about 1 GB) to a
# temporary directory, starts a throwaway redis-server and routing_service
# with --postcode_data on it, reads VmRSS and VmHWM (peak) from /proc once the
# service is serving, then stops everything and deletes the file.
#
#   scripts/measure_routing_memory.sh [UNITS]     default 2700000
#
# Prints one line and writes build/bench/memory.json. Uses the
# RelWithDebInfo build in build/ (the one scripts/test.sh makes).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

units=${1:-2700000}
scripts/bootstrap.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target routing_service postcode_load_bench >/dev/null

work=$(mktemp -d -t referrals-memory-XXXXXX)
routing_pid=""
cleanup() {
  [ -n "$routing_pid" ] && kill -TERM "$routing_pid" 2>/dev/null && wait "$routing_pid" 2>/dev/null
  stop_redis "$work"
  rm -rf "$work"
}
trap cleanup EXIT

file=$(build/tests/services/routing/postcode_load_bench --write "$work" "$units")
port=$(free_port)
start_redis "$work" "$port"
build/services/routing/routing_service --redis="redis://127.0.0.1:$port" \
  --redis_prefix="memory-$$:" --postcode_data="$file" --port_file="$work/port" \
  >"$work/routing.log" 2>&1 &
routing_pid=$!
for _ in $(seq 1 1200); do
  [ -s "$work/port" ] && break
  kill -0 "$routing_pid" 2>/dev/null || { tail -5 "$work/routing.log" >&2; exit 1; }
  sleep 0.1
done
[ -s "$work/port" ] || { echo "routing_service did not start" >&2; exit 1; }
sleep 1  # let the consumer threads settle
rss_kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$routing_pid/status")
hwm_kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$routing_pid/status")
loaded=$(grep -o '"units_loaded":"[0-9]*"' "$work/routing.log" | head -1 | grep -o '[0-9]*' || echo "?")
mkdir -p build/bench
printf '{"units_in_file": %s, "units_loaded": "%s", "routing_rss_mb": %.1f, "routing_peak_rss_mb": %.1f}\n' \
  "$units" "$loaded" "$(echo "$rss_kb / 1024" | bc -l)" "$(echo "$hwm_kb / 1024" | bc -l)" \
  | tee build/bench/memory.json
