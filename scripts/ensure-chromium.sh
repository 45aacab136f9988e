#!/usr/bin/env bash
# Installs Debian's chromium for the dashboard's browser test (test/integration/pool.test.ts drives it
# with playwright-core; `npx playwright install` downloads a browser build of its own, which we do not
# rely on). Only when /usr/bin/chromium is missing, apt-get exists and we are root; otherwise it says
# why and what to do, and the browser test skips with the same reason.
set -euo pipefail
chromium="${SEQPOOL_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "note: $chromium is missing and apt-get is not available: the dashboard browser test will be skipped (install chromium and re-run to include it)" >&2
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "note: $chromium is missing and installing it needs root: run 'sudo apt-get update && sudo apt-get install -y chromium' (the dashboard browser test fails until then)" >&2
  exit 0
fi
echo "installing Debian's chromium for the dashboard browser test (apt-get)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
"$chromium" --version
