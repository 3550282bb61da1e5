// WS-Security through the running daemon: signed requests are verified, authorised, re-signed
// and answered with the gateway's signature; every failure has its own fault. Requests are
// signed by `shepgw sign` acting as the client and by Python zeep (software we did not write);
// the answers are checked with the xmlsec1 command-line tool. interop_test.cc has the requests
// signed by other signers (xmlsec1, WSS4J).
#include <string>
#include <vector>

#include "support/wss_fixture.h"

namespace shepgw::testing {
namespace {

class WssGatewayTest : public WssGatewayFixture {};

TEST_F(WssGatewayTest, SignedRequestIsVerifiedReSignedAndAnsweredSigned) {
  StartGateway("", "", WssSections());
  SendMessageSpec spec;
  spec.message_id = "wss-ok-0001";
  const std::string signed_request = SignWith(MakeSendMessage(spec), "signer-rsa");
  ASSERT_TRUE(Contains(signed_request, "KeyIdentifier"));
  const auto r = Client()->Post(Url(), signed_request);
  ASSERT_EQ(r.curl_code, 0) << r.error;
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(Contains(r.body, "<correlationId>wss-ok-0001</correlationId>")) << r.body;
  // The answer carries the gateway's transport signature and no timestamp (KZ-6).
  EXPECT_TRUE(Contains(r.body, "oasis-200401-wss-wssecurity-secext-1.0.xsd")) << r.body;
  EXPECT_TRUE(Contains(r.body, "KeyIdentifier")) << r.body;
  EXPECT_FALSE(Contains(r.body, "Timestamp")) << r.body;
  // ...which the xmlsec1 command-line tool verifies with the gateway's certificate.
  const std::string answer = dir_->path() + "/answer.xml";
  WriteFile(answer, r.body);
  std::string out;
  EXPECT_EQ(RunCommand({"xmlsec1", "--verify", "--pubkey-cert-pem", wpki_ + "/gateway-rsa.pem",
                        "--id-attr:Id", "http://schemas.xmlsoap.org/soap/envelope/:Body", answer},
                       &out),
            0)
      << out;
  // The internal ShEP received it re-signed by the gateway.
  const std::string delivered = ReadFile(dir_->path() + "/standin-requests.log");
  EXPECT_TRUE(Contains(delivered, "wss-ok-0001 GBDFL_UniversalServiceSync signed")) << delivered;
  const std::string log = GatewayLog();
  EXPECT_TRUE(Contains(log, "messageId=wss-ok-0001")) << log;
  EXPECT_TRUE(Contains(log, "signer_serial=")) << log;
}

// A 2 MB request through the real front end: the gSOAP body block is given back right after
// the parse (the debug log says so), the re-signed tree is streamed to the stand-in (over the
// 1 MiB threshold), and the answer comes back signed.
TEST_F(WssGatewayTest, LargeRequestIsReleasedAfterTheParseAndStreamedUpstream) {
  std::string config = GatewayConfig("", "") + WssSections();
  const std::string level = "  level: info\n";
  config.replace(config.find(level), level.size(), "  level: debug\n");
  config_path_ = dir_->path() + "/shepgw.yaml";
  WriteFile(config_path_, config);
  gateway_log_ = dir_->path() + "/shepgw.log";
  std::string error;
  ASSERT_TRUE(
      gateway_.Start({SHEPGW_BIN, "serve", "--config", config_path_}, gateway_log_, true, &error))
      << error;
  SendMessageSpec spec;
  spec.message_id = "wss-large-0001";
  for (int i = 0; i < 30000; ++i) {
    spec.payload += "<record><iin>" + std::to_string(931002451325LL + i) +
                    "</iin><name>Иванов Иван Иванович</name></record>";
  }
  const std::string signed_request = SignWith(MakeSendMessage(spec), "signer-rsa");
  ASSERT_GT(signed_request.size(), size_t{2} << 20);
  const auto r = Client()->Post(Url(), signed_request);
  ASSERT_EQ(r.curl_code, 0) << r.error;
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 2000);
  EXPECT_TRUE(Contains(r.body, "<correlationId>wss-large-0001</correlationId>"))
      << r.body.substr(0, 2000);
  const std::string delivered = ReadFile(dir_->path() + "/standin-requests.log");
  EXPECT_TRUE(Contains(delivered, "wss-large-0001 GBDFL_UniversalServiceSync signed")) << delivered;
  const std::string log = GatewayLog();
  EXPECT_TRUE(
      Contains(log, "request body (" + std::to_string(signed_request.size()) + " bytes) released"))
      << log.substr(0, 4000);
}

TEST_F(WssGatewayTest, EcdsaSignerAndEcdsaGatewayKey) {
  StartGateway("", "", WssSections("gateway-ec", "ecdsa-sha256"));
  const auto r = Client()->Post(Url(), SignWith(MakeSendMessage({}), "signer-ec", "ecdsa-sha256"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(Contains(r.body, "ecdsa-sha256")) << r.body;
}

TEST_F(WssGatewayTest, EveryFailureHasItsOwnFault) {
  StartGateway("", "", WssSections());
  struct Case {
    const char* name;
    std::string body;
    long status;
    const char* token;
  };
  SendMessageSpec other;
  other.service_id = "SOME_OTHER_SERVICE";
  SendMessageSpec unknown_sender;
  unknown_sender.sender_id = "nobody";
  std::string tampered = SignWith(MakeSendMessage({}), "signer-rsa");
  tampered.replace(tampered.find("931002451325"), 12, "000000000000");
  const std::vector<Case> cases = {
      {"unsigned", MakeSendMessage({}), 401, "wss.signature_missing"},
      {"tampered", tampered, 401, "wss.digest_mismatch"},
      {"revoked", SignWith(MakeSendMessage({}), "signer-revoked"), 401, "pki.certificate_revoked"},
      {"expired", SignWith(MakeSendMessage({}), "signer-expired"), 401, "pki.certificate_expired"},
      {"untrusted", SignWith(MakeSendMessage({}), "signer-untrusted"), 401,
       "pki.certificate_untrusted"},
      {"key_usage", SignWith(MakeSendMessage({}), "signer-keyusage"), 401,
       "pki.certificate_key_usage"},
      {"someone_elses_cert", SignWith(MakeSendMessage({}), "signer-rsa2"), 401,
       "auth.signer_not_sender"},
      {"unknown_sender", SignWith(MakeSendMessage(unknown_sender), "signer-rsa"), 401,
       "auth.sender_unknown"},
      {"service_not_allowed", SignWith(MakeSendMessage(other), "signer-rsa"), 403,
       "auth.service_not_allowed"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto r = Client()->Post(Url(), c.body);
    ASSERT_EQ(r.curl_code, 0) << r.error;
    EXPECT_EQ(r.status, c.status) << r.body;
    EXPECT_EQ(FaultToken(r.body), c.token) << r.body;
    EXPECT_TRUE(Contains(GatewayLog(), std::string("outcome=") + c.token));
  }
  // And it keeps serving.
  EXPECT_EQ(Client()->Post(Url(), SignWith(MakeSendMessage({}), "signer-rsa")).status, 200);
  EXPECT_FALSE(Contains(GatewayLog(), "secret-pw"));
}

TEST_F(WssGatewayTest, VerifyCommandExplainsTheVerdict) {
  const std::string cfg = dir_->path() + "/verify.yaml";
  WriteFile(cfg, GatewayConfig("", "") + WssSections());
  const std::string good = dir_->path() + "/good.xml";
  WriteFile(good, SignWith(MakeSendMessage({}), "signer-rsa"));
  std::string out;
  EXPECT_EQ(RunCommand({"/bin/sh", "-c",
                        std::string(SHEPGW_BIN) + " verify --config " + cfg + " < " + good},
                       &out),
            0)
      << out;
  EXPECT_TRUE(Contains(out, "OK messageId=")) << out;
  std::string bad_text = ReadFile(good);
  bad_text.replace(bad_text.find("931002451325"), 12, "111111111111");
  WriteFile(good, bad_text);
  EXPECT_EQ(RunCommand({"/bin/sh", "-c",
                        std::string(SHEPGW_BIN) + " verify --config " + cfg + " < " + good},
                       &out),
            1)
      << out;
  EXPECT_TRUE(Contains(out, "FAIL wss.digest_mismatch")) << out;
}

}  // namespace
}  // namespace shepgw::testing

namespace shepgw::testing {
namespace {

// Python zeep signs with BinarySecurityToken + SecurityTokenReference/Reference: a KeyInfo style
// and a signer we did not write; zeep then verifies the gateway's signature on the answer.
TEST_F(WssGatewayTest, ZeepClientWithBinarySecurityTokenGoesThrough) {
  std::string probe;
  if (RunCommand({"/usr/bin/python3", "-c", "import zeep, xmlsec"}, &probe) != 0) {
    GTEST_SKIP() << "python3-zeep/python3-xmlsec missing (scripts/install-deps.sh installs them)";
  }
  StartGateway("", "", WssSections());
  std::string out;
  const int rc =
      RunCommand({"/usr/bin/python3", SHEPGW_SOURCE_DIR "/tests/integration/zeep_client.py", Url(),
                  pki_ + "/ca.pem", wpki_ + "/signer-rsa.key", wpki_ + "/signer-rsa.pem",
                  wpki_ + "/gateway-rsa.pem", "zeep-0001"},
                 &out);
  EXPECT_EQ(rc, 0) << out << "\n" << GatewayLog();
  EXPECT_TRUE(Contains(out, "status SCSS001 correlationId zeep-0001")) << out;
}

}  // namespace
}  // namespace shepgw::testing

namespace shepgw::testing {
namespace {

// routes[].verify_response: an unsigned answer from the upstream is not vouched for.
TEST_F(WssGatewayTest, VerifyResponseRefusesAnUnsignedAnswer) {
  StartGateway("",
               "  - service_id: CHECKED_SERVICE\n"
               "    upstreams: [\"http://127.0.0.1:" +
                   std::to_string(standin_.port()) +
                   "/bip-sync/\"]\n"
                   "    verify_response: true\n",
               WssSections());
  SendMessageSpec spec;
  spec.service_id = "CHECKED_SERVICE";
  spec.sender_id = "other-sender";  // subscribed to "*"
  const auto r = Client()->Post(Url(), SignWith(MakeSendMessage(spec), "signer-rsa2"));
  EXPECT_EQ(r.status, 502) << r.body;
  EXPECT_EQ(FaultToken(r.body), "upstream.bad_response") << r.body;
  EXPECT_TRUE(Contains(r.body, "wss.signature_missing")) << r.body;
}

// Two gateways in a row: A verifies B's signed answer (verify_response) before re-signing it.
// B accepts A's re-signed request because A's certificate is registered for the sender there,
// and A reaches B over mutual TLS (the connector's client certificate, B's CA).
TEST_F(WssGatewayTest, VerifyResponseAcceptsASignedAnswer) {
  // B plays the internal ShEP's side: it requires a client certificate (mTLS).
  const std::string config_b = dir_->path() + "/shepgw-b.yaml";
  std::string text_b = GatewayConfig("", "") +
                       WssSections("gateway-rsa", "rsa-sha256", ", " + wpki_ + "/gateway-rsa.pem");
  const std::string key_line = "    key: " + pki_ + "/server.key\n";
  text_b.replace(text_b.find(key_line), key_line.size(),
                 key_line + "    client_ca: " + pki_ + "/ca.pem\n    require_client_cert: true\n");
  WriteFile(config_b, text_b);
  ChildProcess gateway_b;
  std::string error;
  ASSERT_TRUE(gateway_b.Start({SHEPGW_BIN, "serve", "--config", config_b},
                              dir_->path() + "/shepgw-b.log", true, &error))
      << error;
  // Gateway A: its GBDFL route goes to B over HTTPS, with verify_response.
  std::string config_a = GatewayConfig("", "") + WssSections() + "connector:\n  ca: " + pki_ +
                         "/ca.pem\n  client_cert: " + pki_ + "/client.pem\n  client_key: " + pki_ +
                         "/client.key\n";
  const std::string standin_url = "http://127.0.0.1:" + std::to_string(standin_.port());
  config_a.replace(config_a.find(standin_url), standin_url.size(),
                   "https://127.0.0.1:" + std::to_string(gateway_b.port()));
  config_a.replace(config_a.find("    timeout: 5s\n"), 16,
                   "    timeout: 5s\n    verify_response: true\n");
  config_path_ = dir_->path() + "/shepgw-a.yaml";
  WriteFile(config_path_, config_a);
  gateway_log_ = dir_->path() + "/shepgw-a.log";
  ASSERT_TRUE(
      gateway_.Start({SHEPGW_BIN, "serve", "--config", config_path_}, gateway_log_, true, &error))
      << error;
  SendMessageSpec spec;
  spec.message_id = "chained-0001";
  const auto r = Client()->Post(Url(), SignWith(MakeSendMessage(spec), "signer-rsa"));
  EXPECT_EQ(r.status, 200) << r.body << GatewayLog() << ReadFile(dir_->path() + "/shepgw-b.log");
  EXPECT_TRUE(Contains(r.body, "<correlationId>chained-0001</correlationId>")) << r.body;
  EXPECT_TRUE(Contains(ReadFile(dir_->path() + "/standin-requests.log"),
                       "chained-0001 GBDFL_UniversalServiceSync signed"));
  gateway_b.Stop();
}

}  // namespace
}  // namespace shepgw::testing
