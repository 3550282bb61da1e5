#include "support/gost_client.h"

#include <algorithm>
#include <cstdio>
#include <memory>

#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

namespace shepgw::testing {
namespace {

constexpr char kSoapNs[] = "http://schemas.xmlsoap.org/soap/envelope/";
constexpr char kDsNs[] = "http://www.w3.org/2000/09/xmldsig#";
constexpr char kWsseNs[] =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
constexpr char kWsuNs[] =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
constexpr char kExcC14n[] = "http://www.w3.org/2001/10/xml-exc-c14n#";

const xmlChar* X(const char* s) { return reinterpret_cast<const xmlChar*>(s); }
const xmlChar* X(const std::string& s) { return X(s.c_str()); }

using XPathContextPtr = std::unique_ptr<xmlXPathContext, decltype(&xmlXPathFreeContext)>;
using XPathObjectPtr = std::unique_ptr<xmlXPathObject, decltype(&xmlXPathFreeObject)>;
using DocPtr = std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)>;

XPathContextPtr NewContext(xmlDoc* doc) {
  XPathContextPtr ctx(xmlXPathNewContext(doc), xmlXPathFreeContext);
  xmlXPathRegisterNs(ctx.get(), X("s"), X(kSoapNs));
  xmlXPathRegisterNs(ctx.get(), X("ds"), X(kDsNs));
  return ctx;
}

xmlNode* SelectOne(xmlDoc* doc, const std::string& select) {
  XPathContextPtr ctx = NewContext(doc);
  XPathObjectPtr found(xmlXPathEvalExpression(X(select), ctx.get()), xmlXPathFreeObject);
  if (found == nullptr || found->nodesetval == nullptr || found->nodesetval->nodeNr != 1) {
    return nullptr;
  }
  return found->nodesetval->nodeTab[0];
}

std::string Base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(std::max(n, 0)));
  return out;
}

}  // namespace

std::string C14nSubtree(xmlDoc* doc, const std::string& select) {
  XPathContextPtr ctx = NewContext(doc);
  // The node set of a same-document reference to that element, comments excluded.
  const std::string expr = "(" + select + "/descendant-or-self::node() | " + select +
                           "/descendant-or-self::*/@* | " + select +
                           "/descendant-or-self::*/namespace::*)[not(self::comment())]";
  XPathObjectPtr nodes(xmlXPathEvalExpression(X(expr), ctx.get()), xmlXPathFreeObject);
  if (nodes == nullptr || nodes->nodesetval == nullptr || nodes->nodesetval->nodeNr == 0) {
    return {};
  }
  xmlChar* out = nullptr;
  const int len =
      xmlC14NDocDumpMemory(doc, nodes->nodesetval, XML_C14N_EXCLUSIVE_1_0, nullptr, 0, &out);
  if (len < 0) {
    return {};
  }
  std::string text(reinterpret_cast<const char*>(out), static_cast<size_t>(len));
  xmlFree(out);
  return text;
}

