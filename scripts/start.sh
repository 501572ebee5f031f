#!/usr/bin/env bash
# Installs everything and starts the portal: the sandbox cluster on 127.0.0.1:7010 (seeded with the
# demo service's pods), the backend on :7007 and the app on http://localhost:3000.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$KT_ROOT"
bash scripts/setup.sh

node packages/kube-sandbox/bin/kube-sandbox --port 7010 --seed examples/sandbox-seed.yaml \
  --state-dir .sandbox &
sandbox=$!
trap 'kill $sandbox 2>/dev/null || true' EXIT INT TERM
yarn start "$@"
