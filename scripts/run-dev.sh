#!/usr/bin/env bash
# The README's run command. Checks its ports, installs what running needs
# (scripts/setup.sh --run), builds the gateway and the upstream simulator
# (Release, output in .dev/build.log), starts the simulator, the gateway on
# config/dev.json and a static HTTPS server for examples/web, waits until the
# gateway is ready, mints a session and prints what to try next. Dev
# certificate, secrets and a dev token for the page are made on first run
# under .dev/ (never committed). Ctrl-C stops everything it started.
#
# Usage: scripts/run-dev.sh [--lan | --host ADDR]
#   --lan        listen on this machine's LAN address (phones, emulators)
#   --host ADDR  listen on ADDR (the dev certificate is re-issued to cover it)
# For tests (tests/dev/): CKG_DEV_DIR (instead of .dev), CKG_DEV_PORTS
# ("public admin simulator page", default "8443 9090 8787 8000"), CKG_DEV_BIN
# (prebuilt binaries: no setup, no build).
set -euo pipefail
cd "$(dirname "$0")/.."
dev=${CKG_DEV_DIR:-.dev}
read -r public_port admin_port sim_port page_port <<<"${CKG_DEV_PORTS:-8443 9090 8787 8000}"

die() { echo "run-dev: $*" >&2; exit 1; }

lan_address() {
  # A UDP "connect" sends nothing; it only picks the outgoing interface.
  /usr/bin/python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(("192.0.2.1", 9)); print(s.getsockname()[0])' 2>/dev/null ||
    die "no LAN address found (no network route); name one with --host ADDR"
}

