// TrustStore: chain validation with OpenSSL, revocation with our own CRL policy, a verdict
// cache, and the background CRL refresher.
//
// Why revocation is not left to X509_V_FLAG_CRL_CHECK: OpenSSL treats a missing or expired
// CRL as a hard failure, while the gateway's policy (trust.crl_policy) may accept it, and the
// gateway must say *which* issuer's CRL is missing or stale. OpenSSL builds and verifies the
// chain (signatures, validity, basic constraints, strict X.509 checks); this file then looks
// every certificate of that chain up in the CRL of its issuer.
//
// NCA GOST certificates (Kazakh signature OIDs) are parsed by OpenSSL but cannot be verified by
// it, so their chains are built here (BuildGostChain): issuer by name and key id among the
// configured CAs, signature with pki/gost.h, CA flags, validity; the same tail (key usage,
// revocation, cache) then applies to both kinds of chain.

#include <algorithm>
#include <condition_variable>
#include <ctime>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "shepgw/common/logging.h"
#include "shepgw/pki/gost.h"
#include "shepgw/pki/trust.h"

#include "pki/openssl_util.h"

namespace shepgw::pki {
namespace {

using internal::BioPtr;
using internal::DrainOpenSslErrors;
using internal::NameForMessage;
using internal::NameToString;
using internal::ToTimePoint;
using internal::X509CrlPtr;
using internal::X509StackPtr;
using internal::X509StoreCtxPtr;
using internal::X509StorePtr;
using TimePoint = std::chrono::system_clock::time_point;

constexpr TimePoint kForever = TimePoint::max();
// Bounded so a flood of distinct (e.g. self-made) certificates cannot grow memory; far above
// the number of certificates real participants use.
constexpr size_t kCacheCapacity = 10'000;
// The longest GOST chain built (leaf, intermediates, anchor); NCA's are three long.
constexpr size_t kMaxGostChain = 8;

Status Error(ErrorCode code, std::string message) { return {code, std::move(message)}; }

// A configured anchor or intermediate. A CA with a GOST key carries it, parsed once at load:
// GOST chains and CRLs are verified with it (OpenSSL cannot decode the Kazakh key OIDs).
struct CaEntry {
  X509* cert = nullptr;  // owned by TrustStoreImpl::owned_
  bool anchor = false;
  std::optional<gost::PublicKey> gost_key;
};

// The DER encoding (OpenSSL re-emits the signed parts byte for byte from its parse cache).
std::string CertificateDer(X509* cert) {
  unsigned char* der = nullptr;
  const int len = i2d_X509(cert, &der);
  std::string out =
      len > 0 ? std::string(reinterpret_cast<const char*>(der), static_cast<size_t>(len)) : "";
  OPENSSL_free(der);
  return out;
}
std::string CrlDer(X509_CRL* crl) {
  unsigned char* der = nullptr;
  const int len = i2d_X509_CRL(crl, &der);
  std::string out =
      len > 0 ? std::string(reinterpret_cast<const char*>(der), static_cast<size_t>(len)) : "";
  OPENSSL_free(der);
  return out;
}

std::string DottedOid(const ASN1_OBJECT* obj) {
  char buf[128];
  const int n = OBJ_obj2txt(buf, sizeof(buf), obj, 1);
  return n > 0 && static_cast<size_t>(n) < sizeof(buf) ? std::string(buf, static_cast<size_t>(n))
                                                       : "";
}

// Is the certificate signed with a GOST algorithm (Kazakh OIDs)? OpenSSL has no NID for them,
// so RSA/EC certificates are answered without any string work. `unsupported` is set for the
// recognised but unimplemented GOST 2015-256 signature.
bool IsGostSigned(X509* cert, bool* unsupported) {
  *unsupported = false;
  if (X509_get_signature_nid(cert) != NID_undef) {
    return false;
  }
  const X509_ALGOR* alg = nullptr;
  X509_get0_signature(nullptr, &alg, cert);
  const ASN1_OBJECT* obj = nullptr;
  X509_ALGOR_get0(&obj, nullptr, nullptr, alg);
  Result<gost::Algorithm> a = gost::AlgorithmFromSignatureOid(DottedOid(obj));
  if (a.ok()) {
    return true;
  }
  *unsupported = a.status().code() == ErrorCode::kWssAlgorithmUnsupported;
  return *unsupported;
}

struct ChainViewFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }
};

bool ValidAt(X509* cert, TimePoint now) {
  return now >= ToTimePoint(X509_get0_notBefore(cert)) &&
         now <= ToTimePoint(X509_get0_notAfter(cert));
}

// A CRL as loaded from one configured file, with the CA certificate whose key verified it.
struct LoadedCrl {
  X509CrlPtr crl;
  X509Ptr issuer;
  std::string digest;  // SHA-256 of the DER: "did the file change?"
  TimePoint last_update;
  TimePoint next_update = kForever;  // a CRL without nextUpdate never goes stale
};

