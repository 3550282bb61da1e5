// Idle keep-alive connections are parked in the front end's poller between requests: they hold
// no worker. End to end through the real binary and real TLS.
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/gateway_fixture.h"
#include "support/raw_tls_client.h"
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace shepgw::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

class KeepAliveTest : public GatewayFixture {
 protected:
  // The value of an unlabelled gauge on /metrics, or -1.
  long Gauge(const std::string& name) {
    HttpsClient plain("");
    const auto r =
        plain.Get("http://127.0.0.1:" + std::to_string(gateway_.admin_port()) + "/metrics", 5000);
    const auto at = r.body.find("\n" + name + " ");
    return at == std::string::npos ? -1 : std::stol(r.body.substr(at + name.size() + 2));
  }

  // Polls the gauge until it equals `want` (bounded: `limit`).
  long WaitGauge(const std::string& name, long want, milliseconds limit) {
    const auto until = steady_clock::now() + limit;
    long v = Gauge(name);
    while (v != want && steady_clock::now() < until) {
      std::this_thread::sleep_for(milliseconds(50));
      v = Gauge(name);
    }
    return v;
  }
};

std::string PostRequest(const std::string& body, bool close = false) {
  return "POST /bip-sync/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\n" +
         std::string(close ? "Connection: close\r\n" : "") +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

bool Is200(const std::string& response) {
  return response.rfind("HTTP/1.1 200 ", 0) == 0 && Contains(response, "SCSS001");
}

// 50 keep-alive clients on 2 workers: before parking, the third client waited for
// idle_timeout (30 s) without even a TLS handshake.
TEST_F(KeepAliveTest, ManyMoreIdleConnectionsThanWorkersAreAllServed) {
  StartGateway("  workers: 2\n");
  constexpr int kClients = 50;
  std::vector<std::unique_ptr<HttpsClient>> clients;
  const auto start = steady_clock::now();
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(Client());
    const auto r = clients.back()->Post(Url(), MakeSendMessage({}), "text/xml", 5000);
    ASSERT_EQ(r.status, 200) << "client " << i << ": " << r.error << r.body;
  }
  EXPECT_EQ(WaitGauge("shepgw_connections_idle", kClients, milliseconds(3000)), kClients);
  EXPECT_EQ(Gauge("shepgw_connections_active"), kClients);
  // Every idle connection comes back for a second request, on the same connection.
  for (int i = 0; i < kClients; ++i) {
    const auto r =
        clients[static_cast<size_t>(i)]->Post(Url(), MakeSendMessage({}), "text/xml", 5000);
    ASSERT_EQ(r.status, 200) << "client " << i << ": " << r.error << r.body;
    EXPECT_EQ(clients[static_cast<size_t>(i)]->connects(), 1) << "client " << i;
  }
  EXPECT_LT(steady_clock::now() - start, std::chrono::seconds(20));
  clients.clear();
  EXPECT_EQ(WaitGauge("shepgw_connections_idle", 0, milliseconds(3000)), 0);
  EXPECT_EQ(WaitGauge("shepgw_connections_active", 0, milliseconds(3000)), 0);
}

TEST_F(KeepAliveTest, IdleParkedConnectionIsClosedAfterIdleTimeout) {
  StartGateway("  workers: 1\n  idle_timeout: 600ms\n");
  RawTlsClient idle(gateway_.port(), pki_ + "/ca.pem");
  ASSERT_TRUE(idle.Handshake());
  ASSERT_TRUE(idle.Write(PostRequest(MakeSendMessage({}))));
  ASSERT_TRUE(Is200(idle.ReadResponse(milliseconds(5000))));
  milliseconds closed_after{0};
  std::thread watch([&] { closed_after = idle.TimeUntilClosed(milliseconds(5000)); });
  // While it idles the only worker is free: another client is served meanwhile.
  const auto other = Client()->Post(Url(), MakeSendMessage({}), "text/xml", 3000);
  watch.join();
  EXPECT_EQ(other.status, 200) << other.error;
  EXPECT_GE(closed_after, milliseconds(550)) << "closed before idle_timeout";
  EXPECT_LT(closed_after, milliseconds(2000)) << "closed long after idle_timeout (or never)";
  EXPECT_EQ(WaitGauge("shepgw_connections_idle", 0, milliseconds(2000)), 0);
}

// An idle_timeout shorter than the worker's linger (250 ms) is still kept: the linger never
// outlasts it.
TEST_F(KeepAliveTest, IdleTimeoutShorterThanTheLingerIsKept) {
  StartGateway("  workers: 1\n  idle_timeout: 100ms\n");
  RawTlsClient idle(gateway_.port(), pki_ + "/ca.pem");
  ASSERT_TRUE(idle.Handshake());
  ASSERT_TRUE(idle.Write(PostRequest(MakeSendMessage({}))));
  ASSERT_TRUE(Is200(idle.ReadResponse(milliseconds(5000))));
  const auto closed_after = idle.TimeUntilClosed(milliseconds(3000));
  EXPECT_GE(closed_after, milliseconds(50)) << "closed before idle_timeout";
  EXPECT_LT(closed_after, milliseconds(1000)) << "closed long after idle_timeout (or never)";
  EXPECT_EQ(Client()->Post(Url(), MakeSendMessage({}), "text/xml", 3000).status, 200);
}

