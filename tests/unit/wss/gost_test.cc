// GOST transport signatures (docs/security.md § GOST): the same Verifier and Signer as RSA,
// with the GOST rows of the algorithm table. Messages are signed by a client-side GOST signer
// written on purpose without the module's code (tests/support/gost_client.h: libxml2's c14n over
// an XPath node set, pki::gost for the digest and the signature). The test PKI is
// scripts/gen-gost-test-pki.sh's (NCA's format: Kazakh OIDs, r_LE‖s_LE), the trust store the real
// pki::LoadTrustStore over it.
#include "shepgw/pki/gost.h"

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "shepgw/common/clock.h"
#include "shepgw/envelope/envelope.h"
#include "shepgw/wss/wss.h"

#include "support/gost_client.h"
#include "unit/wss/test_pki.h"
#include "wss/internal.h"
#include <sys/stat.h>

namespace shepgw::wss {
namespace {

namespace gost = pki::gost;
using testing::ReadFile;

constexpr char kGost2015[] =
    "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34102015-gostr34112015-512";
constexpr char kStreebog[] = "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34112015-512";
constexpr char kGost2004[] = "http://www.w3.org/2001/04/xmldsig-more#gost34310-gost34311";
constexpr char kGost34311[] = "http://www.w3.org/2001/04/xmldsig-more#gost34311";
constexpr char kRsaSha256[] = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
constexpr char kSha256[] = "http://www.w3.org/2001/04/xmlenc#sha256";

const std::string& GostPkiDir() {
  static const std::string dir = [] {
    const char* env = std::getenv("SHEPGW_WSS_GOST_PKI_DIR");
    std::string d = env != nullptr && *env != '\0' ? env : SHEPGW_WSS_GOST_PKI_DIR;
    struct stat st {};
    if (stat((d + "/gateway.p12").c_str(), &st) != 0) {
      // The ctest fixture normally made it; by hand, make it now (flock: parallel runs).
      const std::string cmd =
          "flock '" + d + ".lock' env GEN_GOST_TEST_PKI='" + SHEPGW_GEN_GOST_TEST_PKI +
          "' bash '" SHEPGW_SOURCE_DIR "/scripts/gen-gost-test-pki.sh' '" + d + "'";
      if (std::system(cmd.c_str()) != 0) {
        ADD_FAILURE() << "cannot generate the GOST test PKI: " << cmd;
      }
    }
    return d;
  }();
  return dir;
}
std::string GostFile(const std::string& name) { return GostPkiDir() + "/" + name; }

// DER of the first certificate of a PEM file (OpenSSL parses NCA certificates; it only cannot
// use their keys).
std::string CertDer(const std::string& name) {
  Result<std::vector<pki::X509Ptr>> certs = pki::LoadPemCertificates(GostFile(name + ".pem"));
  EXPECT_TRUE(certs.ok()) << certs.status().ToString();
  if (!certs.ok()) {
    return {};
  }
  unsigned char* der = nullptr;
  const int len = i2d_X509(certs->front().get(), &der);
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(std::max(len, 0)));
  OPENSSL_free(der);
  return out;
}

std::shared_ptr<const gost::PrivateKey> GostKey(const std::string& name) {
  Result<gost::PrivateKey> key = gost::PrivateKey::FromPkcs8Pem(ReadFile(GostFile(name + ".key")));
  EXPECT_TRUE(key.ok()) << key.status().ToString();
  return key.ok() ? std::make_shared<const gost::PrivateKey>(std::move(*key)) : nullptr;
}

std::string Reverse(std::string s) {
  std::reverse(s.begin(), s.end());
  return s;
}

// What a GOST client message is made of; defaults: an NCA-style 2015-512 KeyIdentifier message.
struct GostMessage {
  std::string signer = "signer";  // GOST PKI file stem (.pem, .key)
  gost::Algorithm key_algorithm = gost::Algorithm::kGost2015_512;  // of `signer`'s key
  std::string signature_method = kGost2015;
  std::string digest_method = kStreebog;
  bool reverse_signature = false;  // all bytes reversed: s_BE‖r_BE, OpenSSL's gost engine form
  std::string certificate_der;     // KeyInfo's certificate (default: the signer's)
};

// A SendMessage signed by the test GOST client signer (tests/support/gost_client.h).
std::string SignGost(const GostMessage& m) {
  const std::string unsigned_xml =
      "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\">"
      "<soapenv:Header/><soapenv:Body xmlns:wsu=\"" +
      std::string(internal::kWsuNs) +
      "\" wsu:Id=\"id-0f6e3c1a\"><ns3:SendMessage "
      "xmlns:ns3=\"http://bip.bee.kz/SyncChannel/v10/Types\"><request><requestInfo>"
      "<messageId>m-1</messageId><serviceId>S1</serviceId><sender><senderId>client-1</senderId>"
      "<password>secret</password></sender></requestInfo><requestData><data>payload</data>"
      "</requestData></request></ns3:SendMessage></soapenv:Body></soapenv:Envelope>";
  std::shared_ptr<const gost::PrivateKey> key = GostKey(m.signer);
  EXPECT_EQ(key->algorithm(), m.key_algorithm);
  shepgw::testing::GostSignOptions options;
  options.signature_method = m.signature_method;
  options.digest_method = m.digest_method;
  options.reverse_signature = m.reverse_signature;
  Result<std::string> xml = shepgw::testing::SignGostEnvelope(
      unsigned_xml, *key, m.certificate_der.empty() ? CertDer(m.signer) : m.certificate_der,
      options);
  EXPECT_TRUE(xml.ok()) << xml.status().ToString();
  return xml.ok() ? *xml : std::string();
}

std::string Replace(std::string s, std::string_view from, std::string_view to) {
  const size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << "no \"" << from << "\"";
  if (at != std::string::npos) {
    s.replace(at, from.size(), to);
  }
  return s;
}

class GostVerifyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    config::TrustConfig tc;
    tc.anchors = {GostFile("root.pem")};
    tc.intermediates = {GostFile("inter.pem")};
    tc.crls = {GostFile("inter.crl.pem"), GostFile("root.crl.pem")};
    Result<std::shared_ptr<pki::TrustStore>> store =
        pki::LoadTrustStore(tc, SystemClock::Instance());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    trust_ = new std::shared_ptr<const pki::TrustStore>(std::move(*store));
  }
  static void TearDownTestSuite() {
    delete trust_;
    trust_ = nullptr;
  }

  Result<VerifiedSignature> Verify(const std::string& xml,
                                   VerifyPolicy policy = {{"gost2015-512", "gost2004"}}) {
    envelope::ParseOutcome out = envelope::ParseRequest(xml, {});
    EXPECT_TRUE(out.status.ok()) << out.status.ToString() << "\n" << xml;
    if (!out.status.ok()) {
      return out.status;
    }
    return Verifier(std::move(policy), *trust_, nullptr).Verify(*out.envelope);
  }
  void ExpectCode(const std::string& xml, ErrorCode code,
                  VerifyPolicy policy = {{"gost2015-512", "gost2004"}}) {
    Result<VerifiedSignature> r = Verify(xml, std::move(policy));
    ASSERT_FALSE(r.ok()) << "verified, expected " << Describe(code).token << "\n" << xml;
    EXPECT_EQ(r.status().token(), Describe(code).token) << r.status().ToString() << "\n" << xml;
  }

  static std::shared_ptr<const pki::TrustStore>* trust_;
};
std::shared_ptr<const pki::TrustStore>* GostVerifyTest::trust_ = nullptr;

