#include "shepgw/config/config.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <unistd.h>

namespace shepgw::config {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// The smallest valid configuration: 7 lines, so sections appended by a test start on line 8.
constexpr char kMinimal[] = R"(listen:
  tls:
    cert: /etc/shepgw/server.crt
    key: /etc/shepgw/server.key
routes:
  - service_id: S1
    upstreams: [http://127.0.0.1:9000/bip-sync/]
)";

ConfigLoadResult Load(const std::string& yaml) { return LoadConfigString(yaml, "test.yaml"); }

// All errors as "LINE: path: message" strings: one EXPECT shows the whole picture.
std::vector<std::string> Errors(const ConfigLoadResult& result) {
  std::vector<std::string> out;
  for (const auto& e : result.errors) {
    out.push_back(e.ToString());
  }
  return out;
}

using Lines = std::vector<std::string>;

// kMinimal plus extra top-level sections.
Lines ErrorsWith(const std::string& extra) { return Errors(Load(std::string(kMinimal) + extra)); }

TEST(ConfigTest, MinimalConfigGetsDefaults) {
  const auto result = Load(kMinimal);
  ASSERT_TRUE(result.ok()) << ::testing::PrintToString(Errors(result));
  const Config& c = *result.config;
  const Config defaults;
  EXPECT_EQ(c.source_path, "test.yaml");
  EXPECT_EQ(c.listen.address, "0.0.0.0");
  EXPECT_EQ(c.listen.port, 8443);
  EXPECT_EQ(c.listen.paths, (Lines{"/bip-sync-wss-gost/", "/bip-sync/"}));
  EXPECT_EQ(c.listen.tls.cert_file, "/etc/shepgw/server.crt");
  EXPECT_EQ(c.listen.tls.key_file, "/etc/shepgw/server.key");
  EXPECT_EQ(c.listen.tls.min_version, "1.2");
  EXPECT_EQ(c.listen.tls.ciphers, defaults.listen.tls.ciphers);
  EXPECT_EQ(c.listen.tls.ciphersuites, defaults.listen.tls.ciphersuites);
  EXPECT_EQ(c.listen.tls.client_ca_file, "");
  EXPECT_FALSE(c.listen.tls.require_client_cert);
  EXPECT_EQ(c.limits.max_body_bytes, 16u * 1024 * 1024);
  EXPECT_EQ(c.limits.max_xml_depth, 256);
  EXPECT_EQ(c.limits.header_timeout, seconds(10));
  EXPECT_EQ(c.limits.body_timeout, seconds(60));
  EXPECT_EQ(c.limits.idle_timeout, seconds(30));
  EXPECT_EQ(c.limits.max_requests_per_connection, 1000);
  EXPECT_EQ(c.limits.max_connections, 512);
  EXPECT_EQ(c.limits.workers, 32);
  EXPECT_EQ(c.limits.queue_size, 256);
  EXPECT_EQ(c.limits.retry_after_seconds, 5);
  EXPECT_EQ(c.connector.connect_timeout, seconds(3));
  EXPECT_EQ(c.connector.ca_file, "");
  EXPECT_EQ(c.connector.client_cert_file, "");
  EXPECT_EQ(c.connector.client_key_file, "");
  EXPECT_TRUE(c.connector.verify_host);
  EXPECT_EQ(c.connector.interface, "");
  EXPECT_EQ(c.connector.source_address, "");
  EXPECT_EQ(c.logging.level, "info");
  EXPECT_EQ(c.logging.format, "text");
  EXPECT_TRUE(c.logging.access_log);
  ASSERT_EQ(c.routes.size(), 1u);
  EXPECT_EQ(c.routes[0].service_id, "S1");
  EXPECT_EQ(c.routes[0].route_id, "");
  EXPECT_EQ(c.routes[0].upstreams, (Lines{"http://127.0.0.1:9000/bip-sync/"}));
  EXPECT_EQ(c.routes[0].timeout, seconds(30));
  EXPECT_EQ(c.routes[0].line, 6);
}

TEST(ConfigTest, FullConfigParsesIntoExactValues) {
  const auto result = Load(R"(# every key set to a non-default value
listen:
  address: "::"
  port: 9443
  tls:
    cert: /tls/cert.pem
    key: /tls/key.pem
    min_version: "1.3"
    ciphers: ECDHE+AESGCM
    ciphersuites: TLS_AES_256_GCM_SHA384
    client_ca: /tls/ca.pem
    require_client_cert: true
  paths: [/a/, /b]
limits:
  max_body_size: 512KiB
  max_xml_depth: 64
  header_timeout: 250ms
  body_timeout: 2m
  idle_timeout: 1h
  max_requests_per_connection: 7
  max_connections: 100
  workers: 4
  queue_size: 0
  retry_after: 1m
connector:
  connect_timeout: 1500ms
  ca: /shep/ca.pem
  client_cert: /shep/client.crt
  client_key: /shep/client.key
  verify_host: false
  interface: tun0
  source_address: 10.8.0.2
logging:
  level: debug
  format: json
  access_log: false
routes:
  - service_id: SVC_A
    upstreams:
      - https://shep.internal.example:9012/bip-sync/
      - http://[fd00::1]:8080/x?y=1
    timeout: 45s
  - service_id: SVC_A
    route_id: r2
    upstreams: [https://10.0.0.5/bip-sync/]
)");
  ASSERT_TRUE(result.ok()) << ::testing::PrintToString(Errors(result));
  const Config& c = *result.config;
  EXPECT_EQ(c.listen.address, "::");
  EXPECT_EQ(c.listen.port, 9443);
  EXPECT_EQ(c.listen.tls.cert_file, "/tls/cert.pem");
  EXPECT_EQ(c.listen.tls.key_file, "/tls/key.pem");
  EXPECT_EQ(c.listen.tls.min_version, "1.3");
  EXPECT_EQ(c.listen.tls.ciphers, "ECDHE+AESGCM");
  EXPECT_EQ(c.listen.tls.ciphersuites, "TLS_AES_256_GCM_SHA384");
  EXPECT_EQ(c.listen.tls.client_ca_file, "/tls/ca.pem");
  EXPECT_TRUE(c.listen.tls.require_client_cert);
  EXPECT_EQ(c.listen.paths, (Lines{"/a/", "/b"}));
  EXPECT_EQ(c.limits.max_body_bytes, 512u * 1024);
  EXPECT_EQ(c.limits.max_xml_depth, 64);
  EXPECT_EQ(c.limits.header_timeout, Millis(250));
  EXPECT_EQ(c.limits.body_timeout, minutes(2));
  EXPECT_EQ(c.limits.idle_timeout, hours(1));
  EXPECT_EQ(c.limits.max_requests_per_connection, 7);
  EXPECT_EQ(c.limits.max_connections, 100);
  EXPECT_EQ(c.limits.workers, 4);
  EXPECT_EQ(c.limits.queue_size, 0);
  EXPECT_EQ(c.limits.retry_after_seconds, 60);
  EXPECT_EQ(c.connector.connect_timeout, Millis(1500));
  EXPECT_EQ(c.connector.ca_file, "/shep/ca.pem");
  EXPECT_EQ(c.connector.client_cert_file, "/shep/client.crt");
  EXPECT_EQ(c.connector.client_key_file, "/shep/client.key");
  EXPECT_FALSE(c.connector.verify_host);
  EXPECT_EQ(c.connector.interface, "tun0");
  EXPECT_EQ(c.connector.source_address, "10.8.0.2");
  EXPECT_EQ(c.logging.level, "debug");
  EXPECT_EQ(c.logging.format, "json");
  EXPECT_FALSE(c.logging.access_log);
  ASSERT_EQ(c.routes.size(), 2u);
  EXPECT_EQ(c.routes[0].service_id, "SVC_A");
  EXPECT_EQ(c.routes[0].route_id, "");
  EXPECT_EQ(c.routes[0].upstreams,
            (Lines{"https://shep.internal.example:9012/bip-sync/", "http://[fd00::1]:8080/x?y=1"}));
  EXPECT_EQ(c.routes[0].timeout, seconds(45));
  EXPECT_EQ(c.routes[0].line, 38);
  EXPECT_EQ(c.routes[1].route_id, "r2");
  EXPECT_EQ(c.routes[1].upstreams, (Lines{"https://10.0.0.5/bip-sync/"}));
  EXPECT_EQ(c.routes[1].timeout, seconds(30));
  EXPECT_EQ(c.routes[1].line, 43);
}

TEST(ConfigTest, ShippedExampleFilesLoadCleanly) {
  const std::filesystem::path dir = std::filesystem::path(SHEPGW_SOURCE_DIR) / "config";
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") {
      continue;
    }
    ++files;
    const auto result = LoadConfigFile(entry.path().string());
    EXPECT_TRUE(result.ok()) << entry.path() << ": " << ::testing::PrintToString(Errors(result));
  }
  EXPECT_GE(files, 1);
  const auto example = LoadConfigFile((dir / "shepgw.example.yaml").string());
  ASSERT_TRUE(example.ok());
  EXPECT_EQ(example.config->routes.at(0).upstreams.at(0),
            "https://shep.internal.example:9012/bip-sync/");
  EXPECT_EQ(example.config->source_path, (dir / "shepgw.example.yaml").string());
}

