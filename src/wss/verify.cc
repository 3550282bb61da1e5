// Verifier: the transport signature of an inbound request, checked in place on the tree that
// is routed and forwarded. The structure is checked first; then one digest and one signature
// value are checked with a key we chose (libxml2 c14n + OpenSSL, see CheckSignatureValue).
#include <algorithm>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include <libxml/c14n.h>
#include <libxml/xmlIO.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "shepgw/wss/wss.h"

#include "wss/internal.h"

namespace shepgw::wss {

using namespace internal;  // NOLINT(google-build-using-namespace): this module's own internals

namespace {

Status Missing(std::string m) { return {ErrorCode::kWssSignatureMissing, std::move(m)}; }
Status Malformed(std::string m) { return {ErrorCode::kWssMalformedSecurity, std::move(m)}; }
Status Wrapping(std::string m) { return {ErrorCode::kWssWrappingDetected, std::move(m)}; }

// Element children of `parent`; non-blank text between them is refused (a signature structure
// has no mixed content).
Status ElementChildren(const xmlNode* parent, std::string_view what, std::vector<xmlNode*>* out) {
  out->clear();
  for (xmlNode* c = parent->children; c != nullptr; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) {
      out->push_back(c);
    } else if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
      if (View(c->content).find_first_not_of(" \t\r\n") != std::string_view::npos) {
        return Malformed(std::string(what) + " holds text");
      }
    }
  }
  return Status::Ok();
}

// The children of a CanonicalizationMethod or exc-c14n Transform: at most one
// InclusiveNamespaces, with a PrefixList (copied to *prefixes).
Status CheckExcC14nParameters(const xmlNode* method, std::string_view what, std::string* prefixes) {
  std::vector<xmlNode*> children;
  Status st = ElementChildren(method, what, &children);
  if (!st.ok()) {
    return st;
  }
  prefixes->clear();
  for (const xmlNode* c : children) {
    if (!IsElement(c, kExcC14n, "InclusiveNamespaces")) {
      return Malformed(std::string(what) + " holds " + NameForMessage(c));
    }
  }
  if (children.size() > 1) {
    return Malformed(std::string(what) + " holds more than one InclusiveNamespaces");
  }
  if (children.size() == 1) {
    const xmlAttr* list = FindAttr(children[0], "PrefixList");
    if (list == nullptr) {
      return Malformed(std::string(what) + ": InclusiveNamespaces without PrefixList");
    }
    *prefixes = AttrValue(list);
  }
  return Status::Ok();
}

struct SignatureParts {
  xmlNode* signature = nullptr;
  xmlNode* signed_info = nullptr;
  xmlNode* signature_value = nullptr;
  xmlNode* digest_value = nullptr;
  xmlNode* key_info = nullptr;
  // InclusiveNamespaces PrefixLists (empty: none) and whether the Reference has its exc-c14n
  // Transform (without it, the Body is canonicalised with inclusive c14n 1.0, the default).
  std::string c14n_prefixes;
  std::string reference_prefixes;
  bool reference_transform = false;
  std::string signature_method;
  std::string digest_method;
  std::string reference_id;
};

