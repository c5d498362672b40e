#!/usr/bin/env bash
# Installs playwright-core as pinned by package-lock.json (no browser
# download: Debian's chromium is used) and runs the browser test. Called by
# ctest with the CKG_* variables set; the test's own calls to the simulator
# trust the test CA through NODE_EXTRA_CA_CERTS.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -d node_modules/playwright-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --silent >/dev/null
fi
export NODE_EXTRA_CA_CERTS="$CKG_TEST_PKI_DIR/ca.pem"
exec node browser_test.mjs
