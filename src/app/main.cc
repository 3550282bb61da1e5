// shepgw: the external gateway of the e-government service bus.
//
//   shepgw serve --config FILE         run the gateway (foreground; systemd Type=notify)
//   shepgw check-config --config FILE  validate everything and list every error; exit 0/1
//   shepgw sign --key K --cert C       sign an envelope's Body (transport signature, no timestamp)
//   shepgw verify --config FILE        verify a signed request as the gateway would, say why
//   shepgw version                     version and linked library versions
#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "stdsoap2.h"
#include <curl/curl.h>
#include <libxml/xmlversion.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <systemd/sd-daemon.h>

#include "shepgw/admin/admin_server.h"
#include "shepgw/common/logging.h"
#include "shepgw/config/config.h"
#include "shepgw/connector/connector.h"
#include "shepgw/contract/contract.h"
#include "shepgw/envelope/envelope.h"
#include "shepgw/frontend/server.h"
#include "shepgw/pipeline/pipeline.h"
#include "shepgw/pki/gost.h"
#include "shepgw/pki/trust.h"
#include "shepgw/routing/route_table.h"
#include "shepgw/version.h"
#include "shepgw/wss/wss.h"

#include "operations.h"
#include <unistd.h>

namespace shepgw {
namespace {

using app::CheckReadiness;
using app::HandleMaintenancePost;
using app::OperationsView;
using app::RenderHealth;
using app::RenderMetrics;
using app::RuntimeState;
using app::UpForAvailability;

constexpr std::chrono::seconds kDrainGrace{30};

int Usage() {
  std::fprintf(stderr,
               "usage: shepgw serve --config FILE\n"
               "       shepgw check-config --config FILE\n"
               "       shepgw sign --key KEY.pem --cert CERT.pem [--algorithm ALG] < in > out\n"
               "       shepgw verify --config FILE [--response] < in.xml\n"
               "       shepgw maintenance on|off|status --config FILE [--service ID]\n"
               "                          [--notice TEXT] [--until 30m|2h|YYYY-MM-DDTHH:MMZ]\n"
               "       shepgw version\n");
  return 2;
}

const char* FindConfigArg(const std::vector<std::string>& args) {
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "--config" || args[i] == "-c") {
      return args[i + 1].c_str();
    }
  }
  return nullptr;
}

void PrintConfigErrors(const std::string& path, const std::vector<config::ConfigError>& errors) {
  for (const auto& e : errors) {
    std::fprintf(stderr, "%s\n", config::FormatConfigError(path, e).c_str());
  }
}

// Builds everything a request is served with. Loads trust material, participants and the
// gateway key when the config has a wss section; any failure leaves the caller's current
// snapshot untouched (start-up fails, a reload is rejected).
Result<std::shared_ptr<const pipeline::Snapshot>> BuildSnapshot(
    std::shared_ptr<const config::Config> config,
    std::shared_ptr<maintenance::ManualSwitch> manual = nullptr) {
  auto snap = std::make_shared<pipeline::Snapshot>();
  snap->schedule = std::make_shared<maintenance::Schedule>(config->maintenance);
  snap->manual = std::move(manual);
  snap->routes = std::make_shared<routing::RouteTable>(config->routes);
  std::vector<std::string> upstreams;
  for (const auto& route : config->routes) {
    for (const auto& url : route.upstreams) {
      if (std::find(upstreams.begin(), upstreams.end(), url) == upstreams.end()) {
        upstreams.push_back(url);
      }
    }
  }
  snap->connector = connector::MakeCurlConnector(config->connector, config->limits.max_body_bytes,
                                                 std::move(upstreams));
  if (config->has_wss) {
    auto trust = pki::LoadTrustStore(config->trust, SystemClock::Instance());
    if (!trust.ok()) {
      return trust.status();
    }
    auto participants = pki::LoadParticipants(config->participants);
    if (!participants.ok()) {
      return participants.status();
    }
    snap->trust = *trust;
    snap->participants = *participants;
    wss::VerifyPolicy policy;
    policy.allowed_algorithms = config->wss.allowed_algorithms;
    snap->verifier =
        std::make_shared<wss::Verifier>(std::move(policy), snap->trust, snap->participants);
    if (config->wss.sign_forwarded || config->wss.sign_responses) {
      auto key = pki::LoadGatewayKey(config->gateway_key);
      if (!key.ok()) {
        return key.status();
      }
      snap->gateway_key = *key;
      snap->signer = std::make_shared<wss::Signer>(*key);
    }
  }
  snap->config = std::move(config);
  return std::shared_ptr<const pipeline::Snapshot>(std::move(snap));
}

