#!/usr/bin/env bash
# ctest check_config_gost: `shepgw check-config` accepts a configuration whose trust material is
# an NCA-style GOST hierarchy (with its CRLs) and whose gateway key is gost2015-512 from a
# PKCS#12 container, prints every GOST CA's key algorithm and computed key id (= the SKI NCA
# writes), and names the cause when the container's password is wrong.
#   check-config-gost.sh SHEPGW_BIN GEN_GOST_TEST_PKI SOURCE_DIR WORK_DIR
set -euo pipefail
BIN=$1 GEN=$2 SRC=$3 WORK=$4
rm -rf "$WORK"
mkdir -p "$WORK"
GEN_GOST_TEST_PKI=$GEN bash "$SRC/scripts/gen-gost-test-pki.sh" "$WORK/pki"
# listen.tls is required; any RSA pair will do for check-config.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/tls.key" -out "$WORK/tls.pem" \
  -subj /CN=localhost -days 2 2>/dev/null
printf 'test\n' >"$WORK/p12.pass"
chmod 600 "$WORK/p12.pass"
P=$WORK/pki
cat >"$WORK/gw.yaml" <<YAML
listen:
  port: 0
  paths: [/bip-sync-wss-gost/]
  tls:
    cert: $WORK/tls.pem
    key: $WORK/tls.key
wss: {}
trust:
  anchors: [$P/root.pem]
  intermediates: [$P/inter.pem]
  crls: [$P/root.crl.pem, $P/inter.crl.pem]
gateway_key:
  algorithm: gost2015-512
  pkcs12: $P/gateway.p12
  password_file: $WORK/p12.pass
participants:
  - sender_id: GOST_IS
    certificates: [$P/signer.pem]
    services: ["*"]
routes:
  - service_id: S
    upstreams: [http://127.0.0.1:9/]
YAML
out=$("$BIN" check-config --config "$WORK/gw.yaml" 2>&1) || {
  echo "check-config refused the GOST configuration:"
  echo "$out"
  exit 1
}
echo "$out"
grep -q "is valid" <<<"$out"
for ca in root inter; do
  id=$(openssl x509 -in "$P/$ca.pem" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' :' |
    tr 'A-F' 'a-f')
  grep -q "'$P/$ca.pem': GOST CA '.*' (serial [0-9]*): key gost2015-512, key id $id, key sha256 [0-9a-f]\{64\}" <<<"$out" || {
    echo "no key line for $ca (key id $id)"
    exit 1
  }
done
printf 'wrong\n' >"$WORK/p12.pass"
if out=$("$BIN" check-config --config "$WORK/gw.yaml" 2>&1); then
  echo "check-config accepted a wrong container password"
  exit 1
fi
echo "$out"
grep -q "gateway_key.pkcs12 '$P/gateway.p12': PKCS#12: wrong password (MAC check failed)" <<<"$out"
! grep -q wrong <<<"$(grep -v 'wrong password' <<<"$out")"
