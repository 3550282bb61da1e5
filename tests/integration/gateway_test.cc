// End to end through the real shepgw binary: real TLS, the real stand-in ShEP upstream.
#include <string>
#include <thread>
#include <vector>

#include <curl/curl.h>
#include <openssl/ssl.h>

#include "support/gateway_fixture.h"
#include "support/raw_tls_client.h"
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace shepgw::testing {
namespace {

class GatewayTest : public GatewayFixture {};

TEST_F(GatewayTest, SendMessageGoesThroughToTheUpstreamAndBack) {
  StartGateway();
  auto client = Client();
  SendMessageSpec spec;
  spec.message_id = "a1b2c3d4-0000-4000-8000-000000000001";
  const auto r = client->Post(Url(), MakeSendMessage(spec));
  ASSERT_EQ(r.curl_code, 0) << r.error;
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(Contains(r.body, "SendMessageResponse")) << r.body;
  EXPECT_TRUE(Contains(r.body, "SCSS001")) << r.body;
  EXPECT_TRUE(Contains(r.body, "<correlationId>" + spec.message_id + "</correlationId>")) << r.body;
  EXPECT_TRUE(Contains(r.Header("Content-Type"), "text/xml")) << r.headers;
  // One access-log line naming the message, its outcome and status; never the password.
  const std::string log = GatewayLog();
  EXPECT_TRUE(Contains(log, "messageId=" + spec.message_id)) << log;
  EXPECT_TRUE(Contains(log, "outcome=ok status=200")) << log;
  EXPECT_FALSE(Contains(log, "secret-pw")) << log;
}

TEST_F(GatewayTest, BothShepPathsAndApplicationXmlAreAccepted) {
  StartGateway();
  auto client = Client();
  auto r = client->Post(Url("/bip-sync/"), MakeSendMessage({}), "application/xml");
  EXPECT_EQ(r.status, 200) << r.body;
  r = client->Post(Url("/bip-sync-wss-gost/?x=1"), MakeSendMessage({}));
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(GatewayTest, KeepAliveServesManyRequestsOnOneConnection) {
  StartGateway();
  auto client = Client();
  for (int i = 0; i < 5; ++i) {
    const auto r = client->Post(Url(), MakeSendMessage({}));
    ASSERT_EQ(r.status, 200) << r.body;
  }
  EXPECT_EQ(client->connects(), 1);
}

TEST_F(GatewayTest, MaxRequestsPerConnectionClosesTheConnection) {
  StartGateway("  max_requests_per_connection: 2\n");
  auto client = Client();
  for (int i = 0; i < 4; ++i) {
    const auto r = client->Post(Url(), MakeSendMessage({}));
    ASSERT_EQ(r.status, 200) << r.body;
  }
  EXPECT_EQ(client->connects(), 2);
}

TEST_F(GatewayTest, ServesTheWsdl) {
  StartGateway();
  auto client = Client();
  const auto r = client->Get(Url("/bip-sync/?wsdl"));
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(Contains(r.body, "http://bip.bee.kz/SyncChannel/v10/Types"));
  EXPECT_TRUE(Contains(r.body, "SendMessage"));
  EXPECT_EQ(client->Get(Url("/nothing-here")).status, 404);
}

TEST_F(GatewayTest, RefusesTlsBelow12) {
  StartGateway();
  HttpsClient old(pki_ + "/ca.pem");
  old.SetTlsVersion(CURL_SSLVERSION_TLSv1);
  old.SetMaxTlsVersion(CURL_SSLVERSION_MAX_TLSv1_1);
  const auto r = old.Post(Url(), MakeSendMessage({}));
  EXPECT_NE(r.curl_code, 0) << "TLS 1.1 handshake must fail";
  HttpsClient tls12(pki_ + "/ca.pem");
  tls12.SetMaxTlsVersion(CURL_SSLVERSION_MAX_TLSv1_2);
  EXPECT_EQ(tls12.Post(Url(), MakeSendMessage({})).status, 200);
  HttpsClient tls13(pki_ + "/ca.pem");
  tls13.SetTlsVersion(CURL_SSLVERSION_TLSv1_3);
  EXPECT_EQ(tls13.Post(Url(), MakeSendMessage({})).status, 200);
}

// Each bad input: its documented status and errorCode, a log line with the messageId when
// one was readable, and the gateway keeps serving.
struct BadInput {
  const char* name;
  std::string body;
  std::string content_type;
  std::string path;
  long status;
  const char* token;
  const char* logged_message_id;  // nullptr: no messageId readable
};

std::vector<BadInput> BadInputs() {
  SendMessageSpec unknown;
  unknown.message_id = "bad-0001-unknown-service";
  unknown.service_id = "NO_SUCH_SERVICE";
  SendMessageSpec no_service;
  no_service.message_id = "bad-0002-no-service";
  no_service.service_id = "";
  std::string soap12 = MakeSendMessage({});
  soap12.replace(soap12.find("http://schemas.xmlsoap.org/soap/envelope/"),
                 std::string("http://schemas.xmlsoap.org/soap/envelope/").size(),
                 "http://www.w3.org/2003/05/soap-envelope");
  std::string unknown_op = MakeSendMessage({});
  unknown_op.replace(unknown_op.find("ns3:SendMessage "), 16, "ns3:GetMessages ");
  unknown_op.replace(unknown_op.find("</ns3:SendMessage>"), 18, "</ns3:GetMessages>");
  const std::string good = MakeSendMessage({});
  std::string deep;
  for (int i = 0; i < 100000; ++i) {
    deep += "<a>";
  }
  const std::string xxe =
      "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
      "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\">"
      "<SOAP-ENV:Body>&e;</SOAP-ENV:Body></SOAP-ENV:Envelope>";
  std::string laughs = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">";
  for (int i = 1; i < 10; ++i) {
    laughs += "<!ENTITY lol" + std::to_string(i) + " \"";
    for (int k = 0; k < 10; ++k) {
      laughs += "&lol" + (i == 1 ? std::string() : std::to_string(i - 1)) + ";";
    }
    laughs += "\">";
  }
  laughs += "]><lolz>&lol9;</lolz>";
  return {
      {"malformed", "<SOAP-ENV:Envelope><unclosed>", "text/xml", "/bip-sync/", 400,
       "envelope.malformed_xml", nullptr},
      {"truncated", good.substr(0, good.size() / 2), "text/xml", "/bip-sync/", 400,
       "envelope.malformed_xml", nullptr},
      {"garbage", std::string("\xff\xfe\x00\x01garbage\x80\x81", 13), "text/xml", "/bip-sync/", 400,
       "envelope.malformed_xml", nullptr},
      {"xxe", xxe, "text/xml", "/bip-sync/", 400, "envelope.dtd_forbidden", nullptr},
      {"billion_laughs", laughs, "text/xml", "/bip-sync/", 400, "envelope.dtd_forbidden", nullptr},
      {"deep", deep, "text/xml", "/bip-sync/", 400, "envelope.limit_exceeded", nullptr},
      {"soap12", soap12, "application/soap+xml", "/bip-sync/", 400, "envelope.soap12_not_supported",
       nullptr},
      {"unknown_operation", unknown_op, "text/xml", "/bip-sync/", 400, "envelope.unknown_operation",
       nullptr},
      {"missing_service", MakeSendMessage(no_service), "text/xml", "/bip-sync/", 400,
       "envelope.missing_field", "bad-0002-no-service"},
      {"unknown_service", MakeSendMessage(unknown), "text/xml", "/bip-sync/", 404,
       "routing.unknown_service", "bad-0001-unknown-service"},
      {"unknown_path", good, "text/xml", "/other/", 404, "http.unknown_path", nullptr},
      {"wrong_media_type", good, "application/json", "/bip-sync/", 415,
       "http.unsupported_media_type", nullptr},
  };
}

TEST_F(GatewayTest, EveryBadInputGetsItsDocumentedFaultAndTheGatewayKeepsServing) {
  StartGateway();
  for (const auto& bad : BadInputs()) {
    SCOPED_TRACE(bad.name);
    auto client = Client();
    const auto r = client->Post(Url(bad.path), bad.body, bad.content_type);
    ASSERT_EQ(r.curl_code, 0) << r.error;
    EXPECT_EQ(r.status, bad.status) << r.body;
    EXPECT_EQ(FaultToken(r.body), bad.token) << r.body;
    EXPECT_TRUE(Contains(r.body, "SendMessageFault1_SendMessageFault")) << r.body;
    EXPECT_FALSE(Contains(r.body, "root:")) << "a file's content leaked into the answer";
    if (bad.logged_message_id != nullptr) {
      EXPECT_TRUE(Contains(GatewayLog(), std::string("messageId=") + bad.logged_message_id));
    }
    EXPECT_TRUE(Contains(GatewayLog(), std::string("outcome=") + bad.token));
    // Still serving.
    const auto ok = client->Post(Url(), MakeSendMessage({}));
    EXPECT_EQ(ok.status, 200) << ok.body;
  }
  EXPECT_FALSE(Contains(GatewayLog(), "root:"));
}

TEST_F(GatewayTest, BodyOverTheLimitIs413BeforeItIsRead) {
  StartGateway("  max_body_size: 64KiB\n");
  auto client = Client();
  SendMessageSpec big;
  big.payload = std::string(100 * 1024, 'x');
  const auto r = client->Post(Url(), MakeSendMessage(big));
  ASSERT_EQ(r.curl_code, 0) << r.error;
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(FaultToken(r.body), "http.body_too_large");
  EXPECT_EQ(Client()->Post(Url(), MakeSendMessage({})).status, 200);
}

TEST_F(GatewayTest, UpstreamFailuresHaveTheirOwnFaults) {
  // Port 1 on loopback: nothing listens there (connection refused).
  StartGateway("",
               "  - service_id: DOWN_SERVICE\n"
               "    upstreams: [\"http://127.0.0.1:1/bip-sync/\"]\n"
               "  - service_id: SLOW_SERVICE\n"
               "    upstreams: [\"http://127.0.0.1:" +
                   std::to_string(standin_.port()) +
                   "/bip-sync/\"]\n"
                   "    timeout: 300ms\n");
  auto client = Client();
  struct Case {
    std::string service;
    std::string mode;
    long status;
    std::string token;
  };
  const std::vector<Case> cases = {
      {"DOWN_SERVICE", "", 502, "upstream.unreachable"},
      {"SLOW_SERVICE", "delay:2000", 504, "upstream.timeout"},
      {"GBDFL_UniversalServiceSync", "http500-plain", 502, "upstream.http_error"},
      {"GBDFL_UniversalServiceSync", "garbage", 502, "upstream.bad_response"},
      {"GBDFL_UniversalServiceSync", "close", 502, "upstream.bad_response"},
  };
  int n = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.service + " " + c.mode);
    SendMessageSpec spec;
    spec.message_id = "upstream-case-" + std::to_string(++n);
    spec.service_id = c.service;
    spec.standin_mode = c.mode;
    const auto r = client->Post(Url(), MakeSendMessage(spec));
    ASSERT_EQ(r.curl_code, 0) << r.error;
    EXPECT_EQ(r.status, c.status) << r.body;
    EXPECT_EQ(FaultToken(r.body), c.token) << r.body;
    EXPECT_TRUE(Contains(GatewayLog(), "messageId=" + spec.message_id));
  }
  // A SOAP fault from ShEP is relayed as is (status 500, its own detail).
  SendMessageSpec fault;
  fault.standin_mode = "http500";
  const auto r = client->Post(Url(), MakeSendMessage(fault));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(FaultToken(r.body), "999") << r.body;
  EXPECT_EQ(Client()->Post(Url(), MakeSendMessage({})).status, 200);
}

TEST_F(GatewayTest, OverloadGets503WithRetryAfter) {
  StartGateway("  max_connections: 2\n  workers: 2\n");
  // Two idle client connections hold both slots (TCP connect only, no TLS: a worker waits
  // on each for the handshake).
  std::vector<int> holders;
  for (int i = 0; i < 2; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(gateway_.port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    holders.push_back(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto client = Client();
  const auto r = client->Post(Url(), MakeSendMessage({}));
  ASSERT_EQ(r.curl_code, 0) << r.error;
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(FaultToken(r.body), "gateway.overloaded");
  EXPECT_FALSE(r.Header("Retry-After").empty()) << r.headers;
  for (const int fd : holders) {
    close(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(Client()->Post(Url(), MakeSendMessage({})).status, 200);
}

TEST_F(GatewayTest, SigtermDrainsAndExitsZero) {
  StartGateway();
  auto client = Client();
  ASSERT_EQ(client->Post(Url(), MakeSendMessage({})).status, 200);
  // A slow request in flight when SIGTERM arrives still gets its answer.
  SendMessageSpec slow;
  slow.standin_mode = "delay:700";
  HttpResult in_flight;
  std::thread t([&] { in_flight = Client()->Post(Url(), MakeSendMessage(slow)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  gateway_.Signal(SIGTERM);
  t.join();
  EXPECT_EQ(in_flight.status, 200) << in_flight.error << in_flight.body;
  // Idle keep-alive clients (the first one here) must not hold the exit up.
  const int status = gateway_.WaitExit(std::chrono::seconds(4));
  ASSERT_NE(status, -1) << "gateway did not exit after SIGTERM";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST_F(GatewayTest, CheckConfigReportsErrorsAndExitCodes) {
  const std::string good = dir_->path() + "/good.yaml";
  WriteFile(good, GatewayConfig("", ""));
  std::string out;
  EXPECT_EQ(RunCommand({SHEPGW_BIN, "check-config", "--config", good}, &out), 0) << out;
  const std::string bad = dir_->path() + "/bad.yaml";
  std::string text = GatewayConfig("  max_bodysize: 10\n", "");
  text.replace(text.find(pki_ + "/server.key"), (pki_ + "/server.key").size(),
               pki_ + "/missing.key");
  WriteFile(bad, text);
  EXPECT_EQ(RunCommand({SHEPGW_BIN, "check-config", "--config", bad}, &out), 1) << out;
  EXPECT_TRUE(Contains(out, "limits.max_bodysize")) << out;
  // A config that parses but whose key file is missing is caught by the deep check.
  text = GatewayConfig("", "");
  text.replace(text.find(pki_ + "/server.key"), (pki_ + "/server.key").size(),
               pki_ + "/missing.key");
  WriteFile(bad, text);
  EXPECT_EQ(RunCommand({SHEPGW_BIN, "check-config", "--config", bad}, &out), 1) << out;
  EXPECT_TRUE(Contains(out, "listen.tls.key")) << out;
}

}  // namespace
}  // namespace shepgw::testing

namespace shepgw::testing {
namespace {

TEST_F(GatewayTest, SlowClientsAreCutOffByTheTimeouts) {
  StartGateway("  header_timeout: 500ms\n  body_timeout: 1500ms\n");
  // 1. Never starts TLS: the handshake wait is bounded by header_timeout.
  {
    RawTlsClient idle(gateway_.port(), pki_ + "/ca.pem");
    EXPECT_LT(idle.TimeUntilClosed(std::chrono::seconds(5)), std::chrono::seconds(3));
  }
  // 2. Headers started, then silence (slowloris).
  {
    RawTlsClient slow(gateway_.port(), pki_ + "/ca.pem");
    ASSERT_TRUE(slow.Handshake());
    ASSERT_TRUE(slow.Write("POST /bip-sync/ HTTP/1.1\r\nHost: x\r\n"));
    EXPECT_LT(slow.TimeUntilClosed(std::chrono::seconds(5)), std::chrono::seconds(3));
  }
  // 3. A body trickled a byte at a time: the whole request is bounded by body_timeout.
  {
    RawTlsClient trickle(gateway_.port(), pki_ + "/ca.pem");
    ASSERT_TRUE(trickle.Handshake());
    ASSERT_TRUE(
        trickle.Write("POST /bip-sync/ HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n"
                      "Content-Length: 100000\r\n\r\n"));
    const auto start = std::chrono::steady_clock::now();
    bool cut = false;
    for (int i = 0; i < 100 && !cut; ++i) {
      cut = !trickle.Write("<") || trickle.TimeUntilClosed(std::chrono::milliseconds(200)) <
                                       std::chrono::milliseconds(200);
    }
    EXPECT_TRUE(cut) << "a trickling client was never cut off";
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(6));
  }
  // Still serving.
  EXPECT_EQ(Client()->Post(Url(), MakeSendMessage({})).status, 200);
}

TEST_F(GatewayTest, ChunkedBodyOverTheLimitIs413) {
  StartGateway("  max_body_size: 64KiB\n");
  RawTlsClient client(gateway_.port(), pki_ + "/ca.pem");
  ASSERT_TRUE(client.Handshake());
  ASSERT_TRUE(
      client.Write("POST /bip-sync/ HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n"));
  const std::string chunk(8192, 'x');
  char size_line[32];
  std::snprintf(size_line, sizeof(size_line), "%zx\r\n", chunk.size());
  // 200 KiB in 8 KiB chunks: past the limit and past gSOAP's own cap (limit + headers).
  bool sent_all = true;
  for (int i = 0; i < 25 && sent_all; ++i) {
    sent_all = client.Write(size_line + chunk + "\r\n");
  }
  if (sent_all) {
    client.Write("0\r\n\r\n");
  }
  client.TimeUntilClosed(std::chrono::seconds(5));
  EXPECT_NE(client.received().find(" 413 "), std::string::npos) << client.received();
  EXPECT_NE(client.received().find("http.body_too_large"), std::string::npos);
}

TEST_F(GatewayTest, LargeBodyWithExpectContinueGoesThrough) {
  StartGateway();
  SendMessageSpec big;
  big.payload = "<blob>" + std::string(2 * 1024 * 1024, 'A') + "</blob>";
  auto client = Client();
  // curl sends "Expect: 100-continue" for big bodies unless told not to; HttpsClient removes
  // it, so go through the raw client to be sure the gateway answers 100 Continue.
  RawTlsClient raw(gateway_.port(), pki_ + "/ca.pem");
  ASSERT_TRUE(raw.Handshake());
  const std::string body = MakeSendMessage(big);
  ASSERT_TRUE(
      raw.Write("POST /bip-sync/ HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n"
                "Expect: 100-continue\r\nConnection: close\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\n\r\n"));
  ASSERT_TRUE(raw.Write(body));
  raw.TimeUntilClosed(std::chrono::seconds(20));
  EXPECT_NE(raw.received().find("HTTP/1.1 200 OK"), std::string::npos)
      << raw.received().substr(0, 300);
  EXPECT_NE(raw.received().find("SCSS001"), std::string::npos);
}

TEST_F(GatewayTest, MissingMessageIdIsRefusedAndJsonAccessLogIsValid) {
  config_path_ = dir_->path() + "/shepgw.yaml";
  std::string cfg = GatewayConfig("", "");
  cfg.replace(cfg.find("  level: info\n"), 14, "  level: info\n  format: json\n");
  WriteFile(config_path_, cfg);
  gateway_log_ = dir_->path() + "/shepgw.log";
  std::string error;
  ASSERT_TRUE(
      gateway_.Start({SHEPGW_BIN, "serve", "--config", config_path_}, gateway_log_, true, &error))
      << error;
  SendMessageSpec no_id;
  no_id.message_id = "";
  const auto r = Client()->Post(Url(), MakeSendMessage(no_id));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(FaultToken(r.body), "envelope.missing_field");
  EXPECT_NE(r.body.find("messageId"), std::string::npos) << r.body;
  ASSERT_EQ(Client()->Post(Url(), MakeSendMessage({})).status, 200);
  // Every access line is one JSON object that python's json module accepts.
  const std::string check = dir_->path() + "/check.py";
  WriteFile(check,
            "import json,sys\n"
            "n=0\n"
            "for line in open(sys.argv[1]):\n"
            "  obj=json.loads(line)\n"
            "  if obj.get('log')=='access':\n"
            "    n+=1; assert 'outcome' in obj and 'status' in obj, obj\n"
            "assert n==2, n\n");
  std::string out;
  EXPECT_EQ(RunCommand({"python3", check, gateway_log_}, &out), 0) << out << GatewayLog();
}

}  // namespace
}  // namespace shepgw::testing

namespace shepgw::testing {
namespace {

TEST_F(GatewayTest, ClientCertificatesAreVerifiedWhenConfigured) {
  config_path_ = dir_->path() + "/shepgw.yaml";
  std::string cfg = GatewayConfig("", "");
  const std::string key_line = "    key: " + pki_ + "/server.key\n";
  cfg.replace(cfg.find(key_line), key_line.size(),
              key_line + "    client_ca: " + pki_ + "/ca.pem\n    require_client_cert: true\n");
  WriteFile(config_path_, cfg);
  gateway_log_ = dir_->path() + "/shepgw.log";
  std::string error;
  ASSERT_TRUE(
      gateway_.Start({SHEPGW_BIN, "serve", "--config", config_path_}, gateway_log_, true, &error))
      << error;
  // Without a certificate: the handshake fails.
  const auto anonymous = Client()->Post(Url(), MakeSendMessage({}));
  EXPECT_NE(anonymous.curl_code, 0) << anonymous.status;
  // With a certificate from the configured CA: served.
  auto client = Client();
  client->SetClientCertificate(pki_ + "/client.pem", pki_ + "/client.key");
  const auto r = client->Post(Url(), MakeSendMessage({}));
  ASSERT_EQ(r.curl_code, 0) << r.error;
  EXPECT_EQ(r.status, 200) << r.body;
}

}  // namespace
}  // namespace shepgw::testing

namespace shepgw::testing {
namespace {

HttpResult AdminGet(int port, const std::string& path) {
  HttpsClient plain("");
  return plain.Get("http://127.0.0.1:" + std::to_string(port) + path);
}

TEST_F(GatewayTest, AdminEndpointsReportHealthReadinessAndMetrics) {
  StartGateway();
  ASSERT_GT(gateway_.admin_port(), 0);
  ASSERT_EQ(Client()->Post(Url(), MakeSendMessage({})).status, 200);
  SendMessageSpec unknown;
  unknown.service_id = "NO_SUCH_SERVICE";
  ASSERT_EQ(Client()->Post(Url(), MakeSendMessage(unknown)).status, 404);

  const auto health = AdminGet(gateway_.admin_port(), "/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_TRUE(Contains(health.body, "\"version\":")) << health.body;
  EXPECT_TRUE(Contains(health.body, "\"certificates_days_left\":{\"tls\":")) << health.body;
  const auto ready = AdminGet(gateway_.admin_port(), "/ready");
  EXPECT_EQ(ready.status, 200) << ready.body;
  const auto metrics = AdminGet(gateway_.admin_port(), "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_TRUE(Contains(
      metrics.body, "shepgw_requests_total{route=\"GBDFL_UniversalServiceSync\",outcome=\"ok\"} 1"))
      << metrics.body;
  EXPECT_TRUE(Contains(metrics.body,
                       "shepgw_requests_total{route=\"-\",outcome=\"routing.unknown_service\"} 1"))
      << metrics.body;
  EXPECT_TRUE(Contains(metrics.body, "shepgw_stage_duration_seconds_bucket{stage=\"upstream\""));
  // The exposition is valid for Prometheus' own checker when it is installed.
  std::string out;
  if (RunCommand({"sh", "-c", "command -v promtool"}, &out) == 0) {
    const std::string file = dir_->path() + "/metrics.txt";
    WriteFile(file, metrics.body);
    EXPECT_EQ(RunCommand({"sh", "-c", "promtool check metrics < " + file}, &out), 0) << out;
  }
  EXPECT_EQ(AdminGet(gateway_.admin_port(), "/nothing").status, 404);
}

}  // namespace
}  // namespace shepgw::testing

namespace shepgw::testing {
namespace {

int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// A real Prometheus server on loopback scrapes the admin listener; the series comes back
// through Prometheus' HTTP query API.
TEST_F(GatewayTest, RealPrometheusScrapesTheGateway) {
  std::string out;
  if (RunCommand({"sh", "-c", "command -v prometheus"}, &out) != 0) {
    GTEST_SKIP() << "SKIP: prometheus is not installed (scripts/install-deps.sh installs it)";
  }
  StartGateway();
  ASSERT_EQ(Client()->Post(Url(), MakeSendMessage({})).status, 200);
  const int prom_port = FreeLoopbackPort();
  const std::string prom_dir = dir_->path() + "/prometheus";
  const std::string prom_config = dir_->path() + "/prometheus.yml";
  WriteFile(prom_config,
            "global:\n  scrape_interval: 1s\n"
            "scrape_configs:\n  - job_name: shepgw\n    static_configs:\n"
            "      - targets: ['127.0.0.1:" +
                std::to_string(gateway_.admin_port()) + "']\n");
  ChildProcess prometheus;
  std::string error;
  ASSERT_TRUE(prometheus.Start(
      {"/usr/bin/prometheus", "--config.file=" + prom_config, "--storage.tsdb.path=" + prom_dir,
       "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
      dir_->path() + "/prometheus.log", false, &error))
      << error;
  const std::string query = "http://127.0.0.1:" + std::to_string(prom_port) +
                            "/api/v1/query?query=shepgw_requests_total%7Boutcome%3D%22ok%22%7D";
  bool found = false;
  HttpResult last;
  for (int i = 0; i < 60 && !found; ++i) {  // bounded: 30 s
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    HttpsClient plain("");
    last = plain.Get(query, 2000);
    found = last.status == 200 && Contains(last.body, "\"result\":[{") &&
            Contains(last.body, "GBDFL_UniversalServiceSync");
  }
  EXPECT_TRUE(found) << last.body << "\n" << ReadFile(dir_->path() + "/prometheus.log");
  prometheus.Stop();
}

}  // namespace
}  // namespace shepgw::testing

namespace shepgw::testing {
namespace {

// The active health probe feeds /ready: a route whose every upstream is down makes the
// gateway not ready, unless the route is marked optional.
TEST_F(GatewayTest, ReadinessFollowsUpstreamHealth) {
  const std::string down_route =
      "  - service_id: DOWN_SERVICE\n"
      "    upstreams: [\"http://127.0.0.1:1/bip-sync/\"]\n";
  StartGateway("", down_route + "    optional: true\n", "connector:\n  health_interval: 200ms\n");
  auto ready_status = [&] {
    HttpsClient plain("");
    return plain.Get("http://127.0.0.1:" + std::to_string(gateway_.admin_port()) + "/ready");
  };
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_EQ(ready_status().status, 200) << ready_status().body;
  // The same route, no longer optional: reload and the gateway is not ready.
  WriteFile(config_path_, GatewayConfig("", down_route) + "connector:\n  health_interval: 200ms\n");
  gateway_.Signal(SIGHUP);
  HttpResult r;
  for (int i = 0; i < 20; ++i) {  // bounded: 4 s
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    r = ready_status();
    if (r.status == 503) {
      break;
    }
  }
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_TRUE(Contains(r.body, "route DOWN_SERVICE: no healthy upstream")) << r.body;
  HttpsClient plain("");
  const auto metrics =
      plain.Get("http://127.0.0.1:" + std::to_string(gateway_.admin_port()) + "/metrics");
  EXPECT_TRUE(
      Contains(metrics.body, "shepgw_upstream_up{upstream=\"http://127.0.0.1:1/bip-sync/\"} 0"))
      << metrics.body;
  // Requests to the healthy route are still served.
  EXPECT_EQ(Client()->Post(Url(), MakeSendMessage({})).status, 200);
}

}  // namespace
}  // namespace shepgw::testing

namespace shepgw::testing {
namespace {

// The upstream call never outlives the caller's patience (limits.client_timeout), even when
// the route allows longer.
TEST_F(GatewayTest, ClientTimeoutCapsTheUpstreamWait) {
  StartGateway("  client_timeout: 800ms\n");
  SendMessageSpec slow;
  slow.standin_mode = "delay:3000";
  const auto start = std::chrono::steady_clock::now();
  const auto r = Client()->Post(Url(), MakeSendMessage(slow));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.status, 504) << r.body;
  EXPECT_EQ(FaultToken(r.body), "upstream.timeout") << r.body;
  EXPECT_LT(took, std::chrono::milliseconds(2500)) << "waited for the route's 5 s timeout";
}

}  // namespace
}  // namespace shepgw::testing
