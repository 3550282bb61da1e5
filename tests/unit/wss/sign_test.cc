// Signer: the gateway's own signature — shape, no timestamp, the client's header gone, and it
// verifies with our Verifier and with the xmlsec1 command-line tool (interop).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <libxml/tree.h>

#include "shepgw/envelope/envelope.h"
#include "shepgw/wss/wss.h"

#include "unit/wss/test_pki.h"
#include "wss/internal.h"
#include <unistd.h>

namespace shepgw::wss {
namespace {

using internal::IsElement;
using internal::kDsNs;
using internal::kWsseNs;
using internal::kWsuNs;
using testing::BuildClientMessage;
using testing::ClientMessage;

std::shared_ptr<const pki::GatewayKey> GatewayKey(const std::string& name,
                                                  const std::string& algorithm) {
  auto key = std::make_shared<pki::GatewayKey>();
  key->cert = testing::LoadCert(name);
  key->key = testing::LoadKey(name);
  key->algorithm = algorithm;
  return key;
}

int CountElements(const xmlNode* n, std::string_view ns, std::string_view local) {
  int count = 0;
  for (; n != nullptr; n = n->next) {
    if (IsElement(n, ns, local)) {
      ++count;
    }
    count += CountElements(n->children, ns, local);
  }
  return count;
}

// Runs `xmlsec1 --verify` on `xml` with the certificate as the key; returns the exit code.
int XmlSec1Verify(const std::string& xml, const std::string& cert_name) {
  char path[] = "/tmp/shepgw-wss-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) {
    return -1;
  }
  close(fd);
  std::ofstream(path, std::ios::binary) << xml;
  // --id-attr registers the wsu:Id of soap:Body as an ID, as any WSS verifier must.
  const std::string cmd = "xmlsec1 --verify --pubkey-cert-pem '" +
                          testing::PkiFile(cert_name + ".pem") +
                          "' --id-attr:Id http://schemas.xmlsoap.org/soap/envelope/:Body '" + path +
                          "' >/dev/null 2>&1";
  const int rc = std::system(cmd.c_str());
  std::remove(path);
  return rc;
}

class SignTest : public ::testing::TestWithParam<std::pair<const char*, const char*>> {
 protected:
  std::shared_ptr<testing::TestTrustStore> trust_ = std::make_shared<testing::TestTrustStore>();
  Verifier verifier_{{{"rsa-sha256", "ecdsa-sha256"}}, trust_, nullptr};
  Signer signer_{GatewayKey(GetParam().first, GetParam().second)};
};

TEST_P(SignTest, ReplacesTheClientSignatureAndVerifies) {
  Result<std::string> client = BuildClientMessage({});
  ASSERT_TRUE(client.ok());
  envelope::ParseOutcome out = envelope::ParseRequest(*client, {});
  ASSERT_TRUE(out.status.ok());
  ASSERT_TRUE(verifier_.Verify(*out.envelope).ok());  // the pipeline verifies first

  ASSERT_TRUE(signer_.SignEnvelope(*out.envelope).ok());
  xmlNode* header = out.envelope->header();
  ASSERT_NE(header, nullptr);
  int security_count = 0;
  xmlNode* security = nullptr;
  for (xmlNode* c = header->children; c != nullptr; c = c->next) {
    if (IsElement(c, kWsseNs, "Security")) {
      ++security_count;
      security = c;
    }
  }
  ASSERT_EQ(security_count, 1);
  EXPECT_EQ(
      internal::AttrValue(internal::FindAttr(security, "mustUnderstand", envelope::kSoap11Ns)),
      "1");
  EXPECT_EQ(CountElements(security->children, kWsuNs, "Timestamp"), 0);
  EXPECT_EQ(CountElements(security->children, kDsNs, "Signature"), 1);
  EXPECT_EQ(CountElements(security->children, kDsNs, "Reference"), 1);
  EXPECT_EQ(CountElements(security->children, kWsseNs, "KeyIdentifier"), 1);

  const std::string forwarded = out.envelope->Serialize();
  // The client's certificate is gone with its header; the Body kept its id.
  EXPECT_EQ(forwarded.find(testing::CertBase64("signer-rsa")), std::string::npos);
  EXPECT_NE(forwarded.find(testing::CertBase64(GetParam().first)), std::string::npos);
  EXPECT_NE(forwarded.find("URI=\"#id-0f6e3c1a\""), std::string::npos);
  EXPECT_NE(forwarded.find("soapenv:mustUnderstand=\"1\""), std::string::npos) << forwarded;

  envelope::ParseOutcome again = envelope::ParseRequest(forwarded, {});
  ASSERT_TRUE(again.status.ok());
  Result<VerifiedSignature> v = verifier_.Verify(*again.envelope);
  ASSERT_TRUE(v.ok()) << v.status().ToString() << "\n" << forwarded;
  EXPECT_NE(v->facts.subject.find("shepgw TEST gateway"), std::string::npos);
  EXPECT_EQ(XmlSec1Verify(forwarded, GetParam().first), 0) << forwarded;
  // And the interop check is not vacuous: a changed Body fails in xmlsec1 too.
  std::string tampered = forwarded;
  tampered.replace(tampered.find("<data>payload"), 13, "<data>PAYLOAD");
  EXPECT_NE(XmlSec1Verify(tampered, GetParam().first), 0);
}

// Re-signing after Verify reuses the Body digest Verify checked (same exclusive c14n, same
// digest): proved by poisoning it — the poisoned digest lands in the signature — and by the
// cases where it must not be used (another Body element).
TEST_P(SignTest, ReusesTheVerifiedBodyDigestOnlyForThatBody) {
  for (const int variant : {0, 1, 2}) {
    SCOPED_TRACE(variant);
    Result<std::string> client = BuildClientMessage(ClientMessage{});
    ASSERT_TRUE(client.ok());
    envelope::ParseOutcome out = envelope::ParseRequest(*client, {});
    ASSERT_TRUE(out.status.ok());
    Result<VerifiedSignature> verified = verifier_.Verify(*out.envelope);
    ASSERT_TRUE(verified.ok()) << verified.status().ToString();
    ASSERT_EQ(verified->body, out.envelope->body());
    ASSERT_EQ(verified->body_digest.size(), 32u);
    if (variant >= 1) {
      verified->body_digest[0] = static_cast<char>(verified->body_digest[0] ^ 1);
    }
    if (variant == 2) {
      verified->body = out.envelope->envelope();  // not this Body: computed afresh
    }
    ASSERT_TRUE(signer_.SignEnvelope(*out.envelope, &*verified).ok());
    const std::string forwarded = out.envelope->Serialize();
    envelope::ParseOutcome again = envelope::ParseRequest(forwarded, {});
    ASSERT_TRUE(again.status.ok());
    Result<VerifiedSignature> v = verifier_.Verify(*again.envelope);
    if (variant == 1) {
      EXPECT_EQ(v.status().code(), ErrorCode::kWssDigestMismatch);
    } else {
      EXPECT_TRUE(v.ok()) << v.status().ToString();
      EXPECT_EQ(XmlSec1Verify(forwarded, GetParam().first), 0) << forwarded;
    }
  }
}

TEST_P(SignTest, UnsignedMessageWithoutHeaderOrId) {
  const std::string xml =
      "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>"
      "<ns3:SendMessage xmlns:ns3=\"http://bip.bee.kz/SyncChannel/v10/Types\"><request>"
      "<requestInfo><messageId>m</messageId><serviceId>S</serviceId><sender><senderId>c"
      "</senderId></sender></requestInfo></request></ns3:SendMessage></soap:Body>"
      "</soap:Envelope>";
  envelope::ParseOutcome out = envelope::ParseRequest(xml, {});
  ASSERT_TRUE(out.status.ok());
  ASSERT_EQ(out.envelope->header(), nullptr);
  ASSERT_TRUE(signer_.SignEnvelope(*out.envelope).ok());
  ASSERT_NE(out.envelope->header(), nullptr);
  EXPECT_EQ(xmlFirstElementChild(out.envelope->envelope()), out.envelope->header());
  const std::string signed_xml = out.envelope->Serialize();
  EXPECT_NE(signed_xml.find("<soap:Body xmlns:wsu=\"" + std::string(kWsuNs) + "\" wsu:Id=\"id-"),
            std::string::npos)
      << signed_xml;
  envelope::ParseOutcome again = envelope::ParseRequest(signed_xml, {});
  ASSERT_TRUE(again.status.ok());
  Result<VerifiedSignature> v = verifier_.Verify(*again.envelope);
  EXPECT_TRUE(v.ok()) << v.status().ToString() << "\n" << signed_xml;
  EXPECT_EQ(XmlSec1Verify(signed_xml, GetParam().first), 0) << signed_xml;
}

// Found by the fuzzer: "wsu" bound (on the Envelope) to a look-alike namespace and used by
// the Body's own attribute. Declaring the real wsu under the same prefix on the Body would
// make that attribute a second wsu:Id after serialisation (and move any descendant using the
// prefix into another namespace): the signer must pick an unbound prefix.
TEST_P(SignTest, BodyIdPrefixNeverShadowsAPrefixInScope) {
  const std::string xml =
      "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" "
      "xmlns:wsu=\"urn:look-alike\"><soap:Body wsu:Id=\"b\"><ns3:SendMessage "
      "xmlns:ns3=\"http://bip.bee.kz/SyncChannel/v10/Types\"><request><requestInfo>"
      "<messageId>m</messageId><serviceId>S</serviceId><sender><senderId>c</senderId></sender>"
      "</requestInfo><wsu:x/></request></ns3:SendMessage></soap:Body></soap:Envelope>";
  envelope::ParseOutcome out = envelope::ParseRequest(xml, {});
  ASSERT_TRUE(out.status.ok());
  ASSERT_TRUE(signer_.SignEnvelope(*out.envelope).ok());
  const std::string signed_xml = out.envelope->Serialize();
  EXPECT_NE(signed_xml.find("<soap:Body xmlns:wsu1=\"" + std::string(kWsuNs) +
                            "\" wsu:Id=\"b\" wsu1:Id=\"id-"),
            std::string::npos)
      << signed_xml;
  envelope::ParseOutcome again = envelope::ParseRequest(signed_xml, {});
  ASSERT_TRUE(again.status.ok()) << again.status.ToString() << "\n" << signed_xml;
  EXPECT_EQ(CountElements(again.envelope->body(), "urn:look-alike", "x"), 1);
  Result<VerifiedSignature> v = verifier_.Verify(*again.envelope);
  EXPECT_TRUE(v.ok()) << v.status().ToString() << "\n" << signed_xml;
}

TEST_P(SignTest, SignDocumentDefaultNamespaceEnvelope) {
  const std::string xml =
      "<Envelope xmlns=\"http://schemas.xmlsoap.org/soap/envelope/\"><Header/><Body>"
      "<r:SendMessageResponse xmlns:r=\"http://bip.bee.kz/SyncChannel/v10/Types\">"
      "<response/></r:SendMessageResponse></Body></Envelope>";
  Result<std::string> signed_xml = signer_.SignDocument(xml, {});
  ASSERT_TRUE(signed_xml.ok()) << signed_xml.status().ToString();
  EXPECT_NE(signed_xml->find("soap:mustUnderstand=\"1\""), std::string::npos) << *signed_xml;
  envelope::ParseOutcome again = envelope::ParseEnvelope(*signed_xml, {});
  ASSERT_TRUE(again.status.ok());
  Result<VerifiedSignature> v = verifier_.Verify(*again.envelope);
  EXPECT_TRUE(v.ok()) << v.status().ToString() << "\n" << *signed_xml;
  EXPECT_EQ(XmlSec1Verify(*signed_xml, GetParam().first), 0) << *signed_xml;
}

TEST_P(SignTest, SignDocumentRefusesNonSoap) {
  EXPECT_EQ(signer_.SignDocument("<a/>", {}).status().code(), ErrorCode::kEnvelopeNotSoap);
}

INSTANTIATE_TEST_SUITE_P(GatewayKeys, SignTest,
                         ::testing::Values(std::make_pair("gateway-rsa", "rsa-sha256"),
                                           std::make_pair("gateway-ec", "ecdsa-sha256")));

}  // namespace
}  // namespace shepgw::wss
