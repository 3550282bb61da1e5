#!/usr/bin/env bash
# scripts/lint.sh check   — clang-format (dry run) + clang-tidy over our sources (CI-style)
# scripts/lint.sh fix     — rewrite formatting in place
# Generated gSOAP code lives in the build tree and is never linted.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-check}
BUILD_DIR=${BUILD_DIR:-build}
mapfile -t FILES < <(git ls-files 'src/*.cc' 'src/*.h' 'include/*.h' 'tests/*.cc' 'tests/*.h')
if [[ $MODE == fix ]]; then
  clang-format -i "${FILES[@]}"
  exit 0
fi
clang-format --dry-run -Werror "${FILES[@]}"
if [[ ! -f $BUILD_DIR/compile_commands.json ]]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja >/dev/null
fi
mapfile -t SOURCES < <(git ls-files 'src/*.cc')
clang-tidy -p "$BUILD_DIR" --quiet "${SOURCES[@]}"
