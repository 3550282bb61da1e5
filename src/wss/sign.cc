// Signer: the gateway's own transport signature, the shape ShEP's reference clients produce
// (shep-protocol §4.1): wsu:Id on the Body, one wsse:Security with soap:mustUnderstand="1",
// exclusive c14n, one Reference with one exclusive c14n Transform, the algorithm's digest,
// KeyInfo = SecurityTokenReference/KeyIdentifier(X509v3, the whole certificate). No timestamp
// (KZ-6). Computed like Verify checks it (no xmlsec): the Body's c14n streamed into the digest,
// SignedInfo written in canonical form, the algorithm table's sign primitive.
#include <libxml/c14n.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "shepgw/wss/wss.h"

#include "wss/internal.h"

namespace shepgw::wss {

using namespace internal;  // NOLINT(google-build-using-namespace): this module's own internals

namespace {

Status Internal(std::string m) { return {ErrorCode::kGatewayInternal, std::move(m)}; }

// "id-" + 32 random hex digits, like the reference clients' "id-<UUID>".
std::string NewBodyId() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    return {};
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "id-";
  for (const unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

// A namespace for `href` usable on `node`: one already in scope, else a new declaration on
// `node` with `prefix` (or prefix1, prefix2...), never a prefix already bound in scope: the
// serialiser writes prefixes as they are, so shadowing one would move the node's other
// attributes or descendants that use it into our namespace (found by the fuzzer: a Body with
// an attribute in a look-alike "wsu" namespace).
xmlNs* EnsureNs(xmlDoc* doc, xmlNode* node, std::string_view href, std::string_view prefix) {
  if (xmlNs* ns = xmlSearchNsByHref(doc, node, X(href)); ns != nullptr && ns->prefix != nullptr) {
    return ns;
  }
  std::string candidate(prefix);
  for (int i = 1; i < 100; ++i) {
    if (xmlSearchNs(doc, node, X(candidate)) == nullptr) {
      return xmlNewNs(node, X(href), X(candidate));
    }
    candidate = std::string(prefix) + std::to_string(i);
  }
  return nullptr;
}

void InsertFirst(xmlNode* parent, xmlNode* child) {
  if (parent->children == nullptr) {
    xmlAddChild(parent, child);
  } else {
    xmlAddPrevSibling(parent->children, child);
  }
}

// The Body's existing id (wsu:Id, Id, id — the ones Verify accepts), or a new wsu:Id.
Status EnsureBodyId(xmlDoc* doc, xmlNode* body, std::string* id, bool* added) {
  *added = false;
  for (auto [name, ns] :
       {std::pair<std::string_view, std::string_view>{"Id", kWsuNs}, {"Id", ""}, {"id", ""}}) {
    if (xmlAttr* a = FindAttr(body, name, ns); a != nullptr) {
      *id = AttrValue(a);
      if (!IsSafeId(*id)) {
        return {ErrorCode::kWssMalformedSecurity,
                "the Body's id \"" + ForMessage(*id) + "\" is not a plain token"};
      }
      return Status::Ok();
    }
  }
  *added = true;
  *id = NewBodyId();
  if (id->empty()) {
    return Internal("RAND_bytes failed");
  }
  // Declared on the Body itself, as the ShEP clients do: the signed Body then carries its own
  // namespace context through exclusive c14n.
  xmlNs* wsu = EnsureNs(doc, body, kWsuNs, "wsu");
  if (wsu == nullptr || xmlNewNsProp(body, wsu, X("Id"), X(*id)) == nullptr) {
    return Internal("cannot add wsu:Id to the Body");
  }
  return Status::Ok();
}

// <ds:name Algorithm="algorithm"/> under parent.
xmlNode* AddAlgorithm(xmlNode* parent, xmlNs* ds, const char* name, std::string_view algorithm) {
  xmlNode* n = xmlNewChild(parent, ds, X(name), nullptr);
  if (n == nullptr || xmlNewProp(n, X("Algorithm"), X(std::string(algorithm))) == nullptr) {
    return nullptr;
  }
  return n;
}

// The exclusive canonical form of the SignedInfo that BuildSignature builds: we write every
// byte of that subtree ourselves (fixed URIs, a plain-token id, base64), so its c14n is known
// without running c14n over the document. It must stay byte-for-byte what c14n would give for
// the tree below: sign_test (our Verifier and the xmlsec1 CLI, which canonicalise the parsed
// output) and the interop tests (zeep, WSS4J) check every signature we make.
std::string CanonicalSignedInfo(const SignatureAlgorithm& algorithm, std::string_view body_id,
                                std::string_view digest_b64) {
  std::string out;
  out.reserve(640);
  out += "<ds:SignedInfo xmlns:ds=\"";
  out += kDsNs;
  out += "\"><ds:CanonicalizationMethod Algorithm=\"";
  out += kExcC14n;
  out += "\"></ds:CanonicalizationMethod><ds:SignatureMethod Algorithm=\"";
  out += algorithm.uri;
  out += "\"></ds:SignatureMethod><ds:Reference URI=\"#";
  out += body_id;
  out += "\"><ds:Transforms><ds:Transform Algorithm=\"";
  out += kExcC14n;
  out += "\"></ds:Transform></ds:Transforms><ds:DigestMethod Algorithm=\"";
  out += algorithm.digest->uri;
  out += "\"></ds:DigestMethod><ds:DigestValue>";
  out += digest_b64;
  out += "</ds:DigestValue></ds:Reference></ds:SignedInfo>";
  return out;
}

}  // namespace

Signer::Signer(std::shared_ptr<const pki::GatewayKey> key) : key_(std::move(key)) {
  // The KeyIdentifier text is the same for every signature: encoded once.
  if (key_ != nullptr && key_->cert != nullptr) {
    unsigned char* der = nullptr;
    const int der_len = i2d_X509(key_->cert.get(), &der);
    if (der_len > 0) {
      cert_b64_ = Base64Encode(std::string_view(reinterpret_cast<const char*>(der), der_len));
    }
    OPENSSL_free(der);
  }
}

Status Signer::SignEnvelope(envelope::ParsedEnvelope& envelope,
                            const VerifiedSignature* verified) const {
  if (key_ == nullptr || key_->cert == nullptr ||
      (key_->key == nullptr && key_->gost_key == nullptr) || cert_b64_.empty()) {
    return Internal("no gateway key");
  }
  xmlDoc* doc = envelope.doc();
  xmlNode* env = envelope.envelope();
  xmlNode* body = envelope.body();
  const SignatureAlgorithm* algorithm = SignatureAlgorithmByName(key_->algorithm);
  if (algorithm == nullptr || algorithm->sign == nullptr) {
    return Internal("gateway key algorithm \"" + ForMessage(key_->algorithm) +
                    "\" is unknown or verify-only");
  }

  // 1. The Header: created as the Envelope's first child when absent.
  xmlNode* header = envelope.header();
  if (header == nullptr) {
    header = xmlNewDocNode(doc, env->ns, X("Header"), nullptr);
    if (header == nullptr) {
      return Internal("cannot create soap:Header");
    }
    InsertFirst(env, header);
    envelope.set_header(header);
  }
  // 2. Every wsse:Security goes: the client's signature is not ours to forward (and a second
  // Security would make ours ambiguous). xmlFreeNode also unregisters their ids.
  for (xmlNode* c = header->children; c != nullptr;) {
    xmlNode* next = c->next;
    if (IsElement(c, kWsseNs, "Security")) {
      xmlUnlinkNode(c);
      xmlFreeNode(c);
    }
    c = next;
  }
  // 3. The Body's id, unique in the document (a verifier's "#id" must find exactly the Body).
  std::string body_id;
  bool body_changed = false;
  Status st = EnsureBodyId(doc, body, &body_id, &body_changed);
  if (!st.ok()) {
    return st;
  }
  IdIndex ids;
  st = ids.Build(doc);
  if (!st.ok()) {
    return st;
  }
  xmlAttr* id_attr = ids.Find(body_id);
  if (id_attr == nullptr || id_attr->parent != body) {
    return Internal("the Body's id did not index");
  }

  // 4. The Reference digest: the Body's exclusive c14n streamed into the digest (no copy of
  // the canonical text, whatever the Body's size) — or the digest Verify just checked over
  // this very Body with the same c14n and digest, when the Body has not changed since
  // (removing the Security header and adding a Header do not touch the Body's c14n).
  std::string digest_b64;
  if (verified != nullptr && !body_changed && verified->body == body &&
      verified->body_digest_uri == algorithm->digest->uri && !verified->body_digest.empty()) {
    digest_b64 = Base64Encode(verified->body_digest);
  } else {
    std::unique_ptr<Hash> hash = algorithm->digest->new_hash();
    Digest body_digest;
    if (hash == nullptr || !Canonicalise(doc, body, XML_C14N_EXCLUSIVE_1_0, {}, hash.get())) {
      return {ErrorCode::kWssMalformedSecurity,
              "the Body cannot be canonicalised (relative namespace URI?)"};
    }
    if (!hash->Final(&body_digest)) {
      return Internal("cannot finish the Body digest");
    }
    digest_b64 = Base64Encode(body_digest.view());
  }

  // 5. SignatureValue: the algorithm's primitive over the digest of the canonical SignedInfo.
  const std::string signed_info = CanonicalSignedInfo(*algorithm, body_id, digest_b64);
  std::unique_ptr<Hash> hash = algorithm->digest->new_hash();
  Digest digest;
  if (hash == nullptr || !hash->Update(signed_info.data(), signed_info.size()) ||
      !hash->Final(&digest)) {
    return Internal("cannot digest SignedInfo");
  }
  const std::string value = algorithm->sign(*key_, digest.view());
  if (value.empty()) {
    return Internal("the gateway key could not sign (" + std::string(algorithm->name) + ")");
  }

  // 6. <wsse:Security soap:mustUnderstand="1">, first in the Header, holding the Signature
  // whose SignedInfo is exactly CanonicalSignedInfo's text, and KeyInfo = KeyIdentifier X509v3
  // with the whole certificate.
  xmlNode* security = xmlNewDocNode(doc, nullptr, X("Security"), nullptr);
  if (security == nullptr) {
    return Internal("cannot create wsse:Security");
  }
  InsertFirst(header, security);
  xmlNs* wsse = xmlNewNs(security, X(kWsseNs), X("wsse"));
  // The envelope's own SOAP prefix; a default-namespace envelope gets a "soap" declaration
  // (an attribute needs a prefix).
  xmlNs* soap = env->ns != nullptr && env->ns->prefix != nullptr
                    ? env->ns
                    : EnsureNs(doc, security, envelope::kSoap11Ns, "soap");
  if (wsse == nullptr || soap == nullptr) {
    return Internal("cannot declare the wsse/soap namespaces");
  }
  xmlSetNs(security, wsse);
  if (xmlNewNsProp(security, soap, X("mustUnderstand"), X("1")) == nullptr) {
    return Internal("cannot set mustUnderstand");
  }
  xmlNode* signature = xmlNewChild(security, nullptr, X("Signature"), nullptr);
  xmlNs* ds = signature == nullptr ? nullptr : xmlNewNs(signature, X(kDsNs), X("ds"));
  if (ds == nullptr) {
    return Internal("cannot create ds:Signature");
  }
  xmlSetNs(signature, ds);
  xmlNode* info = xmlNewChild(signature, ds, X("SignedInfo"), nullptr);
  xmlNode* reference = nullptr;
  xmlNode* transforms = nullptr;
  const std::string uri = "#" + body_id;
  if (info == nullptr || AddAlgorithm(info, ds, "CanonicalizationMethod", kExcC14n) == nullptr ||
      AddAlgorithm(info, ds, "SignatureMethod", algorithm->uri) == nullptr ||
      (reference = xmlNewChild(info, ds, X("Reference"), nullptr)) == nullptr ||
      xmlNewProp(reference, X("URI"), X(uri)) == nullptr ||
      (transforms = xmlNewChild(reference, ds, X("Transforms"), nullptr)) == nullptr ||
      AddAlgorithm(transforms, ds, "Transform", kExcC14n) == nullptr ||
      AddAlgorithm(reference, ds, "DigestMethod", algorithm->digest->uri) == nullptr ||
      xmlNewTextChild(reference, ds, X("DigestValue"), X(digest_b64)) == nullptr ||
      xmlNewTextChild(signature, ds, X("SignatureValue"), X(Base64Encode(value))) == nullptr) {
    return Internal("cannot build ds:SignedInfo");
  }
  xmlNode* key_info = xmlNewChild(signature, ds, X("KeyInfo"), nullptr);
  xmlNode* str = key_info == nullptr
                     ? nullptr
                     : xmlNewChild(key_info, wsse, X("SecurityTokenReference"), nullptr);
  xmlNode* key_identifier =
      str == nullptr ? nullptr : xmlNewTextChild(str, wsse, X("KeyIdentifier"), X(cert_b64_));
  if (key_identifier == nullptr ||
      xmlNewProp(key_identifier, X("EncodingType"), X(kBase64Binary)) == nullptr ||
      xmlNewProp(key_identifier, X("ValueType"), X(kX509v3ValueType)) == nullptr) {
    return Internal("cannot build KeyInfo");
  }
  return Status::Ok();
}

Result<std::string> Signer::SignDocument(std::string_view xml,
                                         const envelope::ParseLimits& limits) const {
  envelope::ParseOutcome parsed = envelope::ParseEnvelope(xml, limits);
  if (!parsed.status.ok()) {
    return parsed.status;
  }
  Status st = SignEnvelope(*parsed.envelope);
  if (!st.ok()) {
    return st;
  }
  return parsed.envelope->Serialize();
}

}  // namespace shepgw::wss
