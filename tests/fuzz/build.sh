#!/usr/bin/env bash
# Configure (once) and build the libFuzzer harnesses in their own build dir.
#   tests/fuzz/build.sh [BUILD_DIR]      (default build-fuzz)
# clang with ASan + UBSan; only the harnesses and what they link are built
# (dp/, model/, ctrl/dhcp_msg.c), so the build is small and incremental.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build-fuzz}
if [ ! -f "$build/build.ninja" ]; then
  CC=clang meson setup "$build" -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
    -Db_lto=false -Dnative=false -Dbuildtype=debugoptimized >/dev/null
fi
ninja -C "$build" tests/fuzz/fuzz_parse tests/fuzz/fuzz_xlate tests/fuzz/fuzz_dhcp \
  tests/fuzz/fuzz_model
