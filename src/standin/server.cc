#include "shepgw/standin/server.h"

#include <cstdio>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>
#include <utility>

#include "soapH.h"
#include "soapSyncChannelHttpBindingService.h"

#include "shepgw/common/clock.h"
#include "shepgw/contract/contract.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace shepgw::standin {
namespace {

// State shared by the accept loop and all connection threads. Held by shared_ptr so a
// connection thread that outlives Run() (bounded drain timed out) never sees a dangling pointer.
struct Shared {
  Mode default_mode;
  std::atomic<bool> stop{false};
  std::atomic<int> active{0};
  std::mutex log_mu;
  std::FILE* log = nullptr;

  ~Shared() {
    if (log != nullptr) {
      std::fclose(log);
    }
  }
};

std::string NewUuid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t hi = rng();
  uint64_t lo = rng();
  hi = (hi & ~0xF000ULL) | 0x4000ULL;                  // version 4
  lo = (lo & ~(0xC000ULL << 48)) | (0x8000ULL << 48);  // RFC 4122 variant
  char buf[37];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
  return buf;
}

// One token per field in the request log: whitespace and control bytes would break the
// "messageId serviceId" line format that tests parse.
std::string LogToken(std::string_view s) {
  std::string out(s.empty() ? "-" : s);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7F) {
      c = '_';
    }
  }
  return out;
}

// Sends a complete non-SOAP HTTP response and ends the connection afterwards. Returns SOAP_STOP
// so the generated dispatch code does not serialize a SOAP response on top of it.
int SendRaw(struct soap* soap, int http_status, const char* content_type, std::string_view body) {
  soap->keep_alive = 0;
  soap->http_content = content_type;
  if (soap_response(soap, SOAP_FILE + http_status) != SOAP_OK ||
      soap_send_raw(soap, body.data(), body.size()) != SOAP_OK || soap_end_send(soap) != SOAP_OK) {
    return soap->error;
  }
  return SOAP_STOP;
}

// fget callback: GET <any path>?wsdl returns the contract WSDL, anything else is 404.
// Whether the request being read on this connection's thread carried a wsse:Security header.
thread_local bool t_saw_security_header = false;

// The internal ShEP understands WS-Security: a wsse:Security header with mustUnderstand="1"
// (what the gateway forwards) is accepted and noted in the request log as "signed". Any
// other unknown mustUnderstand header is refused as SOAP requires.
int AcceptSecurityHeader(struct soap* soap, const char* tag) {
  const char* colon = std::strchr(tag, ':');
  const char* local = colon != nullptr ? colon + 1 : tag;
  if (soap->part == SOAP_IN_HEADER && std::strcmp(local, "Security") == 0) {
    t_saw_security_header = true;
    return SOAP_OK;
  }
  return soap->mustUnderstand != 0 ? SOAP_MUSTUNDERSTAND : SOAP_OK;
}

int HandleGet(struct soap* soap) {
  const char* query = std::strchr(soap->path, '?');
  if (query == nullptr || soap_tag_cmp(query + 1, "wsdl") != 0) {
    return 404;
  }
  std::string_view wsdl = contract::SyncChannelWsdl();
  soap->http_content = "text/xml; charset=utf-8";
  if (soap_response(soap, SOAP_FILE) != SOAP_OK ||
      soap_send_raw(soap, wsdl.data(), wsdl.size()) != SOAP_OK || soap_end_send(soap) != SOAP_OK) {
    return soap->error;
  }
  return SOAP_OK;
}

class Service final : public SyncChannelHttpBindingService {
 public:
  Service(struct soap* context, std::shared_ptr<Shared> shared)
      : SyncChannelHttpBindingService(context), shared_(std::move(shared)) {}

  int SendMessage(_shep__SendMessage* request, _shep__SendMessageResponse& response) override;
  // Not used: Run() copies the soap context per connection itself (soap_copy), because a copy()
  // made here could not own its context.
  SyncChannelHttpBindingService* copy() override { return nullptr; }

 private:
  // Mode for this request, or nullopt (after setting a Client fault) if it names an unknown mode.
  std::optional<Mode> SelectMode(const shep__SyncMessageInfo& info);
  void LogRequest(const shep__SyncMessageInfo& info);
  int Fault(const shep__SyncMessageInfo& info, bool with_error_info);
  void FillResponse(const shep__SyncMessageInfo& info, _shep__SendMessageResponse& response);

  std::shared_ptr<Shared> shared_;
};

