// The request-path metrics of the gateway (Prometheus families, docs/operations.md lists them).
// Label values are bounded: route names come from the config ("-" before routing), outcomes
// from the error table, stages and directions are fixed words.
#pragma once

#include <atomic>
#include <string>

#include "shepgw/common/metrics.h"

namespace shepgw::pipeline {

struct GatewayMetrics {
  CounterFamily requests{"shepgw_requests_total",
                         "Requests by route and outcome (error token, or ok)",
                         {"route", "outcome"}};
  HistogramFamily stage_seconds{
      "shepgw_stage_duration_seconds", "Time spent per pipeline stage", {"stage"}};
  CounterFamily bytes{"shepgw_body_bytes_total", "Message body bytes by direction", {"direction"}};
  CounterFamily security_failures{"shepgw_security_failures_total",
                                  "Signature, certificate and authorisation failures by reason",
                                  {"reason"}};
  CounterFamily upstream_errors{
      "shepgw_upstream_errors_total", "Upstream failures by route and kind", {"route", "kind"}};
  CounterFamily weak_signatures{"shepgw_weak_signatures_total",
                                "Accepted signatures that used SHA-1 (allowed by config)",
                                {}};
  std::atomic<int64_t> in_flight{0};

  void Render(std::string& out) const;
};

}  // namespace shepgw::pipeline