Result<std::string> SignGostEnvelope(std::string_view envelope_xml,
                                     const pki::gost::PrivateKey& key, std::string_view cert_der,
                                     const GostSignOptions& options) {
  const auto fail = [](const std::string& what) {
    return Status(ErrorCode::kGatewayInternal, "test GOST signer: " + what);
  };
  const pki::gost::AlgorithmInfo& info = pki::gost::Describe(key.algorithm());
  const std::string signature_method =
      options.signature_method.empty() ? std::string(info.signature_uri) : options.signature_method;
  const std::string digest_method =
      options.digest_method.empty() ? std::string(info.digest_uri) : options.digest_method;

  DocPtr doc(xmlReadMemory(envelope_xml.data(), static_cast<int>(envelope_xml.size()), nullptr,
                           nullptr, XML_PARSE_NONET),
             xmlFreeDoc);
  if (doc == nullptr) {
    return fail("the envelope is not XML");
  }
  xmlNode* envelope = xmlDocGetRootElement(doc.get());
  xmlNode* body = SelectOne(doc.get(), "/s:Envelope/s:Body");
  if (body == nullptr) {
    return fail("no soap:Body");
  }
  xmlNode* header = SelectOne(doc.get(), "/s:Envelope/s:Header");
  if (header == nullptr) {
    header = xmlNewDocNode(doc.get(), envelope->ns, X("Header"), nullptr);
    xmlAddPrevSibling(body, header);
  }
  std::string body_id = "id-gost-body";
  if (xmlChar* id = xmlGetNsProp(body, X("Id"), X(kWsuNs)); id != nullptr) {
    body_id = reinterpret_cast<const char*>(id);
    xmlFree(id);
  } else {
    xmlNs* wsu = xmlNewNs(body, X(kWsuNs), X("wsu"));
    xmlNewNsProp(body, wsu, X("Id"), X(body_id));
  }

  const std::string security =
      std::string("<wsse:Security xmlns:wsse=\"") + kWsseNs + "\"><ds:Signature xmlns:ds=\"" +
      kDsNs + "\"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm=\"" + kExcC14n +
      "\"/><ds:SignatureMethod Algorithm=\"" + signature_method + "\"/><ds:Reference URI=\"#" +
      body_id + "\"><ds:Transforms><ds:Transform Algorithm=\"" + kExcC14n +
      "\"/></ds:Transforms><ds:DigestMethod Algorithm=\"" + digest_method +
      "\"/><ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo>"
      "<ds:SignatureValue></ds:SignatureValue><ds:KeyInfo><wsse:SecurityTokenReference>"
      "<wsse:KeyIdentifier EncodingType=\"http://docs.oasis-open.org/wss/2004/01/"
      "oasis-200401-wss-soap-message-security-1.0#Base64Binary\" ValueType=\"http://"
      "docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3\">" +
      Base64(cert_der) +
      "</wsse:KeyIdentifier></wsse:SecurityTokenReference></ds:KeyInfo></ds:Signature>"
      "</wsse:Security>";
  DocPtr fragment(xmlReadMemory(security.data(), static_cast<int>(security.size()), nullptr,
                                nullptr, XML_PARSE_NONET),
                  xmlFreeDoc);
  if (fragment == nullptr) {
    return fail("the Security template is not XML");
  }
  xmlNode* copy = xmlDocCopyNode(xmlDocGetRootElement(fragment.get()), doc.get(), 1);
  if (copy == nullptr) {
    return fail("cannot copy the Security template");
  }
  if (header->children == nullptr) {
    xmlAddChild(header, copy);
  } else {
    xmlAddPrevSibling(header->children, copy);
  }

  // The digest of the Body's c14n goes into DigestValue (part of SignedInfo), then SignedInfo's
  // c14n is signed with the digest algorithm of the key (options may name other URIs).
  const std::string body_c14n = C14nSubtree(doc.get(), "/s:Envelope/s:Body");
  xmlNode* digest_value = SelectOne(doc.get(), "//ds:DigestValue");
  if (body_c14n.empty() || digest_value == nullptr) {
    return fail("cannot canonicalise the Body");
  }
  xmlNodeSetContent(digest_value, X(Base64(pki::gost::ComputeDigest(key.algorithm(), body_c14n))));
  const std::string signed_info = C14nSubtree(doc.get(), "//ds:SignedInfo");
  Result<std::string> value = key.SignData(signed_info);
  if (!value.ok()) {
    return value.status();
  }
  std::string bytes = *value;
  if (options.reverse_signature) {
    std::reverse(bytes.begin(), bytes.end());
  }
  xmlNodeSetContent(SelectOne(doc.get(), "//ds:SignatureValue"), X(Base64(bytes)));

  xmlChar* out = nullptr;
  int len = 0;
  xmlDocDumpMemoryEnc(doc.get(), &out, &len, "UTF-8");
  std::string signed_xml(reinterpret_cast<char*>(out), static_cast<size_t>(len));
  xmlFree(out);
  return signed_xml;
}

std::string PemCertificateDer(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) {
    return {};
  }
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (cert == nullptr) {
    return {};
  }
  unsigned char* der = nullptr;
  const int len = i2d_X509(cert, &der);
  X509_free(cert);
  if (len <= 0) {
    return {};
  }
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

}  // namespace shepgw::testing