// Everything check-config verifies beyond the YAML itself: files load, keys match.
std::vector<std::string> DeepCheck(const config::Config& config) {
  std::vector<std::string> errors;
  if (Status s = frontend::Server::CheckTls(config.listen.tls); !s.ok()) {
    errors.push_back(s.message());
  }
  auto readable = [&](const std::string& path, const char* key) {
    if (!path.empty() && access(path.c_str(), R_OK) != 0) {
      errors.push_back(std::string(key) + " '" + path + "': " + std::strerror(errno));
    }
  };
  readable(config.connector.ca_file, "connector.ca");
  readable(config.connector.client_cert_file, "connector.client_cert");
  readable(config.connector.client_key_file, "connector.client_key");
  if (config.has_wss) {
    if (auto trust = pki::LoadTrustStore(config.trust, SystemClock::Instance()); !trust.ok()) {
      errors.push_back(trust.status().message());
    }
    if (auto p = pki::LoadParticipants(config.participants); !p.ok()) {
      errors.push_back(p.status().message());
    }
    if (config.wss.sign_forwarded || config.wss.sign_responses) {
      if (auto key = pki::LoadGatewayKey(config.gateway_key); !key.ok()) {
        errors.push_back(key.status().message());
      }
    }
  }
  return errors;
}

std::string Hex(const unsigned char* data, size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < size; ++i) {
    out += kHex[data[i] >> 4];
    out += kHex[data[i] & 0xf];
  }
  return out;
}

// For every GOST CA in trust.anchors / trust.intermediates: its key algorithm and two hashes
// of the key itself, so an operator can check a download from pki.gov.kz against a key known
// independently (docs/security.md § GOST trust setup). The key id is SHA-1 over the key's
// OCTET STRING (RFC 5280 method 1, NCA's SKI); computed, not read from the extension.
void PrintGostCas(const config::TrustConfig& trust) {
  auto print = [](const std::vector<std::string>& files, const char* key) {
    for (size_t i = 0; i < files.size(); ++i) {
      auto certs = pki::LoadPemCertificates(files[i]);
      if (!certs.ok()) {
        continue;  // DeepCheck reported it
      }
      for (const pki::X509Ptr& cert : certs.value()) {
        unsigned char* der = nullptr;
        const int len = i2d_X509(cert.get(), &der);
        const std::string der_bytes =
            len > 0 ? std::string(reinterpret_cast<const char*>(der), static_cast<size_t>(len))
                    : "";
        OPENSSL_free(der);
        auto gost_key = pki::gost::CertificatePublicKey(der_bytes);
        if (!gost_key.ok()) {
          continue;  // not a GOST CA
        }
        const std::string& xy = gost_key->xy_le();
        // DER OCTET STRING header: 04 40 (64 bytes) or 04 81 80 (128 bytes).
        std::string octets = xy.size() < 128 ? std::string{'\x04', static_cast<char>(xy.size())}
                                             : std::string{'\x04', '\x81', '\x80'};
        octets += xy;
        unsigned char sha1[SHA_DIGEST_LENGTH];
        SHA1(reinterpret_cast<const unsigned char*>(octets.data()), octets.size(), sha1);
        unsigned char sha256[SHA256_DIGEST_LENGTH];
        SHA256(reinterpret_cast<const unsigned char*>(xy.data()), xy.size(), sha256);
        const pki::CertificateFacts facts = pki::DescribeCertificate(cert.get());
        std::printf(
            "shepgw: %s[%zu] '%s': GOST CA '%s' (serial %s): key %s, key id %s, key sha256 %s\n",
            key, i, files[i].c_str(), facts.subject.c_str(), facts.serial.c_str(),
            std::string(pki::gost::Describe(gost_key->algorithm()).name).c_str(),
            Hex(sha1, sizeof(sha1)).c_str(), Hex(sha256, sizeof(sha256)).c_str());
      }
    }
  };
  print(trust.anchors, "trust.anchors");
  print(trust.intermediates, "trust.intermediates");
}

