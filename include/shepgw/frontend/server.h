// The public HTTPS SOAP front end (gSOAP + OpenSSL).
//
// One accept thread hands connections to a fixed pool of workers through a bounded queue.
// Each worker owns one gSOAP context and serves one connection at a time: the TLS handshake,
// then requests while they keep coming. A keep-alive connection that goes quiet between
// requests is parked: its socket and SSL (no gSOAP context, record buffers released) go to a
// poller thread (epoll), the worker goes back to the pool, and the connection is queued for a
// worker again when its next request arrives. So idle connections hold no worker, and
// `workers` bounds concurrent requests, not open connections. gSOAP does TLS and HTTP
// framing; the body of every POST is taken raw (one buffer) and handed to the pipeline, so
// the envelope is parsed exactly once, by us.
//
// Limits (all from config.limits): body size (→ 413, Content-Length checked before reading),
// header stall and whole-request transfer timeouts, idle keep-alive timeout (the poller's
// timer), requests per connection, open connections (parked ones count) and queue length
// (overflow → 503 + Retry-After from a small reject worker; if even that is busy, the
// connection is closed at once — never an unbounded pile-up).
//
// Thread-safety: Start() then Run() from one thread; BeginDrain()/Stop() from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "shepgw/common/status.h"
#include "shepgw/config/config.h"
#include "shepgw/pipeline/pipeline.h"

namespace shepgw::frontend {

struct ServerStats {
  std::atomic<uint64_t> connections_accepted{0};
  std::atomic<uint64_t> connections_rejected{0};  // overload: 503 sent or closed
  std::atomic<uint64_t> tls_handshake_failures{0};
  std::atomic<uint64_t> requests{0};
  std::atomic<int> active_connections{0};
  std::atomic<int> queued_connections{0};  // waiting for a free worker (new or resumed)
  std::atomic<int> idle_connections{0};    // keep-alive, parked between requests (no worker)
};

class Server {
 public:
  // `wsdl` is served verbatim at GET <path>?wsdl.
  Server(const config::Config& config, pipeline::Pipeline& pipeline, std::string wsdl);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Builds the TLS context and binds the listener. Errors name the file or address.
  Status Start();
  uint16_t bound_port() const;
  // Serves until Stop(). Returns when every worker has finished.
  void Run();
  // Stops accepting; workers finish the request in hand and close keep-alive connections.
  void BeginDrain();
  // Ends Run(): closes the listener and every connection.
  void Stop();
  const ServerStats& stats() const;
  // Certificate rotation: new connections use a TLS context built from `tls`; connections
  // already open keep theirs. On error nothing changes.
  Status ReloadTls(const config::TlsServerConfig& tls);
  // True when every worker and the idle-connection poller showed a sign of life within
  // `max_silence` (waiting for work, between requests or starting one). A worker inside one
  // long request is silent for as long as that request may legitimately take: choose
  // max_silence above the longest timeout.
  bool WorkersResponsive(std::chrono::milliseconds max_silence) const;

  // Checks that the TLS material in `tls` loads (for check-config). Does not bind.
  static Status CheckTls(const config::TlsServerConfig& tls);

  struct Impl;  // opaque; public only so the .cc's helpers can name it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace shepgw::frontend
