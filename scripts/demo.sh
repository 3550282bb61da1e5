#!/usr/bin/env bash
# The README's demo command: installs what is missing, builds shepgw, generates a throw-away
# test PKI, starts the stand-in ShEP and the gateway on loopback, sends one real HTTPS SOAP
# SendMessage through it and prints the answer. Then the gateway keeps running until Ctrl-C
# (or exits at once with --once).
set -euo pipefail
cd "$(dirname "$0")/.."
ONCE=0
[[ ${1:-} == "--once" ]] && ONCE=1

scripts/install-deps.sh
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" --target shepgw shep-standin

DEMO="$BUILD_DIR/demo"
mkdir -p "$DEMO"
scripts/gen-test-pki.sh "$DEMO/pki"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

wait_port() {  # file → port from its "LISTENING <port>" line
  for _ in $(seq 1 100); do
    if grep -q '^LISTENING ' "$1" 2>/dev/null; then
      awk '/^LISTENING /{print $2; exit}' "$1"
      return 0
    fi
    sleep 0.1
  done
  echo "demo: $1: no LISTENING line" >&2
  return 1
}

"$BUILD_DIR/src/standin/shep-standin" --port 0 >"$DEMO/standin.out" 2>"$DEMO/standin.log" &
pids+=($!)
UPSTREAM_PORT=$(wait_port "$DEMO/standin.out")

cat >"$DEMO/shepgw.yaml" <<YAML
# Demo configuration written by scripts/demo.sh (see config/shepgw.example.yaml for production).
listen:
  address: 127.0.0.1
  port: 0
  tls:
    cert: $PWD/$DEMO/pki/server.pem
    key: $PWD/$DEMO/pki/server.key
logging:
  level: info
routes:
  - service_id: GBDFL_UniversalServiceSync
    upstreams: ["http://127.0.0.1:$UPSTREAM_PORT/bip-sync/"]
    timeout: 10s
YAML
"$BUILD_DIR/src/app/shepgw" check-config --config "$DEMO/shepgw.yaml"
"$BUILD_DIR/src/app/shepgw" serve --config "$DEMO/shepgw.yaml" >"$DEMO/shepgw.out" 2>"$DEMO/shepgw.log" &
pids+=($!)
PORT=$(wait_port "$DEMO/shepgw.out")
URL="https://127.0.0.1:$PORT/bip-sync-wss-gost/"

MSGID=$(cat /proc/sys/kernel/random/uuid)
cat >"$DEMO/request.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">
  <SOAP-ENV:Header/>
  <SOAP-ENV:Body>
    <ns3:SendMessage xmlns:ns3="http://bip.bee.kz/SyncChannel/v10/Types">
      <request>
        <requestInfo>
          <messageId>$MSGID</messageId>
          <serviceId>GBDFL_UniversalServiceSync</serviceId>
          <messageDate>$(date -u +%Y-%m-%dT%H:%M:%S.000Z)</messageDate>
          <sender><senderId>demo-system</senderId></sender>
        </requestInfo>
        <requestData><data><iin>931002451325</iin></data></requestData>
      </request>
    </ns3:SendMessage>
  </SOAP-ENV:Body>
</SOAP-ENV:Envelope>
XML

echo
echo "== POST $URL  (messageId $MSGID)"
curl -sS --cacert "$DEMO/pki/ca.pem" -H 'Content-Type: text/xml; charset=utf-8' \
  --data-binary @"$DEMO/request.xml" -w '\n== HTTP %{http_code}\n' "$URL" | tee "$DEMO/response.xml"
echo "== gateway access log:"
grep 'access' "$DEMO/shepgw.log" | tail -1
echo
if ((ONCE)); then
  exit 0
fi
echo "shepgw is running on $URL  (WSDL: ${URL}?wsdl)"
echo "Try:  curl --cacert $DEMO/pki/ca.pem -H 'Content-Type: text/xml' --data-binary @$DEMO/request.xml $URL"
echo "Logs: $DEMO/shepgw.log   Stop: Ctrl-C"
wait "${pids[1]}"
