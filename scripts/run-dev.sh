#!/usr/bin/env bash
# Sets up, builds (Release) and runs the upstream simulator and the gateway
# on config/dev.json: a dev certificate, dev secrets and a dev HMAC issuer,
# all generated on first run under .dev/ (never committed). Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
CKG_TARGETS="chatkit-gateway chatkit-upstream-simulator" bash scripts/build.sh build/release Release
bin=build/release/bin

bash tools/make-dev-cert.sh .dev/tls >/dev/null
if [ ! -s .dev/env ]; then
  umask 077
  {
    echo "export OPENAI_API_KEY=sk-dev-simulator-$(openssl rand -hex 12)"
    echo "export CHATKIT_GATEWAY_HANDLE_KEY=$(openssl rand -base64 32)"
    echo "export CHATKIT_GATEWAY_DEV_HS256_SECRET=$(openssl rand -hex 32)"
  } > .dev/env
fi
# shellcheck disable=SC1091
source .dev/env

"$bin/chatkit-upstream-simulator" --listen 127.0.0.1:8787 \
  --cert .dev/tls/server.pem --key .dev/tls/server.key > .dev/simulator.log 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  curl -s --cacert .dev/tls/ca.pem -o /dev/null https://127.0.0.1:8787/__sim/requests && break
  sleep 0.1
done

token=$(/usr/bin/python3 tools/make-dev-token.py --ttl 3600)
cat <<TXT

chatkit-gateway (dev) on https://127.0.0.1:8443, admin on http://127.0.0.1:9090,
upstream simulator on https://127.0.0.1:8787 (log: .dev/simulator.log).

Next, in another shell at $(pwd):

  curl -s http://127.0.0.1:9090/readyz

  # Mint a ChatKit session as the dev user (this token is valid for an hour):
  curl -s --cacert .dev/tls/ca.pem -X POST https://127.0.0.1:8443/v1/chatkit/sessions \\
    -H "Authorization: Bearer $token" -H "Content-Type: application/json" \\
    -d '{"state_variables": {"locale": "en"}}'

  # A fresh token any time:  source .dev/env && /usr/bin/python3 tools/make-dev-token.py

Ctrl-C stops the gateway and the simulator.
TXT
"$bin/chatkit-gateway" --config config/dev.json
