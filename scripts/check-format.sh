#!/usr/bin/env bash
# Checks that every C++ file under src/ include/ tests/ tools/ bench/ is
# formatted as .clang-format says (clang-format --dry-run --Werror); lists
# the files that are not, and exits 1 if there is any. With --fix, formats
# them in place instead.
set -euo pipefail
cd "$(dirname "$0")/.."
formatter=${CLANG_FORMAT:-clang-format}
command -v "$formatter" >/dev/null || { echo "check-format: $formatter not found (scripts/setup.sh installs it)" >&2; exit 2; }

mapfile -t files < <(git ls-files -- src include tests tools bench | grep -E '\.(c|cc|cpp|cxx|h|hh|hpp|hxx)$')
if [ "${1:-}" = "--fix" ]; then
  "$formatter" -i "${files[@]}"
  exit 0
fi
bad=()
for f in "${files[@]}"; do
  "$formatter" --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -ne 0 ]; then
  echo "check-format: not formatted as .clang-format says (fix: bash scripts/check-format.sh --fix):" >&2
  printf '  %s\n' "${bad[@]}" >&2
  exit 1
fi
echo "check-format: ${#files[@]} files formatted"
