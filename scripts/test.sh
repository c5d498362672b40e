#!/usr/bin/env bash
# Sets up, builds and runs every test with ctest (its summary is the last
# thing printed). With --sanitize: the same tests under AddressSanitizer and
# UndefinedBehaviorSanitizer, in a separate build directory.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# In CI a compiler warning fails the build.
werror=()
[ -n "${CI:-}" ] && [ "${CI}" != "false" ] && werror=(-DCKG_WERROR=ON)

if [ "${1:-}" = "--sanitize" ]; then
  dir=build/sanitize
  bash scripts/build.sh "$dir" Debug -DCKG_SANITIZE=ON -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g"
  # A small quarantine (4 MiB): with ASan's default 256 MiB, freed TLS record
  # buffers pile up and the memory-bound tests measure the quarantine.
  # The gateway processes the tests start get these settings too.
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=0:quarantine_size_mb=4
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
else
  dir=build/release
  bash scripts/build.sh "$dir" Release ${werror[@]+"${werror[@]}"}
fi
cd "$dir"
ctest --output-on-failure --timeout 600
