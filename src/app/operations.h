// What the admin endpoints say: health (JSON), readiness (JSON + verdict), metrics (Prometheus
// text). Assembled from the process state, the pipeline's snapshot and metrics, and the front
// end's counters. Internal to the app.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "shepgw/admin/admin_server.h"
#include "shepgw/frontend/server.h"
#include "shepgw/maintenance/maintenance.h"
#include "shepgw/pipeline/pipeline.h"

namespace shepgw::app {

struct RuntimeState {
  std::chrono::system_clock::time_point started_at = std::chrono::system_clock::now();
  std::atomic<uint64_t> config_generation{1};
  std::atomic<int64_t> config_loaded_at{0};  // unix seconds
  std::atomic<bool> listening{false};
  std::atomic<bool> draining{false};
  std::atomic<uint64_t> reloads_ok{0};
  std::atomic<uint64_t> reloads_failed{0};
  std::atomic<int64_t> tls_not_after{
      0};  // listener certificate notAfter, unix seconds (0: unknown)
};

struct OperationsView {
  const RuntimeState* state = nullptr;
  const pipeline::Pipeline* pipeline = nullptr;
  const pipeline::GatewayMetrics* metrics = nullptr;
  const frontend::Server* server = nullptr;
  const maintenance::AvailabilityTracker* availability = nullptr;
};

std::string RenderMetrics(const OperationsView& view);
std::string RenderHealth(const OperationsView& view);
admin::Readiness CheckReadiness(const OperationsView& view);
// BY-2 "up": ready, or not ready only because of a planned window (or its lead time).
bool UpForAvailability(const OperationsView& view);

// POST /maintenance/{on,off,status} on the admin listener, with `Authorization: Bearer TOKEN`.
//   on:  ?service=ID (optional) &until=UNIX_SECONDS (optional); the body is the notice (UTF-8)
//   off: ?service=ID (optional; without it every entry ends)
admin::AdminReply HandleMaintenancePost(const admin::AdminPost& post,
                                        maintenance::ManualSwitch& manual,
                                        const std::string& token);

}  // namespace shepgw::app
