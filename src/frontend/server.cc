#include "shepgw/frontend/server.h"

#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "stdsoap2.h"

#include "shepgw/common/logging.h"

#include "tls_context.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

namespace shepgw::frontend {
namespace {

using std::chrono::steady_clock;

// A client connection between the accept thread, the workers and the poller. A new one has
// only fd and peer; a keep-alive connection coming back from the poller also carries its TLS
// state (the handshake is done once), which the worker attaches to its own gSOAP context.
struct Connection {
  int fd = -1;
  std::string peer;
  SSL* ssl = nullptr;          // owned while parked or queued; nullptr before the handshake
  SSL_CTX* ssl_ctx = nullptr;  // this connection's reference (kept across TLS reloads)
  int keep_alive = 0;          // gSOAP's keep_alive value, restored on the next worker
  int requests = 0;            // requests served so far (max_requests_per_connection)
};

// A worker that has just answered lingers up to this long for the client's next request
// before it parks the connection, but only while no other connection waits for a worker (the
// reclaim signal ends a linger at once). A client in a request loop, the common case under
// load, then costs no trip through the poller; a client that goes quiet is parked soon, and
// from then on its idle timeout is the poller's timer.
constexpr std::chrono::milliseconds kLinger{250};

// The longest the poller sleeps: its heartbeat period and the bound on how late a drain,
// a stop or an idle timeout is noticed.
constexpr int kPollerTickMs = 200;

std::string PeerString(const sockaddr_storage& addr) {
  char host[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
    port = ntohs(a->sin_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
    port = ntohs(a->sin6_port);
  }
  return "[" + std::string(host) + "]:" + std::to_string(port);
}

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             steady_clock::now().time_since_epoch())
      .count();
}

// gSOAP timeouts: positive = seconds, negative = microseconds.
int GsoapTimeout(std::chrono::milliseconds ms) {
  const int64_t us = static_cast<int64_t>(ms.count()) * 1000;
  return us >= 2'000'000'000LL ? static_cast<int>(ms.count() / 1000) : -static_cast<int>(us);
}

bool MediaTypeAccepted(std::string_view content_type) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && type.back() == ' ') {
    type.remove_suffix(1);
  }
  // ShEP clients send text/xml; some send application/xml; SOAP 1.2's type is refused later
  // by the envelope check with a clearer message, so let it through here.
  return strncasecmp(type.data(), "text/xml", type.size()) == 0 && type.size() == 8
             ? true
             : (type.size() == 15 && strncasecmp(type.data(), "application/xml", 15) == 0) ||
                   (type.size() == 20 && strncasecmp(type.data(), "application/soap+xml", 20) == 0);
}

}  // namespace

struct Server::Impl {
  Impl(config::Config cfg, pipeline::Pipeline& p, std::string w)
      : config(std::move(cfg)), pipeline(p), wsdl(std::move(w)) {}

  const config::Config config;  // a copy: the listener's settings change only by restart
  pipeline::Pipeline& pipeline;
  const std::string wsdl;
  // The TLS context new connections use; replaced by ReloadTls (certificate rotation).
  // Guarded by tls_mu; each connection holds its own reference for its whole life.
  std::mutex tls_mu;
  SslCtxPtr ssl_ctx;
  // Per-worker liveness (steady-clock ms), for the systemd watchdog: a worker touches its
  // slot while it waits for work, between requests, and at the start of every request.
  std::unique_ptr<std::atomic<int64_t>[]> heartbeats;
  int heartbeat_slots = 0;
  int listen_fd = -1;
  uint16_t port = 0;
  std::atomic<bool> stopping{false};
  std::atomic<bool> draining{false};
  ServerStats stats;

  std::mutex mu;
  std::condition_variable cv;           // workers: queue has a connection, or stopping
  std::condition_variable reject_cv;    // the reject worker: reject_queue, or stopping
  std::deque<Connection> queue;         // guarded by mu
  std::deque<Connection> reject_queue;  // guarded by mu
  std::unordered_set<int> open_fds;     // guarded by mu (to shut them down on Stop)

  // Keep-alive connections idle between requests: no worker, no gSOAP context, only the
  // socket and its SSL (whose record buffers SSL_MODE_RELEASE_BUFFERS has dropped). The
  // poller thread watches them with epoll and queues a readable one for a worker again; it
  // closes one idle past limits.idle_timeout, and all of them at once on drain or stop.
  struct Parked {
    Connection conn;
    int64_t deadline_ms = 0;  // steady clock: closed when idle until then
  };
  int epoll_fd = -1;
  int wake_fd = -1;  // eventfd: wakes the poller for a drain or a stop
  // eventfd, readable while connections wait in `queue` with no worker free to take them
  // (and on drain/stop): lingering workers park their connection and come for the queue.
  int reclaim_fd = -1;
  int waiting_workers = 0;  // workers blocked in PopConnection; guarded by mu
  std::mutex park_mu;
  std::unordered_map<int, Parked> parked;         // by fd; guarded by park_mu
  std::set<std::pair<int64_t, int>> park_expiry;  // (deadline, fd); guarded by park_mu

