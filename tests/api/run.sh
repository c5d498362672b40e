#!/usr/bin/env bash
# Installs ajv, ajv-formats and yaml from npm (once) and validates the real
# gateway's answers against docs/openapi.yaml. Called by ctest with the
# CKG_* variables set (tests/CMakeLists.txt).
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -d node_modules/ajv ] || [ ! -d node_modules/ajv-formats ] || [ ! -d node_modules/yaml ]; then
  npm install --no-package-lock --no-audit --no-fund --silent >/dev/null
fi
exec node openapi_test.mjs
