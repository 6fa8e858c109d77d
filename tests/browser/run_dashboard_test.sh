#!/usr/bin/env bash
# Runs dashboard_test.js against real intake, triage and routing processes.
#
#   run_dashboard_test.sh INTAKE_BIN TRIAGE_BIN ROUTING_BIN PORTAL_EXAMPLE SCREENSHOT REFERRALCTL_BIN
#
# The services run with a tokens file made here by `referralctl token new`
# (a submitter for the portal, an operations token for the page, a team
# token that the queues refuse); the tokens go to the test in the
# environment, never on a command line.
#
# Uses the Redis in REDIS_URL (as scripts/test.sh sets) under a key prefix of
# its own, or starts a throwaway redis-server. Installs playwright-core with
# `npm ci` when node_modules is missing. Exits 77 (ctest: skipped) only when
# chromium or node is not installed; every other problem fails.
set -euo pipefail

intake_bin=$1 triage_bin=$2 routing_bin=$3 example=$4 screenshot=$5 referralctl_bin=$6
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=../../scripts/lib.sh
source "$repo/scripts/lib.sh"

chromium_bin=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$chromium_bin" ] || [ ! -x "$chromium_bin" ]; then
  echo "SKIPPED: chromium is not installed (scripts/bootstrap.sh installs it)"
  exit 77
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "SKIPPED: node or npm is not installed (scripts/bootstrap.sh installs them)"
  exit 77
fi
if [ ! -d "$here/node_modules/playwright-core" ]; then
  (cd "$here" && npm ci --no-audit --no-fund)
fi

work=$(mktemp -d)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  stop_redis "$work"
  rm -rf "$work"
}
trap cleanup EXIT

redis_url=${REDIS_URL:-}
if [ -z "$redis_url" ]; then
  port=$(free_port)
  start_redis "$work" "$port"
  redis_url="redis://127.0.0.1:$port"
fi
prefix="browser:$$:$(date +%s):"

# token NAME ROLE [AUTHORITY]: makes a token, appends its line to the tokens
# file and sets TOKEN_<NAME> to the token.
umask 077
token() {
  local name=$1 role=$2 authority=${3:-} made
  made=$("$referralctl_bin" token new --caller="$name" --role="$role" \
    ${authority:+--authority="$authority"})
  sed -n 2p <<<"$made" >>"$work/tokens"
  printf -v "TOKEN_${name//-/_}" '%s' "$(sed -n 1p <<<"$made")"
}
token portal submitter
token ops operations
token thurrock-team team THURROCK

# start NAME BINARY: the service on free loopback ports; waits for its HTTP
# port file.
start() {
  local name=$1 binary=$2
  "$binary" --redis="$redis_url" --redis_prefix="$prefix" --listen=127.0.0.1:0 \
    --tokens_file="$work/tokens" \
    --port_file="$work/$name.port" --http_listen=127.0.0.1:0 \
    --http_port_file="$work/$name.http-port" >"$work/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 400); do
    if [ -s "$work/$name.http-port" ]; then return 0; fi
    if ! kill -0 "${pids[-1]}" 2>/dev/null; then break; fi
    sleep 0.05
  done
  echo "FAIL: $name did not start; its log:" >&2
  cat "$work/$name.log" >&2
  return 1
}
start intake "$intake_bin"
start triage "$triage_bin"
start routing "$routing_bin"

mkdir -p "$(dirname "$screenshot")"
status=0
ROUTING_HTTP="http://127.0.0.1:$(cat "$work/routing.http-port")" \
INTAKE_HTTP="http://127.0.0.1:$(cat "$work/intake.http-port")" \
PORTAL_EXAMPLE="$example" SCREENSHOT="$screenshot" CHROMIUM="$chromium_bin" \
SUBMITTER_TOKEN="$TOKEN_portal" OPERATIONS_TOKEN="$TOKEN_ops" TEAM_TOKEN="$TOKEN_thurrock_team" \
  node "$here/dashboard_test.js" || status=$?
if [ "$status" -ne 0 ]; then
  for name in intake triage routing; do
    echo "--- $name log (tail)" >&2
    tail -n 20 "$work/$name.log" >&2
  done
fi
exit "$status"
