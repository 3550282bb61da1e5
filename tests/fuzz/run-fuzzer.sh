#!/usr/bin/env bash
# Runs envelope_verify_fuzzer for SECONDS on a fresh seed corpus (the ctest fuzz_envelope_verify
# and the long runs of tests/fuzz/README.md). Fails on any crash, sanitizer report, leak or
# timeout; exits 77 (ctest SKIP) when the fuzzer was not built (no clang / libFuzzer).
# Usage: run-fuzzer.sh FUZZER_BIN PKI_DIR WORK_DIR SECONDS [SHEPGW_BIN] [extra libFuzzer flags]
set -euo pipefail
FUZZER=${1:-}
PKI=${2:?usage: run-fuzzer.sh FUZZER_BIN PKI_DIR WORK_DIR SECONDS [SHEPGW_BIN]}
WORK=${3:?}
SECONDS_TO_RUN=${4:?}
SHEPGW=${5:-}
shift 5 || shift $#
HERE=$(cd "$(dirname "$0")" && pwd)

if [[ -z $FUZZER || ! -x $FUZZER ]]; then
  echo "************************************************************************" >&2
  echo "SKIP: envelope_verify_fuzzer was not built: clang++ with libFuzzer/ASan" >&2
  echo "      (Debian: clang-14 libclang-rt-14-dev; scripts/install-deps.sh) is missing." >&2
  echo "************************************************************************" >&2
  exit 77
fi
if [[ ! -s $PKI/gateway-ec.pem ]]; then
  bash "$HERE/../../scripts/gen-wss-test-pki.sh" "$PKI"
fi

mkdir -p "$WORK/corpus" "$WORK/artifacts"
rm -rf "$WORK/seeds"
bash "$HERE/make-seeds.sh" "$PKI" "$WORK/seeds" "$SHEPGW"

export SHEPGW_FUZZ_PKI_DIR=$PKI
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# The first directory collects new inputs (kept across runs in the build tree); the seeds are
# read only. -max_len: a signed request is ~4 KB; 64 KB leaves room to grow.
set +e
"$FUZZER" -dict="$HERE/envelope_verify.dict" -max_total_time="$SECONDS_TO_RUN" \
  -rss_limit_mb=2048 -timeout=10 -max_len=65536 -print_final_stats=1 \
  -artifact_prefix="$WORK/artifacts/" "$@" "$WORK/corpus" "$WORK/seeds" \
  > "$WORK/fuzz.log" 2>&1
rc=$?
set -e
grep -E '^#[0-9]+ +(INITED|DONE)|^stat::|^Done [0-9]+ runs' "$WORK/fuzz.log" || true
if [[ $rc -ne 0 ]]; then
  echo "FAIL: envelope_verify_fuzzer exited $rc; last lines of $WORK/fuzz.log:" >&2
  tail -n 60 "$WORK/fuzz.log" >&2
  ls -l "$WORK/artifacts" >&2
  exit 1
fi
echo "OK: envelope_verify_fuzzer ran ${SECONDS_TO_RUN}s without crash, leak or timeout"
