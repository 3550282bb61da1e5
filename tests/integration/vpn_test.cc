// The connector on the VPN side, through a REAL WireGuard tunnel between two network
// namespaces built by scripts/vpn-testbed.sh: the gateway runs in sgw-a bound to the tunnel
// interface, the stand-in ShEP in sgw-b bound to its tunnel address only. Clients reach the
// gateway from a thread that entered sgw-a (setns), so nothing here uses an address outside
// loopback and the test's own namespaces. Where the kernel refuses (no CAP_NET_ADMIN, no TUN),
// every test SKIPs with the reason.
#include <csignal>
#include <functional>
#include <string>
#include <thread>

#include "support/gateway_fixture.h"
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

namespace shepgw::testing {
namespace {

constexpr const char* kTestbed = SHEPGW_SOURCE_DIR "/scripts/vpn-testbed.sh";

// Runs `fn` on a thread that has joined network namespace `ns` (setns affects only it).
void InNetns(const std::string& ns, const std::function<void()>& fn) {
  std::thread t([&] {
    const int fd = open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0) << ns;
    ASSERT_EQ(setns(fd, CLONE_NEWNET), 0) << ns;
    close(fd);
    fn();
  });
  t.join();
}

class VpnTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string out;
    const int rc = RunCommand({kTestbed, "up"}, &out, std::chrono::seconds(60));
    if (rc == 77) {
      skip_reason_ = new std::string(out);
      std::fprintf(stderr, "\n*** VPN TESTS SKIPPED: %s ***\n\n", out.c_str());
      return;
    }
    up_ = rc == 0;
    if (!up_) {
      setup_error_ = new std::string(out);
    }
  }
  static void TearDownTestSuite() {
    std::string out;
    RunCommand({kTestbed, "down"}, &out, std::chrono::seconds(60));
    up_ = false;
  }

  void SetUp() override {
    if (skip_reason_ != nullptr) {
      GTEST_SKIP() << "SKIP (kernel/environment refuses the VPN testbed): " << *skip_reason_;
    }
    ASSERT_TRUE(up_) << "testbed did not come up: " << (setup_error_ ? *setup_error_ : "");
    dir_ = std::make_unique<TempDir>();
    pki_ = dir_->path() + "/pki";
    std::string out;
    ASSERT_EQ(RunCommand({SHEPGW_SOURCE_DIR "/scripts/gen-test-pki.sh", pki_}, &out), 0) << out;
    // The stand-in ShEP in sgw-b, listening on its tunnel address only.
    std::string error;
    ASSERT_TRUE(standin_.Start(
        {"/usr/bin/env", "ip", "netns", "exec", "sgw-b", STANDIN_BIN, "--host", "10.211.0.2",
         "--port", "0", "--log-requests", dir_->path() + "/delivered.log"},
        dir_->path() + "/standin.log", true, &error))
        << error;
  }
  void TearDown() override {
    gateway_.Stop();
    standin_.Stop();
  }

  void StartGateway(const std::string& interface) {
    const std::string cfg = dir_->path() + "/shepgw.yaml";
    WriteFile(cfg, "listen:\n  address: 127.0.0.1\n  port: 0\n  tls:\n    cert: " + pki_ +
                       "/server.pem\n    key: " + pki_ +
                       "/server.key\nadmin:\n  port: 0\nlimits:\n  workers: 4\n"
                       "connector:\n  interface: " +
                       interface +
                       "\n  connect_timeout: 10s\nroutes:\n  - service_id: "
                       "GBDFL_UniversalServiceSync\n    upstreams: [\"http://10.211.0.2:" +
                       std::to_string(standin_.port()) + "/bip-sync/\"]\n    timeout: 30s\n");
    std::string error;
    ASSERT_TRUE(gateway_.Start(
        {"/usr/bin/env", "ip", "netns", "exec", "sgw-a", SHEPGW_BIN, "serve", "--config", cfg},
        dir_->path() + "/shepgw.log", true, &error))
        << error;
  }

  HttpResult Send(const std::string& message_id, std::chrono::milliseconds* took = nullptr) {
    HttpResult r;
    SendMessageSpec spec;
    spec.message_id = message_id;
    InNetns("sgw-a", [&] {
      HttpsClient client(pki_ + "/ca.pem");
      const auto start = std::chrono::steady_clock::now();
      r = client.Post("https://127.0.0.1:" + std::to_string(gateway_.port()) + "/bip-sync/",
                      MakeSendMessage(spec), "text/xml", 40000);
      if (took != nullptr) {
        *took = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - start);
      }
    });
    return r;
  }

  static long TunnelBytesSent() {
    std::string out;
    RunCommand({"ip", "netns", "exec", "sgw-a", "wg", "show", "sgw-wga", "transfer"}, &out);
    // "<peer>\t<received>\t<sent>"
    const auto tab = out.rfind('\t');
    return tab == std::string::npos ? -1 : std::atol(out.c_str() + tab + 1);
  }

  std::string Delivered() const { return ReadFile(dir_->path() + "/delivered.log"); }

  static inline bool up_ = false;
  static inline std::string* skip_reason_ = nullptr;
  static inline std::string* setup_error_ = nullptr;
  std::unique_ptr<TempDir> dir_;
  std::string pki_;
  ChildProcess standin_;
  ChildProcess gateway_;
};