int CheckConfig(const std::string& path) {
  const auto loaded = config::LoadConfigFile(path);
  if (!loaded.ok()) {
    PrintConfigErrors(path, loaded.errors);
    std::fprintf(stderr, "shepgw: %zu error(s) in %s\n", loaded.errors.size(), path.c_str());
    return 1;
  }
  const auto deep = DeepCheck(*loaded.config);
  for (const auto& e : deep) {
    std::fprintf(stderr, "%s: %s\n", path.c_str(), e.c_str());
  }
  if (!deep.empty()) {
    std::fprintf(stderr, "shepgw: %zu error(s) in %s\n", deep.size(), path.c_str());
    return 1;
  }
  std::printf("shepgw: configuration %s is valid (%zu routes)\n", path.c_str(),
              loaded.config->routes.size());
  PrintGostCas(loaded.config->trust);
  if (!loaded.config->has_wss) {
    std::printf(
        "shepgw: warning: no 'wss' section: signatures are neither verified nor "
        "produced (KZ-5/KZ-6 require them in production)\n");
  }
  return 0;
}

std::string ReadAll(std::FILE* in, size_t limit, bool* too_large) {
  std::string data;
  char buf[65536];
  size_t n = 0;
  *too_large = false;
  while ((n = std::fread(buf, 1, sizeof(buf), in)) > 0) {
    if (data.size() + n > limit) {
      *too_large = true;
      break;
    }
    data.append(buf, n);
  }
  return data;
}

const char* FindArg(const std::vector<std::string>& args, const char* name) {
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == name) {
      return args[i + 1].c_str();
    }
  }
  return nullptr;
}

// shepgw sign --key KEY --cert CERT [--algorithm rsa-sha256|ecdsa-sha256|gost2015-512] < in.xml >
// out.xml
int SignCommand(const std::vector<std::string>& args) {
  const char* key = FindArg(args, "--key");
  const char* cert = FindArg(args, "--cert");
  if (key == nullptr || cert == nullptr) {
    return Usage();
  }
  config::GatewayKeyConfig kc;
  kc.key_file = key;
  kc.cert_file = cert;
  if (const char* alg = FindArg(args, "--algorithm"); alg != nullptr) {
    kc.algorithm = alg;
  }
  (void)SetupLogging("warn", LogFormat::kText);
  envelope::InitXmlLibrary();
  if (Status s = wss::InitXmlSec(); !s.ok()) {
    std::fprintf(stderr, "shepgw sign: %s\n", s.ToString().c_str());
    return 1;
  }
  auto loaded = pki::LoadGatewayKey(kc);
  if (!loaded.ok()) {
    std::fprintf(stderr, "shepgw sign: %s\n", loaded.status().message().c_str());
    return 1;
  }
  envelope::ParseLimits limits;
  bool too_large = false;
  const std::string in = ReadAll(stdin, limits.max_bytes, &too_large);
  if (too_large) {
    std::fprintf(stderr, "shepgw sign: input larger than %zu bytes\n", limits.max_bytes);
    return 1;
  }
  wss::Signer signer(*loaded);
  auto out = signer.SignDocument(in, limits);
  if (!out.ok()) {
    std::fprintf(stderr, "shepgw sign: %s\n", out.status().ToString().c_str());
    return 1;
  }
  std::fwrite(out->data(), 1, out->size(), stdout);
  return 0;
}