std::optional<Mode> Service::SelectMode(const shep__SyncMessageInfo& info) {
  std::string_view spec;
  for (const shepc__Property* p : info.properties) {
    if (p != nullptr && p->key == kModePropertyKey) {
      spec = p->value;
      break;
    }
  }
  if (spec.empty()) {
    spec = ServiceIdModeSuffix(info.serviceId);
  }
  if (spec.empty()) {
    return shared_->default_mode;
  }
  std::optional<Mode> mode = ParseMode(spec);
  if (!mode) {
    soap_sender_fault(soap, "stand-in: unknown STANDIN_MODE", nullptr);
  }
  return mode;
}

void Service::LogRequest(const shep__SyncMessageInfo& info) {
  const bool signed_request = t_saw_security_header;
  t_saw_security_header = false;
  if (shared_->log == nullptr) {
    return;
  }
  std::string line = LogToken(info.messageId) + " " + LogToken(info.serviceId) +
                     (signed_request ? " signed" : "") + "\n";
  std::lock_guard<std::mutex> lock(shared_->log_mu);
  std::fputs(line.c_str(), shared_->log);
  std::fflush(shared_->log);
}

int Service::Fault(const shep__SyncMessageInfo& info, bool with_error_info) {
  if (!with_error_info) {
    return soap_receiver_fault(soap, "No service found", nullptr);
  }
  constexpr const char* kMessage = "Stand-in ShEP: simulated service error";
  soap_receiver_fault(soap, kMessage, nullptr);
  shepc__ErrorInfo* error = soap_new_shepc__ErrorInfo(soap);
  error->errorCode = "999";
  error->errorMessage = kMessage;
  error->errorDate = FormatXsdDateTime(SystemClock::Instance().Now());
  if (info.sessionId != nullptr) {
    // Real providers copy the request's sessionId into the fault (shep-protocol.md 1.4).
    error->sessionId = soap_new_std__string(soap);
    *error->sessionId = *info.sessionId;
  }
  SOAP_ENV__Detail* detail = soap_new_SOAP_ENV__Detail(soap);
  detail->shep__SendMessageFault1_USCORESendMessageFault = error;
  soap->fault->detail = detail;
  return SOAP_FAULT;
}

void Service::FillResponse(const shep__SyncMessageInfo& info,
                           _shep__SendMessageResponse& response) {
  auto* result = soap_new_shep__SyncSendMessageResponse(soap);
  auto* out = soap_new_shep__SyncMessageInfoResponse(soap);
  out->messageId = NewUuid();
  out->correlationId = soap_new_std__string(soap);
  *out->correlationId = info.messageId;
  out->responseDate = FormatXsdDateTime(SystemClock::Instance().Now());
  out->status = soap_new_shepc__StatusInfo(soap);
  out->status->code = contract::kStatusSuccessCode;
  out->status->message = contract::kStatusSuccessMessage;
  out->sessionId = soap_new_std__string(soap);
  *out->sessionId = "{" + NewUuid() + "}";
  result->responseInfo = out;

  // <data><standinEcho><messageId/><serviceId/></standinEcho></data>: unqualified elements, as
  // everything below the wrapper. The DOM copies the strings into the soap context.
  xsd__anyType* data = soap_elt_new(soap, nullptr, "data");
  xsd__anyType& echo = data->elt("standinEcho");
  echo.elt("messageId").set(info.messageId.c_str());
  echo.elt("serviceId").set(info.serviceId.c_str());
  result->responseData = soap_new_shepc__MessageData(soap);
  result->responseData->data = data;
  response.response = result;
}

int Service::SendMessage(_shep__SendMessage* request, _shep__SendMessageResponse& response) {
  const shep__SyncMessageInfo* info =
      request != nullptr && request->request != nullptr ? request->request->requestInfo : nullptr;
  if (info == nullptr) {
    return soap_sender_fault(soap, "SendMessage without request/requestInfo", nullptr);
  }
  LogRequest(*info);
  std::optional<Mode> mode = SelectMode(*info);
  if (!mode) {
    return soap->error;
  }
  switch (mode->kind) {
    case ModeKind::kDelay:
      std::this_thread::sleep_for(mode->delay);
      break;
    case ModeKind::kHttp500:
      return Fault(*info, /*with_error_info=*/true);
    case ModeKind::kFault:
      return Fault(*info, /*with_error_info=*/false);
    case ModeKind::kHttp500Plain:
      return SendRaw(soap, 500, "text/plain; charset=utf-8", "stand-in: internal server error\n");
    case ModeKind::kGarbage:
      return SendRaw(soap, 200, "text/xml; charset=utf-8", "\x01\x02garbage, not XML <<<&&& ]]>\n");
    case ModeKind::kClose:
      soap_force_closesock(soap);
      return SOAP_STOP;
    case ModeKind::kOk:
      break;
  }
  FillResponse(*info, response);
  return SOAP_OK;
}

