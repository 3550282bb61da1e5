// Loading and validation of the gateway configuration. The sections are a table
// (kSections): a new top-level section is one parse function and one row.

#include "shepgw/config/config.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <map>
#include <optional>
#include <system_error>
#include <utility>

#include "shepgw/common/tz.h"
#include "shepgw/common/utf8.h"

#include "config/values.h"
#include "config/yaml_reader.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace shepgw::config {
namespace {

using internal::ErrorList;
using internal::Field;
using internal::MapReader;
using internal::ReadBool;
using internal::ReadDuration;
using internal::ReadEnum;
using internal::ReadInt;
using internal::ReadSequence;
using internal::ReadSize;
using internal::ReadString;
using internal::Require;

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

using shepgw::IsValidUtf8;
using shepgw::LocalDateTime;
using shepgw::TimeZone;

// std::strerror is not thread-safe; a reload may run concurrently with other threads.
std::string ErrnoText() { return std::system_category().message(errno); }

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * kKiB;
constexpr uint64_t kGiB = 1024 * kMiB;

// The file is operator-written and a few KiB; the cap keeps a wrong path (a log file, a
// device) from being slurped into memory.
constexpr size_t kMaxFileBytes = 4 * kMiB;
// Far above real deployments, low enough that aliases (`- *big` repeated) cannot make
// validation quadratic or explode memory.
constexpr size_t kMaxRoutes = 10'000;
constexpr size_t kMaxUpstreams = 16;
constexpr size_t kMaxPaths = 64;
constexpr size_t kMaxFiles = 64;  // per list of trust/participant files
constexpr size_t kMaxParticipants = 10'000;
constexpr size_t kMaxServices = 10'000;
constexpr size_t kMaxAlgorithms = 16;

// Reads a string that must be an IP literal: binding to a name would depend on resolver
// state at start-up and could silently pick another interface.
void ReadIpAddress(ErrorList& errors, const Field& field, std::string* out) {
  std::string s;
  if (!ReadString(errors, field, &s)) {
    return;
  }
  if (!internal::IsIpLiteral(s)) {
    errors.Add(field.path, field.line,
               "must be an IPv4 or IPv6 address (e.g. 0.0.0.0 or ::), got '" + s + "'");
    return;
  }
  *out = std::move(s);
}

void ParseTls(ErrorList& errors, const Field& field, TlsServerConfig& tls) {
  MapReader m(errors, field);
  if (Field f = m.Get("cert"); Require(errors, f)) {
    ReadString(errors, f, &tls.cert_file);
  }
  if (Field f = m.Get("key"); Require(errors, f)) {
    ReadString(errors, f, &tls.key_file);
  }
  static constexpr std::array<std::string_view, 2> kVersions = {"1.2", "1.3"};
  ReadEnum(errors, m.Get("min_version"), kVersions, &tls.min_version);
  ReadString(errors, m.Get("ciphers"), &tls.ciphers);
  ReadString(errors, m.Get("ciphersuites"), &tls.ciphersuites);
  ReadString(errors, m.Get("client_ca"), &tls.client_ca_file);
  const Field require = m.Get("require_client_cert");
  if (ReadBool(errors, require, &tls.require_client_cert) && tls.require_client_cert &&
      tls.client_ca_file.empty()) {
    errors.Add(require.path, require.line,
               "requires 'client_ca' (the CA bundle that client certificates are verified "
               "against)");
  }
  m.Finish();
}

void ParseListen(ErrorList& errors, const Field& field, Config& config) {
  ListenConfig& listen = config.listen;
  MapReader m(errors, field);
  ReadIpAddress(errors, m.Get("address"), &listen.address);
  // 0 = an ephemeral port chosen by the kernel (tests; the gateway logs the bound port).
  ReadInt(errors, m.Get("port"), 0, 65535, &listen.port);
  ParseTls(errors, m.Get("tls"), listen.tls);

  const Field paths = m.Get("paths");
  bool ok = false;
  const std::vector<Field> items = ReadSequence(errors, paths, kMaxPaths, &ok);
  if (ok && items.empty()) {
    errors.Add(paths.path, paths.line, "must list at least one path");
  }
  std::vector<std::string> parsed;
  for (const Field& item : items) {
    std::string p;
    if (!ReadString(errors, item, &p)) {
      ok = false;
      continue;
    }
    std::string problem;
    if (p.front() != '/') {
      problem = "must start with '/', got '" + p + "'";
    } else if (p.find_first_of(" ?#") != std::string::npos) {
      problem = "must be a plain path without spaces, '?' or '#', got '" + p + "'";
    } else if (std::find(parsed.begin(), parsed.end(), p) != parsed.end()) {
      problem = "duplicate path '" + p + "'";
    }
    if (!problem.empty()) {
      errors.Add(item.path, item.line, std::move(problem));
      ok = false;
      continue;
    }
    parsed.push_back(std::move(p));
  }
  if (ok && !parsed.empty()) {
    listen.paths = std::move(parsed);
  }
  m.Finish();
}

void ParseLimits(ErrorList& errors, const Field& field, Config& config) {
  LimitsConfig& limits = config.limits;
  MapReader m(errors, field);
  ReadSize(errors, m.Get("max_body_size"), kKiB, kGiB, &limits.max_body_bytes);
  // libxml2 refuses deeper documents than 256 without XML_PARSE_HUGE anyway; 1024 leaves
  // room while staying far from stack trouble.
  ReadInt(errors, m.Get("max_xml_depth"), 8, 1024, &limits.max_xml_depth);
  ReadDuration(errors, m.Get("client_timeout"), Millis(100), hours(1), &limits.client_timeout);
  ReadDuration(errors, m.Get("header_timeout"), Millis(1), hours(1), &limits.header_timeout);
  ReadDuration(errors, m.Get("body_timeout"), Millis(1), hours(1), &limits.body_timeout);
  ReadDuration(errors, m.Get("idle_timeout"), Millis(1), hours(1), &limits.idle_timeout);
  ReadInt(errors, m.Get("max_requests_per_connection"), 1, 1'000'000,
          &limits.max_requests_per_connection);
  ReadInt(errors, m.Get("max_connections"), 1, 100'000, &limits.max_connections);
  ReadInt(errors, m.Get("workers"), 1, 1024, &limits.workers);
  // 0 = no queue: a connection that finds every worker busy is refused with 503 at once.
  ReadInt(errors, m.Get("queue_size"), 0, 100'000, &limits.queue_size);
  const Field retry = m.Get("retry_after");
  Millis retry_after{0};
  if (ReadDuration(errors, retry, seconds(1), hours(1), &retry_after)) {
    // Retry-After carries whole seconds on the wire.
    if (retry_after.count() % 1000 != 0) {
      errors.Add(retry.path, retry.line,
                 "must be a whole number of seconds, got " + retry.node.Scalar());
    } else {
      limits.retry_after_seconds = static_cast<int>(retry_after.count() / 1000);
    }
  }
  m.Finish();
}

void ParseConnector(ErrorList& errors, const Field& field, Config& config) {
  ConnectorConfig& connector = config.connector;
  MapReader m(errors, field);
  ReadDuration(errors, m.Get("connect_timeout"), Millis(1), minutes(5), &connector.connect_timeout);
  ReadString(errors, m.Get("ca"), &connector.ca_file);
  const Field cert = m.Get("client_cert");
  const Field key = m.Get("client_key");
  const bool has_cert = ReadString(errors, cert, &connector.client_cert_file);
  const bool has_key = ReadString(errors, key, &connector.client_key_file);
  // A certificate without its key (or the reverse) would only fail at the first upstream
  // call; catch the half-configured pair here.
  if (has_cert && !key.present) {
    errors.Add(cert.path, cert.line, "'client_key' is required when 'client_cert' is set");
  }
  if (has_key && !cert.present) {
    errors.Add(key.path, key.line, "'client_cert' is required when 'client_key' is set");
  }
  ReadBool(errors, m.Get("verify_host"), &connector.verify_host);
  ReadInt(errors, m.Get("breaker_failures"), 1, 1000, &connector.breaker_failures);
  ReadDuration(errors, m.Get("breaker_cooldown"), Millis(100), minutes(60),
               &connector.breaker_cooldown);
  ReadDuration(errors, m.Get("health_interval"), Millis(0), minutes(60),
               &connector.health_interval);
  const Field iface = m.Get("interface");
  std::string name;
  if (ReadString(errors, iface, &name)) {
    // IFNAMSIZ is 16 including the terminating NUL.
    if (name.size() > 15 || name.find_first_of("/ :") != std::string::npos) {
      errors.Add(iface.path, iface.line, "invalid interface name '" + name + "'");
    } else {
      connector.interface = std::move(name);
    }
  }
  ReadIpAddress(errors, m.Get("source_address"), &connector.source_address);
  m.Finish();
}

void ParseLogging(ErrorList& errors, const Field& field, Config& config) {
  LoggingConfig& logging = config.logging;
  MapReader m(errors, field);
  static constexpr std::array<std::string_view, 7> kLevels = {"trace", "debug",    "info", "warn",
                                                              "error", "critical", "off"};
  static constexpr std::array<std::string_view, 2> kFormats = {"text", "json"};
  ReadEnum(errors, m.Get("level"), kLevels, &logging.level);
  ReadEnum(errors, m.Get("format"), kFormats, &logging.format);
  ReadBool(errors, m.Get("access_log"), &logging.access_log);
  m.Finish();
}

void ParseAdmin(ErrorList& errors, const Field& field, Config& config) {
  AdminConfig& admin = config.admin;
  MapReader m(errors, field);
  ReadBool(errors, m.Get("enabled"), &admin.enabled);
  ReadIpAddress(errors, m.Get("address"), &admin.address);
  // 0 = an ephemeral port (tests; the gateway prints the bound port).
  ReadInt(errors, m.Get("port"), 0, 65535, &admin.port);
  ReadString(errors, m.Get("token_file"), &admin.token_file);
  m.Finish();
}

void ParseRoute(ErrorList& errors, const Field& item, bool has_wss, RouteConfig& route) {
  MapReader m(errors, item);
  if (!m.ok()) {
    return;
  }
  if (Field f = m.Get("service_id"); Require(errors, f)) {
    ReadString(errors, f, &route.service_id);
  }
  ReadString(errors, m.Get("route_id"), &route.route_id);
  const Field upstreams = m.Get("upstreams");
  if (Require(errors, upstreams)) {
    bool ok = false;
    const std::vector<Field> urls = ReadSequence(errors, upstreams, kMaxUpstreams, &ok);
    if (ok && urls.empty()) {
      errors.Add(upstreams.path, upstreams.line, "must list at least one upstream URL");
    }
    for (const Field& url : urls) {
      std::string u;
      if (!ReadString(errors, url, &u)) {
        continue;
      }
      if (std::string problem = internal::ValidateUpstreamUrl(u); !problem.empty()) {
        errors.Add(url.path, url.line, std::move(problem));
      } else if (std::find(route.upstreams.begin(), route.upstreams.end(), u) !=
                 route.upstreams.end()) {
        errors.Add(url.path, url.line, "duplicate upstream '" + u + "'");
      } else {
        route.upstreams.push_back(std::move(u));
      }
    }
  }
  ReadDuration(errors, m.Get("timeout"), Millis(1), hours(1), &route.timeout);
  const Field verify = m.Get("verify_response");
  if (ReadBool(errors, verify, &route.verify_response) && route.verify_response && !has_wss) {
    // Verifying ShEP's answer needs the trust anchors and algorithms of the wss section.
    errors.Add(verify.path, verify.line, "requires the 'wss' section");
  }
  ReadBool(errors, m.Get("optional"), &route.optional);
  m.Finish();
}

void ParseRoutes(ErrorList& errors, const Field& field, Config& config) {
  if (!field.present) {
    if (!field.under_error) {
      errors.Add(field.path, 0, "at least one route is required");
    }
    return;
  }
  bool ok = false;
  const std::vector<Field> items = ReadSequence(errors, field, kMaxRoutes, &ok);
  if (ok && items.empty()) {
    errors.Add(field.path, field.line, "at least one route is required");
  }
  // (service_id, route_id) → line of the first definition.
  std::map<std::pair<std::string, std::string>, int> seen;
  for (const Field& item : items) {
    RouteConfig route;
    route.line = item.line;
    ParseRoute(errors, item, config.has_wss, route);
    if (route.service_id.empty()) {
      continue;  // already reported
    }
    const auto [it, inserted] =
        seen.emplace(std::make_pair(route.service_id, route.route_id), item.line);
    if (!inserted) {
      const std::string which =
          route.route_id.empty()
              ? "service_id " + internal::Quote(route.service_id) + " without route_id"
              : "service_id " + internal::Quote(route.service_id) + ", route_id " +
                    internal::Quote(route.route_id);
      errors.Add(
          item.path, item.line,
          "duplicate route (" + which + "): already defined at line " + std::to_string(it->second));
      continue;
    }
    config.routes.push_back(std::move(route));
  }
}

// A list of file paths (anchors, CRLs, participant certificates): non-empty strings, no
// duplicates (a file listed twice is an editing mistake). Returns false when absent or invalid.
bool ReadFileList(ErrorList& errors, const Field& field, std::vector<std::string>* out) {
  bool ok = false;
  const std::vector<Field> items = ReadSequence(errors, field, kMaxFiles, &ok);
  std::vector<std::string> files;
  for (const Field& item : items) {
    std::string f;
    if (!ReadString(errors, item, &f)) {
      ok = false;
      continue;
    }
    if (std::find(files.begin(), files.end(), f) != files.end()) {
      errors.Add(item.path, item.line, "duplicate file " + internal::Quote(f));
      ok = false;
      continue;
    }
    files.push_back(std::move(f));
  }
  if (ok) {
    *out = std::move(files);
  }
  return ok;
}

// The order of the sections table puts wss first, so the sections that depend on it (trust,
// gateway_key, participants, routes[].verify_response) can check config.has_wss.
void ParseWss(ErrorList& errors, const Field& field, Config& config) {
  if (!field.present) {
    return;
  }
  config.has_wss = true;
  WssConfig& wss = config.wss;
  MapReader m(errors, field);
  ReadBool(errors, m.Get("require_signature"), &wss.require_signature);
  ReadBool(errors, m.Get("sign_forwarded"), &wss.sign_forwarded);
  ReadBool(errors, m.Get("sign_responses"), &wss.sign_responses);
  const Field algorithms = m.Get("allowed_algorithms");
  bool ok = false;
  const std::vector<Field> items = ReadSequence(errors, algorithms, kMaxAlgorithms, &ok);
  if (ok && items.empty()) {
    errors.Add(algorithms.path, algorithms.line, "must list at least one algorithm");
  }
  static constexpr std::array<std::string_view, 9> kAlgorithms = {
      "rsa-sha256",   "rsa-sha384", "rsa-sha512",   "ecdsa-sha256", "ecdsa-sha384",
      "ecdsa-sha512", "rsa-sha1",   "gost2015-512", "gost2004"};
  std::vector<std::string> parsed;
  for (const Field& item : items) {
    std::string a;
    if (!ReadEnum(errors, item, kAlgorithms, &a)) {
      ok = false;
      continue;
    }
    if (std::find(parsed.begin(), parsed.end(), a) != parsed.end()) {
      errors.Add(item.path, item.line, "duplicate algorithm '" + a + "'");
      ok = false;
      continue;
    }
    parsed.push_back(std::move(a));
  }
  if (ok && !parsed.empty()) {
    wss.allowed_algorithms = std::move(parsed);
  }
  m.Finish();
}

void ParseTrust(ErrorList& errors, const Field& field, Config& config) {
  if (!field.present) {
    if (config.has_wss && !field.under_error) {
      errors.Add(internal::JoinPath(field.path, "anchors"), field.line,
                 "required when the 'wss' section is present");
    }
    return;
  }
  TrustConfig& trust = config.trust;
  MapReader m(errors, field);
  // Without anchors nothing could ever validate: required whenever the section is there.
  const Field anchors = m.Get("anchors");
  if (Require(errors, anchors) && ReadFileList(errors, anchors, &trust.anchors) &&
      trust.anchors.empty()) {
    errors.Add(anchors.path, anchors.line, "must list at least one file");
  }
  ReadFileList(errors, m.Get("intermediates"), &trust.intermediates);
  ReadFileList(errors, m.Get("crls"), &trust.crls);
  ReadDuration(errors, m.Get("crl_refresh"), minutes(1), hours(24), &trust.crl_refresh);
  static constexpr std::array<std::string_view, 2> kPolicies = {"fail_closed", "fail_open"};
  ReadEnum(errors, m.Get("crl_policy"), kPolicies, &trust.crl_policy);
  ReadBool(errors, m.Get("check_revocation"), &trust.check_revocation);
  m.Finish();
}

void ParseGatewayKey(ErrorList& errors, const Field& field, Config& config) {
  if (!field.present) {
    if (config.has_wss && (config.wss.sign_forwarded || config.wss.sign_responses) &&
        !field.under_error) {
      errors.Add(field.path, field.line,
                 "required when wss.sign_forwarded or wss.sign_responses is true");
    }
    return;
  }
  GatewayKeyConfig& key = config.gateway_key;
  MapReader m(errors, field);
  static constexpr std::array<std::string_view, 3> kAlgorithms = {"rsa-sha256", "ecdsa-sha256",
                                                                  "gost2015-512"};
  const Field algorithm = m.Get("algorithm");
  // Absent = the default (rsa-sha256); a bad value was reported and is not checked again.
  const bool algorithm_ok =
      !algorithm.present || ReadEnum(errors, algorithm, kAlgorithms, &key.algorithm);
  const Field cert = m.Get("cert");
  const Field key_file = m.Get("key");
  const Field pkcs12 = m.Get("pkcs12");
  const Field password = m.Get("password_file");
  ReadString(errors, key_file, &key.key_file);
  ReadString(errors, pkcs12, &key.pkcs12_file);
  ReadString(errors, password, &key.password_file);
  // The key comes from exactly one place; the certificate may come from the container.
  if (pkcs12.present) {
    ReadString(errors, cert, &key.cert_file);
    if (key_file.present) {
      errors.Add(pkcs12.path, pkcs12.line,
                 "'key' and 'pkcs12' are mutually exclusive (the key is in one of them)");
    }
    if (!password.present) {
      errors.Add(pkcs12.path, pkcs12.line,
                 "requires 'password_file' (a file holding the container's password)");
    }
    if (algorithm_ok && key.algorithm != "gost2015-512") {
      errors.Add(pkcs12.path, pkcs12.line,
                 "NCA PKCS#12 containers are supported with algorithm gost2015-512 only; use "
                 "'key' for " +
                     key.algorithm);
    }
  } else {
    if (Require(errors, cert)) {
      ReadString(errors, cert, &key.cert_file);
    }
    Require(errors, key_file);
    if (password.present) {
      errors.Add(password.path, password.line, "only with 'pkcs12'");
    }
  }
  m.Finish();
}

void ParseParticipant(ErrorList& errors, const Field& item, ParticipantConfig& participant) {
  MapReader m(errors, item);
  if (!m.ok()) {
    return;
  }
  if (Field f = m.Get("sender_id"); Require(errors, f)) {
    ReadString(errors, f, &participant.sender_id);
  }
  const Field certificates = m.Get("certificates");
  const bool certificates_ok = ReadFileList(errors, certificates, &participant.certificates);

  const Field fingerprints = m.Get("fingerprints");
  bool fingerprints_ok = false;
  for (const Field& f : ReadSequence(errors, fingerprints, kMaxFiles, &fingerprints_ok)) {
    std::string text;
    std::string hex;
    if (!ReadString(errors, f, &text)) {
      fingerprints_ok = false;
    } else if (std::string problem = internal::NormalizeFingerprint(text, &hex); !problem.empty()) {
      errors.Add(f.path, f.line, std::move(problem));
      fingerprints_ok = false;
    } else if (std::find(participant.fingerprints.begin(), participant.fingerprints.end(), hex) !=
               participant.fingerprints.end()) {
      errors.Add(f.path, f.line, "duplicate fingerprint " + internal::Quote(text));
      fingerprints_ok = false;
    } else {
      participant.fingerprints.push_back(std::move(hex));
    }
  }
  // Only when both lists parsed: an invalid list was reported already and would cascade.
  const bool lists_valid =
      (certificates_ok || !certificates.present) && (fingerprints_ok || !fingerprints.present);
  if (lists_valid && participant.certificates.empty() && participant.fingerprints.empty()) {
    errors.Add(item.path, item.line,
               "needs at least one entry in 'certificates' or 'fingerprints' (the certificates "
               "the participant signs with)");
  }

  const Field services = m.Get("services");
  if (Require(errors, services)) {
    bool ok = false;
    const std::vector<Field> items = ReadSequence(errors, services, kMaxServices, &ok);
    if (ok && items.empty()) {
      errors.Add(services.path, services.line,
                 "must list at least one serviceId (or \"*\" for every service)");
    }
    for (const Field& f : items) {
      std::string service;
      if (!ReadString(errors, f, &service)) {
        continue;
      }
      if (std::find(participant.services.begin(), participant.services.end(), service) !=
          participant.services.end()) {
        errors.Add(f.path, f.line, "duplicate service " + internal::Quote(service));
        continue;
      }
      participant.services.push_back(std::move(service));
    }
    // "*" next to named services means one of them is a mistake; refuse the ambiguity.
    if (participant.services.size() > 1 &&
        std::find(participant.services.begin(), participant.services.end(), "*") !=
            participant.services.end()) {
      errors.Add(services.path, services.line,
                 "\"*\" (every service) must be the only entry when present");
    }
  }
  m.Finish();
}

void ParseParticipants(ErrorList& errors, const Field& field, Config& config) {
  constexpr char kNeeded[] =
      "at least one participant is required when the 'wss' section is "
      "present";
  if (!field.present) {
    if (config.has_wss && !field.under_error) {
      errors.Add(field.path, field.line, kNeeded);
    }
    return;
  }
  bool ok = false;
  const std::vector<Field> items = ReadSequence(errors, field, kMaxParticipants, &ok);
  if (ok && items.empty() && config.has_wss) {
    errors.Add(field.path, field.line, kNeeded);
  }
  std::map<std::string, int> seen;  // sender_id → line of its first definition
  for (const Field& item : items) {
    ParticipantConfig participant;
    participant.line = item.line;
    ParseParticipant(errors, item, participant);
    if (participant.sender_id.empty()) {
      continue;  // already reported
    }
    const auto [it, inserted] = seen.emplace(participant.sender_id, item.line);
    if (!inserted) {
      errors.Add(item.path, item.line,
                 "duplicate sender_id " + internal::Quote(participant.sender_id) +
                     ": already defined at line " + std::to_string(it->second));
      continue;
    }
    config.participants.push_back(std::move(participant));
  }
}

// --- maintenance -----------------------------------------------------------------------

constexpr size_t kMaxPlannedWindows = 1000;
constexpr size_t kMaxNoticeBytes = 1000;

std::string Ordinal(size_t n) {
  static constexpr std::array<std::string_view, 11> kWords = {
      "",      "first",   "second", "third", "fourth", "fifth",
      "sixth", "seventh", "eighth", "ninth", "tenth"};
  return n < kWords.size() ? std::string(kWords[n]) : std::to_string(n) + "th";
}

// A local date and time in the zone (when it is known). Returns false after an error.
bool ReadLocalTime(ErrorList& errors, const Field& field, const std::optional<TimeZone>& zone,
                   LocalDateTime* local, std::chrono::system_clock::time_point* out) {
  std::string text;
  if (!Require(errors, field) || !ReadString(errors, field, &text)) {
    return false;
  }
  if (std::string problem = ParseLocalDateTime(text, local); !problem.empty()) {
    errors.Add(field.path, field.line, problem + ", got " + internal::Quote(text));
    return false;
  }
  if (!zone) {
    return false;  // the zone's own error is reported
  }
  const auto t = zone->FromLocal(*local);
  if (!t) {
    errors.Add(
        field.path, field.line,
        internal::Quote(text) + " does not exist in " + zone->name() + " (the clocks skip it)");
    return false;
  }
  *out = *t;
  return true;
}

struct ParsedWindow {
  MaintenanceWindowConfig window;
  LocalDateTime local_start;
  std::string path;
  size_t file_order = 0;
};

void ParsePlannedWindow(ErrorList& errors, const Field& item, const std::optional<TimeZone>& zone,
                        std::vector<ParsedWindow>& out) {
  MapReader m(errors, item);
  if (!m.ok()) {
    return;
  }
  ParsedWindow p;
  p.path = item.path;
  p.window.line = item.line;
  LocalDateTime local_end;
  const Field start = m.Get("start");
  const Field end = m.Get("end");
  bool ok = ReadLocalTime(errors, start, zone, &p.local_start, &p.window.start);
  ok = ReadLocalTime(errors, end, zone, &local_end, &p.window.end) && ok;
  if (ok && p.window.end <= p.window.start) {
    errors.Add(end.path, end.line,
               "must be after start (" + FormatLocalDateTime(p.local_start) + "), got " +
                   FormatLocalDateTime(local_end));
    ok = false;
  }
  p.window.start_local = FormatLocalDateTime(p.local_start);
  p.window.end_local = FormatLocalDateTime(local_end);

  const Field services = m.Get("services");
  bool services_ok = false;
  const std::vector<Field> items = ReadSequence(errors, services, kMaxServices, &services_ok);
  if (services_ok && items.empty()) {
    errors.Add(services.path, services.line,
               "must list at least one serviceId (leave the key out for every service)");
    ok = false;
  }
  for (const Field& f : items) {
    std::string service;
    if (!ReadString(errors, f, &service)) {
      ok = false;
      continue;
    }
    if (std::find(p.window.services.begin(), p.window.services.end(), service) !=
        p.window.services.end()) {
      errors.Add(f.path, f.line, "duplicate service " + internal::Quote(service));
      ok = false;
      continue;
    }
    p.window.services.push_back(std::move(service));
  }
  if (services.present && !services_ok) {
    ok = false;
  }

  const Field notice = m.Get("notice");
  std::string text;
  if (ReadString(errors, notice, &text)) {
    if (text.size() > kMaxNoticeBytes) {
      errors.Add(notice.path, notice.line,
                 "must be at most " + std::to_string(kMaxNoticeBytes) + " bytes, got " +
                     std::to_string(text.size()));
      ok = false;
    } else if (!IsValidUtf8(text)) {
      errors.Add(notice.path, notice.line, "must be valid UTF-8");
      ok = false;
    } else {
      p.window.notice = std::move(text);
    }
  } else if (notice.present) {
    ok = false;
  }
  m.Finish();
  if (ok) {
    out.push_back(std::move(p));
  }
}

void ParseMaintenance(ErrorList& errors, const Field& field, Config& config) {
  if (!field.present) {
    return;
  }
  MaintenanceConfig& maintenance = config.maintenance;
  MapReader m(errors, field);
  if (!m.ok()) {
    return;
  }
  const Field tz_field = m.Get("timezone");
  ReadString(errors, tz_field, &maintenance.timezone);
  std::optional<TimeZone> zone;
  if (!tz_field.present || !maintenance.timezone.empty()) {
    std::string problem;
    zone = TimeZone::Load(maintenance.timezone, &problem);
    if (!zone) {
      errors.Add(tz_field.path, tz_field.present ? tz_field.line : m.line(), problem);
    }
  }
  ReadDuration(errors, m.Get("lead_time"), Millis(0), hours(24), &maintenance.lead_time);
  ReadString(errors, m.Get("state_file"), &maintenance.state_file);
  const Field retry = m.Get("unplanned_retry_after");
  Millis retry_after{0};
  if (ReadDuration(errors, retry, seconds(1), hours(24), &retry_after)) {
    if (retry_after.count() % 1000 != 0) {
      errors.Add(retry.path, retry.line,
                 "must be a whole number of seconds, got " + retry.node.Scalar());
    } else {
      maintenance.unplanned_retry_after = retry_after;
    }
  }
  ReadDuration(errors, m.Get("availability_window"), hours(1), hours(24 * 400),
               &maintenance.availability_window);

  const Field planned = m.Get("planned");
  bool ok = false;
  std::vector<ParsedWindow> windows;
  size_t order = 0;
  for (const Field& item : ReadSequence(errors, planned, kMaxPlannedWindows, &ok)) {
    const size_t before = windows.size();
    ParsePlannedWindow(errors, item, zone, windows);
    if (windows.size() > before) {
      windows.back().file_order = order;
    }
    ++order;
  }
  std::stable_sort(
      windows.begin(), windows.end(),
      [](const ParsedWindow& a, const ParsedWindow& b) { return a.window.start < b.window.start; });
  // Overlaps: sorted by start, a window overlaps an earlier one iff it starts before the
  // latest end so far. The error goes on the one written later in the file.
  const ParsedWindow* latest = nullptr;
  for (const ParsedWindow& w : windows) {
    if (latest != nullptr && w.window.start < latest->window.end) {
      const ParsedWindow& later = w.file_order > latest->file_order ? w : *latest;
      const ParsedWindow& earlier = w.file_order > latest->file_order ? *latest : w;
      errors.Add(later.path, later.window.line,
                 "overlaps the planned window at line " + std::to_string(earlier.window.line) +
                     " (" + earlier.window.start_local + " to " + earlier.window.end_local + ")");
    }
    if (latest == nullptr || w.window.end > latest->window.end) {
      latest = &w;
    }
  }
  // KZ-9: at most two planned windows starting in one calendar month, in the zone.
  std::map<std::pair<int, int>, size_t> per_month;
  for (const ParsedWindow& w : windows) {
    const size_t n = ++per_month[{w.local_start.year, w.local_start.month}];
    if (n > 2) {
      const std::string month = FormatLocalDateTime(w.local_start).substr(0, 7);
      errors.Add(
          w.path, w.window.line,
          "a " + Ordinal(n) + " planned window in " + month + " (KZ-9 allows at most two a month)");
    }
  }
  for (ParsedWindow& w : windows) {
    maintenance.planned.push_back(std::move(w.window));
  }
  m.Finish();
}

// The top-level sections. To add one: write ParseX(errors, field, config) and add a row.
struct Section {
  std::string_view key;
  void (*parse)(ErrorList& errors, const Field& field, Config& config);
};
// Order matters only where a section reads what an earlier one set (has_wss).
constexpr std::array<Section, 11> kSections = {{
    {"listen", ParseListen},
    {"admin", ParseAdmin},
    {"limits", ParseLimits},
    {"connector", ParseConnector},
    {"logging", ParseLogging},
    {"wss", ParseWss},
    {"trust", ParseTrust},
    {"gateway_key", ParseGatewayKey},
    {"participants", ParseParticipants},
    {"routes", ParseRoutes},
    {"maintenance", ParseMaintenance},
}};

void ParseDocument(ErrorList& errors, const std::string& yaml, Config& config) {
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(yaml);
  } catch (const YAML::ParserException& e) {
    const int line = e.mark.line >= 0 ? e.mark.line + 1 : 0;
    errors.Add("", line, "YAML syntax error: " + e.msg);
    return;
  }
  if (documents.empty() || documents.front().IsNull()) {
    errors.Add("", 0, "the configuration is empty");
    return;
  }
  if (documents.size() > 1) {
    errors.Add(
        "", internal::LineOf(documents[1]),
        "only one YAML document is allowed (found " + std::to_string(documents.size()) + ")");
    return;
  }
  const YAML::Node& root = documents.front();
  if (!root.IsMap()) {
    errors.Add("", internal::LineOf(root), "the top level must be a mapping of sections");
    return;
  }
  // Line 0 for the root: a missing section has no line of its own to point at.
  MapReader top(errors, Field{root, true, "", 0, false});
  for (const Section& section : kSections) {
    section.parse(errors, top.Get(section.key), config);
  }
  top.Finish();
}

}  // namespace

std::string ConfigError::ToString() const {
  std::string out;
  if (line > 0) {
    out += std::to_string(line) + ": ";
  }
  if (!key_path.empty()) {
    out += key_path + ": ";
  }
  out += message;
  return out;
}

std::string FormatConfigError(std::string_view file, const ConfigError& error) {
  std::string out(file);
  out += error.line > 0 ? ":" + error.ToString() : ": " + error.ToString();
  return out;
}

ConfigLoadResult LoadConfigString(const std::string& yaml, const std::string& source_name) {
  ConfigLoadResult result;
  ErrorList errors;
  auto config = std::make_shared<Config>();
  config->source_path = source_name;
  if (yaml.size() > kMaxFileBytes) {
    errors.Add("", 0, "the configuration is larger than " + internal::FormatSize(kMaxFileBytes));
  } else {
    // yaml-cpp reports problems by throwing; nothing may escape this module.
    try {
      ParseDocument(errors, yaml, *config);
    } catch (const YAML::Exception& e) {
      const int line = e.mark.line >= 0 ? e.mark.line + 1 : 0;
      errors.Add("", line, "YAML error: " + e.msg);
    } catch (const std::exception& e) {
      errors.Add("", 0, std::string("internal error while reading the configuration: ") + e.what());
    }
  }
  result.errors = std::move(errors.errors());
  // Document order; errors without a line (missing sections) last.
  std::stable_sort(
      result.errors.begin(), result.errors.end(), [](const ConfigError& a, const ConfigError& b) {
        return std::make_pair(a.line == 0, a.line) < std::make_pair(b.line == 0, b.line);
      });
  if (result.errors.empty()) {
    result.config = std::move(config);
  }
  return result;
}

ConfigLoadResult LoadConfigFile(const std::string& path) {
  const auto fail = [&](std::string message) {
    ConfigLoadResult result;
    result.errors.push_back(ConfigError{"", 0, std::move(message)});
    return result;
  };
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return fail("cannot open '" + path + "': " + ErrnoText());
  }
  struct stat st {};
  std::string content;
  std::string problem;
  if (fstat(fd, &st) != 0) {
    problem = "cannot stat '" + path + "': " + ErrnoText();
  } else if (!S_ISREG(st.st_mode)) {
    problem = "'" + path + "' is not a regular file";
  } else if (static_cast<uint64_t>(st.st_size) > kMaxFileBytes) {
    problem = "'" + path + "' is larger than " + internal::FormatSize(kMaxFileBytes);
  } else {
    // Read up to one byte past the cap in case the file grows between fstat and read.
    content.resize(kMaxFileBytes + 1);
    size_t total = 0;
    while (total < content.size()) {
      const ssize_t n = read(fd, content.data() + total, content.size() - total);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0) {
        problem = "cannot read '" + path + "': " + ErrnoText();
        break;
      }
      if (n == 0) {
        break;
      }
      total += static_cast<size_t>(n);
    }
    content.resize(total);
    if (problem.empty() && total > kMaxFileBytes) {
      problem = "'" + path + "' is larger than " + internal::FormatSize(kMaxFileBytes);
    }
  }
  close(fd);
  if (!problem.empty()) {
    return fail(std::move(problem));
  }
  return LoadConfigString(content, path);
}

}  // namespace shepgw::config
