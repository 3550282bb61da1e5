// libcurl implementation of Connector. See connector.h for the contract.
#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <curl/curl.h>

#include "shepgw/common/logging.h"
#include "shepgw/connector/connector.h"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace shepgw::connector {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

// Keep-alive handles are pooled: a handle keeps its connection cache across curl_easy_reset,
// so reusing handles reuses upstream connections (no TCP/TLS handshake per request).
class HandlePool {
 public:
  explicit HandlePool(size_t max_idle) : max_idle_(max_idle) {}
  ~HandlePool() {
    for (CURL* h : idle_) {
      curl_easy_cleanup(h);
    }
  }
  HandlePool(const HandlePool&) = delete;
  HandlePool& operator=(const HandlePool&) = delete;

  CURL* Acquire() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        CURL* h = idle_.back();
        idle_.pop_back();
        return h;
      }
    }
    return curl_easy_init();
  }
  void Release(CURL* h) {
    curl_easy_reset(h);
    {
      std::lock_guard lock(mutex_);
      if (idle_.size() < max_idle_) {
        idle_.push_back(h);
        return;
      }
    }
    curl_easy_cleanup(h);
  }

 private:
  const size_t max_idle_;
  std::mutex mutex_;
  std::vector<CURL*> idle_;
};

struct BodySink {
  std::string* out;
  uint64_t max_bytes;
  bool overflow = false;
};

size_t WriteBody(char* data, size_t size, size_t nmemb, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  const size_t n = size * nmemb;
  if (sink->out->size() + n > sink->max_bytes) {
    sink->overflow = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  sink->out->append(data, n);
  return n;
}

// Feeds libcurl's read callback from a BodySource that runs on a thread of its own: the
// source pushes (libxml2's serialiser writes), libcurl pulls. At most kMaxQueued bytes wait
// between the two, so the memory stays small whatever the body's size. The thread starts at
// libcurl's first read (a refused connection costs no serialisation) and is always joined
// before the object goes: the source is never running after SendOnce returns.
class StreamedBody {
 public:
  explicit StreamedBody(const BodySource& source) : source_(source) {}
  ~StreamedBody() { Stop(); }
  StreamedBody(const StreamedBody&) = delete;
  StreamedBody& operator=(const StreamedBody&) = delete;

  // CURLOPT_READFUNCTION.
  static size_t Read(char* buffer, size_t size, size_t nitems, void* user) {
    return static_cast<StreamedBody*>(user)->ReadSome(buffer, size * nitems);
  }
  // CURLOPT_SEEKFUNCTION: libcurl rewinds to send the body again (e.g. on a fresh connection
  // when a reused one died under it): the source starts over from its first byte.
  static int Seek(void* user, curl_off_t offset, int origin) {
    if (offset != 0 || origin != SEEK_SET) {
      return CURL_SEEKFUNC_CANTSEEK;
    }
    auto* self = static_cast<StreamedBody*>(user);
    self->Stop();
    self->Reset();
    return CURL_SEEKFUNC_OK;
  }
  // The source failed or did not produce exactly size() bytes (the transfer was aborted).
  bool failed() const {
    std::lock_guard lock(mu_);
    return failed_;
  }

 private:
  static constexpr size_t kChunk = size_t{64} * 1024;
  static constexpr size_t kMaxQueued = size_t{256} * 1024;

  size_t ReadSome(char* out, size_t capacity) {
    if (!thread_.joinable()) {
      thread_ = std::thread([this] { Produce(); });
    }
    std::unique_lock lock(mu_);
    data_cv_.wait(lock, [this] { return !queue_.empty() || done_; });
    if (failed_) {
      return CURL_READFUNC_ABORT;
    }
    size_t copied = 0;
    while (copied < capacity && !queue_.empty()) {
      const std::string& front = queue_.front();
      const size_t take = std::min(capacity - copied, front.size() - front_offset_);
      std::copy_n(front.data() + front_offset_, take, out + copied);
      copied += take;
      front_offset_ += take;
      if (front_offset_ == front.size()) {
        queued_ -= front.size();
        queue_.pop_front();
        front_offset_ = 0;
      }
    }
    space_cv_.notify_one();
    return copied;  // 0 once the source is done and everything was read: the end of the body
  }

  void Produce() {
    const uint64_t announced = source_.size();
    uint64_t produced = 0;
    std::string chunk;
    auto flush = [&]() {
      std::unique_lock lock(mu_);
      space_cv_.wait(lock, [this] { return cancel_ || queued_ < kMaxQueued; });
      if (cancel_) {
        return false;
      }
      queued_ += chunk.size();
      queue_.push_back(std::move(chunk));
      chunk = std::string();
      data_cv_.notify_one();
      return true;
    };
    const bool written = source_.Write([&](std::string_view piece) {
      produced += piece.size();
      if (produced > announced) {
        return false;  // more than the Content-Length already sent
      }
      if (chunk.empty()) {
        chunk.reserve(kChunk);
      }
      chunk.append(piece);
      return chunk.size() < kChunk || flush();
    });
    const bool complete = written && produced == announced && (chunk.empty() || flush());
    std::lock_guard lock(mu_);
    done_ = true;
    failed_ = !complete && !cancel_;
    data_cv_.notify_one();
  }

  void Stop() {
    if (!thread_.joinable()) {
      return;
    }
    {
      std::lock_guard lock(mu_);
      cancel_ = true;
    }
    space_cv_.notify_one();
    thread_.join();
  }

  void Reset() {
    std::lock_guard lock(mu_);
    queue_.clear();
    front_offset_ = 0;
    queued_ = 0;
    done_ = false;
    failed_ = false;
    cancel_ = false;
  }

  const BodySource& source_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable data_cv_;   // the reader waits for a chunk or the end
  std::condition_variable space_cv_;  // the producer waits for room (or cancel)
  std::deque<std::string> queue_;     // guarded by mu_, and so are the fields below
  size_t front_offset_ = 0;           // bytes of queue_.front() already read
  size_t queued_ = 0;
  bool done_ = false;
  bool failed_ = false;
  bool cancel_ = false;
};

// Errors that happen before the request can have been sent: safe to try elsewhere.
bool IsConnectPhaseError(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_INTERFACE_FAILED:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
      return true;
    default:
      return false;
  }
}

