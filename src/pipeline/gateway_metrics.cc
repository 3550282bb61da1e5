#include "shepgw/pipeline/gateway_metrics.h"

namespace shepgw::pipeline {

void GatewayMetrics::Render(std::string& out) const {
  requests.Render(out);
  stage_seconds.Render(out);
  bytes.Render(out);
  security_failures.Render(out);
  upstream_errors.Render(out);
  weak_signatures.Render(out);
  out += "# HELP shepgw_requests_in_flight Requests being processed now\n";
  out += "# TYPE shepgw_requests_in_flight gauge\n";
  out += "shepgw_requests_in_flight " + std::to_string(in_flight.load()) + "\n";
}

}  // namespace shepgw::pipeline
