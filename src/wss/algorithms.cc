// The algorithm table (one row per URI: config name, digest, sign and verify primitives) and
// the streamed exclusive c14n that feeds the digests. Signing and verifying both compute the
// digests themselves and hand the primitive a digest: adding an algorithm is adding a row
// (docs/security.md §Crypto).
#include <algorithm>
#include <array>

#include <libxml/c14n.h>
#include <libxml/uri.h>
#include <libxml/xmlIO.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "wss/internal.h"

namespace shepgw::wss::internal {
namespace {

// --- digests (OpenSSL) -----------------------------------------------------------------------

// Fetched once: an EVP_sha256()-style getter fetches implicitly on every use.
const EVP_MD* FetchedMd(const char* name) {
  struct Fetched {
    EVP_MD* sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
    EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    EVP_MD* sha384 = EVP_MD_fetch(nullptr, "SHA384", nullptr);
    EVP_MD* sha512 = EVP_MD_fetch(nullptr, "SHA512", nullptr);
  };
  static const Fetched* fetched = new Fetched();  // never freed: used until exit
  const std::string_view n(name);
  if (n == "SHA256")
    return fetched->sha256;
  if (n == "SHA384")
    return fetched->sha384;
  if (n == "SHA512")
    return fetched->sha512;
  if (n == "SHA1")
    return fetched->sha1;
  return nullptr;
}

class OpenSslHash final : public Hash {
 public:
  explicit OpenSslHash(const EVP_MD* md) : ctx_(EVP_MD_CTX_new()) {
    ok_ = md != nullptr && ctx_ != nullptr && EVP_DigestInit_ex(ctx_, md, nullptr) == 1;
  }
  ~OpenSslHash() override { EVP_MD_CTX_free(ctx_); }
  OpenSslHash(const OpenSslHash&) = delete;
  OpenSslHash& operator=(const OpenSslHash&) = delete;
  bool ok() const { return ok_; }
  bool Update(const void* data, size_t n) override {
    return ok_ && EVP_DigestUpdate(ctx_, data, n) == 1;
  }
  bool Final(Digest* out) override {
    unsigned int len = 0;
    if (!ok_ || EVP_DigestFinal_ex(ctx_, out->bytes, &len) != 1) {
      return false;
    }
    out->size = len;
    return true;
  }

 private:
  EVP_MD_CTX* ctx_;
  bool ok_ = false;
};

template <const char* kName>
std::unique_ptr<Hash> NewOpenSslHash() {
  auto h = std::make_unique<OpenSslHash>(FetchedMd(kName));
  return h->ok() ? std::move(h) : nullptr;
}

constexpr char kSha1[] = "SHA1";
constexpr char kSha256[] = "SHA256";
constexpr char kSha384[] = "SHA384";
constexpr char kSha512[] = "SHA512";

constexpr DigestAlgorithm kSha256Digest{"sha256", "http://www.w3.org/2001/04/xmlenc#sha256",
                                        false,    NewOpenSslHash<kSha256>,
                                        kSha256,  false};
constexpr DigestAlgorithm kSha384Digest{"sha384", "http://www.w3.org/2001/04/xmldsig-more#sha384",
                                        false,    NewOpenSslHash<kSha384>,
                                        kSha384,  false};
constexpr DigestAlgorithm kSha512Digest{"sha512", "http://www.w3.org/2001/04/xmlenc#sha512",
                                        false,    NewOpenSslHash<kSha512>,
                                        kSha512,  false};
constexpr DigestAlgorithm kSha1Digest{
    "sha1", "http://www.w3.org/2000/09/xmldsig#sha1", true, NewOpenSslHash<kSha1>, kSha1, false};
// The legacy Kazakh spelling (shep-protocol §4.1: "xmldsig-more#sha1", sic): the same SHA-1.
constexpr DigestAlgorithm kSha1LegacyKzDigest{"sha1", "http://www.w3.org/2001/04/xmldsig-more#sha1",
                                              true,   NewOpenSslHash<kSha1>,
                                              kSha1,  false};

// --- digests (GOST, pki::gost on libgcrypt) -------------------------------------------------

class GostHash final : public Hash {
 public:
  explicit GostHash(pki::gost::Digest digest) : digest_(std::move(digest)) {}
  bool Update(const void* data, size_t n) override {
    digest_.Update(data, n);
    return true;
  }
  bool Final(Digest* out) override {
    const std::string d = digest_.Final();
    if (d.size() > sizeof(out->bytes)) {
      return false;
    }
    std::copy(d.begin(), d.end(), out->bytes);
    out->size = d.size();
    return true;
  }