// Signature = SignedInfo, SignatureValue, KeyInfo; SignedInfo = exc-c14n, SignatureMethod, one
// Reference "#id" with at most one exc-c14n Transform, DigestMethod, DigestValue.
Status CheckSignatureShape(xmlNode* signature, SignatureParts* parts) {
  parts->signature = signature;
  std::vector<xmlNode*> children;
  Status st = ElementChildren(signature, "ds:Signature", &children);
  if (!st.ok()) {
    return st;
  }
  if (children.size() != 3 || !IsElement(children[0], kDsNs, "SignedInfo") ||
      !IsElement(children[1], kDsNs, "SignatureValue") ||
      !IsElement(children[2], kDsNs, "KeyInfo")) {
    // ds:Object (manifests, and whatever an attacker wants to hide) is refused here too.
    return Malformed(
        "ds:Signature must hold exactly SignedInfo, SignatureValue and KeyInfo, in that order");
  }
  parts->key_info = children[2];
  parts->signature_value = children[1];
  xmlNode* signed_info = children[0];
  parts->signed_info = signed_info;

  st = ElementChildren(signed_info, "ds:SignedInfo", &children);
  if (!st.ok()) {
    return st;
  }
  if (children.size() < 3 || !IsElement(children[0], kDsNs, "CanonicalizationMethod") ||
      !IsElement(children[1], kDsNs, "SignatureMethod")) {
    return Malformed("ds:SignedInfo must hold CanonicalizationMethod, SignatureMethod, Reference");
  }
  for (size_t i = 2; i < children.size(); ++i) {
    if (!IsElement(children[i], kDsNs, "Reference")) {
      return Malformed("ds:SignedInfo holds " + NameForMessage(children[i]));
    }
  }
  // One Reference, to the Body: a second one could only sign something the gateway does not
  // look at (malformed rather than wrapping: it is a shape the profile never produces).
  if (children.size() != 3) {
    return Malformed("ds:SignedInfo holds " + std::to_string(children.size() - 2) +
                     " References; exactly one (to the Body) is accepted");
  }
  const std::string c14n = AttrValue(FindAttr(children[0], "Algorithm"));
  if (c14n != kExcC14n) {
    return Malformed("CanonicalizationMethod " + ForMessage(c14n) + " is not exclusive c14n (" +
                     std::string(kExcC14n) + ")");
  }
  st = CheckExcC14nParameters(children[0], "CanonicalizationMethod", &parts->c14n_prefixes);
  if (!st.ok()) {
    return st;
  }
  parts->signature_method = AttrValue(FindAttr(children[1], "Algorithm"));

  xmlNode* reference = children[2];
  const std::string uri = AttrValue(FindAttr(reference, "URI"));
  if (uri.size() < 2 || uri[0] != '#') {
    return Malformed("Reference URI \"" + ForMessage(uri) + "\" is not a same-document \"#id\"");
  }
  parts->reference_id = uri.substr(1);
  if (!IsSafeId(parts->reference_id)) {
    return Malformed("Reference URI \"" + ForMessage(uri) + "\" is not a plain #id");
  }
  st = ElementChildren(reference, "ds:Reference", &children);
  if (!st.ok()) {
    return st;
  }
  size_t i = 0;
  if (i < children.size() && IsElement(children[i], kDsNs, "Transforms")) {
    std::vector<xmlNode*> transforms;
    st = ElementChildren(children[i], "ds:Transforms", &transforms);
    if (!st.ok()) {
      return st;
    }
    if (transforms.size() > 1) {
      return Malformed("Reference has " + std::to_string(transforms.size()) +
                       " Transforms; only one exclusive c14n is accepted");
    }
    for (const xmlNode* t : transforms) {
      const std::string algorithm = AttrValue(FindAttr(t, "Algorithm"));
      if (!IsElement(t, kDsNs, "Transform") || algorithm != kExcC14n) {
        // enveloped-signature, XPath, XSLT, c14n with comments...: each changes what is
        // signed; the profile signs the Body as exclusive c14n sees it, nothing else.
        return Malformed("Reference Transform " + ForMessage(algorithm) +
                         " is not allowed (only exclusive c14n)");
      }
      st = CheckExcC14nParameters(t, "Transform", &parts->reference_prefixes);
      if (!st.ok()) {
        return st;
      }
      parts->reference_transform = true;
    }
    ++i;
  }
  if (children.size() != i + 2 || !IsElement(children[i], kDsNs, "DigestMethod") ||
      !IsElement(children[i + 1], kDsNs, "DigestValue")) {
    return Malformed("ds:Reference must hold [Transforms], DigestMethod, DigestValue");
  }
  parts->digest_method = AttrValue(FindAttr(children[i], "Algorithm"));
  parts->digest_value = children[i + 1];
  return Status::Ok();
}