// shepgw verify --config FILE < in.xml: the verdict the gateway would reach, and why.
// With --response: the input is an answer (any Body element, no requestInfo) — check its
// transport signature and signer certificate against the config's trust (e.g. an integrator
// checking the gateway's signature on what it returned); no participant checks.
int VerifyCommand(const std::string& path, bool response) {
  const auto loaded = config::LoadConfigFile(path);
  if (!loaded.ok()) {
    PrintConfigErrors(path, loaded.errors);
    return 2;
  }
  if (!loaded.config->has_wss) {
    std::fprintf(stderr, "shepgw verify: %s has no 'wss' section\n", path.c_str());
    return 2;
  }
  (void)SetupLogging("warn", LogFormat::kText);
  envelope::InitXmlLibrary();
  if (Status s = wss::InitXmlSec(); !s.ok()) {
    std::fprintf(stderr, "shepgw verify: %s\n", s.ToString().c_str());
    return 2;
  }
  auto snap = BuildSnapshot(loaded.config);
  if (!snap.ok()) {
    std::fprintf(stderr, "shepgw verify: %s\n", snap.status().message().c_str());
    return 2;
  }
  envelope::ParseLimits limits;
  limits.max_bytes = loaded.config->limits.max_body_bytes;
  limits.max_depth = loaded.config->limits.max_xml_depth;
  bool too_large = false;
  const std::string in = ReadAll(stdin, limits.max_bytes, &too_large);
  auto fail = [](const Status& s) {
    std::printf("FAIL %s: %s\n", std::string(s.token()).c_str(), s.message().c_str());
    return 1;
  };
  if (too_large) {
    return fail(Status(ErrorCode::kHttpBodyTooLarge, "input over limits.max_body_size"));
  }
  auto parsed = response ? envelope::ParseEnvelope(in, limits) : envelope::ParseRequest(in, limits);
  if (!parsed.status.ok()) {
    return fail(parsed.status);
  }
  const auto& info = parsed.envelope->info();
  auto verified = (*snap)->verifier->Verify(*parsed.envelope);
  if (!verified.ok()) {
    return fail(verified.status());
  }
  if (response) {
    std::printf("OK response signer=\"%s\" serial=%s algorithm=%s%s\n",
                verified->facts.subject.c_str(), verified->facts.serial.c_str(),
                verified->signature_algorithm.c_str(), verified->weak ? " (weak)" : "");
    return 0;
  }
  const pki::Participant* participant = (*snap)->participants->FindBySender(info.sender_id);
  if (participant == nullptr) {
    return fail(Status(ErrorCode::kAuthSenderUnknown, "senderId '" + info.sender_id + "'"));
  }
  if (!(*snap)->participants->IsBound(*participant, verified->signer.get())) {
    return fail(Status(ErrorCode::kAuthSignerNotSender,
                       "certificate serial " + verified->facts.serial +
                           " is not registered for senderId '" + info.sender_id + "'"));
  }
  if (!participant->MayCall(info.service_id)) {
    return fail(Status(ErrorCode::kAuthServiceNotAllowed, "serviceId '" + info.service_id + "'"));
  }
  std::printf("OK messageId=%s senderId=%s serviceId=%s signer=\"%s\" serial=%s algorithm=%s%s\n",
              info.message_id.c_str(), info.sender_id.c_str(), info.service_id.c_str(),
              verified->facts.subject.c_str(), verified->facts.serial.c_str(),
              verified->signature_algorithm.c_str(), verified->weak ? " (weak)" : "");
  return 0;
}

