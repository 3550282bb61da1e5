// Internals shared by the wss verifier and signer: namespaces, libxml2/xmlsec RAII (xmlsec is
// now only the tests' reference implementation), the algorithm table, c14n, base64, RFC 2253
// names, the document's id index. Not a public interface (white-box tests include it).
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <libxml/tree.h>
#include <openssl/x509.h>
#include <xmlsec/keys.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmldsig.h>

#include "shepgw/common/status.h"
#include "shepgw/pki/gost.h"
#include "shepgw/pki/trust.h"

namespace shepgw::wss::internal {

inline constexpr std::string_view kWsseNs =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
inline constexpr std::string_view kWsuNs =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
inline constexpr std::string_view kDsNs = "http://www.w3.org/2000/09/xmldsig#";
inline constexpr std::string_view kExcC14n = "http://www.w3.org/2001/10/xml-exc-c14n#";
inline constexpr std::string_view kX509v3ValueType =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3";
inline constexpr std::string_view kBase64Binary =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0"
    "#Base64Binary";
inline constexpr std::string_view kXmlNs = "http://www.w3.org/XML/1998/namespace";

// Certificates are a few KB; anything much larger in a KeyInfo is an attack or a mistake.
inline constexpr size_t kMaxCertificateBytes = size_t{64} * 1024;
// Ids are short tokens; the charset also keeps them safe inside xmlsec's
// "xpointer(id('...'))" expression (a quote in an id would change the expression).
inline constexpr size_t kMaxIdBytes = 256;

// --- libxml2 helpers ------------------------------------------------------------------------

inline std::string_view View(const xmlChar* s) {
  return s == nullptr ? std::string_view() : std::string_view(reinterpret_cast<const char*>(s));
}
inline const xmlChar* X(std::string_view s) { return reinterpret_cast<const xmlChar*>(s.data()); }
inline bool IsElement(const xmlNode* n, std::string_view ns, std::string_view local) {
  return n != nullptr && n->type == XML_ELEMENT_NODE && n->ns != nullptr &&
         View(n->name) == local && View(n->ns->href) == ns;
}
// The attribute `name` in no namespace (ns empty) or in `ns`, or null.
xmlAttr* FindAttr(const xmlNode* n, std::string_view name, std::string_view ns = {});
// The value of an attribute (its text children), empty when absent.
std::string AttrValue(const xmlAttr* a);
// Text content of an element (text + CDATA children only).
std::string TextContent(const xmlNode* n);
// "{ns}local" of a node from the input, shortened and made printable for messages.
std::string NameForMessage(const xmlNode* n);
// Input text (URIs, ids) for messages: shortened, printable.
std::string ForMessage(std::string_view s, size_t max = 120);
// Is `id` a plain token (letters, digits, - _ . : { }) of sane length?
bool IsSafeId(std::string_view id);

// The node after `n` in a pre-order walk of its document (children first), or null at the end.
// Iterative: no recursion however deep the tree (depth is bounded by the parser anyway).
xmlNode* NextInDocumentOrder(xmlNode* n);

// Every id-like attribute of the document: wsu:Id, Id, id (no namespace), xml:id and anything
// libxml2 already typed as ID. Built in one walk; reports the first duplicate value.
class IdIndex {
 public:
  // Errors: kWssWrappingDetected naming the duplicate value.
  Status Build(xmlDoc* doc);
  xmlAttr* Find(std::string_view id) const;

