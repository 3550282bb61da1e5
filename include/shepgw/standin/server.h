// The stand-in ShEP: a gSOAP SyncChannel server over plain HTTP for tests and demos.
//
// Server binds a loopback port, then Run() accepts connections and serves each on its own
// thread (at most max_connections at once; further connections wait in the listen backlog) with
// HTTP keep-alive. SendMessage is answered as ShEP would (SCSS001, correlationId = request
// messageId, braced sessionId) unless a fault-injection mode applies (mode.h, docs/standin.md).
// GET on any path with "?wsdl" returns the embedded contract WSDL.
// Ownership: Server owns the listening gSOAP context and one copy per connection thread.
// Thread-safety: Bind/Run/port from one thread; RequestStop() from any thread or a signal
// handler (it only stores an atomic flag; Run notices it within 200 ms).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "shepgw/common/status.h"
#include "shepgw/standin/mode.h"

namespace shepgw::standin {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0 = ephemeral
  Mode default_mode;
  std::string log_requests_path;  // empty = no request log
  int max_connections = 64;
  int max_keep_alive = 100;  // requests per connection
  std::chrono::seconds io_timeout{30};
};

class Server {
 public:
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  static Result<std::unique_ptr<Server>> Bind(const ServerOptions& options);
  // The bound port (useful with port 0).
  int port() const;
  // Serves until RequestStop(); then waits (bounded) for connection threads to finish.
  Status Run();
  void RequestStop();

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace shepgw::standin