 private:
  pki::gost::Digest digest_;
};

template <pki::gost::Algorithm kAlgorithm>
std::unique_ptr<Hash> NewGostHash() {
  Result<pki::gost::Digest> digest = pki::gost::Digest::Create(kAlgorithm);
  if (!digest.ok()) {
    return nullptr;
  }
  return std::make_unique<GostHash>(std::move(*digest));
}

constexpr pki::gost::Algorithm kGost2015 = pki::gost::Algorithm::kGost2015_512;
constexpr pki::gost::Algorithm kGost2004 = pki::gost::Algorithm::kGost2004;

constexpr DigestAlgorithm kStreebog512Digest{
    "gost34112015-512",
    "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34112015-512",
    false,
    NewGostHash<kGost2015>,
    nullptr,
    true};
constexpr DigestAlgorithm kGost34311Digest{
    "gost34311", "http://www.w3.org/2001/04/xmldsig-more#gost34311",
    false,       NewGostHash<kGost2004>,
    nullptr,     true};

constexpr std::array<const DigestAlgorithm*, 7> kDigestAlgorithms = {
    &kSha256Digest,      &kSha384Digest,    &kSha512Digest,      &kSha1Digest,
    &kStreebog512Digest, &kGost34311Digest, &kSha1LegacyKzDigest};

// --- RSA / ECDSA primitives (OpenSSL, over a digest) -----------------------------------------

struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

bool IsKeyType(const SignerKey& signer, int type) {
  // A GOST certificate has no OpenSSL key (and is never asked for one).
  EVP_PKEY* key =
      signer.cert == nullptr || signer.gost != nullptr ? nullptr : X509_get0_pubkey(signer.cert);
  return key != nullptr && EVP_PKEY_get_base_id(key) == type;
}
bool IsRsa(const SignerKey& signer) { return IsKeyType(signer, EVP_PKEY_RSA); }
bool IsEc(const SignerKey& signer) { return IsKeyType(signer, EVP_PKEY_EC); }

Status NotVerified() {
  return {ErrorCode::kWssSignatureInvalid,
          "SignatureValue does not verify with the signer certificate's key"};
}

// The raw EVP_PKEY_sign over `digest` (PKCS#1 v1.5 DigestInfo for RSA, DER for ECDSA).
std::string EvpSign(EVP_PKEY* key, const DigestAlgorithm& digest, std::string_view value) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  size_t len = 0;
  if (ctx == nullptr || EVP_PKEY_sign_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_signature_md(ctx.get(), FetchedMd(digest.openssl_name)) != 1 ||
      EVP_PKEY_sign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(value.data()),
                    value.size()) != 1) {
    ERR_clear_error();
    return {};
  }
  std::string out(len, '\0');
  if (EVP_PKEY_sign(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len,
                    reinterpret_cast<const unsigned char*>(value.data()), value.size()) != 1) {
    ERR_clear_error();
    return {};
  }
  out.resize(len);
  return out;
}

bool EvpVerify(EVP_PKEY* key, const DigestAlgorithm& digest, std::string_view value,
               std::string_view signature) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  const bool ok =
      ctx != nullptr && EVP_PKEY_verify_init(ctx.get()) == 1 &&
      EVP_PKEY_CTX_set_signature_md(ctx.get(), FetchedMd(digest.openssl_name)) == 1 &&
      EVP_PKEY_verify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                      signature.size(), reinterpret_cast<const unsigned char*>(value.data()),
                      value.size()) == 1;
  ERR_clear_error();  // a failed verify queues errors; they must not leak into later messages
  return ok;
}

