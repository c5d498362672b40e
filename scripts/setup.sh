#!/usr/bin/env bash
# Installs what building, running and testing chatkit-gateway needs, from
# Debian bookworm's packages. Idempotent: does nothing when all are present.
set -euo pipefail

packages=(
  g++ cmake ninja-build ccache pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-test1.81-dev
  libssl-dev openssl ca-certificates curl prometheus-cpp-dev libgoogle-perftools-dev
  python3 python3-jwt python3-cryptography python3-yaml
  clang libclang-rt-14-dev libbenchmark-dev
  chromium
  prometheus
)
# The browser test also needs Node.js and npm (present on the build image;
# installed from Debian otherwise).
command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)

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