  void AcceptLoop();
  void WorkerLoop(bool reject_mode, int slot);
  void PollerLoop(std::atomic<int64_t>* heartbeat);
  bool PopConnection(bool reject_mode, Connection* out, std::atomic<int64_t>* heartbeat);
  // Queues a connection for a worker (mu held); signals reclaim_fd if no worker is free.
  void EnqueueLocked(Connection c);
  void SignalReclaim() const;
  // Forgets a descriptor about to be closed (before close: Stop() must never shut down a
  // reused descriptor) and counts the connection as gone.
  void ForgetConnection(int fd);
  // Hands an idle keep-alive connection (TLS done, nothing buffered) to the poller.
  void Park(Connection c, int64_t idle_since_ms);
  // Closes a connection no worker holds (parked, or left in the queue at exit): TLS
  // close_notify without waiting for the client's, socket, SSL and its SSL_CTX reference.
  void CloseDetached(Connection& c);
  void Wake() const;
};

namespace {

// One worker's gSOAP context and per-request state; soap->user points here.
struct Worker {
  Server::Impl* server = nullptr;
  soap* ctx = nullptr;
  std::atomic<int64_t>* heartbeat = nullptr;
  bool reject_mode = false;
  int (*default_parse_header)(soap*, const char*, const char*) = nullptr;
  Connection conn;
  int requests_on_connection = 0;
  std::string content_type;
  std::string host;
  steady_clock::time_point request_started;
  char extra_header[64] = {0};
  bool unread_body = false;  // refused before reading the body: close gracefully
  std::string pipelined;     // the next request's bytes, kept while an answer is sent

  static Worker* From(soap* s) { return static_cast<Worker*>(s->user); }

  static int ParseHeader(soap* s, const char* key, const char* val) {
    Worker* w = From(s);
    if (soap_tag_cmp(key, "Content-Type") == 0) {
      w->content_type = val;
    } else if (soap_tag_cmp(key, "Host") == 0) {
      w->host = val;
    }
    const int err = w->default_parse_header(s, key, val);
    // fform is reset at every soap_begin_recv, so set it per request: every POST comes to
    // us raw, after the headers and before the body.
    s->fform = &Worker::OnPost;
    return err;
  }

  static int OnPost(soap* s) { return From(s)->HandlePost(); }
  static int OnGet(soap* s) { return From(s)->HandleGet(); }

  std::string_view PathWithoutQuery() const {
    std::string_view path(ctx->path);
    return path.substr(0, path.find('?'));
  }

  bool IsSoapPath(std::string_view path) const {
    for (const auto& p : server->config.listen.paths) {
      if (p == path) {
        return true;
      }
    }
    return false;
  }

  int Send(const pipeline::HttpResponse& response) {
    // gSOAP buffers output in the same buffer it reads into: bytes of the client's next
    // request that arrived with this one (pipelining) would be overwritten by the answer.
    // Keep them aside and put them back afterwards (the next soap_begin_recv reads them).
    pipelined.clear();
    if (ctx->bufidx < ctx->buflen) {
      pipelined.assign(ctx->buf + ctx->bufidx, ctx->buflen - ctx->bufidx);
    }
    const int rc = SendResponse(response);
    if (rc == SOAP_OK && !pipelined.empty()) {
      std::memcpy(ctx->buf, pipelined.data(), pipelined.size());
      ctx->bufidx = 0;
      ctx->buflen = pipelined.size();
    }
    return rc;
  }

  int SendResponse(const pipeline::HttpResponse& response) {
    ctx->http_content = response.content_type.c_str();
    if (response.retry_after_seconds > 0) {
      std::snprintf(extra_header, sizeof(extra_header), "Retry-After: %d",
                    response.retry_after_seconds);
      ctx->http_extra_header = extra_header;
    }
    if (soap_response(ctx, SOAP_FILE + response.status) != SOAP_OK ||
        soap_send_raw(ctx, response.body.data(), response.body.size()) != SOAP_OK ||
        soap_end_send(ctx) != SOAP_OK) {
      Log().debug("peer {}: response not delivered (gSOAP error {})", conn.peer, ctx->error);
      ctx->keep_alive = 0;
      return ctx->error;
    }
    return SOAP_OK;
  }