size_t AppendToString(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// "30m", "2h", "90s" from now, or "YYYY-MM-DDTHH:MM[:SS]Z" (UTC). 0 on error.
int64_t ParseUntil(const std::string& text) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  if (!text.empty() && std::isdigit(static_cast<unsigned char>(text[0])) && text.size() <= 6) {
    char* end = nullptr;
    const long long n = std::strtoll(text.c_str(), &end, 10);
    const std::string unit(end);
    const long long mult = unit == "s"   ? 1
                           : unit == "m" ? 60
                           : unit == "h" ? 3600
                           : unit == "d" ? 86400
                                         : 0;
    return n > 0 && mult > 0 ? now + n * mult : 0;
  }
  std::tm tm{};
  const char* rest = strptime(text.c_str(), "%Y-%m-%dT%H:%M", &tm);
  if (rest == nullptr) {
    return 0;
  }
  if (*rest == ':') {
    rest = strptime(rest, ":%S", &tm);
  }
  if (rest == nullptr || std::string(rest) != "Z") {
    return 0;
  }
  return static_cast<int64_t>(timegm(&tm));
}

// shepgw maintenance on|off|status --config FILE [--service ID] [--notice TEXT] [--until TIME]:
// switches unplanned maintenance through the admin listener of the running gateway.
int MaintenanceCommand(const std::vector<std::string>& args, const std::string& path) {
  const std::string verb = args.size() > 1 ? args[1] : "";
  if (verb != "on" && verb != "off" && verb != "status") {
    return Usage();
  }
  const auto loaded = config::LoadConfigFile(path);
  if (!loaded.ok()) {
    PrintConfigErrors(path, loaded.errors);
    return 2;
  }
  const auto& admin = loaded.config->admin;
  std::string token;
  if (std::FILE* f = std::fopen(admin.token_file.c_str(), "r"); f != nullptr) {
    char buf[256] = {0};
    token.assign(buf, std::fread(buf, 1, sizeof(buf) - 1, f));
    std::fclose(f);
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) {
      token.pop_back();
    }
  } else {
    std::fprintf(stderr, "shepgw maintenance: cannot read admin.token_file '%s'\n",
                 admin.token_file.c_str());
    return 2;
  }
  std::string url =
      "http://" +
      (admin.address.find(':') != std::string::npos ? "[" + admin.address + "]" : admin.address) +
      ":" + std::to_string(admin.port) + "/maintenance/" + verb;
  CURL* h = curl_easy_init();
  std::string query;
  if (const char* svc = FindArg(args, "--service"); svc != nullptr) {
    char* esc = curl_easy_escape(h, svc, 0);
    query += "service=" + std::string(esc);
    curl_free(esc);
  }
  if (const char* until = FindArg(args, "--until"); until != nullptr) {
    const int64_t t = ParseUntil(until);
    if (t == 0) {
      std::fprintf(stderr, "shepgw maintenance: --until wants 30m, 2h or 2026-12-05T22:00Z\n");
      curl_easy_cleanup(h);
      return 2;
    }
    query += (query.empty() ? "" : "&") + std::string("until=") + std::to_string(t);
  }
  if (!query.empty()) {
    url += "?" + query;
  }
  const char* notice = FindArg(args, "--notice");
  const std::string body = notice != nullptr ? notice : "";
  const std::string auth = "Authorization: Bearer " + token;
  curl_slist* headers = curl_slist_append(nullptr, auth.c_str());
  headers = curl_slist_append(headers, "Content-Type: text/plain; charset=utf-8");
  std::string answer;
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &AppendToString);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &answer);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
  const CURLcode rc = curl_easy_perform(h);
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(h);
  if (rc != CURLE_OK) {
    std::fprintf(stderr, "shepgw maintenance: %s: %s\n", url.c_str(), curl_easy_strerror(rc));
    return 1;
  }
  std::printf("%s\n", answer.c_str());
  return status == 200 ? 0 : 1;
}

