// Pipeline: the fixed sequence of stages one SOAP request goes through, from the bytes the
// front end received to the bytes it sends back (docs/life-of-a-request.md):
//
//   parse → maintenance → verify → authorize → route → re-sign → forward → check answer
//   → sign answer
//
// Every stage returns a Status; the first failure becomes a SOAP fault from the error table.
// Every request, whatever its outcome, produces exactly one access-log line.
//
// Thread-safety: Handle()/Reject() are called concurrently by the front end's workers. The
// pipeline holds an immutable Snapshot (config, routes) that Swap() replaces atomically;
// a request keeps the snapshot it started with.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "shepgw/common/clock.h"
#include "shepgw/common/status.h"
#include "shepgw/config/config.h"
#include "shepgw/connector/connector.h"
#include "shepgw/maintenance/maintenance.h"
#include "shepgw/pipeline/gateway_metrics.h"
#include "shepgw/pki/trust.h"
#include "shepgw/routing/route_table.h"
#include "shepgw/wss/wss.h"

namespace shepgw::pipeline {

struct RequestRecord;  // per-request facts for the access log and metrics (pipeline.cc)

struct HttpRequest {
  std::string_view path;
  std::string_view content_type;
  std::string_view body;
  std::string_view peer;  // "ip:port" of the client
  std::chrono::steady_clock::time_point received_at;
  // When the client will stop waiting (received_at + limits), passed down to the upstream.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  // Optional: Handle() calls it with n when it will read body[0, n) no more, n growing, so
  // that a 10 MB message is not held beside its tree: during the parse, slice by slice, and
  // with n == body.size() right after it when the re-signed tree is what goes upstream;
  // with n == body.size() after the upstream call when the received bytes are forwarded as
  // they are. The front end frees the pages of a prefix and the whole body at the end.
  // Released bytes are never read again (the body's size is recorded before).
  std::function<void(size_t n)> release_body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/xml; charset=utf-8";
  std::string body;
  int retry_after_seconds = 0;  // > 0: send Retry-After
};

// What a request is served with: replaced as a whole on reload.
struct Snapshot {
  std::shared_ptr<const config::Config> config;
  std::shared_ptr<const routing::RouteTable> routes;
  std::shared_ptr<connector::Connector> connector;
  // WS-Security (null when the config has no wss section: nothing is verified or signed).
  std::shared_ptr<const wss::Verifier> verifier;
  std::shared_ptr<const wss::Signer> signer;
  std::shared_ptr<const pki::GatewayKey> gateway_key;  // for health (certificate expiry)
  std::shared_ptr<const pki::ParticipantStore> participants;
  std::shared_ptr<pki::TrustStore> trust;  // owns the CRL refresher thread
  // Maintenance: the planned windows of this config, and the unplanned switch, which is one
  // process-wide object carried from snapshot to snapshot (it survives reloads).
  std::shared_ptr<const maintenance::Schedule> schedule;
  std::shared_ptr<maintenance::ManualSwitch> manual;
};

class Pipeline {
 public:
  // `metrics` may be null (tools, tests); it must outlive the pipeline.
  Pipeline(std::shared_ptr<const Snapshot> snapshot, const Clock& clock,
           GatewayMetrics* metrics = nullptr);

  // Runs every stage for a POSTed SOAP request.
  HttpResponse Handle(const HttpRequest& request);
  // A request the front end refused before the pipeline (413, 415, 404, overload, draining):
  // renders the fault for `status` and logs the access line.
  HttpResponse Reject(const HttpRequest& request, const Status& status);

  std::shared_ptr<const Snapshot> snapshot() const;
  void Swap(std::shared_ptr<const Snapshot> snapshot);

 private:
  void Record(const RequestRecord& record);

  const Clock& clock_;
  GatewayMetrics* const metrics_;
  mutable std::mutex mutex_;
  std::shared_ptr<const Snapshot> snapshot_;  // guarded by mutex_
};

}  // namespace shepgw::pipeline