  pipeline::HttpRequest MakeRequest(std::string_view body) const {
    pipeline::HttpRequest r;
    r.path = ctx->path;
    r.content_type = content_type;
    r.body = body;
    r.peer = conn.peer;
    r.received_at = request_started;
    r.deadline = request_started + server->config.limits.client_timeout;
    return r;
  }

  int Refuse(ErrorCode code, std::string message) {
    ctx->keep_alive = 0;  // the body was not read: the connection cannot be reused
    unread_body = true;
    return Send(server->pipeline.Reject(MakeRequest({}), Status(code, std::move(message))));
  }

  int HandlePost() {
    server->stats.requests.fetch_add(1, std::memory_order_relaxed);
    const auto& limits = server->config.limits;
    if (++requests_on_connection >= limits.max_requests_per_connection || server->draining.load()) {
      ctx->keep_alive = 0;  // "Connection: close" on this answer
    }
    if (reject_mode) {
      return Refuse(ErrorCode::kGatewayOverloaded, "too many connections");
    }
    const std::string_view path = PathWithoutQuery();
    if (!IsSoapPath(path)) {
      return Refuse(ErrorCode::kHttpUnknownPath,
                    "no SOAP endpoint at '" + SanitizeForLog(path, 100) + "'");
    }
    if (!MediaTypeAccepted(content_type)) {
      return Refuse(ErrorCode::kHttpUnsupportedMediaType,
                    "Content-Type '" + SanitizeForLog(content_type, 100) +
                        "' (use text/xml or application/xml)");
    }
    const uint64_t declared = ctx->length;
    if (declared > limits.max_body_bytes) {
      return Refuse(ErrorCode::kHttpBodyTooLarge,
                    "Content-Length " + std::to_string(declared) + " exceeds the limit of " +
                        std::to_string(limits.max_body_bytes) + " bytes");
    }
    size_t len = 0;
    char* body = soap_http_get_body(ctx, &len);
    if (body == nullptr) {
      if (ctx->error == SOAP_EOM) {
        return Refuse(ErrorCode::kHttpBodyTooLarge, "chunked body exceeds the limit of " +
                                                        std::to_string(limits.max_body_bytes) +
                                                        " bytes");
      }
      return Refuse(ErrorCode::kHttpBadRequest, "request body could not be read");
    }
    if (len > limits.max_body_bytes) {
      return Refuse(
          ErrorCode::kHttpBodyTooLarge,
          "body exceeds the limit of " + std::to_string(limits.max_body_bytes) + " bytes");
    }
    if (declared != 0 && len < declared) {
      return Refuse(ErrorCode::kHttpBadRequest, "truncated body: " + std::to_string(len) + " of " +
                                                    std::to_string(declared) + " bytes received");
    }
    if (soap_end_recv(ctx) != SOAP_OK) {
      ctx->keep_alive = 0;
    }
    pipeline::HttpRequest request = MakeRequest(std::string_view(body, len));
    // soap_http_get_body returns one soap_malloc block (Content-Length and chunked bodies
    // alike), which soap_dealloc frees on its own: give it back as soon as the pipeline is
    // done with it, not at soap_end after the answer (a 10 MB body would otherwise be held
    // beside its 50 MB tree). A prefix the parser is done with gives its pages back to the
    // kernel at once (MADV_DONTNEED: the block stays allocated and nothing reads those
    // pages again; only pages wholly inside the body, so neither malloc's chunk header
    // before it nor gSOAP's canary and list link after it are touched).
    request.release_body = [this, body, len, dropped = body](size_t n) mutable {
      if (n >= len) {
        soap_dealloc(ctx, body);
        Log().debug("peer {}: request body ({} bytes) released", conn.peer, len);
        return;
      }
      static const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
      const auto offset = [](const char* p) { return reinterpret_cast<uintptr_t>(p) % page; };
      char* from = dropped + (page - offset(dropped)) % page;  // first page boundary >= dropped
      char* to = body + n - offset(body + n);                  // last page boundary <= body + n
      if (to > from) {
        (void)madvise(from, static_cast<size_t>(to - from), MADV_DONTNEED);
        dropped = to;
      }
    };
    return Send(server->pipeline.Handle(request));
  }

  int HandleGet() {
    const std::string_view full(ctx->path);
    const auto q = full.find('?');
    const std::string_view path = full.substr(0, q);
    const std::string_view query = q == std::string_view::npos ? "" : full.substr(q + 1);
    pipeline::HttpResponse response;
    if (IsSoapPath(path) && (query == "wsdl" || query == "WSDL")) {
      response.body = server->wsdl;
    } else {
      response.status = 404;
      response.content_type = "text/plain; charset=utf-8";
      response.body = "Not found. The WSDL is at <endpoint path>?wsdl\n";
    }
    return Send(response);
  }

