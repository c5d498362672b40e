#!/usr/bin/env bash
# Installs playwright-core (no browser download: Debian's chromium is used)
# and runs the browser test. Called by ctest with the CKG_* variables set.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -d node_modules/playwright-core ]; then
  npm install --no-package-lock --no-audit --no-fund --silent >/dev/null
fi
exec node browser_test.mjs
