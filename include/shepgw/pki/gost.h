// pki/gost: the Kazakh national CA's (NCA RK) GOST signatures, on libgcrypt
// (docs/decisions/0004-gost-crypto-backend.md, docs/security.md § GOST).
//
// Two algorithms are implemented:
//   kGost2015_512  GOST 34.10-2015 / 34.11-2015, 512 bit: GOST R 34.10-2012 on the TC26-512-A
//                  curve with Streebog-512 (key OID 1.2.398.3.10.1.1.2.2, signature OID
//                  1.2.398.3.10.1.1.2.3.2, digest OID 1.2.398.3.10.1.3.3).
//   kGost2004      GOST 34.310-2004 / 34.311-95: the CryptoPro-A curve with GOST R 34.11-94 and
//                  the "test" S-box (key OID 1.2.398.3.10.1.1.1.1, signature OID
//                  1.2.398.3.10.1.1.1.2, digest OID 1.2.398.3.10.1.3.1).
// The 256-bit 2015 variant (1.2.398.3.10.1.1.2.3.1, …-256 URIs) is recognised and refused with
// kWssAlgorithmUnsupported: no known-answer material exists for it.
//
// Byte conventions, as NCA/KalkanCrypt writes them (proven by the known-answer tests in
// tests/unit/pki/gost_test.cc): a digest is the hash output as is (what goes into an XML
// DigestValue or a CMS messageDigest); a signature is r‖s, each little-endian and padded to the
// curve size (128 bytes for 2015-512, 64 for 2004); a public key is x‖y, each little-endian
// (the OCTET STRING inside the SPKI BIT STRING).
//
// Errors (Status codes): a signature that does not verify → kWssSignatureInvalid; a signature of
// the wrong length → kWssMalformedSecurity; a public key that is malformed, not on the curve or
// of the wrong algorithm → kPkiKeyInvalid; an unknown algorithm OID/URI → kWssAlgorithmNotAllowed,
// a recognised but unimplemented one → kWssAlgorithmUnsupported; a certificate that is not
// well-formed DER → kPkiCertificateMalformed, one whose signature does not verify under the
// issuer key → kPkiCertificateUntrusted; a CRL that is malformed or does not verify →
// kPkiRevocationUnknown; loading or storing private keys (local files) → kGatewayInternal.
//
// Thread-safety: PublicKey and PrivateKey are immutable after creation and may be used from any
// thread concurrently; a Digest is one stream, used by one thread at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shepgw/common/status.h"

namespace shepgw::pki::gost {

namespace internal {
struct EcPoint;  // a public key's Q as an OpenSSL EC_POINT (src/pki/gost_internal.h)
}  // namespace internal

// kGost2015_512 keeps NCA's own spelling (GOST2015_512): two digit runs need the separator.
enum class Algorithm { kGost2015_512, kGost2004 };  // NOLINT(readability-identifier-naming)

struct AlgorithmInfo {
  Algorithm algorithm;
  std::string_view name;              // "gost2015-512" / "gost2004" (logs, config allow-lists)
  std::string_view key_oid;           // SPKI / PKCS#8 algorithm
  std::string_view param_oid;         // first OID of the SPKI parameters SEQUENCE
  std::string_view param_digest_oid;  // second OID of the SPKI parameters SEQUENCE
  std::string_view signature_oid;     // X.509 / CRL signatureAlgorithm, CMS signatureAlgorithm
  std::string_view digest_oid;        // CMS digestAlgorithm
  std::string_view signature_uri;     // XMLDSig SignatureMethod
  std::string_view digest_uri;        // XMLDSig DigestMethod
  size_t digest_size;                 // bytes: 64 / 32
  size_t signature_size;              // bytes of r_LE‖s_LE: 128 / 64
  size_t public_key_size;             // bytes of x_LE‖y_LE: 128 / 64
};
const AlgorithmInfo& Describe(Algorithm algorithm);

// Lookups by identifier. Unknown → kWssAlgorithmNotAllowed; the 2015-256 identifiers →
// kWssAlgorithmUnsupported.
Result<Algorithm> AlgorithmFromSignatureOid(std::string_view dotted_oid);
Result<Algorithm> AlgorithmFromDigestOid(std::string_view dotted_oid);
Result<Algorithm> AlgorithmFromSignatureUri(std::string_view uri);
Result<Algorithm> AlgorithmFromDigestUri(std::string_view uri);

// An incremental hash (Streebog-512 for kGost2015_512, GOST R 34.11-94 with the test S-box for
// kGost2004), a streaming sink for canonicalisation output.
class Digest {
 public:
  // Errors: kGatewayInternal (libgcrypt refused to open the hash; never expected).
  static Result<Digest> Create(Algorithm algorithm);
  Digest(Digest&&) noexcept;
  Digest& operator=(Digest&&) noexcept;
  ~Digest();