// The VPN side is gone when the bound interface does not exist or is not up: then there is
// no point in waiting for a connect timeout — fail at once with a specific code.
Status CheckInterface(const std::string& name) {
  if (name.empty()) {
    return Status::Ok();
  }
  if (if_nametoindex(name.c_str()) == 0) {
    return {ErrorCode::kUpstreamNetworkUnreachable,
            "interface '" + name + "' does not exist (VPN tunnel down?)"};
  }
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return Status::Ok();  // cannot tell; let the connect attempt decide
  }
  ifreq req{};
  std::strncpy(req.ifr_name, name.c_str(), IFNAMSIZ - 1);
  const int rc = ioctl(fd, SIOCGIFFLAGS, &req);
  close(fd);
  if (rc == 0 && (req.ifr_flags & IFF_UP) == 0) {
    return {ErrorCode::kUpstreamNetworkUnreachable,
            "interface '" + name + "' is down (VPN tunnel down?)"};
  }
  return Status::Ok();
}

// Connect errors that mean "no network path", not "that host refused".
bool IsNetworkUnreachable(CURLcode rc, long os_errno) {
  return rc == CURLE_INTERFACE_FAILED || os_errno == ENETUNREACH || os_errno == ENETDOWN ||
         os_errno == EHOSTUNREACH || os_errno == ENODEV;
}

class CurlConnector final : public Connector {
 public:
  CurlConnector(config::ConnectorConfig config, uint64_t max_response_bytes,
                std::vector<std::string> probe_urls)
      : config_(std::move(config)), max_response_bytes_(max_response_bytes), pool_(256) {
    for (auto& url : probe_urls) {
      state_.emplace(url, UpstreamState{});
    }
    headers_ = curl_slist_append(nullptr, "Content-Type: text/xml; charset=utf-8");
    headers_ = curl_slist_append(headers_, "SOAPAction: \"\"");
    headers_ = curl_slist_append(headers_, "Expect:");  // no 100-continue round trip
    if (!config_.interface.empty()) {
      interface_ = "if!" + config_.interface;
    } else if (!config_.source_address.empty()) {
      interface_ = "host!" + config_.source_address;
    }
  }
  ~CurlConnector() override {
    {
      std::lock_guard lock(probe_mu_);
      stop_probe_ = true;
    }
    probe_cv_.notify_all();
    if (probe_thread_.joinable()) {
      probe_thread_.join();
    }
    curl_slist_free_all(headers_);
  }

  // Starts the active health probe (after construction: the thread uses `this`).
  void StartProbe() {
    if (config_.health_interval.count() > 0 && !state_.empty()) {
      probe_thread_ = std::thread([this] { ProbeLoop(); });
    }
  }

  std::vector<UpstreamHealth> Health() const override {
    std::lock_guard lock(state_mu_);
    const auto now = steady_clock::now();
    std::vector<UpstreamHealth> out;
    for (const auto& [url, st] : state_) {
      UpstreamHealth h;
      h.url = url;
      h.probed = st.probed;
      h.probe_ok = st.probe_ok;
      h.breaker_open = st.open_until > now;
      h.consecutive_failures = st.failures;
      out.push_back(std::move(h));
    }
    return out;
  }
  CurlConnector(const CurlConnector&) = delete;
  CurlConnector& operator=(const CurlConnector&) = delete;