// XML-DSig writes an ECDSA signature as r || s (each the size of the group order); OpenSSL
// speaks DER. Empty on malformed input.
std::string EcdsaRawToDer(std::string_view raw) {
  if (raw.empty() || raw.size() % 2 != 0 || raw.size() > size_t{2} * 66) {
    return {};
  }
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  const int half = static_cast<int>(raw.size() / 2);
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(p, half, nullptr);
  BIGNUM* s = BN_bin2bn(p + half, half, nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return {};
  }
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (len <= 0) {
    return {};
  }
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

std::string EcdsaDerToRaw(std::string_view der, int order_bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (sig == nullptr) {
    return {};
  }
  std::string out(2 * static_cast<size_t>(order_bytes), '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  const bool ok = BN_bn2binpad(ECDSA_SIG_get0_r(sig), o, order_bytes) == order_bytes &&
                  BN_bn2binpad(ECDSA_SIG_get0_s(sig), o + order_bytes, order_bytes) == order_bytes;
  ECDSA_SIG_free(sig);
  return ok ? out : std::string();
}

template <const DigestAlgorithm& kDigest>
std::string RsaSign(const pki::GatewayKey& key, std::string_view digest) {
  return key.key == nullptr ? std::string() : EvpSign(key.key.get(), kDigest, digest);
}
template <const DigestAlgorithm& kDigest>
Status RsaVerify(const SignerKey& signer, std::string_view digest, std::string_view value) {
  return EvpVerify(X509_get0_pubkey(signer.cert), kDigest, digest, value) ? Status::Ok()
                                                                          : NotVerified();
}
template <const DigestAlgorithm& kDigest>
std::string EcdsaSign(const pki::GatewayKey& key, std::string_view digest) {
  if (key.key == nullptr) {
    return {};
  }
  const std::string der = EvpSign(key.key.get(), kDigest, digest);
  // EVP_PKEY_get_bits is the group order's size for EC keys.
  return der.empty() ? der : EcdsaDerToRaw(der, (EVP_PKEY_get_bits(key.key.get()) + 7) / 8);
}
template <const DigestAlgorithm& kDigest>
Status EcdsaVerify(const SignerKey& signer, std::string_view digest, std::string_view value) {
  const std::string der = EcdsaRawToDer(value);
  return !der.empty() && EvpVerify(X509_get0_pubkey(signer.cert), kDigest, digest, der)
             ? Status::Ok()
             : NotVerified();
}

// --- GOST primitives (pki::gost): SignatureValue is r_LE‖s_LE as is ------------------------

template <pki::gost::Algorithm kAlgorithm>
bool GostFits(const SignerKey& signer) {
  return signer.gost != nullptr && signer.gost->algorithm() == kAlgorithm;
}
template <pki::gost::Algorithm kAlgorithm>
std::string GostSign(const pki::GatewayKey& key, std::string_view digest) {
  if (key.gost_key == nullptr || key.gost_key->algorithm() != kAlgorithm) {
    return {};
  }
  Result<std::string> value = key.gost_key->Sign(digest);
  return value.ok() ? std::move(*value) : std::string();
}
template <pki::gost::Algorithm kAlgorithm>
Status GostVerify(const SignerKey& signer, std::string_view digest, std::string_view value) {
  if (signer.gost == nullptr) {
    return NotVerified();
  }
  const size_t expected = pki::gost::Describe(kAlgorithm).signature_size;
  if (value.size() != expected) {
    return {ErrorCode::kWssMalformedSecurity,
            "ds:SignatureValue holds " + std::to_string(value.size()) + " bytes; " +
                std::string(pki::gost::Describe(kAlgorithm).name) + " signatures are " +
                std::to_string(expected) + " (r_LE||s_LE)"};
  }
  // Only kWssSignatureInvalid is expected here (the key's algorithm was checked by key_fits).
  Status st = signer.gost->Verify(kAlgorithm, digest, value);
  return st.ok() ? st : NotVerified();
}

constexpr std::array<SignatureAlgorithm, 10> kSignatureAlgorithms = {{
    {"rsa-sha256", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", false, &kSha256Digest,
     false, IsRsa, RsaSign<kSha256Digest>, RsaVerify<kSha256Digest>},
    {"rsa-sha384", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384", false, &kSha384Digest,
     false, IsRsa, RsaSign<kSha384Digest>, RsaVerify<kSha384Digest>},
    {"rsa-sha512", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512", false, &kSha512Digest,
     false, IsRsa, RsaSign<kSha512Digest>, RsaVerify<kSha512Digest>},
    {"ecdsa-sha256", "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256", false, &kSha256Digest,
     false, IsEc, EcdsaSign<kSha256Digest>, EcdsaVerify<kSha256Digest>},
    {"ecdsa-sha384", "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384", false, &kSha384Digest,
     false, IsEc, EcdsaSign<kSha384Digest>, EcdsaVerify<kSha384Digest>},
    {"ecdsa-sha512", "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512", false, &kSha512Digest,
     false, IsEc, EcdsaSign<kSha512Digest>, EcdsaVerify<kSha512Digest>},
    {"rsa-sha1", "http://www.w3.org/2000/09/xmldsig#rsa-sha1", true, &kSha1Digest, false, IsRsa,
     RsaSign<kSha1Digest>, RsaVerify<kSha1Digest>},
    // Legacy Kazakh RSA-SHA1 clients (shep-protocol §4.1) write the non-standard
    // "xmldsig-more#rsa-sha1": the same algorithm under the same config name (verify only —
    // SignatureAlgorithmByName finds the standard row first, so the gateway never signs with
    // this spelling).
    {"rsa-sha1", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha1", true, &kSha1LegacyKzDigest,
     false, IsRsa, nullptr, RsaVerify<kSha1Digest>},
    // Kazakh GOST (docs/security.md § GOST). The 2004 pair is verified only: the gateway signs
    // with 2015-512 (GostSign refuses a key of another algorithm, so a 2004 gateway key cannot
    // sign even if configured).
    {"gost2015-512",
     "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34102015-gostr34112015-512", false,
     &kStreebog512Digest, true, GostFits<kGost2015>, GostSign<kGost2015>, GostVerify<kGost2015>},
    {"gost2004", "http://www.w3.org/2001/04/xmldsig-more#gost34310-gost34311", false,
     &kGost34311Digest, true, GostFits<kGost2004>, nullptr, GostVerify<kGost2004>},
}};

// Recognised, not implemented: the 256-bit GOST 2015 pair (no signed sample proves its layout;
// pki::gost refuses it too).
constexpr std::array<std::string_view, 1> kUnsupportedSignatureUris = {
    "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34102015-gostr34112015-256",
};
constexpr std::array<std::string_view, 1> kUnsupportedDigestUris = {
    "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34112015-256",
};

template <size_t M>
AlgorithmVerdict Unknown(const std::array<std::string_view, M>& unsupported, std::string_view uri) {
  for (std::string_view u : unsupported) {
    if (u == uri) {
      return AlgorithmVerdict::kUnsupported;
    }
  }
  return AlgorithmVerdict::kNotAllowed;
}

// --- c14n ------------------------------------------------------------------------------------

// c14n's visibility test for "the subtree rooted at `root`" (the node set of a same-document
// "#id" reference, comments excluded by with_comments=0): an attribute or namespace node is
// visible when its element is.
int InSubtree(void* root, xmlNode* node, xmlNode* parent) {
  const xmlNode* n = node->type == XML_NAMESPACE_DECL ? parent : node;
  for (; n != nullptr; n = n->parent) {
    if (n == root) {
      return 1;
    }
  }
  return 0;
}

// Whitespace-separated PrefixList tokens, as c14n wants them (null-terminated array).
class PrefixList {
 public:
  explicit PrefixList(std::string_view list) {
    size_t i = 0;
    while (i < list.size()) {
      const size_t start = list.find_first_not_of(" \t\r\n", i);
      if (start == std::string_view::npos) {
        break;
      }
      const size_t stop = std::min(list.find_first_of(" \t\r\n", start), list.size());
      tokens_.emplace_back(list.substr(start, stop - start));
      i = stop;
    }
    for (const std::string& t : tokens_) {
      pointers_.push_back(const_cast<xmlChar*>(X(t)));  // NOLINT: c14n's API is not const
    }
    pointers_.push_back(nullptr);
  }
  xmlChar** get() { return tokens_.empty() ? nullptr : pointers_.data(); }

 private:
  std::vector<std::string> tokens_;
  std::vector<xmlChar*> pointers_;
};

}  // namespace

const SignatureAlgorithm* FindSignatureAlgorithm(std::string_view uri, AlgorithmVerdict* verdict) {
  for (const SignatureAlgorithm& a : kSignatureAlgorithms) {
    if (a.uri == uri) {
      *verdict = AlgorithmVerdict::kKnown;
      return &a;
    }
  }
  *verdict = Unknown(kUnsupportedSignatureUris, uri);
  return nullptr;
}

const DigestAlgorithm* FindDigestAlgorithm(std::string_view uri, AlgorithmVerdict* verdict) {
  for (const DigestAlgorithm* a : kDigestAlgorithms) {
    if (a->uri == uri) {
      *verdict = AlgorithmVerdict::kKnown;
      return a;
    }
  }
  *verdict = Unknown(kUnsupportedDigestUris, uri);
  return nullptr;
}

std::string KeyDescription(const SignerKey& key) {
  if (key.gost != nullptr) {
    return key.gost->algorithm() == kGost2015 ? "GOST 34.10-2015-512" : "GOST 34.310-2004";
  }
  EVP_PKEY* pkey = key.cert == nullptr ? nullptr : X509_get0_pubkey(key.cert);
  if (pkey == nullptr) {
    ERR_clear_error();
    return "unknown to this gateway";
  }
  switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_RSA:
      return "RSA";
    case EVP_PKEY_EC:
      return "EC";
    default:
      return OBJ_nid2sn(EVP_PKEY_get_base_id(pkey));
  }
}

