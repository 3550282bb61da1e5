// Signer: the gateway's own transport signature, the shape ShEP's reference clients produce
// (shep-protocol §4.1): wsu:Id on the Body, one wsse:Security with soap:mustUnderstand="1",
// exclusive c14n, one Reference with one exclusive c14n Transform, SHA-256, KeyInfo =
// SecurityTokenReference/KeyIdentifier(X509v3, the whole certificate). No timestamp (KZ-6).
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <xmlsec/openssl/crypto.h>
#include <xmlsec/templates.h>
#include <xmlsec/xmldsig.h>

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
// `node` with `prefix` (or prefix1, prefix2... if that prefix is taken on the node itself).
xmlNs* EnsureNs(xmlDoc* doc, xmlNode* node, std::string_view href, std::string_view prefix) {
  if (xmlNs* ns = xmlSearchNsByHref(doc, node, X(href)); ns != nullptr && ns->prefix != nullptr) {
    return ns;
  }
  std::string candidate(prefix);
  for (int i = 1; i < 100; ++i) {
    if (xmlNs* ns = xmlNewNs(node, X(href), X(candidate)); ns != nullptr) {
      return ns;
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
Status EnsureBodyId(xmlDoc* doc, xmlNode* body, std::string* id) {
  for (auto [name, ns] : {std::pair<std::string_view, std::string_view>{"Id", kWsuNs},
                          {"Id", ""},
                          {"id", ""}}) {
    if (xmlAttr* a = FindAttr(body, name, ns); a != nullptr) {
      *id = AttrValue(a);
      if (!IsSafeId(*id)) {
        return {ErrorCode::kWssMalformedSecurity,
                "the Body's id \"" + ForMessage(*id) + "\" is not a plain token"};
      }
      return Status::Ok();
    }
  }
  *id = NewBodyId();
  if (id->empty()) {
    return Internal("RAND_bytes failed");
  }
  // Declared on the Body itself, as the ShEP clients do: the signed Body then carries its own
  // namespace context through exclusive c14n.
  xmlNs* wsu = xmlSearchNs(doc, body, X("wsu"));
  if (wsu == nullptr || View(wsu->href) != kWsuNs) {
    wsu = EnsureNs(doc, body, kWsuNs, "wsu");
  }
  if (wsu == nullptr || xmlNewNsProp(body, wsu, X("Id"), X(*id)) == nullptr) {
    return Internal("cannot add wsu:Id to the Body");
  }
  return Status::Ok();
}

}  // namespace

Signer::Signer(std::shared_ptr<const pki::GatewayKey> key) : key_(std::move(key)) {}

Status Signer::SignEnvelope(envelope::ParsedEnvelope& envelope) const {
  if (key_ == nullptr || key_->cert == nullptr || key_->key == nullptr) {
    return Internal("no gateway key");
  }
  xmlDoc* doc = envelope.doc();
  xmlNode* env = envelope.envelope();
  xmlNode* body = envelope.body();
  const SignatureAlgorithm& algorithm = SignatureAlgorithmByName(key_->algorithm);
  if (algorithm.name != key_->algorithm) {
    return Internal("gateway key algorithm \"" + ForMessage(key_->algorithm) +
                    "\" is not rsa-sha256 or ecdsa-sha256");
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
  // 3. The Body's id, unique in the document, registered for xmlsec's "#id" lookup.
  std::string body_id;
  Status st = EnsureBodyId(doc, body, &body_id);
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
  st = RegisterId(doc, id_attr, body_id);
  if (!st.ok()) {
    return st;
  }

  // 4. <wsse:Security soap:mustUnderstand="1">, first in the Header.
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

  // 5. ds:Signature from the template, signed by xmlsec with our key.
  xmlNode* signature = xmlSecTmplSignatureCreateNsPref(doc, xmlSecTransformExclC14NId,
                                                        algorithm.transform(), nullptr,
                                                        X("ds"));
  if (signature == nullptr) {
    return Internal("cannot create the signature template");
  }
  xmlAddChild(security, signature);
  const std::string uri = "#" + body_id;
  xmlNode* reference = xmlSecTmplSignatureAddReference(
      signature, xmlSecOpenSSLTransformSha256Id, nullptr, X(uri), nullptr);
  if (reference == nullptr ||
      xmlSecTmplReferenceAddTransform(reference, xmlSecTransformExclC14NId) == nullptr) {
    return Internal("cannot build the signature template");
  }
  DSigCtxPtr ctx = NewDSigCtx({xmlSecTransformExclC14NId, xmlSecOpenSSLTransformSha256Id},
                              {xmlSecTransformExclC14NId, algorithm.transform()});
  if (ctx == nullptr) {
    return Internal("cannot create the xmlsec signature context");
  }
  // A fresh xmlsec key per call around the shared EVP_PKEY (another reference, no copy):
  // cheaper than a lock around a cached xmlSecKey and safe across threads.
  XmlSecKeyPtr key = KeyFromEvp(key_->key.get());
  if (key == nullptr) {
    return Internal("cannot load the gateway key into xmlsec");
  }
  ctx->signKey = key.release();
  ClearXmlSecError();
  if (xmlSecDSigCtxSign(ctx.get(), signature) < 0) {
    return Internal("xmlsec could not sign: " + LastXmlSecError());
  }

  // 6. KeyInfo, added after signing (it is not signed, and xmlsec has no writer for
  // SecurityTokenReference): KeyIdentifier X509v3 with the whole certificate, base64.
  unsigned char* der = nullptr;
  const int der_len = i2d_X509(key_->cert.get(), &der);
  if (der_len <= 0) {
    return Internal("cannot encode the gateway certificate");
  }
  const std::string cert_b64 =
      Base64Encode(std::string_view(reinterpret_cast<const char*>(der), der_len));
  OPENSSL_free(der);
  xmlNode* key_info = xmlSecTmplSignatureEnsureKeyInfo(signature, nullptr);
  xmlNode* str = key_info == nullptr
                     ? nullptr
                     : xmlNewChild(key_info, wsse, X("SecurityTokenReference"), nullptr);
  xmlNode* key_identifier =
      str == nullptr ? nullptr : xmlNewTextChild(str, wsse, X("KeyIdentifier"), X(cert_b64));
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
