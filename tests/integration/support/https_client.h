// A small libcurl client for integration tests: real TLS against the gateway, one handle per
// client so keep-alive can be observed. Loopback only.
#pragma once

#include <string>
#include <vector>

typedef void CURL;

namespace shepgw::testing {

struct HttpResult {
  int curl_code = 0;  // CURLcode; 0 = transfer completed
  std::string error;  // curl's message when curl_code != 0
  long status = 0;
  std::string body;
  std::string headers;                                // raw response headers
  std::string Header(const std::string& name) const;  // case-insensitive, first match
};

class HttpsClient {
 public:
  explicit HttpsClient(std::string ca_file);
  ~HttpsClient();
  HttpsClient(const HttpsClient&) = delete;
  HttpsClient& operator=(const HttpsClient&) = delete;

  HttpResult Post(const std::string& url, const std::string& body,
                  const std::string& content_type = "text/xml; charset=utf-8",
                  long timeout_ms = 15000);
  HttpResult Get(const std::string& url, long timeout_ms = 15000);
  // Limits the TLS version offered (e.g. CURL_SSLVERSION_MAX_TLSv1_1 from curl.h).
  void SetMaxTlsVersion(long max_version) { max_tls_ = max_version; }
  void SetTlsVersion(long version) { tls_version_ = version; }
  // Presents this client certificate (PEM files) in the TLS handshake.
  void SetClientCertificate(std::string cert, std::string key) {
    client_cert_ = std::move(cert);
    client_key_ = std::move(key);
  }
  // Connections opened by this client so far (keep-alive check).
  long connects() const { return connects_; }

 private:
  HttpResult Perform(long timeout_ms);
  CURL* handle_;
  std::string ca_file_;
  long max_tls_ = 0;
  long tls_version_ = 0;
  long connects_ = 0;
  std::string client_cert_;
  std::string client_key_;
};

}  // namespace shepgw::testing
