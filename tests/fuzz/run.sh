#!/usr/bin/env bash
# Run the libFuzzer harnesses for a bounded time each.
#   tests/fuzz/run.sh BUILD_DIR SECONDS [fuzz_parse fuzz_xlate fuzz_dhcp fuzz_model]
# Each harness reads the committed seeds (tests/fuzz/corpus/<name>) and writes
# the inputs it finds into a scratch directory (removed afterwards), so a run
# never dirties the repository.  Crash/leak/timeout inputs are kept under
# BUILD_DIR/fuzz-artifacts/<harness>/ (reproduce: BUILD_DIR/tests/fuzz/<harness> FILE).
# Prints one line per harness:
#   FUZZ harness=<name> result=pass|fail execs=<n> exec_s=<n> cov=<n> seconds=<n>
# and exits non-zero when any harness failed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: run.sh BUILD_DIR SECONDS [harness...]}
secs=${2:?usage: run.sh BUILD_DIR SECONDS [harness...]}
shift 2
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(fuzz_parse fuzz_xlate fuzz_dhcp fuzz_model)

scratch=$(mktemp -d /tmp/wyv-fuzz.XXXXXX)
prefixes=()
cleanup() {
  rm -rf "$scratch"
  for p in "${prefixes[@]}"; do rm -rf "/var/run/dpdk/$p" "${XDG_RUNTIME_DIR:-/tmp}/dpdk/$p"; done
}
trap cleanup EXIT

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=0
for h in "${harnesses[@]}"; do
  name=${h#fuzz_}
  bin="$build/tests/fuzz/$h"
  seeds="$here/corpus/$name"
  art="$build/fuzz-artifacts/$h"
  mkdir -p "$scratch/$name" "$art"
  log="$scratch/$name.log"
  prefix="fz${name}_$$"
  prefixes+=("$prefix")
  if [ ! -x "$bin" ]; then
    echo "FUZZ harness=$h result=fail execs=0 exec_s=0 cov=0 seconds=0 (not built: $bin)"
    failed=$((failed + 1))
    continue
  fi
  start=$(date +%s)
  # -timeout: one input taking >10 s is a hang; the outer timeout covers a
  # harness that never returns (start-up included)
  WYV_FUZZ_PREFIX=$prefix timeout -k 5 $((secs + 60)) "$bin" -max_total_time="$secs" \
    -timeout=10 -max_len=2048 -print_final_stats=1 -artifact_prefix="$art/" \
    "$scratch/$name" "$seeds" >"$log" 2>&1
  rc=$?
  end=$(date +%s)
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1)
  execs=$(grep -Eo '^stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || true)
  [ -n "$execs" ] || execs=$(echo "$done_line" | grep -Eo '^#[0-9]+' | tr -d '#')
  rate=$(echo "$done_line" | grep -Eo 'exec/s: *[0-9]+' | grep -Eo '[0-9]+')
  cov=$(echo "$done_line" | grep -Eo 'cov: *[0-9]+' | grep -Eo '[0-9]+')
  if [ "$rc" -eq 0 ] && [ -n "$done_line" ]; then
    result=pass
  else
    result=fail
    failed=$((failed + 1))
    echo "---- $h failed (exit $rc); last lines of its log:"
    grep -E 'ERROR|SUMMARY|leak|round trip|abort|Test unit written' "$log" | head -20
    tail -5 "$log"
  fi
  echo "FUZZ harness=$h result=$result execs=${execs:-0} exec_s=${rate:-0} cov=${cov:-0}" \
       "seconds=$((end - start))"
  rm -rf "/var/run/dpdk/$prefix"
done
[ "$failed" -eq 0 ]