  void Update(const void* data, size_t size);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  // The digest (digest_size bytes, the hash output as is). Ends the stream: a later Update or
  // Final starts over from the empty input.
  std::string Final();
  Algorithm algorithm() const { return algorithm_; }

 private:
  struct Impl;
  Digest(Algorithm algorithm, std::unique_ptr<Impl> impl);
  Algorithm algorithm_;
  std::unique_ptr<Impl> impl_;
};
// One-shot: the digest of `data`.
std::string ComputeDigest(Algorithm algorithm, std::string_view data);

class PublicKey {
 public:
  // x_LE‖y_LE (public_key_size bytes), checked to be a point on the algorithm's curve.
  static Result<PublicKey> FromXy(Algorithm algorithm, std::string_view xy_le);
  // A DER SubjectPublicKeyInfo with the Kazakh OIDs: algorithm, parameters and key size must
  // agree (a 2015 key OID with 2004 parameters is refused).
  static Result<PublicKey> FromSpki(std::string_view spki_der);

  Algorithm algorithm() const { return algorithm_; }
  const std::string& xy_le() const { return xy_; }
  // The SubjectPublicKeyInfo DER, as NCA writes it.
  std::string ToSpki() const;
  // Verifies `signature` (r_LE‖s_LE) over `digest` (digest_size bytes, as Digest::Final gives).
  // The curve arithmetic is OpenSSL's (public data only; docs/decisions/0004 addendum).
  Status Verify(std::string_view digest, std::string_view signature) const;
  // The same, for a signature whose algorithm the message names (SignatureMethod, signature
  // OID): a key of another algorithm → kPkiKeyInvalid.
  Status Verify(Algorithm signature_algorithm, std::string_view digest,
                std::string_view signature) const;
  // Digest and verify in one call.
  Status VerifyData(std::string_view data, std::string_view signature) const;

 private:
  PublicKey(Algorithm algorithm, std::string xy, std::shared_ptr<const internal::EcPoint> point)
      : algorithm_(algorithm), xy_(std::move(xy)), point_(std::move(point)) {}
  Algorithm algorithm_;
  std::string xy_;
  // Q on OpenSSL's group, built once at creation; shared by copies, never modified.
  std::shared_ptr<const internal::EcPoint> point_;
};

class PrivateKey {
 public:
  // A fresh key (test PKIs, tests). Errors: kGatewayInternal.
  static Result<PrivateKey> Generate(Algorithm algorithm);
  // PKCS#8 PrivateKeyInfo as NCA writes it: 2015-512 holds OCTET STRING{OCTET STRING(64) d_LE},
  // 2004 holds OCTET STRING{INTEGER d}, the algorithm identifier as in the SPKI. Unencrypted;
  // PEM is "PRIVATE KEY". Errors: kGatewayInternal naming what is wrong.
  static Result<PrivateKey> FromPkcs8Der(std::string_view der);
  static Result<PrivateKey> FromPkcs8Pem(std::string_view pem);
  // From the secret scalar d, big-endian (at most the curve size; 0 < d < n).
  static Result<PrivateKey> FromScalar(Algorithm algorithm, std::string_view d_be);
  PrivateKey(PrivateKey&&) noexcept;
  PrivateKey& operator=(PrivateKey&&) noexcept;
  ~PrivateKey();  // wipes the scalar

  Algorithm algorithm() const { return algorithm_; }
  const PublicKey& public_key() const { return public_key_; }
  // r_LE‖s_LE over `digest` (digest_size bytes). Errors: kGatewayInternal (wrong digest size,
  // libgcrypt failure).
  Result<std::string> Sign(std::string_view digest) const;
  Result<std::string> SignData(std::string_view data) const;
  std::string ToPkcs8Der() const;
  std::string ToPkcs8Pem() const;

