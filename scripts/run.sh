#!/usr/bin/env bash
# Runs the whole system on this machine: installs what is missing, builds,
# starts Redis (unless REDIS_URL names one), the intake, triage and routing
# services, and then either
#   scripts/run.sh           keeps them running until Ctrl-C, then stops them
#   scripts/run.sh --demo    submits the synthetic referrals in
#                            examples/referrals/, prints where each went and
#                            why, shows the queues, and stops everything
#
# Environment:
#   REDIS_URL                 use this Redis instead of starting one
#   REFERRALS_POSTCODE_DATA   unit-level postcode data: an ONSPD or NSPL file
#                             or release directory (legacy or August 2025
#                             layout), or an OS Code-Point Open directory;
#                             passed to routing_service as --postcode_data.
#                             Without it, the embedded sector table decides
#   INTAKE_PORT, TRIAGE_PORT, ROUTING_PORT   default 50051, 50052, 50053
#   INTAKE_HTTP_PORT          the portal's HTTP intake, /metrics, /healthz;
#                             default 8080 (docs/portal.md)
#   TRIAGE_HTTP_PORT          triage's /metrics and /healthz; default 8082
#   ROUTING_HTTP_PORT         the operations dashboard, /metrics, /healthz;
#                             default 8081
#   REDIS_ACL=1               the Redis run.sh starts uses deploy/redis/users.acl
#                             with passwords generated into the run directory,
#                             and each service connects as its own ACL user
#   AUTH=1                    bearer tokens (SECURITY.md): throwaway tokens for
#                             a submitter (portal), operations (ops), admin and
#                             one team per authority are made into the run
#                             directory (token-NAME, and the hashes in
#                             tokens); the services run with --tokens_file and
#                             referralctl uses token-ops (REFERRALS_TOKEN_FILE)
#                             and token-portal to submit
#   DATA_KEYS=0               run without a data key: personal data stored in
#                             clear (loopback only). By default a throwaway
#                             data key is made into the run directory
#                             (data-keys, readable only by this user) and the
#                             three services seal referrals with it
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

demo=0
case "${1:-}" in
  --demo) demo=1 ;;
  "") ;;
  *) echo "usage: scripts/run.sh [--demo]" >&2; exit 2 ;;
esac

scripts/bootstrap.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target intake_service triage_service routing_service referralctl

run_dir=$(mktemp -d -t referrals-run-XXXXXX)
pids=()
started_redis=0
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$started_redis" = 1 ]; then stop_redis "$run_dir"; fi
  echo "run.sh: stopped everything it started (logs were in $run_dir)"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "${REDIS_URL:-}" ]; then
  redis_port=$(free_port)
  # AOF (deploy/redis/redis.conf): an accepted referral survives a Redis
  # restart. REDIS_APPENDFSYNC=always also survives the machine dying.
  acl_args=()
  if [ "${REDIS_ACL:-0}" = 1 ]; then
    scripts/redis_acl.sh "$run_dir/secrets" "$run_dir/users.acl"
    acl_args=(--aclfile "$run_dir/users.acl")
  fi
  start_redis "$run_dir" "$redis_port" --include "$PWD/deploy/redis/redis.conf" \
    --appendfsync "${REDIS_APPENDFSYNC:-everysec}" "${acl_args[@]}"
  started_redis=1
  export REDIS_URL="redis://127.0.0.1:$redis_port"
  echo "run.sh: started redis-server on $REDIS_URL (data in $run_dir)"
else
  echo "run.sh: using Redis at $REDIS_URL"
fi

# A demo gets its own key prefix and free ports, so it never mixes with a
# running stack.
if [ "$demo" = 1 ]; then
  prefix="demo-$(date +%s)-$$:"
  # The ACL users may only touch referrals:*; run.sh's own Redis is fresh.
  if [ "${REDIS_ACL:-0}" = 1 ] && [ "$started_redis" = 1 ]; then prefix="referrals:"; fi
  INTAKE_PORT=$(free_port); TRIAGE_PORT=$(free_port); ROUTING_PORT=$(free_port)
  INTAKE_HTTP_PORT=$(free_port)
else
  prefix="referrals:"
fi
export REFERRALS_INTAKE="127.0.0.1:${INTAKE_PORT:-50051}"
export REFERRALS_TRIAGE="127.0.0.1:${TRIAGE_PORT:-50052}"
export REFERRALS_ROUTING="127.0.0.1:${ROUTING_PORT:-50053}"
# The portal's HTTP intake, /metrics and /healthz (docs/portal.md).
export REFERRALS_INTAKE_HTTP="127.0.0.1:${INTAKE_HTTP_PORT:-8080}"
# The operations dashboard (routing) and triage's /metrics and /healthz.
export REFERRALS_ROUTING_HTTP="127.0.0.1:${ROUTING_HTTP_PORT:-8081}"
export REFERRALS_TRIAGE_HTTP="127.0.0.1:${TRIAGE_HTTP_PORT:-8082}"

