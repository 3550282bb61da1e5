// CurlConnector against tiny real HTTP servers on loopback (one thread each, bounded).
#include <atomic>
#include <mutex>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "shepgw/connector/connector.h"

#include "support/loopback_http_server.h"
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace shepgw::connector {
namespace {

using TinyServer = shepgw::testing::LoopbackHttpServer;  // one request per connection

// A loopback port with nothing listening.
std::string RefusingUrl() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);  // bound then closed, never listened: connections are refused
  return "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/";
}

const std::string kBody = "<Envelope>x</Envelope>";

class CurlConnectorTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(CurlGlobalInit().ok()); }
  Result<UpstreamResponse> Send(const std::vector<std::string>& upstreams,
                                std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    route_.upstreams = upstreams;
    route_.timeout = timeout;
    UpstreamRequest req;
    req.route = &route_;
    req.body = kBody;
    req.message_id = "m-1";
    return connector_->Send(req);
  }
  routing::Route route_;
  std::unique_ptr<Connector> connector_ = MakeCurlConnector(config::ConnectorConfig{}, 1 << 20);
};

TEST_F(CurlConnectorTest, ReturnsTheUpstreamAnswer) {
  TinyServer up(TinyServer::Mode::kAnswer, "<Envelope>ok</Envelope>");
  auto r = Send({up.url()});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->http_status, 200);
  EXPECT_EQ(r->body, "<Envelope>ok</Envelope>");
  EXPECT_EQ(r->upstream, up.url());
  EXPECT_EQ(r->attempts, 1);
}

TEST_F(CurlConnectorTest, ConnectionRefusedMovesOnToTheNextUpstream) {
  TinyServer up(TinyServer::Mode::kAnswer, "<Envelope>ok</Envelope>");
  auto r = Send({RefusingUrl(), up.url()});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->upstream, up.url());
  EXPECT_EQ(r->attempts, 2);
}

TEST_F(CurlConnectorTest, AllRefusedIsUnreachable) {
  auto r = Send({RefusingUrl(), RefusingUrl()});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kUpstreamUnreachable);
}

// BY-5: a request that reached an upstream is never sent again, even to another upstream.
TEST_F(CurlConnectorTest, NeverResendsARequestThatReachedAnUpstream) {
  TinyServer closer(TinyServer::Mode::kCloseAfterRequest);
  TinyServer second(TinyServer::Mode::kAnswer, "<Envelope>ok</Envelope>");
  auto r = Send({closer.url(), second.url()});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kUpstreamBadResponse) << r.status().ToString();
  EXPECT_EQ(closer.requests(), 1);
  EXPECT_EQ(second.requests(), 0);
}

TEST_F(CurlConnectorTest, SilentUpstreamTimesOutWithoutRetry) {
  TinyServer silent(TinyServer::Mode::kSilent);
  TinyServer second(TinyServer::Mode::kAnswer, "<Envelope>ok</Envelope>");
  auto r = Send({silent.url(), second.url()}, std::chrono::milliseconds(300));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kUpstreamTimeout) << r.status().ToString();
  EXPECT_EQ(second.requests(), 0);
}