const SignatureAlgorithm* SignatureAlgorithmByName(std::string_view name) {
  for (const SignatureAlgorithm& a : kSignatureAlgorithms) {
    if (a.name == name) {
      return &a;
    }
  }
  return nullptr;
}

namespace {

// libxml2's c14n refuses a document with a relative namespace URI on any element it visits
// (xmlC14NCheckForRelativeNamespaces in 2.9.14: unparsable, or no scheme; C14nTest pins the
// rule against libxml2's own run). The scoped run below visits only the subtree, so the whole
// document is checked here first, with libxml2's rule, to keep that verdict: each distinct URI is
// parsed once.
bool NamespacesAreAbsolute(xmlDoc* doc) {
  // The same few namespace URIs arrive in every message: the ones found absolute are
  // remembered per thread (bounded; forgetting costs one xmlParseURI).
  thread_local std::vector<std::string> known_absolute;
  for (xmlNode* n = xmlDocGetRootElement(doc); n != nullptr;) {
    if (n->type == XML_ELEMENT_NODE) {
      for (const xmlNs* ns = n->nsDef; ns != nullptr; ns = ns->next) {
        const std::string_view href = View(ns->href);
        if (href.empty() ||
            std::find(known_absolute.begin(), known_absolute.end(), href) != known_absolute.end()) {
          continue;
        }
        xmlURI* uri = xmlParseURI(reinterpret_cast<const char*>(ns->href));
        const bool ok = uri != nullptr && uri->scheme != nullptr && uri->scheme[0] != '\0';
        xmlFreeURI(uri);
        if (!ok) {
          return false;
        }
        if (known_absolute.size() >= 64) {
          known_absolute.clear();
        }
        known_absolute.emplace_back(href);
      }
    }
    n = NextInDocumentOrder(n);
  }
  return true;
}

}  // namespace

