#!/usr/bin/env bash
# Runs one Node test of this folder (contract_test.mjs or openai_sdk_test.mjs)
# with the test CA trusted (NODE_EXTRA_CA_CERTS). `run.sh --install` installs
# the pinned packages of package-lock.json (ctest runs it once, first).
set -euo pipefail
cd "$(dirname "$0")"
if [ "${1:-}" = "--install" ]; then
  [ -d node_modules/openai ] && ! [ package-lock.json -nt node_modules/.package-lock.json ] && exit 0
  exec npm ci --no-audit --no-fund --silent
fi
export NODE_EXTRA_CA_CERTS="$CKG_TEST_PKI_DIR/ca.pem"
exec node "$1"
