#!/usr/bin/env bash
# Checks the deployment files without a cluster or a registry: yamllint,
# docker-compose's own parser, kustomize's parser (kubectl kustomize, offline)
# and a structural check of the Kubernetes manifests (scripts/check_k8s.py).
# Each tool that is absent is skipped with a message; any check that runs and
# fails fails the script. Called by scripts/test.sh.
#
# REFERRALS_CONTAINER_CHECK=1 also builds the image and runs the Compose
# deployment for real (scripts/check_container.sh: needs a Docker daemon;
# makes its own base images where no registry is reachable). Off by default:
# the image builds the whole project again, outside ccache (about 15 minutes
# on 2 cores the first time).
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

if [ "${REFERRALS_CONTAINER_CHECK:-0}" = 1 ]; then
  scripts/check_container.sh
  ran+=("check_container.sh")
else
  skipped+=("image build and Compose run (REFERRALS_CONTAINER_CHECK=1 runs scripts/check_container.sh)")
fi

echo "check_deploy: ran: ${ran[*]:-nothing}"
for s in "${skipped[@]}"; do echo "check_deploy: skipped: $s"; done
