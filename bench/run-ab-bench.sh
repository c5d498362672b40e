#!/usr/bin/env bash
# A/B CPU benchmark: this checkout's gateway against the one of an earlier
# commit (default c5597a4, the last commit before the transport rework of
# docs/architecture.md, "net/"), and nginx as a TLS reverse proxy doing no
# work, in alternating rounds against the same simulator, so that each
# round sees the machine in the same state (this VM's speed drifts from
# minute to minute). Prints and writes docs/benchmarks-ab.md: gateway CPU
# per minted session of each, per round and median, and the ratio; then the
# instructions each executes per mint under callgrind (counters zeroed after
# a warm-up, 8 connections for 20 s): a figure that does not drift; and
# what one system call costs on this machine (bench/syscall_bench.cpp): the
# upstream pool's check before each reuse is one such call per mint.
#
#   bash bench/run-ab-bench.sh [REV]        # ROUNDS (3), BENCH_SECONDS (15)
#   bash bench/run-ab-bench.sh REV REV2     # REV2's gateway instead of this
#                                           # checkout's: one change alone
#
# An earlier gateway is built from `git archive REV` into build/ab-REV
# (Release, the gateway target only); BASELINE_BIN skips that build for REV.
# With REV2 the figures go to docs/benchmarks-ab-REV-REV2.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
rev=${1:-c5597a4}
rev2=${2:-}
rounds=${ROUNDS:-3}
duration=${BENCH_SECONDS:-15}
bash scripts/setup.sh
command -v wrk >/dev/null && command -v valgrind >/dev/null || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk valgrind >/dev/null; }
systemctl disable --now nginx >/dev/null 2>&1 || true; pkill -x nginx || true
CKG_TARGETS="chatkit-gateway chatkit-upstream-simulator" bash scripts/build.sh build/release Release >/dev/null
gateway_at() {  # $1: revision; prints the path of its Release gateway, built once
  local src=$PWD/build/ab-$1
  if [ ! -x "$src/build/bin/chatkit-gateway" ]; then
    rm -rf "$src"; mkdir -p "$src"
    git archive "$1" | tar -x -C "$src"
    CKG_TARGETS=chatkit-gateway bash "$src/scripts/build.sh" "$src/build" Release >/dev/null
  fi
  echo "$src/build/bin/chatkit-gateway"
}
baseline=${BASELINE_BIN:-$(gateway_at "$rev")}
if [ -n "$rev2" ]; then
  current=$(gateway_at "$rev2"); label=$rev2; out=docs/benchmarks-ab-$rev-$rev2.md
else
  current=$PWD/build/release/bin/chatkit-gateway; label="this checkout"; out=docs/benchmarks-ab.md
fi
sim_bin=$PWD/build/release/bin/chatkit-upstream-simulator
work=$PWD/build/bench-ab
prepare_work "$work"

# Only keys both versions know.
cat > "$work/gateway.json" <<JSON
{"server": {"listen": "127.0.0.1:18443", "threads": 2, "drain_seconds": 0,
            "tls": {"cert_file": "$work/pki/server.pem", "key_file": "$work/pki/server.key"}},
 "admin": {"listen": "127.0.0.1:19090"},
 "upstream": {"base_url": "https://127.0.0.1:18787/v1", "ca_file": "$work/pki/ca.pem",
              "max_connections": 64, "request_timeout_ms": 10000},
 "auth": {"issuers": [{"issuer": "https://rsa.test/", "jwks_file": "$work/tokens/jwks_rsa.json", "algorithms": ["RS256"]}]},
 "sessions": {"workflows": {"default": {"id": "wf_bench"}}},
 "rate_limit": {"sessions_per_minute": 1000000, "burst": 1000000}}
JSON
write_nginx_conf "$work"

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
requests() { grep -oE "[0-9]+ requests in" "$1" | awk '{print $1}'; }
"$sim_bin" --listen 127.0.0.1:18787 --cert "$work/pki/server.pem" --key "$work/pki/server.key" \
  --latency-ms 0 --threads 1 --quiet > "$work/simulator.log" 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null || true; nginx -c "$work/nginx.conf" -s stop 2>/dev/null || true' EXIT
sleep 0.5
results=""
gateway_round() {  # $1: name, $2: binary; appends "name:cpu_ticks:requests"
  "$2" --config "$work/gateway.json" > "$work/$1.log" 2>&1 &
  local gw=$!
  for _ in $(seq 1 100); do curl -sf http://127.0.0.1:19090/readyz >/dev/null && break; sleep 0.1; done
  wrk -t1 -c64 -d2s -s bench/lua/mint.lua https://127.0.0.1:18443/v1/chatkit/sessions >/dev/null 2>&1  # warm-up
  local before; before=$(ticks "$gw")
  wrk -t1 -c64 -d"${duration}s" -s bench/lua/mint.lua https://127.0.0.1:18443/v1/chatkit/sessions > "$work/$1.txt" 2>&1
  local after; after=$(ticks "$gw")
  kill "$gw"; wait "$gw" 2>/dev/null || true
  results="$results $1:$((after - before)):$(requests "$work/$1.txt")"
}
nginx_round() {
  nginx -c "$work/nginx.conf"; sleep 0.5
  wrk -t1 -c64 -d2s -s bench/lua/direct.lua https://127.0.0.1:18444/v1/chatkit/sessions >/dev/null 2>&1
  local t0=0 t1=0 p
  for p in $(pgrep -f "nginx: worker"); do t0=$((t0 + $(ticks "$p"))); done
  wrk -t1 -c64 -d"${duration}s" -s bench/lua/direct.lua https://127.0.0.1:18444/v1/chatkit/sessions > "$work/$1.txt" 2>&1
  for p in $(pgrep -f "nginx: worker"); do t1=$((t1 + $(ticks "$p"))); done
  nginx -c "$work/nginx.conf" -s stop; sleep 0.5
  results="$results $1:$((t1 - t0)):$(requests "$work/$1.txt")"
}
for i in $(seq 1 "$rounds"); do
  gateway_round "baseline_$i" "$baseline"
  gateway_round "current_$i" "$current"
  nginx_round "nginx_$i"