TEST_F(GostVerifyTest, Gost2015SignedSendMessageVerifies) {
  Result<VerifiedSignature> r = Verify(SignGost({}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->signature_algorithm, kGost2015);
  EXPECT_EQ(r->digest_algorithm, kStreebog);
  EXPECT_FALSE(r->weak);
  EXPECT_NE(r->signer, nullptr);
  EXPECT_FALSE(r->facts.subject.empty());
}

TEST_F(GostVerifyTest, Gost2004SignedSendMessageVerifies) {
  GostMessage m;
  m.signer = "signer-gost2004";
  m.key_algorithm = gost::Algorithm::kGost2004;
  m.signature_method = kGost2004;
  m.digest_method = kGost34311;
  Result<VerifiedSignature> r = Verify(SignGost(m));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->signature_algorithm, kGost2004);
  EXPECT_EQ(r->digest_algorithm, kGost34311);
}

TEST_F(GostVerifyTest, TamperedBody) {
  ExpectCode(Replace(SignGost({}), "<data>payload", "<data>PAYLOAD"),
             ErrorCode::kWssDigestMismatch);
}

TEST_F(GostVerifyTest, TamperedSignedInfo) {
  // Whitespace inside SignedInfo is part of its canonical form but changes nothing the shape
  // or digest checks look at: only the SignatureValue over SignedInfo can catch it.
  ExpectCode(Replace(SignGost({}), "<ds:SignedInfo>", "<ds:SignedInfo>\n"),
             ErrorCode::kWssSignatureInvalid);
}