  enum class Outcome { kClosed, kParked };

  // Serves one client connection until it closes, fails or hits its limits, or until it
  // idles between requests: then it is parked (handed to the poller) and the worker is free.
  Outcome Serve(Connection c) {
    conn = std::move(c);
    requests_on_connection = conn.requests;
    const auto& limits = server->config.limits;
    soap_begin(ctx);
    ctx->socket = conn.fd;
    ctx->recv_timeout =
        GsoapTimeout(reject_mode ? std::chrono::milliseconds(2000) : limits.header_timeout);
    ctx->send_timeout = ctx->recv_timeout;
    ctx->transfer_timeout =
        GsoapTimeout(reject_mode ? std::chrono::milliseconds(3000) : limits.body_timeout);
    ctx->recv_maxlength = limits.max_body_bytes + 64ULL * 1024;  // body + headers
    bool serving = false;
    if (conn.ssl != nullptr) {
      // Back from the poller: the request's first bytes are readable. Nothing of this
      // connection is in our buffer (it was parked only with an empty one).
      ctx->ctx = std::exchange(conn.ssl_ctx, nullptr);
      ctx->ssl = std::exchange(conn.ssl, nullptr);
      ctx->keep_alive = conn.keep_alive;
      ctx->bufidx = 0;
      ctx->buflen = 0;
      serving = true;
    } else {
      {
        std::lock_guard lock(server->tls_mu);
        if (SSL_CTX_up_ref(server->ssl_ctx.get()) == 1) {
          ctx->ctx = server->ssl_ctx.get();  // this connection's reference, released at close
        }
      }
      if (ctx->ctx == nullptr) {
        Log().error("peer {}: cannot reference the TLS context", conn.peer);
      } else if (soap_ssl_accept(ctx) != SOAP_OK) {
        server->stats.tls_handshake_failures.fetch_add(1, std::memory_order_relaxed);
        Log().debug("peer {}: TLS handshake failed", conn.peer);
      } else {
        ctx->keep_alive = -1;  // HTTP/1.1 keep-alive unless the client or a limit says no
        serving = true;
      }
    }
    while (serving && !server->stopping.load()) {
      request_started = steady_clock::now();
      heartbeat->store(NowMillis(), std::memory_order_relaxed);
      content_type.clear();
      host.clear();
      const int rc = soap_begin_serve(ctx);  // headers → OnPost/OnGet; SOAP_STOP when done
      if (rc == SOAP_OK) {
        // gSOAP parsed a SOAP envelope itself: only happens without HTTP; refuse.
        break;
      }
      if (ctx->error < SOAP_STOP || ctx->keep_alive == 0 || !soap_valid_socket(ctx->socket)) {
        break;
      }
      // gSOAP keeps what it allocated for a request (the body buffer, header copies) until
      // soap_end: free it after every request, or a long keep-alive connection holds every
      // body it ever carried (memory growing with requests served).
      soap_destroy(ctx);
      soap_end(ctx);
      const int64_t idle_since = NowMillis();
      if (reject_mode || server->draining.load()) {
        break;
      }
      // Bytes of the next request already read (pipelining) are in gSOAP's buffer or in
      // OpenSSL's: serve them now; parking would lose them (the poller only sees the socket).
      if (ctx->bufidx < ctx->buflen || SSL_pending(ctx->ssl) > 0) {
        continue;
      }
      const Linger next = LingerForNextRequest(idle_since);
      if (next == Linger::kRequest) {
        continue;
      }
      if (next == Linger::kClose) {
        break;
      }
      // Detach the connection from this worker's gSOAP context and hand it to the poller.
      Connection idle;
      idle.fd = conn.fd;
      idle.peer = std::move(conn.peer);
      idle.ssl = std::exchange(ctx->ssl, nullptr);
      idle.ssl_ctx = std::exchange(ctx->ctx, nullptr);
      idle.keep_alive = ctx->keep_alive;
      idle.requests = requests_on_connection;
      ctx->keep_alive = 0;
      ctx->socket = SOAP_INVALID_SOCKET;
      ctx->bufidx = 0;
      ctx->buflen = 0;
      conn = Connection{};
      server->Park(std::move(idle), idle_since);
      return Outcome::kParked;
    }
    if (unread_body) {
      LingeringClose();
    }
    // Close TLS and socket; give the SSL_CTX reference back. We send our close_notify but do
    // not wait for the client's: gSOAP would otherwise block this worker for up to 5 s on
    // every idle keep-alive client it closes (drain, request limit).
    if (ctx->ssl != nullptr) {
      SSL_shutdown(ctx->ssl);
      SSL_set_shutdown(ctx->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    }
    ctx->keep_alive = 0;
    server->ForgetConnection(conn.fd);
    soap_closesock(ctx);
    if (ctx->ssl != nullptr) {
      SSL_free(ctx->ssl);
      ctx->ssl = nullptr;
    }
    if (ctx->ctx != nullptr) {
      SSL_CTX_free(ctx->ctx);
      ctx->ctx = nullptr;
    }
    soap_destroy(ctx);
    soap_end(ctx);
    ctx->socket = SOAP_INVALID_SOCKET;
    ctx->bufidx = 0;
    ctx->buflen = 0;
    return Outcome::kClosed;
  }

  // After refusing a request whose body was never read (413, 415, 404), closing at once would
  // make the kernel answer the client's still-arriving body with a RST, which can destroy our
  // answer in the client's receive buffer. So: send close_notify, half-close, and discard what
  // the client still sends for a short, bounded time (as nginx's lingering_close does).
  void LingeringClose() {
    unread_body = false;
    if (ctx->ssl != nullptr) {
      SSL_shutdown(ctx->ssl);
    }
    shutdown(conn.fd, SHUT_WR);
    const auto until = steady_clock::now() + std::chrono::milliseconds(1000);
    size_t drained = 0;
    char buf[16384];
    while (drained < size_t{4} * 1024 * 1024 && steady_clock::now() < until) {
      pollfd p{conn.fd, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) {
        continue;
      }
      const ssize_t n = recv(conn.fd, buf, sizeof(buf), 0);
      if (n <= 0) {
        break;
      }
      drained += static_cast<size_t>(n);
    }
  }

  enum class Linger { kRequest, kPark, kClose };

  // The short wait before parking (kLinger): kRequest when the client's next request has
  // started to arrive (or it closed), kPark when it stayed quiet or a queued connection needs
  // this worker, kClose on drain, stop or a socket error, or when idle_timeout (shorter than
  // kLinger) has passed.
  Linger LingerForNextRequest(int64_t idle_since) {
    const int64_t idle_timeout = server->config.limits.idle_timeout.count();
    const int64_t until = idle_since + std::min<int64_t>(kLinger.count(), idle_timeout);
    server->stats.idle_connections.fetch_add(1, std::memory_order_relaxed);
    Linger result = Linger::kPark;
    while (true) {
      heartbeat->store(NowMillis(), std::memory_order_relaxed);
      if (server->stopping.load() || server->draining.load()) {
        result = Linger::kClose;
        break;
      }
      const int64_t left = until - NowMillis();
      if (left <= 0) {
        result = NowMillis() - idle_since >= idle_timeout ? Linger::kClose : Linger::kPark;
        break;
      }
      pollfd p[2] = {{conn.fd, POLLIN, 0}, {server->reclaim_fd, POLLIN, 0}};
      const int n = poll(p, 2, static_cast<int>(left));
      if (n < 0 && errno != EINTR) {
        result = Linger::kClose;
        break;
      }
      if (n > 0 && p[0].revents != 0) {
        result = Linger::kRequest;  // a request, or EOF/error: gSOAP reads it and we close
        break;
      }
      if (n > 0 && (p[1].revents & POLLIN) != 0) {
        result = server->draining.load() ? Linger::kClose : Linger::kPark;
        break;
      }
    }
    server->stats.idle_connections.fetch_sub(1, std::memory_order_relaxed);
    return result;
  }
};

}  // namespace

void Server::Impl::ForgetConnection(int fd) {
  {
    std::lock_guard lock(mu);
    open_fds.erase(fd);
  }
  stats.active_connections.fetch_sub(1, std::memory_order_relaxed);
}

void Server::Impl::CloseDetached(Connection& c) {
  if (c.ssl != nullptr) {
    SSL_shutdown(c.ssl);  // our close_notify; the socket is non-blocking: never waits
    SSL_free(c.ssl);
    c.ssl = nullptr;
  }
  if (c.ssl_ctx != nullptr) {
    SSL_CTX_free(c.ssl_ctx);
    c.ssl_ctx = nullptr;
  }
  ForgetConnection(c.fd);
  close(c.fd);
}

void Server::Impl::Wake() const {
  const uint64_t one = 1;
  if (wake_fd >= 0) {
    (void)!write(wake_fd, &one, sizeof(one));
  }
}

void Server::Impl::Park(Connection c, int64_t idle_since_ms) {
  const int fd = c.fd;
  {
    std::lock_guard lock(park_mu);
    // Under park_mu: the poller closes every parked connection once it sees a drain, and a
    // connection parked after that sweep would be left open.
    if (!draining.load() && !stopping.load()) {
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
      ev.data.fd = fd;
      if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) == 0) {
        // The poller takes park_mu before it looks an event up: inserting after ADD is safe.
        const int64_t deadline = idle_since_ms + config.limits.idle_timeout.count();
        park_expiry.emplace(deadline, fd);
        parked[fd] = Parked{std::move(c), deadline};
        stats.idle_connections.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      Log().warn("peer {}: cannot watch the idle connection ({}); closing it", c.peer,
                 std::strerror(errno));
    }
  }
  CloseDetached(c);
}