// The CRLs in force: immutable once published; a reload that changed anything publishes a new
// set with the next generation (cache entries of older generations are dead).
struct CrlSet {
  uint64_t generation = 0;
  std::vector<std::shared_ptr<const LoadedCrl>> by_file;  // index = trust.crls index
  TimePoint earliest_next_update = kForever;
};

// Reads a CRL file (PEM, else DER) and verifies its signature with the CA certificate that
// issued it. Errors carry no key/path (the caller adds them).
Result<std::shared_ptr<const LoadedCrl>> LoadCrl(const std::string& path,
                                                 const std::vector<CaEntry>& cas) {
  Result<std::string> bytes = internal::ReadFileBytes(path);
  if (!bytes.ok()) {
    return bytes.status();
  }
  DrainOpenSslErrors();
  X509CrlPtr crl;
  {
    BioPtr bio(BIO_new_mem_buf(bytes->data(), static_cast<int>(bytes->size())));
    if (bio) {
      crl.reset(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
    }
  }
  if (!crl) {
    // Not PEM: DER, which must be exactly one CRL and nothing after it.
    const auto* p = reinterpret_cast<const unsigned char*>(bytes->data());
    crl.reset(d2i_X509_CRL(nullptr, &p, static_cast<long>(bytes->size())));  // NOLINT
    if (crl && p != reinterpret_cast<const unsigned char*>(bytes->data() + bytes->size())) {
      crl.reset();
    }
  }
  if (!crl) {
    DrainOpenSslErrors();
    return Error(ErrorCode::kGatewayInternal, "not a CRL (PEM or DER)");
  }
  DrainOpenSslErrors();
  const X509_NAME* issuer_name = X509_CRL_get_issuer(crl.get());
  X509* issuer = nullptr;
  bool name_matched = false;
  std::string der;  // of a GOST CRL, made once on first need
  for (const CaEntry& ca : cas) {
    if (X509_NAME_cmp(issuer_name, X509_get_subject_name(ca.cert)) != 0) {
      continue;
    }
    name_matched = true;
    // A CA may have been re-keyed under the same name: the key that verifies wins.
    bool verified = false;
    if (ca.gost_key.has_value()) {
      if (der.empty()) {
        der = CrlDer(crl.get());
      }
      verified = gost::VerifyCrlSignature(der, *ca.gost_key).ok();
    } else {
      verified = X509_CRL_verify(crl.get(), X509_get0_pubkey(ca.cert)) == 1;
    }
    if (verified) {
      issuer = ca.cert;
      break;
    }
  }
  DrainOpenSslErrors();
  const std::string issuer_text = "'" + NameToString(issuer_name) + "'";
  if (issuer == nullptr) {
    return Error(ErrorCode::kGatewayInternal,
                 name_matched ? "the signature of the CRL of " + issuer_text +
                                    " does not verify with that CA's key"
                              : "CRL issued by " + issuer_text +
                                    ", which is neither a trust anchor nor an intermediate");
  }
  auto loaded = std::make_shared<LoadedCrl>();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (X509_CRL_digest(crl.get(), EVP_sha256(), md, &md_len) != 1) {
    return Error(ErrorCode::kGatewayInternal, "cannot hash the CRL: " + DrainOpenSslErrors());
  }
  loaded->digest.assign(reinterpret_cast<const char*>(md), md_len);
  loaded->last_update = ToTimePoint(X509_CRL_get0_lastUpdate(crl.get()));
  if (const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl.get()); next != nullptr) {
    loaded->next_update = ToTimePoint(next);
  }
  loaded->issuer = UpRef(issuer);
  loaded->crl = std::move(crl);
  return std::shared_ptr<const LoadedCrl>(std::move(loaded));
}

// Is the certificate's key a Kazakh NCA GOST key? Its SPKI algorithm is under
// 1.2.398.3.10.1.1 (2004: …1.1.1, 2015: …1.2.x; docs/security.md § GOST).
bool HasKazakhGostKey(X509* cert) {
  X509_PUBKEY* pub = X509_get_X509_PUBKEY(cert);
  ASN1_OBJECT* algorithm = nullptr;
  if (pub == nullptr || X509_PUBKEY_get0_param(&algorithm, nullptr, nullptr, nullptr, pub) != 1 ||
      algorithm == nullptr) {
    return false;
  }
  char oid[96];
  const int n = OBJ_obj2txt(oid, sizeof(oid), algorithm, 1);
  return n > 0 && static_cast<size_t>(n) < sizeof(oid) &&
         std::string_view(oid, static_cast<size_t>(n)).starts_with("1.2.398.3.10.1.1.");
}

void ComputeEarliest(CrlSet& set) {
  set.earliest_next_update = kForever;
  for (const auto& crl : set.by_file) {
    if (crl) {
      set.earliest_next_update = std::min(set.earliest_next_update, crl->next_update);
    }
  }
}

