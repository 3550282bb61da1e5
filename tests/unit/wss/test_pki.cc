#include "unit/wss/test_pki.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/valid.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmltree.h>

#include "shepgw/wss/wss.h"

#include "wss/internal.h"
#include <sys/stat.h>

namespace shepgw::wss::testing {
namespace {

class XmlSecEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    const Status st = InitXmlSec();
    ASSERT_TRUE(st.ok()) << st.ToString();
    PkiDir();
  }
  void TearDown() override { ShutdownXmlSec(); }
};
[[maybe_unused]] ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new XmlSecEnvironment);

bool Exists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

}  // namespace

const std::string& PkiDir() {
  static const std::string dir = [] {
    const char* env = std::getenv("SHEPGW_WSS_PKI_DIR");
    std::string d = env != nullptr && *env != '\0' ? env : SHEPGW_WSS_PKI_DIR;
    if (!Exists(d + "/gateway-ec.pem")) {
      // The ctest fixture normally made it; by hand, make it now (flock: parallel runs).
      const std::string cmd = "flock '" + d +
                              ".lock' bash '" SHEPGW_SOURCE_DIR "/scripts/gen-wss-test-pki.sh' '" +
                              d + "'";
      if (std::system(cmd.c_str()) != 0) {
        ADD_FAILURE() << "cannot generate the test PKI: " << cmd;
      }
    }
    return d;
  }();
  return dir;
}

std::string PkiFile(const std::string& name) { return PkiDir() + "/" + name; }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

