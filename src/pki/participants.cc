// ParticipantStore: senderId → bound certificates and allowed services.

#include <algorithm>
#include <map>
#include <utility>

#include <openssl/x509.h>

#include "shepgw/pki/trust.h"

#include "pki/openssl_util.h"

namespace shepgw::pki {
namespace {

// Lowercase hex without ':' separators, or "" when `text` is not a SHA-256 fingerprint. The
// config loader already normalises; this guards callers that build ParticipantConfig by hand.
std::string NormalizeFingerprint(std::string_view text) {
  std::string hex;
  for (char c : text) {
    if (c == ':') {
      continue;
    }
    if (c >= 'A' && c <= 'F') {
      c = static_cast<char>(c - 'A' + 'a');
    }
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return "";
    }
    hex += c;
  }
  return hex.size() == 64 ? hex : "";
}

class ParticipantStoreImpl final : public ParticipantStore {
 public:
  Status Add(size_t index, const config::ParticipantConfig& config) {
    const std::string key = "participants[" + std::to_string(index) + "]";
    if (config.sender_id.empty()) {
      return {ErrorCode::kGatewayInternal, key + ".sender_id: must not be empty"};
    }
    if (by_sender_.count(config.sender_id) != 0) {
      return {ErrorCode::kGatewayInternal,
              key + ": duplicate sender_id '" + config.sender_id + "'"};
    }
    Participant p;
    p.sender_id = config.sender_id;
    p.services = config.services;
    const auto bind = [&p](std::string fingerprint) {
      if (std::find(p.fingerprints.begin(), p.fingerprints.end(), fingerprint) ==
          p.fingerprints.end()) {
        p.fingerprints.push_back(std::move(fingerprint));
      }
    };
    for (size_t i = 0; i < config.certificates.size(); ++i) {
      auto certs = LoadPemCertificates(config.certificates[i]);
      if (!certs.ok()) {
        return {ErrorCode::kGatewayInternal,
                key + ".certificates[" + std::to_string(i) + "] " + certs.status().message()};
      }
      for (X509Ptr& cert : certs.value()) {
        bind(Sha256Fingerprint(cert.get()));
        certs_.push_back(std::move(cert));
      }
    }
    for (size_t i = 0; i < config.fingerprints.size(); ++i) {
      std::string hex = NormalizeFingerprint(config.fingerprints[i]);
      if (hex.empty()) {
        return {ErrorCode::kGatewayInternal,
                key + ".fingerprints[" + std::to_string(i) + "]: '" + config.fingerprints[i] +
                    "' is not a SHA-256 fingerprint (64 hex digits, ':' separators allowed)"};
      }
      bind(std::move(hex));
    }
    if (p.fingerprints.empty()) {
      return {ErrorCode::kGatewayInternal, key + ": no certificate or fingerprint"};
    }
    by_sender_.emplace(p.sender_id, std::move(p));
    return Status::Ok();
  }

  const Participant* FindBySender(std::string_view sender_id) const override {
    const auto it = by_sender_.find(sender_id);
    return it == by_sender_.end() ? nullptr : &it->second;
  }

  X509* FindByIssuerSerial(const X509_NAME* issuer, const ASN1_INTEGER* serial) const override {
    if (issuer == nullptr || serial == nullptr) {
      return nullptr;
    }
    // X509_NAME_cmp compares the canonical encodings, so a UTF8String issuer written by the
    // client matches the certificate's whatever its spacing and case of ASCII parts; a string
    // comparison of rendered names would fail on the Cyrillic/Kazakh NCA names.
    for (const X509Ptr& cert : certs_) {
      if (ASN1_INTEGER_cmp(X509_get0_serialNumber(cert.get()), serial) == 0 &&
          X509_NAME_cmp(X509_get_issuer_name(cert.get()), issuer) == 0) {
        return cert.get();
      }
    }
    return nullptr;
  }

  bool IsBound(const Participant& participant, X509* cert) const override {
    if (cert == nullptr) {
      return false;
    }
    const std::string fingerprint = Sha256Fingerprint(cert);
    return !fingerprint.empty() &&
           std::find(participant.fingerprints.begin(), participant.fingerprints.end(),
                     fingerprint) != participant.fingerprints.end();
  }

 private:
  std::map<std::string, Participant, std::less<>> by_sender_;
  std::vector<X509Ptr> certs_;  // every certificate loaded from a file, for IssuerSerial lookup
};

}  // namespace

bool Participant::MayCall(std::string_view service_id) const {
  return std::any_of(services.begin(), services.end(),
                     [&](const std::string& s) { return s == "*" || s == service_id; });
}

Result<std::shared_ptr<ParticipantStore>> LoadParticipants(
    const std::vector<config::ParticipantConfig>& participants) {
  auto store = std::make_shared<ParticipantStoreImpl>();
  for (size_t i = 0; i < participants.size(); ++i) {
    if (Status s = store->Add(i, participants[i]); !s.ok()) {
      return s;
    }
  }
  return std::shared_ptr<ParticipantStore>(std::move(store));
}

}  // namespace shepgw::pki