void Server::Impl::PollerLoop(std::atomic<int64_t>* heartbeat) {
  constexpr int kMaxEvents = 128;
  epoll_event events[kMaxEvents];
  std::vector<Connection> ready;
  std::vector<Connection> expired;
  while (true) {
    heartbeat->store(NowMillis(), std::memory_order_relaxed);
    const bool stop = stopping.load();
    const bool drain = draining.load();
    int timeout = kPollerTickMs;
    {
      std::lock_guard lock(park_mu);
      if (stop || drain) {
        // Drain or stop: idle connections are closed at once (requests in flight finish).
        for (auto& [fd, p] : parked) {
          epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
          expired.push_back(std::move(p.conn));
        }
        parked.clear();
        park_expiry.clear();
      } else if (!park_expiry.empty()) {
        timeout = static_cast<int>(
            std::clamp<int64_t>(park_expiry.begin()->first - NowMillis(), 0, kPollerTickMs));
      }
    }
    for (auto& c : expired) {
      stats.idle_connections.fetch_sub(1, std::memory_order_relaxed);
      CloseDetached(c);
    }
    expired.clear();
    if (stop) {
      return;
    }
    const int n = epoll_wait(epoll_fd, events, kMaxEvents, timeout);
    if (n < 0 && errno != EINTR) {
      Log().error("epoll_wait: {}", std::strerror(errno));
      std::this_thread::sleep_for(std::chrono::milliseconds(kPollerTickMs));
      continue;
    }
    const int64_t now = NowMillis();
    {
      std::lock_guard lock(park_mu);
      for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        if (fd == wake_fd) {
          uint64_t v = 0;
          (void)!read(wake_fd, &v, sizeof(v));
          continue;
        }
        auto it = parked.find(fd);
        if (it == parked.end()) {
          continue;
        }
        epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
        park_expiry.erase({it->second.deadline_ms, fd});
        ready.push_back(std::move(it->second.conn));
        parked.erase(it);
      }
      while (!park_expiry.empty() && park_expiry.begin()->first <= now) {
        const int fd = park_expiry.begin()->second;
        park_expiry.erase(park_expiry.begin());
        auto it = parked.find(fd);
        if (it != parked.end()) {
          epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
          expired.push_back(std::move(it->second.conn));
          parked.erase(it);
        }
      }
    }
    for (auto& c : expired) {
      stats.idle_connections.fetch_sub(1, std::memory_order_relaxed);
      Log().debug("peer {}: idle keep-alive connection closed after {} ms", c.peer,
                  config.limits.idle_timeout.count());
      CloseDetached(c);
    }
    expired.clear();
    if (!ready.empty()) {
      // Readable (a request, or the client's close): back to a worker. Already counted in
      // max_connections, so queue_size (a limit on new connections) does not apply.
      {
        std::lock_guard lock(mu);
        for (auto& c : ready) {
          stats.idle_connections.fetch_sub(1, std::memory_order_relaxed);
          EnqueueLocked(std::move(c));
        }
      }
      for (size_t i = 0; i < ready.size(); ++i) {
        cv.notify_one();
      }
      ready.clear();
    }
  }
}

