// The service as an operator meets it: the systemd notify protocol over a real datagram
// socket, SIGHUP reloads under load (zero failed requests), a bad reload that keeps the old
// configuration serving, and TLS certificate rotation by reload.
#include <algorithm>
#include <atomic>
#include <csignal>
#include <string>
#include <thread>
#include <vector>

#include "support/gateway_fixture.h"
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

namespace shepgw::testing {
namespace {

// A NOTIFY_SOCKET stand-in: a datagram socket collecting what the daemon tells systemd.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
    unlink(path.c_str());
    bound_ = bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    timeval tv{0, 100'000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~NotifySocket() {
    close(fd_);
    unlink(path_.c_str());
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;
  bool bound() const { return bound_; }

  // Collects messages until one contains `needle` (bounded by `timeout`).
  bool WaitFor(const std::string& needle, std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      char buf[4096];
      const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n > 0) {
        const std::string msg(buf, static_cast<size_t>(n));
        all_ += msg + "\n---\n";
        if (Contains(msg, needle)) {
          return true;
        }
      }
    }
    return false;
  }
  const std::string& all() const { return all_; }

 private:
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
  std::string all_;
};

class OperationsTest : public GatewayFixture {
 protected:
  void StartWithEnv(const std::vector<std::string>& env) {
    config_path_ = dir_->path() + "/shepgw.yaml";
    WriteFile(config_path_, GatewayConfig("", ""));
    gateway_log_ = dir_->path() + "/shepgw.log";
    std::string error;
    ASSERT_TRUE(gateway_.Start({SHEPGW_BIN, "serve", "--config", config_path_}, gateway_log_, true,
                               &error, std::chrono::seconds(20), env))
        << error;
  }
};

TEST_F(OperationsTest, SpeaksTheSystemdNotifyProtocol) {
  NotifySocket notify(dir_->path() + "/notify.sock");
  ASSERT_TRUE(notify.bound());
  StartWithEnv({"NOTIFY_SOCKET=" + dir_->path() + "/notify.sock", "WATCHDOG_USEC=1000000"});
  EXPECT_TRUE(notify.WaitFor("READY=1", std::chrono::seconds(5))) << notify.all();
  EXPECT_TRUE(notify.WaitFor("WATCHDOG=1", std::chrono::seconds(3))) << notify.all();
  EXPECT_TRUE(Contains(notify.all(), "STATUS=")) << notify.all();
  gateway_.Signal(SIGHUP);
  EXPECT_TRUE(notify.WaitFor("RELOADING=1", std::chrono::seconds(5))) << notify.all();
  EXPECT_TRUE(notify.WaitFor("READY=1", std::chrono::seconds(5))) << notify.all();
  gateway_.Signal(SIGTERM);
  EXPECT_TRUE(notify.WaitFor("STOPPING=1", std::chrono::seconds(5))) << notify.all();
  const int status = gateway_.WaitExit(std::chrono::seconds(10));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST_F(OperationsTest, ReloadUnderLoadFailsNoRequest) {
  StartGateway();
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> load;
  for (int t = 0; t < 3; ++t) {
    load.emplace_back([&] {
      auto client = Client();
      for (int i = 0; i < 2000 && !stop.load(); ++i) {  // bounded
        const auto r = client->Post(Url(), MakeSendMessage({}));
        (r.curl_code == 0 && r.status == 200 ? ok : failed).fetch_add(1);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  for (int i = 0; i < 5; ++i) {
    gateway_.Signal(SIGHUP);
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  stop = true;
  for (auto& t : load) {
    t.join();
  }
  EXPECT_GT(ok.load(), 20);
  EXPECT_EQ(failed.load(), 0);
  const std::string log = GatewayLog();
  size_t reloads = 0;
  const std::string marker = "reloaded " + config_path_;
  for (size_t p = log.find(marker); p != std::string::npos; p = log.find(marker, p + 1)) {
    ++reloads;
  }
  EXPECT_EQ(reloads, 5u) << log;
}

TEST_F(OperationsTest, BadReloadKeepsTheRunningConfiguration) {
  StartGateway();
  WriteFile(config_path_, GatewayConfig("  max_bodysize: 1\n", ""));
  gateway_.Signal(SIGHUP);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_TRUE(Contains(GatewayLog(), "reload rejected")) << GatewayLog();
  EXPECT_TRUE(Contains(GatewayLog(), "limits.max_bodysize")) << GatewayLog();
  EXPECT_EQ(Client()->Post(Url(), MakeSendMessage({})).status, 200);
  HttpsClient plain("");
  const auto metrics =
      plain.Get("http://127.0.0.1:" + std::to_string(gateway_.admin_port()) + "/metrics");
  EXPECT_TRUE(Contains(metrics.body, "shepgw_config_reloads_total{result=\"failed\"} 1"))
      << metrics.body;
}

std::string ServedSerial(int port) {
  std::string out;
  RunCommand({"sh", "-c",
              "openssl s_client -connect 127.0.0.1:" + std::to_string(port) +
                  " </dev/null 2>/dev/null | openssl x509 -noout -serial"},
             &out, std::chrono::seconds(10));
  return out;
}

TEST_F(OperationsTest, TlsCertificateRotatesOnReload) {
  StartGateway();
  const std::string before = ServedSerial(gateway_.port());
  ASSERT_TRUE(Contains(before, "serial=")) << before;
  // A new server certificate from the same CA, written over the configured files.
  std::string out;
  const std::string p = pki_;
  ASSERT_EQ(RunCommand({"sh", "-c",
                        "cd " + p +
                            " && openssl req -newkey rsa:2048 -nodes -keyout new.key -out new.csr "
                            "-subj /CN=localhost 2>/dev/null && printf "
                            "'subjectAltName=IP:127.0.0.1\\n' > new.ext && openssl x509 -req -in "
                            "new.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 5 -extfile "
                            "new.ext -out new.crt 2>/dev/null && cat new.crt ca.pem > server.pem "
                            "&& cp new.key server.key"},
                       &out),
            0)
      << out;
  gateway_.Signal(SIGHUP);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const std::string after = ServedSerial(gateway_.port());
  EXPECT_TRUE(Contains(after, "serial=")) << after;
  EXPECT_NE(before, after);
  EXPECT_EQ(Client()->Post(Url(), MakeSendMessage({})).status, 200);
}

}  // namespace
}  // namespace shepgw::testing
