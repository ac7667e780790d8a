#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through playwright-core (no browser download).
# Installs it with apt when missing; set CHROMIUM_PATH to use another Chromium build.
set -euo pipefail
# A Korean font (fonts-nanum) too, so screenshots of the Korean UI show Hangul rather than boxes.
path="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$path" ] && fc-list 2>/dev/null | grep -qi nanum; then exit 0; fi
if [ -x "$path" ] && ! command -v apt-get >/dev/null; then exit 0; fi
echo "installing Debian's chromium and fonts-nanum for the browser tests" >&2
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-nanum >/dev/null
[ -x "$path" ] || { echo "chromium still missing at $path" >&2; exit 1; }