bool Canonicalise(xmlDoc* doc, xmlNode* root, int mode, std::string_view prefixes, Hash* hash,
                  C14nScope scope) {
  struct Sink {
    Hash* hash;
    bool ok = true;
  } sink{hash};
  xmlOutputBuffer* out = xmlOutputBufferCreateIO(
      [](void* context, const char* bytes, int n) -> int {
        auto* s = static_cast<Sink*>(context);
        if (n > 0 && !s->hash->Update(bytes, static_cast<size_t>(n))) {
          s->ok = false;
          return -1;
        }
        return n;
      },
      nullptr, &sink, nullptr);
  if (out == nullptr) {
    return false;
  }
  PrefixList list(prefixes);
  int rc = -1;
  if (scope == C14nScope::kSubtree) {
    // xmlC14NExecute walks the whole document and asks the callback about every node (and
    // builds two lists per element even for invisible ones): for SignedInfo that is the
    // whole message, Body included. Handing it a document whose only child is `root` gives
    // the same output: the nodes outside the subtree are invisible, so they render nothing
    // and leave no namespace in the rendered stack; namespace and xml:* lookups follow the
    // real parent pointers either way (checked against the whole-document run by
    // C14nTest.SubtreeRunEqualsWholeDocumentRun). `root` is unlinked from its siblings for
    // the call (the document list is walked through ->next) and relinked after.
    if (!NamespacesAreAbsolute(doc)) {
      xmlOutputBufferClose(out);
      return false;
    }
    xmlDoc scoped = *doc;
    scoped.children = root;
    scoped.last = root;
    xmlNode* next = root->next;
    root->next = nullptr;
    rc = xmlC14NExecute(&scoped, InSubtree, root, mode, list.get(), /*with_comments=*/0, out);
    root->next = next;
    if (doc->oldNs == nullptr && scoped.oldNs != nullptr) {
      doc->oldNs = scoped.oldNs;  // the "xml" namespace, if a lookup created it: the doc owns it
    }
  } else {
    rc = xmlC14NExecute(doc, InSubtree, root, mode, list.get(), /*with_comments=*/0, out);
  }
  const int closed = xmlOutputBufferClose(out);  // flushes the rest into the sink
  return rc >= 0 && closed >= 0 && sink.ok;
}

}  // namespace shepgw::wss::internal
