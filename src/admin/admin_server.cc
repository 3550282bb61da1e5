#include "shepgw/admin/admin_server.h"

#include <cstring>
#include <string_view>

#include "stdsoap2.h"

#include "shepgw/common/logging.h"

namespace shepgw::admin {

struct AdminServer::Impl {
  explicit Impl(AdminHandlers h) : handlers(std::move(h)) {}
  AdminHandlers handlers;
  soap* master = nullptr;
  int (*default_parse_header)(soap*, const char*, const char*) = nullptr;
  std::string authorization;  // of the request being read (one at a time)
  uint16_t port = 0;
  std::atomic<bool> stopping{false};
};

namespace {

int Send(soap* s, int status, const char* content_type, const std::string& body) {
  s->http_content = content_type;
  s->keep_alive = 0;
  if (soap_response(s, SOAP_FILE + status) != SOAP_OK ||
      soap_send_raw(s, body.data(), body.size()) != SOAP_OK || soap_end_send(s) != SOAP_OK) {
    return s->error;
  }
  return SOAP_OK;
}

int HandleGet(soap* s) {
  const auto* impl = static_cast<const AdminServer::Impl*>(s->user);
  std::string_view path(s->path);
  path = path.substr(0, path.find('?'));
  if (path == "/metrics" && impl->handlers.metrics) {
    return Send(s, 200, "text/plain; version=0.0.4; charset=utf-8", impl->handlers.metrics());
  }
  if (path == "/health" && impl->handlers.health) {
    return Send(s, 200, "application/json", impl->handlers.health());
  }
  if (path == "/ready" && impl->handlers.ready) {
    const Readiness r = impl->handlers.ready();
    return Send(s, r.ready ? 200 : 503, "application/json", r.json);
  }
  return Send(s, 404, "text/plain; charset=utf-8", "not found: try /health, /ready or /metrics\n");
}

int HandlePost(soap* s) {
  auto* impl = static_cast<AdminServer::Impl*>(s->user);
  constexpr size_t kMaxBody = 8192;
  if (s->length > kMaxBody) {
    s->keep_alive = 0;
    return Send(s, 413, "application/json", R"({"error":"body too large"})");
  }
  size_t len = 0;
  const char* body = soap_http_get_body(s, &len);
  if (body == nullptr || len > kMaxBody) {
    return Send(s, 400, "application/json", R"({"error":"unreadable body"})");
  }
  if (!impl->handlers.post) {
    return Send(s, 405, "application/json", R"({"error":"method not allowed"})");
  }
  AdminPost post;
  const std::string_view full(s->path);
  const auto q = full.find('?');
  post.path = std::string(full.substr(0, q));
  post.query = q == std::string_view::npos ? "" : std::string(full.substr(q + 1));
  post.authorization = impl->authorization;
  post.body.assign(body, len);
  const AdminReply reply = impl->handlers.post(post);
  return Send(s, reply.status, "application/json", reply.json);
}

// Captures the Authorization header and routes every POST to HandlePost (gSOAP resets fform
// at each request, so it is set per request from the header hook).
int ParseHeader(soap* s, const char* key, const char* val) {
  auto* impl = static_cast<AdminServer::Impl*>(s->user);
  if (soap_tag_cmp(key, "Authorization") == 0) {
    impl->authorization = val;
  }
  const int err = impl->default_parse_header(s, key, val);
  s->fform = &HandlePost;
  return err;
}

}  // namespace

AdminServer::AdminServer(AdminHandlers handlers)
    : impl_(std::make_unique<Impl>(std::move(handlers))) {}

AdminServer::~AdminServer() {
  Stop();
  if (impl_->master != nullptr) {
    soap_destroy(impl_->master);
    soap_end(impl_->master);
    soap_free(impl_->master);
  }
}

Status AdminServer::Start(const config::AdminConfig& config) {
  soap* s = soap_new();
  if (s == nullptr) {
    return {ErrorCode::kGatewayInternal, "admin: soap_new failed"};
  }
  impl_->master = s;
  s->user = impl_.get();
  s->fget = &HandleGet;
  impl_->default_parse_header = s->fparsehdr;
  s->fparsehdr = &ParseHeader;
  s->bind_flags = SO_REUSEADDR;
  s->accept_timeout = -200'000;  // check Stop() five times a second
  s->recv_timeout = 5;
  s->send_timeout = 5;
  s->transfer_timeout = 10;
  if (!soap_valid_socket(soap_bind(s, config.address.c_str(), config.port, 64))) {
    char buf[256] = {0};
    soap_sprint_fault(s, buf, sizeof(buf));
    return {ErrorCode::kGatewayInternal, "admin: cannot listen on " + config.address + ":" +
                                             std::to_string(config.port) + ": " + buf};
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  getsockname(s->master, reinterpret_cast<sockaddr*>(&bound), &len);
  impl_->port = bound.ss_family == AF_INET6
                    ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                    : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return Status::Ok();
}

uint16_t AdminServer::bound_port() const { return impl_->port; }

void AdminServer::Run() {
  soap* s = impl_->master;
  while (!impl_->stopping.load()) {
    if (!soap_valid_socket(soap_accept(s))) {
      continue;  // accept timeout (to check stopping) or a transient error
    }
    // One request per connection: scrapes and probes are rare and cheap.
    impl_->authorization.clear();
    if (soap_begin_serve(s) == SOAP_OK) {
      // A POST with a SOAP body reached gSOAP's own parser: not an admin request.
      soap_send_fault(s);
    }
    soap_destroy(s);
    soap_end(s);
    soap_closesock(s);
  }
}

void AdminServer::Stop() { impl_->stopping = true; }

}  // namespace shepgw::admin