Status CheckAlgorithms(const VerifyPolicy& policy, const SignatureParts& parts,
                       const SignatureAlgorithm** signature, const DigestAlgorithm** digest) {
  AlgorithmVerdict verdict = AlgorithmVerdict::kKnown;
  *signature = FindSignatureAlgorithm(parts.signature_method, &verdict);
  if (*signature == nullptr) {
    if (verdict == AlgorithmVerdict::kUnsupported) {
      return {ErrorCode::kWssAlgorithmUnsupported,
              "SignatureMethod " + ForMessage(parts.signature_method) +
                  " is recognised but not implemented by this gateway"};
    }
    return {ErrorCode::kWssAlgorithmNotAllowed,
            "SignatureMethod " + ForMessage(parts.signature_method) + " is not allowed"};
  }
  const auto& allowed = policy.allowed_algorithms;
  if (std::find(allowed.begin(), allowed.end(), (*signature)->name) == allowed.end()) {
    return {
        ErrorCode::kWssAlgorithmNotAllowed,
        "SignatureMethod " + std::string((*signature)->name) + " is not in wss.allowed_algorithms"};
  }
  *digest = FindDigestAlgorithm(parts.digest_method, &verdict);
  if (*digest == nullptr) {
    if (verdict == AlgorithmVerdict::kUnsupported) {
      return {ErrorCode::kWssAlgorithmUnsupported,
              "DigestMethod " + ForMessage(parts.digest_method) +
                  " is recognised but not implemented by this gateway"};
    }
    return {ErrorCode::kWssAlgorithmNotAllowed,
            "DigestMethod " + ForMessage(parts.digest_method) + " is not allowed"};
  }
  // GOST: the SignatureMethod and DigestMethod are one pair (2015-512 with Streebog-512, 2004
  // with 34.11-94); mixing them with each other or with the SHA family is no profile NCA
  // signers produce, and would let a weaker digest stand behind a GOST signature.
  if (((*signature)->digest_bound || (*digest)->bound_to_signature) &&
      (*signature)->digest != *digest) {
    return {ErrorCode::kWssAlgorithmNotAllowed,
            "DigestMethod " + std::string((*digest)->name) +
                " cannot be used with SignatureMethod " + std::string((*signature)->name) +
                ((*signature)->digest_bound
                     ? " (it requires DigestMethod " + std::string((*signature)->digest->uri) + ")"
                     : " (a GOST digest goes only with its GOST signature)")};
  }
  // SHA-1 digests only where SHA-1 signatures were explicitly allowed.
  if ((*digest)->weak && std::find(allowed.begin(), allowed.end(), "rsa-sha1") == allowed.end()) {
    return {ErrorCode::kWssAlgorithmNotAllowed,
            "DigestMethod sha1 is allowed only with rsa-sha1 in wss.allowed_algorithms"};
  }
  return Status::Ok();
}

// Decoded certificates by their base64 text as it appears in the message. d2i_X509 with
// OpenSSL 3.0 costs more than the whole signature check (provider lookups for the public key,
// lock-heavy across threads), and the same few certificates arrive again and again. Keyed by
// the text, so a hit costs one hash of ~2 KB instead of base64 decoding + hashing the DER; one
// text always decodes to the same DER, so the cache stays content-addressed and sharing it
// across Verifier instances is safe. Bounded (cleared when full: a flood of distinct
// certificates costs decode time, never memory). Failures are not cached.
struct DecodedCertificate {
  pki::X509Ptr cert;
  pki::CertificateFacts facts;  // printing names and hashing costs too: done once
  // An NCA GOST certificate's public key (OpenSSL cannot decode it: X509_get0_pubkey is null
  // for the Kazakh key OIDs); decoded once, like the certificate.
  std::optional<pki::gost::PublicKey> gost_key;
  SignerKey key() const { return {cert.get(), gost_key ? &*gost_key : nullptr}; }
};

