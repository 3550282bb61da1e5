#!/usr/bin/env bash
# Builds bench_wss if needed and runs it with 3 repetitions; prints the medians (CPU time per
# call on one core, and wall time), the two ratios against the targets, and the primitive rates
# that `openssl speed` measures on this machine, the GOST WS-Security rows beside the GOST
# primitives, then the raw GOST primitives with fresh keys and the GOST hashes (bench_gost). See
# docs/performance.md.
#
#   bench/run-wss-bench.sh [--quick] [--no-openssl-speed] [-- extra bench_wss arguments]
#
#   BUILD_DIR   build tree (default: build/ in the repository)
#   --quick     shorter runs (0.2 s per benchmark instead of 1 s): for a look, not for figures
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
MIN_TIME=1
OPENSSL_SPEED=1
EXTRA=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) MIN_TIME=0.2 ;;
    --no-openssl-speed) OPENSSL_SPEED=0 ;;
    --) shift; EXTRA=("$@"); break ;;
    *) echo "usage: $0 [--quick] [--no-openssl-speed] [-- bench_wss args]" >&2; exit 2 ;;
  esac
  shift
done

if [[ ! -f $BUILD_DIR/build.ninja && ! -f $BUILD_DIR/Makefile ]]; then
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSHEPGW_BUILD_BENCH=ON >/dev/null
fi
cmake --build "$BUILD_DIR" --target bench_wss bench_gost >/dev/null

echo "== $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$BUILD_DIR/bench/bench_wss" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  --benchmark_min_time="$MIN_TIME" --benchmark_color=false "${EXTRA[@]}" | tee "$out" >&2
echo
sed -n '/^== bench_wss summary/,$p' "$out"

# GOST WS-Security (bench_wss's *Gost* rows) beside the raw pki::gost primitives: the XML work
# on top of the curve arithmetic.
echo
echo "== GOST WS-Security, 2 KB, beside the raw 2015-512 primitives (from the summary)"
printf '%-28s %12s %12s %12s\n' benchmark "cpu us/call" "calls/s(cpu)" "wall us/call"
sed -n '/^== bench_wss summary/,$p' "$out" | grep -E 'Gost|GOST' || true
echo
echo "== bench_gost (median per call, one core; 64-byte digest for sign/verify)"
"$BUILD_DIR/bench/bench_gost" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  --benchmark_min_time="$MIN_TIME" --benchmark_color=false 2>/dev/null |
  awk '/_median/ { sub(/_median/, "", $1); printf "%-28s %10s %s cpu/call\n", $1, $4, $5 }'

if [[ $OPENSSL_SPEED == 1 ]]; then
  echo
  echo "== openssl speed -seconds 3 rsa2048 ecdsap256 (same machine, same minute)"
  openssl speed -seconds 3 rsa2048 ecdsap256 2>/dev/null | awk '
    /^rsa 2048 bits/ { printf "openssl RSA-2048    sign %10.0f/s  verify %10.0f/s\n", $6, $7 }
    /nistp256\)/     { printf "openssl ECDSA P-256 sign %10.0f/s  verify %10.0f/s\n", $(NF-1), $NF }'
fi
