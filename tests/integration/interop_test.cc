// Interoperability, inbound: requests signed by WS-Security signers we did not write go through
// the running daemon (verify, authorise, re-sign, forward) and are answered 200 + SCSS001.
//   - the xmlsec1 command-line tool (`xmlsec1 --sign`) from a WS-Security template, in the
//     KeyInfo styles it can produce: STR/KeyIdentifier (filled in the template, as ShEP clients
//     send it), ds:X509Data/X509Certificate and ds:X509Data/X509IssuerSerial (filled by xmlsec1;
//     its issuer string is "C=KZ,CN=\D2\B0..." — hex-escaped UTF-8, least specific RDN first);
//   - Apache WSS4J 1.6 (Debian libwss4j-java, the library of the ShEP reference clients), see
//     wss4j/SignWss4j.java: KeyIdentifier (X509_KEY_IDENTIFIER) and IssuerSerial; WSS4J's
//     WSSecurityEngine also verifies the gateway's signed answers (outbound direction).
// (Python zeep, BinarySecurityToken style: wss_test.cc.)
#include <chrono>
#include <string>
#include <vector>

#include "support/wss_fixture.h"

namespace shepgw::testing {
namespace {

constexpr char kSoapNs[] = "http://schemas.xmlsoap.org/soap/envelope/";
constexpr char kWsse[] =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
constexpr char kWsu[] =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
constexpr char kX509v3[] =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3";
constexpr char kB64[] =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0"
    "#Base64Binary";
constexpr char kExcC14n[] = "http://www.w3.org/2001/10/xml-exc-c14n#";

class InteropTest : public WssGatewayFixture {
 protected:
  // The signer certificate as one line of base64 DER.
  std::string CertBase64(const std::string& name) {
    std::string out;
    EXPECT_EQ(
        RunCommand({"/bin/sh", "-c",
                    "openssl x509 -in " + wpki_ + "/" + name + ".pem -outform DER | base64 -w0"},
                   &out),
        0)
        << out;
    return out;
  }

  // MakeSendMessage(spec) with a wsse:Security/ds:Signature template in the Header (exclusive
  // c14n, rsa-sha256, one Reference to the Body's wsu:Id with one exc-c14n Transform) and
  // `key_info` as the KeyInfo content.
  static std::string Template(const SendMessageSpec& spec, const std::string& key_info) {
    std::string x = MakeSendMessage(spec);
    const std::string body_id = "id-7c9e6679-7425-40de-944b-e07fc1f90ae7";
    const std::string header =
        std::string("<SOAP-ENV:Header><wsse:Security xmlns:wsse=\"") + kWsse + "\" xmlns:wsu=\"" +
        kWsu +
        "\" SOAP-ENV:mustUnderstand=\"1\">"
        "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">\n<ds:SignedInfo>\n"
        "<ds:CanonicalizationMethod Algorithm=\"" +
        kExcC14n +
        "\"/>\n"
        "<ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/>\n"
        "<ds:Reference URI=\"#" +
        body_id + "\"><ds:Transforms><ds:Transform Algorithm=\"" + kExcC14n +
        "\"/></ds:Transforms><ds:DigestMethod "
        "Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/><ds:DigestValue/>"
        "</ds:Reference>\n</ds:SignedInfo>\n<ds:SignatureValue/>\n<ds:KeyInfo>" +
        key_info + "</ds:KeyInfo>\n</ds:Signature></wsse:Security></SOAP-ENV:Header>";
    x.replace(x.find("<SOAP-ENV:Header/>"), 18, header);
    const std::string body = "<SOAP-ENV:Body>";
    x.replace(x.find(body), body.size(),
              std::string("<SOAP-ENV:Body xmlns:wsu=\"") + kWsu + "\" wsu:Id=\"" + body_id + "\">");
    return x;
  }