// The GOST key of a certificate, when it has one. A certificate with a GOST key OID whose key
// does not decode (off the curve, parameters not of its OID...) is refused here: it could
// verify nothing, and pki.key_invalid says why. Any other key (RSA, EC) is nullopt.
Status DecodeGostKey(std::string_view der, DecodedCertificate* decoded) {
  Result<pki::gost::PublicKey> key = pki::gost::CertificatePublicKey(der);
  if (key.ok()) {
    decoded->gost_key = std::move(*key);
    return Status::Ok();
  }
  if (key.status().code() == ErrorCode::kPkiKeyInvalid) {
    return {ErrorCode::kPkiKeyInvalid, "the signer certificate (" + decoded->facts.subject +
                                           ", serial " + decoded->facts.serial +
                                           "): " + key.status().message()};
  }
  return Status::Ok();  // not a GOST key (or an unsupported GOST one: no row will fit it)
}
using DecodedPtr = std::shared_ptr<const DecodedCertificate>;

enum class DecodeError { kNone, kBase64, kDer, kKey };

class CertificateCache {
 public:
  // *key_error: why a GOST certificate's key is unusable (error kKey).
  DecodedPtr Get(std::string_view base64, DecodeError* error, Status* key_error) {
    *error = DecodeError::kNone;
    {
      std::shared_lock lock(mutex_);
      const auto it = by_text_.find(base64);
      if (it != by_text_.end()) {
        return it->second;
      }
    }
    const std::optional<std::string> der = Base64Decode(base64, kMaxCertificateBytes);
    if (!der) {
      *error = DecodeError::kBase64;
      return nullptr;
    }
    pki::X509Ptr cert = CertificateFromDer(*der);
    if (cert == nullptr) {
      *error = DecodeError::kDer;
      return nullptr;
    }
    // Computes the cached extension data now, so later concurrent users only read it.
    X509_check_purpose(cert.get(), -1, 0);
    auto decoded = std::make_shared<DecodedCertificate>();
    decoded->facts = DescribeCert(cert.get());
    decoded->cert = std::move(cert);
    if (Status st = DecodeGostKey(*der, decoded.get()); !st.ok()) {
      *error = DecodeError::kKey;
      *key_error = std::move(st);
      return nullptr;
    }
    std::unique_lock lock(mutex_);
    if (by_text_.size() >= kMaxEntries) {
      by_text_.clear();
    }
    by_text_.emplace(std::string(base64), decoded);
    return decoded;
  }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  static constexpr size_t kMaxEntries = 4096;
  std::shared_mutex mutex_;
  std::unordered_map<std::string, DecodedPtr, Hash, std::equal_to<>> by_text_;
};

CertificateCache& Certificates() {
  static auto* cache = new CertificateCache();  // never destroyed: used until exit
  return *cache;
}

Result<DecodedPtr> DecodeCertificate(const xmlNode* holder, std::string_view what) {
  // The text without a copy when it is one text node (always, in practice).
  std::string joined;
  std::string_view text;
  const xmlNode* c = holder->children;
  if (c != nullptr && c->next == nullptr && c->type == XML_TEXT_NODE) {
    text = View(c->content);
  } else {
    joined = TextContent(holder);
    text = joined;
  }
  DecodeError error = DecodeError::kNone;
  Status key_error;
  DecodedPtr decoded = Certificates().Get(text, &error, &key_error);
  if (error == DecodeError::kKey) {
    return key_error;
  }
  if (error == DecodeError::kBase64) {
    return Malformed(std::string(what) + " is not base64 of at most " +
                     std::to_string(kMaxCertificateBytes) + " bytes");
  }
  if (decoded == nullptr) {
    return Malformed(std::string(what) + " is not a DER X.509 certificate");
  }
  return decoded;
}

