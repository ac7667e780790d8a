#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through playwright-core (no browser download).
# Installs it with apt when missing; set CHROMIUM_PATH to use another Chromium build.
set -euo pipefail
path="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$path" ]; then exit 0; fi
echo "Chromium not found at $path: installing Debian's chromium for the browser tests" >&2
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
[ -x "$path" ] || { echo "chromium still missing at $path" >&2; exit 1; }
