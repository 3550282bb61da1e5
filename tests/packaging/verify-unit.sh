#!/usr/bin/env bash
# Checks config/shepgw.service with systemd's own tools (ctest label: packaging):
#   - `systemd-analyze verify` must exit 0 and print nothing (an unknown or misspelt key is
#     only a warning there, so any output fails the test);
#   - the lines the deployment depends on are present (Type=notify, reload by SIGHUP, drain
#     time, watchdog, user, hardening) — a silent edit that drops one breaks the test;
#   - `systemd-analyze security --offline` exposure stays at or below 4.0 ("OK").
# verify needs every Exec path to exist, so it checks a copy in a temporary directory with
# /usr/bin/shepgw replaced by the build tree's binary.
# Usage: verify-unit.sh UNIT_FILE SHEPGW_BINARY
set -euo pipefail
UNIT=${1:?usage: verify-unit.sh UNIT_FILE SHEPGW_BINARY}
BIN=${2:?usage: verify-unit.sh UNIT_FILE SHEPGW_BINARY}
SKIP=77

if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "############################################################" >&2
  echo "# SKIP: systemd-analyze not found: shepgw.service NOT verified" >&2
  echo "#       (apt-get install systemd)" >&2
  echo "############################################################" >&2
  exit $SKIP
fi
[[ -x $BIN ]] || { echo "FAIL: $BIN is not an executable" >&2; exit 1; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
sed "s#/usr/bin/shepgw#$BIN#g" "$UNIT" > "$TMP/shepgw.service"

fail=0
out=$(systemd-analyze verify "$TMP/shepgw.service" 2>&1) || { echo "FAIL: systemd-analyze verify exited $?" >&2; fail=1; }
if [[ -n $out ]]; then
  echo "FAIL: systemd-analyze verify is not silent:" >&2
  echo "$out" >&2
  fail=1
fi

# Lines the daemon's behaviour and docs/deployment.md rely on.
required=(
  "Type=notify"
  "NotifyAccess=main"
  "ExecStartPre=/usr/bin/shepgw check-config --config /etc/shepgw/shepgw.yaml"
  "ExecStart=/usr/bin/shepgw serve --config /etc/shepgw/shepgw.yaml"
  "ExecReload=/bin/kill -HUP \$MAINPID"
  "KillSignal=SIGTERM"
  "TimeoutStopSec=45"
  "Restart=on-failure"
  "WatchdogSec=30"
  "User=shepgw"
  "Group=shepgw"
  "NoNewPrivileges=yes"
  "ProtectSystem=strict"
  "ProtectHome=yes"
  "PrivateTmp=yes"
  "PrivateDevices=yes"
  "ProtectKernelTunables=yes"
  "ProtectKernelModules=yes"
  "ProtectKernelLogs=yes"
  "ProtectControlGroups=yes"
  "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK"
  "RestrictNamespaces=yes"
  "LockPersonality=yes"
  "MemoryDenyWriteExecute=yes"
  "SystemCallArchitectures=native"
  "CapabilityBoundingSet=CAP_NET_BIND_SERVICE"
  "AmbientCapabilities=CAP_NET_BIND_SERVICE"
  "ReadWritePaths=/var/lib/shepgw"
  "StateDirectory=shepgw"
  "ConfigurationDirectory=shepgw"
  "LimitNOFILE=65536"
)
for line in "${required[@]}"; do
  if ! grep -qxF -- "$line" "$UNIT"; then
    echo "FAIL: $UNIT lacks the line: $line" >&2
    fail=1
  fi
done
# The drain grace in the daemon (30 s) must fit in TimeoutStopSec.
stop=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)$/\1/p' "$UNIT")
if [[ -z $stop || $stop -le 30 ]]; then
  echo "FAIL: TimeoutStopSec ($stop) must exceed the 30 s drain grace" >&2
  fail=1
fi

# Exposure score: 0 (locked down) .. 10 (unsafe); the threshold is in tenths.
if systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
  if ! report=$(systemd-analyze security --offline=yes --threshold=40 "$TMP/shepgw.service" 2>&1); then
    echo "FAIL: exposure above 4.0:" >&2
    echo "$report" | tail -3 >&2
    fail=1
  else
    echo "$report" | grep 'Overall exposure' || true
  fi
else
  echo "note: this systemd-analyze has no --offline; exposure not checked" >&2
fi

((fail == 0)) && echo "OK: shepgw.service verified"
exit $fail
