#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (build-fuzz/) and runs each for a
# bounded time. Skips, saying why, when clang or its fuzzer runtime is missing.
#   scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}

if ! command -v clang++ >/dev/null 2>&1 ||
   ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  echo "fuzz.sh: SKIPPED: clang++ with libFuzzer (Debian clang, libclang-rt-dev) is not installed"
  exit 0
fi

CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DREFERRALS_FUZZ=ON -DREFERRALS_BUILD_TESTS=OFF >/dev/null
cmake --build build-fuzz --target postcode_fuzz referral_validator_fuzz

mkdir -p build-fuzz/corpus/postcode build-fuzz/corpus/referral
# Seeds: real-looking postcodes and the example referrals.
printf 'SS9 1AA' >build-fuzz/corpus/postcode/seed1
printf 'ec1a1bb' >build-fuzz/corpus/postcode/seed2
cp examples/referrals/*.json build-fuzz/corpus/referral/

for target in postcode referral_validator; do
  corpus=build-fuzz/corpus/${target%_validator}
  log=build-fuzz/${target}_fuzz.log
  echo "fuzz.sh: running ${target}_fuzz for ${seconds}s"
  if ! build-fuzz/tests/fuzz/${target}_fuzz -max_total_time="$seconds" -print_final_stats=1 \
      "$corpus" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "fuzz.sh: ${target}_fuzz found a problem (crash input saved in the working directory)" >&2
    exit 1
  fi
  grep -E "^(Done|stat::number_of_executed_units)" "$log" || true
done
