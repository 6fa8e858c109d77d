#!/usr/bin/env bash
# The container build and the Compose deployment, for real: builds the image
# from deploy/docker/Dockerfile, starts deploy/compose.yaml (Redis with AOF
# and ACL users, intake, two triage and two routing replicas, TLS, tokens,
# Redis passwords, data key) with throwaway secrets, waits for every health
# check, submits a referral over TLS with a submitter token, checks it reached
# its team's queue, checks the HTTPS listener, checks the services run as the
# image's non-root user and that a killed replica is restarted, then removes
# everything it made.
#
#   scripts/check_container.sh
#
# Skips (exit 0, with a message) when no Docker daemon answers: CI machines
# have none, so scripts/test.sh runs this only where one does.
#
# Base images: debian:bookworm, debian:bookworm-slim and redis:7.0-bookworm
# when present or pullable. Where no registry is reachable it makes local
# stand-ins once: a Debian bookworm root made by debootstrap from the Debian
# mirror (imported as referrals-base:bookworm) and Debian's redis-server on
# it (referrals-redis:7.0). Set REFERRALS_CONTAINER_KEEP=1 to leave the
# Compose project running for a look.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v docker >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then
  echo "check_container: skipped: no Docker daemon answers (docker info)" >&2
  exit 0
fi
if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose --compatibility)  # 1.x honours deploy.replicas only so
else
  echo "check_container: skipped: neither 'docker compose' nor docker-compose" >&2
  exit 0
fi

have_image() { docker image inspect "$1" >/dev/null 2>&1 || docker pull -q "$1" >/dev/null 2>&1; }

base=debian:bookworm
runtime=debian:bookworm-slim
redis_image=redis:7.0-bookworm
if ! have_image "$base" || ! have_image "$runtime"; then
  base=referrals-base:bookworm
  runtime=$base
  if ! docker image inspect "$base" >/dev/null 2>&1; then
    command -v debootstrap >/dev/null 2>&1 || {
      echo "check_container: skipped: no base image and no debootstrap to make one" >&2
      exit 0
    }
    echo "check_container: no registry: making $base with debootstrap (once)" >&2
    root=$(mktemp -d)
    debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >/dev/null
    tar -C "$root" -c . | docker import - "$base" >/dev/null
    rm -rf "$root"
  fi
fi
if ! have_image "$redis_image"; then
  redis_image=referrals-redis:7.0
  if ! docker image inspect "$redis_image" >/dev/null 2>&1; then
    echo "check_container: no registry: making $redis_image from Debian's redis-server" >&2
    printf '%s\n' "FROM $base" \
      "RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y \\" \
      "      --no-install-recommends redis-server redis-tools && rm -rf /var/lib/apt/lists/*" |
      docker build --network host -q -t "$redis_image" - >/dev/null
  fi
fi

image=referrals:check
echo "check_container: building $image from deploy/docker/Dockerfile (base $base)" >&2
start=$SECONDS
docker build --network host -q -f deploy/docker/Dockerfile \
  --build-arg BASE_IMAGE="$base" --build-arg RUNTIME_IMAGE="$runtime" -t "$image" . >/dev/null
echo "check_container: image built in $((SECONDS - start)) s," \
  "$(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1 / 1e6}')" >&2

