#include "shepgw/pipeline/pipeline.h"

#include <optional>

#include "shepgw/common/logging.h"
#include "shepgw/envelope/envelope.h"

namespace shepgw::pipeline {

// Everything the access log and the metrics say about one request, filled as stages run.
struct RequestRecord {
  const HttpRequest* request = nullptr;
  envelope::RequestInfo info;
  std::string route;
  std::string signer_subject;
  std::string signer_serial;
  std::string upstream;
  int attempts = 0;
  Status outcome;
  int retry_after_seconds = 0;  // > 0: overrides the config's Retry-After (maintenance)
  int http_status = 0;
  size_t bytes_in = 0;  // request->body.size(), kept: the body may be released mid-way
  size_t bytes_out = 0;
  bool weak_signature = false;
  int64_t parse_us = -1;
  int64_t verify_us = -1;
  int64_t sign_us = -1;
  int64_t upstream_us = -1;
  int64_t total_us = 0;
};

namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;
using std::chrono::steady_clock;

int64_t MicrosSince(steady_clock::time_point start, steady_clock::time_point now) {
  return duration_cast<microseconds>(now - start).count();
}

void AppendField(std::string& out, bool json, std::string_view key, std::string_view value) {
  if (json) {
    out += ",\"";
    out += key;
    out += "\":\"";
    AppendJsonEscaped(out, value);
    out += '"';
  } else {
    out += ' ';
    out += key;
    out += '=';
    out += value.empty() ? "-" : SanitizeForLog(value, 128);
  }
}

void AppendNumber(std::string& out, bool json, std::string_view key, int64_t value) {
  if (value < 0) {
    return;  // stage not reached
  }
  if (json) {
    out += ",\"";
    out += key;
    out += "\":";
    out += std::to_string(value);
  } else {
    out += ' ';
    out += key;
    out += '=';
    out += std::to_string(value);
  }
}

void WriteAccessLog(const RequestRecord& r, bool enabled) {
  if (!enabled) {
    return;
  }
  const bool json = CurrentLogFormat() == LogFormat::kJson;
  std::string line;
  line.reserve(384);
  if (json) {
    line += R"({"time":")";
    line += FormatXsdDateTime(std::chrono::system_clock::now());
    line += R"(","log":"access")";
  }
  AppendField(line, json, "peer", r.request->peer);
  AppendField(line, json, "path", r.request->path);
  AppendField(line, json, "messageId", r.info.message_id);
  AppendField(line, json, "serviceId", r.info.service_id);
  AppendField(line, json, "senderId", r.info.sender_id);
  AppendField(line, json, "route", r.route);
  if (!r.signer_serial.empty()) {
    AppendField(line, json, "signer", r.signer_subject);
    AppendField(line, json, "signer_serial", r.signer_serial);
  }
  AppendField(line, json, "outcome", r.outcome.token());
  AppendNumber(line, json, "status", r.http_status);
  AppendNumber(line, json, "bytes_in", static_cast<int64_t>(r.bytes_in));
  AppendNumber(line, json, "bytes_out", static_cast<int64_t>(r.bytes_out));
  AppendField(line, json, "upstream", r.upstream);
  AppendNumber(line, json, "attempts", r.attempts);
  AppendNumber(line, json, "parse_us", r.parse_us);
  AppendNumber(line, json, "verify_us", r.verify_us);
  AppendNumber(line, json, "sign_us", r.sign_us);
  AppendNumber(line, json, "upstream_us", r.upstream_us);
  AppendNumber(line, json, "total_us", r.total_us);
  if (!r.outcome.ok()) {
    AppendField(line, json, "detail", r.outcome.message());
  }
  if (json) {
    line += '}';
  } else if (line.starts_with(' ')) {
    line.erase(0, 1);
  }
  AccessLog().info("{}", line);
}

