// GOST WS-Security through the running daemon (real TLS, the stand-in ShEP): an NCA-style
// participant signs SendMessage with GOST 34.10-2015-512 (or 34.310-2004), the gateway
// verifies it, checks the GOST chain and CRL, routes it, re-signs it with its own GOST key and
// signs the answer with GOST; the answer is checked here with our own wss::Verifier against the
// GOST test PKI. Requests are signed by the test GOST client signer (tests/support/gost_client.h,
// independent of the wss module) and by `shepgw sign` with a GOST key.
#include <memory>
#include <string>
#include <vector>

#include "shepgw/common/clock.h"
#include "shepgw/envelope/envelope.h"
#include "shepgw/pki/gost.h"
#include "shepgw/pki/trust.h"
#include "shepgw/wss/wss.h"

#include "support/gateway_fixture.h"
#include "support/gost_client.h"

namespace shepgw::testing {
namespace {

constexpr char kGost2015Uri[] =
    "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34102015-gostr34112015-512";

class GostGatewayTest : public GatewayFixture {
 protected:
  void SetUp() override {
    GatewayFixture::SetUp();
    envelope::InitXmlLibrary();
    gpki_ = dir_->path() + "/gpki";
    std::string out;
    ASSERT_EQ(RunCommand({"/usr/bin/env", std::string("GEN_GOST_TEST_PKI=") + GEN_GOST_TEST_PKI_BIN,
                          "bash", SHEPGW_SOURCE_DIR "/scripts/gen-gost-test-pki.sh", gpki_},
                         &out),
              0)
        << out;
  }

  // test-sender signs with signer (2015-512), signer-gost2004 and signer-revoked and may call
  // GBDFL_UniversalServiceSync; the gateway signs with its GOST 2015-512 key.
  std::string GostSections(const std::string& allowed = "[gost2015-512, gost2004]") const {
    const std::string& p = gpki_;
    return "wss:\n"
           "  allowed_algorithms: " +
           allowed + "\ntrust:\n  anchors: [" + p + "/root.pem]\n  intermediates: [" + p +
           "/inter.pem]\n  crls: [" + p + "/inter.crl.pem, " + p +
           "/root.crl.pem]\ngateway_key:\n  cert: " + p + "/gateway.pem\n  key: " + p +
           "/gateway.key\n  algorithm: gost2015-512\nparticipants:\n  - sender_id: test-sender\n"
           "    certificates: [" +
           p + "/signer.pem, " + p + "/signer-gost2004.pem, " + p +
           "/signer-revoked.pem]\n    services: [GBDFL_UniversalServiceSync]\n";
  }

  std::string SignGost(const std::string& xml, const std::string& signer) const {
    Result<pki::gost::PrivateKey> key =
        pki::gost::PrivateKey::FromPkcs8Pem(ReadFile(gpki_ + "/" + signer + ".key"));
    EXPECT_TRUE(key.ok()) << key.status().ToString();
    if (!key.ok()) {
      return {};
    }
    Result<std::string> signed_xml =
        SignGostEnvelope(xml, *key, PemCertificateDer(gpki_ + "/" + signer + ".pem"));
    EXPECT_TRUE(signed_xml.ok()) << signed_xml.status().ToString();
    return signed_xml.ok() ? *signed_xml : std::string();
  }

  // Our own verifier over the GOST test PKI (the check a ShEP participant makes on the answer).
  Result<wss::VerifiedSignature> VerifyAnswer(const std::string& xml) const {
    config::TrustConfig tc;
    tc.anchors = {gpki_ + "/root.pem"};
    tc.intermediates = {gpki_ + "/inter.pem"};
    tc.crls = {gpki_ + "/inter.crl.pem", gpki_ + "/root.crl.pem"};
    Result<std::shared_ptr<pki::TrustStore>> trust =
        pki::LoadTrustStore(tc, SystemClock::Instance());
    if (!trust.ok()) {
      return trust.status();
    }
    envelope::ParseOutcome parsed = envelope::ParseEnvelope(xml, {});
    if (!parsed.status.ok()) {
      return parsed.status;
    }
    const wss::Verifier verifier({{"gost2015-512"}}, *trust, nullptr);
    return verifier.Verify(*parsed.envelope);
  }