# The Compose file and throwaway secrets in a scratch copy of deploy/.
work=$(mktemp -d)
project=referralscheck$$
export REFERRALS_IMAGE=$image REDIS_IMAGE=$redis_image
dc() { "${compose[@]}" -p "$project" -f "$work/deploy/compose.yaml" "$@"; }
cleanup() {
  if [ "${REFERRALS_CONTAINER_KEEP:-0}" = 1 ]; then
    echo "check_container: left running: project $project, files in $work" >&2
    return
  fi
  dc down -v --remove-orphans >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
cp -r deploy "$work/deploy"
secrets=$work/deploy/secrets
mkdir -p "$secrets"
scripts/redis_acl.sh "$secrets" "$secrets/users.acl" >/dev/null
scripts/make_certs.sh "$secrets/tls" 1 intake triage routing >/dev/null 2>&1
token() {  # CALLER ROLE: the token into $secrets/CALLER.token, the hash line into tokens
  local out
  out=$(docker run --rm "$image" referralctl token new --caller "$1" --role "$2")
  sed -n 1p <<<"$out" >"$secrets/$1.token"
  sed -n 2p <<<"$out" >>"$secrets/tokens"
}
token portal submitter
token ops operations
docker run --rm "$image" referralctl key new --id check-1 >"$secrets/data-keys"
# Compose (without Swarm) bind-mounts secret files as they are: the
# containers' users must be able to read them (deploy/README.md, "Compose").
chmod 0755 "$secrets" "$secrets/tls"
chmod 0644 "$secrets"/*.password "$secrets/users.acl" "$secrets"/tls/server.* \
  "$secrets/tokens" "$secrets"/*.token "$secrets/data-keys"

dc up -d >/dev/null 2>&1 || { dc logs --no-color | tail -50; exit 1; }
containers=$(dc ps -q)
echo "check_container: $(wc -l <<<"$containers") containers started; waiting for health" >&2
deadline=$((SECONDS + 180))
while :; do
  unhealthy=0
  for c in $containers; do
    status=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$c")
    [ "$status" = healthy ] || unhealthy=$((unhealthy + 1))
  done
  [ "$unhealthy" = 0 ] && break
  if [ $SECONDS -gt $deadline ]; then
    echo "check_container: FAIL: $unhealthy containers not healthy after 180 s" >&2
    dc ps >&2
    dc logs --no-color | tail -60 >&2
    exit 1
  fi
  sleep 2
done
for service in triage routing; do
  n=$(dc ps -q "$service" | wc -l)
  [ "$n" = 2 ] || { echo "check_container: FAIL: $n $service replicas, want 2" >&2; exit 1; }
done
echo "check_container: every container healthy (intake, 2 triage, 2 routing, redis)" >&2

# A client on the Compose network, with the CA, a token and the examples.
network=$(docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}' \
  "$(dc ps -q intake)")
ctl() {  # TOKEN ARGS...
  local token=$1
  shift
  docker run --rm --network "$network" -v "$secrets:/secrets:ro" \
    -v "$PWD/examples:/examples:ro" "$image" referralctl --intake=intake:50051 \
    --routing=routing:50051 --tls_ca_file=/secrets/tls/ca.pem --token_file="/secrets/$token.token" "$@"
}
id=$(ctl portal submit /examples/referrals/05-urgent-harm-in-thurrock.json | awk 'NR == 1 {print $1}')
[ -n "$id" ] || { echo "check_container: FAIL: submit printed no referral id" >&2; exit 1; }
shown=$(ctl ops get --wait_seconds=30 "$id")
if ! grep -q "^${id}  ROUTED" <<<"$shown" || ! grep -q "(queue thurrock-first)" <<<"$shown"; then
  echo "check_container: FAIL: referral $id did not reach a Thurrock queue:" >&2
  echo "$shown" >&2
  exit 1
fi
echo "check_container: referral $id submitted over TLS with a token and routed to" \
  "queue thurrock-first" >&2
if ctl ops submit /examples/referrals/05-urgent-harm-in-thurrock.json >/dev/null 2>&1; then
  echo "check_container: FAIL: an operations token could submit" >&2
  exit 1
fi

# The portal's HTTPS listener, published on the host: TLS with the same
# certificate, /metrics only with a staff token, no plain HTTP.
https() { curl -sS -o /dev/null -w '%{http_code}' --cacert "$secrets/tls/ca.pem" "$@"; }
[ "$(https https://127.0.0.1:8443/healthz)" = 200 ] ||
  { echo "check_container: FAIL: intake's HTTPS /healthz" >&2; exit 1; }
[ "$(https https://127.0.0.1:8443/metrics)" = 401 ] ||
  { echo "check_container: FAIL: /metrics without a token was not 401" >&2; exit 1; }
[ "$(https -H "Authorization: Bearer $(cat "$secrets/ops.token")" \
  https://127.0.0.1:8443/metrics)" = 200 ] ||
  { echo "check_container: FAIL: /metrics with the ops token was not 200" >&2; exit 1; }
if curl -sf -o /dev/null --max-time 5 http://127.0.0.1:8443/healthz; then
  echo "check_container: FAIL: intake answered plain HTTP" >&2
  exit 1
fi
echo "check_container: intake's HTTP listener speaks HTTPS only; /metrics wants a staff token" >&2

for service in intake triage routing; do
  uid=$(docker exec "$(dc ps -q "$service" | head -1)" id -u)
  [ "$uid" = 10001 ] || { echo "check_container: FAIL: $service runs as uid $uid" >&2; exit 1; }
done
echo "check_container: the services run as uid 10001, not root" >&2

# A crash, not a stop: SIGKILL from the host to the process (docker kill
# would count as stopping it by hand, which the restart policy respects).
victim=$(dc ps -q routing | head -1)
kill -KILL "$(docker inspect -f '{{.State.Pid}}' "$victim")"
deadline=$((SECONDS + 60))
until [ "$(docker inspect -f '{{.State.Running}} {{.RestartCount}}' "$victim")" = "true 1" ]; do
  [ $SECONDS -gt $deadline ] && { echo "check_container: FAIL: killed replica not restarted" >&2; exit 1; }
  sleep 1
done
echo "check_container: a SIGKILLed routing replica was restarted (restart: unless-stopped)" >&2
echo "check_container: OK" >&2