TEST(ConfigTest, ErrorFormatting) {
  const ConfigError full{"listen.tls.cert", 12, "required key is missing"};
  EXPECT_EQ(full.ToString(), "12: listen.tls.cert: required key is missing");
  EXPECT_EQ(FormatConfigError("/etc/shepgw/shepgw.yaml", full),
            "/etc/shepgw/shepgw.yaml:12: listen.tls.cert: required key is missing");
  const ConfigError no_line{"routes", 0, "at least one route is required"};
  EXPECT_EQ(no_line.ToString(), "routes: at least one route is required");
  EXPECT_EQ(FormatConfigError("a.yaml", no_line), "a.yaml: routes: at least one route is required");
  const ConfigError no_path{"", 3, "YAML syntax error: x"};
  EXPECT_EQ(FormatConfigError("a.yaml", no_path), "a.yaml:3: YAML syntax error: x");
}

TEST(ConfigTest, UnknownKeysSuggestTheClosestKnownKey) {
  EXPECT_EQ(ErrorsWith("limits:\n  header_timout: 5s\n"),
            (Lines{"9: limits.header_timout: unknown key 'header_timout' "
                   "(did you mean 'header_timeout'?)"}));
  // Transposition counts as one edit.
  EXPECT_EQ(ErrorsWith("logging:\n  levle: info\n"),
            (Lines{"9: logging.levle: unknown key 'levle' (did you mean 'level'?)"}));
  EXPECT_EQ(ErrorsWith("housekeeping:\n  at: 1h\n"),
            (Lines{"8: housekeeping: unknown key 'housekeeping'"}));
  EXPECT_EQ(ErrorsWith("trust:\n  ca: /x\n"),
            (Lines{"8: trust.anchors: required key is missing", "9: trust.ca: unknown key 'ca'"}));
  EXPECT_EQ(Errors(Load(R"(listen:
  tls: {cert: /c, key: /k, cetr: /x}
routes:
  - service_id: S
    upstreams: [http://h/]
    timout: 5s
)")),
            (Lines{"2: listen.tls.cetr: unknown key 'cetr' (did you mean 'cert'?)",
                   "6: routes[0].timout: unknown key 'timout' (did you mean 'timeout'?)"}));
}

TEST(ConfigTest, WrongTypes) {
  EXPECT_EQ(Errors(Load("listen: 5\nroutes: {service_id: S}\n")),
            (Lines{"1: listen: expected a mapping, got '5'",
                   "2: routes: expected a sequence, got a mapping"}));
  EXPECT_EQ(ErrorsWith("limits:\n  workers: [1, 2]\n"),
            (Lines{"9: limits.workers: expected an integer, got a sequence"}));
  EXPECT_EQ(ErrorsWith("connector:\n  ca:\n"),
            (Lines{"9: connector.ca: expected a string, got an empty value"}));
  EXPECT_EQ(ErrorsWith("connector:\n  ca: {file: /x}\n"),
            (Lines{"9: connector.ca: expected a string, got a mapping"}));
  EXPECT_EQ(ErrorsWith("connector:\n  verify_host: yes\n"),
            (Lines{"9: connector.verify_host: expected true or false, got 'yes'"}));
  EXPECT_EQ(ErrorsWith("connector:\n  ca: \"\"\n"),
            (Lines{"9: connector.ca: must not be empty (remove the key to use the default)"}));
  EXPECT_EQ(Errors(Load("- a\n- b\n")), (Lines{"1: the top level must be a mapping of sections"}));
  // A section whose keys are all commented out is an empty mapping, not an error.
  EXPECT_EQ(ErrorsWith("logging:\n  # level: debug\n"), Lines{});
}

TEST(ConfigTest, EchoedValuesAreMadePrintable) {
  // Control characters would corrupt check-config output and log lines; long values are cut.
  EXPECT_EQ(ErrorsWith("logging:\n  level: \"in\\tfo\"\n"),
            (Lines{"9: logging.level: must be one of trace, debug, info, warn, error, critical, "
                   "off, got 'in\\x09fo'"}));
  EXPECT_EQ(ErrorsWith("logging:\n  \"lev\\el\": info\n"),
            (Lines{"9: logging.lev\\x1bl: unknown key 'lev\\x1bl'"}));
  EXPECT_EQ(ErrorsWith("connector:\n  ca: \"/a\\nb\"\n"),
            (Lines{"9: connector.ca: must not contain control characters"}));
  EXPECT_EQ(ErrorsWith("logging:\n  format: " + std::string(100, 'j') + "\n"),
            (Lines{"9: logging.format: must be one of text, json, got '" + std::string(80, 'j') +
                   "...'"}));
  EXPECT_EQ(ErrorsWith("logging:\n  ? [a]\n  : 1\n"),
            (Lines{"9: logging: keys must be plain strings, got a sequence"}));
}

TEST(ConfigTest, DuplicateKeysAreRejected) {
  EXPECT_EQ(ErrorsWith("logging:\n  level: info\n  format: text\n  level: debug\n"),
            (Lines{"11: logging.level: duplicate key 'level' (first defined at line 9)"}));
  EXPECT_EQ(ErrorsWith("logging: {}\nlogging: {}\n"),
            (Lines{"9: logging: duplicate key 'logging' (first defined at line 8)"}));
}

struct ValueCase {
  std::string yaml_value;
  std::string expected_error;  // empty: valid
};

// Runs `key: value` inside `section` of an otherwise valid config for each case; the key is
// always on line 4.
void CheckValues(const std::string& section, const std::string& key,
                 const std::vector<ValueCase>& cases) {
  for (const auto& c : cases) {
    const std::string yaml =
        section == "listen"
            ? "routes: [{service_id: S, upstreams: ['http://h/']}]\nlisten:\n"
              "  tls: {cert: /c, key: /k}\n  " +
                  key + ": " + c.yaml_value + "\n"
            : "listen: {tls: {cert: /c, key: /k}}\nroutes: [{service_id: S, upstreams: "
              "['http://h/']}]\n" +
                  section + ":\n  " + key + ": " + c.yaml_value + "\n";
    const Lines errors = Errors(Load(yaml));
    if (c.expected_error.empty()) {
      EXPECT_EQ(errors, Lines{}) << c.yaml_value;
    } else {
      EXPECT_EQ(errors, Lines{"4: " + section + "." + key + ": " + c.expected_error})
          << c.yaml_value;
    }
  }
}

TEST(ConfigTest, Durations) {
  CheckValues("limits", "header_timeout",
              {{"250ms", ""},
               {"30s", ""},
               {"5m", ""},
               {"1h", ""},
               {"1ms", ""},
               {"30", "invalid duration '30': a unit is required (ms, s, m, h or d), e.g. \"30s\""},
               {"-5s", "invalid duration '-5s': must not be negative"},
               {"1.5s",
                "invalid duration '1.5s': expected a whole number with a unit ms, s, m, "
                "h or d (e.g. \"30s\", \"250ms\")"},
               {"\"5 s\"",
                "invalid duration '5 s': expected a whole number with a unit ms, s, "
                "m, h or d (e.g. \"30s\", \"250ms\")"},
               {"5sec",
                "invalid duration '5sec': expected a whole number with a unit ms, s, m, "
                "h or d (e.g. \"30s\", \"250ms\")"},
               {"0s", "must be between 1ms and 1h, got 0s"},
               {"61m", "must be between 1ms and 1h, got 61m"},
               {"9999999999999h", "invalid duration '9999999999999h': too large"},
               {"999999999999d", "invalid duration '999999999999d': too large"},
               {"1d", "must be between 1ms and 1h, got 1d"}});
  CheckValues("connector", "connect_timeout", {{"6m", "must be between 1ms and 5m, got 6m"}});
  CheckValues("limits", "retry_after",
              {{"2s", ""},
               {"500ms", "must be between 1s and 1h, got 500ms"},
               {"1500ms", "must be a whole number of seconds, got 1500ms"}});
}

TEST(ConfigTest, Sizes) {
  CheckValues("limits", "max_body_size",
              {{"16MiB", ""},
               {"512KiB", ""},
               {"10MB", ""},
               {"1GiB", ""},
               {"1048576", ""},
               {"2048B", ""},
               {"16mb",
                "invalid size '16mb': expected bytes or a whole number with a unit B, "
                "KB, MB, GB, KiB, MiB or GiB (e.g. \"16MiB\")"},
               {"-1", "invalid size '-1': must not be negative"},
               {"0", "must be between 1KiB and 1GiB, got 0"},
               {"2GiB", "must be between 1KiB and 1GiB, got 2GiB"}});
  const auto result = Load(std::string(kMinimal) + "limits:\n  max_body_size: 10MB\n");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.config->limits.max_body_bytes, 10'000'000u);
}

TEST(ConfigTest, IntegersAndPorts) {
  CheckValues("listen", "port",
              {{"0", ""},  // ephemeral, for tests
               {"65535", ""},
               {"65536", "must be between 0 and 65535, got 65536"},
               {"-1", "must be between 0 and 65535, got -1"},
               {"0x10", "expected an integer, got '0x10'"},
               {"1e3", "expected an integer, got '1e3'"}});
  CheckValues("limits", "workers",
              {{"0", "must be between 1 and 1024, got 0"},
               {"2000", "must be between 1 and 1024, got 2000"}});
  CheckValues("limits", "queue_size", {{"0", ""}, {"-3", "must be between 0 and 100000, got -3"}});
}

TEST(ConfigTest, Enums) {
  const auto errors = Errors(Load(R"(listen:
  tls:
    cert: /c
    key: /k
    min_version: "1.1"
routes: [{service_id: S, upstreams: ["http://h/"]}]
logging:
  level: verbose
  format: xml
)"));
  EXPECT_EQ(errors, (Lines{"5: listen.tls.min_version: must be one of 1.2, 1.3, got '1.1'",
                           "8: logging.level: must be one of trace, debug, info, warn, error, "
                           "critical, off, got 'verbose'",
                           "9: logging.format: must be one of text, json, got 'xml'"}));
  // An unquoted 1.3 is a YAML scalar "1.3" too.
  EXPECT_EQ(Errors(Load("listen:\n  tls: {cert: /c, key: /k, min_version: 1.3}\n"
                        "routes: [{service_id: S, upstreams: ['http://h/']}]\n")),
            Lines{});
}

TEST(ConfigTest, ListenAddressAndPaths) {
  CheckValues("listen", "address",
              {{"127.0.0.1", ""},
               {"\"::1\"", ""},
               {"localhost",
                "must be an IPv4 or IPv6 address (e.g. 0.0.0.0 or ::), got "
                "'localhost'"}});
  EXPECT_EQ(Errors(Load(R"(listen:
  tls: {cert: /c, key: /k}
  paths:
    - bip-sync/
    - /a b
    - /x
    - /x
routes: [{service_id: S, upstreams: ["http://h/"]}]
)")),
            (Lines{"4: listen.paths[0]: must start with '/', got 'bip-sync/'",
                   "5: listen.paths[1]: must be a plain path without spaces, '?' or '#', got "
                   "'/a b'",
                   "7: listen.paths[3]: duplicate path '/x'"}));
  EXPECT_EQ(ErrorsWith("").size(), 0u);
  EXPECT_EQ(Errors(Load("listen:\n  tls: {cert: /c, key: /k}\n  paths: []\n"
                        "routes: [{service_id: S, upstreams: ['http://h/']}]\n")),
            (Lines{"3: listen.paths: must list at least one path"}));
}

TEST(ConfigTest, TlsCertAndKeyAreRequired) {
  EXPECT_EQ(Errors(Load("listen:\n  port: 1\n"
                        "routes: [{service_id: S, upstreams: ['http://h/']}]\n")),
            (Lines{"1: listen.tls.cert: required key is missing",
                   "1: listen.tls.key: required key is missing"}));
  EXPECT_EQ(Errors(Load("routes: [{service_id: S, upstreams: ['http://h/']}]\n")),
            (Lines{"listen.tls.cert: required key is missing",
                   "listen.tls.key: required key is missing"}));
}

TEST(ConfigTest, RequireClientCertNeedsClientCa) {
  EXPECT_EQ(Errors(Load(R"(listen:
  tls:
    cert: /c
    key: /k
    require_client_cert: true
routes: [{service_id: S, upstreams: ["http://h/"]}]
)")),
            (Lines{"5: listen.tls.require_client_cert: requires 'client_ca' (the CA bundle that "
                   "client certificates are verified against)"}));
}

TEST(ConfigTest, ConnectorClientCertAndKeyGoTogether) {
  EXPECT_EQ(ErrorsWith("connector:\n  client_cert: /c.pem\n"),
            (Lines{"9: connector.client_cert: 'client_key' is required when 'client_cert' is "
                   "set"}));
  EXPECT_EQ(ErrorsWith("connector:\n  client_key: /k.pem\n"),
            (Lines{"9: connector.client_key: 'client_cert' is required when 'client_key' is "
                   "set"}));
  EXPECT_EQ(ErrorsWith("connector:\n  interface: tun0\n  source_address: 10.8.0.2\n"), Lines{});
  EXPECT_EQ(ErrorsWith("connector:\n  interface: a-very-long-interface\n  source_address: vpn\n"),
            (Lines{"9: connector.interface: invalid interface name 'a-very-long-interface'",
                   "10: connector.source_address: must be an IPv4 or IPv6 address (e.g. 0.0.0.0 "
                   "or ::), got 'vpn'"}));
}

TEST(ConfigTest, RoutesRequireServiceIdAndUpstreams) {
  EXPECT_EQ(Errors(Load(R"(listen: {tls: {cert: /c, key: /k}}
routes:
  - route_id: r
    upstreams: [http://h/]
  - service_id: ""
    upstreams: [http://h/]
  - service_id: S
  - service_id: T
    upstreams: []
  - service_id: U
    upstreams: http://h/
  - just a string
)")),
            (Lines{"3: routes[0].service_id: required key is missing",
                   "5: routes[1].service_id: must not be empty (remove the key to use the "
                   "default)",
                   "7: routes[2].upstreams: required key is missing",
                   "9: routes[3].upstreams: must list at least one upstream URL",
                   "11: routes[4].upstreams: expected a sequence, got 'http://h/'",
                   "12: routes[5]: expected a mapping, got 'just a string'"}));
}

TEST(ConfigTest, AtLeastOneRouteIsRequired) {
  EXPECT_EQ(Errors(Load("listen: {tls: {cert: /c, key: /k}}\n")),
            (Lines{"routes: at least one route is required"}));
  EXPECT_EQ(Errors(Load("listen: {tls: {cert: /c, key: /k}}\nroutes: []\n")),
            (Lines{"2: routes: at least one route is required"}));
}

TEST(ConfigTest, UpstreamUrls) {
  const std::vector<ValueCase> cases = {
      {"https://shep.internal.example:9012/bip-sync/", ""},
      {"http://127.0.0.1", ""},
      {"https://[::1]:9012/x", ""},
      {"http://h/a%20b?x=1&y=2", ""},
      {"ftp://h/", "invalid URL 'ftp://h/': scheme 'ftp' is not supported (use http or https)"},
      {"shep.internal/bip",
       "invalid URL 'shep.internal/bip': expected http://host[:port]/path "
       "or https://..."},
      {"HTTPS://h/",
       "invalid URL 'HTTPS://h/': scheme 'HTTPS' is not supported (use http or "
       "https)"},
      {"https://", "invalid URL 'https://': missing host"},
      {"https:///x", "invalid URL 'https:///x': missing host"},
      {"https://h:0/", "invalid URL 'https://h:0/': port must be a number between 1 and 65535"},
      {"https://h:70000/",
       "invalid URL 'https://h:70000/': port must be a number between 1 and "
       "65535"},
      {"https://h:/", "invalid URL 'https://h:/': port must be a number between 1 and 65535"},
      {"https://h:1:2/",
       "invalid URL 'https://h:1:2/': port must be a number between 1 and "
       "65535"},
      {"https://ho st/",
       "invalid URL 'https://ho st/': spaces, control and non-ASCII characters "
       "are not allowed (percent-encode them)"},
      {"https://user:pw@h/",
       "invalid URL 'https://user:pw@h/': credentials in URLs are not "
       "supported"},
      {"https://h/#frag", "invalid URL 'https://h/#frag': fragments are not allowed"},
      {"https://h/a%zz", "invalid URL 'https://h/a%zz': '%' must be followed by two hex digits"},
      {"https://h/<x>", "invalid URL 'https://h/<x>': character '<' is not allowed"},
      {"http://10.0.0.256/", "invalid URL 'http://10.0.0.256/': invalid host '10.0.0.256'"},
      {"http://-bad-.example/",
       "invalid URL 'http://-bad-.example/': invalid host "
       "'-bad-.example'"},
      {"http://a..b/", "invalid URL 'http://a..b/': invalid host 'a..b'"},
      {"http://[zz::1]/", "invalid URL 'http://[zz::1]/': invalid IPv6 address 'zz::1'"},
      {"http://[::1/", "invalid URL 'http://[::1/': unterminated IPv6 address"},
  };
  for (const auto& c : cases) {
    const std::string yaml =
        "listen: {tls: {cert: /c, key: /k}}\nroutes:\n  - service_id: S\n"
        "    upstreams:\n      - \"" +
        c.yaml_value + "\"\n";
    const Lines expected = c.expected_error.empty()
                               ? Lines{}
                               : Lines{"5: routes[0].upstreams[0]: " + c.expected_error};
    EXPECT_EQ(Errors(Load(yaml)), expected) << c.yaml_value;
  }
}

TEST(ConfigTest, DuplicateRoutesNameBothLines) {
  EXPECT_EQ(Errors(Load(R"(listen: {tls: {cert: /c, key: /k}}
routes:
  - service_id: S
    upstreams: [http://a/]
  - service_id: S
    route_id: r1
    upstreams: [http://a/]
  - service_id: S
    upstreams: [http://b/]
  - service_id: S
    route_id: r1
    upstreams: [http://c/, http://c/]
)")),
            (Lines{"8: routes[2]: duplicate route (service_id 'S' without route_id): already "
                   "defined at line 3",
                   "10: routes[3]: duplicate route (service_id 'S', route_id 'r1'): already "
                   "defined at line 5",
                   "12: routes[3].upstreams[1]: duplicate upstream 'http://c/'"}));
}

TEST(ConfigTest, AllErrorsAreReportedTogetherInLineOrder) {
  const auto result = Load(R"(logging:
  level: loud
listen:
  port: 99999
  tls: {cert: /c}
limits:
  workers: 0
  body_timeout: 10
routes:
  - service_id: S
    upstreams: [ftp://x/]
extra: 1
)");
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.config, nullptr);
  EXPECT_EQ(Errors(result),
            (Lines{"2: logging.level: must be one of trace, debug, info, warn, error, critical, "
                   "off, got 'loud'",
                   "4: listen.port: must be between 0 and 65535, got 99999",
                   "5: listen.tls.key: required key is missing",
                   "7: limits.workers: must be between 1 and 1024, got 0",
                   "8: limits.body_timeout: invalid duration '10': a unit is required (ms, s, m, "
                   "h or d), e.g. \"30s\"",
                   "11: routes[0].upstreams[0]: invalid URL 'ftp://x/': scheme 'ftp' is not "
                   "supported (use http or https)",
                   "12: extra: unknown key 'extra'"}));
  ASSERT_EQ(result.errors.size(), 7u);
  EXPECT_EQ(result.errors[5].key_path, "routes[0].upstreams[0]");
  EXPECT_EQ(result.errors[5].line, 11);
}

TEST(ConfigTest, YamlSyntaxErrorIsOneErrorWithLine) {
  const auto result = Load("listen:\n  tls: {cert: /c, key: /k\nroutes: []\n");
  ASSERT_EQ(result.errors.size(), 1u) << ::testing::PrintToString(Errors(result));
  EXPECT_EQ(result.errors[0].key_path, "");
  EXPECT_GT(result.errors[0].line, 1);
  EXPECT_TRUE(result.errors[0].message.starts_with("YAML syntax error: "))
      << result.errors[0].message;
  EXPECT_EQ(Errors(Load("listen:\n  port: 1\n port: 2\n")).size(), 1u);
  EXPECT_EQ(Errors(Load("a: 1\n---\nb: 2\n")),
            (Lines{"3: only one YAML document is allowed (found 2)"}));
}

TEST(ConfigTest, EmptyConfigIsAnError) {
  for (const std::string yaml : {"", "\n\n", "# only a comment\n", "~\n", "---\n"}) {
    EXPECT_EQ(Errors(Load(yaml)), (Lines{"the configuration is empty"})) << yaml;
  }
}

// A valid WS-Security block; appended to kMinimal it occupies lines 8-18.
constexpr char kWss[] = R"(wss:
  allowed_algorithms: [rsa-sha256]
trust:
  anchors: [/pki/root.pem]
gateway_key:
  cert: /pki/gw.pem
  key: /pki/gw.key
participants:
  - sender_id: IS1
    certificates: [/pki/is1.pem]
    services: ["*"]
)";

TEST(ConfigWssTest, AbsentWssSectionLeavesDefaults) {
  const auto result = Load(kMinimal);
  ASSERT_TRUE(result.ok());
  const Config& c = *result.config;
  EXPECT_FALSE(c.has_wss);
  EXPECT_TRUE(c.wss.require_signature);
  EXPECT_EQ(c.wss.allowed_algorithms, (Lines{"rsa-sha256", "ecdsa-sha256"}));
  EXPECT_TRUE(c.wss.sign_forwarded);
  EXPECT_TRUE(c.wss.sign_responses);
  EXPECT_TRUE(c.trust.anchors.empty());
  EXPECT_EQ(c.trust.crl_refresh, hours(1));
  EXPECT_EQ(c.trust.crl_policy, "fail_closed");
  EXPECT_TRUE(c.trust.check_revocation);
  EXPECT_EQ(c.gateway_key.algorithm, "rsa-sha256");
  EXPECT_TRUE(c.participants.empty());
  EXPECT_FALSE(c.routes[0].verify_response);
}

TEST(ConfigWssTest, FullWssConfigParsesIntoExactValues) {
  const auto result = Load(std::string(kMinimal) + R"(    verify_response: true
wss:
  require_signature: false
  allowed_algorithms: [ecdsa-sha384, rsa-sha1]
  sign_forwarded: false
  sign_responses: true
trust:
  anchors: [/pki/root.pem, /pki/root2.pem]
  intermediates: [/pki/inter.pem]
  crls: [/pki/root.crl, /pki/inter.crl]
  crl_refresh: 15m
  crl_policy: fail_open
  check_revocation: false
gateway_key:
  cert: /pki/gw.pem
  key: /pki/gw.key
  algorithm: ecdsa-sha256
participants:
  - sender_id: IS1
    certificates: [/pki/is1.pem, /pki/is1-new.pem]
    fingerprints:
      - "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"
    services: [SVC_A, SVC_B]
  - sender_id: IS2
    fingerprints: [0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789ABCDEF]
    services: ["*"]
)");
  ASSERT_TRUE(result.ok()) << ::testing::PrintToString(Errors(result));
  const Config& c = *result.config;
  EXPECT_TRUE(c.routes[0].verify_response);
  EXPECT_TRUE(c.has_wss);
  EXPECT_FALSE(c.wss.require_signature);
  EXPECT_EQ(c.wss.allowed_algorithms, (Lines{"ecdsa-sha384", "rsa-sha1"}));
  EXPECT_FALSE(c.wss.sign_forwarded);
  EXPECT_TRUE(c.wss.sign_responses);
  EXPECT_EQ(c.trust.anchors, (Lines{"/pki/root.pem", "/pki/root2.pem"}));
  EXPECT_EQ(c.trust.intermediates, (Lines{"/pki/inter.pem"}));
  EXPECT_EQ(c.trust.crls, (Lines{"/pki/root.crl", "/pki/inter.crl"}));
  EXPECT_EQ(c.trust.crl_refresh, minutes(15));
  EXPECT_EQ(c.trust.crl_policy, "fail_open");
  EXPECT_FALSE(c.trust.check_revocation);
  EXPECT_EQ(c.gateway_key.cert_file, "/pki/gw.pem");
  EXPECT_EQ(c.gateway_key.key_file, "/pki/gw.key");
  EXPECT_EQ(c.gateway_key.algorithm, "ecdsa-sha256");
  ASSERT_EQ(c.participants.size(), 2u);
  EXPECT_EQ(c.participants[0].sender_id, "IS1");
  EXPECT_EQ(c.participants[0].line, 26);
  EXPECT_EQ(c.participants[0].certificates, (Lines{"/pki/is1.pem", "/pki/is1-new.pem"}));
  EXPECT_EQ(c.participants[0].fingerprints,
            Lines{"abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"});
  EXPECT_EQ(c.participants[0].services, (Lines{"SVC_A", "SVC_B"}));
  EXPECT_EQ(c.participants[1].sender_id, "IS2");
  EXPECT_TRUE(c.participants[1].certificates.empty());
  EXPECT_EQ(c.participants[1].fingerprints,
            Lines{"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"});
  EXPECT_EQ(c.participants[1].services, Lines{"*"});
}

TEST(ConfigWssTest, MinimalWssBlockIsValid) {
  const auto result = Load(std::string(kMinimal) + kWss);
  ASSERT_TRUE(result.ok()) << ::testing::PrintToString(Errors(result));
  EXPECT_TRUE(result.config->has_wss);
  // An empty wss section (every key commented out) is present, with defaults.
  const auto empty = Load(std::string(kMinimal) + "wss:\n" + (kWss + 40));
  ASSERT_TRUE(empty.ok()) << ::testing::PrintToString(Errors(empty));
  EXPECT_TRUE(empty.config->has_wss);
  EXPECT_EQ(empty.config->wss.allowed_algorithms, (Lines{"rsa-sha256", "ecdsa-sha256"}));
}

TEST(ConfigWssTest, WssRequiresTrustGatewayKeyAndParticipants) {
  EXPECT_EQ(ErrorsWith("wss: {}\n"),
            (Lines{"trust.anchors: required when the 'wss' section is present",
                   "gateway_key: required when wss.sign_forwarded or wss.sign_responses is true",
                   "participants: at least one participant is required when the 'wss' section "
                   "is present"}));
  // No signing: no gateway key needed.
  EXPECT_EQ(ErrorsWith("wss: {sign_forwarded: false, sign_responses: false}\n"
                       "trust: {anchors: [/r.pem]}\n"
                       "participants: [{sender_id: A, fingerprints: [" +
                       std::string(64, 'a') + "], services: [S]}]\n"),
            Lines{});
  EXPECT_EQ(ErrorsWith("wss: {sign_forwarded: false}\ntrust: {anchors: [/r.pem]}\n"
                       "participants: []\n"),
            (Lines{"10: participants: at least one participant is required when the 'wss' "
                   "section is present",
                   "gateway_key: required when wss.sign_forwarded or wss.sign_responses is "
                   "true"}));
  // Without wss the other sections may be prepared in advance.
  EXPECT_EQ(ErrorsWith("trust: {anchors: [/r.pem]}\nparticipants: []\n"), Lines{});
}

TEST(ConfigWssTest, AllowedAlgorithms) {
  const auto with = [](const std::string& list) {
    return ErrorsWith("wss:\n  allowed_algorithms: " + list + "\n" + (kWss + 40));
  };
  EXPECT_EQ(with("[rsa-sha256, ecdsa-sha512, rsa-sha1]"), Lines{});
  EXPECT_EQ(with("[gost2015-512, gost2004, rsa-sha256]"), Lines{});
  EXPECT_EQ(with("[]"), (Lines{"9: wss.allowed_algorithms: must list at least one algorithm"}));
  EXPECT_EQ(with("[rsa-sha256, gost34310]"),
            (Lines{"9: wss.allowed_algorithms[1]: must be one of rsa-sha256, rsa-sha384, "
                   "rsa-sha512, ecdsa-sha256, ecdsa-sha384, ecdsa-sha512, rsa-sha1, gost2015-512, "
                   "gost2004, got 'gost34310'"}));
  EXPECT_EQ(with("[rsa-sha256, rsa-sha256]"),
            (Lines{"9: wss.allowed_algorithms[1]: duplicate algorithm 'rsa-sha256'"}));
  EXPECT_EQ(with("rsa-sha256"),
            (Lines{"9: wss.allowed_algorithms: expected a sequence, got 'rsa-sha256'"}));
  EXPECT_EQ(ErrorsWith("wss:\n  require_signature: maybe\n  sign_forwarded: 1\n" +
                       std::string(kWss + 40)),
            (Lines{"9: wss.require_signature: expected true or false, got 'maybe'",
                   "10: wss.sign_forwarded: expected true or false, got '1'"}));
}

TEST(ConfigWssTest, TrustKeys) {
  // kWss with its trust section replaced; trust starts on line 10.
  const auto with = [](const std::string& trust) {
    return ErrorsWith(std::string(kWss).substr(0, 40) + trust + (kWss + 74));
  };
  EXPECT_EQ(with("trust:\n  anchors: [/r.pem]\n"), Lines{});
  EXPECT_EQ(with("trust:\n  crls: [/a.crl]\n"),
            (Lines{"10: trust.anchors: required key is missing"}));
  EXPECT_EQ(with("trust:\n  anchors: []\n"),
            (Lines{"11: trust.anchors: must list at least one file"}));
  EXPECT_EQ(with("trust:\n  anchors: [/r.pem, \"\"]\n"),
            (Lines{"11: trust.anchors[1]: must not be empty (remove the key to use the "
                   "default)"}));
  EXPECT_EQ(with("trust:\n  anchors: [/r.pem]\n  crls:\n    - /a.crl\n    - /a.crl\n"),
            (Lines{"14: trust.crls[1]: duplicate file '/a.crl'"}));
  EXPECT_EQ(with("trust:\n  anchors: [/r.pem]\n  intermediates: /i.pem\n"),
            (Lines{"12: trust.intermediates: expected a sequence, got '/i.pem'"}));
  EXPECT_EQ(with("trust:\n  anchors: [/r.pem]\n  crl_refresh: 30s\n  crl_policy: open\n"
                 "  check_revocation: no\n"),
            (Lines{"12: trust.crl_refresh: must be between 1m and 24h, got 30s",
                   "13: trust.crl_policy: must be one of fail_closed, fail_open, got 'open'",
                   "14: trust.check_revocation: expected true or false, got 'no'"}));
  EXPECT_EQ(with("trust:\n  anchors: [/r.pem]\n  crl_refresh: 25h\n"),
            (Lines{"12: trust.crl_refresh: must be between 1m and 24h, got 25h"}));
  EXPECT_EQ(with("trust:\n  anchors: [/r.pem]\n  crl: [/a.crl]\n"),
            (Lines{"12: trust.crl: unknown key 'crl' (did you mean 'crls'?)"}));
}

TEST(ConfigWssTest, GatewayKeyKeys) {
  // kWss with its gateway_key section replaced; gateway_key starts on line 12.
  const auto with = [](const std::string& key) {
    return ErrorsWith(std::string(kWss).substr(0, 74) + key + (kWss + 126));
  };
  EXPECT_EQ(with("gateway_key:\n  cert: /c\n  key: /k\n  algorithm: rsa-sha256\n"), Lines{});
  EXPECT_EQ(with("gateway_key:\n  algorithm: rsa-sha512\n"),
            (Lines{"12: gateway_key.cert: required key is missing",
                   "12: gateway_key.key: required key is missing",
                   "13: gateway_key.algorithm: must be one of rsa-sha256, ecdsa-sha256, "
                   "gost2015-512, got 'rsa-sha512'"}));
}

TEST(ConfigWssTest, GatewayKeyGost) {
  const auto load = [](const std::string& key) {
    return Load(std::string(kMinimal) + std::string(kWss).substr(0, 74) + key + (kWss + 126));
  };
  const auto with = [](const std::string& key) {
    return ErrorsWith(std::string(kWss).substr(0, 74) + key + (kWss + 126));
  };
  // PKCS#8 key file.
  auto pkcs8 = load("gateway_key:\n  algorithm: gost2015-512\n  cert: /c\n  key: /k\n");
  ASSERT_TRUE(pkcs8.ok());
  EXPECT_EQ(pkcs8.config->gateway_key.algorithm, "gost2015-512");
  EXPECT_EQ(pkcs8.config->gateway_key.key_file, "/k");
  EXPECT_TRUE(pkcs8.config->gateway_key.pkcs12_file.empty());
  // NCA container: the certificate may come from it.
  auto p12 =
      load("gateway_key:\n  algorithm: gost2015-512\n  pkcs12: /g.p12\n  password_file: /g.pass\n");
  ASSERT_TRUE(p12.ok());
  EXPECT_EQ(p12.config->gateway_key.pkcs12_file, "/g.p12");
  EXPECT_EQ(p12.config->gateway_key.password_file, "/g.pass");
  EXPECT_TRUE(p12.config->gateway_key.cert_file.empty());
  EXPECT_TRUE(p12.config->gateway_key.key_file.empty());
  EXPECT_EQ(with("gateway_key:\n  algorithm: gost2015-512\n  cert: /c\n  pkcs12: /g.p12\n"
                 "  password_file: /g.pass\n"),
            Lines{});

  EXPECT_EQ(with("gateway_key:\n  algorithm: gost2015-512\n  pkcs12: /g.p12\n"),
            (Lines{"14: gateway_key.pkcs12: requires 'password_file' (a file holding the "
                   "container's password)"}));
  EXPECT_EQ(with("gateway_key:\n  algorithm: gost2015-512\n  cert: /c\n  key: /k\n"
                 "  pkcs12: /g.p12\n  password_file: /p\n"),
            (Lines{"16: gateway_key.pkcs12: 'key' and 'pkcs12' are mutually exclusive (the key "
                   "is in one of them)"}));
  EXPECT_EQ(with("gateway_key:\n  pkcs12: /g.p12\n  password_file: /p\n"),
            (Lines{"13: gateway_key.pkcs12: NCA PKCS#12 containers are supported with algorithm "
                   "gost2015-512 only; use 'key' for rsa-sha256"}));
  EXPECT_EQ(with("gateway_key:\n  algorithm: gost2015-512\n  cert: /c\n  key: /k\n"
                 "  password_file: /p\n"),
            (Lines{"16: gateway_key.password_file: only with 'pkcs12'"}));
  EXPECT_EQ(with("gateway_key:\n  algorithm: gost2015-512\n"),
            (Lines{"12: gateway_key.cert: required key is missing",
                   "12: gateway_key.key: required key is missing"}));
  EXPECT_EQ(with("gateway_key:\n  algorithm: gost2015-256\n  cert: /c\n  key: /k\n"),
            (Lines{"13: gateway_key.algorithm: must be one of rsa-sha256, ecdsa-sha256, "
                   "gost2015-512, got 'gost2015-256'"}));
  EXPECT_EQ(with("gateway_key:\n  algorithm: gost2015-512\n  pkcs12: /g.p12\n  password: x\n"
                 "  password_file: /p\n"),
            (Lines{"15: gateway_key.password: unknown key 'password'"}));
}

TEST(ConfigWssTest, Participants) {
  // kWss with its participants replaced; participants starts on line 15.
  const auto with = [](const std::string& participants) {
    return ErrorsWith(std::string(kWss).substr(0, 126) + participants);
  };
  EXPECT_EQ(
      with("participants:\n  - services: [S]\n    fingerprints: [" + std::string(64, 'F') + "]\n"),
      (Lines{"16: participants[0].sender_id: required key is missing"}));
  EXPECT_EQ(with("participants:\n  - sender_id: A\n    certificates: [/a.pem]\n"),
            (Lines{"16: participants[0].services: required key is missing"}));
  EXPECT_EQ(with("participants:\n  - sender_id: A\n    certificates: [/a.pem]\n    services: []\n"),
            (Lines{"18: participants[0].services: must list at least one serviceId (or \"*\" "
                   "for every service)"}));
  EXPECT_EQ(with("participants:\n  - sender_id: A\n    certificates: [/a.pem]\n"
                 "    services: [S, \"*\", S]\n"),
            (Lines{"18: participants[0].services[2]: duplicate service 'S'",
                   "18: participants[0].services: \"*\" (every service) must be the only entry "
                   "when present"}));
  EXPECT_EQ(with("participants:\n  - sender_id: A\n    services: [S]\n"),
            (Lines{"16: participants[0]: needs at least one entry in 'certificates' or "
                   "'fingerprints' (the certificates the participant signs with)"}));
  EXPECT_EQ(with("participants:\n  - sender_id: A\n    certificates: []\n    fingerprints: []\n"
                 "    services: [S]\n"),
            (Lines{"16: participants[0]: needs at least one entry in 'certificates' or "
                   "'fingerprints' (the certificates the participant signs with)"}));
  EXPECT_EQ(with("participants:\n  - sender_id: A\n    certificates: [/a.pem]\n    services: [S]\n"
                 "  - sender_id: B\n    certificates: [/b.pem]\n    services: [S]\n"
                 "  - sender_id: A\n    certificates: [/c.pem]\n    services: [S]\n"),
            (Lines{"22: participants[2]: duplicate sender_id 'A': already defined at line 16"}));
  EXPECT_EQ(with("participants:\n  - sender_id: A\n    certificates: [/a.pem, /a.pem]\n"
                 "    services: [S]\n    sevices: [T]\n"),
            (Lines{"17: participants[0].certificates[1]: duplicate file '/a.pem'",
                   "19: participants[0].sevices: unknown key 'sevices' (did you mean "
                   "'services'?)"}));
  EXPECT_EQ(with("participants:\n  sender_id: A\n"),
            (Lines{"15: participants: expected a sequence, got a mapping"}));
}

TEST(ConfigWssTest, Fingerprints) {
  const std::string hex(64, 'a');
  std::string colons;
  for (int i = 0; i < 32; ++i) {
    colons += (i == 0 ? "" : ":") + std::string("Ab");
  }
  const auto with = [](const std::string& fingerprint) {
    return ErrorsWith(std::string(kWss).substr(0, 126) +
                      "participants:\n  - sender_id: A\n    services: [S]\n    fingerprints: [\"" +
                      fingerprint + "\"]\n");
  };
  EXPECT_EQ(with(hex), Lines{});
  EXPECT_EQ(with(colons), Lines{});
  const auto parsed = Load(std::string(kMinimal) + std::string(kWss).substr(0, 126) +
                           "participants:\n  - sender_id: A\n    services: [S]\n"
                           "    fingerprints: [\"" +
                           colons + "\", \"" + hex + "\"]\n");
  ASSERT_TRUE(parsed.ok()) << ::testing::PrintToString(Errors(parsed));
  std::string ab;
  for (int i = 0; i < 32; ++i) {
    ab += "ab";
  }
  EXPECT_EQ(parsed.config->participants[0].fingerprints, (Lines{ab, hex}));
  EXPECT_EQ(with(hex.substr(2)),
            (Lines{"18: participants[0].fingerprints[0]: invalid SHA-256 fingerprint '" +
                   hex.substr(2) + "': expected 64 hex digits (':' separators allowed), got 62"}));
  EXPECT_EQ(with(hex.substr(1) + "g"),
            (Lines{"18: participants[0].fingerprints[0]: invalid SHA-256 fingerprint '" +
                   hex.substr(1) + "g': expected 64 hex digits (':' separators allowed)"}));
  EXPECT_EQ(with("AB:CD:E:F"),
            (Lines{"18: participants[0].fingerprints[0]: invalid SHA-256 fingerprint "
                   "'AB:CD:E:F': expected ':' between every two hex digits"}));
  EXPECT_EQ(with("AB:CD:"),
            (Lines{"18: participants[0].fingerprints[0]: invalid SHA-256 fingerprint "
                   "'AB:CD:': expected 64 hex digits (':' separators allowed), got 4"}));
  // SHA-1 fingerprints (40 digits) are refused: they no longer identify a certificate safely.
  EXPECT_EQ(
      with(std::string(40, '0')),
      (Lines{"18: participants[0].fingerprints[0]: invalid SHA-256 fingerprint '" +
             std::string(40, '0') + "': expected 64 hex digits (':' separators allowed), got 40"}));
  EXPECT_EQ(ErrorsWith(std::string(kWss).substr(0, 126) +
                       "participants:\n  - sender_id: A\n    services: [S]\n"
                       "    fingerprints: [\"" +
                       hex + "\", \"" + std::string(64, 'A') + "\"]\n"),
            (Lines{"18: participants[0].fingerprints[1]: duplicate fingerprint '" +
                   std::string(64, 'A') + "'"}));
}

TEST(ConfigWssTest, VerifyResponseNeedsWss) {
  EXPECT_EQ(Errors(Load(std::string(kMinimal) + "    verify_response: true\n")),
            (Lines{"8: routes[0].verify_response: requires the 'wss' section"}));
  EXPECT_EQ(Errors(Load(std::string(kMinimal) + "    verify_response: false\n")), Lines{});
  EXPECT_EQ(Errors(Load(std::string(kMinimal) + "    verify_response: 1\n")),
            (Lines{"8: routes[0].verify_response: expected true or false, got '1'"}));
  EXPECT_EQ(Errors(Load(std::string(kMinimal) + "    verify_response: true\n" + kWss)), Lines{});
}

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("shepgw_config_test_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& content) {
    const auto path = dir_ / name;
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }
  std::filesystem::path dir_;
};

TEST_F(ConfigFileTest, LoadsAFile) {
  const std::string path = Write("ok.yaml", kMinimal);
  const auto result = LoadConfigFile(path);
  ASSERT_TRUE(result.ok()) << ::testing::PrintToString(Errors(result));
  EXPECT_EQ(result.config->source_path, path);
}

TEST_F(ConfigFileTest, MissingFileNamesThePath) {
  const std::string path = (dir_ / "missing.yaml").string();
  EXPECT_EQ(Errors(LoadConfigFile(path)),
            (Lines{"cannot open '" + path + "': No such file or directory"}));
  EXPECT_EQ(Errors(LoadConfigFile(dir_.string())),
            (Lines{"'" + dir_.string() + "' is not a regular file"}));
}

TEST_F(ConfigFileTest, SizeCap) {
  const std::string big =
      std::string(kMinimal) + "#" + std::string(size_t{4} * 1024 * 1024, 'x') + "\n";
  const std::string path = Write("big.yaml", big);
  EXPECT_EQ(Errors(LoadConfigFile(path)), (Lines{"'" + path + "' is larger than 4MiB"}));
  EXPECT_EQ(Errors(Load(big)), (Lines{"the configuration is larger than 4MiB"}));
}

}  // namespace
}  // namespace shepgw::config
