#!/usr/bin/env bash
# Configures and builds into DIR with the given CMake build type.
# Usage: scripts/build.sh DIR BUILD_TYPE [extra cmake args...]
# CKG_TARGETS="a b" builds only those targets.
set -euo pipefail
dir=$1; type=$2; shift 2
# ccache: paths relative to the checkout (a clean clone elsewhere hits the
# same entries), and files using the precompiled header are cacheable.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(cd "$(dirname "$0")/.." && pwd)}
export CCACHE_SLOPPINESS=${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}
cmake -S "$(dirname "$0")/.." -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" "$@" >/dev/null
# Two jobs on the 2-core machines this is built on; more only thrash memory.
jobs=${CKG_BUILD_JOBS:-$(nproc)}
# shellcheck disable=SC2086
cmake --build "$dir" -j "$jobs" ${CKG_TARGETS:+--target $CKG_TARGETS}
