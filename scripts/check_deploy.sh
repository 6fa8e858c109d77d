#!/usr/bin/env bash
# Checks the deployment files without a cluster or a registry: yamllint,
# docker-compose's own parser, kustomize's parser (kubectl kustomize, offline)
# and a structural check of the Kubernetes manifests (scripts/check_k8s.py).
# Each tool that is absent is skipped with a message; any check that runs and
# fails fails the script. Called by scripts/test.sh.
#
# REFERRALS_DOCKER_BUILD=1 also builds deploy/docker/Dockerfile (needs the
# base images, so network access to a registry).
set -euo pipefail
cd "$(dirname "$0")/.."

ran=()
skipped=()

if command -v yamllint >/dev/null; then
  yamllint --strict -c .yamllint deploy/ .yamllint
  ran+=(yamllint)
else
  skipped+=("yamllint (not installed)")
fi

if command -v docker-compose >/dev/null; then
  docker-compose -f deploy/compose.yaml config -q
  ran+=("docker-compose config")
elif command -v docker >/dev/null && docker compose version >/dev/null 2>&1; then
  docker compose -f deploy/compose.yaml config -q
  ran+=("docker compose config")
else
  skipped+=("compose config (no docker-compose)")
fi

if command -v kubectl >/dev/null; then
  # Builds the kustomization offline: every manifest is parsed into objects.
  kubectl kustomize deploy/k8s >/dev/null
  ran+=("kubectl kustomize")
else
  skipped+=("kubectl kustomize (no kubectl)")
fi

if python3 -c 'import yaml' 2>/dev/null; then
  python3 scripts/check_k8s.py deploy/k8s
  ran+=("check_k8s.py")
else
  skipped+=("check_k8s.py (no python3-yaml)")
fi

if [ "${REFERRALS_DOCKER_BUILD:-0}" = 1 ]; then
  docker build -f deploy/docker/Dockerfile -t referrals:dev .
  ran+=("docker build")
else
  skipped+=("docker build (set REFERRALS_DOCKER_BUILD=1; needs registry access)")
fi

echo "check_deploy: ran: ${ran[*]:-nothing}"
for s in "${skipped[@]}"; do echo "check_deploy: skipped: $s"; done