// One cached verdict. An entry is used only for the generation it was computed under and while
// the clock is within [valid_from, valid_until): an OK verdict must not outlive the certificate
// (or a CA above it) nor the CRLs it relied on.
struct CacheEntry {
  Status status;
  uint64_t generation = 0;
  TimePoint valid_from;
  TimePoint valid_until = kForever;
  bool accepted_unknown_revocation = false;  // fail_open accepted a missing/stale CRL
};

class VerdictCache {
 public:
  std::optional<CacheEntry> Lookup(std::string_view key, uint64_t generation, TimePoint now) {
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(key);
    if (it == entries_.end()) {
      return std::nullopt;
    }
    const CacheEntry& e = it->second;
    if (e.generation != generation || now < e.valid_from || now >= e.valid_until) {
      entries_.erase(it);
      return std::nullopt;
    }
    return e;
  }
  void Insert(std::string_view key, CacheEntry entry) {
    std::lock_guard lock(mutex_);
    if (entries_.size() >= kCacheCapacity && entries_.find(key) == entries_.end()) {
      // Simple eviction: an arbitrary entry. A miss costs one chain validation, nothing more.
      entries_.erase(entries_.begin());
    }
    entries_.insert_or_assign(std::string(key), std::move(entry));
  }
  void Clear() {
    std::lock_guard lock(mutex_);
    entries_.clear();
  }

 private:
  std::mutex mutex_;
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, CacheEntry, Hash, std::equal_to<>> entries_;
};

struct Verdict {
  Status status;
  bool cacheable = false;
  TimePoint valid_from;
  TimePoint valid_until = kForever;
  bool accepted_unknown_revocation = false;
};

class TrustStoreImpl final : public TrustStore {
 public:
  TrustStoreImpl(config::TrustConfig config, const Clock& clock)
      : config_(std::move(config)), clock_(clock) {}

  ~TrustStoreImpl() override {
    {
      std::lock_guard lock(stop_mutex_);
      stop_ = true;
    }
    stop_cv_.notify_all();
    if (refresher_.joinable()) {
      refresher_.join();
    }
  }

  Status Init() {
    store_.reset(X509_STORE_new());
    untrusted_.reset(sk_X509_new_null());
    if (!store_ || !untrusted_) {
      return Error(ErrorCode::kGatewayInternal, "out of memory: " + DrainOpenSslErrors());
    }
    if (config_.anchors.empty()) {
      return Error(ErrorCode::kGatewayInternal, "trust.anchors: at least one file is required");
    }
    if (Status s = LoadCas("trust.anchors", config_.anchors, true); !s.ok()) {
      return s;
    }
    if (Status s = LoadCas("trust.intermediates", config_.intermediates, false); !s.ok()) {
      return s;
    }
    auto set = std::make_shared<CrlSet>();
    for (size_t i = 0; i < config_.crls.size(); ++i) {
      auto crl = LoadCrl(config_.crls[i], cas_);
      if (!crl.ok()) {
        return Error(ErrorCode::kGatewayInternal, CrlKey(i) + crl.status().message());
      }
      set->by_file.push_back(std::move(crl.value()));
    }
    ComputeEarliest(*set);
    crls_ = std::move(set);
    if (config_.check_revocation && !config_.crls.empty()) {
      refresher_ = std::thread([this] { RefreshLoop(); });
    }
    return Status::Ok();
  }

  Status Validate(X509* cert) const override {
    if (cert == nullptr) {
      return Error(ErrorCode::kPkiCertificateUntrusted, "no certificate");
    }
    return ValidateFingerprinted(cert, Sha256Fingerprint(cert));
  }

  Status ValidateFingerprinted(X509* cert, std::string_view key) const override {
    if (cert == nullptr) {
      return Error(ErrorCode::kPkiCertificateUntrusted, "no certificate");
    }
    if (key.empty()) {  // an unknown fingerprint: hash here (never cache under "")
      const std::string computed = Sha256Fingerprint(cert);
      if (computed.empty()) {
        return Error(ErrorCode::kPkiCertificateUntrusted, "cannot fingerprint the certificate");
      }
      return ValidateFingerprinted(cert, computed);
    }
    const TimePoint now = clock_.Now();
    const std::shared_ptr<const CrlSet> crls = CurrentCrls();
    if (std::optional<CacheEntry> hit = cache_.Lookup(key, crls->generation, now)) {
      cache_hits_.fetch_add(1, std::memory_order_relaxed);
      if (hit->accepted_unknown_revocation) {
        revocation_unknown_accepted_.fetch_add(1, std::memory_order_relaxed);
      }
      return hit->status;
    }
    Verdict v = Compute(cert, *crls, now);
    if (v.accepted_unknown_revocation) {
      revocation_unknown_accepted_.fetch_add(1, std::memory_order_relaxed);
    }
    if (v.cacheable) {
      cache_.Insert(key, CacheEntry{v.status, crls->generation, v.valid_from, v.valid_until,
                                    v.accepted_unknown_revocation});
    }
    return v.status;
  }