  std::string gpki_;
};

TEST_F(GostGatewayTest, Gost2015RequestIsVerifiedReSignedAndAnsweredWithGost) {
  StartGateway("", "", GostSections());
  SendMessageSpec spec;
  spec.message_id = "gost-ok-0001";
  const std::string request = SignGost(MakeSendMessage(spec), "signer");
  ASSERT_TRUE(Contains(request, kGost2015Uri));
  const auto r = Client()->Post(Url(), request);
  ASSERT_EQ(r.curl_code, 0) << r.error;
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(Contains(r.body, "<correlationId>gost-ok-0001</correlationId>")) << r.body;
  // The answer carries the gateway's GOST signature, no timestamp, and it verifies.
  EXPECT_TRUE(Contains(r.body, kGost2015Uri)) << r.body;
  EXPECT_FALSE(Contains(r.body, "Timestamp")) << r.body;
  Result<wss::VerifiedSignature> answer = VerifyAnswer(r.body);
  ASSERT_TRUE(answer.ok()) << answer.status().ToString() << "\n" << r.body;
  EXPECT_EQ(answer->signature_algorithm, kGost2015Uri);
  EXPECT_TRUE(Contains(answer->facts.subject, "shepgw TEST")) << answer->facts.subject;
  // ...and a changed answer does not.
  std::string tampered = r.body;
  tampered.replace(tampered.find("gost-ok-0001"), 12, "gost-ok-0002");
  Result<wss::VerifiedSignature> bad = VerifyAnswer(tampered);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kWssDigestMismatch) << bad.status().ToString();
  // The internal ShEP received it re-signed by the gateway.
  const std::string delivered = ReadFile(dir_->path() + "/standin-requests.log");
  EXPECT_TRUE(Contains(delivered, "gost-ok-0001 GBDFL_UniversalServiceSync signed")) << delivered;
  const std::string log = GatewayLog();
  EXPECT_TRUE(Contains(log, "messageId=gost-ok-0001")) << log;
}

TEST_F(GostGatewayTest, RevokedGostSignerIsRefused) {
  StartGateway("", "", GostSections());
  const auto r = Client()->Post(Url(), SignGost(MakeSendMessage({}), "signer-revoked"));
  ASSERT_EQ(r.curl_code, 0) << r.error;
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(FaultToken(r.body), "pki.certificate_revoked") << r.body;
  // A tampered GOST request has its own fault too, and the gateway keeps serving.
  std::string tampered = SignGost(MakeSendMessage({}), "signer");
  tampered.replace(tampered.find("931002451325"), 12, "000000000000");
  const auto t = Client()->Post(Url(), tampered);
  EXPECT_EQ(t.status, 401) << t.body;
  EXPECT_EQ(FaultToken(t.body), "wss.digest_mismatch") << t.body;
  EXPECT_EQ(Client()->Post(Url(), SignGost(MakeSendMessage({}), "signer")).status, 200);
}

TEST_F(GostGatewayTest, Gost2004RequestVerifiesWhenAllowed) {
  StartGateway("", "", GostSections());
  SendMessageSpec spec;
  spec.message_id = "gost2004-0001";
  const std::string request = SignGost(MakeSendMessage(spec), "signer-gost2004");
  ASSERT_TRUE(Contains(request, "xmldsig-more#gost34310-gost34311"));
  const auto r = Client()->Post(Url(), request);
  ASSERT_EQ(r.curl_code, 0) << r.error;
  ASSERT_EQ(r.status, 200) << r.body;
  // The gateway answers with its own 2015-512 signature whatever the client used.
  Result<wss::VerifiedSignature> answer = VerifyAnswer(r.body);
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  EXPECT_EQ(answer->signature_algorithm, kGost2015Uri);
}

TEST_F(GostGatewayTest, Gost2004RequestIsRefusedWhenNotAllowed) {
  StartGateway("", "", GostSections("[gost2015-512]"));
  const auto r = Client()->Post(Url(), SignGost(MakeSendMessage({}), "signer-gost2004"));
  ASSERT_EQ(r.curl_code, 0) << r.error;
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(FaultToken(r.body), "wss.algorithm_not_allowed") << r.body;
}

// `shepgw sign` with a GOST key (the PKCS#8 PEM of the GOST PKI) and `shepgw verify`.
TEST_F(GostGatewayTest, SignAndVerifyCommandsWithGostKeys) {
  const std::string in = dir_->path() + "/unsigned.xml";
  const std::string out = dir_->path() + "/signed.xml";
  WriteFile(in, MakeSendMessage({}));
  std::string output;
  ASSERT_EQ(RunCommand({"/bin/sh", "-c",
                        std::string(SHEPGW_BIN) + " sign --key " + gpki_ + "/signer.key --cert " +
                            gpki_ + "/signer.pem --algorithm gost2015-512 < " + in + " > " + out},
                       &output),
            0)
      << output;
  EXPECT_TRUE(Contains(ReadFile(out), kGost2015Uri));
  const std::string cfg = dir_->path() + "/verify.yaml";
  WriteFile(cfg, GatewayConfig("", "") + GostSections());
  EXPECT_EQ(RunCommand({"/bin/sh", "-c",
                        std::string(SHEPGW_BIN) + " verify --config " + cfg + " < " + out},
                       &output),
            0)
      << output;
  EXPECT_TRUE(Contains(output, "OK messageId=")) << output;
  EXPECT_TRUE(Contains(output, kGost2015Uri)) << output;
  StartGateway("", "", GostSections());
  const auto r = Client()->Post(Url(), ReadFile(out));
  ASSERT_EQ(r.status, 200) << r.body;
  // `shepgw verify --response` checks the gateway's GOST signature on the answer (what an
  // integrator runs on what the gateway returned); a changed answer fails with its code.
  const std::string answer = dir_->path() + "/answer.xml";
  WriteFile(answer, r.body);
  EXPECT_EQ(
      RunCommand({"/bin/sh", "-c",
                  std::string(SHEPGW_BIN) + " verify --config " + cfg + " --response < " + answer},
                 &output),
      0)
      << output;
  EXPECT_TRUE(Contains(output, "OK response signer=")) << output;
  EXPECT_TRUE(Contains(output, "shepgw TEST")) << output;
  std::string changed = r.body;
  changed.replace(changed.find("SCSS001"), 7, "SCSS002");
  WriteFile(answer, changed);
  EXPECT_EQ(
      RunCommand({"/bin/sh", "-c",
                  std::string(SHEPGW_BIN) + " verify --config " + cfg + " --response < " + answer},
                 &output),
      1)
      << output;
  EXPECT_TRUE(Contains(output, "FAIL wss.digest_mismatch")) << output;
}

}  // namespace
}  // namespace shepgw::testing
