#!/usr/bin/env bash
# End-to-end HTTPS load benchmark: shepgw against nginx as a plain HTTPS reverse proxy and
# against the RSA signing limit, on loopback. See docs/performance.md ("End-to-end load").
#
#   bench/run-load.sh [--quick|--full]       (quick: <2 minutes, 1 run each; full: ~8-15 minutes,
#                                             3 clean runs each, medians)
#   BUILD_DIR   build tree (default: build/ in the repository)
#
# Starts (all on 127.0.0.1, every process stopped by PID on exit): nginx as the fixed-response
# upstream (plain HTTP, `return 200` with a SendMessageResponse), nginx as the HTTPS reverse
# proxy to it, three shepgw instances (a: verify+forward; b-rsa / b-ec: full path with an RSA /
# ECDSA gateway key), and wrk with bench/load/post.lua posting pre-generated signed messages.
# Writes build/bench/load-<date>.json and prints the table.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
MODE=quick
case ${1:-} in
  --quick | "") MODE=quick ;;
  --full) MODE=full ;;
  *) echo "usage: $0 [--quick|--full]" >&2; exit 2 ;;
esac

if [[ $MODE == quick ]]; then
  REPS=1 DUR=3 BY_DUR=3 SINGLE_DUR=1 N2K=200 RETRIES=0 RETRY_BUDGET=0
else
  REPS=3 DUR=8 BY_DUR=8 SINGLE_DUR=3 N2K=1000 RETRIES=3 RETRY_BUDGET=360