host=127.0.0.1
while [ $# -gt 0 ]; do
  case $1 in
    --lan) host=$(lan_address) ;;
    --host) [ $# -ge 2 ] || die "--host needs an address"; host=$2; shift ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
  shift
done
[ "$host" != 0.0.0.0 ] || die "--host needs one address a certificate can name, not 0.0.0.0 (try --lan)"

# 1. Ports, before anything slow: say plainly which one is taken, and by what.
port_taken() {  # HOST PORT: something accepts connections there
  timeout 1 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}
check_port() {  # HOST PORT WHAT
  port_taken "$1" "$2" || return 0
  local who=""
  command -v ss >/dev/null && who=$(ss -Hltnp "sport = :$2" 2>/dev/null | grep -o 'users:(([^)]*' | head -1 | sed 's/users:((//')
  die "port $2 on $1 ($3) is already in use${who:+ by $who} — stop it (a previous run-dev?) and try again"
}
check_port "$host" "$public_port" "the gateway's public API"
check_port 127.0.0.1 "$admin_port" "the gateway's admin listener"
check_port 127.0.0.1 "$sim_port" "the upstream simulator"
check_port "$host" "$page_port" "the example page"

# 2. Packages and the build: one line of progress, the rest in a log.
mkdir -p "$dev"
if [ -n "${CKG_DEV_BIN:-}" ]; then
  bin=$CKG_DEV_BIN
else
  bash scripts/setup.sh --run
  build_log=$dev/build.log
  started=$SECONDS
  CKG_TARGETS="chatkit-gateway chatkit-upstream-simulator" \
    bash scripts/build.sh build/dev Release -DCKG_BUILD_TESTS=OFF >"$build_log" 2>&1 &
  build=$!
  while kill -0 $build 2>/dev/null; do
    step=$(grep -o '^\[[0-9]*/[0-9]*\]' "$build_log" | tail -1 || true)
    [ -t 1 ] && printf '\rbuilding chatkit-gateway (Release) %s ' "$step"
    sleep 1
  done
  wait $build || { echo; tail -n 30 "$build_log"; die "the build failed (full output: $build_log)"; }
  [ -t 1 ] && printf '\r'
  echo "built chatkit-gateway and the simulator in $((SECONDS - started)) s (output: $build_log)"
  bin=build/dev/bin
fi

# 3. Dev certificate (also for 10.0.2.2, the Android emulator's name for this
#    machine, and the --host address), secrets, configuration.
extra=(10.0.2.2)
[ "$host" = 127.0.0.1 ] || extra+=("$host")
bash tools/make-dev-cert.sh "$dev/tls" "${extra[@]}" >/dev/null
umask 077
if [ ! -s "$dev/env" ]; then
  {
    echo "export OPENAI_API_KEY=sk-dev-simulator-$(openssl rand -hex 12)"
    echo "export CHATKIT_GATEWAY_HANDLE_KEY=$(openssl rand -base64 32)"
    echo "export CHATKIT_GATEWAY_DEV_HS256_SECRET=$(openssl rand -hex 32)"
  } > "$dev/env"
fi
# shellcheck disable=SC1090
source "$dev/env"
url_host=$host
[[ $host == *:* ]] && url_host="[$host]"
gw="https://$url_host:$public_port"
page="https://$url_host:$page_port/"
sim="https://127.0.0.1:$sim_port"
admin="http://127.0.0.1:$admin_port"
config=config/dev.json
if [ "$host $public_port $admin_port $sim_port $page_port $dev" != "127.0.0.1 8443 9090 8787 8000 .dev" ]; then
  # config/dev.json with this run's addresses, ports and files.
  config=$dev/gateway.json
  /usr/bin/python3 - "$url_host" "$public_port" "$admin" "$sim" "$page" "$dev" > "$config" <<'PY'
import json, sys
host, public, admin, sim, page, dev = sys.argv[1:]
config = json.load(open("config/dev.json"))
config["server"]["listen"] = f"{host}:{public}"
config["server"]["tls"] = {"cert_file": f"{dev}/tls/server.pem", "key_file": f"{dev}/tls/server.key"}
config["admin"]["listen"] = admin.removeprefix("http://")
config["upstream"].update(base_url=f"{sim}/v1", ca_file=f"{dev}/tls/ca.pem")
origins = config["cors"]["allowed_origins"]
origins += [o.rsplit(":", 1)[0] + ":" + page.rstrip("/").rsplit(":", 1)[1] for o in origins]
origins.append(page.rstrip("/"))
config["cors"]["allowed_origins"] = sorted(set(origins))
print(json.dumps(config, indent=2))
PY
fi
# The page's defaults: the gateway's URL and a 12-hour token for dev-user.
token=$(/usr/bin/python3 tools/make-dev-token.py --ttl 43200)
printf '{"gateway": "%s", "token": "%s", "user": "dev-user"}\n' "$gw" "$token" > "$dev/page-config.json"

# 4. Start the three processes; stop them all on exit.
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
trap 'exit 130' INT TERM
"$bin/chatkit-upstream-simulator" --listen "127.0.0.1:$sim_port" \
  --cert "$dev/tls/server.pem" --key "$dev/tls/server.key" > "$dev/simulator.log" 2>&1 &
pids+=($!)
/usr/bin/python3 tools/serve-example-web.py --listen "$url_host:$page_port" --cert "$dev/tls/server.pem" \
  --key "$dev/tls/server.key" --page-config "$dev/page-config.json" > "$dev/page.log" 2>&1 &
pids+=($!)
"$bin/chatkit-gateway" --config "$config" > "$dev/gateway.log" 2>&1 &
gateway=$!
pids+=($gateway)

# 5. Ready means /readyz says so (and the others answer), not "started".
names=(simulator page gateway)
for _ in $(seq 1 300); do
  for i in "${!pids[@]}"; do
    kill -0 "${pids[$i]}" 2>/dev/null && continue
    tail -n 5 "$dev/${names[$i]}.log" >&2
    die "the ${names[$i]} stopped at start (log: $dev/${names[$i]}.log)"
  done
  if curl -sf -o /dev/null "$admin/readyz" &&
     curl -sf -o /dev/null --cacert "$dev/tls/ca.pem" "$sim/__sim/requests" &&
     curl -sf -o /dev/null --cacert "$dev/tls/ca.pem" "$page"; then
    ready=1
    break
  fi
  sleep 0.1
done
[ "${ready:-}" = 1 ] || die "not ready after 30 s (logs: $dev/gateway.log, $dev/simulator.log, $dev/page.log)"

# 6. One mint as dev-user, shown without its secret in full.
mint_token=$(/usr/bin/python3 tools/make-dev-token.py --ttl 3600)
minted=$(curl -s --cacert "$dev/tls/ca.pem" -X POST "$gw/v1/chatkit/sessions" \
  -H "Authorization: Bearer $mint_token" -H "Content-Type: application/json" \
  -d '{"state_variables": {"locale": "en"}}')
handle=$(/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin).get("session_handle", ""))' <<<"$minted" 2>/dev/null || true)
[ -n "$handle" ] || die "the first mint failed: $minted"
shown=$(/usr/bin/python3 -c '
import json, sys, time
s = json.load(sys.stdin)
s["client_secret"] = s["client_secret"][:8] + "…"
left = s["expires_at"] - int(time.time())
print(json.dumps(s, ensure_ascii=False), f"(expires in {left} s)")' <<<"$minted")

ca="--cacert $dev/tls/ca.pem"
cat <<TXT

chatkit-gateway (dev) is ready.
  API        $gw      log: $dev/gateway.log
  admin      $admin       /healthz /readyz /metrics
  simulator  $sim      a stand-in for the ChatKit API; /__sim/ steers it
  example    $page     open it in a browser (trust the dev CA first, below)

Minted a session as dev-user:
  $shown

Try it from another shell in $(pwd):

  export TOKEN=\$(. $dev/env && /usr/bin/python3 tools/make-dev-token.py)   # dev-user, 1 hour; --sub NAME for another
  # mint
  curl -s $ca -X POST $gw/v1/chatkit/sessions -H "Authorization: Bearer \$TOKEN" \\
    -H "Content-Type: application/json" -d '{"state_variables": {"locale": "fr"}}'
  # refresh: mint again with the previous handle; the old session is cancelled upstream
  curl -s $ca -X POST $gw/v1/chatkit/sessions -H "Authorization: Bearer \$TOKEN" \\
    -H "Content-Type: application/json" -d '{"replaces": "$handle"}'
  # cancel (sign-out)
  curl -s $ca -X DELETE $gw/v1/chatkit/sessions/<session_handle> -H "Authorization: Bearer \$TOKEN"
  # threads: list, one thread's items, delete
  curl -s $ca "$gw/v1/chatkit/threads?limit=5" -H "Authorization: Bearer \$TOKEN"
  curl -s $ca $gw/v1/chatkit/threads/cthr_000001/items -H "Authorization: Bearer \$TOKEN"
  curl -s $ca -X DELETE $gw/v1/chatkit/threads/cthr_000001 -H "Authorization: Bearer \$TOKEN"
  # metrics
  curl -s $admin/metrics | grep -v '^#' | grep requests_total
  # simulator: fail the next mint with 503 (modes: status reset hang malformed delay unscoped;
  # endpoints: create_session cancel_session list_threads retrieve_thread list_items delete_thread, or *)
  curl -s $ca -X PUT $sim/__sim/faults/create_session -d '{"mode": "status", "status": 503, "retry_after": 2, "count": 1}'
  curl -s $ca -X DELETE $sim/__sim/faults          # clear every fault
  curl -s $ca $sim/__sim/requests                 # what the gateway sent upstream
  curl -s $ca $sim/__sim/sessions                 # sessions and whether they were cancelled

Trust the dev CA ($dev/tls/ca.pem) where you open the page or call the API:
  Chromium/Chrome on Linux: certutil -d sql:\$HOME/.pki/nssdb -A -t C,, -n chatkit-gateway-dev -i $dev/tls/ca.pem
  macOS: security add-trusted-cert -r trustRoot -k ~/Library/Keychains/login.keychain-db $dev/tls/ca.pem
  Android (emulator or phone): install ca.pem under Settings > Security > Encryption & credentials >
    Install a certificate > CA certificate, and allow user CAs in the app's debug network_security_config;
    the emulator reaches this machine as https://10.0.2.2:$public_port (covered by the certificate).
  iOS: send ca.pem to the device, install the profile, then enable it under Settings > General >
    About > Certificate Trust Settings. Node: NODE_EXTRA_CA_CERTS=$dev/tls/ca.pem
TXT
[ "$host" = 127.0.0.1 ] && echo "  Phones on your network: run with --lan (listens on this machine's LAN address)."
echo
echo "Ctrl-C stops the gateway, the simulator and the page server."
wait "$gateway" || die "the gateway stopped (log: $dev/gateway.log)"