int Version() {
  std::printf("shepgw %s\n", SHEPGW_VERSION);
  std::printf("  %s\n", OpenSSL_version(OPENSSL_VERSION));
  std::printf("  libxml2 %s\n", LIBXML_DOTTED_VERSION);
  std::printf("  %s\n", curl_version());
  std::printf("  gSOAP %d\n", GSOAP_VERSION);
  return 0;
}

LogFormat ParseLogFormat(const std::string& f) {
  return f == "json" ? LogFormat::kJson : LogFormat::kText;
}

// SIGHUP: build the new configuration, snapshot and TLS context aside; swap only when all
// of it loaded. On any error the running configuration stays and the reasons are logged.
void Reload(const std::string& path, pipeline::Pipeline& pipeline, frontend::Server& server,
            RuntimeState& state, const std::shared_ptr<maintenance::ManualSwitch>& manual) {
  auto reloaded = config::LoadConfigFile(path);
  if (!reloaded.ok()) {
    for (const auto& e : reloaded.errors) {
      Log().error("reload rejected: {}", config::FormatConfigError(path, e));
    }
    Log().error("reload rejected: keeping the running configuration");
    state.reloads_failed.fetch_add(1);
    return;
  }
  auto next = BuildSnapshot(reloaded.config, manual);
  if (!next.ok()) {
    Log().error("reload rejected: {}; keeping the running configuration", next.status().message());
    state.reloads_failed.fetch_add(1);
    return;
  }
  // Certificate rotation: new connections get the new TLS context.
  if (Status s = server.ReloadTls(reloaded.config->listen.tls); !s.ok()) {
    Log().error("reload rejected: {}; keeping the running configuration", s.message());
    state.reloads_failed.fetch_add(1);
    return;
  }
  if (auto certs = pki::LoadPemCertificates(reloaded.config->listen.tls.cert_file);
      certs.ok() && !certs->empty()) {
    state.tls_not_after =
        std::chrono::duration_cast<std::chrono::seconds>(
            pki::DescribeCertificate(certs->front().get()).not_after.time_since_epoch())
            .count();
  }
  pipeline.Swap(*next);
  state.config_generation.fetch_add(1);
  state.config_loaded_at = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  state.reloads_ok.fetch_add(1);
  (void)SetupLogging(reloaded.config->logging.level,
                     ParseLogFormat(reloaded.config->logging.format));
  Log().info(
      "reloaded {}: {} routes, TLS certificate reloaded (address, port, paths and "
      "front-end limits need a restart)",
      path, reloaded.config->routes.size());
}

