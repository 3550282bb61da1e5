#include "gateway_fixture.h"

#include <csignal>

namespace shepgw::testing {

std::string MakeSendMessage(const SendMessageSpec& spec) {
  std::string props;
  if (!spec.standin_mode.empty()) {
    props =
        "<properties><key>STANDIN_MODE</key><value>" + spec.standin_mode + "</value></properties>";
  }
  return R"(<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">
<SOAP-ENV:Header/>
<SOAP-ENV:Body>
<ns3:SendMessage xmlns:ns3="http://bip.bee.kz/SyncChannel/v10/Types" xmlns="">
<request>
<requestInfo>
<messageId>)" +
         spec.message_id + R"(</messageId>
<serviceId>)" +
         spec.service_id + R"(</serviceId>
<messageDate>2026-11-22T12:48:21.024Z</messageDate>
<sender><senderId>)" +
         spec.sender_id + R"(</senderId><password>secret-pw</password></sender>
)" + props +
         R"(
</requestInfo>
<requestData><data xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">)" +
         spec.payload +
         R"(</data></requestData>
</request>
</ns3:SendMessage>
</SOAP-ENV:Body>
</SOAP-ENV:Envelope>
)";
}

void GatewayFixture::SetUp() {
  // Writing to a connection the gateway closed (413 on a body still being sent) must be an
  // error return in the test, not a SIGPIPE that kills it.
  std::signal(SIGPIPE, SIG_IGN);
  dir_ = std::make_unique<TempDir>();
  ASSERT_FALSE(dir_->path().empty());
  pki_ = dir_->path() + "/pki";
  std::string out;
  ASSERT_EQ(RunCommand({SHEPGW_SOURCE_DIR "/scripts/gen-test-pki.sh", pki_}, &out), 0) << out;
  std::string error;
  ASSERT_TRUE(standin_.Start(
      {STANDIN_BIN, "--port", "0", "--log-requests", dir_->path() + "/standin-requests.log"},
      dir_->path() + "/standin.log", true, &error))
      << error;
}

void GatewayFixture::TearDown() {
  gateway_.Stop();
  standin_.Stop();
}

std::string GatewayFixture::GatewayConfig(const std::string& extra_limits,
                                          const std::string& extra_routes) const {
  const std::string upstream = "http://127.0.0.1:" + std::to_string(standin_.port()) + "/bip-sync/";
  return "listen:\n"
         "  address: 127.0.0.1\n"
         "  port: 0\n"
         "  tls:\n"
         "    cert: " +
         pki_ +
         "/server.pem\n"
         "    key: " +
         pki_ +
         "/server.key\n"
         "limits:\n" +
         (extra_limits.find("workers:") == std::string::npos ? "  workers: 4\n" : "") +
         extra_limits +
         "admin:\n"
         "  port: 0\n"
         "logging:\n"
         "  level: info\n"
         "routes:\n"
         "  - service_id: GBDFL_UniversalServiceSync\n"
         "    upstreams: [\"" +
         upstream +
         "\"]\n"
         "    timeout: 5s\n" +
         extra_routes;
}

void GatewayFixture::StartGateway(const std::string& extra_limits, const std::string& extra_routes,
                                  const std::string& extra_sections) {
  config_path_ = dir_->path() + "/shepgw.yaml";
  WriteFile(config_path_, GatewayConfig(extra_limits, extra_routes) + extra_sections);
  gateway_log_ = dir_->path() + "/shepgw.log";
  std::string error;
  ASSERT_TRUE(
      gateway_.Start({SHEPGW_BIN, "serve", "--config", config_path_}, gateway_log_, true, &error))
      << error;
}

std::string GatewayFixture::Url(const std::string& path) const {
  return "https://127.0.0.1:" + std::to_string(gateway_.port()) + path;
}

std::unique_ptr<HttpsClient> GatewayFixture::Client() const {
  return std::make_unique<HttpsClient>(pki_ + "/ca.pem");
}

}  // namespace shepgw::testing
