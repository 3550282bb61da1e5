#!/usr/bin/env bash
# Writes the seed corpus of envelope_verify_fuzzer into OUT_DIR:
#   - tests/fuzz/seeds/*.xml (small hand-written hostile and edge-case inputs, committed);
#   - SendMessage requests signed by the xmlsec1 command-line tool in every KeyInfo style the
#     Verifier accepts (KeyIdentifier, BinarySecurityToken reference, X509Certificate,
#     X509IssuerSerial, STR/X509IssuerSerial), with wsu:Id / Id / id, RSA and ECDSA;
#   - the same request signed by `shepgw sign` (when SHEPGW_BIN is given and exists);
#   - a few mutations of a signed request (tampered body, wrapped body, duplicated ids).
# Usage: make-seeds.sh PKI_DIR OUT_DIR [SHEPGW_BIN]
set -euo pipefail
PKI=${1:?usage: make-seeds.sh PKI_DIR OUT_DIR [SHEPGW_BIN]}
OUT=${2:?usage: make-seeds.sh PKI_DIR OUT_DIR [SHEPGW_BIN]}
SHEPGW=${3:-}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"
cp "$HERE"/seeds/*.xml "$OUT"/
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

SOAP=http://schemas.xmlsoap.org/soap/envelope/
WSSE=http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd
WSU=http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd
X509V3=http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3
B64=http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary
EXC=http://www.w3.org/2001/10/xml-exc-c14n#

cert_b64() { openssl x509 -in "$PKI/$1.pem" -outform DER | base64 -w0; }

# template NAME SIGNER SIGMETHOD DIGEST ID_ATTR KEYINFO [BST]
template() {
  local signer=$2 sig=$3 dig=$4 idattr=$5 keyinfo=$6 bst=${7:-}
  local iddecl=""
  [[ $idattr == wsu:Id ]] && iddecl=" xmlns:wsu=\"$WSU\""
  cat <<XML
<soapenv:Envelope xmlns:soapenv="$SOAP">
<soapenv:Header>
<wsse:Security xmlns:wsse="$WSSE" xmlns:wsu="$WSU" soapenv:mustUnderstand="1">$bst
<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
<ds:SignedInfo>
<ds:CanonicalizationMethod Algorithm="$EXC"/>
<ds:SignatureMethod Algorithm="$sig"/>
<ds:Reference URI="#id-5b1c0e"><ds:Transforms><ds:Transform Algorithm="$EXC"/></ds:Transforms><ds:DigestMethod Algorithm="$dig"/><ds:DigestValue></ds:DigestValue></ds:Reference>
</ds:SignedInfo>
<ds:SignatureValue></ds:SignatureValue>
<ds:KeyInfo>$keyinfo</ds:KeyInfo>
</ds:Signature>
</wsse:Security>
</soapenv:Header>
<soapenv:Body $idattr="id-5b1c0e"$iddecl><ns3:SendMessage xmlns:ns3="http://bip.bee.kz/SyncChannel/v10/Types"><request><requestInfo><messageId>m-1</messageId><serviceId>S1</serviceId><messageDate>2026-11-22T10:00:00.000+06:00</messageDate><sender><senderId>client-1</senderId><password>pw</password></sender><properties><key>k</key><value>v</value></properties><sessionId>s-1</sessionId></requestInfo><requestData><data><iin>931002451325</iin></data></requestData></request></ns3:SendMessage></soapenv:Body>
</soapenv:Envelope>
XML
}

sign() {  # NAME SIGNER SIGMETHOD DIGEST ID_ATTR KEYINFO [BST]
  local name=$1 signer=$2 idattr=$5
  template "$@" > "$TMP/$name.tmpl.xml"
  local local_id=${idattr#wsu:}
  local args=(--sign --privkey-pem "$PKI/$signer.key,$PKI/$signer.pem"
              --id-attr:"$local_id" "$SOAP:Body" --output "$OUT/xmlsec1-$name.xml")
  if [[ -n ${7:-} ]]; then args+=(--id-attr:Id "$WSSE:BinarySecurityToken"); fi
  if ! xmlsec1 "${args[@]}" "$TMP/$name.tmpl.xml" 2> "$TMP/$name.err"; then
    echo "make-seeds.sh: xmlsec1 could not sign $name:" >&2
    cat "$TMP/$name.err" >&2
    return 1
  fi
}

RSA256=http://www.w3.org/2001/04/xmldsig-more#rsa-sha256
RSA1=http://www.w3.org/2000/09/xmldsig#rsa-sha1
EC256=http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256
SHA256=http://www.w3.org/2001/04/xmlenc#sha256
SHA1=http://www.w3.org/2000/09/xmldsig#sha1

keyid() {
  echo "<wsse:SecurityTokenReference><wsse:KeyIdentifier EncodingType=\"$B64\" ValueType=\"$X509V3\">$(cert_b64 "$1")</wsse:KeyIdentifier></wsse:SecurityTokenReference>"
}
BSTREF="<wsse:SecurityTokenReference><wsse:Reference URI=\"#X509-7\" ValueType=\"$X509V3\"/></wsse:SecurityTokenReference>"
bst() { echo "<wsse:BinarySecurityToken wsu:Id=\"X509-7\" EncodingType=\"$B64\" ValueType=\"$X509V3\">$(cert_b64 "$1")</wsse:BinarySecurityToken>"; }
X509CERT="<ds:X509Data><ds:X509Certificate/></ds:X509Data>"
ISSUERSERIAL="<ds:X509Data><ds:X509IssuerSerial/></ds:X509Data>"
# xmlsec1 has no writer inside wsse:SecurityTokenReference: fill it as WSS4J does (RFC 2253).
issuer_serial_filled() {
  local issuer serial
  issuer=$(openssl x509 -in "$PKI/$1.pem" -noout -issuer -nameopt RFC2253,-esc_msb | sed 's/^issuer=//')
  serial=$(openssl x509 -in "$PKI/$1.pem" -noout -serial | sed 's/^serial=//')
  echo "<ds:X509Data><ds:X509IssuerSerial><ds:X509IssuerName>$issuer</ds:X509IssuerName><ds:X509SerialNumber>$((16#$serial))</ds:X509SerialNumber></ds:X509IssuerSerial></ds:X509Data>"
}
STRISSUERSERIAL="<wsse:SecurityTokenReference wsu:Id=\"STR-1\">$(issuer_serial_filled signer-rsa)</wsse:SecurityTokenReference>"

sign keyid-rsa signer-rsa $RSA256 $SHA256 wsu:Id "$(keyid signer-rsa)"
sign keyid-ec signer-ec $EC256 $SHA256 wsu:Id "$(keyid signer-ec)"
sign keyid-rsa-plain-Id signer-rsa $RSA256 $SHA256 Id "$(keyid signer-rsa)"
sign keyid-rsa-lower-id signer-rsa $RSA256 $SHA256 id "$(keyid signer-rsa)"
sign keyid-rsa-sha1 signer-rsa $RSA1 $SHA1 wsu:Id "$(keyid signer-rsa)"
sign keyid-revoked signer-revoked $RSA256 $SHA256 wsu:Id "$(keyid signer-revoked)"
sign keyid-untrusted signer-untrusted $RSA256 $SHA256 wsu:Id "$(keyid signer-untrusted)"
sign bst-rsa signer-rsa $RSA256 $SHA256 wsu:Id "$BSTREF" "$(bst signer-rsa)"
sign x509cert-rsa signer-rsa $RSA256 $SHA256 wsu:Id "$X509CERT"
sign x509cert-ec signer-ec $EC256 $SHA256 wsu:Id "$X509CERT"
sign issuerserial-rsa signer-rsa $RSA256 $SHA256 wsu:Id "$ISSUERSERIAL"
sign str-issuerserial-rsa signer-rsa $RSA256 $SHA256 wsu:Id "$STRISSUERSERIAL"

if [[ -n $SHEPGW && -x $SHEPGW ]]; then
  template x signer-rsa $RSA256 $SHA256 wsu:Id "" \
    | sed -e '/<wsse:Security/,/<\/wsse:Security>/d' > "$TMP/unsigned.xml"
  "$SHEPGW" sign --key "$PKI/signer-rsa.key" --cert "$PKI/signer-rsa.pem" \
    < "$TMP/unsigned.xml" > "$OUT/shepgw-sign-rsa.xml"
  "$SHEPGW" sign --key "$PKI/signer-ec.key" --cert "$PKI/signer-ec.pem" \
    --algorithm ecdsa-sha256 < "$TMP/unsigned.xml" > "$OUT/shepgw-sign-ec.xml"
fi

# Mutations of a good signed request.
good="$OUT/xmlsec1-keyid-rsa.xml"
sed 's/931002451325/000000000000/' "$good" > "$OUT/mut-tampered.xml"
sed 's/id="X509-7"/id="id-5b1c0e"/; s/wsu:Id="id-5b1c0e"/wsu:Id="id-5b1c0e" Id="id-5b1c0e"/' \
  "$good" > "$OUT/mut-duplicate-id.xml"
# Wrapping: the signed Body moved into the header, a new Body routed instead.
python3 - "$good" "$OUT/mut-wrapped.xml" <<'PY'
import re, sys
x = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r"<soapenv:Body.*?</soapenv:Body>", x, re.S)
body = m.group(0)
wrapped = body.replace("soapenv:Body", "ns9:Wrapper").replace("<ns9:Wrapper", '<ns9:Wrapper xmlns:ns9="urn:x"', 1)
evil = re.sub(r' wsu:Id="[^"]*"', "", body).replace("931002451325", "666666666666")
x = x.replace(body, evil).replace("</wsse:Security>", wrapped + "</wsse:Security>")
open(sys.argv[2], "w", encoding="utf-8").write(x)
PY
# One defect each, so every shape check of the Verifier has a seed that reaches it.
python3 - "$good" "$OUT/xmlsec1-x509cert-rsa.xml" "$OUT" <<'PY'
import re, sys
good = open(sys.argv[1], encoding="utf-8").read()
x509 = open(sys.argv[2], encoding="utf-8").read()
out = sys.argv[3]
sec = re.search(r"<wsse:Security.*?</wsse:Security>", good, re.S).group(0)
sig = re.search(r"<ds:Signature.*?</ds:Signature>", good, re.S).group(0)
ref = re.search(r"<ds:Reference.*?</ds:Reference>", good, re.S).group(0)
ki = re.search(r"<ds:KeyInfo>(.*?)</ds:KeyInfo>", good, re.S).group(1)
cert = re.search(r"<ds:X509Certificate>.*?</ds:X509Certificate>", x509, re.S).group(0)
m = {
    "two-references": good.replace(ref, ref + ref),
    "two-security": good.replace(sec, sec + sec),
    "two-signatures": good.replace(sig, sig + sig),
    "object": good.replace("</ds:KeyInfo>", "</ds:KeyInfo><ds:Object Id=\"o\"/>"),
    "keyinfo-two-children": good.replace(ki, ki + ki),
    "str-two-children": good.replace("</wsse:KeyIdentifier>", "</wsse:KeyIdentifier><wsse:Embedded/>"),
    "x509data-hints": x509.replace(cert, "<ds:X509SubjectName>CN=x</ds:X509SubjectName>" + cert + cert),
    "x509data-empty": x509.replace(cert, "<ds:X509SKI>AAAA</ds:X509SKI>"),
    "no-header": re.sub(r"<soapenv:Header>.*?</soapenv:Header>", "", good, flags=re.S),
    "empty-header": re.sub(r"<soapenv:Header>.*?</soapenv:Header>", "<soapenv:Header/>", good, flags=re.S),
    "gost-method": good.replace("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "http://www.w3.org/2001/04/xmldsig-more#gost34310-gost34311"),
    "hmac-method": good.replace("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "http://www.w3.org/2000/09/xmldsig#hmac-sha1"),
    "gost-digest": good.replace("http://www.w3.org/2001/04/xmlenc#sha256", "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34112015-512"),
    "sha1-digest": good.replace("http://www.w3.org/2001/04/xmlenc#sha256", "http://www.w3.org/2000/09/xmldsig#sha1"),
    "two-transforms": good.replace("</ds:Transforms>", "<ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/></ds:Transforms>"),
    "c14n-child": good.replace("xml-exc-c14n#\"/>\n<ds:SignatureMethod", "xml-exc-c14n#\"><x/></ds:CanonicalizationMethod>\n<ds:SignatureMethod", 1),
    "serial-not-decimal": open(out + "/xmlsec1-issuerserial-rsa.xml", encoding="utf-8").read().replace(">4096<", ">0x1000<"),
    "ski-keyidentifier": good.replace("#X509v3", "#X509SubjectKeyIdentifier"),
    "str-reference-external": good.replace(ki, "<wsse:SecurityTokenReference><wsse:Reference URI=\"http://x/\"/></wsse:SecurityTokenReference>"),
    "id-on-operation": good.replace(' wsu:Id="id-5b1c0e"', "").replace("<ns3:SendMessage ", '<ns3:SendMessage wsu:Id="id-5b1c0e" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd" '),
    "relative-namespace": good.replace("<iin>", '<iin xmlns:r="rel/ns">'),
}
for name, text in m.items():
    open(f"{out}/mut-{name}.xml", "w", encoding="utf-8").write(text)
PY
echo "make-seeds.sh: $(ls "$OUT" | wc -l) seeds in $OUT"