TEST_F(CurlConnectorTest, ClientDeadlineCapsTheWait) {
  TinyServer silent(TinyServer::Mode::kSilent);
  route_.upstreams = {silent.url()};
  route_.timeout = std::chrono::seconds(30);
  UpstreamRequest req;
  req.route = &route_;
  req.body = kBody;
  req.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  const auto start = std::chrono::steady_clock::now();
  auto r = connector_->Send(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kUpstreamTimeout);
  // Generous bound: the point is "not the route's 30 s".
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

// A BodySource over a string, handed out in `piece`-sized pieces; `announce` is the size it
// claims (its contract: exactly the bytes it writes).
class StringSource final : public BodySource {
 public:
  StringSource(std::string body, size_t piece, uint64_t announce, bool fail_midway = false)
      : body_(std::move(body)), piece_(piece), announce_(announce), fail_midway_(fail_midway) {}
  explicit StringSource(std::string body) : StringSource(body, 4000, body.size()) {}
  uint64_t size() const override { return announce_; }
  bool Write(const std::function<bool(std::string_view)>& sink) const override {
    ++calls;
    for (size_t at = 0; at < body_.size(); at += piece_) {
      if (fail_midway_ && at >= body_.size() / 2) {
        return false;
      }
      if (!sink(std::string_view(body_).substr(at, piece_))) {
        return false;
      }
    }
    return true;
  }
  mutable std::atomic<int> calls{0};

 private:
  std::string body_;
  size_t piece_;
  uint64_t announce_;
  bool fail_midway_;
};

std::string LargeBody() {
  std::string body = "<Envelope>";
  while (body.size() < 900 * 1024) {
    body += "<record>" + std::to_string(body.size()) + "</record>";
  }
  return body + "</Envelope>";
}

TEST_F(CurlConnectorTest, StreamedBodyArrivesWholeWithItsContentLength) {
  TinyServer up(TinyServer::Mode::kAnswer, "<Envelope>ok</Envelope>");
  const std::string body = LargeBody();
  const StringSource source(body);
  route_.upstreams = {up.url()};
  route_.timeout = std::chrono::seconds(10);
  UpstreamRequest req;
  req.route = &route_;
  req.body_source = &source;
  auto r = connector_->Send(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "<Envelope>ok</Envelope>");
  const std::string got = up.last_request();
  const size_t header_end = got.find("\r\n\r\n");
  ASSERT_NE(header_end, std::string::npos);
  EXPECT_EQ(got.substr(header_end + 4), body);
  const std::string headers = got.substr(0, header_end);
  EXPECT_NE(headers.find("Content-Length: " + std::to_string(body.size())), std::string::npos)
      << headers;
  EXPECT_EQ(headers.find("chunked"), std::string::npos) << headers;
  EXPECT_EQ(source.calls.load(), 1);
}

TEST_F(CurlConnectorTest, StreamedBodyFailsOverAndIsNotProducedForARefusedConnection) {
  TinyServer up(TinyServer::Mode::kAnswer, "<Envelope>ok</Envelope>");
  const std::string body = LargeBody();
  const StringSource source(body);
  route_.upstreams = {RefusingUrl(), up.url()};
  route_.timeout = std::chrono::seconds(10);
  UpstreamRequest req;
  req.route = &route_;
  req.body_source = &source;
  auto r = connector_->Send(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->attempts, 2);
  const std::string got = up.last_request();
  EXPECT_EQ(got.substr(got.find("\r\n\r\n") + 4), body);
  EXPECT_EQ(source.calls.load(), 1);  // nothing serialised for the refused connection
}

TEST_F(CurlConnectorTest, ABodySourceThatFailsOrMiscountsAbortsTheRequest) {
  const std::string body = LargeBody();
  const StringSource failing(body, 4000, body.size(), /*fail_midway=*/true);
  const StringSource short_of_its_size(body, 4000, body.size() + 10);
  const StringSource over_its_size(body, 4000, body.size() - 10);
  for (const StringSource* source : {&failing, &short_of_its_size, &over_its_size}) {
    TinyServer up(TinyServer::Mode::kAnswer, "<Envelope>ok</Envelope>");
    TinyServer second(TinyServer::Mode::kAnswer, "<Envelope>ok</Envelope>");
    route_.upstreams = {up.url(), second.url()};
    route_.timeout = std::chrono::seconds(10);
    UpstreamRequest req;
    req.route = &route_;
    req.body_source = source;
    auto r = connector_->Send(req);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), ErrorCode::kGatewayInternal) << r.status().ToString();
    EXPECT_EQ(second.requests(), 0);  // part of it may have reached the first: never resent
  }
}

TEST_F(CurlConnectorTest, OversizedAnswerIsABadResponse) {
  TinyServer up(TinyServer::Mode::kAnswer, std::string(2 << 20, 'x'));
  auto r = Send({up.url()});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kUpstreamBadResponse);
}

}  // namespace
}  // namespace shepgw::connector

namespace shepgw::connector {
namespace {

// After `breaker_failures` consecutive transport failures the upstream is skipped without a
// connection attempt until the cool-down ends; then one request probes it again.
TEST(CurlConnectorBreakerTest, OpensAfterConsecutiveFailuresAndProbesAfterCooldown) {
  ASSERT_TRUE(CurlGlobalInit().ok());
  config::ConnectorConfig cfg;
  cfg.breaker_failures = 2;
  cfg.breaker_cooldown = std::chrono::milliseconds(300);
  cfg.health_interval = std::chrono::milliseconds(0);
  auto connector = MakeCurlConnector(cfg, 1 << 20);
  routing::Route route;
  route.upstreams = {RefusingUrl()};
  UpstreamRequest req;
  req.route = &route;
  req.body = kBody;
  for (int i = 0; i < 2; ++i) {
    auto r = connector->Send(req);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), ErrorCode::kUpstreamUnreachable);
  }
  auto open = connector->Send(req);
  ASSERT_FALSE(open.ok());
  EXPECT_NE(open.status().message().find("circuit breaker open"), std::string::npos)
      << open.status().ToString();
  const auto health = connector->Health();
  ASSERT_EQ(health.size(), 1u);
  EXPECT_TRUE(health[0].breaker_open);
  EXPECT_FALSE(health[0].healthy());
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  auto half_open = connector->Send(req);  // a real attempt again (and it fails again)
  ASSERT_FALSE(half_open.ok());
  EXPECT_EQ(half_open.status().message().find("circuit breaker open"), std::string::npos)
      << half_open.status().ToString();
}

TEST(CurlConnectorBreakerTest, SkipsAnOpenUpstreamAndUsesTheNext) {
  ASSERT_TRUE(CurlGlobalInit().ok());
  config::ConnectorConfig cfg;
  cfg.breaker_failures = 1;
  cfg.breaker_cooldown = std::chrono::milliseconds(200);
  cfg.health_interval = std::chrono::milliseconds(0);
  auto connector = MakeCurlConnector(cfg, 1 << 20);
  TinyServer up(TinyServer::Mode::kAnswer, "<Envelope>ok</Envelope>");
  routing::Route route;
  route.upstreams = {RefusingUrl(), up.url()};
  UpstreamRequest req;
  req.route = &route;
  req.body = kBody;
  auto first = connector->Send(req);  // the refusing one fails (breaker opens), the next answers
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->attempts, 2);
  auto second = connector->Send(req);  // the open breaker skips the refusing upstream
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->attempts, 1);
}

}  // namespace
}  // namespace shepgw::connector