HttpResponse FaultResponse(const Status& status, std::string_view session_id,
                           const config::Config* config) {
  const ErrorDescription& d = Describe(status.code());
  HttpResponse out;
  out.status = d.http_status;
  out.body = envelope::RenderFault(status.code(), status.message(), session_id,
                                   std::chrono::system_clock::now());
  if (d.retry_after) {
    out.retry_after_seconds = config != nullptr ? config->limits.retry_after_seconds : 5;
  }
  return out;
}

// From this size on, a re-signed request is serialised while it is sent (a counting pass
// first, for the Content-Length) instead of into a string beside its tree: one copy of a
// 10 MB message less at the peak. Below it the string is cheaper than two serialisations.
constexpr size_t kStreamFrom = size_t{1} << 20;

// The re-signed envelope as the connector's body source (connector::BodySource).
class TreeBody final : public connector::BodySource {
 public:
  explicit TreeBody(const envelope::ParsedEnvelope& envelope) : envelope_(envelope) {
    uint64_t n = 0;
    ok_ = envelope_.SerializeTo([&n](std::string_view piece) {
      n += piece.size();
      return true;
    });
    size_ = n;
  }
  bool ok() const { return ok_; }
  uint64_t size() const override { return size_; }
  bool Write(const std::function<bool(std::string_view)>& sink) const override {
    return envelope_.SerializeTo(sink);
  }

 private:
  const envelope::ParsedEnvelope& envelope_;
  uint64_t size_ = 0;
  bool ok_ = false;
};

bool IsXmlContentType(std::string_view ct) {
  const auto semi = ct.find(';');
  std::string_view type = ct.substr(0, semi);
  while (!type.empty() && type.back() == ' ') {
    type.remove_suffix(1);
  }
  return type.ends_with("/xml") || type.ends_with("+xml");
}

}  // namespace

Pipeline::Pipeline(std::shared_ptr<const Snapshot> snapshot, const Clock& clock,
                   GatewayMetrics* metrics)
    : clock_(clock), metrics_(metrics), snapshot_(std::move(snapshot)) {}

void Pipeline::Record(const RequestRecord& r) {
  if (metrics_ == nullptr) {
    return;
  }
  const std::string route = r.route.empty() ? "-" : r.route;
  const std::string outcome(r.outcome.token());
  metrics_->requests.Inc({route, outcome});
  metrics_->bytes.Inc({"in"}, r.bytes_in);
  metrics_->bytes.Inc({"out"}, r.bytes_out);
  metrics_->stage_seconds.ObserveMicros({"parse"}, r.parse_us);
  metrics_->stage_seconds.ObserveMicros({"verify"}, r.verify_us);
  metrics_->stage_seconds.ObserveMicros({"sign"}, r.sign_us);
  metrics_->stage_seconds.ObserveMicros({"upstream"}, r.upstream_us);
  metrics_->stage_seconds.ObserveMicros({"total"}, r.total_us);
  if (outcome.starts_with("wss.") || outcome.starts_with("pki.") || outcome.starts_with("auth.")) {
    metrics_->security_failures.Inc({outcome});
  } else if (outcome.starts_with("upstream.")) {
    metrics_->upstream_errors.Inc({route, outcome.substr(9)});
  }
  if (r.weak_signature) {
    metrics_->weak_signatures.Inc({});
  }
}

std::shared_ptr<const Snapshot> Pipeline::snapshot() const {
  std::lock_guard lock(mutex_);
  return snapshot_;
}

void Pipeline::Swap(std::shared_ptr<const Snapshot> snapshot) {
  std::lock_guard lock(mutex_);
  snapshot_ = std::move(snapshot);
}

HttpResponse Pipeline::Reject(const HttpRequest& request, const Status& status) {
  const auto snap = snapshot();
  RequestRecord record;
  record.request = &request;
  record.bytes_in = request.body.size();
  record.outcome = status;
  HttpResponse response = FaultResponse(status, "", snap->config.get());
  record.http_status = response.status;
  record.bytes_out = response.body.size();
  record.total_us = MicrosSince(request.received_at, clock_.Monotonic());
  WriteAccessLog(record, snap->config->logging.access_log);
  Record(record);
  return response;
}