// X509Data: one X509Certificate, or one X509IssuerSerial (looked up in the participant store;
// xmlsec 1.2.37 cannot match non-ASCII issuer names itself).
Result<DecodedPtr> FromX509Data(const xmlNode* x509_data,
                                const pki::ParticipantStore* participants) {
  std::vector<xmlNode*> children;
  Status st = ElementChildren(x509_data, "ds:X509Data", &children);
  if (!st.ok()) {
    return st;
  }
  const xmlNode* certificate = nullptr;
  const xmlNode* issuer_serial = nullptr;
  for (const xmlNode* c : children) {
    const xmlNode** slot = IsElement(c, kDsNs, "X509Certificate")    ? &certificate
                           : IsElement(c, kDsNs, "X509IssuerSerial") ? &issuer_serial
                                                                     : nullptr;
    if (slot == nullptr) {
      continue;  // X509SubjectName, X509SKI...: hints we do not need
    }
    if (*slot != nullptr) {
      return Malformed("ds:X509Data holds more than one " + NameForMessage(c) +
                       "; the signer must be unambiguous");
    }
    *slot = c;
  }
  if (certificate != nullptr) {
    return DecodeCertificate(certificate, "ds:X509Certificate");
  }
  if (issuer_serial == nullptr) {
    return Malformed("ds:X509Data holds neither X509Certificate nor X509IssuerSerial");
  }
  const xmlNode* issuer_name = nullptr;
  const xmlNode* serial_number = nullptr;
  for (const xmlNode* c = issuer_serial->children; c != nullptr; c = c->next) {
    if (IsElement(c, kDsNs, "X509IssuerName")) {
      issuer_name = c;
    } else if (IsElement(c, kDsNs, "X509SerialNumber")) {
      serial_number = c;
    }
  }
  if (issuer_name == nullptr || serial_number == nullptr) {
    return Malformed("ds:X509IssuerSerial needs X509IssuerName and X509SerialNumber");
  }
  const std::string issuer_text = TextContent(issuer_name);
  const std::string serial_text = TextContent(serial_number);
  X509NamePtr issuer = ParseDistinguishedName(issuer_text);
  if (issuer == nullptr) {
    return Malformed("X509IssuerName \"" + ForMessage(issuer_text) +
                     "\" is not an RFC 2253 distinguished name");
  }
  Asn1IntegerPtr serial = ParseDecimalSerial(serial_text);
  if (serial == nullptr) {
    return Malformed("X509SerialNumber \"" + ForMessage(serial_text) + "\" is not decimal");
  }
  X509* found = participants == nullptr
                    ? nullptr
                    : participants->FindByIssuerSerial(issuer.get(), serial.get());
  if (found == nullptr && participants != nullptr) {
    // Lenient about RDN order (RFC 2253 writes the most specific first, some writers do not):
    // the certificate still comes from our own store and must verify the signature.
    X509NamePtr reversed = ParseDistinguishedName(issuer_text, /*reversed=*/true);
    if (reversed != nullptr && X509_NAME_cmp(reversed.get(), issuer.get()) != 0) {
      found = participants->FindByIssuerSerial(reversed.get(), serial.get());
    }
  }
  if (found == nullptr) {
    return Status(ErrorCode::kWssSignerUnknown, "no registered certificate with issuer \"" +
                                                    ForMessage(issuer_text) + "\" and serial " +
                                                    ForMessage(serial_text, 60));
  }
  auto decoded = std::make_shared<DecodedCertificate>();
  decoded->cert = pki::UpRef(found);
  if (decoded->cert == nullptr) {
    return Status(ErrorCode::kGatewayInternal, "X509_up_ref failed");
  }
  decoded->facts = DescribeCert(found);
  // The participant store holds X509s; the GOST key comes from the DER (not cached: the
  // IssuerSerial style is ShEP's own, rare on the inbound side).
  unsigned char* der = nullptr;
  const int der_len = i2d_X509(found, &der);
  if (der_len <= 0) {
    return Status(ErrorCode::kGatewayInternal, "i2d_X509 failed");
  }
  const std::string der_bytes(reinterpret_cast<const char*>(der), static_cast<size_t>(der_len));
  OPENSSL_free(der);
  if (Status key = DecodeGostKey(der_bytes, decoded.get()); !key.ok()) {
    return key;
  }
  return DecodedPtr(std::move(decoded));
}

