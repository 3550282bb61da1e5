#include "operations.h"

#include <cstdio>
#include <vector>

#include "shepgw/common/logging.h"
#include "shepgw/version.h"

namespace shepgw::app {
namespace {

using std::chrono::system_clock;

int64_t UnixSeconds(system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

double DaysLeft(system_clock::time_point t) {
  return static_cast<double>(UnixSeconds(t) - UnixSeconds(system_clock::now())) / 86400.0;
}

void Gauge(std::string& out, const char* name, const char* help, const std::string& value,
           const char* labels = "") {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += " gauge\n";
  out += name;
  out += labels;
  out += ' ';
  out += value;
  out += '\n';
}

void Counter(std::string& out, const char* name, const char* help,
             const std::vector<std::pair<std::string, uint64_t>>& series) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += " counter\n";
  for (const auto& [labels, value] : series) {
    out += name;
    out += labels;
    out += ' ';
    out += std::to_string(value);
    out += '\n';
  }
}

// Expiry of every certificate the operator must renew in time, as (name, notAfter).
std::vector<std::pair<std::string, system_clock::time_point>> Expiries(
    const OperationsView& v, const pipeline::Snapshot& snap) {
  std::vector<std::pair<std::string, system_clock::time_point>> out;
  if (const int64_t tls = v.state->tls_not_after.load(); tls != 0) {
    out.emplace_back("tls", system_clock::time_point(std::chrono::seconds(tls)));
  }
  if (snap.gateway_key != nullptr) {
    out.emplace_back("signing", pki::DescribeCertificate(snap.gateway_key->cert.get()).not_after);
  }
  if (snap.trust != nullptr &&
      snap.trust->EarliestCrlNextUpdate() != system_clock::time_point::max()) {
    out.emplace_back("crl_next_update", snap.trust->EarliestCrlNextUpdate());
  }
  return out;
}

}  // namespace

std::string RenderMetrics(const OperationsView& v) {
  std::string out;
  out.reserve(16384);
  const auto snap = v.pipeline->snapshot();
  Gauge(out, "shepgw_build_info", "Version of the running gateway", "1",
        "{version=\"" SHEPGW_VERSION "\"}");
  Gauge(out, "shepgw_start_time_seconds", "Process start, unix time",
        std::to_string(UnixSeconds(v.state->started_at)));
  Gauge(out, "shepgw_config_generation", "Configuration generation (1 at start, +1 per reload)",
        std::to_string(v.state->config_generation.load()));
  Gauge(out, "shepgw_config_loaded_time_seconds", "When the running configuration was loaded",
        std::to_string(v.state->config_loaded_at.load()));
  Counter(out, "shepgw_config_reloads_total", "Configuration reloads by result",
          {{"{result=\"ok\"}", v.state->reloads_ok.load()},
           {"{result=\"failed\"}", v.state->reloads_failed.load()}});
  Gauge(out, "shepgw_ready", "1 when /ready answers 200", CheckReadiness(v).ready ? "1" : "0");
  Gauge(out, "shepgw_draining", "1 while draining after SIGTERM",
        v.state->draining.load() ? "1" : "0");
  out += "# HELP shepgw_certificate_expiry_timestamp_seconds notAfter (or CRL nextUpdate)\n";
  out += "# TYPE shepgw_certificate_expiry_timestamp_seconds gauge\n";
  for (const auto& [name, when] : Expiries(v, *snap)) {
    out += "shepgw_certificate_expiry_timestamp_seconds{certificate=\"" + name + "\"} " +
           std::to_string(UnixSeconds(when)) + "\n";
  }
  const auto& fs = v.server->stats();
  Counter(out, "shepgw_connections_accepted_total", "TCP connections accepted",
          {{"", fs.connections_accepted.load()}});
  Counter(out, "shepgw_connections_rejected_total",
          "Connections refused for overload (503 or closed)",
          {{"", fs.connections_rejected.load()}});
  Counter(out, "shepgw_tls_handshake_failures_total", "Failed TLS handshakes",
          {{"", fs.tls_handshake_failures.load()}});
  Gauge(out, "shepgw_connections_active", "Client connections open or queued",
        std::to_string(fs.active_connections.load()));
  if (snap->trust != nullptr) {
    Counter(out, "shepgw_crl_reload_failures_total", "CRL files that failed to reload",
            {{"", snap->trust->crl_reload_failures()}});
    Counter(out, "shepgw_certificate_cache_hits_total", "Signer-certificate verdict cache hits",
            {{"", snap->trust->cache_hits()}});
  }
  v.metrics->Render(out);
  return out;
}

std::string RenderHealth(const OperationsView& v) {
  const auto snap = v.pipeline->snapshot();
  const auto now = system_clock::now();
  std::string out = "{\"status\":\"ok\",\"version\":\"" SHEPGW_VERSION "\"";
  out +=
      ",\"uptime_seconds\":" + std::to_string(UnixSeconds(now) - UnixSeconds(v.state->started_at));
  out += ",\"config\":{\"generation\":" + std::to_string(v.state->config_generation.load()) +
         ",\"loaded_at\":\"" +
         FormatXsdDateTime(
             system_clock::time_point(std::chrono::seconds(v.state->config_loaded_at.load()))) +
         "\",\"path\":\"" + JsonEscape(snap->config->source_path) + "\"}";
  out += ",\"draining\":" + std::string(v.state->draining.load() ? "true" : "false");
  out += ",\"in_flight\":" + std::to_string(v.metrics->in_flight.load());
  out += ",\"connections_active\":" + std::to_string(v.server->stats().active_connections.load());
  out += ",\"wss\":" + std::string(snap->verifier != nullptr ? "true" : "false");
  out += ",\"routes\":[";
  bool first = true;
  for (const auto& r : snap->routes->routes()) {
    out += first ? "" : ",";
    first = false;
    out += "{\"name\":\"" + JsonEscape(r.name) + "\",\"upstreams\":[";
    for (size_t i = 0; i < r.upstreams.size(); ++i) {
      out += (i == 0 ? "\"" : ",\"") + JsonEscape(r.upstreams[i]) + "\"";
    }
    out += "]}";
  }
  out += "],\"certificates_days_left\":{";
  first = true;
  for (const auto& [name, when] : Expiries(v, *snap)) {
    char days[32];
    std::snprintf(days, sizeof(days), "%.1f", DaysLeft(when));
    out += (first ? "\"" : ",\"") + name + "\":" + days;
    first = false;
  }
  out += "}}";
  return out;
}

admin::Readiness CheckReadiness(const OperationsView& v) {
  std::vector<std::string> reasons;
  if (!v.state->listening.load()) {
    reasons.emplace_back("listener not bound");
  }
  if (v.state->draining.load()) {
    reasons.emplace_back("draining (shutting down)");
  }
  admin::Readiness r;
  r.ready = reasons.empty();
  r.json = std::string("{\"ready\":") + (r.ready ? "true" : "false") + ",\"reasons\":[";
  for (size_t i = 0; i < reasons.size(); ++i) {
    r.json += (i == 0 ? "\"" : ",\"") + JsonEscape(reasons[i]) + "\"";
  }
  r.json += "]}";
  return r;
}

}  // namespace shepgw::app
