// TrustStore: chain validation with OpenSSL, revocation with our own CRL policy, a verdict
// cache, and the background CRL refresher.
//
// Why revocation is not left to X509_V_FLAG_CRL_CHECK: OpenSSL treats a missing or expired
// CRL as a hard failure, while the gateway's policy (trust.crl_policy) may accept it, and the
// gateway must say *which* issuer's CRL is missing or stale. OpenSSL builds and verifies the
// chain (signatures, validity, basic constraints, strict X.509 checks); this file then looks
// every certificate of that chain up in the CRL of its issuer.

#include <algorithm>
#include <condition_variable>
#include <ctime>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "shepgw/common/logging.h"
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

Status Error(ErrorCode code, std::string message) { return {code, std::move(message)}; }

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
                                                 const std::vector<X509*>& cas) {
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
  for (X509* ca : cas) {
    if (X509_NAME_cmp(issuer_name, X509_get_subject_name(ca)) != 0) {
      continue;
    }
    name_matched = true;
    // A CA may have been re-keyed under the same name: the key that verifies wins.
    if (X509_CRL_verify(crl.get(), X509_get0_pubkey(ca)) == 1) {
      issuer = ca;
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
        const bool added = anchors
                               ? X509_STORE_add_cert(store_.get(), cert.get()) == 1
                               : sk_X509_push(untrusted_.get(), UpRef(cert.get()).release()) > 0;
        if (!added) {
          return Error(ErrorCode::kGatewayInternal,
                       where + "'" + files[i] + "': " + DrainOpenSslErrors());
        }
        cas_.push_back(cert.get());
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
    STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get());
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
      return v;
    }
    if ((X509_get_key_usage(cert) & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) == 0) {
      v.status =
          Error(ErrorCode::kPkiCertificateKeyUsage, "certificate " + who +
                                                        " allows neither digitalSignature nor "
                                                        "nonRepudiation");
      v.cacheable = true;
      v.valid_from = TimePoint::min();
      v.valid_until = kForever;
      return v;
    }

    if (config_.check_revocation) {
      CheckRevocation(chain, crls, now, who, v);
    } else {
      v.cacheable = true;
    }
    DrainOpenSslErrors();
    return v;
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
        if (crl == nullptr || X509_cmp(crl->issuer.get(), issuer) != 0) {
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
  std::vector<X509*> cas_;      // the same, for CRL issuer lookup

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