bool Server::Impl::PopConnection(bool reject_mode, Connection* out,
                                 std::atomic<int64_t>* heartbeat) {
  std::unique_lock lock(mu);
  auto& q = reject_mode ? reject_queue : queue;
  auto& wait_cv = reject_mode ? reject_cv : cv;
  waiting_workers += reject_mode ? 0 : 1;
  while (!wait_cv.wait_for(lock, std::chrono::seconds(1),
                           [&] { return stopping.load() || !q.empty(); })) {
    heartbeat->store(NowMillis(), std::memory_order_relaxed);
  }
  waiting_workers -= reject_mode ? 0 : 1;
  heartbeat->store(NowMillis(), std::memory_order_relaxed);
  if (q.empty()) {
    return false;
  }
  *out = std::move(q.front());
  q.pop_front();
  if (!reject_mode) {
    stats.queued_connections.fetch_sub(1, std::memory_order_relaxed);
    if (q.empty() && !draining.load()) {
      uint64_t v = 0;
      (void)!read(reclaim_fd, &v, sizeof(v));  // no connection waits any more: end the signal
    }
  }
  return true;
}

void Server::Impl::EnqueueLocked(Connection c) {
  queue.push_back(std::move(c));
  stats.queued_connections.fetch_add(1, std::memory_order_relaxed);
  if (queue.size() > static_cast<size_t>(waiting_workers)) {
    SignalReclaim();
  }
}