// The signer certificate named by KeyInfo, in one of the four accepted styles.
Result<DecodedPtr> ResolveSigner(const xmlNode* key_info, const xmlNode* security,
                                 const IdIndex& ids, const pki::ParticipantStore* participants) {
  std::vector<xmlNode*> children;
  Status st = ElementChildren(key_info, "ds:KeyInfo", &children);
  if (!st.ok()) {
    return st;
  }
  if (children.size() != 1) {
    return Malformed("ds:KeyInfo must hold exactly one element, it holds " +
                     std::to_string(children.size()));
  }
  const xmlNode* item = children[0];
  if (IsElement(item, kDsNs, "X509Data")) {
    return FromX509Data(item, participants);
  }
  if (!IsElement(item, kWsseNs, "SecurityTokenReference")) {
    return Malformed("ds:KeyInfo holds " + NameForMessage(item) +
                     "; accepted: wsse:SecurityTokenReference or ds:X509Data");
  }
  st = ElementChildren(item, "wsse:SecurityTokenReference", &children);
  if (!st.ok()) {
    return st;
  }
  if (children.size() != 1) {
    return Malformed("wsse:SecurityTokenReference must hold exactly one element");
  }
  const xmlNode* ref = children[0];
  if (IsElement(ref, kDsNs, "X509Data")) {  // WSS4J's default IssuerSerial style
    return FromX509Data(ref, participants);
  }
  if (IsElement(ref, kWsseNs, "KeyIdentifier")) {
    const std::string value_type = AttrValue(FindAttr(ref, "ValueType"));
    const std::string encoding = AttrValue(FindAttr(ref, "EncodingType"));
    if (value_type != kX509v3ValueType) {
      return Malformed("wsse:KeyIdentifier ValueType \"" + ForMessage(value_type) +
                       "\" is not supported (only X509v3, the whole certificate)");
    }
    if (!encoding.empty() && encoding != kBase64Binary) {
      return Malformed("wsse:KeyIdentifier EncodingType \"" + ForMessage(encoding) +
                       "\" is not Base64Binary");
    }
    return DecodeCertificate(ref, "wsse:KeyIdentifier");
  }
  if (IsElement(ref, kWsseNs, "Reference")) {
    const std::string uri = AttrValue(FindAttr(ref, "URI"));
    if (uri.size() < 2 || uri[0] != '#') {
      return Malformed("wsse:Reference URI \"" + ForMessage(uri) + "\" is not \"#id\"");
    }
    const xmlAttr* id = ids.Find(std::string_view(uri).substr(1));
    const xmlNode* token = id == nullptr ? nullptr : id->parent;
    // Only a token of this Security header: a certificate found anywhere else in the message
    // is not a token the sender put in its security header.
    if (token == nullptr || !IsElement(token, kWsseNs, "BinarySecurityToken") ||
        token->parent != security) {
      return Malformed("wsse:Reference \"" + ForMessage(uri) +
                       "\" does not name a wsse:BinarySecurityToken of this wsse:Security");
    }
    const std::string value_type = AttrValue(FindAttr(token, "ValueType"));
    const std::string encoding = AttrValue(FindAttr(token, "EncodingType"));
    if (value_type != kX509v3ValueType || (!encoding.empty() && encoding != kBase64Binary)) {
      return Malformed("wsse:BinarySecurityToken is not an X509v3 Base64Binary token");
    }
    return DecodeCertificate(token, "wsse:BinarySecurityToken");
  }
  return Malformed("wsse:SecurityTokenReference holds " + NameForMessage(ref) +
                   "; accepted: KeyIdentifier (X509v3), Reference, ds:X509Data");
}

