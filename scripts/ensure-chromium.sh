#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (a test tool's own browser download cannot work here).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
echo "setup: installing Debian's chromium for the browser tests"
if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
command -v chromium
