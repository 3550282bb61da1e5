#!/usr/bin/env bash
# The README's demo command: installs what is missing, builds shepgw, generates a throw-away
# test PKI, starts the stand-in ShEP and the gateway on loopback, sends one real HTTPS SOAP
# SendMessage through it and prints the answer. Then the gateway keeps running until Ctrl-C
# (or exits at once with --once). With --gost the whole exchange uses Kazakh GOST
# 34.10-2015-512 (a GOST test PKI in NCA's format; the gateway's key in an NCA-style PKCS#12).
set -euo pipefail
cd "$(dirname "$0")/.."
ONCE=0
GOST=0
for arg in "$@"; do
  case $arg in
    --once) ONCE=1 ;;
    --gost) GOST=1 ;;
    *) echo "usage: scripts/demo.sh [--once] [--gost]" >&2; exit 2 ;;
  esac
done

scripts/install-deps.sh
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
TARGETS=(shepgw shep-standin)
((GOST)) && TARGETS+=(gen_gost_test_pki)
cmake --build "$BUILD_DIR" -j"$(nproc)" --target "${TARGETS[@]}"

DEMO="$BUILD_DIR/demo"
mkdir -p "$DEMO"
scripts/gen-test-pki.sh "$DEMO/pki"          # TLS: CA + server certificate
scripts/gen-wss-test-pki.sh "$DEMO/wpki"     # WS-Security: test "national CA", signers, gateway key
if ((GOST)); then
  BUILD_DIR="$BUILD_DIR" scripts/gen-gost-test-pki.sh "$DEMO/gpki"  # the same, GOST in NCA's format
  (umask 077 && printf 'test\n' >"$DEMO/gpki/gateway.p12.password")
  WSS_ALGS="[gost2015-512]"
  TRUST_DIR="$PWD/$DEMO/gpki"
  GATEWAY_KEY="  algorithm: gost2015-512
  pkcs12: $PWD/$DEMO/gpki/gateway.p12
  password_file: $PWD/$DEMO/gpki/gateway.p12.password"
  SIGNER_KEY="$DEMO/gpki/signer.key" SIGNER_CERT="$DEMO/gpki/signer.pem" SIGN_ALG=gost2015-512
else
  WSS_ALGS="[rsa-sha256, ecdsa-sha256]"
  TRUST_DIR="$PWD/$DEMO/wpki"
  GATEWAY_KEY="  cert: $PWD/$DEMO/wpki/gateway-rsa.pem
  key: $PWD/$DEMO/wpki/gateway-rsa.key"
  SIGNER_KEY="$DEMO/wpki/signer-rsa.key" SIGNER_CERT="$DEMO/wpki/signer-rsa.pem" SIGN_ALG=rsa-sha256
fi

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
admin:
  address: 127.0.0.1
  port: 0
logging:
  level: info
wss:
  allowed_algorithms: $WSS_ALGS
trust:
  anchors: [$TRUST_DIR/root.pem]
  intermediates: [$TRUST_DIR/inter.pem]
  crls: [$TRUST_DIR/inter.crl.pem, $TRUST_DIR/root.crl.pem]
gateway_key:
$GATEWAY_KEY
participants:
  - sender_id: demo-system
    certificates: [$PWD/$SIGNER_CERT]
    services: [GBDFL_UniversalServiceSync]
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
ADMIN_PORT=$(awk '/^ADMIN /{print $2; exit}' "$DEMO/shepgw.out")

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

# The external system signs its request (WS-Security transport signature, KeyIdentifier style,
# RSA-SHA256 or GOST 2015-512, no timestamp) — here with shepgw's own offline signer and the
# test signer key.
"$BUILD_DIR/src/app/shepgw" sign --key "$SIGNER_KEY" --cert "$SIGNER_CERT" --algorithm "$SIGN_ALG" \
  < "$DEMO/request.xml" > "$DEMO/request.signed.xml"
echo
echo "== the signed request, as the gateway will judge it:"
"$BUILD_DIR/src/app/shepgw" verify --config "$DEMO/shepgw.yaml" < "$DEMO/request.signed.xml"
echo
echo "== POST $URL  (messageId $MSGID)"
CODE=$(curl -sS --cacert "$DEMO/pki/ca.pem" -H 'Content-Type: text/xml; charset=utf-8' \
  --data-binary @"$DEMO/request.signed.xml" -o "$DEMO/response.xml" -w '%{http_code}' "$URL")
echo "HTTP $CODE (full answer in $DEMO/response.xml)"
xp() { xmllint --xpath "string(//*[local-name()='$1'])" "$DEMO/response.xml" 2>/dev/null || true; }
echo "status: $(xp code) ($(xp message)), correlationId: $(xp correlationId)"
if ((GOST)); then
  echo "== the answer carries the gateway's GOST signature; shepgw verify --response checks it:"
  "$BUILD_DIR/src/app/shepgw" verify --config "$DEMO/shepgw.yaml" --response <"$DEMO/response.xml" || true
else
  echo "== the answer carries the gateway's signature; xmlsec1 checks it:"
  xmlsec1 --verify --pubkey-cert-pem "$DEMO/wpki/gateway-rsa.pem" \
    --id-attr:Id http://schemas.xmlsoap.org/soap/envelope/:Body "$DEMO/response.xml" 2>&1 | head -1
fi
echo "== an unsigned request is refused:"
curl -sS --cacert "$DEMO/pki/ca.pem" -H 'Content-Type: text/xml; charset=utf-8' \
  --data-binary @"$DEMO/request.xml" -w '\n== HTTP %{http_code}\n' "$URL" | grep -o '<errorCode>[^<]*</errorCode>\|== HTTP.*' || true
echo "== gateway access log:"
grep 'access' "$DEMO/shepgw.log" | tail -2
echo
if ((ONCE)); then
  exit 0
fi
echo "shepgw is running on $URL  (WSDL: ${URL}?wsdl)"
echo "Try:  curl --cacert $DEMO/pki/ca.pem -H 'Content-Type: text/xml' --data-binary @$DEMO/request.signed.xml $URL"
echo "Ops:  curl http://127.0.0.1:$ADMIN_PORT/health  (/ready, /metrics)"
echo "Logs: $DEMO/shepgw.log   Stop: Ctrl-C"
wait "${pids[1]}"
