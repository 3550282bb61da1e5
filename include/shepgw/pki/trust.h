// pki: the trust material of the gateway and the validation of signer certificates.
//
// TrustStore holds the configured trust anchors, intermediates and CRLs as an immutable
// snapshot; CRL files are re-read in the background (config.trust.crl_refresh) and swapped in
// atomically; a CRL file that fails to load keeps the previous one (logged and counted).
// Validate() checks chain, validity period, key usage and revocation, and caches the verdict
// per certificate (SHA-256 fingerprint) because chain building costs ~10x the RSA verify; the
// cache is dropped whenever CRLs or trust material change. NCA GOST certificates (Kazakh
// signature OIDs, which OpenSSL cannot verify) get the same policy, codes and cache; their
// chains are built from the configured CAs with pki/gost.h (docs/security.md § GOST chains).
//
// ParticipantStore maps senderIds to the certificates they may sign with and the services
// they may call, and resolves X509IssuerSerial references (compared as X509_NAMEs, so
// non-ASCII NCA issuer names match).
//
// GatewayKey is the gateway's own certificate and private key.
//
// Thread-safety: all const methods may be called concurrently from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/types.h>

#include "shepgw/common/clock.h"
#include "shepgw/common/status.h"
#include "shepgw/config/config.h"

namespace shepgw::pki {

// Owning smart pointers for OpenSSL objects.
struct X509Free {
  void operator()(X509* x) const;
};
struct EvpPkeyFree {
  void operator()(EVP_PKEY* k) const;
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;
X509Ptr UpRef(X509* cert);  // another owning reference to the same certificate

// Log-friendly facts about a certificate (never secret).
struct CertificateFacts {
  std::string subject;  // RFC 2253, UTF-8
  std::string issuer;   // RFC 2253, UTF-8
  std::string serial;   // decimal
  std::string sha256;   // lowercase hex, no separators
  std::chrono::system_clock::time_point not_after;
};
CertificateFacts DescribeCertificate(X509* cert);
// SHA-256 of the DER encoding, lowercase hex.
std::string Sha256Fingerprint(X509* cert);
// Loads every certificate of a PEM file (at least one). Errors name the file.
Result<std::vector<X509Ptr>> LoadPemCertificates(const std::string& path);

class TrustStore {
 public:
  virtual ~TrustStore() = default;
  // Errors: kPkiCertificateUntrusted, kPkiCertificateExpired, kPkiCertificateNotYetValid,
  // kPkiCertificateRevoked, kPkiRevocationUnknown, kPkiCertificateKeyUsage; the message names
  // the subject and serial and, for untrusted, OpenSSL's reason.
  virtual Status Validate(X509* cert) const = 0;
  // The same, for a caller that already holds the certificate's Sha256Fingerprint (the wss
  // certificate cache does): the verdict cache is keyed by it, so a hit costs no hashing.
  // REQUIRES: sha256_hex == Sha256Fingerprint(cert).
  virtual Status ValidateFingerprinted(X509* cert, std::string_view sha256_hex) const {
    (void)sha256_hex;
    return Validate(cert);
  }
  // Re-reads CRL files now (the background refresher calls this). Returns the errors of files
  // that failed; those keep their previous CRL.
  virtual Status ReloadCrls() = 0;
  // Earliest nextUpdate among loaded CRLs (for health), or max() when none.
  virtual std::chrono::system_clock::time_point EarliestCrlNextUpdate() const = 0;
  // Counters for metrics.
  virtual uint64_t cache_hits() const = 0;
  virtual uint64_t crl_reload_failures() const = 0;
  // Validations that passed only because crl_policy is fail_open (no current CRL for an issuer
  // in the chain); cache hits count too. Not pure so test doubles need not implement it.
  virtual uint64_t revocation_unknown_accepted() const { return 0; }
};

// Loads anchors, intermediates and CRLs (errors name the key and the file). The returned store
// starts a background CRL refresher thread (when there are CRLs to check) that stops when the
// store is destroyed. `clock` is the time validation uses and must outlive the store.
Result<std::shared_ptr<TrustStore>> LoadTrustStore(const config::TrustConfig& config,
                                                   const Clock& clock);

struct Participant {
  std::string sender_id;
  std::vector<std::string> fingerprints;  // sha256 hex of every bound certificate
  std::vector<std::string> services;      // "*" = all
  bool MayCall(std::string_view service_id) const;
};

class ParticipantStore {
 public:
  virtual ~ParticipantStore() = default;
  virtual const Participant* FindBySender(std::string_view sender_id) const = 0;
  // The registered certificate with this issuer and serial, or null (no ownership passed).
  virtual X509* FindByIssuerSerial(const X509_NAME* issuer, const ASN1_INTEGER* serial) const = 0;
  // Is `cert` one of the participant's certificates?
  virtual bool IsBound(const Participant& participant, X509* cert) const = 0;
};

Result<std::shared_ptr<ParticipantStore>> LoadParticipants(
    const std::vector<config::ParticipantConfig>& participants);

namespace gost {
class PrivateKey;
}  // namespace gost

struct GatewayKey {
  X509Ptr cert;
  EvpPkeyPtr key;                                    // RSA / EC keys; null for GOST
  std::shared_ptr<const gost::PrivateKey> gost_key;  // GOST keys (pki/gost.h); null otherwise
  std::string algorithm;                             // rsa-sha256 | ecdsa-sha256 | gost2015-512
};
// gost2015-512 keys come from a PKCS#8 file or an NCA PKCS#12 container (pkcs12_file +
// password_file, mode 0600; the certificate from the container unless cert_file is given).
// Errors (kGatewayInternal, naming the key and file): file unreadable, password file readable
// by others, wrong container password, key does not match the certificate, algorithm does not
// match the key.
Result<std::shared_ptr<const GatewayKey>> LoadGatewayKey(const config::GatewayKeyConfig& config);

}  // namespace shepgw::pki
