// The gateway's configuration: plain, immutable-after-load structs.
//
// LoadConfigFile() parses a YAML file strictly (unknown keys are errors) and validates it;
// every error names its key path and line. The result is shared read-only across threads
// (as std::shared_ptr<const Config>) and replaced as a whole on reload.
// docs/configuration.md documents every key: type, default, reloadable or not.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace shepgw::config {

using Millis = std::chrono::milliseconds;

// listen.tls
struct TlsServerConfig {
  std::string cert_file;            // PEM: server certificate followed by its chain (required)
  std::string key_file;             // PEM private key (required)
  std::string min_version = "1.2";  // "1.2" or "1.3"; anything older is refused
  std::string ciphers = "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!MD5:!DSS";  // TLS 1.2 list
  std::string ciphersuites =                                             // TLS 1.3 suites
      "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256";
  std::string client_ca_file;        // if set, client certificates are verified against it
  bool require_client_cert = false;  // needs client_ca_file
};

// listen
struct ListenConfig {
  std::string address = "0.0.0.0";
  uint16_t port = 8443;
  TlsServerConfig tls;
  // SOAP endpoint paths (exact match, query string ignored). ShEP-compatible defaults.
  std::vector<std::string> paths = {"/bip-sync-wss-gost/", "/bip-sync/"};
};