  Result<UpstreamResponse> Send(const UpstreamRequest& request) override {
    const routing::Route& route = *request.route;
    if (Status s = CheckInterface(config_.interface); !s.ok()) {
      return s;
    }
    Status last_error(ErrorCode::kUpstreamUnreachable, "route has no upstream");
    UpstreamResponse response;
    int skipped = 0;
    for (const std::string& url : route.upstreams) {
      if (!AdmitThroughBreaker(url)) {
        ++skipped;
        last_error = Status(ErrorCode::kUpstreamUnreachable,
                            "circuit breaker open for " + url + " (recent failures)");
        continue;  // nothing was sent: trying the next upstream is safe
      }
      ++response.attempts;
      const auto now = steady_clock::now();
      auto budget = route.timeout;
      if (request.deadline != steady_clock::time_point::max()) {
        budget = std::min(budget, duration_cast<milliseconds>(request.deadline - now));
      }
      if (budget.count() <= 0) {
        return Status(ErrorCode::kUpstreamTimeout, "no time left before the client's deadline");
      }
      bool request_sent = false;
      Status s = SendOnce(url, request, budget, &response, &request_sent);
      RecordOutcome(url, s);
      if (s.ok()) {
        response.upstream = url;
        return response;
      }
      last_error = std::move(s);
      if (request_sent) {
        break;  // it may have reached the upstream: never send it twice
      }
      Log().warn("upstream {} failed before the request was sent (messageId={}): {}", url,
                 SanitizeForLog(request.message_id, 100), last_error.message());
    }
    return last_error;
  }

 private:
  struct UpstreamState {
    int failures = 0;                       // consecutive transport failures
    steady_clock::time_point open_until{};  // breaker open while now < open_until
    bool probed = false;
    bool probe_ok = true;
  };

  // Closed: admit. Open: refuse until the cool-down ends; then admit one request (half-open)
  // and keep the others out for another cool-down while it runs.
  bool AdmitThroughBreaker(const std::string& url) {
    std::lock_guard lock(state_mu_);
    UpstreamState& st = state_[url];
    if (st.failures < config_.breaker_failures) {
      return true;
    }
    const auto now = steady_clock::now();
    if (now < st.open_until) {
      return false;
    }
    st.open_until = now + config_.breaker_cooldown;  // this request is the half-open probe
    return true;
  }

  // Transport failures (connect, timeout, broken answer) count; any HTTP answer closes it.
  void RecordOutcome(const std::string& url, const Status& s) {
    std::lock_guard lock(state_mu_);
    UpstreamState& st = state_[url];
    if (s.ok()) {
      if (st.failures >= config_.breaker_failures) {
        Log().info("circuit breaker closed for {}", url);
      }
      st.failures = 0;
      st.open_until = {};
      return;
    }
    const ErrorCode c = s.code();
    if (c != ErrorCode::kUpstreamUnreachable && c != ErrorCode::kUpstreamTimeout &&
        c != ErrorCode::kUpstreamNetworkUnreachable && c != ErrorCode::kUpstreamBadResponse) {
      return;
    }
    if (++st.failures == config_.breaker_failures) {
      Log().warn("circuit breaker opened for {} after {} consecutive failures (last: {})", url,
                 st.failures, s.ToString());
    }
    if (st.failures >= config_.breaker_failures) {
      st.open_until = steady_clock::now() + config_.breaker_cooldown;
    }
  }

  void ProbeLoop() {
    std::unique_lock lock(probe_mu_);
    while (!stop_probe_) {
      lock.unlock();
      std::vector<std::string> urls;
      {
        std::lock_guard state_lock(state_mu_);
        for (const auto& [url, st] : state_) {
          urls.push_back(url);
        }
      }
      for (const auto& url : urls) {
        const bool ok = ProbeOnce(url);
        std::lock_guard state_lock(state_mu_);
        UpstreamState& st = state_[url];
        if (st.probed && st.probe_ok != ok) {
          (ok ? Log().info("upstream {} answers its health probe again", url)
              : Log().warn("upstream {} fails its health probe", url));
        }
        st.probed = true;
        st.probe_ok = ok;
      }
      lock.lock();
      probe_cv_.wait_for(lock, config_.health_interval, [this] { return stop_probe_; });
    }
  }