void Server::Impl::SignalReclaim() const {
  const uint64_t one = 1;
  if (reclaim_fd >= 0) {
    (void)!write(reclaim_fd, &one, sizeof(one));
  }
}

void Server::Impl::WorkerLoop(bool reject_mode, int slot) {
  soap* ctx = soap_new1(SOAP_IO_KEEPALIVE);
  Worker w;
  w.heartbeat = &heartbeats[slot];
  w.heartbeat->store(NowMillis());
  w.server = this;
  w.ctx = ctx;
  w.reject_mode = reject_mode;
  w.default_parse_header = ctx->fparsehdr;
  ctx->user = &w;
  ctx->fparsehdr = &Worker::ParseHeader;
  ctx->fget = &Worker::OnGet;
  ctx->bind_flags = SO_REUSEADDR;
  Connection c;
  while (PopConnection(reject_mode, &c, w.heartbeat)) {
    w.Serve(std::move(c));  // closed (and forgotten) or parked
  }
  ctx->user = nullptr;
  soap_free(ctx);
}

void Server::Impl::AcceptLoop() {
  const auto& limits = config.limits;
  while (!stopping.load()) {
    if (draining.load()) {
      break;
    }
    pollfd p{listen_fd, POLLIN, 0};
    const int n = poll(&p, 1, 200);
    if (n <= 0) {
      continue;
    }
    sockaddr_storage addr{};
    socklen_t addr_len = sizeof(addr);
    const int fd = accept4(listen_fd, reinterpret_cast<sockaddr*>(&addr), &addr_len, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE) {
        Log().error("accept: out of file descriptors; backing off");
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      continue;
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    stats.connections_accepted.fetch_add(1, std::memory_order_relaxed);
    Connection c{fd, PeerString(addr)};
    bool queued = false;
    bool to_reject = false;
    {
      std::lock_guard lock(mu);
      const int active = stats.active_connections.load();
      if (active < limits.max_connections &&
          queue.size() < static_cast<size_t>(limits.queue_size)) {
        EnqueueLocked(std::move(c));
        queued = true;
      } else if (reject_queue.size() < 16) {
        stats.connections_rejected.fetch_add(1, std::memory_order_relaxed);
        reject_queue.push_back(std::move(c));
        queued = true;
        to_reject = true;
      }
      if (queued) {
        open_fds.insert(fd);
        stats.active_connections.fetch_add(1, std::memory_order_relaxed);
      }
    }
    if (queued) {
      (to_reject ? reject_cv : cv).notify_one();
    } else {
      stats.connections_rejected.fetch_add(1, std::memory_order_relaxed);
      Log().warn("overload: closing connection from {} without an answer", PeerString(addr));
      close(fd);
    }
  }
}

Server::Server(const config::Config& config, pipeline::Pipeline& pipeline, std::string wsdl)
    : impl_(std::make_unique<Impl>(config, pipeline, std::move(wsdl))) {}

Server::~Server() {
  Stop();
  if (impl_->listen_fd >= 0) {
    close(impl_->listen_fd);
  }
  if (impl_->epoll_fd >= 0) {
    close(impl_->epoll_fd);
  }
  if (impl_->wake_fd >= 0) {
    close(impl_->wake_fd);
  }
  if (impl_->reclaim_fd >= 0) {
    close(impl_->reclaim_fd);
  }
}

Status Server::CheckTls(const config::TlsServerConfig& tls) {
  auto ctx = BuildServerTlsContext(tls);
  return ctx.ok() ? Status::Ok() : ctx.status();
}

Status Server::Start() {
  soap_ssl_init();
  auto ctx = BuildServerTlsContext(impl_->config.listen.tls);
  if (!ctx.ok()) {
    return ctx.status();
  }
  impl_->ssl_ctx = std::move(*ctx);

  impl_->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  impl_->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  impl_->reclaim_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event wake{};
  wake.events = EPOLLIN;
  wake.data.fd = impl_->wake_fd;
  if (impl_->epoll_fd < 0 || impl_->wake_fd < 0 || impl_->reclaim_fd < 0 ||
      epoll_ctl(impl_->epoll_fd, EPOLL_CTL_ADD, impl_->wake_fd, &wake) != 0) {
    return {ErrorCode::kGatewayInternal,
            std::string("cannot set up the idle-connection poller: ") + std::strerror(errno)};
  }

  const auto& listen = impl_->config.listen;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(listen.port);
  if (const int rc = getaddrinfo(listen.address.c_str(), port.c_str(), &hints, &res); rc != 0) {
    return {ErrorCode::kGatewayInternal,
            "listen.address '" + listen.address + "': " + gai_strerror(rc)};
  }
  const int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) != 0 || ::listen(fd, 1024) != 0) {
    const std::string err = std::strerror(errno);
    freeaddrinfo(res);
    if (fd >= 0) {
      close(fd);
    }
    return {ErrorCode::kGatewayInternal,
            "cannot listen on " + listen.address + ":" + port + ": " + err};
  }
  freeaddrinfo(res);
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  impl_->port = bound.ss_family == AF_INET6
                    ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                    : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  impl_->listen_fd = fd;
  return Status::Ok();
}

