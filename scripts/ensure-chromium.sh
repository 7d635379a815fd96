#!/usr/bin/env bash
# Installs Debian's `chromium` package, which the report test uses to render `nabla report`'s HTML
# headlessly (chromium --headless --dump-dom / --screenshot), unless a chromium is already on PATH
# (or named by $CHROMIUM). Safe to run again. Needs root or sudo for apt-get.
set -euo pipefail

say() { echo "ensure-chromium: $*" >&2; }

for candidate in "${CHROMIUM:-}" chromium chromium-browser; do
    if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1; then
        exit 0
    fi
done

if ! command -v apt-get >/dev/null 2>&1; then
    say "chromium is not installed and there is no apt-get here: install Chromium and put it on PATH (or set CHROMIUM)."
    exit 1
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
        say "chromium is missing and installing it needs root (apt-get install chromium); run as root or install sudo."
        exit 1
    fi
fi

say "installing chromium (apt-get)"
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium >/dev/null

if ! command -v chromium >/dev/null 2>&1; then
    say "apt-get install chromium finished but 'chromium' is still not on PATH."
    exit 1
fi