TEST_F(GostVerifyTest, SignatureBytesInOpenSslOrderDoNotVerify) {
  GostMessage m;
  m.reverse_signature = true;  // s_BE‖r_BE: what OpenSSL's gost engine writes
  ExpectCode(SignGost(m), ErrorCode::kWssSignatureInvalid);
}

TEST_F(GostVerifyTest, SignatureValueOfTheWrongLength) {
  const std::string xml = SignGost({});
  const size_t start = xml.find("<ds:SignatureValue>") + 19;
  const size_t stop = xml.find("</ds:SignatureValue>");
  const std::string sixty_four = internal::Base64Encode(std::string(64, '\x01'));
  ExpectCode(xml.substr(0, start) + sixty_four + xml.substr(stop),
             ErrorCode::kWssMalformedSecurity);
}

TEST_F(GostVerifyTest, SignedByAnotherKeyThanTheCertificate) {
  GostMessage m;
  m.certificate_der = CertDer("signer2");
  ExpectCode(SignGost(m), ErrorCode::kWssSignatureInvalid);
}

TEST_F(GostVerifyTest, WrongAndMixedDigestAlgorithms) {
  struct Case {
    const char* signature;
    const char* digest;
  };
  for (const Case c : {Case{kGost2015, kSha256},      // GOST signature, SHA digest
                       Case{kGost2015, kGost34311},   // 2015 signature, 2004 digest
                       Case{kGost2004, kStreebog},    // 2004 signature, 2015 digest
                       Case{kRsaSha256, kStreebog}})  // RSA signature, GOST digest
  {
    SCOPED_TRACE(std::string(c.signature) + " + " + c.digest);
    testing::ClientMessage m;
    m.sign = false;  // refused before any value is looked at
    m.signature_method = c.signature;
    m.digest_method = c.digest;
    ExpectCode(*testing::BuildClientMessage(m), ErrorCode::kWssAlgorithmNotAllowed,
               {{"gost2015-512", "gost2004", "rsa-sha256"}});
  }
  // A GOST-2015 signer whose SignedInfo names the 2004 signature method: the key does not fit.
  GostMessage m;
  m.signature_method = kGost2004;
  m.digest_method = kGost34311;
  Result<VerifiedSignature> r = Verify(SignGost(m));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kWssSignatureInvalid);
  EXPECT_NE(r.status().message().find("GOST 34.10-2015-512"), std::string::npos)
      << r.status().ToString();
}

