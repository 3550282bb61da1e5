// Pipeline::Handle over real parts (wss test PKI, CurlConnector, a loopback upstream): how
// long it holds the received body (HttpRequest::release_body) and how a large re-signed
// request reaches the upstream (serialised while it is sent, with its Content-Length).
#include "shepgw/pipeline/pipeline.h"

#include <cstdlib>
#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "shepgw/common/clock.h"
#include "shepgw/config/config.h"
#include "shepgw/connector/connector.h"
#include "shepgw/envelope/envelope.h"
#include "shepgw/pki/trust.h"
#include "shepgw/routing/route_table.h"
#include "shepgw/wss/wss.h"

#include "support/loopback_http_server.h"
#include <sys/stat.h>

namespace shepgw::pipeline {
namespace {

const std::string& PkiDir() {
  static const std::string dir = [] {
    std::string d = SHEPGW_WSS_PKI_DIR;
    struct stat st {};
    if (stat((d + "/gateway-rsa.pem").c_str(), &st) != 0) {
      // The ctest fixture normally made it; by hand, make it now (flock: parallel runs).
      const std::string cmd = "flock '" + d +
                              ".lock' bash '" SHEPGW_SOURCE_DIR "/scripts/gen-wss-test-pki.sh' '" +
                              d + "'";
      if (std::system(cmd.c_str()) != 0) {
        ADD_FAILURE() << "cannot generate the test PKI: " << cmd;
      }
    }
    return d;
  }();
  return dir;
}

const char kAnswer[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><S:Envelope "
    "xmlns:S=\"http://schemas.xmlsoap.org/soap/envelope/\"><S:Body><ns:SendMessageResponse "
    "xmlns:ns=\"http://bip.bee.kz/SyncChannel/v10/Types\"><response/></ns:SendMessageResponse>"
    "</S:Body></S:Envelope>";

// A SendMessage request from test-sender with `records` records in requestData/data.
std::string Request(size_t records) {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<SOAP-ENV:Envelope "
      "xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\"><SOAP-ENV:Header/>"
      "<SOAP-ENV:Body><ns3:SendMessage xmlns:ns3=\"http://bip.bee.kz/SyncChannel/v10/Types\">"
      "<request><requestInfo><messageId>m-large-1</messageId><serviceId>"
      "GBDFL_UniversalServiceSync</serviceId><messageDate>2026-11-22T12:00:00.000Z</messageDate>"
      "<sender><senderId>test-sender</senderId></sender></requestInfo><requestData><data>";
  for (size_t i = 0; i < records; ++i) {
    out += "<record><iin>" + std::to_string(931002451325 + i) +
           "</iin><name>Иванов Иван Иванович</name></record>";
  }
  out += "</data></requestData></request></ns3:SendMessage></SOAP-ENV:Body></SOAP-ENV:Envelope>\n";
  return out;
}

class PipelineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    envelope::InitXmlLibrary();
    ASSERT_TRUE(wss::InitXmlSec().ok());
    ASSERT_TRUE(connector::CurlGlobalInit().ok());
  }

  // The pipeline with the gateway's wss setup (verify, re-sign when `sign_forwarded`).
  void Build(bool sign_forwarded) {
    const std::string& p = PkiDir();
    const std::string yaml = "listen:\n  tls:\n    cert: " + p + "/gateway-rsa.pem\n    key: " + p +
                             "/gateway-rsa.key\n"
                             "logging:\n  access_log: false\n"
                             "routes:\n  - service_id: GBDFL_UniversalServiceSync\n"
                             "    upstreams: [\"" +
                             upstream_.url() +
                             "\"]\n    timeout: 10s\n"
                             "wss:\n  sign_forwarded: " +
                             (sign_forwarded ? "true" : "false") +
                             "\n  sign_responses: false\n"
                             "trust:\n  anchors: [" +
                             p + "/root.pem]\n  intermediates: [" + p + "/inter.pem]\n  crls: [" +
                             p + "/inter.crl.pem, " + p +
                             "/root.crl.pem]\n"
                             "gateway_key:\n  cert: " +
                             p + "/gateway-rsa.pem\n  key: " + p +
                             "/gateway-rsa.key\n  algorithm: rsa-sha256\n"
                             "participants:\n  - sender_id: test-sender\n    certificates: [" +
                             p + "/signer-rsa.pem, " + p +
                             "/gateway-rsa.pem]\n    services: [GBDFL_UniversalServiceSync]\n";
    auto loaded = config::LoadConfigString(yaml, "pipeline_test");
    ASSERT_TRUE(loaded.ok()) << (loaded.errors.empty() ? "" : loaded.errors[0].ToString());
    auto snap = std::make_shared<Snapshot>();
    snap->config = loaded.config;
    snap->routes = std::make_shared<routing::RouteTable>(loaded.config->routes);
    snap->connector = connector::MakeCurlConnector(loaded.config->connector,
                                                   loaded.config->limits.max_body_bytes);
    auto trust = pki::LoadTrustStore(loaded.config->trust, SystemClock::Instance());
    ASSERT_TRUE(trust.ok()) << trust.status().ToString();
    auto participants = pki::LoadParticipants(loaded.config->participants);
    ASSERT_TRUE(participants.ok()) << participants.status().ToString();
    auto key = pki::LoadGatewayKey(loaded.config->gateway_key);
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    snap->trust = *trust;
    snap->participants = *participants;
    snap->verifier =
        std::make_shared<wss::Verifier>(wss::VerifyPolicy{}, snap->trust, snap->participants);
    snap->signer = std::make_shared<wss::Signer>(*key);
    verifier_ = snap->verifier;
    pipeline_ = std::make_unique<Pipeline>(std::move(snap), SystemClock::Instance());
  }

