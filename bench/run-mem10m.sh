#!/usr/bin/env bash
# Peak memory of one 10 MB request (issue #7, docs/performance.md): the RSS growth of a fresh
# gateway (full path: verify, re-sign with the RSA gateway key, forward, sign the answer;
# 64 workers) while it serves one message, as bench/run-load.sh section 6 measures it
# (`echo 5 > /proc/PID/clear_refs`, then VmHWM), for two payloads of ~10 MB:
#   records  the load benchmark's message (bench/load/gen_messages.py: Cyrillic records)
#   base64   one base64 document in requestData/data (how large ShEP messages usually look)
#
#   bench/run-mem10m.sh [RUNS]     (default 3 runs per payload, each on a new gateway)
#   SHEPGW   the binary to measure (default: build/src/app/shepgw; the signing of the test
#            messages uses it too)
# Prints one line per run and the median growth ÷ message size per payload.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
SHEPGW=${SHEPGW:-$BUILD_DIR/src/app/shepgw}
RUNS=${1:-3}
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[[ -x $NGINX ]] || { echo "nginx is needed (bench/run-load.sh installs it)" >&2; exit 1; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

DATA=$BUILD_DIR/bench/mem10m
mkdir -p "$DATA"
"$ROOT/scripts/gen-test-pki.sh" "$DATA/pki" >/dev/null
"$ROOT/scripts/gen-wss-test-pki.sh" "$DATA/wpki" >/dev/null
W=$DATA/wpki
SENDER=bench-system SERVICE=GBDFL_UniversalServiceSync

sign() { # unsigned signed
  "$SHEPGW" sign --key "$W/signer-rsa.key" --cert "$W/signer-rsa.pem" <"$1" >"$2"
}
if [[ ! -s $DATA/records.xml ]]; then
  log "generating the records message"
  rm -rf "$DATA/u" && mkdir -p "$DATA/u"
  "$PY" "$ROOT/bench/load/gen_messages.py" "$DATA/u" 10485760 1 "$SENDER" "$SERVICE"
  sign "$DATA/u/00000.xml" "$DATA/records.xml"
  rm -rf "$DATA/u"
fi
if [[ ! -s $DATA/base64.xml ]]; then
  log "generating the base64 message"
  "$PY" - "$DATA/base64.unsigned.xml" "$SENDER" "$SERVICE" <<'PY'
import base64, datetime, os, sys, uuid
out, sender, service = sys.argv[1:4]
date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
doc = base64.b64encode(os.urandom(7_800_000)).decode()  # ~10.4 MB of base64, one line
xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<SOAP-ENV:Envelope xmlns:SOAP-ENV='
       '"http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Header/><SOAP-ENV:Body>'
       '<ns3:SendMessage xmlns:ns3="http://bip.bee.kz/SyncChannel/v10/Types"><request>'
       f'<requestInfo><messageId>{uuid.uuid4()}</messageId><serviceId>{service}</serviceId>'
       f'<messageDate>{date}</messageDate><sender><senderId>{sender}</senderId></sender>'
       '</requestInfo><requestData><data><document><name>scan.pdf</name>'
       '<mimeType>application/pdf</mimeType><content>' + doc + '</content></document></data>'
       '</requestData></request></ns3:SendMessage></SOAP-ENV:Body></SOAP-ENV:Envelope>\n')
open(out, "w").write(xml)
PY
  sign "$DATA/base64.unsigned.xml" "$DATA/base64.xml"
  rm -f "$DATA/base64.unsigned.xml"
fi

WORK=$(mktemp -d /tmp/shepgw-mem10m.XXXXXX)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# The upstream: nginx, plain HTTP, a fixed SendMessageResponse for any POST.
UP_PORT=$(free_port)
mkdir -p "$WORK/up/tmp"
cat >"$WORK/up/nginx.conf" <<CONF
daemon off; worker_processes 1; pid $WORK/up/nginx.pid; error_log stderr warn;
events { worker_connections 64; }
http {
  access_log off; client_max_body_size 0; client_body_temp_path $WORK/up/tmp/body;
  proxy_temp_path $WORK/up/tmp/p; fastcgi_temp_path $WORK/up/tmp/f; uwsgi_temp_path $WORK/up/tmp/u;
  scgi_temp_path $WORK/up/tmp/s;
  server {
    listen 127.0.0.1:$UP_PORT;
    location / { default_type "text/xml; charset=utf-8"; return 200 '<?xml version="1.0" encoding="UTF-8"?><S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body><ns:SendMessageResponse xmlns:ns="http://bip.bee.kz/SyncChannel/v10/Types"><response><responseInfo><messageId>m</messageId></responseInfo></response></ns:SendMessageResponse></S:Body></S:Envelope>'; }
  }
}
CONF
"$NGINX" -p "$WORK/up/" -c "$WORK/up/nginx.conf" -e stderr 2>"$WORK/up/err.log" &
pids+=($!)

cat >"$WORK/gw.yaml" <<YAML
listen:
  address: 127.0.0.1
  port: 0
  tls:
    cert: $DATA/pki/server.pem
    key: $DATA/pki/server.key
admin:
  address: 127.0.0.1
  port: 0
logging:
  level: warn
  access_log: false
limits:
  workers: 64
wss:
  allowed_algorithms: [rsa-sha256, ecdsa-sha256]
trust:
  anchors: [$W/root.pem]
  intermediates: [$W/inter.pem]
  crls: [$W/inter.crl.pem, $W/root.crl.pem]
gateway_key:
  cert: $W/gateway-rsa.pem
  key: $W/gateway-rsa.key
  algorithm: rsa-sha256
participants:
  - sender_id: $SENDER
    certificates: [$W/signer-rsa.pem]
    services: [$SERVICE]
routes:
  - service_id: $SERVICE
    upstreams: ["http://127.0.0.1:$UP_PORT/bip-sync/"]
    timeout: 120s
YAML

kb() { awk -v f="$2:" '$1==f {print $2}' "/proc/$1/status"; }
for kind in records base64; do
  msg=$DATA/$kind.xml
  bytes=$(stat -c %s "$msg")
  ratios=()
  for run in $(seq 1 "$RUNS"); do
    "$SHEPGW" serve --config "$WORK/gw.yaml" >"$WORK/gw.out" 2>"$WORK/gw.log" &
    gw=$!
    port=
    for _ in $(seq 1 100); do
      port=$(awk '$1=="LISTENING" {print $2; exit}' "$WORK/gw.out" 2>/dev/null)
      [[ -n $port ]] && break
      sleep 0.1
    done
    [[ -n $port ]] || { cat "$WORK/gw.log" >&2; kill "$gw"; exit 1; }
    sleep 1
    echo 5 >"/proc/$gw/clear_refs" # VmHWM := the current RSS
    before=$(kb "$gw" VmRSS)
    code=$(curl -sk -o "$WORK/answer.xml" -w '%{http_code} %{time_total}' -H 'Content-Type: text/xml' \
      --max-time 120 --data-binary @"$msg" "https://127.0.0.1:$port/bip-sync/")
    hwm=$(kb "$gw" VmHWM)
    kill -TERM "$gw"
    wait "$gw" 2>/dev/null || true
    ratio=$(awk -v h="$hwm" -v b="$before" -v n="$bytes" 'BEGIN {printf "%.2f", (h - b) * 1024 / n}')
    ratios+=("$ratio")
    echo "$kind run $run: $bytes bytes, HTTP ${code% *} in ${code#* } s, RSS $before kB -> peak $hwm kB, growth ${ratio}x"
  done
  median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "$kind: median growth ${median}x the message ($bytes bytes)"
done