# AUTH=1: throwaway bearer tokens, readable only by this user, made by
# referralctl (which prints each token once and its hashed line).
auth_args=()
submit_token=()
if [ "${AUTH:-0}" = 1 ]; then
  (
    umask 077
    : >"$run_dir/tokens"
    make_token() {  # NAME ROLE [AUTHORITY]
      local out
      out=$(build/tools/referralctl/referralctl token new --caller "$1" --role "$2" \
        ${3:+--authority "$3"})
      head -n 1 <<<"$out" >"$run_dir/token-$1"
      tail -n 1 <<<"$out" >>"$run_dir/tokens"
    }
    make_token portal submitter
    make_token ops operations
    make_token admin admin
    make_token ecc-team team ESSEX
    make_token southend-team team SOUTHEND
    make_token thurrock-team team THURROCK
  )
  auth_args=(--tokens_file="$run_dir/tokens")
  submit_token=(--token_file="$run_dir/token-portal")
  export REFERRALS_TOKEN_FILE="$run_dir/token-ops"
  echo "run.sh: AUTH=1: bearer tokens in $run_dir/token-* (hashes in $run_dir/tokens)"
fi

# Personal data at rest (SECURITY.md): a throwaway data key, made by
# referralctl, unless DATA_KEYS=0.
if [ "${DATA_KEYS:-1}" = 1 ]; then
  (
    umask 077
    build/tools/referralctl/referralctl key new --id "run-$(date +%Y%m%d)" >"$run_dir/data-keys"
  )
  auth_args+=(--data_key_file="$run_dir/data-keys")
  echo "run.sh: personal data sealed at rest with the throwaway key in $run_dir/data-keys"
fi

if [ -n "${REFERRALS_POSTCODE_DATA:-}" ]; then
  echo "run.sh: unit-level postcode data from $REFERRALS_POSTCODE_DATA"
else
  echo "run.sh: no REFERRALS_POSTCODE_DATA: postcodes resolve from the sector table alone"
fi
common=(--redis="$REDIS_URL" --redis_prefix="$prefix" "${auth_args[@]}")
# redis_user NAME: the flags that make a service connect as ACL user NAME
# (REDIS_ACL=1), else nothing.
redis_user() {
  if [ "${REDIS_ACL:-0}" = 1 ] && [ "$started_redis" = 1 ]; then
    echo "--redis_user=$1 --redis_password_file=$run_dir/secrets/redis-$1.password"
  fi
}
# shellcheck disable=SC2046  # redis_user's flags hold no spaces
build/services/intake/intake_service "${common[@]}" $(redis_user intake) --listen="$REFERRALS_INTAKE" \
  --http_listen="$REFERRALS_INTAKE_HTTP" \
  >"$run_dir/intake.log" 2>&1 &
pids+=($!)
build/services/triage/triage_service "${common[@]}" $(redis_user triage) --listen="$REFERRALS_TRIAGE" \
  --http_listen="$REFERRALS_TRIAGE_HTTP" \
  >"$run_dir/triage.log" 2>&1 &
pids+=($!)
build/services/routing/routing_service "${common[@]}" $(redis_user routing) --listen="$REFERRALS_ROUTING" \
  --http_listen="$REFERRALS_ROUTING_HTTP" \
  ${REFERRALS_POSTCODE_DATA:+--postcode_data="$REFERRALS_POSTCODE_DATA"} \
  >"$run_dir/routing.log" 2>&1 &
pids+=($!)

ctl=build/tools/referralctl/referralctl
for _ in $(seq 1 100); do
  if "$ctl" health >/dev/null 2>&1; then break; fi
  for pid in "${pids[@]}"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "run.sh: a service failed to start; its log:" >&2
      tail -n 20 "$run_dir"/*.log >&2
      exit 1
    fi
  done
  sleep 0.1
done
"$ctl" health
echo "run.sh: operations dashboard on http://$REFERRALS_ROUTING_HTTP/ (metrics: http://$REFERRALS_ROUTING_HTTP/metrics, http://$REFERRALS_TRIAGE_HTTP/metrics, http://$REFERRALS_INTAKE_HTTP/metrics)"
if [ "${AUTH:-0}" = 1 ]; then
  echo "run.sh: AUTH=1: the dashboard and /metrics need the operations token: sign in with the contents of $run_dir/token-ops (curl -H \"Authorization: Bearer \$(cat $run_dir/token-ops)\" ...)"
fi

if [ "$demo" = 0 ]; then
  cat <<MSG

The stack is running. Logs: $run_dir/{intake,triage,routing}.log
Try, in another terminal (with REFERRALS_INTAKE=$REFERRALS_INTAKE REFERRALS_ROUTING=$REFERRALS_ROUTING):
  $ctl submit examples/referrals/01-safeguarding-harm-in-southend.json
  $ctl get REFERRAL_ID
  $ctl queues
  $ctl watch southend-front-door
The portal's HTTP intake is on http://$REFERRALS_INTAKE_HTTP (docs/portal.md):
  curl -i http://$REFERRALS_INTAKE_HTTP/v1/referrals -H 'Content-Type: application/json' \
    -H 'Idempotency-Key: try-1' --data-binary @examples/portal/safeguarding-concern.json
  curl http://$REFERRALS_INTAKE_HTTP/metrics
Press Ctrl-C to stop everything.
MSG
  wait -n "${pids[@]}" || true
  echo "run.sh: a service exited; stopping the rest" >&2
  exit 1
fi

echo
echo "=== Demo: submitting the synthetic referrals in examples/referrals/ ==="
for file in examples/referrals/*.json; do
  echo
  echo "--- $(basename "$file")"
  id=$("$ctl" submit "${submit_token[@]}" "$file" | awk 'NR == 1 {print $1}')  # later lines: signposts
  "$ctl" get --wait_seconds=10 "$id"
done
echo
echo "--- The portal retries a form: the same request id again gives the same referral"
"$ctl" submit "${submit_token[@]}" examples/referrals/01-safeguarding-harm-in-southend.json
echo
echo "=== Queues ==="
"$ctl" queues
