#!/usr/bin/env bash
# Installs everything the project needs from the npm registry: Node.js 22 and yarn 4 into .tools/,
# then the workspace's dependencies. Safe to run again: each step is skipped when already done.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$KT_ROOT"

if [ "$(node --version 2>/dev/null)" != "v$KT_NODE_VERSION" ]; then
  echo "setup: fetching Node.js $KT_NODE_VERSION into .tools/"
  rm -rf "$KT_NODE_HOME"
  # The machine's npm (any version) installs the `node` package, which ships the binary and headers.
  PATH="${PATH#"$KT_NODE_HOME/bin:"}" npm install --global --prefix "$KT_NODE_HOME" --no-audit --no-fund \
    "node@$KT_NODE_VERSION" >/dev/null
fi
if [ "$(yarn --version 2>/dev/null)" != "$KT_YARN_VERSION" ]; then
  echo "setup: fetching yarn $KT_YARN_VERSION into .tools/"
  rm -rf "$KT_YARN_HOME"
  npm install --global --prefix "$KT_YARN_HOME" --no-audit --no-fund "@yarnpkg/cli-dist@$KT_YARN_VERSION" >/dev/null
fi
echo "setup: node $(node --version), yarn $(yarn --version)"

stamp="node_modules/.kt-install-stamp"
want="$(cat yarn.lock package.json packages/*/package.json plugins/*/package.json 2>/dev/null | sha1sum | cut -c1-40)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: yarn install"
  if [ -n "${CI:-}" ]; then
    yarn install --immutable
  else
    yarn install
  fi
  cat yarn.lock package.json packages/*/package.json plugins/*/package.json | sha1sum | cut -c1-40 > "$stamp"
fi
