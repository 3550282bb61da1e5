#!/usr/bin/env bash
# Static checks of docker/ (ctest label: packaging). There is no Docker engine here, so the
# image is never built or run; this catches what can be caught without one:
#   - compose.yaml parses, has the gateway and the stand-in, mounts docker/run read-only,
#     publishes the admin port on loopback only, gives the drain its 45 s;
#   - the Dockerfile has the two stages, a non-root user, the ports and a HEALTHCHECK on the
#     admin port the compose configuration uses; every COPY source exists;
#   - docker/prepare-test-config.sh produces a configuration that `shepgw check-config`
#     accepts (paths mapped from /etc/shepgw to the generated directory);
#   - `docker compose config` when the compose plugin is installed.
# Usage: check-docker.sh SOURCE_DIR SHEPGW_BINARY PYTHON
set -euo pipefail
SRC=$(cd "${1:?usage: check-docker.sh SOURCE_DIR SHEPGW_BINARY PYTHON}" && pwd)
BIN=${2:?}
PY=${3:?}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }

"$PY" - "$SRC/docker/compose.yaml" "$SRC/docker/shepgw.compose.yaml" <<'PY' || fail=1
import sys, yaml
compose = yaml.safe_load(open(sys.argv[1]))
config = yaml.safe_load(open(sys.argv[2]))
errors = []
services = compose.get("services", {})
for name in ("gateway", "standin"):
    if name not in services:
        errors.append(f"compose: no service '{name}'")
gw = services.get("gateway", {})
if "./run:/etc/shepgw:ro" not in gw.get("volumes", []):
    errors.append("compose: gateway must mount ./run at /etc/shepgw read-only")
admin_port = config["admin"]["port"]
if f"127.0.0.1:{admin_port}:{admin_port}" not in gw.get("ports", []):
    errors.append(f"compose: admin port {admin_port} must be published on 127.0.0.1 only")
listen_port = config["listen"]["port"]
if not any(str(p).endswith(f":{listen_port}") for p in gw.get("ports", [])):
    errors.append(f"compose: listen port {listen_port} not published")
if gw.get("stop_grace_period") != "45s":
    errors.append("compose: gateway stop_grace_period must be 45s (30 s drain)")
build = gw.get("build", {})
if build.get("dockerfile") != "docker/Dockerfile":
    errors.append("compose: gateway must build docker/Dockerfile")
standin = services.get("standin", {})
ups = [u for r in config["routes"] for u in r["upstreams"]]
port = standin.get("command", [])[-1] if standin.get("command") else None
if not any(f"//standin:{port}/" in u for u in ups):
    errors.append(f"config: no route to the standin service on its port {port}")
for e in errors:
    print("FAIL:", e, file=sys.stderr)
sys.exit(1 if errors else 0)
PY

DF=$SRC/docker/Dockerfile
grep -qE '^FROM debian:bookworm AS build$' "$DF" || bad "Dockerfile: no 'FROM debian:bookworm AS build'"
grep -qE '^FROM debian:bookworm-slim$' "$DF" || bad "Dockerfile: no 'FROM debian:bookworm-slim' runtime stage"
grep -qE '^USER shepgw$' "$DF" || bad "Dockerfile: does not run as shepgw"
grep -qE '^EXPOSE 8443 9100$' "$DF" || bad "Dockerfile: EXPOSE 8443 9100"
grep -q -- '-DSHEPGW_BUILD_TESTS=OFF' "$DF" || bad "Dockerfile: tests not switched off"
grep -q 'http://127.0.0.1:9100/health' "$DF" || bad "Dockerfile: HEALTHCHECK must curl the admin /health"
while read -r src; do
  [[ -e $SRC/$src ]] || bad "Dockerfile: COPY source $src does not exist"
done < <(awk '$1 == "COPY" && $2 !~ /^--from/ && $2 != "." {print $2}' "$DF")

# The compose configuration, with its generated test PKI, passes check-config.
"$SRC/docker/prepare-test-config.sh" "$TMP/run" >/dev/null
sed "s#/etc/shepgw/#$TMP/run/#g" "$TMP/run/shepgw.yaml" >"$TMP/check.yaml"
if ! out=$("$BIN" check-config --config "$TMP/check.yaml" 2>&1); then
  echo "$out" >&2
  bad "docker/shepgw.compose.yaml does not pass shepgw check-config"
fi

if docker compose version >/dev/null 2>&1; then
  mkdir -p "$SRC/docker/run"
  docker compose -f "$SRC/docker/compose.yaml" config -q || bad "docker compose config"
else
  echo "note: no 'docker compose' plugin here: compose.yaml only parsed as YAML (image never built)" >&2
fi
((fail == 0)) && echo "OK: docker/ checked statically (image not built: no Docker engine)"
exit $fail
