// wss: WS-Security transport signatures (KZ-4, KZ-5, KZ-6) with libxml2 c14n + OpenSSL.
//
// Verifier checks the transport signature of a parsed request in place, on the very tree the
// router reads and the gateway forwards (docs/security.md has the profile and the defences):
// exactly one wsse:Security with one ds:Signature, one Reference that resolves — by wsu:Id, Id
// or id, ids unique in the document — to the SOAP Body element of this envelope (pointer
// identity), exclusive c14n only, allow-listed algorithms, then the signer certificate from
// KeyInfo (KeyIdentifier X509v3, BinarySecurityToken via Reference, X509Data/X509Certificate,
// or X509IssuerSerial resolved against the participant store) validated by pki.
//
// Signer removes the client's wsse:Security header and signs the Body with the gateway key:
// KeyIdentifier style, exclusive c14n, RSA-SHA256 or ECDSA-SHA256, no timestamp.
//
// Thread-safety: Verify()/Sign*() may be called concurrently; per-call state is local
// (or per thread), the key material is shared read-only.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "shepgw/common/status.h"
#include "shepgw/envelope/envelope.h"
#include "shepgw/pki/trust.h"

namespace shepgw::wss {

struct VerifiedSignature {
  pki::X509Ptr signer;              // the validated signer certificate
  pki::CertificateFacts facts;      // for logs
  std::string signature_algorithm;  // URI
  std::string digest_algorithm;     // URI
  bool weak = false;                // SHA-1 was used (allowed by config, reported)
  // The verified digest of the Body when its Reference used exclusive c14n without an
  // InclusiveNamespaces PrefixList — exactly what the Signer computes for that Body with the
  // same digest — so re-signing the same tree need not canonicalise the Body again. Empty
  // otherwise. `body` identifies the Body element it belongs to.
  std::string body_digest_uri;
  std::string body_digest;
  const void* body = nullptr;
};

struct VerifyPolicy {
  // Allowed SignatureMethod names (config.wss.allowed_algorithms).
  std::vector<std::string> allowed_algorithms = {"rsa-sha256", "ecdsa-sha256"};
};

class Verifier {
 public:
  Verifier(VerifyPolicy policy, std::shared_ptr<const pki::TrustStore> trust,
           std::shared_ptr<const pki::ParticipantStore> participants);
  // Verifies the envelope's transport signature and validates the signer certificate.
  // Errors: the kWss* and kPki* codes; the message is specific (names the element, URI,
  // certificate subject/serial) and never contains message content.
  Result<VerifiedSignature> Verify(const envelope::ParsedEnvelope& envelope) const;

 private:
  VerifyPolicy policy_;
  std::shared_ptr<const pki::TrustStore> trust_;
  std::shared_ptr<const pki::ParticipantStore> participants_;
};

class Signer {
 public:
  explicit Signer(std::shared_ptr<const pki::GatewayKey> key);
  // Removes every wsse:Security header of the envelope and adds the gateway's signature over
  // its Body (adding wsu:Id to the Body and a Header when absent). The tree is modified in
  // place; serialise it afterwards.
  // `verified`: this envelope's Verify result, whose Body digest is reused when it fits (same
  // digest algorithm, same Body element, the Body unchanged since).
  Status SignEnvelope(envelope::ParsedEnvelope& envelope,
                      const VerifiedSignature* verified = nullptr) const;
  // Signs an XML SOAP 1.1 envelope given as bytes (responses, `shepgw sign`); returns the
  // signed document.
  Result<std::string> SignDocument(std::string_view xml, const envelope::ParseLimits& limits) const;

 private:
  std::shared_ptr<const pki::GatewayKey> key_;
  std::string cert_b64_;  // the certificate for KeyIdentifier, base64 (encoded once)
};

// Process-wide xmlsec initialisation (after envelope::InitXmlLibrary, before threads).
Status InitXmlSec();
void ShutdownXmlSec();

}  // namespace shepgw::wss
