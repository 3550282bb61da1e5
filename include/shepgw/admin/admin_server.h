// The admin listener: plain HTTP for operators and dashboards (loopback by default).
//
//   GET /health   liveness + JSON detail (200 while the process serves)
//   GET /ready    200 when ready to take traffic, 503 with the reasons otherwise (JSON)
//   GET /metrics  Prometheus text format
//   POST ...      handed to AdminHandlers::post (maintenance control; token-protected there)
//
// The server is a thin HTTP layer (gSOAP, one thread, one request per connection, short
// timeouts); what the endpoints say comes from the callbacks the app wires in.
//
// Thread-safety: Start() then Run() on one thread; Stop() from any thread. Callbacks are
// called on the admin thread and must be thread-safe with respect to the rest of the gateway.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "shepgw/common/status.h"
#include "shepgw/config/config.h"

namespace shepgw::admin {

struct Readiness {
  bool ready = false;
  std::string json;  // {"ready":false,"reasons":[...]}
};

// A POST to the admin listener (maintenance control). The body is capped at 8 KiB.
struct AdminPost {
  std::string path;           // without the query string
  std::string query;          // after '?', undecoded
  std::string authorization;  // the Authorization header, verbatim
  std::string body;
};

struct AdminReply {
  int status = 200;
  std::string json;
};

struct AdminHandlers {
  std::function<std::string()> metrics;  // Prometheus text exposition
  std::function<std::string()> health;   // JSON object
  std::function<Readiness()> ready;
  std::function<AdminReply(const AdminPost&)> post;  // null: POST answers 405
};

class AdminServer {
 public:
  explicit AdminServer(AdminHandlers handlers);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds the listener. Errors name the address.
  Status Start(const config::AdminConfig& config);
  uint16_t bound_port() const;
  // Serves until Stop().
  void Run();
  void Stop();

  struct Impl;  // opaque; public only so the .cc's gSOAP callbacks can name it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace shepgw::admin