// limits
struct LimitsConfig {
  uint64_t max_body_bytes = 16ull * 1024 * 1024;  // → 413 above (BY-1 has 10 MB rows)
  int max_xml_depth = 256;                        // element nesting
  Millis header_timeout{10'000};                  // time to receive the request line + headers
  Millis body_timeout{60'000};                    // time to receive the whole body
  Millis idle_timeout{30'000};                    // keep-alive idle time between requests
  int max_requests_per_connection = 1000;
  int max_connections = 512;    // open client connections; above → 503
  int workers = 32;             // worker threads (each serves one connection at a time)
  int queue_size = 256;         // accepted connections waiting for a worker; above → 503
  int retry_after_seconds = 5;  // Retry-After on overload
  // How long callers wait for an answer (their HTTP client timeout; ShEP clients commonly use
  // 30–60 s). The upstream call never outlives it, whatever the route's timeout.
  Millis client_timeout{60'000};
};

// routes[]
struct RouteConfig {
  std::string service_id;              // required; requestInfo/serviceId
  std::string route_id;                // optional; requestInfo/routeId must then match
  std::vector<std::string> upstreams;  // http(s) URLs, tried in order on connect failure
  Millis timeout{30'000};              // total upstream time for one attempt
  bool verify_response = false;        // verify ShEP's signature on the answer before re-signing
  bool optional = false;               // /ready does not wait for this route's upstreams
  int line = 0;                        // line in the config file, for messages
};

// trust: who may sign inbound messages (the national CA and its intermediates).
struct TrustConfig {
  std::vector<std::string> anchors;        // PEM files with trust anchors (required with wss)
  std::vector<std::string> intermediates;  // PEM files with intermediate CA certificates
  std::vector<std::string> crls;           // CRL files (PEM or DER), re-read in the background
  Millis crl_refresh{3'600'000};           // how often CRL files are re-read
  // What a missing or stale (past nextUpdate) CRL means for a certificate of that issuer:
  // "fail_closed" (reject: pki.revocation_unknown) or "fail_open" (accept, log and count).
  std::string crl_policy = "fail_closed";
  bool check_revocation = true;  // false: CRLs are not consulted at all
};

// gateway_key: the gateway's own transport-signature key (KZ-6: no timestamp).
// The key is either `key_file` or, for gost2015-512, an NCA PKCS#12 container with its
// password in a file of its own (never in this configuration).
struct GatewayKeyConfig {
  std::string cert_file;  // PEM certificate (KeyIdentifier in our signatures); with
                          // pkcs12_file optional (then the container's certificate is used)
  std::string key_file;   // PEM private key (unencrypted PKCS#8; file mode 0600)
  std::string algorithm = "rsa-sha256";  // rsa-sha256 | ecdsa-sha256 | gost2015-512 (= the key's)
  // Initialised explicitly so {cert, key, algorithm} aggregates stay warning-free.
  std::string pkcs12_file{};    // PKCS#12 container (gost2015-512 only), or empty
  std::string password_file{};  // the container's password (mode 0600), with pkcs12
};

// participants[]: the external systems allowed in.
struct ParticipantConfig {
  std::string sender_id;                  // requestInfo/sender/senderId
  std::vector<std::string> certificates;  // PEM files of the certificates it signs with
  std::vector<std::string> fingerprints;  // or SHA-256 fingerprints (hex, ':' optional)
  std::vector<std::string> services;      // serviceIds it may call; ["*"] = all (BY-7)
  int line = 0;
};

// wss: the WS-Security profile.
struct WssConfig {
  bool require_signature = true;  // KZ-5: every inbound message is signed
  // Signature algorithms accepted inbound, by name: rsa-sha256, ecdsa-sha256, rsa-sha384,
  // rsa-sha512, ecdsa-sha384, ecdsa-sha512, rsa-sha1 (weak: only when listed explicitly).
  std::vector<std::string> allowed_algorithms = {"rsa-sha256", "ecdsa-sha256"};
  bool sign_forwarded = true;  // re-sign what goes to the internal ShEP
  bool sign_responses = true;  // sign what goes back to the client
};

// connector
struct ConnectorConfig {
  Millis connect_timeout{3'000};
  std::string ca_file;           // CA bundle for https upstreams (empty: system default)
  std::string client_cert_file;  // mTLS to the internal ShEP (optional)
  std::string client_key_file;
  bool verify_host = true;
  std::string interface;              // bind to this interface (VPN side); empty = any
  std::string source_address;         // bind to this local address; empty = any
  int max_response_bytes_factor = 0;  // 0 = same limit as max_body_bytes
  // Circuit breaker per upstream: open after this many consecutive transport failures
  // (connect errors, timeouts); while open, requests skip that upstream (fail fast when no
  // upstream of the route is left); after `breaker_cooldown` one request probes it.
  int breaker_failures = 5;
  Millis breaker_cooldown{10'000};
  // Active health probe: GET <upstream>?wsdl every interval (0 = off); feeds /ready.
  Millis health_interval{10'000};
};

// admin: the operators' listener (health, readiness, metrics). Plain HTTP: keep it on
// loopback or a management network.
struct AdminConfig {
  bool enabled = true;
  std::string address = "127.0.0.1";
  uint16_t port = 9100;  // 0 = ephemeral (tests)
  // Bearer token required by the mutating endpoints (POST /maintenance/...). Empty: they are
  // disabled. Read from `token_file` (mode 0600) so it never sits in the main config.
  std::string token_file;
};

// logging
struct LoggingConfig {
  std::string level = "info";   // trace|debug|info|warn|error|critical|off
  std::string format = "text";  // text|json
  bool access_log = true;
};

// maintenance.planned[]: one planned window (KZ-9), in maintenance.timezone.
struct MaintenanceWindowConfig {
  std::string start_local;  // as written, normalised to YYYY-MM-DDTHH:MM:SS
  std::string end_local;
  std::chrono::system_clock::time_point start;  // resolved in the zone
  std::chrono::system_clock::time_point end;    // > start
  std::vector<std::string> services;            // serviceIds it applies to; empty = all
  std::string notice;                           // UTF-8, <= 1000 bytes; may be empty
  int line = 0;
};

// maintenance: planned and unplanned maintenance windows, availability (BY-2).
struct MaintenanceConfig {
  std::string timezone = "Asia/Almaty";               // zone of the planned windows' local times
  Millis lead_time{15 * 60'000};                      // readiness false this long before a window
  std::vector<MaintenanceWindowConfig> planned;       // sorted by start, no overlaps, <= 2/month
  std::string state_file;                             // unplanned state persisted here; empty: none
  Millis unplanned_retry_after{5 * 60'000};           // Retry-After of unplanned without an end
  Millis availability_window{30ll * 24 * 3'600'000};  // sliding period for Kav
};

struct Config {
  ListenConfig listen;
  LimitsConfig limits;
  ConnectorConfig connector;
  LoggingConfig logging;
  AdminConfig admin;
  std::vector<RouteConfig> routes;
  // WS-Security (optional section; when absent the gateway neither verifies nor signs, which
  // check-config reports as a warning — production configs must have it).
  bool has_wss = false;
  WssConfig wss;
  TrustConfig trust;
  GatewayKeyConfig gateway_key;
  std::vector<ParticipantConfig> participants;
  MaintenanceConfig maintenance;
  std::string source_path;  // the file it was loaded from
};

struct ConfigError {
  std::string key_path;  // e.g. "routes[2].upstreams[0]"
  int line = 0;          // 1-based; 0 when unknown
  std::string message;
  std::string ToString() const;  // "FILE:LINE: key_path: message" style without FILE
};

struct ConfigLoadResult {
  std::shared_ptr<const Config> config;  // null when errors is not empty
  std::vector<ConfigError> errors;
  bool ok() const { return errors.empty() && config != nullptr; }
};

// Parses and validates. Reads only `path` (no referenced files: their existence and
// parsing are checked by the modules that load them, see check-config).
ConfigLoadResult LoadConfigFile(const std::string& path);
ConfigLoadResult LoadConfigString(const std::string& yaml, const std::string& source_name);

// "FILE:LINE: key.path: message" (check-config and start-up output); the LINE part is left
// out when the line is unknown, the key path when there is none (e.g. syntax errors).
std::string FormatConfigError(std::string_view file, const ConfigError& error);

}  // namespace shepgw::config
