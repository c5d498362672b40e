#!/usr/bin/env bash
# Installs, from Debian bookworm's packages, what chatkit-gateway needs:
#   scripts/setup.sh --run   building and running it (scripts/run-dev.sh)
#   scripts/setup.sh         that, plus everything the tests need (scripts/test.sh)
# Idempotent: does nothing when all are present.
set -euo pipefail

# Build the gateway and the upstream simulator, run them, make the dev
# certificate (openssl), the dev token (python3-jwt) and serve examples/web.
run_packages=(
  g++ cmake ninja-build ccache pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev openssl ca-certificates curl prometheus-cpp-dev libgoogle-perftools-dev libhiredis-dev
  python3 python3-jwt
)
# Unit and integration suites, the fuzzer (clang), benchmarks, the browser
# and upstream-contract tests (chromium, Node.js), token fixtures, manifests,
# a real egress proxy (tinyproxy).
test_packages=(
  libboost-test1.81-dev
  python3-cryptography python3-yaml
  clang libclang-rt-14-dev libbenchmark-dev clang-format
  nginx redis-server redis-tools tinyproxy
  chromium
  prometheus
)

packages=("${run_packages[@]}")
if [ "${1:-}" != "--run" ]; then
  packages+=("${test_packages[@]}")
  # Node.js and npm: present on the build image; from Debian otherwise.
  command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "setup: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
