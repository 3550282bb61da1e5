#include "https_client.h"

#include <curl/curl.h>

#include <strings.h>

namespace shepgw::testing {
namespace {
size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}
}  // namespace

std::string HttpResult::Header(const std::string& name) const {
  size_t pos = 0;
  while (pos < headers.size()) {
    const size_t eol = headers.find("\r\n", pos);
    const std::string line = headers.substr(pos, eol == std::string::npos ? eol : eol - pos);
    if (line.size() > name.size() && line[name.size()] == ':' &&
        strncasecmp(line.c_str(), name.c_str(), name.size()) == 0) {
      size_t v = name.size() + 1;
      while (v < line.size() && line[v] == ' ') {
        ++v;
      }
      return line.substr(v);
    }
    if (eol == std::string::npos) {
      break;
    }
    pos = eol + 2;
  }
  return {};
}

HttpsClient::HttpsClient(std::string ca_file)
    : handle_(curl_easy_init()), ca_file_(std::move(ca_file)) {}
HttpsClient::~HttpsClient() { curl_easy_cleanup(handle_); }

HttpResult HttpsClient::Perform(long timeout_ms) {
  HttpResult r;
  char err[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(handle_, CURLOPT_WRITEFUNCTION, &Append);
  curl_easy_setopt(handle_, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(handle_, CURLOPT_HEADERFUNCTION, &Append);
  curl_easy_setopt(handle_, CURLOPT_HEADERDATA, &r.headers);
  curl_easy_setopt(handle_, CURLOPT_ERRORBUFFER, err);
  curl_easy_setopt(handle_, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(handle_, CURLOPT_NOSIGNAL, 1L);
  if (!ca_file_.empty()) {
    curl_easy_setopt(handle_, CURLOPT_CAINFO, ca_file_.c_str());
  }
  curl_easy_setopt(handle_, CURLOPT_SSLVERSION, tls_version_ | max_tls_);
  if (!client_cert_.empty()) {
    curl_easy_setopt(handle_, CURLOPT_SSLCERT, client_cert_.c_str());
    curl_easy_setopt(handle_, CURLOPT_SSLKEY, client_key_.c_str());
  }
  r.curl_code = curl_easy_perform(handle_);
  if (r.curl_code != CURLE_OK) {
    r.error = err[0] != '\0' ? err : curl_easy_strerror(static_cast<CURLcode>(r.curl_code));
  }
  curl_easy_getinfo(handle_, CURLINFO_RESPONSE_CODE, &r.status);
  long connects = 0;
  curl_easy_getinfo(handle_, CURLINFO_NUM_CONNECTS, &connects);
  connects_ += connects;
  return r;
}

HttpResult HttpsClient::Post(const std::string& url, const std::string& body,
                             const std::string& content_type, long timeout_ms) {
  curl_easy_setopt(handle_, CURLOPT_URL, url.c_str());
  curl_easy_setopt(handle_, CURLOPT_POST, 1L);
  curl_easy_setopt(handle_, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(handle_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  const std::string ct = "Content-Type: " + content_type;
  curl_slist* headers = curl_slist_append(nullptr, ct.c_str());
  headers = curl_slist_append(headers, "Expect:");
  curl_easy_setopt(handle_, CURLOPT_HTTPHEADER, headers);
  HttpResult r = Perform(timeout_ms);
  curl_easy_setopt(handle_, CURLOPT_HTTPHEADER, nullptr);
  curl_slist_free_all(headers);
  return r;
}

HttpResult HttpsClient::Get(const std::string& url, long timeout_ms) {
  curl_easy_setopt(handle_, CURLOPT_URL, url.c_str());
  curl_easy_setopt(handle_, CURLOPT_HTTPGET, 1L);
  return Perform(timeout_ms);
}

}  // namespace shepgw::testing