// The systemd watchdog (WatchdogSec=): pings at half the interval, but only while every
// worker thread shows a sign of life, so a wedged gateway gets restarted. Also keeps the
// STATUS= line of `systemctl status` current.
class Watchdog {
 public:
  Watchdog(const frontend::Server& server, const pipeline::GatewayMetrics& metrics,
           const RuntimeState& state, const config::Config& config) {
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) {
      return;
    }
    // A worker inside one request is silent while that request may legitimately run.
    auto longest = config.limits.body_timeout + config.limits.header_timeout;
    std::chrono::milliseconds route_max{0};
    for (const auto& r : config.routes) {
      route_max = std::max(route_max, r.timeout * static_cast<int>(r.upstreams.size()));
    }
    const auto max_silence = longest + route_max + std::chrono::seconds(10);
    const auto interval = std::chrono::microseconds(usec / 2);
    thread_ = std::thread([this, &server, &metrics, &state, max_silence, interval] {
      auto next = std::chrono::steady_clock::now();
      while (!stop_.load()) {
        if (std::chrono::steady_clock::now() >= next) {
          next = std::chrono::steady_clock::now() + interval;
          if (server.WorkersResponsive(max_silence)) {
            sd_notifyf(0,
                       "WATCHDOG=1\nSTATUS=serving: %lld in flight, %d connections, config "
                       "generation %llu%s",
                       static_cast<long long>(metrics.in_flight.load()),
                       server.stats().active_connections.load(),
                       static_cast<unsigned long long>(state.config_generation.load()),
                       state.draining.load() ? ", draining" : "");
          } else {
            Log().error(
                "watchdog: a worker thread has shown no sign of life for over {} ms; "
                "not confirming liveness to systemd",
                max_silence.count());
          }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
  }
  ~Watchdog() {
    stop_ = true;
    if (thread_.joinable()) {
      thread_.join();
    }
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

int Serve(const std::string& path) {
  // Signals are taken synchronously by this thread (sigwait), never in async handlers.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a client that hangs up must not kill the gateway

  auto loaded = config::LoadConfigFile(path);
  if (!loaded.ok()) {
    PrintConfigErrors(path, loaded.errors);
    std::fprintf(stderr, "shepgw: not starting: %zu error(s) in %s\n", loaded.errors.size(),
                 path.c_str());
    return 1;
  }
  auto config = loaded.config;
  if (Status s = SetupLogging(config->logging.level, ParseLogFormat(config->logging.format));
      !s.ok()) {
    std::fprintf(stderr, "shepgw: %s\n", s.ToString().c_str());
    return 1;
  }
  envelope::InitXmlLibrary();
  if (Status s = wss::InitXmlSec(); !s.ok()) {
    Log().critical("{}", s.ToString());
    return 1;
  }
  if (Status s = connector::CurlGlobalInit(); !s.ok()) {
    Log().critical("{}", s.ToString());
    return 1;
  }

  // Unplanned maintenance: one switch for the life of the process (it survives reloads; with
  // maintenance.state_file it also survives restarts).
  auto manual = std::make_shared<maintenance::ManualSwitch>(config->maintenance.state_file);
  if (!manual->load_error().empty()) {
    Log().error("maintenance state file ignored: {}", manual->load_error());
  }
  auto snapshot = BuildSnapshot(config, manual);
  if (!snapshot.ok()) {
    Log().critical("not starting: {}", snapshot.status().message());
    return 1;
  }
  if (!config->has_wss) {
    Log().warn("no 'wss' section: transport signatures are neither verified nor produced");
  }
  RuntimeState state;
  state.config_loaded_at = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  if (auto certs = pki::LoadPemCertificates(config->listen.tls.cert_file);
      certs.ok() && !certs->empty()) {
    state.tls_not_after =
        std::chrono::duration_cast<std::chrono::seconds>(
            pki::DescribeCertificate(certs->front().get()).not_after.time_since_epoch())
            .count();
  }
  pipeline::GatewayMetrics metrics;
  pipeline::Pipeline pipeline(*snapshot, SystemClock::Instance(), &metrics);
  frontend::Server server(*config, pipeline, std::string(contract::SyncChannelWsdl()));
  if (Status s = server.Start(); !s.ok()) {
    Log().critical("not starting: {}", s.message());
    return 1;
  }
  state.listening = true;
  maintenance::AvailabilityTracker availability(std::chrono::system_clock::now());
  const OperationsView view{&state, &pipeline, &metrics, &server, &availability};
  std::string admin_token;
  if (!config->admin.token_file.empty()) {
    std::FILE* f = std::fopen(config->admin.token_file.c_str(), "r");
    if (f == nullptr) {
      Log().critical("not starting: admin.token_file '{}': {}", config->admin.token_file,
                     std::strerror(errno));
      return 1;
    }
    char buf[256] = {0};
    const size_t n = std::fread(buf, 1, sizeof(buf) - 1, f);
    std::fclose(f);
    admin_token.assign(buf, n);
    while (!admin_token.empty() && (admin_token.back() == '\n' || admin_token.back() == '\r')) {
      admin_token.pop_back();
    }
  }
  admin::AdminServer admin_server({[&view] { return RenderMetrics(view); },
                                   [&view] { return RenderHealth(view); },
                                   [&view] { return CheckReadiness(view); },
                                   [&manual, &admin_token](const admin::AdminPost& post) {
                                     return HandleMaintenancePost(post, *manual, admin_token);
                                   }});
  std::thread admin_thread;
  if (config->admin.enabled) {
    if (Status s = admin_server.Start(config->admin); !s.ok()) {
      Log().critical("not starting: {}", s.message());
      return 1;
    }
    Log().info("admin listener on http://{}:{} (/health, /ready, /metrics)", config->admin.address,
               admin_server.bound_port());
    std::printf("ADMIN %u\n", static_cast<unsigned>(admin_server.bound_port()));
    admin_thread = std::thread([&admin_server] { admin_server.Run(); });
  }
  Log().info("shepgw {} listening on https://{}:{} ({} routes, {} workers)", SHEPGW_VERSION,
             config->listen.address, server.bound_port(), config->routes.size(),
             config->limits.workers);
  std::printf("LISTENING %u\n", static_cast<unsigned>(server.bound_port()));
  std::fflush(stdout);

  std::thread server_thread([&server] { server.Run(); });
  sd_notifyf(0, "READY=1\nSTATUS=serving on port %u", static_cast<unsigned>(server.bound_port()));
  Watchdog watchdog(server, metrics, state, *config);
  // BY-2: one availability observation a second.
  std::atomic<bool> stop_ticker{false};
  std::thread ticker([&] {
    while (!stop_ticker.load()) {
      availability.Observe(std::chrono::system_clock::now(), UpForAvailability(view));
      for (int i = 0; i < 10 && !stop_ticker.load(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  });

  bool draining = false;
  std::thread drain_timer;
  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) {
      continue;
    }
    if (sig == SIGHUP) {
      sd_notifyf(
          0, "RELOADING=1\nMONOTONIC_USEC=%llu",
          static_cast<unsigned long long>(std::chrono::duration_cast<std::chrono::microseconds>(
                                              std::chrono::steady_clock::now().time_since_epoch())
                                              .count()));
      Reload(path, pipeline, server, state, manual);
      sd_notify(0, "READY=1");
      continue;
    }
    // SIGTERM / SIGINT.
    if (draining) {
      Log().warn("second stop signal: exiting now");
      server.Stop();
      break;
    }
    draining = true;
    state.draining = true;
    sd_notify(0, "STOPPING=1");
    Log().info("draining: no new connections, finishing requests in flight (up to {}s)",
               kDrainGrace.count());
    server.BeginDrain();
    drain_timer = std::thread([&server] {
      const auto until = std::chrono::steady_clock::now() + kDrainGrace;
      while (std::chrono::steady_clock::now() < until) {
        if (server.stats().active_connections.load() == 0) {
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      server.Stop();
      // Wake the signal loop so main can join and exit.
      kill(getpid(), SIGTERM);
    });
  }
  server_thread.join();
  if (drain_timer.joinable()) {
    drain_timer.join();
  }
  stop_ticker = true;
  ticker.join();
  admin_server.Stop();
  if (admin_thread.joinable()) {
    admin_thread.join();
  }
  Log().info("stopped");
  return 0;
}

}  // namespace
}  // namespace shepgw

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    return shepgw::Usage();
  }
  const std::string& cmd = args[0];
  if (cmd == "version" || cmd == "--version") {
    return shepgw::Version();
  }
  const char* config = shepgw::FindConfigArg(args);
  if (cmd == "serve" && config != nullptr) {
    return shepgw::Serve(config);
  }
  if (cmd == "check-config" && config != nullptr) {
    return shepgw::CheckConfig(config);
  }
  if (cmd == "verify" && config != nullptr) {
    const bool response = std::find(args.begin(), args.end(), "--response") != args.end();
    return shepgw::VerifyCommand(config, response);
  }
  if (cmd == "sign") {
    return shepgw::SignCommand(args);
  }
  if (cmd == "maintenance" && config != nullptr) {
    return shepgw::MaintenanceCommand(args, config);
  }
  return shepgw::Usage();
}