 private:
  std::unordered_map<std::string_view, xmlAttr*> by_value_;
  std::deque<std::string> storage_;  // values not stored as one text node
};

// Makes `attr` (value `id`) what xmlGetID(doc, id) returns, so xmlsec's "#id" resolution finds
// exactly it. Errors: kWssWrappingDetected when the id already names another attribute.
Status RegisterId(xmlDoc* doc, xmlAttr* attr, const std::string& id);

// --- RAII -----------------------------------------------------------------------------------

struct XmlSecKeyFree {
  void operator()(xmlSecKey* k) const { xmlSecKeyDestroy(k); }
};
using XmlSecKeyPtr = std::unique_ptr<xmlSecKey, XmlSecKeyFree>;
struct DSigCtxFree {
  void operator()(xmlSecDSigCtx* c) const { xmlSecDSigCtxDestroy(c); }
};
using DSigCtxPtr = std::unique_ptr<xmlSecDSigCtx, DSigCtxFree>;
struct X509NameFree {
  void operator()(X509_NAME* n) const { X509_NAME_free(n); }
};
using X509NamePtr = std::unique_ptr<X509_NAME, X509NameFree>;
struct Asn1IntegerFree {
  void operator()(ASN1_INTEGER* i) const { ASN1_INTEGER_free(i); }
};
using Asn1IntegerPtr = std::unique_ptr<ASN1_INTEGER, Asn1IntegerFree>;

// An xmlsec key holding another reference to `pkey` (never the keys manager: the key is
// always chosen by us). Null on failure.
XmlSecKeyPtr KeyFromEvp(EVP_PKEY* pkey);

// A dsig context locked down for one operation: same-document references only, only the
// listed transforms in References and in SignedInfo, manifests ignored.
DSigCtxPtr NewDSigCtx(const std::vector<xmlSecTransformId>& reference_transforms,
                      const std::vector<xmlSecTransformId>& signature_transforms);

// The last xmlsec error reported on this thread (cleared by ClearXmlSecError), for messages.
void ClearXmlSecError();
std::string LastXmlSecError();

// --- algorithms -----------------------------------------------------------------------------
//
// One table (algorithms.cc) describes every algorithm: URI, config name, digest, and the sign
// and verify primitives. Signer and Verifier compute digests by streaming c14n into a Hash and
// call the row's primitive with the digest; nothing else branches on the algorithm.

enum class AlgorithmVerdict { kKnown, kUnsupported, kNotAllowed };

// A digest value (64 bytes: SHA-512 and Streebog-512 are the largest).
struct Digest {
  unsigned char bytes[64];
  size_t size = 0;
  std::string_view view() const { return {reinterpret_cast<const char*>(bytes), size}; }
};

// A streaming hash: c14n output arrives in chunks.
class Hash {
 public:
  virtual ~Hash() = default;
  virtual bool Update(const void* data, size_t n) = 0;
  virtual bool Final(Digest* out) = 0;
};

struct DigestAlgorithm {
  std::string_view name;  // e.g. "sha256"
  std::string_view uri;
  bool weak;
  std::unique_ptr<Hash> (*new_hash)();  // null when the primitive cannot be set up
  const char* openssl_name;             // for OpenSSL signature primitives; null otherwise
  // Only with a SignatureMethod whose own digest this is (the GOST digests: a Streebog or
  // 34.11-94 DigestMethod under an RSA signature is no profile anyone uses).
  bool bound_to_signature;
};

// The signer's public key as the primitives see it: the certificate (RSA/ECDSA keys through
// OpenSSL) and, for an NCA GOST certificate, its GOST key (OpenSSL cannot parse the Kazakh key
// OIDs, so X509_get0_pubkey is null for those; pki::gost decodes it from the DER once, beside
// the decoded certificate in the verifier's cache).
struct SignerKey {
  X509* cert = nullptr;
  const pki::gost::PublicKey* gost = nullptr;  // null: not a GOST certificate
};

struct SignatureAlgorithm {
  std::string_view name;  // config name, e.g. "rsa-sha256"
  std::string_view uri;
  bool weak;
  // Hashes the canonical SignedInfo; the Signer also uses it for the Body's Reference.
  const DigestAlgorithm* digest;
  // The Reference's DigestMethod must be `digest` too (GOST: the pair is one algorithm).
  bool digest_bound;
  // Does the signer's public key belong to this algorithm?
  bool (*key_fits)(const SignerKey& key);
  // SignatureValue (the XML-DSig byte form, before base64) over `digest` with the gateway key;
  // empty on failure.
  std::string (*sign)(const pki::GatewayKey& key, std::string_view digest);
  // Does `value` (XML-DSig byte form) sign `digest` with the signer's key? Ok, or
  // kWssSignatureInvalid (does not verify) / kWssMalformedSecurity (a value of the wrong
  // length for the algorithm, where the length is fixed).
  Status (*verify)(const SignerKey& key, std::string_view digest, std::string_view value);
};
// "RSA", "EC", "GOST 34.10-2015-512", ... (messages: a key that does not fit a method).
std::string KeyDescription(const SignerKey& key);

// Known (implemented) algorithm for a URI, or null; *verdict says why not: kUnsupported for
// recognised-but-not-implemented URIs (the 256-bit GOST 2015 pair, the xmldsig-more#rsa-sha1 /
// #sha1 spellings), kNotAllowed for anything else (HMAC, unknown).
const SignatureAlgorithm* FindSignatureAlgorithm(std::string_view uri, AlgorithmVerdict* verdict);
const DigestAlgorithm* FindDigestAlgorithm(std::string_view uri, AlgorithmVerdict* verdict);
const SignatureAlgorithm* SignatureAlgorithmByName(std::string_view name);  // null if unknown

// Streams the canonical form of the subtree at `root` (mode: XML_C14N_EXCLUSIVE_1_0 or
// XML_C14N_1_0; prefixes: the exc-c14n InclusiveNamespaces PrefixList) into `hash`, without
// holding the canonical text. False when c14n or the hash fails.
// kSubtree visits only the subtree (same output, see algorithms.cc); kWholeDocument is
// libxml2's plain run over every node, kept as the reference for the tests.
enum class C14nScope { kSubtree, kWholeDocument };
bool Canonicalise(xmlDoc* doc, xmlNode* root, int mode, std::string_view prefixes, Hash* hash,
                  C14nScope scope = C14nScope::kSubtree);

// --- encodings ------------------------------------------------------------------------------

// Strict base64 (whitespace, including CR from &#13;, is skipped); nullopt on bad input or when
// the decoded size would exceed max_bytes.
std::optional<std::string> Base64Decode(std::string_view in, size_t max_bytes);
std::string Base64Encode(std::string_view in);

// A DER certificate, the whole input and nothing else. Null on failure.
pki::X509Ptr CertificateFromDer(std::string_view der);

// An RFC 2253 / RFC 1779 distinguished name as Java's X500Principal and WSS4J write it
// ("CN=ҰЛТТЫҚ ...,C=KZ": most specific RDN first), as an X509_NAME. Null on failure.
// reversed: build the RDNs in the order written instead (for writers that list the root
// first; the lookup tries both, see verify.cc).
X509NamePtr ParseDistinguishedName(std::string_view dn, bool reversed = false);
// A decimal serial number. Null on failure.
Asn1IntegerPtr ParseDecimalSerial(std::string_view serial);

// Private stand-in for pki::DescribeCertificate until the pki module lands (the lead dedupes).
pki::CertificateFacts DescribeCert(X509* cert);

}  // namespace shepgw::wss::internal
