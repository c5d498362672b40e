#!/usr/bin/env bash
# The README's run command (scripts/run-dev.sh) as a user meets it, with the
# binaries ctest built (CKG_DEV_BIN: no setup, no build), in a scratch dev
# folder on free ports: a taken port is named and nothing starts; otherwise
# it prints "ready" only once /readyz is 200, prints a minted session (the
# client secret shortened) and the example page's URL, serves that page with
# a dev-config.json the gateway's CORS allows, and the refresh command it
# prints really cancels the first session upstream; --host listens on another
# address with a certificate that covers it; SIGTERM stops every process.
set -uo pipefail  # no -e: every step is a check that reports itself
src=${CKG_SOURCE_DIR:?}
bin=$(dirname "${CKG_GATEWAY_BINARY:?}")
scratch=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "${CKG_KEEP_SCRATCH:-}" ] && echo "kept $scratch" || rm -rf "$scratch"
}
trap cleanup EXIT
passed=0
check() {  # CONDITION-STATUS WHAT
  if [ "$1" = 0 ]; then passed=$((passed + 1)); echo "ok   $2"; else echo "FAIL $2"; exit 1; fi
}
free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
listening() { timeout 1 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }
not() { if "$@"; then return 1; else return 0; fi; }
equal() { [ "$1" = "$2" ]; }

# Starts run-dev in the background with output in $scratch/$1.out; waits
# until it says ready or stops. Extra arguments go to run-dev.
run_dev() {
  local name=$1; shift
  CKG_DEV_DIR="$scratch/$name" CKG_DEV_PORTS="$ports" CKG_DEV_BIN="$bin" \
    bash "$src/scripts/run-dev.sh" "$@" > "$scratch/$name.out" 2>&1 &
  run=$!
  pids+=("$run")
  for _ in $(seq 1 600); do
    grep -q "is ready" "$scratch/$name.out" && return 0
    kill -0 "$run" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

cd "$src"
read -r public admin simport page <<<"$(free_port) $(free_port) $(free_port) $(free_port)"
ports="$public $admin $simport $page"

# A taken port: named, exit status 1, before anything starts.
/usr/bin/python3 -c "import socket, time; s = socket.socket(); s.bind(('127.0.0.1', $simport)); s.listen(); time.sleep(30)" &
holder=$!
pids+=("$holder")
for _ in $(seq 1 50); do listening 127.0.0.1 "$simport" && break; sleep 0.1; done
CKG_DEV_DIR="$scratch/taken" CKG_DEV_PORTS="$ports" CKG_DEV_BIN="$bin" bash scripts/run-dev.sh > "$scratch/taken.out" 2>&1
status=$?
grep -q "port $simport on 127.0.0.1 (the upstream simulator) is already in use" "$scratch/taken.out"
check $? "a taken port is named ($(head -c 120 "$scratch/taken.out"))"
equal "$status" 1; check $? "and the run command exits 1 (got $status)"
not listening 127.0.0.1 "$public"; check $? "nothing was started"
kill "$holder"; wait "$holder" 2>/dev/null || true

# The run itself.
run_dev main; check $? "the run command says it is ready"
out=$scratch/main.out
dev=$scratch/main
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$admin/readyz")
equal "$code" 200; check $? "/readyz is 200 once it says so"
grep -q 'Minted a session as dev-user' "$out" && grep -q '"client_secret": "ek_[A-Za-z0-9]\{5\}…"' "$out"
check $? "it prints a minted session with the client secret shortened"
not grep -Eq 'ek_[A-Za-z0-9]{12,}' "$out"; check $? "no whole client secret in its output"
grep -q "https://127.0.0.1:$page/" "$out"; check $? "it prints the example page's URL"
for topic in '"replaces":' "-X DELETE https://127.0.0.1:$public/v1/chatkit/sessions/" '/v1/chatkit/threads' '/metrics' '/__sim/faults/create_session'; do
  grep -qF -- "$topic" "$out"; check $? "it shows how to use $topic"
done
curl -sf --cacert "$dev/tls/ca.pem" "https://127.0.0.1:$page/" | grep 'ChatKit through chatkit-gateway' >/dev/null
check $? "the page is served over HTTPS with the dev certificate"
gateway=$(curl -sf --cacert "$dev/tls/ca.pem" "https://127.0.0.1:$page/dev-config.json" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["gateway"])')
equal "$gateway" "https://127.0.0.1:$public"; check $? "the page's dev-config.json names the HTTPS gateway ($gateway)"
allow=$(curl -s --cacert "$dev/tls/ca.pem" -o /dev/null -D - -X OPTIONS "https://127.0.0.1:$public/v1/chatkit/sessions" \
  -H "Origin: https://127.0.0.1:$page" -H "Access-Control-Request-Method: POST" | tr -d '\r' | grep -i '^access-control-allow-origin:' || true)
equal "${allow#*: }" "https://127.0.0.1:$page"; check $? "the gateway allows the page's origin ($allow)"

# The printed refresh command, run as printed: the first session is cancelled upstream.
handle=$(grep -o '"replaces": "[^"]*"' "$out" | head -1 | cut -d'"' -f4)
TOKEN=$(. "$dev/env" && /usr/bin/python3 tools/make-dev-token.py)
code=$(curl -s -o "$scratch/refresh.json" -w '%{http_code}' --cacert "$dev/tls/ca.pem" -X POST "https://127.0.0.1:$public/v1/chatkit/sessions" \
  -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d "{\"replaces\": \"$handle\"}")
equal "$code" 200; check $? "the printed refresh command mints ($code)"
cancelled=0
for _ in $(seq 1 30); do
  cancelled=$(curl -s --cacert "$dev/tls/ca.pem" "https://127.0.0.1:$simport/__sim/sessions" |
    /usr/bin/python3 -c 'import json,sys; print(sum(s["status"] == "cancelled" for s in json.load(sys.stdin)["data"]))')
  [ "$cancelled" = 1 ] && break
  sleep 0.1
done
equal "$cancelled" 1; check $? "and the printed session is cancelled upstream"

# SIGTERM (Ctrl-C in a terminal) stops all three processes.
kill -TERM "$run"; wait "$run" 2>/dev/null || true
sleep 0.5
for p in "$public" "$simport" "$page"; do
  not listening 127.0.0.1 "$p"; check $? "port $p is free again after it stops"
done

# --host: another address, a certificate that covers it, its page origin allowed.
run_dev host --host 127.0.0.2; check $? "--host 127.0.0.2 is ready"
openssl x509 -in "$scratch/host/tls/server.pem" -noout -ext subjectAltName | grep 'IP Address:127.0.0.2' >/dev/null
check $? "the dev certificate covers 127.0.0.2"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$scratch/host/tls/ca.pem" "https://127.0.0.2:$page/")
equal "$code" 200; check $? "the page is served on 127.0.0.2"
allow=$(curl -s --cacert "$scratch/host/tls/ca.pem" -o /dev/null -D - -X OPTIONS "https://127.0.0.2:$public/v1/chatkit/sessions" \
  -H "Origin: https://127.0.0.2:$page" -H "Access-Control-Request-Method: POST" | tr -d '\r' | grep -i '^access-control-allow-origin:' || true)
equal "${allow#*: }" "https://127.0.0.2:$page"; check $? "the gateway on 127.0.0.2 allows that page's origin"
kill -TERM "$run"; wait "$run" 2>/dev/null || true
echo "run command: $passed passed, 0 failed"