  // GET <url>?wsdl: any HTTP answer within the timeout means the upstream is there.
  bool ProbeOnce(const std::string& url) {
    if (!CheckInterface(config_.interface).ok()) {
      return false;
    }
    CURL* h = pool_.Acquire();
    if (h == nullptr) {
      return false;
    }
    const std::string probe_url = url + (url.find('?') == std::string::npos ? "?wsdl" : "&wsdl");
    std::string sink_body;
    BodySink sink{&sink_body, 1 << 20};
    curl_easy_setopt(h, CURLOPT_URL, probe_url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &WriteBody);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::min<int64_t>(config_.connect_timeout.count(), 3000)));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
    ApplyPathAndTls(h);
    const CURLcode rc = curl_easy_perform(h);
    pool_.Release(h);
    return rc == CURLE_OK || rc == CURLE_WRITE_ERROR;
  }

  // The VPN-side binding and TLS settings every upstream connection uses (requests, probes).
  void ApplyPathAndTls(CURL* h) const {
    if (!interface_.empty()) {
      curl_easy_setopt(h, CURLOPT_INTERFACE, interface_.c_str());
    }
    curl_easy_setopt(h, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, config_.verify_host ? 2L : 0L);
    if (!config_.ca_file.empty()) {
      curl_easy_setopt(h, CURLOPT_CAINFO, config_.ca_file.c_str());
    }
    if (!config_.client_cert_file.empty()) {
      curl_easy_setopt(h, CURLOPT_SSLCERT, config_.client_cert_file.c_str());
      curl_easy_setopt(h, CURLOPT_SSLKEY, config_.client_key_file.c_str());
    }
  }

  Status SendOnce(const std::string& url, const UpstreamRequest& request, milliseconds budget,
                  UpstreamResponse* response, bool* request_sent) {
    CURL* h = pool_.Acquire();
    if (h == nullptr) {
      return {ErrorCode::kGatewayInternal, "curl_easy_init failed"};
    }
    response->body.clear();
    response->content_type.clear();
    BodySink sink{&response->body, max_response_bytes_};
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    // Lives until SendOnce returns: its destructor stops and joins the source's thread.
    std::optional<StreamedBody> streamed;
    if (request.body_source != nullptr) {
      streamed.emplace(*request.body_source);
      curl_easy_setopt(h, CURLOPT_READFUNCTION, &StreamedBody::Read);
      curl_easy_setopt(h, CURLOPT_READDATA, &*streamed);
      curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, &StreamedBody::Seek);
      curl_easy_setopt(h, CURLOPT_SEEKDATA, &*streamed);
      // A known Content-Length, not chunked transfer encoding.
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body_source->size()));
    } else {
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers_);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &WriteBody);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::min(config_.connect_timeout, budget).count()));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(budget.count()));
    ApplyPathAndTls(h);

    const CURLcode rc = curl_easy_perform(h);
    long request_size = 0;
    curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &request_size);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    long os_errno = 0;
    curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
    const char* ctype = nullptr;
    curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ctype);
    if (ctype != nullptr) {
      response->content_type = ctype;
    }
    pool_.Release(h);

    *request_sent = !(IsConnectPhaseError(rc) && request_size == 0);
    if (streamed && streamed->failed()) {
      return {ErrorCode::kGatewayInternal,
              "the request to " + url + " was aborted: its body could not be produced"};
    }
    if (rc == CURLE_OK) {
      response->http_status = static_cast<int>(status);
      return Status::Ok();
    }
    const std::string detail =
        std::string(url) + ": " + (errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
    if (sink.overflow) {
      return {ErrorCode::kUpstreamBadResponse,
              "response larger than " + std::to_string(max_response_bytes_) + " bytes from " + url};
    }
    if (rc == CURLE_OPERATION_TIMEDOUT) {
      return {*request_sent ? ErrorCode::kUpstreamTimeout : ErrorCode::kUpstreamUnreachable,
              detail};
    }
    if (!*request_sent) {
      if (IsNetworkUnreachable(rc, os_errno)) {
        return {ErrorCode::kUpstreamNetworkUnreachable, detail};
      }
      return {ErrorCode::kUpstreamUnreachable, detail};
    }
    return {ErrorCode::kUpstreamBadResponse, detail};
  }

  const config::ConnectorConfig config_;
  const uint64_t max_response_bytes_;
  HandlePool pool_;
  curl_slist* headers_ = nullptr;
  std::string interface_;
  mutable std::mutex state_mu_;
  std::map<std::string, UpstreamState> state_;  // guarded by state_mu_
  std::mutex probe_mu_;
  std::condition_variable probe_cv_;
  bool stop_probe_ = false;  // guarded by probe_mu_
  std::thread probe_thread_;
};

}  // namespace

std::unique_ptr<Connector> MakeCurlConnector(const config::ConnectorConfig& config,
                                             uint64_t max_response_bytes,
                                             std::vector<std::string> probe_urls) {
  auto connector =
      std::make_unique<CurlConnector>(config, max_response_bytes, std::move(probe_urls));
  connector->StartProbe();
  return connector;
}

Status CurlGlobalInit() {
  static const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (rc != CURLE_OK) {
    return {ErrorCode::kGatewayInternal,
            std::string("curl_global_init failed: ") + curl_easy_strerror(rc)};
  }
  return Status::Ok();
}

}  // namespace shepgw::connector
