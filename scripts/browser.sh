#!/usr/bin/env bash
# Chromium for the browser tests, from Debian's packages (Playwright's own browser download is not used).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [[ "$(id -u)" != 0 ]]; then
  echo "browser: Chromium is missing; install Debian's 'chromium' package (needs root)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
echo "browser: $(chromium --version) installed" >&2