TEST_F(VpnTest, RequestsFlowThroughTheTunnel) {
  StartGateway("sgw-wga");
  const long before = TunnelBytesSent();
  const auto r = Send("vpn-0001");
  ASSERT_EQ(r.curl_code, 0) << r.error;
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(Contains(r.body, "SCSS001")) << r.body;
  EXPECT_TRUE(Contains(Delivered(), "vpn-0001"));
  EXPECT_GT(TunnelBytesSent(), before) << "the request did not cross the WireGuard tunnel";
}

// Bound to the plain veth instead of the tunnel: the guard refuses it and nothing reaches the
// upstream around the tunnel.
TEST_F(VpnTest, NothingReachesTheUpstreamAroundTheTunnel) {
  StartGateway("sgw-va");
  const auto r = Send("vpn-bypass-0001");
  ASSERT_EQ(r.curl_code, 0) << r.error;
  EXPECT_GE(r.status, 500) << r.body;
  EXPECT_FALSE(Contains(Delivered(), "vpn-bypass-0001"));
}

TEST_F(VpnTest, TunnelDownFailsFastAndRecoversWithoutRestart) {
  StartGateway("sgw-wga");
  ASSERT_EQ(Send("vpn-before").status, 200);
  std::string out;
  ASSERT_EQ(RunCommand({"ip", "-n", "sgw-a", "link", "set", "sgw-wga", "down"}, &out), 0) << out;
  std::chrono::milliseconds took{0};
  const auto down = Send("vpn-during", &took);
  ASSERT_EQ(down.curl_code, 0) << down.error;
  EXPECT_EQ(down.status, 503) << down.body;
  EXPECT_EQ(FaultToken(down.body), "upstream.network_unreachable") << down.body;
  EXPECT_FALSE(down.Header("Retry-After").empty()) << down.headers;
  EXPECT_LT(took, std::chrono::seconds(5)) << "a tunnel outage must not hang the caller";
  EXPECT_FALSE(Contains(Delivered(), "vpn-during"));
  ASSERT_EQ(RunCommand({"ip", "-n", "sgw-a", "link", "set", "sgw-wga", "up"}, &out), 0) << out;
  HttpResult after;
  for (int i = 0; i < 20; ++i) {  // bounded: the tunnel is usable again within a moment
    after = Send("vpn-after-" + std::to_string(i));
    if (after.status == 200) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_EQ(after.status, 200) << after.body;
}

}  // namespace
}  // namespace shepgw::testing
