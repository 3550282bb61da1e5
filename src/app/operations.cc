#include "operations.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <openssl/crypto.h>

#include "shepgw/common/logging.h"
#include "shepgw/common/metrics.h"
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
  AppendMetricHeader(out, name, help, "gauge");
  out += name;
  out += labels;
  out += ' ';
  out += value;
  out += '\n';
}

void Counter(std::string& out, const char* name, const char* help,
             const std::vector<std::pair<std::string, uint64_t>>& series) {
  AppendMetricHeader(out, name, help, "counter");
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

std::string WindowJson(const maintenance::WindowInfo& w) {
  std::string out = std::string("{\"kind\":\"") +
                    (w.kind == maintenance::WindowInfo::Kind::kPlanned ? "planned" : "unplanned") +
                    "\",\"start\":\"" + FormatXsdDateTime(w.start) + "\"";
  if (w.end) {
    out += ",\"end\":\"" + FormatXsdDateTime(*w.end) + "\"";
  }
  out += ",\"services\":[";
  for (size_t i = 0; i < w.services.size(); ++i) {
    out += (i == 0 ? "\"" : ",\"") + JsonEscape(w.services[i]) + "\"";
  }
  out += "],\"notice\":\"" + JsonEscape(w.notice) + "\"}";
  return out;
}

maintenance::State GatewayMaintenance(const pipeline::Snapshot& snap) {
  if (snap.schedule == nullptr) {
    return {};
  }
  const auto manual =
      snap.manual != nullptr ? snap.manual->Status() : std::make_shared<maintenance::ManualState>();
  return snap.schedule->At(system_clock::now(), "", *manual);
}

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
  Gauge(out, "shepgw_connections_queued", "Connections waiting for a free worker",
        std::to_string(fs.queued_connections.load()));
  Gauge(out, "shepgw_connections_idle",
        "Keep-alive connections idle between requests (parked: no worker held)",
        std::to_string(fs.idle_connections.load()));
  if (snap->trust != nullptr) {
    Counter(out, "shepgw_crl_reload_failures_total", "CRL files that failed to reload",
            {{"", snap->trust->crl_reload_failures()}});
    Counter(out, "shepgw_certificate_cache_hits_total", "Signer-certificate verdict cache hits",
            {{"", snap->trust->cache_hits()}});
  }
  out +=
      "# HELP shepgw_upstream_up 1 when the upstream answers its health probe and its circuit "
      "breaker is closed\n# TYPE shepgw_upstream_up gauge\n";
  const auto health = snap->connector->Health();
  for (const auto& h : health) {
    AppendSeriesName(out, "shepgw_upstream_up", {"upstream"}, {h.url});
    out += h.healthy() ? " 1\n" : " 0\n";
  }
  out +=
      "# HELP shepgw_circuit_breaker_open 1 while requests skip the upstream\n"
      "# TYPE shepgw_circuit_breaker_open gauge\n";
  for (const auto& h : health) {
    AppendSeriesName(out, "shepgw_circuit_breaker_open", {"upstream"}, {h.url});
    out += h.breaker_open ? " 1\n" : " 0\n";
  }
  const maintenance::State m = GatewayMaintenance(*snap);
  Gauge(out, "shepgw_maintenance_active", "1 while a gateway-wide maintenance window is in force",
        m.in_window ? "1" : "0");
  if (v.availability != nullptr && snap->schedule != nullptr) {
    const auto report = v.availability->Report(system_clock::now(), *snap->schedule);
    char kav[32];
    std::snprintf(kav, sizeof(kav), "%.4f", report.kav_percent);
    Gauge(out, "shepgw_availability_percent",
          "Kav = (Tplanned - Tdown) / Tplanned * 100 over the sliding window (BY-2)", kav);
    Gauge(out, "shepgw_availability_planned_seconds",
          "Tplanned: observed time minus planned breaks", std::to_string(report.t_planned.count()));
    Gauge(out, "shepgw_availability_down_seconds", "Tdown: time down outside planned breaks",
          std::to_string(report.t_down.count()));
    Gauge(out, "shepgw_availability_planned_break_seconds",
          "Planned maintenance time inside the sliding window",
          std::to_string(report.planned_break.count()));
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
  out += ",\"connections_idle\":" + std::to_string(v.server->stats().idle_connections.load());
  out += ",\"wss\":" + std::string(snap->verifier != nullptr ? "true" : "false");
  out += ",\"routes\":[";
  const auto health = snap->connector->Health();
  bool first = true;
  for (const auto& r : snap->routes->routes()) {
    out += first ? "" : ",";
    first = false;
    out += "{\"name\":\"" + JsonEscape(r.name) +
           "\",\"optional\":" + (r.optional ? "true" : "false") + ",\"upstreams\":[";
    for (size_t i = 0; i < r.upstreams.size(); ++i) {
      const auto it = std::find_if(health.begin(), health.end(),
                                   [&](const auto& h) { return h.url == r.upstreams[i]; });
      out += (i == 0 ? "{" : ",{") + std::string("\"url\":\"") + JsonEscape(r.upstreams[i]) + "\"";
      if (it != health.end()) {
        out += std::string(",\"status\":\"") +
               (!it->probed     ? "unknown"
                : it->healthy() ? "up"
                                : "down") +
               "\",\"circuit_breaker\":\"" + (it->breaker_open ? "open" : "closed") + "\"";
      }
      out += "}";
    }
    out += "]}";
  }
  out += "]";
  if (snap->schedule != nullptr) {
    const maintenance::State m = GatewayMaintenance(*snap);
    out += ",\"maintenance\":{\"in_window\":" + std::string(m.in_window ? "true" : "false");
    out += ",\"draining_soon\":" + std::string(m.draining_soon ? "true" : "false");
    if (m.window) {
      out += ",\"current\":" + WindowJson(*m.window);
    }
    if (auto next = snap->schedule->NextWindow(now)) {
      out += ",\"next\":" + WindowJson(*next);
    }
    if (snap->manual != nullptr) {
      out += ",\"unplanned\":" + std::to_string(snap->manual->Status()->entries.size());
    }
    out += "}";
  }
  if (v.availability != nullptr && snap->schedule != nullptr) {
    const auto report = v.availability->Report(now, *snap->schedule);
    char kav[32];
    std::snprintf(kav, sizeof(kav), "%.4f", report.kav_percent);
    out += ",\"availability\":{\"kav_percent\":" + std::string(kav) +
           ",\"t_planned_seconds\":" + std::to_string(report.t_planned.count()) +
           ",\"t_down_seconds\":" + std::to_string(report.t_down.count()) + "}";
  }
  out += ",\"certificates_days_left\":{";
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
  const auto snap = v.pipeline->snapshot();
  const auto health = snap->connector->Health();
  for (const auto& r : snap->routes->routes()) {
    if (r.optional) {
      continue;
    }
    bool any = false;
    for (const auto& url : r.upstreams) {
      const auto it =
          std::find_if(health.begin(), health.end(), [&](const auto& h) { return h.url == url; });
      any = any || it == health.end() || it->healthy();  // not probed yet: not held against it
    }
    if (!any) {
      reasons.push_back("route " + r.name + ": no healthy upstream");
    }
  }
  const maintenance::State m = GatewayMaintenance(*snap);
  if (m.in_window) {
    reasons.emplace_back("maintenance: " + (m.window ? m.window->notice : std::string()));
  } else if (m.draining_soon && m.upcoming) {
    reasons.emplace_back("maintenance window starts at " + FormatXsdDateTime(m.upcoming->start));
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

bool UpForAvailability(const OperationsView& v) {
  if (CheckReadiness(v).ready) {
    return true;
  }
  const maintenance::State m = GatewayMaintenance(*v.pipeline->snapshot());
  return (m.in_window && m.window && m.window->kind == maintenance::WindowInfo::Kind::kPlanned) ||
         (m.draining_soon && m.upcoming &&
          m.upcoming->kind == maintenance::WindowInfo::Kind::kPlanned);
}

namespace {

std::string QueryParam(std::string_view query, std::string_view name) {
  size_t pos = 0;
  while (pos <= query.size()) {
    const size_t amp = query.find('&', pos);
    const std::string_view pair =
        query.substr(pos, amp == std::string_view::npos ? std::string_view::npos : amp - pos);
    if (pair.size() > name.size() && pair.substr(0, name.size()) == name &&
        pair[name.size()] == '=') {
      std::string out;
      const std::string_view raw = pair.substr(name.size() + 1);
      for (size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '%' && i + 2 < raw.size() &&
            std::isxdigit(static_cast<unsigned char>(raw[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(raw[i + 2]))) {
          const char hex[3] = {raw[i + 1], raw[i + 2], 0};
          out += static_cast<char>(std::strtol(hex, nullptr, 16));
          i += 2;
        } else {
          out += raw[i] == '+' ? ' ' : raw[i];
        }
      }
      return out;
    }
    if (amp == std::string_view::npos) {
      break;
    }
    pos = amp + 1;
  }
  return {};
}

admin::AdminReply Json(int status, const std::string& message) {
  return {status, "{\"result\":\"" + JsonEscape(message) + "\"}"};
}

}  // namespace

admin::AdminReply HandleMaintenancePost(const admin::AdminPost& post,
                                        maintenance::ManualSwitch& manual,
                                        const std::string& token) {
  if (token.empty()) {
    return Json(403, "maintenance control is disabled: set admin.token_file");
  }
  const std::string expected = "Bearer " + token;
  if (post.authorization.size() != expected.size() ||
      CRYPTO_memcmp(post.authorization.data(), expected.data(), expected.size()) != 0) {
    Log().warn("admin: maintenance request with a missing or wrong token refused");
    return Json(401, "missing or wrong bearer token");
  }
  std::optional<std::string> service;
  if (std::string s = QueryParam(post.query, "service"); !s.empty()) {
    service = s;
  }
  if (post.path == "/maintenance/status") {
    return {200, maintenance::RenderManualState(*manual.Status()).empty()
                     ? std::string("{\"unplanned\":[]}")
                     : "{\"unplanned\":\"" +
                           JsonEscape(maintenance::RenderManualState(*manual.Status())) + "\"}"};
  }
  if (post.path == "/maintenance/on") {
    std::optional<maintenance::TimePoint> until;
    if (std::string u = QueryParam(post.query, "until"); !u.empty()) {
      char* end = nullptr;
      const long long secs = std::strtoll(u.c_str(), &end, 10);
      if (end == u.c_str() || *end != '\0' || secs <= 0) {
        return Json(400, "until must be unix seconds");
      }
      until = system_clock::time_point(std::chrono::seconds(secs));
    }
    const auto change = manual.On(service, post.body, until, system_clock::now());
    if (!change.applied) {
      return Json(400, change.error);
    }
    Log().warn("unplanned maintenance ON for {}{}: {}", service ? *service : "the whole gateway",
               until ? " until " + FormatXsdDateTime(*until) : "", SanitizeForLog(post.body));
    return Json(200, change.error.empty() ? "maintenance on" : "maintenance on; " + change.error);
  }
  if (post.path == "/maintenance/off") {
    const auto change = manual.Off(service);
    if (!change.applied) {
      return Json(400, change.error);
    }
    Log().warn("unplanned maintenance OFF for {}", service ? *service : "everything");
    return Json(200, change.error.empty() ? "maintenance off" : "maintenance off; " + change.error);
  }
  return Json(404, "unknown admin action: " + post.path);
}

}  // namespace shepgw::app