  Status ReloadCrls() override {
    std::lock_guard reload_lock(reload_mutex_);  // the refresher and a caller may race
    const std::shared_ptr<const CrlSet> current = CurrentCrls();
    auto next = std::make_shared<CrlSet>(*current);
    bool changed = false;
    std::string errors;
    for (size_t i = 0; i < config_.crls.size(); ++i) {
      auto crl = LoadCrl(config_.crls[i], cas_);
      if (!crl.ok()) {
        // Keep the previous CRL: a half-written download must not open (or close) the gate.
        crl_reload_failures_.fetch_add(1, std::memory_order_relaxed);
        const std::string message = CrlKey(i) + crl.status().message();
        Log().error("CRL reload failed, keeping the previous CRL: {}", message);
        errors += errors.empty() ? message : "; " + message;
        continue;
      }
      if (next->by_file[i] == nullptr || next->by_file[i]->digest != crl.value()->digest) {
        next->by_file[i] = std::move(crl.value());
        changed = true;
      }
    }
    if (changed) {
      next->generation = current->generation + 1;
      ComputeEarliest(*next);
      {
        std::lock_guard lock(crls_mutex_);
        crls_ = std::move(next);
      }
      cache_.Clear();
      Log().info("CRLs reloaded: a CRL changed, validation cache cleared");
    }
    if (!errors.empty()) {
      return Error(ErrorCode::kGatewayInternal, std::move(errors));
    }
    return Status::Ok();
  }

  std::chrono::system_clock::time_point EarliestCrlNextUpdate() const override {
    return CurrentCrls()->earliest_next_update;
  }
  uint64_t cache_hits() const override { return cache_hits_.load(std::memory_order_relaxed); }
  uint64_t crl_reload_failures() const override {
    return crl_reload_failures_.load(std::memory_order_relaxed);
  }
  uint64_t revocation_unknown_accepted() const override {
    return revocation_unknown_accepted_.load(std::memory_order_relaxed);
  }

 private:
  std::string CrlKey(size_t i) const {
    return "trust.crls[" + std::to_string(i) + "] '" + config_.crls[i] + "': ";
  }

  Status LoadCas(const std::string& key, const std::vector<std::string>& files, bool anchors) {
    for (size_t i = 0; i < files.size(); ++i) {
      const std::string where = key + "[" + std::to_string(i) + "] ";
      auto certs = LoadPemCertificates(files[i]);
      if (!certs.ok()) {
        return Error(ErrorCode::kGatewayInternal, where + certs.status().message());
      }
      for (X509Ptr& cert : certs.value()) {
        // Only CA certificates: an end-entity certificate listed here by mistake would
        // otherwise become a trust anchor for itself.
        if (X509_check_ca(cert.get()) == 0) {
          return Error(ErrorCode::kGatewayInternal, where + "'" + files[i] +
                                                        "': " + NameForMessage(cert.get()) +
                                                        " is not a CA certificate");
        }
        CaEntry entry{cert.get(), anchors, std::nullopt};
        // A GOST CA's key is parsed now, once: a malformed one is a configuration error, not
        // an "untrusted" verdict for every signer below it. RSA/EC keys are OpenSSL's.
        // Only a CA whose key is a Kazakh GOST key goes through pki::gost's strict DER reader:
        // an RSA/EC anchor that loaded before (OpenSSL never checks an anchor's own encoding
        // strictly) must still load.
        if (!HasKazakhGostKey(cert.get())) {
          // not GOST: nothing to parse here
        } else if (Result<gost::PublicKey> gost_key =
                       gost::CertificatePublicKey(CertificateDer(cert.get()));
                   gost_key.ok()) {
          entry.gost_key = std::move(gost_key.value());
        } else {
          DrainOpenSslErrors();
          return Error(ErrorCode::kGatewayInternal,
                       where + "'" + files[i] + "': " + NameForMessage(cert.get()) +
                           ": unusable GOST public key: " + gost_key.status().message());
        }
        const bool added = anchors
                               ? X509_STORE_add_cert(store_.get(), cert.get()) == 1
                               : sk_X509_push(untrusted_.get(), UpRef(cert.get()).release()) > 0;
        if (!added) {
          return Error(ErrorCode::kGatewayInternal,
                       where + "'" + files[i] + "': " + DrainOpenSslErrors());
        }
        cas_.push_back(std::move(entry));
        owned_.push_back(std::move(cert));
      }
    }
    DrainOpenSslErrors();  // X509_STORE_add_cert may queue "already in store" for duplicates
    return Status::Ok();
  }

  std::shared_ptr<const CrlSet> CurrentCrls() const {
    std::lock_guard lock(crls_mutex_);
    return crls_;
  }

