#!/usr/bin/env bash
# Writes docker/run/ for docker/compose.yaml: shepgw.yaml (from docker/shepgw.compose.yaml),
# pki/ (TLS: scripts/gen-test-pki.sh) and wpki/ (WS-Security test "national CA":
# scripts/gen-wss-test-pki.sh). THROW-AWAY TEST MATERIAL: the private keys are made
# world-readable so that the container's `shepgw` user (another uid than yours) can read the
# bind mount. Never do that with real keys: give them to the container's uid/gid instead.
# Usage: docker/prepare-test-config.sh [DIR]   (default docker/run)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/run}
mkdir -p "$OUT"
"$HERE/../scripts/gen-test-pki.sh" "$OUT/pki"
"$HERE/../scripts/gen-wss-test-pki.sh" "$OUT/wpki"
cp "$HERE/shepgw.compose.yaml" "$OUT/shepgw.yaml"
chmod -R a+rX "$OUT"
echo "wrote $OUT (test PKI, keys world-readable: demo only)"
