// Test material for the wss tests: the generated test PKI, pki test doubles and a client-side
// signer that builds messages the way ShEP clients do (own xmlsec template code, independent
// of the module's Signer).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "shepgw/common/status.h"
#include "shepgw/pki/trust.h"

namespace shepgw::wss::testing {

inline constexpr char kRsaSha256[] = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
inline constexpr char kRsaSha1[] = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
inline constexpr char kEcdsaSha256[] = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
inline constexpr char kSha256[] = "http://www.w3.org/2001/04/xmlenc#sha256";
inline constexpr char kSha1[] = "http://www.w3.org/2000/09/xmldsig#sha1";
inline constexpr char kExcC14nUri[] = "http://www.w3.org/2001/10/xml-exc-c14n#";

// The directory with the generated PKI (generated on first use if missing).
const std::string& PkiDir();
std::string PkiFile(const std::string& name);      // e.g. "signer-rsa.pem"
pki::X509Ptr LoadCert(const std::string& name);    // "signer-rsa" → signer-rsa.pem
pki::EvpPkeyPtr LoadKey(const std::string& name);  // "signer-rsa" → signer-rsa.key
std::string CertBase64(const std::string& name);   // base64 DER, one line
std::string SerialDecimal(const std::string& name);
std::string ReadFile(const std::string& path);

// A TrustStore that validates with a plain X509_STORE against the test root + intermediate and
// the intermediate's CRL, or returns a configured Status.
class TestTrustStore : public pki::TrustStore {
 public:
  TestTrustStore();
  ~TestTrustStore() override;
  void ForceStatus(Status status) { forced_ = std::move(status); }
  Status Validate(X509* cert) const override;
  Status ReloadCrls() override { return Status::Ok(); }
  std::chrono::system_clock::time_point EarliestCrlNextUpdate() const override {
    return std::chrono::system_clock::time_point::max();
  }
  uint64_t cache_hits() const override { return 0; }
  uint64_t crl_reload_failures() const override { return 0; }

 private:
  X509_STORE* store_ = nullptr;
  std::vector<pki::X509Ptr> intermediates_;
  Status forced_;
};

// A ParticipantStore holding some certificates (for IssuerSerial lookups).
class TestParticipants : public pki::ParticipantStore {
 public:
  explicit TestParticipants(std::vector<std::string> cert_names);
  const pki::Participant* FindBySender(std::string_view) const override { return nullptr; }
  X509* FindByIssuerSerial(const X509_NAME* issuer, const ASN1_INTEGER* serial) const override;
  bool IsBound(const pki::Participant&, X509*) const override { return false; }

 private:
  std::vector<pki::X509Ptr> certs_;
};

enum class KeyInfoStyle {
  kKeyIdentifier,    // STR/KeyIdentifier X509v3 (ShEP reference clients)
  kBinaryToken,      // STR/Reference → BinarySecurityToken
  kX509Certificate,  // X509Data/X509Certificate
  kIssuerSerial,     // X509Data/X509IssuerSerial
  kStrIssuerSerial,  // STR/X509Data/X509IssuerSerial (WSS4J default)
};

struct ClientMessage {
  std::string prefix = "soapenv";  // SOAP prefix
  std::string id_attr = "wsu:Id";  // wsu:Id | Id | id
  std::string body_id = "id-0f6e3c1a";
  bool id_on_operation = false;  // put the id (and the Reference) on SendMessage, not Body
  KeyInfoStyle key_info = KeyInfoStyle::kKeyIdentifier;
  std::string signer = "signer-rsa";
  std::string signature_method = kRsaSha256;
  std::string digest_method = kSha256;
  bool inclusive_namespaces = false;
  // The ds:Transforms element's content; default: one exclusive c14n Transform.
  std::string transforms = std::string("<ds:Transform Algorithm=\"") + kExcC14nUri + "\"/>";
  std::string canonicalization = kExcC14nUri;
  std::string issuer_name;      // kIssuerSerial: override the issuer string
  std::string serial;           // kIssuerSerial: override the serial
  std::string key_identifier;   // kKeyIdentifier: override the base64 text
  std::string extra_reference;  // appended after the Reference in SignedInfo
  std::string extra_signature;  // appended inside ds:Signature after KeyInfo
  std::string payload = "payload";
  bool sign = true;  // false: dummy DigestValue/SignatureValue (GOST etc.)
};

// The signed message (or the error of the test signer, as a failed Result).
Result<std::string> BuildClientMessage(const ClientMessage& m);

}  // namespace shepgw::wss::testing