TEST_F(GostVerifyTest, GostSignatureWithAnRsaCertificateAndViceVersa) {
  GostMessage m;  // GOST SignatureMethod, signed with a GOST key, but an RSA KeyIdentifier
  m.certificate_der = *internal::Base64Decode(testing::CertBase64("signer-rsa"), 65536);
  Result<VerifiedSignature> r = Verify(SignGost(m));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kWssSignatureInvalid);
  EXPECT_NE(r.status().message().find("key (RSA) does not fit SignatureMethod gost2015-512"),
            std::string::npos)
      << r.status().ToString();

  testing::ClientMessage rsa;  // an RSA signature whose KeyIdentifier is a GOST certificate
  rsa.key_identifier = internal::Base64Encode(CertDer("signer"));
  r = Verify(*testing::BuildClientMessage(rsa), {{"rsa-sha256", "gost2015-512"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kWssSignatureInvalid);
  EXPECT_NE(r.status().message().find("key (GOST 34.10-2015-512) does not fit SignatureMethod "
                                      "rsa-sha256"),
            std::string::npos)
      << r.status().ToString();
}

TEST_F(GostVerifyTest, CertificateWithAnOffCurveGostKey) {
  // The signer's certificate with one byte of its public key changed: still a certificate
  // OpenSSL parses, but its GOST key is not a point on the curve.
  std::string der = CertDer("signer");
  Result<gost::PublicKey> key = gost::CertificatePublicKey(der);
  ASSERT_TRUE(key.ok());
  const size_t at = der.find(key->xy_le());
  ASSERT_NE(at, std::string::npos);
  der[at + 5] = static_cast<char>(der[at + 5] ^ 0x01);
  GostMessage m;
  m.certificate_der = der;
  Result<VerifiedSignature> r = Verify(SignGost(m));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kPkiKeyInvalid) << r.status().ToString();
}

TEST_F(GostVerifyTest, NotInTheAllowList) {
  ExpectCode(SignGost({}), ErrorCode::kWssAlgorithmNotAllowed, {{"rsa-sha256", "gost2004"}});
  GostMessage m;
  m.signer = "signer-gost2004";
  m.key_algorithm = gost::Algorithm::kGost2004;
  m.signature_method = kGost2004;
  m.digest_method = kGost34311;
  ExpectCode(SignGost(m), ErrorCode::kWssAlgorithmNotAllowed, {{"gost2015-512"}});
  // The default allow-list (rsa-sha256, ecdsa-sha256) has no GOST.
  ExpectCode(SignGost({}), ErrorCode::kWssAlgorithmNotAllowed, VerifyPolicy{});
}

TEST_F(GostVerifyTest, Gost2015With256BitsIsUnsupported) {
  testing::ClientMessage m;
  m.sign = false;
  m.signature_method =
      "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34102015-gostr34112015-256";
  m.digest_method = "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34112015-256";
  ExpectCode(*testing::BuildClientMessage(m), ErrorCode::kWssAlgorithmUnsupported);
}

TEST_F(GostVerifyTest, RevokedExpiredUntrustedSigners) {
  for (const auto& [signer, code] : std::vector<std::pair<std::string, ErrorCode>>{
           {"signer-revoked", ErrorCode::kPkiCertificateRevoked},
           {"signer-expired", ErrorCode::kPkiCertificateExpired},
           {"signer-future", ErrorCode::kPkiCertificateNotYetValid},
           {"signer-untrusted", ErrorCode::kPkiCertificateUntrusted},
           {"signer-keyusage", ErrorCode::kPkiCertificateKeyUsage}}) {
    SCOPED_TRACE(signer);
    GostMessage m;
    m.signer = signer;
    ExpectCode(SignGost(m), code);
  }
}

// ShEP's own 2004 answer (WSS4J style, IssuerSerial): it now gets past the algorithms to the
// signer lookup (the signer certificate is not public, so no participant store has it).
TEST_F(GostVerifyTest, ShepGost2004AnswerReachesTheSignerLookup) {
  const std::string xml =
      ReadFile(SHEPGW_SOURCE_DIR "/tests/data/gost/shep-signed-response-gost2004.xml");
  envelope::ParseOutcome out = envelope::ParseEnvelope(xml, {});
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  auto participants = std::make_shared<testing::TestParticipants>(std::vector<std::string>{});
  Result<VerifiedSignature> r =
      Verifier({{"gost2004"}}, *trust_, participants).Verify(*out.envelope);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kWssSignerUnknown) << r.status().ToString();
}

// --- signing with the gateway's GOST key ---------------------------------------------------

std::shared_ptr<const pki::GatewayKey> GostGatewayKey(const std::string& name,
                                                      const std::string& algorithm) {
  auto key = std::make_shared<pki::GatewayKey>();
  Result<std::vector<pki::X509Ptr>> certs = pki::LoadPemCertificates(GostFile(name + ".pem"));
  EXPECT_TRUE(certs.ok());
  key->cert = std::move(certs->front());
  key->gost_key = GostKey(name);
  key->algorithm = algorithm;
  return key;
}