uint16_t Server::bound_port() const { return impl_->port; }

void Server::Run() {
  std::vector<std::thread> threads;
  const int workers = std::max(1, impl_->config.limits.workers);
  threads.reserve(static_cast<size_t>(workers) + 2);
  // Heartbeat slots: the workers, the reject worker, the poller.
  impl_->heartbeat_slots = workers + 2;
  impl_->heartbeats = std::make_unique<std::atomic<int64_t>[]>(workers + 2);
  for (int i = 0; i < workers + 2; ++i) {
    impl_->heartbeats[i].store(NowMillis());
  }
  for (int i = 0; i < workers; ++i) {
    threads.emplace_back([this, i] { impl_->WorkerLoop(false, i); });
  }
  threads.emplace_back([this, workers] { impl_->WorkerLoop(true, workers); });
  std::thread poller([this, workers] { impl_->PollerLoop(&impl_->heartbeats[workers + 1]); });
  impl_->AcceptLoop();
  // Draining or stopping: no new connections. The poller closes the idle ones; wait for the
  // workers to finish what they hold and what is queued.
  std::vector<Connection> leftover;
  {
    std::lock_guard lock(impl_->mu);
    leftover.assign(std::make_move_iterator(impl_->reject_queue.begin()),
                    std::make_move_iterator(impl_->reject_queue.end()));
    impl_->reject_queue.clear();
  }
  for (auto& c : leftover) {
    impl_->CloseDetached(c);
  }
  impl_->Wake();
  while (!impl_->stopping.load()) {
    {
      std::lock_guard lock(impl_->mu);
      if (impl_->queue.empty() && impl_->stats.active_connections.load() == 0) {
        break;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  impl_->stopping = true;
  impl_->cv.notify_all();
  impl_->reject_cv.notify_all();
  impl_->Wake();
  for (auto& t : threads) {
    t.join();
  }
  poller.join();  // it closed every parked connection on its way out
  leftover.clear();
  {
    std::lock_guard lock(impl_->mu);
    leftover.assign(std::make_move_iterator(impl_->queue.begin()),
                    std::make_move_iterator(impl_->queue.end()));
    impl_->queue.clear();
  }
  for (auto& c : leftover) {
    impl_->CloseDetached(c);
  }
}

Status Server::ReloadTls(const config::TlsServerConfig& tls) {
  auto ctx = BuildServerTlsContext(tls);
  if (!ctx.ok()) {
    return ctx.status();
  }
  std::lock_guard lock(impl_->tls_mu);
  impl_->ssl_ctx = std::move(*ctx);  // connections keep the old one until they close
  return Status::Ok();
}

bool Server::WorkersResponsive(std::chrono::milliseconds max_silence) const {
  if (impl_->heartbeats == nullptr) {
    return false;  // not running yet
  }
  const int64_t now = NowMillis();
  for (int i = 0; i < impl_->heartbeat_slots; ++i) {
    if (now - impl_->heartbeats[i].load(std::memory_order_relaxed) > max_silence.count()) {
      return false;
    }
  }
  return true;
}

void Server::BeginDrain() {
  impl_->draining = true;
  impl_->cv.notify_all();
  impl_->reject_cv.notify_all();
  impl_->Wake();           // the poller closes idle keep-alive connections at once
  impl_->SignalReclaim();  // and lingering workers close theirs
}

void Server::Stop() {
  impl_->draining = true;
  impl_->stopping = true;
  {
    std::lock_guard lock(impl_->mu);
    for (const int fd : impl_->open_fds) {
      shutdown(fd, SHUT_RDWR);  // unblocks workers in recv/send; they close the fd
    }
  }
  impl_->cv.notify_all();
  impl_->reject_cv.notify_all();
  impl_->Wake();
  impl_->SignalReclaim();
}

const ServerStats& Server::stats() const { return impl_->stats; }

}  // namespace shepgw::frontend
