#!/usr/bin/env bash
# The project's VPN testbed: a real WireGuard tunnel (userspace wireguard-go) between two
# network namespaces that this script creates, for the connector's integration tests.
#
#   scripts/vpn-testbed.sh check   exit 0 if it can run here, 77 (+ "SKIP: reason") if not
#   scripts/vpn-testbed.sh up      build it; prints KEY=VALUE lines (also in $SGW_STATE_DIR/env)
#   scripts/vpn-testbed.sh down    tear everything down (idempotent; by PID and by name)
#
#  ns sgw-a (gateway)                                  ns sgw-b (internal ShEP)
#  sgw-wga 10.211.0.1/32 ======== WireGuard ======== sgw-wgb 10.211.0.2/32
#  sgw-va  10.210.0.1/30 --------- veth ------------ sgw-vb  10.210.0.2/30
#          nft: only WireGuard UDP may use the veth; anything else is rejected at once
#
# Safety: these addresses exist only inside the two namespaces; neither namespace has a
# default route; while the testbed is up the root namespace has blackhole routes for all four
# addresses, so a client that forgot to enter a namespace fails locally instead of sending
# anything off the machine. Nothing here ever targets another address.
set -euo pipefail

P=sgw
NS_A=$P-a NS_B=$P-b VETH_A=$P-va VETH_B=$P-vb WG_A=$P-wga WG_B=$P-wgb
UNDER_A=10.210.0.1 UNDER_B=10.210.0.2 TUN_A=10.211.0.1 TUN_B=10.211.0.2
WG_PORT=51820
STATE=${SGW_STATE_DIR:-/tmp/sgw-vpn}
SKIP=77

log() { echo "[vpn-testbed] $*" >&2; }
skip() { echo "SKIP: $*"; exit $SKIP; }
ns_exists() { [[ -e /run/netns/$1 ]]; }

check() {
  for tool in ip wg wireguard-go nft; do
    command -v "$tool" >/dev/null 2>&1 ||
      skip "missing '$tool' (apt-get install -y iproute2 wireguard-tools wireguard-go nftables)"
  done
  [[ $(id -u) -eq 0 ]] || skip "needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN for network namespaces)"
  [[ -c /dev/net/tun ]] || skip "/dev/net/tun missing (no TUN support: wireguard-go cannot run)"
  local probe=$P-probe err
  err=$(mktemp)
  ip netns del "$probe" 2>/dev/null || true
  if ! ip netns add "$probe" 2>"$err"; then
    skip "'ip netns add' failed: $(tr '\n' ' ' <"$err")"
  fi
  if ! ip netns exec "$probe" nft add table inet sgwprobe 2>"$err"; then
    ip netns del "$probe"
    skip "nftables not usable in a network namespace: $(tr '\n' ' ' <"$err")"
  fi
  ip netns del "$probe"
  rm -f "$err"
}

