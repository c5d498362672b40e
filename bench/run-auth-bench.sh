#!/usr/bin/env bash
# Measures end-user token verification per algorithm (Google Benchmark) and,
# in the same run, `openssl speed rsa2048` on this machine; writes the table
# to docs/benchmarks-auth.md. Fails when RS256 verification costs more than
# 1.5x OpenSSL's raw RSA-2048 verify, or a cached token costs 1 us or more.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh build/bench Release -DCKG_BENCH=ON -DCKG_BUILD_TESTS=OFF
tokens=build/bench/tokens
/usr/bin/python3 tests/support/make_tokens.py "$tokens" >/dev/null
CKG_TOKENS_DIR=$tokens build/bench/bin/auth_bench --benchmark_repetitions=5 \
  --benchmark_report_aggregates_only=true --benchmark_out=build/bench/auth.json --benchmark_out_format=json
speed=$(openssl speed -seconds 5 rsa2048 2>/dev/null | awk '/^rsa 2048/ {print $NF}')
/usr/bin/python3 - "$speed" <<'PY'
import json, subprocess, sys, platform
verify_per_s = float(sys.argv[1])
raw_us = 1e6 / verify_per_s
runs = json.load(open("build/bench/auth.json"))["benchmarks"]
median = {b["run_name"]: b for b in runs if b.get("aggregate_name") == "median"}
rows, rs256 = [], None
for name, b in median.items():
    t = b["real_time"] * (1e-3 if b["time_unit"] == "ns" else 1.0)
    label = name.replace("verify_uncached/", "").replace("verify_cached", "cached token (any alg)")
    rows.append((label, t))
    if name.endswith("/RS256"): rs256 = t
cached = next(t for l, t in rows if l.startswith("cached"))
cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
ratio = rs256 / raw_us
lines = ["# Token verification cost", "",
         f"Measured on {cpu} ({platform.machine()}), one core, by `bench/run-auth-bench.sh`",
         "(Google Benchmark, median of 5 repetitions; tokens and keys made by PyJWT).", "",
         "| what | µs per token |", "|---|---|"]
lines += [f"| {l} | {t:.3f} |" for l, t in rows]
lines += ["", f"`openssl speed -seconds 5 rsa2048` in the same run: {verify_per_s:.0f} verify/s = {raw_us:.2f} µs per RSA-2048 verify.",
          f"RS256 full verification (parse, signature, claims) = {ratio:.2f}× the raw OpenSSL verify.",
          f"A repeated token is answered from the cache in {cached*1000:.0f} ns.", ""]
open("docs/benchmarks-auth.md", "w").write("\n".join(lines))
print("\n".join(lines))
if ratio > 1.5 or cached >= 1.0:
    sys.exit("auth benchmark: over budget")
PY