done
instructions=""
instructions_round() {  # $1: name, $2: binary; appends "name:instructions:requests"
  valgrind --tool=callgrind --callgrind-out-file="$work/$1.callgrind" "$2" --config "$work/gateway.json" \
    > "$work/$1.log" 2>&1 &
  local gw=$!
  for _ in $(seq 1 600); do curl -sf http://127.0.0.1:19090/readyz >/dev/null && break; sleep 0.2; done
  wrk -t1 -c8 -d3s -s bench/lua/mint.lua https://127.0.0.1:18443/v1/chatkit/sessions >/dev/null 2>&1
  callgrind_control -z "$gw" >/dev/null
  wrk -t1 -c8 -d20s -s bench/lua/mint.lua https://127.0.0.1:18443/v1/chatkit/sessions > "$work/$1.txt" 2>&1
  callgrind_control -d "$gw" >/dev/null; sleep 1
  kill "$gw"; wait "$gw" 2>/dev/null || true
  local ir; ir=$(callgrind_annotate "$work/$1.callgrind.1" | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
  instructions="$instructions $1:$ir:$(requests "$work/$1.txt")"
}
instructions_round baseline "$baseline"
instructions_round current "$current"
trap - EXIT
kill $sim 2>/dev/null || true
# What a system call costs here, and the pool's check before each reuse.
CKG_TARGETS=syscall_bench bash scripts/build.sh build/bench Release -DCKG_BENCH=ON -DCKG_BUILD_TESTS=OFF >/dev/null
build/bench/bin/syscall_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  --benchmark_out="$work/syscall.json" --benchmark_out_format=json >/dev/null

/usr/bin/python3 - "$results" "$(getconf CLK_TCK)" "$rev" "$(git rev-parse --short HEAD)" "$duration" "$instructions" "$rev2" "$out" "$work/syscall.json" <<'PY'
import json, statistics, subprocess, sys
results, hz, rev, head, duration = sys.argv[1].split(), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
rev2, out_file = sys.argv[7], sys.argv[8]
syscall_ns = {b["run_name"]: b["real_time"] * {"ns": 1, "us": 1e3, "ms": 1e6}[b["time_unit"]]
              for b in json.load(open(sys.argv[9]))["benchmarks"] if b.get("aggregate_name") == "median"}
ir = {name: int(n) / int(m) for name, n, m in (r.split(":") for r in sys.argv[6].split())}
us = {}
for r in results:
    name, t, n = r.split(":")
    us[name] = int(t) / hz / int(n) * 1e6
rounds = sorted({int(k.split("_")[1]) for k in us})
rows = [(i, us[f"baseline_{i}"], us[f"current_{i}"], us[f"nginx_{i}"]) for i in rounds]
b, c, n = (statistics.median(r[k] for r in rows) for k in (1, 2, 3))
ratio = statistics.median(r[2] / r[1] for r in rows)
cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
after = rev2 or "this checkout"
command = f"bash bench/run-ab-bench.sh {rev}" + (f" {rev2}" if rev2 else "")
against = f"{rev2} against {rev}" if rev2 else f"this checkout {head} against {rev}"
out = ["# A/B: CPU per mint against an earlier commit", "",
       f"Measured on {cpu}, 2 cores, by `{command}` ({against};",
       f"{len(rows)} alternating rounds of {duration} s, 64 keep-alive connections, RS256, same simulator; nginx as a TLS",
       "reverse proxy doing no work in each round).", "",
       f"| round | gateway at {rev} µs/mint | {after} µs/mint | this ÷ that | nginx µs/request |",
       "|---|---|---|---|---|"]
out += [f"| {i} | {bb:.1f} | {cc:.1f} | {cc / bb:.2f} | {nn:.1f} |" for i, bb, cc, nn in rows]
out += ["", f"Medians: {b:.1f} µs at {rev}, **{c:.1f} µs** at {after}, ratio of the rounds **{ratio:.2f}** "
        f"(target: at most 1.05); nginx {n:.1f} µs, {after} ÷ nginx {c / n:.2f}.", "",
        "Instructions per mint (valgrind's callgrind, counters zeroed after a 3 s warm-up, then 8 connections "
        "for 20 s; every thread of the process): "
        f"{ir['baseline'] / 1000:.1f}k at {rev}, **{ir['current'] / 1000:.1f}k** at {after}, "
        f"ratio **{ir['current'] / ir['baseline']:.3f}**.", "",
        "On this machine a system call costs "
        f"{syscall_ns['getppid_call'] / 1000:.2f} µs (getppid), and the check the upstream pool makes before each "
        f"reuse (a non-blocking recv with MSG_PEEK on an idle connection) {syscall_ns['peek_idle_socket'] / 1000:.2f} µs, "
        "in a loop that keeps everything in cache (bench/syscall_bench.cpp, median of 5).", ""]
open(out_file, "w").write("\n".join(out))
print("\n".join(out))
PY