  Verdict Compute(X509* cert, const CrlSet& crls, TimePoint now) const {
    bool gost_unsupported = false;
    if (IsGostSigned(cert, &gost_unsupported)) {
      return ComputeGost(cert, crls, now, gost_unsupported);
    }
    Verdict v;
    X509StoreCtxPtr ctx(X509_STORE_CTX_new());
    if (!ctx || X509_STORE_CTX_init(ctx.get(), store_.get(), cert, untrusted_.get()) != 1) {
      v.status = Error(ErrorCode::kGatewayInternal,
                       "cannot set up certificate validation: " + DrainOpenSslErrors());
      return v;
    }
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
    X509_VERIFY_PARAM_set_time(param, std::chrono::system_clock::to_time_t(now));
    // Strict X.509 checks; and no X509_V_FLAG_PARTIAL_CHAIN: a chain ends at a configured
    // anchor, an intermediate alone is never enough.
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT);
    const int verified = X509_verify_cert(ctx.get());
    const std::string who = NameForMessage(cert);
    if (verified != 1) {
      v.status = ChainError(ctx.get(), cert, who);
      // Expiry and not-yet-valid change with time; everything else about a chain only with
      // the trust material, which never changes during this store's life.
      v.cacheable = v.status.code() == ErrorCode::kPkiCertificateUntrusted;
      DrainOpenSslErrors();
      return v;
    }
    FinishVerdict(cert, X509_STORE_CTX_get0_chain(ctx.get()), crls, now, who, v);
    DrainOpenSslErrors();
    return v;
  }

  // A GOST-signed certificate: the chain is built and verified here (see the file comment),
  // with the same codes and messages as OpenSSL's path.
  Verdict ComputeGost(X509* cert, const CrlSet& crls, TimePoint now, bool unsupported) const {
    Verdict v;
    const std::string who = NameForMessage(cert);
    if (unsupported) {
      v.status = Error(ErrorCode::kPkiCertificateUntrusted,
                       "certificate " + who +
                           " is not trusted: its signature algorithm (GOST 34.10-2015-256) is "
                           "not supported");
      v.cacheable = true;
      return v;
    }
    // Non-owning: the leaf is the caller's, the CAs are owned_.
    std::unique_ptr<STACK_OF(X509), ChainViewFree> chain(sk_X509_new_null());
    if (!chain) {
      v.status = Error(ErrorCode::kGatewayInternal, "out of memory");
      return v;
    }
    if (Status s = BuildGostChain(cert, now, who, chain.get()); !s.ok()) {
      v.status = std::move(s);
      v.cacheable = true;  // names, keys and CA flags change only with the trust material
      DrainOpenSslErrors();
      return v;
    }
    // Validity, top-down as OpenSSL checks it, so an expired CA is named before its subjects.
    for (int i = sk_X509_num(chain.get()) - 1; i >= 0; --i) {
      X509* c = sk_X509_value(chain.get(), i);
      const std::string subject =
          i == 0 ? "certificate " + who
                 : "CA certificate " + NameForMessage(c) + " in the chain of " + who;
      const TimePoint not_before = ToTimePoint(X509_get0_notBefore(c));
      const TimePoint not_after = ToTimePoint(X509_get0_notAfter(c));
      if (now < not_before) {
        v.status = Error(ErrorCode::kPkiCertificateNotYetValid,
                         subject + " is not valid before " + FormatXsdDateTime(not_before));
        return v;  // not cacheable: time alone changes it
      }
      if (now > not_after) {
        v.status = Error(ErrorCode::kPkiCertificateExpired,
                         subject + " expired at " + FormatXsdDateTime(not_after));
        return v;
      }
    }
    FinishVerdict(cert, chain.get(), crls, now, who, v);
    DrainOpenSslErrors();
    return v;
  }

  // "certificate 'leaf'" or "CA certificate 'ca' in the chain of 'leaf'" (as ChainError says).
  static std::string ChainMember(X509* c, X509* leaf, const std::string& who) {
    return c == leaf ? "certificate " + who
                     : "CA certificate " + NameForMessage(c) + " in the chain of " + who;
  }

  // Builds leaf → … → anchor into `chain` (non-owning entries) from the configured CAs: the
  // issuer of each certificate is a configured CA whose subject is its issuer name, whose
  // subjectKeyIdentifier is its authorityKeyIdentifier (when both exist), whose GOST key
  // verifies its signature, and which may issue certificates. Errors: kPkiCertificateUntrusted.
  Status BuildGostChain(X509* leaf, TimePoint now, const std::string& who,
                        STACK_OF(X509) * chain) const {
    X509* cur = leaf;
    for (;;) {
      sk_X509_push(chain, cur);
      const uint32_t flags = X509_get_extension_flags(cur);
      if ((flags & EXFLAG_INVALID) != 0) {
        return Error(ErrorCode::kPkiCertificateUntrusted,
                     ChainMember(cur, leaf, who) +
                         " is not trusted: invalid or inconsistent certificate extensions");
      }
      if ((flags & EXFLAG_CRITICAL) != 0) {
        return Error(ErrorCode::kPkiCertificateUntrusted,
                     ChainMember(cur, leaf, who) + " is not trusted: unhandled critical extension");
      }
      // Constraints OpenSSL enforces on RSA/EC chains but this GOST chain builder does not:
      // refused rather than silently ignored (NCA's GOST CAs are not known to carry them).
      for (const auto& [nid, name] : {std::pair{NID_name_constraints, "nameConstraints"},
                                      std::pair{NID_policy_constraints, "policyConstraints"}}) {
        if (X509_get_ext_by_NID(cur, nid, -1) >= 0) {
          return Error(ErrorCode::kPkiCertificateUntrusted,
                       ChainMember(cur, leaf, who) + " is not trusted: it carries " + name +
                           ", which GOST chains do not enforce");
        }
      }
      if (IsAnchor(cur)) {
        return Status::Ok();
      }
      if (static_cast<size_t>(sk_X509_num(chain)) >= kMaxGostChain) {
        return Error(ErrorCode::kPkiCertificateUntrusted,
                     "certificate " + who + " is not trusted: no trust anchor within " +
                         std::to_string(kMaxGostChain) + " certificates");
      }
      std::string reason;
      const CaEntry* issuer = FindGostIssuer(cur, now, &reason);
      if (issuer == nullptr) {
        return Error(ErrorCode::kPkiCertificateUntrusted,
                     ChainMember(cur, leaf, who) + " is not trusted: " + reason);
      }
      X509* ca = issuer->cert;
      const std::string ca_text =
          "CA certificate " + NameForMessage(ca) + " in the chain of " + who + " is not trusted: ";
      const uint32_t ca_flags = X509_get_extension_flags(ca);
      if ((ca_flags & EXFLAG_BCONS) == 0 || (ca_flags & EXFLAG_CA) == 0) {
        return Error(ErrorCode::kPkiCertificateUntrusted,
                     ca_text + "it is not a CA (no basicConstraints CA:TRUE)");
      }
      if ((ca_flags & EXFLAG_KUSAGE) != 0 && (X509_get_key_usage(ca) & KU_KEY_CERT_SIGN) == 0) {
        return Error(ErrorCode::kPkiCertificateUntrusted,
                     ca_text + "its keyUsage does not allow keyCertSign");
      }
      // pathLenConstraint counts the intermediates below the CA (the leaf is not one).
      const long path_len = X509_get_pathlen(ca);  // NOLINT(google-runtime-int): OpenSSL's type
      if (path_len >= 0 && sk_X509_num(chain) - 1 > path_len) {
        return Error(ErrorCode::kPkiCertificateUntrusted,
                     ca_text + "path length constraint exceeded");
      }
      for (int i = 0; i < sk_X509_num(chain); ++i) {
        if (sk_X509_value(chain, i) == ca) {  // a self-signed CA that is not an anchor
          return Error(ErrorCode::kPkiCertificateUntrusted,
                       ca_text + "the chain ends at a CA that is not a trust anchor");
        }
      }
      cur = ca;
    }
  }

  // Is `a` the same CA as `b`: the same certificate, or the same subject name and the same key
  // (a renewed CA certificate)? A CRL belongs to the CA (name + key), not to one of its
  // certificates: a CRL bound at load to one certificate of the CA must also be found for a
  // chain built through its renewed certificate.
  bool SameCa(X509* a, X509* b) const {
    if (X509_cmp(a, b) == 0) {
      return true;
    }
    if (X509_NAME_cmp(X509_get_subject_name(a), X509_get_subject_name(b)) != 0) {
      return false;
    }
    const CaEntry* ca_a = FindCaEntry(a);
    const CaEntry* ca_b = FindCaEntry(b);
    if (ca_a != nullptr && ca_b != nullptr &&
        (ca_a->gost_key.has_value() || ca_b->gost_key.has_value())) {
      return ca_a->gost_key.has_value() && ca_b->gost_key.has_value() &&
             ca_a->gost_key->algorithm() == ca_b->gost_key->algorithm() &&
             ca_a->gost_key->xy_le() == ca_b->gost_key->xy_le();
    }
    EVP_PKEY* key_a = X509_get0_pubkey(a);
    EVP_PKEY* key_b = X509_get0_pubkey(b);
    const bool same = key_a != nullptr && key_b != nullptr && EVP_PKEY_eq(key_a, key_b) == 1;
    DrainOpenSslErrors();
    return same;
  }

  const CaEntry* FindCaEntry(X509* cert) const {
    for (const CaEntry& ca : cas_) {
      if (X509_cmp(ca.cert, cert) == 0) {
        return &ca;
      }
    }
    return nullptr;
  }

  bool IsAnchor(X509* cert) const {
    for (const CaEntry& ca : cas_) {
      if (ca.anchor && X509_cmp(ca.cert, cert) == 0) {
        return true;
      }
    }
    return false;
  }

  // The configured CA that issued `cert` (nullptr with `reason` set when none). A CA re-keyed
  // under the same name is told apart by its key: the key that verifies wins; among several
  // that verify (a renewed CA certificate of the same key), one valid at `now`.
  const CaEntry* FindGostIssuer(X509* cert, TimePoint now, std::string* reason) const {
    const X509_NAME* issuer_name = X509_get_issuer_name(cert);
    const ASN1_OCTET_STRING* akid = X509_get0_authority_key_id(cert);
    std::string der;
    bool named = false;
    bool gost_named = false;
    bool key_id_matched = false;
    const CaEntry* found = nullptr;
    for (const CaEntry& ca : cas_) {
      if (X509_NAME_cmp(issuer_name, X509_get_subject_name(ca.cert)) != 0) {
        continue;
      }
      named = true;
      if (!ca.gost_key.has_value()) {
        continue;
      }
      gost_named = true;
      const ASN1_OCTET_STRING* skid = X509_get0_subject_key_id(ca.cert);
      if (akid != nullptr && skid != nullptr && ASN1_OCTET_STRING_cmp(akid, skid) != 0) {
        continue;
      }
      key_id_matched = true;
      if (der.empty()) {
        der = CertificateDer(cert);
      }
      if (!gost::VerifyCertificateSignature(der, *ca.gost_key).ok()) {
        continue;
      }
      if (found == nullptr || ValidAt(ca.cert, now)) {
        found = &ca;
      }
      if (ValidAt(ca.cert, now)) {
        break;
      }
    }
    if (found != nullptr) {
      return found;
    }
    const std::string issuer_text = "'" + NameToString(issuer_name) + "'";
    if (!named) {
      *reason = "unable to get local issuer certificate (no configured CA is " + issuer_text + ")";
    } else if (!gost_named) {
      *reason = "its GOST signature cannot be checked: the configured CA " + issuer_text +
                " has no GOST key (a chain does not mix algorithms)";
    } else if (!key_id_matched) {
      *reason = "no configured CA " + issuer_text +
                " has the subjectKeyIdentifier its authorityKeyIdentifier names";
    } else {
      *reason =
          "certificate signature failure (it does not verify with the key of the "
          "configured CA " +
          issuer_text + ")";
    }
    return nullptr;
  }

  // The common tail of both paths: the verdict's time window, key usage, revocation.
  void FinishVerdict(X509* cert, STACK_OF(X509) * chain, const CrlSet& crls, TimePoint now,
                     const std::string& who, Verdict& v) const {
    const int depth = sk_X509_num(chain);
    v.valid_from = TimePoint::min();
    for (int i = 0; i < depth; ++i) {
      X509* c = sk_X509_value(chain, i);
      v.valid_from = std::max(v.valid_from, ToTimePoint(X509_get0_notBefore(c)));
      v.valid_until = std::min(v.valid_until, ToTimePoint(X509_get0_notAfter(c)));
    }

    // NCA signing certificates always carry keyUsage; a certificate without it was not issued
    // for signing, so its absence is refused rather than read as "any use".
    if ((X509_get_extension_flags(cert) & EXFLAG_KUSAGE) == 0) {
      v.status = Error(ErrorCode::kPkiCertificateKeyUsage,
                       "certificate " + who + " has no keyUsage extension");
      v.cacheable = true;
      v.valid_from = TimePoint::min();
      v.valid_until = kForever;
      return;
    }
    if ((X509_get_key_usage(cert) & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) == 0) {
      v.status =
          Error(ErrorCode::kPkiCertificateKeyUsage, "certificate " + who +
                                                        " allows neither digitalSignature nor "
                                                        "nonRepudiation");
      v.cacheable = true;
      v.valid_from = TimePoint::min();
      v.valid_until = kForever;
      return;
    }

    if (config_.check_revocation) {
      CheckRevocation(chain, crls, now, who, v);
    } else {
      v.cacheable = true;
    }
  }

  static Status ChainError(X509_STORE_CTX* ctx, X509* leaf, const std::string& who) {
    const int err = X509_STORE_CTX_get_error(ctx);
    const int depth = X509_STORE_CTX_get_error_depth(ctx);
    X509* at = X509_STORE_CTX_get_current_cert(ctx);
    // Which certificate the problem is about: the signer itself or a CA above it.
    const std::string subject =
        depth <= 0 || at == nullptr || at == leaf
            ? "certificate " + who
            : "CA certificate " + NameForMessage(at) + " in the chain of " + who;
    switch (err) {
      case X509_V_ERR_CERT_HAS_EXPIRED:
        return Error(ErrorCode::kPkiCertificateExpired,
                     subject + " expired at " +
                         FormatXsdDateTime(ToTimePoint(X509_get0_notAfter(at ? at : leaf))));
      case X509_V_ERR_CERT_NOT_YET_VALID:
        return Error(ErrorCode::kPkiCertificateNotYetValid,
                     subject + " is not valid before " +
                         FormatXsdDateTime(ToTimePoint(X509_get0_notBefore(at ? at : leaf))));
      default:
        break;
    }
    return Error(ErrorCode::kPkiCertificateUntrusted,
                 subject + " is not trusted: " + X509_verify_cert_error_string(err));
  }

  // Looks every certificate of the chain below the anchor up in its issuer's CRLs.
  void CheckRevocation(STACK_OF(X509) * chain, const CrlSet& crls, TimePoint now,
                       const std::string& who, Verdict& v) const {
    std::string unknown;  // why the status of some certificate is unknown (first reason)
    for (int i = 0; i + 1 < sk_X509_num(chain); ++i) {
      X509* subject = sk_X509_value(chain, i);
      X509* issuer = sk_X509_value(chain, i + 1);
      bool any = false;
      bool fresh = false;
      TimePoint stale_since = TimePoint::min();
      for (const auto& crl : crls.by_file) {
        if (crl == nullptr || !SameCa(crl->issuer.get(), issuer)) {
          continue;
        }
        any = true;
        // Revocation is permanent: an entry counts even in a stale CRL.
        X509_REVOKED* revoked = nullptr;
        if (X509_CRL_get0_by_cert(crl->crl.get(), &revoked, subject) == 1) {
          const std::string what =
              subject == sk_X509_value(chain, 0)
                  ? "certificate " + who
                  : "CA certificate " + NameForMessage(subject) + " in the chain of " + who;
          v.status = Error(
              ErrorCode::kPkiCertificateRevoked,
              what + " is revoked (CRL of '" + NameToString(X509_get_subject_name(issuer)) + "')");
          v.cacheable = true;  // until the CRLs change (generation)
          v.valid_from = TimePoint::min();
          v.valid_until = kForever;
          return;
        }
        if (now >= crl->last_update && now < crl->next_update) {
          fresh = true;
          v.valid_from = std::max(v.valid_from, crl->last_update);
          v.valid_until = std::min(v.valid_until, crl->next_update);
        } else {
          stale_since = std::max(stale_since, crl->next_update);
        }
      }
      if (!fresh && unknown.empty()) {
        const std::string issuer_text = "'" + NameToString(X509_get_subject_name(issuer)) + "'";
        unknown = any ? "the CRL of " + issuer_text + " is not current (nextUpdate " +
                            FormatXsdDateTime(stale_since) + ")"
                      : "no CRL for issuer " + issuer_text;
      }
    }
    if (unknown.empty()) {
      v.cacheable = true;
      return;
    }
    if (config_.crl_policy == "fail_open") {
      Log().warn("revocation status of certificate {} unknown, accepted (crl_policy fail_open): {}",
                 SanitizeForLog(who, 400), SanitizeForLog(unknown, 400));
      v.accepted_unknown_revocation = true;
      // Cached for this CRL generation: the next CRL change re-evaluates it.
      v.cacheable = true;
      return;
    }
    v.status = Error(ErrorCode::kPkiRevocationUnknown,
                     "revocation status of certificate " + who + " is unknown: " + unknown);
    v.cacheable = false;  // a CRL can become current again by time alone (lastUpdate)
  }

  void RefreshLoop() {
    std::unique_lock lock(stop_mutex_);
    while (!stop_) {
      if (stop_cv_.wait_for(lock, config_.crl_refresh, [this] { return stop_; })) {
        break;
      }
      lock.unlock();
      (void)ReloadCrls();  // logs and counts its own failures
      lock.lock();
    }
  }

  const config::TrustConfig config_;
  const Clock& clock_;
  X509StorePtr store_;          // the anchors; read-only after Init
  X509StackPtr untrusted_;      // the intermediates; read-only after Init
  std::vector<X509Ptr> owned_;  // every anchor and intermediate
  std::vector<CaEntry> cas_;    // the same (anchors first), for GOST chains and CRL issuers

  mutable std::mutex crls_mutex_;
  std::shared_ptr<const CrlSet> crls_;
  std::mutex reload_mutex_;

  mutable VerdictCache cache_;
  mutable std::atomic<uint64_t> cache_hits_{0};
  mutable std::atomic<uint64_t> revocation_unknown_accepted_{0};
  std::atomic<uint64_t> crl_reload_failures_{0};

  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::thread refresher_;  // last: started after everything above exists
};

}  // namespace

Result<std::shared_ptr<TrustStore>> LoadTrustStore(const config::TrustConfig& config,
                                                   const Clock& clock) {
  auto store = std::make_shared<TrustStoreImpl>(config, clock);
  if (Status s = store->Init(); !s.ok()) {
    return s;
  }
  return std::shared_ptr<TrustStore>(std::move(store));
}

}  // namespace shepgw::pki