  // Signs `tmpl` with the xmlsec1 command-line tool (key + certificate of `name`).
  std::string SignWithXmlSec1(const std::string& tmpl, const std::string& name) {
    const std::string in = dir_->path() + "/template.xml";
    const std::string out = dir_->path() + "/xmlsec1-signed.xml";
    WriteFile(in, tmpl);
    std::string output;
    EXPECT_EQ(RunCommand({"xmlsec1", "--sign", "--privkey-pem",
                          wpki_ + "/" + name + ".key," + wpki_ + "/" + name + ".pem",
                          "--id-attr:Id", std::string(kSoapNs) + ":Body", "--output", out, in},
                         &output),
              0)
        << output;
    return ReadFile(out);
  }

  // Posts the request, expects 200 + SCSS001 and delivery upstream; returns the answer.
  std::string ExpectAccepted(const std::string& signed_request, const std::string& message_id) {
    const auto r = Client()->Post(Url(), signed_request);
    EXPECT_EQ(r.curl_code, 0) << r.error;
    EXPECT_EQ(r.status, 200) << r.body << "\n--- request:\n"
                             << signed_request << "\n--- log:\n"
                             << GatewayLog();
    EXPECT_TRUE(Contains(r.body, "SCSS001")) << r.body;
    EXPECT_TRUE(Contains(r.body, "<correlationId>" + message_id + "</correlationId>")) << r.body;
    const std::string delivered = ReadFile(dir_->path() + "/standin-requests.log");
    EXPECT_TRUE(Contains(delivered, message_id + " GBDFL_UniversalServiceSync signed"))
        << delivered;
    return r.body;
  }
};

TEST_F(InteropTest, XmlSec1KeyIdentifierLikeShepClients) {
  StartGateway("", "", WssSections());
  SendMessageSpec spec;
  spec.message_id = "xmlsec1-keyid-0001";
  const std::string key_info = std::string(
                                   "<wsse:SecurityTokenReference><wsse:KeyIdentifier "
                                   "EncodingType=\"") +
                               kB64 + "\" ValueType=\"" + kX509v3 + "\">" +
                               CertBase64("signer-rsa") +
                               "</wsse:KeyIdentifier></wsse:SecurityTokenReference>";
  const std::string signed_request = SignWithXmlSec1(Template(spec, key_info), "signer-rsa");
  ASSERT_TRUE(Contains(signed_request, "<ds:SignatureValue>")) << signed_request;
  ExpectAccepted(signed_request, spec.message_id);
}

TEST_F(InteropTest, XmlSec1X509CertificateFilledByXmlSec1) {
  StartGateway("", "", WssSections());
  SendMessageSpec spec;
  spec.message_id = "xmlsec1-x509cert-0001";
  const std::string signed_request = SignWithXmlSec1(
      Template(spec, "<ds:X509Data><ds:X509Certificate/></ds:X509Data>"), "signer-rsa");
  ASSERT_TRUE(Contains(signed_request, "<ds:X509Certificate>MII")) << signed_request;
  ExpectAccepted(signed_request, spec.message_id);
}

TEST_F(InteropTest, XmlSec1X509IssuerSerialWithHexEscapedCyrillicIssuer) {
  StartGateway("", "", WssSections());
  SendMessageSpec spec;
  spec.message_id = "xmlsec1-issuerserial-0001";
  const std::string signed_request = SignWithXmlSec1(
      Template(spec, "<ds:X509Data><ds:X509IssuerSerial/></ds:X509Data>"), "signer-rsa");
  ASSERT_TRUE(Contains(signed_request, "<ds:X509IssuerName>")) << signed_request;
  ExpectAccepted(signed_request, spec.message_id);
}

// --- Apache WSS4J ------------------------------------------------------------------------

// Debian's jars (libwss4j-java, libxml-security-java, libcommons-logging-java, libslf4j-java).
const std::vector<std::string>& Wss4jJars() {
  static const std::vector<std::string> jars = {
      "/usr/share/java/wss4j.jar", "/usr/share/java/xmlsec.jar",
      "/usr/share/java/commons-logging.jar", "/usr/share/java/slf4j-api.jar",
      "/usr/share/java/slf4j-nop.jar"};
  return jars;
}

class Wss4jInteropTest : public InteropTest {
 protected:
  void SetUp() override {
    InteropTest::SetUp();
    std::string missing;
    std::string probe;
    if (RunCommand({"/bin/sh", "-c", "command -v javac && command -v java"}, &probe) != 0) {
      missing += " javac/java (openjdk-17-jdk-headless)";
    }
    for (const auto& jar : Wss4jJars()) {
      if (RunCommand({"test", "-r", jar}, &probe) != 0) {
        missing += " " + jar;
      }
      classpath_ += jar + ":";
    }
    if (!missing.empty()) {
      GTEST_SKIP() << "\n*** SKIP: WSS4J interop needs" << missing
                   << " (scripts/install-deps.sh installs them) ***";
    }
    classes_ = dir_->path() + "/wss4j-classes";
    std::string out;
    ASSERT_EQ(RunCommand({"javac", "-nowarn", "-d", classes_, "-cp", classpath_,
                          SHEPGW_SOURCE_DIR "/tests/integration/wss4j/SignWss4j.java"},
                         &out, std::chrono::seconds(120)),
              0)
        << out;
    classpath_ += classes_;
    // The keystore a WSS4J client would hold: the signer's key and certificate, PKCS#12.
    keystore_ = dir_->path() + "/signer-rsa.p12";
    ASSERT_EQ(RunCommand({"openssl", "pkcs12", "-export", "-in", wpki_ + "/signer-rsa.pem",
                          "-inkey", wpki_ + "/signer-rsa.key", "-name", "signer", "-passout",
                          "pass:changeit", "-out", keystore_},
                         &out),
              0)
        << out;
  }

