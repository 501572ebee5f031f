#!/usr/bin/env bash
# The browser test checks that a downloaded session recording plays in the real asciinema player.
set -euo pipefail
if command -v asciinema >/dev/null 2>&1; then
  exit 0
fi
echo "setup: installing Debian's asciinema for the recording test"
if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq asciinema >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq asciinema >/dev/null
fi
command -v asciinema