// Bytes of the next request that arrived with the previous one (pipelining) are in the
// gateway's buffers, not on the socket: the connection must be served, not parked.
TEST_F(KeepAliveTest, PipelinedAndSplitRequestsAreNotLost) {
  StartGateway("  workers: 1\n");
  RawTlsClient c(gateway_.port(), pki_ + "/ca.pem");
  ASSERT_TRUE(c.Handshake());
  const std::string body = MakeSendMessage({});
  // Three requests in one write.
  ASSERT_TRUE(c.Write(PostRequest(body) + PostRequest(body) + PostRequest(body)));
  for (int i = 0; i < 3; ++i) {
    const auto r = c.ReadResponse(milliseconds(5000));
    EXPECT_TRUE(Is200(r)) << "pipelined answer " << i << ": " << r.substr(0, 400);
  }
  // Idle long enough to be parked (the worker lingers 250 ms), then a request split across
  // writes: headers, then the body after a pause, then one more request with half of another
  // behind it.
  std::this_thread::sleep_for(milliseconds(500));
  const std::string req = PostRequest(body);
  const size_t head = req.find("\r\n\r\n") + 4;
  ASSERT_TRUE(c.Write(req.substr(0, head)));
  std::this_thread::sleep_for(milliseconds(100));
  ASSERT_TRUE(c.Write(req.substr(head)));
  EXPECT_TRUE(Is200(c.ReadResponse(milliseconds(5000)))) << "split request";
  const std::string last = PostRequest(body, true);
  ASSERT_TRUE(c.Write(req + last.substr(0, last.size() / 2)));
  std::this_thread::sleep_for(milliseconds(100));
  ASSERT_TRUE(c.Write(last.substr(last.size() / 2)));
  EXPECT_TRUE(Is200(c.ReadResponse(milliseconds(5000)))) << "request before the half";
  EXPECT_TRUE(Is200(c.ReadResponse(milliseconds(5000)))) << "request split in half";
  EXPECT_LT(c.TimeUntilClosed(milliseconds(3000)), milliseconds(3000)) << "Connection: close";
}

// A connection parked across requests keeps counting toward max_requests_per_connection, and
// keeps its TLS context across a reload (SIGHUP rebuilds the server context).
TEST_F(KeepAliveTest, ParkedConnectionsKeepTheirLimitsAndSurviveATlsReload) {
  StartGateway("  workers: 1\n  max_requests_per_connection: 3\n");
  auto client = Client();
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(client->Post(Url(), MakeSendMessage({}), "text/xml", 5000).status, 200);
    ASSERT_EQ(WaitGauge("shepgw_connections_idle", i < 2 ? 1 : 0, milliseconds(2000)),
              i < 2 ? 1 : 0)
        << "after request " << i;
    if (i == 0) {
      gateway_.Signal(SIGHUP);
      std::this_thread::sleep_for(milliseconds(500));
    }
  }
  EXPECT_EQ(client->connects(), 1);  // the third answer closed it
  ASSERT_EQ(client->Post(Url(), MakeSendMessage({}), "text/xml", 5000).status, 200);
  EXPECT_EQ(client->connects(), 2);
  EXPECT_TRUE(Contains(GatewayLog(), "reloaded")) << GatewayLog();
}

TEST_F(KeepAliveTest, SigtermClosesParkedConnectionsAtOnce) {
  StartGateway("  workers: 2\n  idle_timeout: 60s\n");
  std::vector<std::unique_ptr<HttpsClient>> clients;
  for (int i = 0; i < 20; ++i) {
    clients.push_back(Client());
    ASSERT_EQ(clients.back()->Post(Url(), MakeSendMessage({}), "text/xml", 5000).status, 200);
  }
  ASSERT_EQ(WaitGauge("shepgw_connections_idle", 20, milliseconds(3000)), 20);
  RawTlsClient watcher(gateway_.port(), pki_ + "/ca.pem");
  ASSERT_TRUE(watcher.Handshake());
  ASSERT_TRUE(watcher.Write(PostRequest(MakeSendMessage({}))));
  ASSERT_TRUE(Is200(watcher.ReadResponse(milliseconds(5000))));
  std::this_thread::sleep_for(milliseconds(100));
  const auto start = steady_clock::now();
  gateway_.Signal(SIGTERM);
  // Idle connections are closed at once (not at idle_timeout, 60 s here).
  EXPECT_LT(watcher.TimeUntilClosed(milliseconds(3000)), milliseconds(1000));
  const int status = gateway_.WaitExit(std::chrono::seconds(3));
  ASSERT_NE(status, -1) << "gateway did not exit after SIGTERM";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_LT(steady_clock::now() - start, std::chrono::milliseconds(2500));
}

}  // namespace
}  // namespace shepgw::testing
