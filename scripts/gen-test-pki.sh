#!/usr/bin/env bash
# Generates a throw-away test PKI into DIR (for the demo and the tests; never for production):
#   ca.pem / ca.key            test root CA ("shepgw TEST root CA")
#   server.pem / server.key    TLS server certificate for localhost / 127.0.0.1, signed by the CA
#                              (server.pem holds the certificate followed by the CA: the chain)
#   client.pem / client.key    a TLS client certificate signed by the CA
# Keys are RSA-2048 (fast to generate); nothing here is ever committed.
set -euo pipefail
DIR=${1:?usage: gen-test-pki.sh DIR}
mkdir -p "$DIR"
cd "$DIR"
if [[ -s server.pem && -s ca.pem && -s client.pem ]]; then
  exit 0
fi
umask 077
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 \
  -subj "/CN=shepgw TEST root CA/O=shepgw test/C=KZ" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  2>/dev/null

issue() {  # name subject extensions
  local name=$1 subject=$2 ext=$3
  openssl req -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" -subj "$subject" \
    2>/dev/null
  printf '%b' "$ext" > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
    -extfile "$name.ext" -out "$name.crt" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
}
issue server "/CN=localhost/O=shepgw test/C=KZ" \
  "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n"
cat server.crt ca.pem > server.pem
issue client "/CN=shepgw test client/O=shepgw test/C=KZ" \
  "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n"
mv client.crt client.pem
rm -f server.crt ca.srl
chmod 644 ./*.pem
