// Test helpers for the stand-in tests: a child shep-standin process (RAII: always killed and
// reaped), a blocking libcurl HTTP client with hard timeouts, and libxml2 helpers (XPath with
// the SOAP/ShEP prefixes, XSD validation of the SOAP Body's child). Not thread-safe unless noted.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace shepgw::standin::testing {

// Runs shep-standin with args (plus "--port 0"), waits for "LISTENING <port>".
class StandinProcess {
 public:
  explicit StandinProcess(std::vector<std::string> args);
  ~StandinProcess();  // SIGTERM, bounded wait, then SIGKILL; always reaps
  StandinProcess(const StandinProcess&) = delete;
  StandinProcess& operator=(const StandinProcess&) = delete;

  bool ok() const { return port_ > 0; }
  int port() const { return port_; }
  std::string Url(const std::string& path = "/bip-sync/") const;
  // SIGTERM and wait up to timeout; returns the exit status (waitpid form) or nullopt.
  std::optional<int> Terminate(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

struct HttpResult {
  int curl_code = -1;  // CURLcode
  long status = 0;
  std::string content_type;
  std::string body;
};

// Thread-safe (one curl easy handle per call). Timeout covers the whole exchange.
HttpResult HttpPost(const std::string& url, const std::string& body,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10),
                    const std::string& content_type = "text/xml; charset=utf-8");
HttpResult HttpGet(const std::string& url,
                   std::chrono::milliseconds timeout = std::chrono::seconds(10));

std::string ReadFile(const std::string& path);

// A parsed XML document with XPath helpers. Prefixes: soap (SOAP 1.1 envelope), shep (Types).
class Xml {
 public:
  static std::unique_ptr<Xml> Parse(const std::string& text);  // nullptr if not well-formed
  ~Xml();
  std::string Text(const std::string& xpath) const;  // string() of the expression
  int Count(const std::string& xpath) const;
  // Validates the first element child of soap:Body against xsd_path; "" if valid, else errors.
  std::string ValidateBodyChild(const std::string& xsd_path) const;

 private:
  Xml() = default;
  void* doc_ = nullptr;  // xmlDocPtr
};

// A SendMessage envelope. envelope_style: "SOAP-ENV", "soapenv" or "default" (default ns).
std::string MakeRequest(const std::string& message_id, const std::string& service_id,
                        const std::string& mode_property = "",
                        const std::string& envelope_style = "SOAP-ENV");

}  // namespace shepgw::standin::testing
