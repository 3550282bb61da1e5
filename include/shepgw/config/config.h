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
};

// routes[]
struct RouteConfig {
  std::string service_id;              // required; requestInfo/serviceId
  std::string route_id;                // optional; requestInfo/routeId must then match
  std::vector<std::string> upstreams;  // http(s) URLs, tried in order on connect failure
  Millis timeout{30'000};              // total upstream time for one attempt
  int line = 0;                        // line in the config file, for messages
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
};

// logging
struct LoggingConfig {
  std::string level = "info";   // trace|debug|info|warn|error|critical|off
  std::string format = "text";  // text|json
  bool access_log = true;
};

struct Config {
  ListenConfig listen;
  LimitsConfig limits;
  ConnectorConfig connector;
  LoggingConfig logging;
  std::vector<RouteConfig> routes;
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
