#!/usr/bin/env bash
# Installs the schema validator's npm packages (kubernetes-models) when
# missing, then validates deploy/ (ctest: deploy.schemas, deploy.schemas_self_test).
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -d node_modules/kubernetes-models ] || [ ! -d node_modules/@kubernetes-models/prometheus-operator ]; then
  npm install --no-package-lock --no-audit --no-fund --silent >/dev/null
fi
exec node validate.mjs "$@"
