#!/usr/bin/env bash
# Builds the libFuzzer token target with clang and runs it for SECONDS
# (default 60) from the committed seed corpus. Exit status 0: no finding.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
werror=()
[ -n "${CI:-}" ] && [ "${CI}" != "false" ] && werror=(-DCKG_WERROR=ON)
bash scripts/build.sh build/fuzz Release -DCMAKE_CXX_COMPILER=clang++ -DCKG_FUZZ=ON ${werror[@]+"${werror[@]}"}
work=$(mktemp -d)
cp tests/fuzz/corpus/token/* "$work/"
./build/fuzz/bin/token_fuzzer -max_total_time="$seconds" -max_len=12000 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 "$work" 2>&1 | tail -n 25
rm -rf "$work"
echo "fuzz: ${seconds}s without a finding"
