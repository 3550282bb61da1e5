#!/usr/bin/env bash
# Generates the WS-Security test PKI into DIR (tests and demo only; never committed):
#   root.pem/.key            "shepgw TEST NCA root"           (trust anchor)
#   inter.pem/.key           "shepgw TEST NCA intermediate"   (signed by root, issues signers)
#   inter.crl.pem            CRL of the intermediate (revokes signer-revoked), nextUpdate +30d
#   inter-stale.crl.pem      the same CRL with nextUpdate in the past (stale)
#   root.crl.pem             empty CRL of the root
#   other-root.pem/.key      an unrelated root ("untrusted")
#   signer-rsa.pem/.key      RSA-2048 signer, digitalSignature+nonRepudiation   (valid)
#   signer-ec.pem/.key       ECDSA P-256 signer                                 (valid)
#   signer-rsa2.pem/.key     a second valid RSA signer (another participant)
#   signer-expired.*         validity ended yesterday
#   signer-future.*          validity starts in 10 days
#   signer-revoked.*         listed in inter.crl.pem
#   signer-untrusted.*       issued by other-root
#   signer-keyusage.*        keyUsage keyEncipherment only (no digitalSignature/nonRepudiation)
#   gateway-rsa.pem/.key     the gateway's own signing key (RSA-2048)
#   gateway-ec.pem/.key      the gateway's own signing key (ECDSA P-256)
# Subjects contain Cyrillic/Kazakh text like real NCA certificates (UTF8String).
set -euo pipefail
DIR=${1:?usage: gen-wss-test-pki.sh DIR}
mkdir -p "$DIR"
cd "$DIR"
[[ -s gateway-ec.pem ]] && exit 0
umask 077

ca_conf() {  # name → writes $name.cnf and its database
  local name=$1
  mkdir -p "$name.db"
  : > "$name.db/index.txt"
  echo 1000 > "$name.db/serial"
  echo 1000 > "$name.db/crlnumber"
  cat > "$name.cnf" <<CNF
[ ca ]
default_ca = this
[ this ]
dir = $PWD/$name.db
database = \$dir/index.txt
new_certs_dir = \$dir
serial = \$dir/serial
crlnumber = \$dir/crlnumber
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
default_crl_days = 30
[ any ]
commonName = supplied
countryName = optional
organizationName = optional
serialNumber = optional
[ signer ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ keyenc ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,keyEncipherment
[ subca ]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
}

selfsigned() {  # name subject
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.pem" -days 3650 \
    -subj "$2" -utf8 -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -addext "subjectKeyIdentifier=hash" \
    2>/dev/null
  ca_conf "$1"
}

issue() {  # ca name subject ext keyalg [startdate enddate]
  local ca=$1 name=$2 subject=$3 ext=$4 alg=$5 start=${6:-} end=${7:-}
  if [[ $alg == ec ]]; then
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$name.key" \
      -out "$name.csr" -subj "$subject" -utf8 2>/dev/null
  else
    openssl req -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" -subj "$subject" \
      -utf8 2>/dev/null
  fi
  local dates=(-days 365)
  [[ -n $start ]] && dates=(-startdate "$start" -enddate "$end")
  openssl ca -batch -config "$ca.cnf" -cert "$ca.pem" -keyfile "$ca.key" -extensions "$ext" \
    -utf8 -notext "${dates[@]}" -in "$name.csr" -out "$name.pem" 2>/dev/null
  rm -f "$name.csr"
}

selfsigned root "/CN=shepgw TEST NCA root/O=ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ TEST/C=KZ"
selfsigned other-root "/CN=Unrelated TEST root/C=KZ"
issue root inter "/CN=ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (TEST RSA)/C=KZ" subca rsa
ca_conf inter

stamp() { date -u -d "$1" +%Y%m%d%H%M%SZ; }
issue inter signer-rsa "/CN=Тестовая система/O=TEST IS 1/serialNumber=BIN000000000001/C=KZ" signer rsa
issue inter signer-ec "/CN=Тестовая система EC/O=TEST IS 1/C=KZ" signer ec
issue inter signer-rsa2 "/CN=Другая система/O=TEST IS 2/C=KZ" signer rsa
issue inter signer-expired "/CN=Expired TEST signer/C=KZ" signer rsa \
  "$(stamp '-400 days')" "$(stamp '-1 day')"
issue inter signer-future "/CN=Future TEST signer/C=KZ" signer rsa \
  "$(stamp '+10 days')" "$(stamp '+400 days')"
issue inter signer-revoked "/CN=Revoked TEST signer/C=KZ" signer rsa
issue inter signer-keyusage "/CN=KeyEncipherment-only TEST signer/C=KZ" keyenc rsa
issue other-root signer-untrusted "/CN=Untrusted TEST signer/C=KZ" signer rsa
issue inter gateway-rsa "/CN=shepgw TEST gateway/O=shepgw test/C=KZ" signer rsa
issue inter gateway-ec "/CN=shepgw TEST gateway EC/O=shepgw test/C=KZ" signer ec

openssl ca -batch -config inter.cnf -cert inter.pem -keyfile inter.key -revoke signer-revoked.pem \
  -crl_reason keyCompromise 2>/dev/null
openssl ca -batch -config inter.cnf -cert inter.pem -keyfile inter.key -gencrl \
  -out inter.crl.pem 2>/dev/null
openssl ca -batch -config root.cnf -cert root.pem -keyfile root.key -gencrl -out root.crl.pem \
  2>/dev/null
# A stale CRL: nextUpdate one hour after lastUpdate, both in the past.
openssl ca -batch -config inter.cnf -cert inter.pem -keyfile inter.key -gencrl \
  -crl_lastupdate "$(stamp '-10 days')" -crl_nextupdate "$(stamp '-1 day')" \
  -out inter-stale.crl.pem 2>/dev/null
chmod 644 ./*.pem