  // key_identifier: "keyid" (X509_KEY_IDENTIFIER) or "issuerserial" (ISSUER_SERIAL).
  std::string SignWithWss4j(const std::string& xml, const std::string& key_identifier) {
    const std::string in = dir_->path() + "/wss4j-in.xml";
    const std::string out = dir_->path() + "/wss4j-" + key_identifier + ".xml";
    WriteFile(in, xml);
    std::string output;
    EXPECT_EQ(RunCommand({"java", "-cp", classpath_, "SignWss4j", keystore_, "changeit", "signer",
                          key_identifier, in, out},
                         &output, std::chrono::seconds(120)),
              0)
        << output;
    return ReadFile(out);
  }

  // Checks the gateway's answer the way a WSS4J client would: WSSecurityEngine, signer
  // certificate trusted through the test CA certificates.
  void ExpectWss4jVerifies(const std::string& answer) {
    const std::string path = dir_->path() + "/answer.xml";
    WriteFile(path, answer);
    std::string output;
    EXPECT_EQ(RunCommand({"java", "-cp", classpath_, "SignWss4j", "verify", wpki_ + "/root.pem",
                          wpki_ + "/inter.pem", path},
                         &output, std::chrono::seconds(120)),
              0)
        << output << "\n--- answer:\n"
        << answer;
    EXPECT_TRUE(Contains(output, "VERIFIED ") && Contains(output, "CN=shepgw TEST gateway"))
        << output;
  }

  std::string classpath_;
  std::string classes_;
  std::string keystore_;
};

TEST_F(Wss4jInteropTest, KeyIdentifierLikeSignWssSec) {
  StartGateway("", "", WssSections());
  SendMessageSpec spec;
  spec.message_id = "wss4j-keyid-0001";
  const std::string signed_request = SignWithWss4j(MakeSendMessage(spec), "keyid");
  ASSERT_TRUE(Contains(signed_request, "KeyIdentifier")) << signed_request;
  ASSERT_TRUE(Contains(signed_request, "#X509v3")) << signed_request;
  // ...and the gateway's signed answer verifies with WSS4J, as the client would check it.
  ExpectWss4jVerifies(ExpectAccepted(signed_request, spec.message_id));
}

TEST_F(Wss4jInteropTest, IssuerSerialLikeShep) {
  StartGateway("", "", WssSections());
  SendMessageSpec spec;
  spec.message_id = "wss4j-issuerserial-0001";
  const std::string signed_request = SignWithWss4j(MakeSendMessage(spec), "issuerserial");
  ASSERT_TRUE(Contains(signed_request, "X509IssuerSerial")) << signed_request;
  ExpectWss4jVerifies(ExpectAccepted(signed_request, spec.message_id));
}

}  // namespace
}  // namespace shepgw::testing