pki::X509Ptr LoadCert(const std::string& name) {
  FILE* f = std::fopen(PkiFile(name + ".pem").c_str(), "r");
  if (f == nullptr) {
    ADD_FAILURE() << "cannot open " << name;
    return nullptr;
  }
  pki::X509Ptr cert(PEM_read_X509(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  return cert;
}

pki::EvpPkeyPtr LoadKey(const std::string& name) {
  FILE* f = std::fopen(PkiFile(name + ".key").c_str(), "r");
  if (f == nullptr) {
    ADD_FAILURE() << "cannot open " << name;
    return nullptr;
  }
  pki::EvpPkeyPtr key(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  return key;
}

std::string CertBase64(const std::string& name) {
  pki::X509Ptr cert = LoadCert(name);
  unsigned char* der = nullptr;
  const int len = i2d_X509(cert.get(), &der);
  std::string out =
      internal::Base64Encode(std::string_view(reinterpret_cast<const char*>(der), len));
  OPENSSL_free(der);
  return out;
}

std::string SerialDecimal(const std::string& name) {
  return internal::DescribeCert(LoadCert(name).get()).serial;
}

TestTrustStore::TestTrustStore() : store_(X509_STORE_new()) {
  X509_STORE_add_cert(store_, LoadCert("root").get());
  intermediates_.push_back(LoadCert("inter"));
  FILE* f = std::fopen(PkiFile("inter.crl.pem").c_str(), "r");
  if (f != nullptr) {
    X509_CRL* crl = PEM_read_X509_CRL(f, nullptr, nullptr, nullptr);
    std::fclose(f);
    X509_STORE_add_crl(store_, crl);
    X509_CRL_free(crl);
  }
  X509_STORE_set_flags(store_, X509_V_FLAG_CRL_CHECK);
}

TestTrustStore::~TestTrustStore() { X509_STORE_free(store_); }

Status TestTrustStore::Validate(X509* cert) const {
  if (!forced_.ok()) {
    return forced_;
  }
  STACK_OF(X509)* chain = sk_X509_new_null();
  for (const auto& c : intermediates_) {
    sk_X509_push(chain, c.get());
  }
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store_, cert, chain);
  const int ok = X509_verify_cert(ctx);
  const int err = X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  sk_X509_free(chain);
  if (ok == 1) {
    return Status::Ok();
  }
  switch (err) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return {ErrorCode::kPkiCertificateExpired, "expired"};
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return {ErrorCode::kPkiCertificateNotYetValid, "not yet valid"};
    case X509_V_ERR_CERT_REVOKED:
      return {ErrorCode::kPkiCertificateRevoked, "revoked"};
    default:
      return {ErrorCode::kPkiCertificateUntrusted, X509_verify_cert_error_string(err)};
  }
}

TestParticipants::TestParticipants(std::vector<std::string> cert_names) {
  for (const auto& name : cert_names) {
    certs_.push_back(LoadCert(name));
  }
}

X509* TestParticipants::FindByIssuerSerial(const X509_NAME* issuer,
                                           const ASN1_INTEGER* serial) const {
  for (const auto& c : certs_) {
    if (X509_NAME_cmp(X509_get_issuer_name(c.get()), issuer) == 0 &&
        ASN1_INTEGER_cmp(X509_get0_serialNumber(c.get()), serial) == 0) {
      return c.get();
    }
  }
  return nullptr;
}

// --- the client-side signer -----------------------------------------------------------------

namespace {

constexpr char kWsse[] =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
constexpr char kWsu[] =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
constexpr char kX509v3[] =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3";
constexpr char kB64Binary[] =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0"
    "#Base64Binary";

std::string KeyInfoXml(const ClientMessage& m) {
  std::string issuer_serial;
  if (m.key_info == KeyInfoStyle::kIssuerSerial || m.key_info == KeyInfoStyle::kStrIssuerSerial) {
    const std::string issuer = m.issuer_name.empty()
                                   ? internal::DescribeCert(LoadCert(m.signer).get()).issuer
                                   : m.issuer_name;
    issuer_serial = "<ds:X509Data><ds:X509IssuerSerial><ds:X509IssuerName>" + issuer +
                    "</ds:X509IssuerName><ds:X509SerialNumber>" +
                    (m.serial.empty() ? SerialDecimal(m.signer) : m.serial) +
                    "</ds:X509SerialNumber></ds:X509IssuerSerial></ds:X509Data>";
  }
  switch (m.key_info) {
    case KeyInfoStyle::kKeyIdentifier:
      return std::string("<wsse:SecurityTokenReference><wsse:KeyIdentifier EncodingType=\"") +
             kB64Binary + "\" ValueType=\"" + kX509v3 + "\">" +
             (m.key_identifier.empty() ? CertBase64(m.signer) : m.key_identifier) +
             "</wsse:KeyIdentifier></wsse:SecurityTokenReference>";
    case KeyInfoStyle::kBinaryToken:
      return std::string(
                 "<wsse:SecurityTokenReference><wsse:Reference URI=\"#X509-7\" "
                 "ValueType=\"") +
             kX509v3 + "\"/></wsse:SecurityTokenReference>";
    case KeyInfoStyle::kX509Certificate:
      return "<ds:X509Data><ds:X509Certificate>" + CertBase64(m.signer) +
             "</ds:X509Certificate></ds:X509Data>";
    case KeyInfoStyle::kIssuerSerial:
      return issuer_serial;
    case KeyInfoStyle::kStrIssuerSerial:
      return "<wsse:SecurityTokenReference wsu:Id=\"STR-1\">" + issuer_serial +
             "</wsse:SecurityTokenReference>";
  }
  return {};
}

}  // namespace

Result<std::string> BuildClientMessage(const ClientMessage& m) {
  const std::string& p = m.prefix;
  const std::string id_decl =
      m.id_attr == "wsu:Id" ? std::string(" xmlns:wsu=\"") + kWsu + "\"" : std::string();
  const std::string id = " " + m.id_attr + "=\"" + m.body_id + "\"" + id_decl;
  std::string x = "<" + p + ":Envelope xmlns:" + p +
                  "=\"http://schemas.xmlsoap.org/soap/envelope/\">\n<" + p + ":Header>\n";
  x += "<wsse:Security xmlns:wsse=\"" + std::string(kWsse) + "\" xmlns:wsu=\"" + kWsu + "\" " + p +
       ":mustUnderstand=\"1\">\n";
  if (m.key_info == KeyInfoStyle::kBinaryToken) {
    x += std::string("<wsse:BinarySecurityToken wsu:Id=\"X509-7\" EncodingType=\"") + kB64Binary +
         "\" ValueType=\"" + kX509v3 + "\">" + CertBase64(m.signer) +
         "</wsse:BinarySecurityToken>\n";
  }
  x += "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">\n<ds:SignedInfo>\n";
  x += "<ds:CanonicalizationMethod Algorithm=\"" + m.canonicalization + "\">";
  if (m.inclusive_namespaces) {
    x += "<ec:InclusiveNamespaces xmlns:ec=\"http://www.w3.org/2001/10/xml-exc-c14n#\" "
         "PrefixList=\"" +
         p + "\"/>";
  }
  x += "</ds:CanonicalizationMethod>\n";
  x += "<ds:SignatureMethod Algorithm=\"" + m.signature_method + "\"/>\n";
  x += "<ds:Reference URI=\"#" + m.body_id + "\">";
  std::string transforms = m.transforms;
  if (m.inclusive_namespaces && transforms == ClientMessage().transforms) {
    transforms = std::string("<ds:Transform Algorithm=\"") + kExcC14nUri +
                 "\"><ec:InclusiveNamespaces xmlns:ec=\"http://www.w3.org/2001/10/xml-exc-c14n#\""
                 " PrefixList=\"\"/></ds:Transform>";
  }
  if (!transforms.empty()) {
    x += "<ds:Transforms>" + transforms + "</ds:Transforms>";
  }
  x += "<ds:DigestMethod Algorithm=\"" + m.digest_method + "\"/>";
  x += std::string("<ds:DigestValue>") + (m.sign ? "" : "AAAA") + "</ds:DigestValue>";
  x += "</ds:Reference>\n" + m.extra_reference + "</ds:SignedInfo>\n";
  x += std::string("<ds:SignatureValue>") + (m.sign ? "" : "AAAA") + "</ds:SignatureValue>\n";
  x += "<ds:KeyInfo>" + KeyInfoXml(m) + "</ds:KeyInfo>" + m.extra_signature;
  x += "</ds:Signature>\n</wsse:Security>\n</" + p + ":Header>\n";
  x += "<" + p + ":Body" + (m.id_on_operation ? "" : id) + ">";
  x += "<ns3:SendMessage xmlns:ns3=\"http://bip.bee.kz/SyncChannel/v10/Types\"" +
       (m.id_on_operation ? id : "") +
       "><request><requestInfo><messageId>m-1</messageId><serviceId>S1</serviceId>"
       "<sender><senderId>client-1</senderId><password>secret</password></sender>"
       "</requestInfo><requestData><data>" +
       m.payload + "</data></requestData></request></ns3:SendMessage>";
  x += "</" + p + ":Body>\n</" + p + ":Envelope>\n";
  if (!m.sign) {
    return x;
  }

  xmlDoc* doc =
      xmlReadMemory(x.data(), static_cast<int>(x.size()), nullptr, nullptr, XML_PARSE_NONET);
  if (doc == nullptr) {
    return Status(ErrorCode::kGatewayInternal, "test template is not XML:\n" + x);
  }
  std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)> owner(doc, xmlFreeDoc);
  // Register the signed element's id for xmlsec, like every client signer does.
  xmlNode* body = xmlSecFindNode(xmlDocGetRootElement(doc), internal::X("Body"),
                                 internal::X("http://schemas.xmlsoap.org/soap/envelope/"));
  xmlNode* target = m.id_on_operation ? xmlSecGetNextElementNode(body->children) : body;
  const std::string local = m.id_attr == "wsu:Id" ? "Id" : m.id_attr;
  xmlAttr* attr = m.id_attr == "wsu:Id"
                      ? xmlHasNsProp(target, internal::X(local), internal::X(kWsu))
                      : xmlHasProp(target, internal::X(local));
  if (attr == nullptr) {
    return Status(ErrorCode::kGatewayInternal, "test template: no id attribute");
  }
  xmlAddID(nullptr, doc, internal::X(m.body_id), attr);
  if (m.key_info == KeyInfoStyle::kBinaryToken) {
    xmlNode* token = xmlSecFindNode(xmlDocGetRootElement(doc), internal::X("BinarySecurityToken"),
                                    internal::X(kWsse));
    xmlAddID(nullptr, doc, internal::X("X509-7"),
             xmlHasNsProp(token, internal::X("Id"), internal::X(kWsu)));
  }
  xmlNode* signature = xmlSecFindNode(xmlDocGetRootElement(doc), internal::X("Signature"),
                                      internal::X("http://www.w3.org/2000/09/xmldsig#"));
  xmlSecDSigCtx* ctx = xmlSecDSigCtxCreate(nullptr);
  pki::EvpPkeyPtr pkey = LoadKey(m.signer);
  internal::XmlSecKeyPtr key = internal::KeyFromEvp(pkey.get());
  ctx->signKey = key.release();
  internal::ClearXmlSecError();
  const int rc = xmlSecDSigCtxSign(ctx, signature);
  xmlSecDSigCtxDestroy(ctx);
  if (rc < 0) {
    return Status(ErrorCode::kGatewayInternal,
                  "test signer failed: " + internal::LastXmlSecError());
  }
  xmlChar* out = nullptr;
  int len = 0;
  xmlDocDumpMemoryEnc(doc, &out, &len, "UTF-8");
  std::string signed_xml(reinterpret_cast<char*>(out), static_cast<size_t>(len));
  xmlFree(out);
  return signed_xml;
}

}  // namespace shepgw::wss::testing