// One connection: the generated serve() loop, plus freeing per-request memory after every
// request (the generated loop keeps everything until the connection ends) and a stop check.
void ServeConnection(struct soap* soap, const std::shared_ptr<Shared>& shared) {
  {
    Service service(soap, shared);
    soap->keep_alive = soap->max_keep_alive + 1;
    do {
      if (soap->keep_alive > 0 && soap->max_keep_alive > 0) {
        soap->keep_alive--;
      }
      if (soap_begin_serve(soap) != SOAP_OK) {
        // Errors were answered inside soap_begin_serve; SOAP_STOP means a GET was served.
        if (soap->error < SOAP_STOP) {
          break;
        }
      } else if (service.dispatch() != SOAP_OK && soap->error != SOAP_OK &&
                 soap->error < SOAP_STOP) {
        soap_send_fault(soap);  // closes the keep-alive connection
        break;
      }
      soap_destroy(soap);
      soap_end(soap);
    } while (soap->keep_alive != 0 && !shared->stop.load());
  }
  soap_destroy(soap);
  soap_end(soap);
  soap_force_closesock(soap);
  soap_free(soap);
}

}  // namespace

struct Server::Impl {
  ServerOptions options;
  std::shared_ptr<Shared> shared = std::make_shared<Shared>();
  struct soap* master = nullptr;
  int port = 0;

  ~Impl() {
    if (master != nullptr) {
      soap_destroy(master);
      soap_end(master);
      soap_free(master);  // closes the listening socket
    }
  }
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;

Result<std::unique_ptr<Server>> Server::Bind(const ServerOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->shared->default_mode = options.default_mode;
  if (!options.log_requests_path.empty()) {
    impl->shared->log = std::fopen(options.log_requests_path.c_str(), "a");
    if (impl->shared->log == nullptr) {
      return Status(ErrorCode::kGatewayInternal,
                    "cannot open request log " + options.log_requests_path);
    }
  }
  // UTF-8 stays UTF-8 in strings and the DOM (without it gSOAP converts to Latin-1/&#x...;).
  struct soap* master = soap_new1(SOAP_IO_KEEPALIVE | SOAP_C_UTFSTRING);
  impl->master = master;
  if (master == nullptr) {
    return Status(ErrorCode::kGatewayInternal, "soap_new failed");
  }
  master->bind_flags = SO_REUSEADDR;
  // How quickly Run() notices RequestStop(): negative = microseconds. gSOAP restarts the wait
  // after EINTR, so the signal itself does not wake the accept loop.
  master->accept_timeout = -200'000;
  master->recv_timeout = static_cast<int>(options.io_timeout.count());
  master->send_timeout = static_cast<int>(options.io_timeout.count());
  master->max_keep_alive = options.max_keep_alive;
  master->fget = HandleGet;
  master->fignore = AcceptSecurityHeader;
  if (!soap_valid_socket(soap_bind(master, options.host.c_str(), options.port, 128))) {
    char buf[256];
    soap_sprint_fault(master, buf, sizeof(buf));
    return Status(ErrorCode::kGatewayInternal,
                  "cannot bind " + options.host + ":" + std::to_string(options.port) + ": " + buf);
  }
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (getsockname(master->master, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return Status(ErrorCode::kGatewayInternal, "getsockname failed");
  }
  impl->port = addr.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port)
                                          : ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

int Server::port() const { return impl_->port; }

void Server::RequestStop() { impl_->shared->stop.store(true); }

Status Server::Run() {
  Impl& impl = *impl_;
  const std::shared_ptr<Shared>& shared = impl.shared;
  while (!shared->stop.load()) {
    SOAP_SOCKET s = soap_accept(impl.master);
    if (!soap_valid_socket(s)) {
      if (impl.master->errnum != 0 && !shared->stop.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // e.g. EMFILE: back off
      }
      continue;  // accept_timeout expired: check the stop flag
    }
    // At the cap, wait for a slot; meanwhile new connections queue in the listen backlog.
    while (shared->active.load() >= impl.options.max_connections && !shared->stop.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    struct soap* conn = soap_copy(impl.master);
    impl.master->socket = SOAP_INVALID_SOCKET;  // the copy owns the accepted socket now
    if (conn == nullptr) {
      ::close(s);
      continue;
    }
    conn->fget = HandleGet;
    conn->fignore = AcceptSecurityHeader;
    shared->active.fetch_add(1);
    std::thread([conn, shared] {
      ServeConnection(conn, shared);
      shared->active.fetch_sub(1);
    }).detach();
  }
  // Bounded drain: idle keep-alive connections notice the stop flag after their next request or
  // recv timeout; we do not wait for that longer than this.
  for (int i = 0; i < 200 && shared->active.load() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return Status::Ok();
}

}  // namespace shepgw::standin