// --- the signature check ---------------------------------------------------------------------
//
// Everything xmlsec would decide from the structure has been decided by the checks above: one
// Reference to the Body (pointer identity), exclusive c14n (or, without a Transform, the
// default inclusive c14n 1.0) and allow-listed algorithms. What remains is arithmetic, done
// here directly with libxml2's c14n and the algorithm table (algorithms.cc): canonicalise the
// Body, compare its digest with DigestValue, canonicalise SignedInfo into the signature
// algorithm's digest, and check SignatureValue with the row's verify primitive.
// Doing it ourselves instead of through xmlSecDSigCtxVerify is a performance decision
// (docs/performance.md): xmlsec canonicalises through XPointer node sets whose membership test
// walks every node's ancestors, and re-derives key properties on every call. No transform but
// c14n can run here at all: there is no transform machinery to restrict.

// The verdict on a Signature whose shape, algorithms, Reference target and key we checked.
Status CheckSignatureValue(xmlDoc* doc, xmlNode* body, const SignatureParts& parts,
                           const SignerKey& key, const SignatureAlgorithm& signature_algorithm,
                           const DigestAlgorithm& digest_algorithm, Digest* body_digest) {
  // 1. The Reference: digest of the canonical Body against DigestValue.
  const std::optional<std::string> expected =
      Base64Decode(TextContent(parts.digest_value), sizeof(Digest::bytes));
  if (!expected) {
    return Malformed("ds:DigestValue is not base64 of a digest");
  }
  std::unique_ptr<Hash> hash = digest_algorithm.new_hash();
  if (hash == nullptr) {
    return {ErrorCode::kGatewayInternal, "cannot set up the Body digest"};
  }
  const int mode = parts.reference_transform ? XML_C14N_EXCLUSIVE_1_0 : XML_C14N_1_0;
  // Canonicalisation fails on input c14n cannot represent (libxml2 refuses relative namespace
  // URIs, which XML-DSig c14n forbids): the client's message is at fault, not the gateway.
  if (!Canonicalise(doc, body, mode, parts.reference_prefixes, hash.get())) {
    return Malformed("the signed Body cannot be canonicalised (relative namespace URI?)");
  }
  Digest& digest = *body_digest;
  if (!hash->Final(&digest)) {
    return {ErrorCode::kGatewayInternal, "cannot finish the Body digest"};
  }
  if (expected->size() != digest.size ||
      CRYPTO_memcmp(expected->data(), digest.bytes, digest.size) != 0) {
    return {ErrorCode::kWssDigestMismatch,
            "the digest of the signed Body does not match its DigestValue"};
  }
  // 2. SignatureValue over the canonical SignedInfo.
  const std::optional<std::string> value = Base64Decode(TextContent(parts.signature_value), 1024);
  if (!value || value->empty()) {
    return Malformed("ds:SignatureValue is not base64 of at most 1024 bytes");
  }
  hash = signature_algorithm.digest->new_hash();
  if (hash == nullptr) {
    return {ErrorCode::kGatewayInternal, "cannot set up the signature check"};
  }
  if (!Canonicalise(doc, parts.signed_info, XML_C14N_EXCLUSIVE_1_0, parts.c14n_prefixes,
                    hash.get())) {
    return Malformed("ds:SignedInfo cannot be canonicalised (relative namespace URI?)");
  }
  Digest signed_info_digest;
  if (!hash->Final(&signed_info_digest)) {
    return {ErrorCode::kGatewayInternal, "cannot finish the SignedInfo digest"};
  }
  return signature_algorithm.verify(key, signed_info_digest.view(), *value);
}

}  // namespace

Verifier::Verifier(VerifyPolicy policy, std::shared_ptr<const pki::TrustStore> trust,
                   std::shared_ptr<const pki::ParticipantStore> participants)
    : policy_(std::move(policy)),
      trust_(std::move(trust)),
      participants_(std::move(participants)) {}