fi
CONNS=16 THREADS=2 MIN_CORES=1.8

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# --- tools (benchmark-only packages: installed here, idempotently) -------------------------
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || need+=(nginx-light)
command -v curl >/dev/null || need+=(curl)
command -v cc >/dev/null || need+=(gcc)
if ((${#need[@]})); then
  log "installing ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3

if [[ ! -f $BUILD_DIR/build.ninja && ! -f $BUILD_DIR/Makefile ]]; then
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$BUILD_DIR" --target shepgw >/dev/null
SHEPGW=$BUILD_DIR/src/app/shepgw

OUT=$BUILD_DIR/bench/load
mkdir -p "$OUT"
PROBE=$OUT/cpuprobe
if [[ ! -x $PROBE || $ROOT/bench/load/cpuprobe.c -nt $PROBE ]]; then
  cc -O2 -Wall -Wextra -Werror -pthread "$ROOT/bench/load/cpuprobe.c" -o "$PROBE"
fi

# --- PKI and messages (cached in build/bench/load/data; regenerated after 7 days: CRLs) ----
DATA=$OUT/data
if [[ -d $DATA && -n $(find "$DATA" -maxdepth 0 -mtime +7) ]]; then rm -rf "$DATA"; fi
mkdir -p "$DATA"
"$ROOT/scripts/gen-test-pki.sh" "$DATA/pki" >/dev/null
"$ROOT/scripts/gen-wss-test-pki.sh" "$DATA/wpki" >/dev/null
W=$DATA/wpki
SENDER=bench-system SERVICE=GBDFL_UniversalServiceSync

# size label, unsigned bytes, count
SIZES=("1k 1024 100" "2k 2048 $N2K" "10k 10240 100" "100k 102400 30" "1m 1048576 6" "10m 10485760 3")
for spec in "${SIZES[@]}"; do
  read -r label bytes count <<<"$spec"
  dir=$DATA/msgs/$label
  if [[ -f $dir/list && $(wc -l <"$dir/list") -ge $count ]]; then continue; fi
  log "generating $count signed ${label} messages"
  rm -rf "$dir" && mkdir -p "$dir/unsigned"
  "$PY" "$ROOT/bench/load/gen_messages.py" "$dir/unsigned" "$bytes" "$count" "$SENDER" "$SERVICE"
  (cd "$dir/unsigned" && ls) | xargs -P 2 -I{} sh -c \
    "'$SHEPGW' sign --key '$W/signer-rsa.key' --cert '$W/signer-rsa.pem' < '$dir/unsigned/{}' > '$dir/{}'"
  rm -rf "$dir/unsigned"
  ls "$dir"/*.xml >"$dir/list"
done

# --- processes ---------------------------------------------------------------------------
WORK=$(mktemp -d /tmp/shepgw-load.XXXXXX)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 1 30); do
    local alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ulimit -n 65536 2>/dev/null || ulimit -n 4096

free_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_line() { # file prefix -> value after prefix
  for _ in $(seq 1 100); do
    if grep -q "^$2 " "$1" 2>/dev/null; then awk -v p="$2" '$1==p {print $2; exit}' "$1"; return 0; fi
    sleep 0.1
  done
  log "no '$2' line in $1:"; cat "${1%.out}.log" >&2 || true
  return 1
}
wait_http() { # url
  for _ in $(seq 1 100); do
    curl -sk -o /dev/null "$1" && return 0
    sleep 0.1
  done
  log "$1 does not answer"; return 1
}

UPSTREAM_BODY=$(tr -d '\n' <<'XML'
<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:shep="http://bip.bee.kz/SyncChannel/v10/Types"><SOAP-ENV:Header></SOAP-ENV:Header><SOAP-ENV:Body><shep:SendMessageResponse><response><responseInfo><messageId>f7de5f3f-444c-460e-8a7a-0497bcad39ce</messageId><correlationId>bench</correlationId><responseDate>2026-11-22T14:00:43.607Z</responseDate><status><code>SCSS001</code><message>Message has been processed successfully</message></status><sessionId>{ee54c31b-e7c0-4292-9544-9b6700aed3ed}</sessionId></responseInfo><responseData><data><standinEcho><messageId>bench</messageId><serviceId>GBDFL_UniversalServiceSync</serviceId></standinEcho></data></responseData></response></shep:SendMessageResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>
XML
)

nginx_common() { # prefix dir, worker processes
  mkdir -p "$1/tmp"
  cat <<CONF
daemon off;
worker_processes $2;
pid $1/nginx.pid;
error_log stderr warn;
worker_rlimit_nofile 8192;
events { worker_connections 4096; }
CONF
}
temp_paths() {
  echo "client_body_temp_path $1/tmp/body; proxy_temp_path $1/tmp/proxy;"
  echo "fastcgi_temp_path $1/tmp/fcgi; uwsgi_temp_path $1/tmp/uwsgi; scgi_temp_path $1/tmp/scgi;"
}

# Upstream: nginx, plain HTTP, one worker, a fixed SendMessageResponse for any POST.
UP_PORT=$(free_port)
UPD=$WORK/nginx-up
mkdir -p "$UPD"
{
  nginx_common "$UPD" 1
  cat <<CONF
http {
  access_log off; $(temp_paths "$UPD")
  client_max_body_size 0; keepalive_requests 1000000; keepalive_timeout 120s;
  server {
    listen 127.0.0.1:$UP_PORT;
    location / { default_type "text/xml; charset=utf-8"; return 200 '$UPSTREAM_BODY'; }
  }
}
CONF
} >"$UPD/nginx.conf"
"$NGINX" -p "$UPD/" -c "$UPD/nginx.conf" -e stderr 2>"$UPD/err.log" &
pids+=($!)
UP_PID=$!

# Reference: nginx as a plain HTTPS reverse proxy (same certificate and cipher list as shepgw).
NG_PORT=$(free_port)
NGD=$WORK/nginx-proxy
mkdir -p "$NGD"
{
  nginx_common "$NGD" 2
  cat <<CONF
http {
  access_log off; $(temp_paths "$NGD")
  client_max_body_size 0; client_body_buffer_size 1m;
  keepalive_requests 1000000; keepalive_timeout 120s;
  ssl_protocols TLSv1.2 TLSv1.3;
  ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!MD5:!DSS;
  upstream shep { server 127.0.0.1:$UP_PORT; keepalive 64; }
  server {
    listen 127.0.0.1:$NG_PORT ssl;
    ssl_certificate $DATA/pki/server.pem; ssl_certificate_key $DATA/pki/server.key;
    location / {
      proxy_pass http://shep; proxy_http_version 1.1; proxy_set_header Connection "";
    }
  }
}
CONF
} >"$NGD/nginx.conf"
"$NGINX" -p "$NGD/" -c "$NGD/nginx.conf" -e stderr 2>"$NGD/err.log" &
pids+=($!)
NG_PID=$!

# shepgw instances. Logging: level warn and no access log (kept out of the measurement).
gw_config() { # sign(true|false) gateway-key-name algorithm workers
  cat <<YAML
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
  workers: $4
  max_connections: 4000
  queue_size: 2000
  max_requests_per_connection: 1000000
  idle_timeout: 120s
wss:
  allowed_algorithms: [rsa-sha256, ecdsa-sha256]
  sign_forwarded: $1
  sign_responses: $1
trust:
  anchors: [$W/root.pem]
  intermediates: [$W/inter.pem]
  crls: [$W/inter.crl.pem, $W/root.crl.pem]
gateway_key:
  cert: $W/$2.pem
  key: $W/$2.key
  algorithm: $3
participants:
  - sender_id: $SENDER
    certificates: [$W/signer-rsa.pem]
    services: [$SERVICE]
routes:
  - service_id: $SERVICE
    upstreams: ["http://127.0.0.1:$UP_PORT/bip-sync/"]
    timeout: 120s
YAML
}
declare -A GW_PID GW_PORT
start_gw() { # name sign key alg workers
  local name=$1
  gw_config "$2" "$3" "$4" "$5" >"$WORK/$name.yaml"
  env ${GW_ENV:-} "$SHEPGW" serve --config "$WORK/$name.yaml" >"$WORK/$name.out" 2>"$WORK/$name.log" &
  pids+=($!)
  GW_PID[$name]=$!
  GW_PORT[$name]=$(wait_line "$WORK/$name.out" LISTENING)
}
GW_WORKERS=64
start_gw a false gateway-rsa rsa-sha256 $GW_WORKERS
start_gw b-rsa true gateway-rsa rsa-sha256 $GW_WORKERS
start_gw b-ec true gateway-ec ecdsa-sha256 $GW_WORKERS
wait_http "http://127.0.0.1:$UP_PORT/"
wait_http "https://127.0.0.1:$NG_PORT/"

rss_kb() { # pid... -> sum of VmRSS (or field $FIELD) in kB
  local f=${FIELD:-VmRSS} t=0 p v
  for p in "$@"; do v=$(awk -v f="$f:" '$1==f {print $2}' "/proc/$p/status"); t=$((t + ${v:-0})); done
  echo $t
}
nginx_pids() { echo "$1" $(pgrep -P "$1" || true); }
sleep 1
IDLE_RSS_B=$(rss_kb "${GW_PID[b-rsa]}")

URL_DIRECT="http://127.0.0.1:$UP_PORT/bip-sync/"
URL_NGINX="https://127.0.0.1:$NG_PORT/bip-sync-wss-gost/"
url_of() {
  case $1 in
    direct) echo "$URL_DIRECT" ;;
    nginx) echo "$URL_NGINX" ;;
    *) echo "https://127.0.0.1:${GW_PORT[$1]}/bip-sync-wss-gost/" ;;
  esac
}
pids_of() {
  case $1 in
    direct) nginx_pids "$UP_PID" ;;
    nginx) nginx_pids "$NG_PID" ;;
    *) echo "${GW_PID[$1]}" ;;
  esac
}

# Sanity: one request through every path must answer 200 (a signed answer from b-*).
for s in direct nginx a b-rsa b-ec; do
  code=$(curl -sk -o "$WORK/sanity-$s.xml" -w '%{http_code}' -H 'Content-Type: text/xml' \
    --data-binary @"$(head -1 "$DATA/msgs/2k/list")" "$(url_of "$s")")
  if [[ $code != 200 ]]; then log "sanity: $s answered $code"; cat "$WORK/sanity-$s.xml" >&2; exit 1; fi
done
grep -q 'SignatureValue' "$WORK/sanity-b-rsa.xml" || { log "sanity: b-rsa answer not signed"; exit 1; }

# --- measurement primitives ----------------------------------------------------------------
CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo $t; }
LAST_PROBE="" LAST_PROBE_AT=0
probe() { "$PROBE" 2 1 | sed 's/cores=//'; }
RUNS=$WORK/runs.jsonl
: >"$RUNS"

# run NAME SIZE CONNS THREADS DURATION RATE [TAG]: one wrk run, probed before and after;
# repeated (up to RETRIES more times) when the probe saw fewer than MIN_CORES cores.
run() {
  local name=$1 size=$2 conns=$3 threads=$4 dur=$5 rate=$6 tag=${7:-} attempt pb pa c0 c1 clean
  local url tp
  url=$(url_of "$name")
  read -r -a tp <<<"$(pids_of "$name")"
  for ((attempt = 0; attempt <= RETRIES; attempt++)); do
    if [[ -n $LAST_PROBE ]] && (($(date +%s) - LAST_PROBE_AT <= 3)); then pb=$LAST_PROBE; else pb=$(probe); fi
    c0=$(cpu_ticks "${tp[@]}")
    local perf_pid=""
    if [[ -n ${PROFILE:-} && $tag == peak && $name != direct && ! -f $OUT/perf-$name.txt ]]; then
      # PROFILE=1: one cpu-clock call-graph profile of each path's first peak run
      timeout $((dur + 10)) perf record -q -e cpu-clock -g -o "$OUT/perf-$name.data" \
        -p "$(echo "${tp[@]}" | tr ' ' ,)" -- sleep $((dur - 1)) >/dev/null 2>&1 &
      perf_pid=$!
    fi
    WRK_OUT=$WORK/wrk.json WRK_THREADS=$threads WRK_RATE=$rate \
      timeout $((dur + 90)) wrk -t"$threads" -c"$conns" -d"${dur}s" --timeout 60s \
      -s "$ROOT/bench/load/post.lua" "$url" -- "$DATA/msgs/$size/list" >"$WORK/wrk.txt" 2>&1 || true
    c1=$(cpu_ticks "${tp[@]}")
    if [[ -n $perf_pid ]]; then
      wait "$perf_pid" || true
      perf report -i "$OUT/perf-$name.data" --stdio --no-children --sort dso,symbol \
        --percent-limit 0.7 -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -60 >"$OUT/perf-$name.txt" || true
    fi
    pa=$(probe)
    LAST_PROBE=$pa LAST_PROBE_AT=$(date +%s)
    clean=$(awk -v a="$pb" -v b="$pa" -v m=$MIN_CORES 'BEGIN {print (a >= m && b >= m) ? "true" : "false"}')
    [[ -s $WORK/wrk.json ]] || echo '{"requests": 0, "duration_us": 1, "bytes": 0, "errors": {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0, "failed": 1}, "latency_us": {"p50": 0, "p90": 0, "p99": 0, "max": 0, "mean": 0}}' >"$WORK/wrk.json"
    printf '{"scenario": "%s", "size": "%s", "conns": %s, "threads": %s, "duration_s": %s, "rate": %s, "tag": "%s", "attempt": %s, "probe_before": %s, "probe_after": %s, "clean": %s, "cpu_s": %s, "rss_kb": %s, "hwm_kb": %s, "wrk": %s}\n' \
      "$name" "$size" "$conns" "$threads" "$dur" "$rate" "$tag" "$attempt" "$pb" "$pa" "$clean" \
      "$(awk -v a="$c0" -v b="$c1" -v t="$CLK_TCK" 'BEGIN {printf "%.2f", (b - a) / t}')" \
      "$(rss_kb "${tp[@]}")" "$(FIELD=VmHWM rss_kb "${tp[@]}")" "$(cat "$WORK/wrk.json")" >>"$RUNS"
    rm -f "$WORK/wrk.json"
    log "$name $size c=$conns rate=$rate $tag: $(tail -1 "$RUNS" | "$PY" -c 'import json,sys; r=json.load(sys.stdin); w=r["wrk"]; print("%.0f req/s p99 %.2f ms errors %d probes %.2f/%.2f%s" % (w["requests"]/(w["duration_us"]/1e6), w["latency_us"]["p99"]/1000, sum(w["errors"].values()), r["probe_before"], r["probe_after"], "" if r["clean"] else " NOT CLEAN"))')"
    [[ $clean == true ]] && return 0
    # keep the whole run bounded (full: <= 15 min): no more repeats past the budget (the run stays marked)
    ((SECONDS < RETRY_BUDGET)) || return 0
  done
  return 0
}
median_rate() { # scenario size tag -> median req/s of clean (else all) runs
  "$PY" - "$RUNS" "$@" <<'PYEOF'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
sel = [r for r in runs if r["scenario"] == sys.argv[2] and r["size"] == sys.argv[3] and r["tag"] == sys.argv[4]]
clean = [r for r in sel if r["clean"]] or sel
print(int(statistics.median(r["wrk"]["requests"] / (r["wrk"]["duration_us"] / 1e6) for r in clean)))
PYEOF
}

# --- 1. the crypto limit -------------------------------------------------------------------
log "openssl speed -seconds 3 rsa2048 ecdsap256"
openssl speed -seconds 3 rsa2048 ecdsap256 >"$WORK/speed.txt" 2>/dev/null
SPEED=$(awk '
  /^rsa 2048 bits/ { rs = $6; rv = $7 }
  /nistp256\)/     { es = $(NF-1); ev = $NF }
  END { printf "{\"rsa2048_sign\": %s, \"rsa2048_verify\": %s, \"ecdsap256_sign\": %s, \"ecdsap256_verify\": %s}", rs, rv, es, ev }' "$WORK/speed.txt")
log "openssl: $SPEED"

# --- 2. peak throughput, 2 KB: direct, nginx, a, b-rsa, b-ec (interleaved repetitions) ----
for ((rep = 1; rep <= REPS; rep++)); do
  for s in direct nginx a b-rsa b-ec; do run "$s" 2k $CONNS $THREADS $DUR 0 peak; done
done

# --- 3. latency at half of peak: each path at half its own peak, direct at the same rate ----
HALF_SCEN=(b-rsa)
[[ $MODE == full ]] && HALF_SCEN=(a b-rsa)
for s in "${HALF_SCEN[@]}"; do
  half=$(($(median_rate "$s" 2k peak) / 2))
  for ((rep = 1; rep <= REPS; rep++)); do
    run "$s" 2k $CONNS $THREADS $DUR "$half" "half-$s"
    run direct 2k $CONNS $THREADS $DUR "$half" "half-$s"
  done
done

# --- 4. one core vs two (taskset on every shepgw thread), full path RSA --------------------
CORE_SCEN=(b-rsa)
[[ $MODE == full ]] && CORE_SCEN=(a b-rsa)
for s in "${CORE_SCEN[@]}"; do
  for ((rep = 1; rep <= REPS; rep++)); do
    taskset -a -cp 0 "${GW_PID[$s]}" >/dev/null
    run "$s" 2k $CONNS $THREADS $DUR 0 one-core
    taskset -a -cp 0-$(($(nproc) - 1)) "${GW_PID[$s]}" >/dev/null
    run "$s" 2k $CONNS $THREADS $DUR 0 two-cores
  done
done

# --- 5. BY-1 service levels, full path RSA: single requests, then 20x the row's rate -------
# size, the row's rate (req/s), single limit (s), under-load limit (s) — responses < 10 KB.
BY1=("1k 100 0.5 2" "10k 100 0.5 2" "100k 8.3333 1 3" "1m 0.83333 8 10" "10m 0.083333 60 60")
for row in "${BY1[@]}"; do
  read -r size rate _ _ <<<"$row"
  run b-rsa "$size" 1 1 $SINGLE_DUR 0 by1-single
  load_rate=$(awk -v r="$rate" 'BEGIN {printf "%.3f", r * 20}')
  conns=$(awk -v r="$load_rate" 'BEGIN {c = int(r / 10); if (c < 2) c = 2; if (c > 32) c = 32; print c}')
  threads=2
  ((conns < threads)) && threads=$conns
  run b-rsa "$size" "$conns" "$threads" $BY_DUR "$load_rate" by1-load
done

# --- 6. memory: 1 000 idle keep-alive TLS connections; one 10 MB message ------------------
MEM=$WORK/mem.json
# The bench's own worker count: idle keep-alive connections are parked in the front end's
# poller and hold no worker (before that, 1 000 idle connections needed 1 024 workers).
start_gw m true gateway-rsa rsa-sha256 $GW_WORKERS
sleep 1
idle_hold() { # port pids... -> "open failed seconds rss_before rss_during"
  local port=$1; shift
  local before during line
  before=$(rss_kb "$@")
  rm -f "$WORK/idle.out"
  timeout 120 "$PY" "$ROOT/bench/load/idle_conns.py" "$port" 1000 "$(head -1 "$DATA/msgs/2k/list")" \
    "$DATA/pki/ca.pem" 60 >"$WORK/idle.out" 2>&1 &
  local ip=$!
  pids+=($ip)
  for _ in $(seq 1 900); do grep -qs '^OPEN' "$WORK/idle.out" && break; sleep 0.1; done
  sleep 1
  during=$(rss_kb "$@")
  line=$(awk '/^OPEN/ {print $2, $3, $4}' "$WORK/idle.out")
  kill "$ip" 2>/dev/null || true
  wait "$ip" 2>/dev/null || true
  echo "${line:-0 1000 0s} $before $during"
}
log "1000 idle keep-alive connections: shepgw (workers $GW_WORKERS)"
read -r gw_open gw_fail gw_secs gw_before gw_during <<<"$(idle_hold "${GW_PORT[m]}" "${GW_PID[m]}")"
log "  open $gw_open failed $gw_fail in $gw_secs; RSS $gw_before -> $gw_during kB"
log "1000 idle keep-alive connections: nginx"
read -r ng_open ng_fail ng_secs ng_before ng_during <<<"$(idle_hold "$NG_PORT" $(nginx_pids "$NG_PID"))"
log "  open $ng_open failed $ng_fail in $ng_secs; RSS $ng_before -> $ng_during kB"
log "72 keep-alive connections to a 64-worker instance (more idle connections than workers)"
read -r w64_open w64_fail w64_secs _ <<<"$(timeout 60 "$PY" "$ROOT/bench/load/idle_conns.py" "${GW_PORT[b-rsa]}" 72 \
  "$(head -1 "$DATA/msgs/2k/list")" "$DATA/pki/ca.pem" 0 1 2>&1 | awk '/^OPEN/ {print $2, $3, $4, "x"}')"
log "  72 connections, 64 workers, 1 s timeout each: open $w64_open failed $w64_fail in $w64_secs"

# One 10 MB message on a fresh instance (64 workers, full path RSA), so that the growth is
# the message's alone.
start_gw m10 true gateway-rsa rsa-sha256 $GW_WORKERS
sleep 1
echo 5 >"/proc/${GW_PID[m10]}/clear_refs" # reset VmHWM to the current RSS
m_before=$(rss_kb "${GW_PID[m10]}")
big=$(head -1 "$DATA/msgs/10m/list")
code=$(curl -sk -o /dev/null -w '%{http_code} %{time_total}' -H 'Content-Type: text/xml' \
  --max-time 120 --data-binary @"$big" "$(url_of m10)")
m_hwm=$(FIELD=VmHWM rss_kb "${GW_PID[m10]}")
log "10 MB message: HTTP ${code% *} in ${code#* } s; RSS $m_before kB -> peak $m_hwm kB"
cat >"$MEM" <<JSON
{"idle_rss_kb_workers64": $IDLE_RSS_B,
 "idle_conns": {"shepgw": {"open": $gw_open, "failed": $gw_fail, "rss_before_kb": $gw_before, "rss_during_kb": $gw_during, "workers": $GW_WORKERS},
                "nginx": {"open": $ng_open, "failed": $ng_fail, "rss_before_kb": $ng_before, "rss_during_kb": $ng_during},
                "shepgw_64_workers_72_conns": {"open": $w64_open, "failed": $w64_fail}},
 "msg10m": {"bytes": $(stat -c %s "$big"), "http": "${code% *}", "seconds": ${code#* }, "rss_before_kb": $m_before, "hwm_kb": $m_hwm}}
JSON

# --- report ----------------------------------------------------------------------------------
STAMP=$(date -u +%Y-%m-%dT%H%MZ)
MACHINE="$(nproc) vCPU, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(. /etc/os-release && echo "$PRETTY_NAME"), $(openssl version | cut -d' ' -f1-2), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), nginx $("$NGINX" -v 2>&1 | cut -d/ -f2)"
"$PY" "$ROOT/bench/load/report.py" --mode "$MODE" --runs "$RUNS" --speed "$SPEED" --mem "$MEM" \
  --machine "$MACHINE" --date "$STAMP" --json "$BUILD_DIR/bench/load-$STAMP.json"