kill_pidfile() {  # file expected-command
  local f=$1 expect=$2 pid
  [[ -s $f ]] || return 0
  pid=$(cat "$f")
  if [[ -r /proc/$pid/cmdline ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$expect"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do [[ -d /proc/$pid ]] || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

down() {
  # Whatever still runs inside the namespaces (gateway, stand-in, wireguard-go) is stopped.
  for ns in $NS_A $NS_B; do
    if ns_exists "$ns"; then
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -TERM "$pid" 2>/dev/null || true; done
    fi
  done
  kill_pidfile "$STATE/wg-a.pid" "wireguard-go" &
  kill_pidfile "$STATE/wg-b.pid" "wireguard-go" &
  wait
  for ns in $NS_A $NS_B; do
    if ns_exists "$ns"; then
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
      ip netns del "$ns" 2>/dev/null || true
    fi
  done
  ip link del "$VETH_A" 2>/dev/null || true
  rm -f "/var/run/wireguard/$WG_A.sock" "/var/run/wireguard/$WG_B.sock"
  for addr in $UNDER_A $UNDER_B $TUN_A $TUN_B; do
    ip route del blackhole "$addr/32" 2>/dev/null || true
  done
}

start_wg() {  # ns ifname tag
  local ns=$1 ifc=$2 tag=$3
  ip netns exec "$ns" env WG_PROCESS_FOREGROUND=1 wireguard-go -f "$ifc" \
    </dev/null >"$STATE/$tag.log" 2>&1 9>&- &
  echo $! >"$STATE/$tag.pid"
  for _ in $(seq 100); do
    if ip -n "$ns" link show "$ifc" >/dev/null 2>&1 && [[ -S /var/run/wireguard/$ifc.sock ]]; then
      return 0
    fi
    [[ -d /proc/$(cat "$STATE/$tag.pid") ]] || { log "wireguard-go $ifc died: $(cat "$STATE/$tag.log")"; return 1; }
    sleep 0.05
  done
  log "wireguard-go $ifc did not come up"
  return 1
}

up() {
  check >/dev/null
  down
  mkdir -p "$STATE"
  trap 'down' ERR INT TERM
  # 0. leak guard first: the root namespace can never route to the testbed addresses.
  for addr in $UNDER_A $UNDER_B $TUN_A $TUN_B; do
    ip route add blackhole "$addr/32"
  done
  # 1. namespaces and the underlay veth.
  ip netns add "$NS_A"
  ip netns add "$NS_B"
  ip -n "$NS_A" link set lo up
  ip -n "$NS_B" link set lo up
  ip link add "$VETH_A" type veth peer name "$VETH_B"
  ip link set "$VETH_A" netns "$NS_A"
  ip link set "$VETH_B" netns "$NS_B"
  ip -n "$NS_A" addr add "$UNDER_A/30" dev "$VETH_A"
  ip -n "$NS_B" addr add "$UNDER_B/30" dev "$VETH_B"
  ip -n "$NS_A" link set "$VETH_A" up
  ip -n "$NS_B" link set "$VETH_B" up
  # 2. WireGuard over it.
  (umask 077; wg genkey >"$STATE/a.key"; wg genkey >"$STATE/b.key")
  wg pubkey <"$STATE/a.key" >"$STATE/a.pub"
  wg pubkey <"$STATE/b.key" >"$STATE/b.pub"
  start_wg "$NS_A" "$WG_A" wg-a
  start_wg "$NS_B" "$WG_B" wg-b
  ip netns exec "$NS_A" wg set "$WG_A" listen-port $WG_PORT private-key "$STATE/a.key" \
    peer "$(cat "$STATE/b.pub")" endpoint "$UNDER_B:$WG_PORT" allowed-ips "$TUN_B/32"
  ip netns exec "$NS_B" wg set "$WG_B" listen-port $WG_PORT private-key "$STATE/b.key" \
    peer "$(cat "$STATE/a.pub")" endpoint "$UNDER_A:$WG_PORT" allowed-ips "$TUN_A/32"
  ip -n "$NS_A" addr add "$TUN_A/32" peer "$TUN_B/32" dev "$WG_A"
  ip -n "$NS_B" addr add "$TUN_B/32" peer "$TUN_A/32" dev "$WG_B"
  ip -n "$NS_A" link set "$WG_A" mtu 1420 up
  ip -n "$NS_B" link set "$WG_B" mtu 1420 up
  # 3. the guard: the veth carries WireGuard's UDP and nothing else (reject, not drop, so a
  #    bypass attempt fails at once instead of timing out).
  ip netns exec "$NS_A" nft -f - <<NFT
table inet sgw_guard {
  chain output {
    type filter hook output priority 0; policy accept;
    oifname "$VETH_A" ip daddr $UNDER_B udp dport $WG_PORT accept
    oifname "$VETH_A" meta l4proto tcp reject with tcp reset
    oifname "$VETH_A" reject with icmpx type admin-prohibited
  }
}
NFT
  ip netns exec "$NS_B" nft -f - <<NFT
table inet sgw_guard {
  chain input {
    type filter hook input priority 0; policy accept;
    iifname "$VETH_B" ip saddr $UNDER_A udp dport $WG_PORT accept
    iifname "$VETH_B" meta l4proto tcp reject with tcp reset
    iifname "$VETH_B" reject with icmpx type admin-prohibited
  }
}
NFT
  trap - ERR INT TERM
  cat <<ENV | tee "$STATE/env"
SGW_NS_A=$NS_A
SGW_NS_B=$NS_B
SGW_WG_A=$WG_A
SGW_WG_B=$WG_B
SGW_VETH_A=$VETH_A
SGW_TUN_A=$TUN_A
SGW_TUN_B=$TUN_B
SGW_UNDER_B=$UNDER_B
SGW_WG_A_PID=$(cat "$STATE/wg-a.pid")
SGW_WG_B_PID=$(cat "$STATE/wg-b.pid")
ENV
}

# One testbed per machine: concurrent up/down calls wait for each other.
mkdir -p /run/lock
exec 9>/run/lock/shepgw-vpn-testbed.lock
flock -w 120 9 || { log "could not take /run/lock/shepgw-vpn-testbed.lock"; exit 1; }

case ${1:-} in
  check) check; echo "OK" ;;
  up) up ;;
  down) down ;;
  *) echo "usage: $0 check|up|down" >&2; exit 2 ;;
esac
