#!/usr/bin/env bash
# The command recorder's tests run busybox ash, the shell of Alpine-based images, beside bash and dash.
set -euo pipefail
if command -v busybox >/dev/null 2>&1; then
  exit 0
fi
echo "setup: installing Debian's busybox for the command recorder's tests"
if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq busybox >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq busybox >/dev/null
fi
command -v busybox
