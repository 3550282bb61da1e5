// Maintenance windows through the running daemon: a planned window in force answers 503 +
// Retry-After + the operator's notice and turns /ready false; unplanned maintenance is
// switched by `shepgw maintenance on|off` through the token-protected admin endpoint.
#include <string>

#include "support/gateway_fixture.h"

namespace shepgw::testing {
namespace {

std::string AlmatyTime(const std::string& offset) {
  std::string out;
  RunCommand({"sh", "-c", "TZ=Asia/Almaty date -d '" + offset + "' +%Y-%m-%dT%H:%M"}, &out);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) {
    out.pop_back();
  }
  return out;
}

class MaintenanceTest : public GatewayFixture {
 protected:
  HttpResult Admin(const std::string& path) {
    HttpsClient plain("");
    return plain.Get("http://127.0.0.1:" + std::to_string(gateway_.admin_port()) + path);
  }
};

TEST_F(MaintenanceTest, PlannedWindowAnswers503WithRetryAfterAndNotice) {
  // The window started an hour ago (Almaty time) and ends in an hour.
  StartGateway("", "",
               "maintenance:\n  timezone: Asia/Almaty\n  planned:\n    - start: \"" +
                   AlmatyTime("-1 hour") + "\"\n      end: \"" + AlmatyTime("+1 hour") +
                   "\"\n      notice: \"Жоспарлы техникалық жұмыстар / Плановые работы\"\n");
  const auto r = Client()->Post(Url(), MakeSendMessage({}));
  ASSERT_EQ(r.curl_code, 0) << r.error;
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(FaultToken(r.body), "gateway.maintenance") << r.body;
  EXPECT_TRUE(Contains(r.body, "Жоспарлы техникалық жұмыстар")) << r.body;
  const int retry_after = std::atoi(r.Header("Retry-After").c_str());
  EXPECT_GT(retry_after, 3000) << r.headers;
  EXPECT_LE(retry_after, 3600) << r.headers;
  const auto ready = Admin("/ready");
  EXPECT_EQ(ready.status, 503) << ready.body;
  EXPECT_TRUE(Contains(ready.body, "maintenance")) << ready.body;
  const auto health = Admin("/health");
  EXPECT_TRUE(Contains(health.body, "\"in_window\":true")) << health.body;
  const auto metrics = Admin("/metrics");
  EXPECT_TRUE(Contains(metrics.body, "shepgw_maintenance_active 1")) << metrics.body;
  EXPECT_TRUE(Contains(metrics.body, "shepgw_availability_percent")) << metrics.body;
}

TEST_F(MaintenanceTest, UnplannedMaintenanceIsSwitchedByTheCli) {
  const std::string token_file = dir_->path() + "/admin.token";
  WriteFile(token_file, "s3cret-token-for-tests\n");
  const std::string state_file = dir_->path() + "/maintenance.state";
  StartGateway("", "", "maintenance:\n  state_file: " + state_file + "\n");
  // The admin section of the fixture has port 0; add the token to it.
  std::string cfg = ReadFile(config_path_);
  cfg.replace(cfg.find("admin:\n  port: 0\n"), 17,
              "admin:\n  port: " + std::to_string(gateway_.admin_port()) +
                  "\n  token_file: " + token_file + "\n");
  WriteFile(config_path_, cfg);
  gateway_.Stop();
  std::string error;
  ASSERT_TRUE(
      gateway_.Start({SHEPGW_BIN, "serve", "--config", config_path_}, gateway_log_, true, &error))
      << error;
  ASSERT_EQ(Client()->Post(Url(), MakeSendMessage({})).status, 200);

  std::string out;
  ASSERT_EQ(
      RunCommand({SHEPGW_BIN, "maintenance", "on", "--config", config_path_, "--service",
                  "GBDFL_UniversalServiceSync", "--notice", "Срочное обновление", "--until", "30m"},
                 &out),
      0)
      << out;
  const auto r = Client()->Post(Url(), MakeSendMessage({}));
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(FaultToken(r.body), "gateway.maintenance");
  EXPECT_TRUE(Contains(r.body, "Срочное обновление")) << r.body;
  EXPECT_GT(std::atoi(r.Header("Retry-After").c_str()), 1700) << r.headers;
  EXPECT_TRUE(Contains(ReadFile(state_file), "GBDFL_UniversalServiceSync"));

  ASSERT_EQ(RunCommand({SHEPGW_BIN, "maintenance", "status", "--config", config_path_}, &out), 0)
      << out;
  EXPECT_TRUE(Contains(out, "GBDFL_UniversalServiceSync")) << out;
  ASSERT_EQ(RunCommand({SHEPGW_BIN, "maintenance", "off", "--config", config_path_}, &out), 0)
      << out;
  EXPECT_EQ(Client()->Post(Url(), MakeSendMessage({})).status, 200);

  // Without the token: refused.
  WriteFile(token_file, "wrong\n");
  EXPECT_EQ(RunCommand({SHEPGW_BIN, "maintenance", "on", "--config", config_path_}, &out), 1)
      << out;
  EXPECT_TRUE(Contains(out, "token")) << out;
  EXPECT_EQ(Client()->Post(Url(), MakeSendMessage({})).status, 200);
}

}  // namespace
}  // namespace shepgw::testing
