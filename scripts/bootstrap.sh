#!/usr/bin/env bash
# Installs the Debian packages the project builds, tests and runs with.
# Idempotent: when every package is already installed it only checks and exits.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config ccache
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  golang-github-gogo-googleapis-dev
  libabsl-dev libhiredis-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  redis-server redis-tools
  clang libclang-rt-14-dev
  tzdata
  libcpp-httplib-dev libsodium-dev libssl-dev
  openssl yamllint docker-compose python3-yaml
  chromium
)
# The dashboard's browser test drives chromium with playwright-core from npm;
# a node and npm already on the PATH (e.g. from NodeSource) are used as they
# are, Debian's packages otherwise.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "bootstrap: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "bootstrap: done" >&2