Result<VerifiedSignature> Verifier::Verify(const envelope::ParsedEnvelope& envelope) const {
  xmlNode* header = envelope.header();
  if (header == nullptr) {
    return Missing("the message has no soap:Header, so no wsse:Security");
  }
  // Security headers are matched by namespace, never by prefix or actor: one and only one.
  xmlNode* security = nullptr;
  for (xmlNode* c = header->children; c != nullptr; c = c->next) {
    if (IsElement(c, kWsseNs, "Security")) {
      if (security != nullptr) {
        return Malformed("the soap:Header holds more than one wsse:Security");
      }
      security = c;
    }
  }
  if (security == nullptr) {
    return Missing("no wsse:Security in the soap:Header");
  }
  // mustUnderstand is not required (lenient: it is a processing hint for intermediaries, not
  // a security property; clients send "1").
  xmlNode* signature = nullptr;
  for (xmlNode* c = security->children; c != nullptr; c = c->next) {
    if (IsElement(c, kDsNs, "Signature")) {
      if (signature != nullptr) {
        return Malformed("wsse:Security holds more than one ds:Signature");
      }
      signature = c;
    }
  }
  if (signature == nullptr) {
    return Missing("no ds:Signature in wsse:Security");
  }

  SignatureParts parts;
  Status st = CheckSignatureShape(signature, &parts);
  if (!st.ok()) {
    return st;
  }
  const SignatureAlgorithm* signature_algorithm = nullptr;
  const DigestAlgorithm* digest_algorithm = nullptr;
  st = CheckAlgorithms(policy_, parts, &signature_algorithm, &digest_algorithm);
  if (!st.ok()) {
    return st;
  }

  // Wrapping defences: ids unique in the whole document, and the one Reference names the Body
  // the router reads (pointer identity), registered as the only target of that id for xmlsec.
  IdIndex ids;
  st = ids.Build(envelope.doc());
  if (!st.ok()) {
    return st;
  }
  xmlAttr* target = ids.Find(parts.reference_id);
  if (target == nullptr) {
    return Wrapping("Reference \"#" + ForMessage(parts.reference_id) +
                    "\" names no element of the message");
  }
  if (target->parent != envelope.body()) {
    return Wrapping("Reference \"#" + ForMessage(parts.reference_id) + "\" names " +
                    NameForMessage(target->parent) + ", not the soap:Body of the envelope");
  }
  st = RegisterId(envelope.doc(), target, parts.reference_id);
  if (!st.ok()) {
    return st;
  }

  Result<DecodedPtr> signer = ResolveSigner(parts.key_info, security, ids, participants_.get());
  if (!signer.ok()) {
    return signer.status();
  }
  X509* cert = (*signer)->cert.get();
  const SignerKey key = (*signer)->key();
  if (!signature_algorithm->key_fits(key)) {
    return {ErrorCode::kWssSignatureInvalid,
            "the signer certificate's key (" + KeyDescription(key) +
                ") does not fit SignatureMethod " + std::string(signature_algorithm->name)};
  }
  Digest body_digest;
  st = CheckSignatureValue(envelope.doc(), envelope.body(), parts, key, *signature_algorithm,
                           *digest_algorithm, &body_digest);
  if (!st.ok()) {
    return st;
  }
  // The signature is sound; now whether its certificate is one we trust (pki's codes pass).
  st = trust_ == nullptr ? Status(ErrorCode::kGatewayInternal, "no trust store configured")
                         : trust_->ValidateFingerprinted(cert, (*signer)->facts.sha256);
  if (!st.ok()) {
    return st;
  }
  VerifiedSignature out;
  out.facts = (*signer)->facts;
  out.signer = pki::UpRef(cert);
  out.signature_algorithm = std::string(signature_algorithm->uri);
  out.digest_algorithm = std::string(digest_algorithm->uri);
  out.weak = signature_algorithm->weak || digest_algorithm->weak;
  if (parts.reference_transform &&
      parts.reference_prefixes.find_first_not_of(" \t\r\n") == std::string::npos) {
    out.body_digest_uri = std::string(digest_algorithm->uri);
    out.body_digest = std::string(body_digest.view());
    out.body = envelope.body();
  }
  return out;
}

}  // namespace shepgw::wss