 private:
  PrivateKey(Algorithm algorithm, std::string d_be, PublicKey public_key);
  Algorithm algorithm_;
  std::string d_be_;  // the scalar, big-endian, padded
  PublicKey public_key_;
};

// A private key and its certificate from an NCA-style PKCS#12 container (the pkcs8ShroudedKeyBag
// is PBE-SHA1-3DES; NCA containers put the certificate in an RC2-40 encrypted bag, which needs
// OpenSSL's "legacy" provider — loaded into a private library context, not the process's).
struct Pkcs12Contents {
  PrivateKey key;
  std::optional<std::string> certificate_der;  // the certificate whose key matches, if any
};
// Errors: kGatewayInternal: not PKCS#12, wrong password (MAC check), no key bag, a key of an
// unknown algorithm, a certificate bag that does not match the key.
Result<Pkcs12Contents> LoadPkcs12(std::string_view der, std::string_view password);
// A PKCS#12 with the key (PKCS#8 as above) and its certificate, bags encrypted with PBES2
// (PBKDF2-SHA256, AES-256-CBC) and a SHA-256 MAC — modern algorithms, not NCA's 3DES/RC2-40;
// LoadPkcs12 and OpenSSL read it. For test PKIs and operators' tooling. Errors:
// kGatewayInternal (the certificate does not belong to the key, OpenSSL failures).
Result<std::string> StorePkcs12(const PrivateKey& key, std::string_view certificate_der,
                                std::string_view password);

// A certificate or CRL split the way its signature sees it.
struct SignedObject {
  std::string tbs;            // the exact DER of TBSCertificate / TBSCertList
  std::string signature_oid;  // dotted
  std::string signature;      // the BIT STRING's bytes
};
// Errors: kPkiCertificateMalformed (certificates) / kPkiRevocationUnknown (CRLs).
Result<SignedObject> SplitCertificate(std::string_view cert_der);
Result<SignedObject> SplitCrl(std::string_view crl_der);
// The certificate's subject public key. Errors: kPkiCertificateMalformed, kPkiKeyInvalid,
// kWssAlgorithmNotAllowed / kWssAlgorithmUnsupported for other key algorithms.
Result<PublicKey> CertificatePublicKey(std::string_view cert_der);
// Verifies the signature of a certificate / CRL under the issuer's key; the signature algorithm
// must be the issuer key's. Validity, key usage and revocation are the caller's.
// Errors: kPkiCertificateMalformed / kPkiCertificateUntrusted; kPkiRevocationUnknown for CRLs.
Status VerifyCertificateSignature(std::string_view cert_der, const PublicKey& issuer);
Status VerifyCrlSignature(std::string_view crl_der, const PublicKey& issuer);

// Issuance, for test PKIs in NCA's format (scripts, tests). The signature algorithm is the
// issuer key's.
struct CertificateTemplate {
  // Subject RDNs in order, short names OpenSSL knows ("CN", "O", "OU", "C", "serialNumber"…),
  // values UTF-8.
  std::vector<std::pair<std::string, std::string>> subject;
  uint64_t serial = 1;
  std::chrono::system_clock::time_point not_before;
  std::chrono::system_clock::time_point not_after;
  bool ca = false;  // basicConstraints CA:TRUE (critical)
  // keyUsage in OpenSSL's config syntax; empty = no extension.
  std::string key_usage = "critical,digitalSignature,nonRepudiation";
  // More extensions: (OpenSSL short name, value in its config syntax), e.g.
  // {"nameConstraints", "critical,permitted;email:.kz"} (tests of the trust store).
  std::vector<std::pair<std::string, std::string>> extra_extensions;
};
// DER certificate. `issuer_cert_der` names the issuer (its subject and key id); empty =
// self-signed (then issuer_key must be the subject key's pair). Errors: kGatewayInternal.
Result<std::string> IssueCertificate(const CertificateTemplate& tmpl, const PublicKey& subject_key,
                                     const PrivateKey& issuer_key,
                                     std::string_view issuer_cert_der);

struct CrlTemplate {
  uint64_t crl_number = 1;
  std::chrono::system_clock::time_point this_update;
  std::chrono::system_clock::time_point next_update;
  std::vector<std::pair<uint64_t, std::chrono::system_clock::time_point>> revoked;  // serial, when
};
// DER CRL (v2, with CRL number and authority key id). Errors: kGatewayInternal.
Result<std::string> IssueCrl(const CrlTemplate& tmpl, const PrivateKey& issuer_key,
                             std::string_view issuer_cert_der);

}  // namespace shepgw::pki::gost
