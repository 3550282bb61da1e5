// Connector: sends a validated envelope to the internal ShEP and brings back its answer.
//
// The interface is the seam between the request pipeline and the network on the VPN side:
// the pipeline never sees sockets or URLs beyond the route. CurlConnector is the real
// implementation (libcurl, pooled keep-alive handles, per-route deadlines, bound to the
// VPN interface or source address when configured).
//
// Retry rule (BY-5, never deliver twice): an upstream is tried again, or the next upstream
// of the route is tried, ONLY when the connection failed before any byte of the request was
// sent. Once the request may have reached an upstream, its outcome is final.
//
// Thread-safety: Send() may be called concurrently from any number of threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "shepgw/common/status.h"
#include "shepgw/config/config.h"
#include "shepgw/routing/route_table.h"

namespace shepgw::connector {

// A request body produced while it is sent instead of held in memory: a 10 MB envelope is
// serialised straight into the connection, without a second copy of itself. Write() hands
// the body to `sink` piece by piece and must produce exactly size() bytes (the
// Content-Length), the same bytes on every call: the connector calls it once per attempt
// that gets as far as sending the body (not for a refused connection), and again when
// libcurl rewinds to resend on a fresh connection, from a thread of its own while Send()
// waits (Send() does not return while a Write() runs). Write() stops, returning false, at
// the first piece `sink` refuses.
class BodySource {
 public:
  virtual ~BodySource() = default;
  virtual uint64_t size() const = 0;
  virtual bool Write(const std::function<bool(std::string_view)>& sink) const = 0;
};

struct UpstreamRequest {
  const routing::Route* route = nullptr;
  std::string_view body;                    // the SOAP envelope to POST, unless body_source is set
  const BodySource* body_source = nullptr;  // when set: the envelope, produced as it is sent
  std::string_view message_id;              // for logs only
  // The client's remaining patience: the connector never waits past it.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

struct UpstreamResponse {
  int http_status = 0;
  std::string content_type;
  std::string body;
  std::string upstream;  // the URL that answered
  int attempts = 0;      // connection attempts made (1 + safe retries)
};

// What the connector knows about one upstream URL (for /ready, /health and metrics).
struct UpstreamHealth {
  std::string url;
  bool probed = false;        // the active probe has answered at least once
  bool probe_ok = true;       // last probe answered (any HTTP status) within its timeout
  bool breaker_open = false;  // requests currently skip it
  int consecutive_failures = 0;
  bool healthy() const { return probe_ok && !breaker_open; }
};

class Connector {
 public:
  virtual ~Connector() = default;
  // Per-upstream state (breaker, active probe), in a stable order.
  virtual std::vector<UpstreamHealth> Health() const { return {}; }
  // Errors: kUpstreamUnreachable (no upstream of the route accepted a connection),
  // kUpstreamTimeout (deadline or route timeout reached), kUpstreamBadResponse (answer over
  // the size limit or broken HTTP), kGatewayInternal (the body_source failed or broke its
  // contract). Any HTTP status is a success at this level.
  virtual Result<UpstreamResponse> Send(const UpstreamRequest& request) = 0;
};

// libcurl-based connector (after CurlGlobalInit()). `probe_urls`: the upstreams to probe
// actively (GET <url>?wsdl every config.health_interval, on a thread owned by the connector).
std::unique_ptr<Connector> MakeCurlConnector(const config::ConnectorConfig& config,
                                             uint64_t max_response_bytes,
                                             std::vector<std::string> probe_urls = {});

// curl_global_init, once, before threads start.
Status CurlGlobalInit();

}  // namespace shepgw::connector
