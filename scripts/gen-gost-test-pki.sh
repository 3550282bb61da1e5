#!/usr/bin/env bash
# Generates a GOST test PKI in NCA's format into DIR (tests and demo only; never committed).
# OpenSSL's command line cannot make GOST certificates, so the work is done by the
# gen_gost_test_pki tool (tests/tools/, built on pki/gost.h); this script builds it if needed.
# All GOST 34.10-2015-512 (Kazakh OIDs, Streebog-512) unless noted; keys are PKCS#8 PEM in
# NCA's layout; subjects carry Kazakh/Russian text (UTF8String) like real NCA certificates:
#   root.pem/.key             CA, self-signed, keyCertSign+cRLSign         (trust anchor)
#   inter.pem/.key            CA issued by root, issues the signers
#   inter.crl.pem             CRL of inter, revokes signer-revoked (serial 0x1006), next +30 days
#   inter-stale.crl.pem       the same issuer, nextUpdate yesterday (stale)
#   root.crl.pem              empty CRL of root
#   other-root.pem/.key       an unrelated CA ("untrusted")
#   signer.pem/.key           valid signer, digitalSignature+nonRepudiation (serial 0x1001)
#   signer2.pem/.key          a second valid signer (another participant)
#   signer-gost2004.pem/.key  valid signer with a GOST 34.310-2004 key (cert signed by inter, 2015)
#   signer-expired.*          validity ended yesterday
#   signer-future.*           validity starts in 10 days
#   signer-revoked.*          listed in inter.crl.pem
#   signer-untrusted.*        issued by other-root
#   signer-keyusage.*         keyUsage keyEncipherment only
#   gateway.pem/.key          the gateway's own signing key, and gateway.p12 (password "test")
#
#   scripts/gen-gost-test-pki.sh DIR      (BUILD_DIR: build tree, default build/ of the repo;
#                                          GEN_GOST_TEST_PKI: the tool, to skip the build)
set -euo pipefail
DIR=${1:?usage: gen-gost-test-pki.sh DIR}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
TOOL=${GEN_GOST_TEST_PKI:-$BUILD_DIR/tests/gen_gost_test_pki}
[[ -s $DIR/gateway.p12 ]] && exit 0
if [[ ! -x $TOOL ]]; then
  cmake --build "$BUILD_DIR" --target gen_gost_test_pki >/dev/null
fi
umask 077
mkdir -p "$DIR"
"$TOOL" "$DIR"