TEST_F(GostVerifyTest, GatewaySignsWithGost2015AndItVerifies) {
  envelope::ParseOutcome out = envelope::ParseRequest(SignGost({}), {});
  ASSERT_TRUE(out.status.ok());
  Signer signer(GostGatewayKey("gateway", "gost2015-512"));
  ASSERT_TRUE(signer.SignEnvelope(*out.envelope).ok());
  const std::string forwarded = out.envelope->Serialize();
  EXPECT_NE(forwarded.find(std::string("SignatureMethod Algorithm=\"") + kGost2015),
            std::string::npos);
  EXPECT_NE(forwarded.find(std::string("DigestMethod Algorithm=\"") + kStreebog),
            std::string::npos);
  EXPECT_NE(forwarded.find("KeyIdentifier"), std::string::npos);
  EXPECT_NE(forwarded.find(internal::Base64Encode(CertDer("gateway"))), std::string::npos);
  // The client's certificate went with its header.
  EXPECT_EQ(forwarded.find(internal::Base64Encode(CertDer("signer"))), std::string::npos);

  // Independently of our Verifier: c14n by node set, pki::gost verify on r_LE‖s_LE.
  std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)> doc(
      xmlReadMemory(forwarded.data(), static_cast<int>(forwarded.size()), nullptr, nullptr,
                    XML_PARSE_NONET),
      xmlFreeDoc);
  ASSERT_NE(doc, nullptr);
  const std::string signed_info = shepgw::testing::C14nSubtree(doc.get(), "//ds:SignedInfo");
  const size_t a = forwarded.find("<ds:SignatureValue>") + 19;
  const size_t b = forwarded.find("</ds:SignatureValue>");
  const std::optional<std::string> value = internal::Base64Decode(forwarded.substr(a, b - a), 1024);
  ASSERT_TRUE(value.has_value());
  ASSERT_EQ(value->size(), 128u);
  Result<gost::PublicKey> pub = gost::CertificatePublicKey(CertDer("gateway"));
  ASSERT_TRUE(pub.ok());
  EXPECT_TRUE(pub->VerifyData(signed_info, *value).ok());
  EXPECT_FALSE(pub->VerifyData(signed_info, Reverse(*value)).ok());
  const size_t c = forwarded.find("<ds:DigestValue>") + 16;
  const size_t d = forwarded.find("</ds:DigestValue>");
  EXPECT_EQ(internal::Base64Decode(forwarded.substr(c, d - c), 64),
            gost::ComputeDigest(gost::Algorithm::kGost2015_512,
                                shepgw::testing::C14nSubtree(doc.get(), "/s:Envelope/s:Body")));

  // Our Verifier (the pipeline's answer check) accepts it, and catches tampering.
  Result<VerifiedSignature> v = Verify(forwarded);
  ASSERT_TRUE(v.ok()) << v.status().ToString() << "\n" << forwarded;
  EXPECT_EQ(v->signature_algorithm, kGost2015);

  ExpectCode(Replace(forwarded, "<data>payload", "<data>PAYLOAD"), ErrorCode::kWssDigestMismatch);
}

TEST_F(GostVerifyTest, GatewayCannotSignWithVerifyOnlyOrMismatchedAlgorithm) {
  envelope::ParseOutcome out = envelope::ParseRequest(SignGost({}), {});
  ASSERT_TRUE(out.status.ok());
  // 2004 is verify-only; an RSA name over a GOST key has no OpenSSL key to sign with.
  for (const char* algorithm : {"gost2004", "rsa-sha256"}) {
    SCOPED_TRACE(algorithm);
    Status st = Signer(GostGatewayKey("gateway", algorithm)).SignEnvelope(*out.envelope);
    EXPECT_EQ(st.code(), ErrorCode::kGatewayInternal) << st.ToString();
  }
}

}  // namespace
}  // namespace shepgw::wss
