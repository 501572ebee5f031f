#!/usr/bin/env bash
# Installs everything and starts the portal: the sandbox cluster on 127.0.0.1:7010 (seeded with the
# demo service's pods), the backend on :7007, the app on http://localhost:3000, and the private-cluster
# agent that serves the same sandbox as the cluster `sandbox-private` (its log: .cache/dev-agent.log).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$KT_ROOT"
bash scripts/setup.sh

node packages/kube-sandbox/bin/kube-sandbox --port 7010 --seed examples/sandbox-seed.yaml \
  --state-dir .sandbox &
sandbox=$!
# The development agent dials the backend (retrying until it is up) with the development token that
# app-config.yaml admits for sandbox-private; it relays to the sandbox only.
mkdir -p .cache
AGENT_TOKEN=ktagent_6ECS7cs0RV8RqLUwvl1W08VROte5q2s9iOMSN2DPTVg \
  node packages/kubernetes-terminal-agent/bin/kubernetes-terminal-agent run \
  --portal-url http://localhost:7007/api/kubernetes-terminal --cluster sandbox-private \
  --api-server 127.0.0.1:7010 --health-port 0 >.cache/dev-agent.log 2>&1 &
agent=$!
trap 'kill $sandbox $agent 2>/dev/null || true' EXIT INT TERM
yarn start "$@"
