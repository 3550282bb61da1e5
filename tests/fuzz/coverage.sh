#!/usr/bin/env bash
# Line/region coverage that a fuzz corpus reaches in the modules under test: builds a coverage
# flavour of the fuzz tree (SHEPGW_FUZZ_COVERAGE, no sanitizers) in BUILD_DIR, runs every input
# of the corpus directories once, and prints llvm-cov's report for src/envelope, src/wss, src/pki.
# Usage: coverage.sh BUILD_DIR PKI_DIR CORPUS_DIR...
set -euo pipefail
BUILD=${1:?usage: coverage.sh BUILD_DIR PKI_DIR CORPUS_DIR...}
PKI=${2:?}
shift 2
SRC=$(cd "$(dirname "$0")/../.." && pwd)
CLANGXX=${CLANGXX:-clang++-14}
LLVM_SUFFIX=${LLVM_SUFFIX:--14}
cmake -S "$SRC" -B "$BUILD" -G Ninja -DSHEPGW_FUZZ=ON -DSHEPGW_FUZZ_COVERAGE=ON \
  -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER="$CLANGXX" \
  -DCMAKE_C_COMPILER="${CLANGXX/clang++/clang}" > "$BUILD.configure.log"
cmake --build "$BUILD" --target envelope_verify_fuzzer > "$BUILD.build.log"
BIN=$BUILD/tests/fuzz/envelope_verify_fuzzer
rm -f "$BUILD"/*.profraw
SHEPGW_FUZZ_PKI_DIR=$PKI LLVM_PROFILE_FILE="$BUILD/fuzz-%p.profraw" \
  "$BIN" -runs=0 "$@" > "$BUILD.run.log" 2>&1
"llvm-profdata$LLVM_SUFFIX" merge -sparse "$BUILD"/*.profraw -o "$BUILD/fuzz.profdata"
"llvm-cov$LLVM_SUFFIX" report "$BIN" -instr-profile="$BUILD/fuzz.profdata" \
  "$SRC/src/envelope" "$SRC/src/wss" "$SRC/src/pki"
