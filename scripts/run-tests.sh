#!/usr/bin/env bash
# Runs every test: CUnit suites through meson (--no-huge, in-process ports),
# then the pytest system tests (namespaces, real clients) as root.
#   scripts/run-tests.sh            all
#   scripts/run-tests.sh unit       unit suites only
#   scripts/run-tests.sh system     system tests only
#   scripts/run-tests.sh fuzz       fuzz harnesses only
# With clang + libFuzzer installed, "all" also builds tests/fuzz in FUZZ_BUILD
# (default build-fuzz, incremental) and runs each harness FUZZ_TEST_SECONDS
# (default 20) on its seed corpus: one test per harness.
# Prints a closing line "N passed, N failed" summing all.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
PY=/usr/bin/python3
what=${1:-all}
upass=0; ufail=0; spass=0; sfail=0; sskip=0; fpass=0; ffail=0
log=$(mktemp -d /tmp/wyv-test.XXXXXX)
trap 'rm -rf "$log"' EXIT

if [ "$what" = all ] || [ "$what" = unit ]; then
  meson test -C "$BUILD" --suite unit --print-errorlogs --num-processes 1 \
    2>&1 | tee "$log/unit.txt"
  upass=$(grep -Eo '^Ok: +[0-9]+' "$log/unit.txt" | grep -Eo '[0-9]+' || echo 0)
  ufail=$(grep -Eo '^(Fail|Timeout|Unexpected Pass): +[0-9]+' "$log/unit.txt" \
          | grep -Eo '[0-9]+' | paste -sd+ | bc 2>/dev/null || echo 0)
  [ -n "$ufail" ] || ufail=0
  # a suite that failed to run at all counts as a failure
  grep -q '^Ok:' "$log/unit.txt" || ufail=$((ufail + 1))
fi

if [ "$what" = all ] || [ "$what" = system ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "system tests need root (namespaces, tap devices); skipped"
  else
    WYV_BUILD="$PWD/$BUILD" $PY -m pytest tests/system -v -p no:cacheprovider --durations=15 \
      --junitxml="$log/sys.xml" 2>&1 | tee "$log/sys.txt"
    rc=${PIPESTATUS[0]}
    if [ -f "$log/sys.xml" ]; then
      read -r spass sfail sskip < <($PY - "$log/sys.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
s = r if r.tag == "testsuite" else r.find("testsuite")
t, f, e, k = (int(s.get(a, 0)) for a in ("tests", "failures", "errors", "skipped"))
print(t - f - e - k, f + e, k)
PY
)
    fi
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 5 ] && [ "$sfail" -eq 0 ]; then sfail=1; fi
  fi
fi

if [ "$what" = all ] || [ "$what" = fuzz ]; then
  if command -v clang >/dev/null && ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a \
       >/dev/null 2>&1; then
    FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
    if tests/fuzz/build.sh "$FUZZ_BUILD" >"$log/fuzz-build.txt" 2>&1; then
      tests/fuzz/run.sh "$FUZZ_BUILD" "${FUZZ_TEST_SECONDS:-20}" 2>&1 | tee "$log/fuzz.txt"
      fpass=$(grep -c '^FUZZ .*result=pass' "$log/fuzz.txt")
      ffail=$(grep -c '^FUZZ .*result=fail' "$log/fuzz.txt")
      [ $((fpass + ffail)) -gt 0 ] || ffail=1
    else
      tail -20 "$log/fuzz-build.txt"
      echo "fuzz harnesses: build failed"
      ffail=1
    fi
  else
    echo "fuzz harnesses need clang + libfuzzer-14-dev (scripts/deps.sh); skipped"
  fi
fi

# name what failed next to the summary: CI keeps only the tail of the log
if [ -f "$log/unit.txt" ]; then
  grep -E '^ *[0-9]+/[0-9]+ +[^ ]+ +(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)' "$log/unit.txt" \
    | sed 's/^/failed unit suite: /'
  # CUnit's failure lines ("N. file.c:line - assertion"), the first few
  grep -E '^ *[0-9]+\. [^ ]+\.c:[0-9]+ +- ' "$log/unit.txt" | head -20
fi
if [ -f "$log/sys.txt" ]; then
  grep -E '^(FAILED|ERROR) ' "$log/sys.txt" | sed 's/^/failed system test: /'
fi
if [ -f "$log/fuzz.txt" ]; then
  grep -E '^FUZZ .*result=fail' "$log/fuzz.txt" | sed 's/^/failed fuzz harness: /'
fi
pass=$((upass + spass + fpass)); fail=$((ufail + sfail + ffail))
echo "unit suites: $upass passed, $ufail failed; system tests: $spass passed, $sfail failed, $sskip skipped; fuzz harnesses: $fpass passed, $ffail failed"
if [ "$sskip" -gt 0 ]; then
  echo "$pass passed, $fail failed, $sskip skipped"
else
  echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
