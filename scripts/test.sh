#!/usr/bin/env bash
# Runs every test: installs what is missing, builds, starts a throwaway
# redis-server on a free loopback port, runs the whole suite through ctest,
# stops the server, checks the deployment files (scripts/check_deploy.sh),
# then (default configuration only) fuzzes the parsers for
# a bounded time (scripts/fuzz.sh). Exits non-zero on any failure.
#
#   scripts/test.sh              RelWithDebInfo build in build/
#   scripts/test.sh --sanitize   AddressSanitizer + UBSan build in build-asan/
#
# Environment: REFERRALS_CODEPOINT_DIR, the OS Code-Point Open directory the
# full-data tests read (skipped with a message when unset);
# REFERRALS_FUZZ_SECONDS, seconds per fuzz target (default 20, 0 skips).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

build_dir=build
cmake_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
if [ "${1:-}" = "--sanitize" ]; then
  build_dir=build-asan
  cmake_args=(-DCMAKE_BUILD_TYPE=Debug -DREFERRALS_SANITIZE=ON)
  # The fault suite moves a quarter of the referrals under the sanitizers.
  export REFERRALS_FAULT_SCALE=${REFERRALS_FAULT_SCALE:-0.25}
fi

scripts/bootstrap.sh
configure_and_build "$build_dir" "${cmake_args[@]}"
ln -sf "$build_dir/compile_commands.json" compile_commands.json

redis_dir=$(mktemp -d)
trap 'stop_redis "$redis_dir"; rm -rf "$redis_dir"' EXIT
redis_port=$(free_port)
start_redis "$redis_dir" "$redis_port"
export REDIS_URL="redis://127.0.0.1:$redis_port"
echo "test.sh: redis-server on $REDIS_URL (data in $redis_dir)"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$build_dir" --output-on-failure -j2 --timeout 300

# The deployment files: yamllint, compose and kustomize parsers, manifest
# structure (each skipped with a message when its tool is absent).
scripts/check_deploy.sh

# Fuzzing needs its own clang build; once per run is enough, so only the
# default configuration does it. REFERRALS_FUZZ_SECONDS=0 skips it.
fuzz_seconds=${REFERRALS_FUZZ_SECONDS:-20}
if [ "$build_dir" = build ] && [ "$fuzz_seconds" != 0 ]; then
  scripts/fuzz.sh "$fuzz_seconds"
fi