  // `xml` signed by test-sender's key, as a client would send it.
  static std::string SignedByClient(const std::string& xml) {
    config::GatewayKeyConfig kc;
    kc.cert_file = PkiDir() + "/signer-rsa.pem";
    kc.key_file = PkiDir() + "/signer-rsa.key";
    auto key = pki::LoadGatewayKey(kc);
    EXPECT_TRUE(key.ok()) << key.status().ToString();
    auto signed_xml = wss::Signer(*key).SignDocument(xml, envelope::ParseLimits{});
    EXPECT_TRUE(signed_xml.ok()) << signed_xml.status().ToString();
    return signed_xml.ok() ? *signed_xml : std::string();
  }

  // Handles `body` from a buffer of its own whose released prefixes the hook overwrites:
  // anything the pipeline read after releasing it would be garbage. Records when the whole
  // body was released, and how many prefixes were released before.
  HttpResponse HandleReleasing(const std::string& body) {
    buffer_ = body;
    HttpRequest request;
    request.path = "/bip-sync/";
    request.content_type = "text/xml";
    request.body = buffer_;
    request.peer = "127.0.0.1:1";
    request.received_at = std::chrono::steady_clock::now();
    request.release_body = [this](size_t n) {
      EXPECT_GT(n, released_bytes_);  // growing
      EXPECT_LE(n, buffer_.size());
      std::memset(buffer_.data(), 'X', n);
      released_bytes_ = n;
      if (n < buffer_.size()) {
        ++released_prefixes_;
        return;
      }
      ++released_;
      upstream_requests_at_release_ = upstream_.requests();
    };
    return pipeline_->Handle(request);
  }

  // The upstream's copy, checked as ShEP would: it must carry the gateway's valid signature.
  void ExpectDeliveredSignedByTheGateway(const std::string& must_contain) {
    const std::string delivered = upstream_.body();
    const envelope::ParseOutcome parsed = envelope::ParseRequest(delivered, {});
    ASSERT_TRUE(parsed.status.ok()) << parsed.status.ToString();
    auto verified = verifier_->Verify(*parsed.envelope);
    ASSERT_TRUE(verified.ok()) << verified.status().ToString();
    EXPECT_NE(verified->facts.subject.find("gateway"), std::string::npos)
        << verified->facts.subject;
    EXPECT_NE(delivered.find(must_contain), std::string::npos);
  }

  // Records every request it gets and answers kAnswer.
  shepgw::testing::LoopbackHttpServer upstream_{shepgw::testing::LoopbackHttpServer::Mode::kAnswer,
                                                kAnswer};
  std::shared_ptr<const wss::Verifier> verifier_;
  std::unique_ptr<Pipeline> pipeline_;
  std::string buffer_;
  size_t released_bytes_ = 0;
  int released_prefixes_ = 0;
  int released_ = 0;
  int upstream_requests_at_release_ = -1;
};

TEST_F(PipelineTest, LargeReSignedRequestReleasesTheBodyAfterTheParseAndIsStreamedUpstream) {
  Build(/*sign_forwarded=*/true);
  const size_t records = 40000;  // ~3 MB: above the 1 MiB streaming threshold
  const std::string request = SignedByClient(Request(records));
  ASSERT_GT(request.size(), size_t{2} << 20);
  const HttpResponse response = HandleReleasing(request);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(released_, 1);
  EXPECT_EQ(upstream_requests_at_release_, 0);  // released before anything went upstream
  // ...and most of it already during the parse, slice by slice (256 KiB slices).
  EXPECT_GE(released_prefixes_, static_cast<int>(request.size() / (256 * 1024)) - 1);
  ASSERT_EQ(upstream_.requests(), 1);
  // Sent with its Content-Length (ShEP gets no chunked upload), the whole re-signed envelope.
  const std::string headers = upstream_.headers();
  EXPECT_NE(headers.find("Content-Length: " + std::to_string(upstream_.body().size())),
            std::string::npos)
      << headers;
  EXPECT_EQ(headers.find("chunked"), std::string::npos) << headers;
  ExpectDeliveredSignedByTheGateway("<iin>" + std::to_string(931002451325 + records - 1) +
                                    "</iin>");
}

TEST_F(PipelineTest, SmallReSignedRequestReleasesTheBodyAfterTheParse) {
  Build(/*sign_forwarded=*/true);
  const HttpResponse response = HandleReleasing(SignedByClient(Request(3)));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(released_, 1);
  EXPECT_EQ(upstream_requests_at_release_, 0);
  ExpectDeliveredSignedByTheGateway("<iin>931002451327</iin>");
}

TEST_F(PipelineTest, ForwardedAsReceivedTheBodyIsReleasedAfterTheUpstreamCall) {
  Build(/*sign_forwarded=*/false);
  const std::string request = SignedByClient(Request(20000));
  const HttpResponse response = HandleReleasing(request);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(released_, 1);
  EXPECT_EQ(released_prefixes_, 0);             // they are forwarded: nothing during the parse
  EXPECT_EQ(upstream_requests_at_release_, 1);  // the received bytes went upstream first
  EXPECT_EQ(upstream_.body(), request);
}

TEST_F(PipelineTest, WithoutAReleaseHookNothingChanges) {
  Build(/*sign_forwarded=*/true);
  const std::string request = SignedByClient(Request(20000));
  HttpRequest r;
  r.path = "/bip-sync/";
  r.body = request;
  r.received_at = std::chrono::steady_clock::now();
  const HttpResponse response = pipeline_->Handle(r);
  ASSERT_EQ(response.status, 200) << response.body;
  ExpectDeliveredSignedByTheGateway("<iin>" + std::to_string(931002451325 + 20000 - 1) + "</iin>");
}

}  // namespace
}  // namespace shepgw::pipeline
