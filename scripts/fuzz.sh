#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for SECONDS (default
# 60) from its committed seed corpus (tests/fuzz/corpus/<name>/).
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (no TARGET: all of them)
#   targets: token jwks request_reader reply_reader resp_reader tunnel_answer json_text media_type handle admin_request thread_scoping mint_request
# Exit status 0: no finding.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(token jwks request_reader reply_reader resp_reader tunnel_answer json_text media_type handle admin_request thread_scoping mint_request)
werror=()
[ -n "${CI:-}" ] && [ "${CI}" != "false" ] && werror=(-DCKG_WERROR=ON)
bash scripts/build.sh build/fuzz Release -DCMAKE_CXX_COMPILER=clang++ -DCKG_FUZZ=ON ${werror[@]+"${werror[@]}"}
# Undefined behaviour is a finding, as a crash is (UBSan only reports it
# and goes on by default).
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
for name in "${targets[@]}"; do
  work=$(mktemp -d)
  cp tests/fuzz/corpus/"$name"/* "$work/"
  case $name in
    token) max_len=12000 ;;
    jwks) max_len=20000 ;;  # room for more than 100 small keys
    media_type) max_len=4096 ;;
    handle) max_len=20000 ;;  # past the 16 KiB a handle may have
    admin_request) max_len=60000 ;;  # past the admin listener's body limit (about 50 KB)
    mint_request) max_len=8192 ;;  # past a variable's 1024 bytes, several times
    *) max_len=70000 ;;  # past the readers' caps
  esac
  echo "fuzz: $name for ${seconds}s"
  ./build/fuzz/bin/"$name"_fuzzer -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 "$work" 2>&1 | tail -n 25
  rm -rf "$work"
  echo "fuzz: $name ${seconds}s without a finding"
done