HttpResponse Pipeline::Handle(const HttpRequest& request) {
  const auto snap = snapshot();  // this request's view of the world, even across a reload
  const config::Config& config = *snap->config;
  if (metrics_ != nullptr) {
    metrics_->in_flight.fetch_add(1, std::memory_order_relaxed);
  }
  RequestRecord record;
  record.request = &request;
  record.bytes_in = request.body.size();
  HttpResponse response;
  size_t body_released = 0;  // body[0, body_released) has been handed back
  auto release_body = [&](size_t n) {
    if (n > body_released && request.release_body) {
      body_released = n;
      request.release_body(n);
    }
  };

  // The stages, in order; each sets record.outcome on failure.
  auto run = [&]() {
    // 1. parse: one hardened libxml2 parse.
    const auto t0 = clock_.Monotonic();
    envelope::ParseLimits limits;
    limits.max_bytes = config.limits.max_body_bytes;
    limits.max_depth = config.limits.max_xml_depth;
    // When the gateway re-signs, the tree is what goes upstream: the received bytes are not
    // read after the parse, and a large message need not be held twice (bytes and tree), not
    // even during the parse (its slices are released as the parser is done with them).
    const bool forward_tree = snap->signer != nullptr && config.wss.sign_forwarded;
    const size_t body_size = request.body.size();
    envelope::ParseOutcome parsed =
        envelope::ParseRequest(request.body, limits, [&](size_t consumed) {
          if (forward_tree && consumed < body_size) {
            release_body(consumed);
          }
        });
    if (forward_tree) {
      release_body(body_size);
    }
    record.parse_us = MicrosSince(t0, clock_.Monotonic());
    record.info = std::move(parsed.info);
    if (!parsed.status.ok()) {
      record.outcome = std::move(parsed.status);
      return;
    }
    // record.info already holds these fields (moved from the outcome): no second copy.
    const envelope::RequestInfo& info = parsed.envelope->info();

    // 1b. maintenance (KZ-9): a planned or unplanned window for the gateway or this service.
    if (snap->schedule != nullptr) {
      const auto manual = snap->manual != nullptr ? snap->manual->Status()
                                                  : std::make_shared<maintenance::ManualState>();
      const maintenance::State m = snap->schedule->At(clock_.Now(), info.service_id, *manual);
      if (m.in_window) {
        std::string notice = m.window && !m.window->notice.empty()
                                 ? m.window->notice
                                 : std::string("the service is under maintenance");
        record.retry_after_seconds = static_cast<int>(
            std::min<int64_t>(std::max<int64_t>(m.retry_after_seconds, 1), int64_t{7} * 24 * 3600));
        record.outcome = Status(ErrorCode::kGatewayMaintenance, std::move(notice));
        return;
      }
    }

    // 2. verify: the transport signature over this very tree, and the signer certificate.
    pki::X509Ptr signer_cert;
    std::optional<wss::VerifiedSignature> verified_request;  // its Body digest is reused below
    if (snap->verifier != nullptr && config.wss.require_signature) {
      const auto t_verify = clock_.Monotonic();
      auto verified = snap->verifier->Verify(*parsed.envelope);
      record.verify_us = MicrosSince(t_verify, clock_.Monotonic());
      if (!verified.ok()) {
        record.outcome = verified.status();
        return;
      }
      record.signer_subject = verified->facts.subject;
      record.signer_serial = verified->facts.serial;
      signer_cert = std::move(verified->signer);
      record.weak_signature = verified->weak;
      if (verified->weak) {
        Log().warn("messageId={} senderId={}: weak signature algorithm {} (allowed by config)",
                   SanitizeForLog(info.message_id), SanitizeForLog(info.sender_id),
                   verified->signature_algorithm);
      }
      verified_request = std::move(*verified);
    }

    // 3. authorize: the signer is the sender, and the sender may call the service (BY-7).
    if (snap->participants != nullptr) {
      const pki::Participant* participant = snap->participants->FindBySender(info.sender_id);
      if (participant == nullptr) {
        record.outcome = Status(ErrorCode::kAuthSenderUnknown,
                                "senderId '" + SanitizeForLog(info.sender_id, 100) +
                                    "' is not a registered participant");
        return;
      }
      if (signer_cert != nullptr && !snap->participants->IsBound(*participant, signer_cert.get())) {
        record.outcome = Status(ErrorCode::kAuthSignerNotSender,
                                "certificate serial " + record.signer_serial + " (" +
                                    record.signer_subject + ") is not registered for senderId '" +
                                    SanitizeForLog(info.sender_id, 100) + "'");
        return;
      }
      if (!participant->MayCall(info.service_id)) {
        record.outcome =
            Status(ErrorCode::kAuthServiceNotAllowed,
                   "senderId '" + SanitizeForLog(info.sender_id, 100) +
                       "' may not call serviceId '" + SanitizeForLog(info.service_id, 100) + "'");
        return;
      }
    }

    // 4. route.
    auto route = snap->routes->Find(info.service_id, info.route_id);
    if (!route.ok()) {
      record.outcome = route.status();
      return;
    }
    record.route = (*route)->name;

    // 5. re-sign: the client's Security header goes, the gateway's signature comes (KZ-6: no
    // timestamp). The tree that was verified is the tree that is forwarded.
    std::string signed_request;
    std::optional<TreeBody> streamed_request;
    std::string_view forward_body;
    if (forward_tree) {
      const auto t_sign = clock_.Monotonic();
      if (Status s = snap->signer->SignEnvelope(*parsed.envelope,
                                                verified_request ? &*verified_request : nullptr);
          !s.ok()) {
        record.outcome = std::move(s);
        return;
      }
      if (record.bytes_in >= kStreamFrom) {
        streamed_request.emplace(*parsed.envelope);
        if (!streamed_request->ok()) {
          record.outcome =
              Status(ErrorCode::kGatewayInternal, "the signed request could not be serialised");
          return;
        }
      } else {
        signed_request = parsed.envelope->Serialize();
        forward_body = signed_request;
      }
      record.sign_us = MicrosSince(t_sign, clock_.Monotonic());
    } else {
      forward_body = request.body;
    }
    // The tree (~5x the message for record-heavy payloads) is not needed while the upstream
    // works, unless it is serialised as it is sent: freed now, not after the answer. `info`
    // dangles from here on; record.info keeps the fields for the log.
    if (!streamed_request) {
      parsed.envelope.reset();
    }

    // 6. forward.
    connector::UpstreamRequest up;
    up.route = *route;
    up.body = forward_body;
    up.body_source = streamed_request ? &*streamed_request : nullptr;
    up.message_id = record.info.message_id;
    up.deadline = request.deadline;
    const auto t1 = clock_.Monotonic();
    auto answer = snap->connector->Send(up);
    record.upstream_us = MicrosSince(t1, clock_.Monotonic());
    streamed_request.reset();
    parsed.envelope.reset();
    release_body(body_size);  // forwarded as received: no longer needed either
    if (!answer.ok()) {
      record.outcome = answer.status();
      return;
    }
    record.upstream = answer->upstream;
    record.attempts = answer->attempts;

    // 7. check the answer: only a SOAP 1.1 envelope goes back to the client. A SOAP fault
    // from ShEP is relayed as is (its status and detail are meaningful to the caller).
    // When the answer is verified or signed below, its one parse here is the tree those
    // steps use; otherwise CheckResponse checks it and keeps nothing.
    const bool verify_answer = (*route)->verify_response && snap->verifier != nullptr;
    const bool sign_answer = snap->signer != nullptr && config.wss.sign_responses;
    bool is_fault = false;
    envelope::ParseLimits response_limits = limits;
    std::unique_ptr<envelope::ParsedEnvelope> answer_tree;
    Status checked;
    if (verify_answer || sign_answer) {
      envelope::ParseOutcome parsed_answer = envelope::ParseEnvelope(answer->body, response_limits);
      checked = std::move(parsed_answer.status);
      if (checked.ok()) {
        answer_tree = std::move(parsed_answer.envelope);
        is_fault = answer_tree->is_fault();
      }
    } else {
      checked = envelope::CheckResponse(answer->body, response_limits, &is_fault);
    }
    if (!checked.ok() || !IsXmlContentType(answer->content_type)) {
      const std::string why =
          !checked.ok() ? checked.ToString() : "Content-Type '" + answer->content_type + "'";
      if (answer->http_status >= 200 && answer->http_status < 300) {
        record.outcome = Status(ErrorCode::kUpstreamBadResponse,
                                "HTTP " + std::to_string(answer->http_status) + " from " +
                                    answer->upstream + " is not a SOAP envelope (" + why + ")");
      } else {
        record.outcome = Status(ErrorCode::kUpstreamHttpError,
                                "HTTP " + std::to_string(answer->http_status) + " from " +
                                    answer->upstream + " without a SOAP envelope");
      }
      return;
    }
    if (!is_fault && (answer->http_status < 200 || answer->http_status >= 300)) {
      record.outcome =
          Status(ErrorCode::kUpstreamHttpError,
                 "HTTP " + std::to_string(answer->http_status) + " from " + answer->upstream);
      return;
    }
    // Optionally, the answer's own transport signature (ShEP signs what it returns) is checked
    // before the gateway vouches for it with its own. Faults are relayed unverified: ShEP
    // does not sign them.
    if (verify_answer && !is_fault) {
      auto verified_answer = snap->verifier->Verify(*answer_tree);
      if (!verified_answer.ok()) {
        record.outcome =
            Status(ErrorCode::kUpstreamBadResponse,
                   "answer from " + answer->upstream +
                       " failed signature verification: " + verified_answer.status().ToString());
        return;
      }
    }
    response.status = is_fault ? (answer->http_status >= 400 ? answer->http_status : 500) : 200;

    // 8. sign the answer with the gateway's key before it leaves for the outside world.
    if (sign_answer) {
      const auto t_sign = clock_.Monotonic();
      const Status signed_answer = snap->signer->SignEnvelope(*answer_tree);
      if (signed_answer.ok()) {
        response.body = answer_tree->Serialize();
      }
      record.sign_us =
          std::max<int64_t>(record.sign_us, 0) + MicrosSince(t_sign, clock_.Monotonic());
      if (!signed_answer.ok()) {
        record.outcome = Status(
            ErrorCode::kUpstreamBadResponse,
            "answer from " + record.upstream + " could not be signed: " + signed_answer.ToString());
        return;
      }
    } else {
      response.body = std::move(answer->body);
    }
  };

  try {
    run();
  } catch (const std::exception& e) {
    record.outcome = Status(ErrorCode::kGatewayInternal, std::string("exception: ") + e.what());
  } catch (...) {
    record.outcome = Status(ErrorCode::kGatewayInternal, "unknown exception");
  }

  if (!record.outcome.ok()) {
    response = FaultResponse(record.outcome, record.info.session_id, &config);
    if (record.retry_after_seconds > 0) {
      response.retry_after_seconds = record.retry_after_seconds;
    }
    if (Describe(record.outcome.code()).http_status >= 500) {
      Log().warn("messageId={} serviceId={} failed: {}", SanitizeForLog(record.info.message_id),
                 SanitizeForLog(record.info.service_id), record.outcome.ToString());
    }
  }
  record.http_status = response.status;
  record.bytes_out = response.body.size();
  record.total_us = MicrosSince(request.received_at, clock_.Monotonic());
  WriteAccessLog(record, config.logging.access_log);
  Record(record);
  if (metrics_ != nullptr) {
    metrics_->in_flight.fetch_sub(1, std::memory_order_relaxed);
  }
  return response;
}

}  // namespace shepgw::pipeline
