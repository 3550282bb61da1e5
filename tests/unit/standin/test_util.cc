#include "test_util.h"

#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include <curl/curl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace shepgw::standin::testing {
namespace {

using Clock = std::chrono::steady_clock;

const xmlChar* X(const char* s) { return reinterpret_cast<const xmlChar*>(s); }

// Waits for the child to exit until deadline; true if reaped.
bool WaitUntil(pid_t pid, Clock::time_point deadline, int* status) {
  while (true) {
    pid_t r = waitpid(pid, status, WNOHANG);
    if (r == pid || r < 0) {
      return true;
    }
    if (Clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

size_t AppendBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

HttpResult Perform(CURL* curl, std::chrono::milliseconds timeout) {
  HttpResult result;
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(curl, CURLOPT_PROXY, "");  // never a proxy: loopback only
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
  result.curl_code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
  char* ct = nullptr;
  if (curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != nullptr) {
    result.content_type = ct;
  }
  return result;
}

}  // namespace

StandinProcess::StandinProcess(std::vector<std::string> args) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return;
  }
  args.insert(args.begin(), {SHEP_STANDIN_BIN, "--port", "0"});
  pid_ = fork();
  if (pid_ == 0) {
    dup2(fds[1], STDOUT_FILENO);
    std::vector<char*> argv;
    for (auto& a : args) {
      argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  if (pid_ < 0) {
    close(fds[0]);
    return;
  }
  // Read "LISTENING <port>\n" with a hard deadline.
  std::string line;
  auto deadline = Clock::now() + std::chrono::seconds(10);
  while (line.find('\n') == std::string::npos && Clock::now() < deadline) {
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) {
      continue;
    }
    char buf[64];
    ssize_t n = read(fds[0], buf, sizeof(buf));
    if (n <= 0) {
      break;
    }
    line.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);  // later stdout writes get EPIPE/SIGPIPE-ignored; the standin prints nothing more
  if (line.rfind("LISTENING ", 0) == 0) {
    port_ = std::atoi(line.c_str() + 10);
  }
}

StandinProcess::~StandinProcess() {
  if (pid_ <= 0) {
    return;
  }
  int status = 0;
  kill(pid_, SIGTERM);
  if (!WaitUntil(pid_, Clock::now() + std::chrono::seconds(5), &status)) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
  }
}

std::optional<int> StandinProcess::Terminate(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) {
    return std::nullopt;
  }
  int status = 0;
  kill(pid_, SIGTERM);
  if (!WaitUntil(pid_, Clock::now() + timeout, &status)) {
    return std::nullopt;  // the destructor will SIGKILL it
  }
  pid_ = -1;
  return status;
}

std::string StandinProcess::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

HttpResult HttpPost(const std::string& url, const std::string& body,
                    std::chrono::milliseconds timeout, const std::string& content_type) {
  CURL* curl = curl_easy_init();
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, ("Content-Type: " + content_type).c_str());
  headers = curl_slist_append(headers, "SOAPAction: \"\"");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  HttpResult result = Perform(curl, timeout);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return result;
}

HttpResult HttpGet(const std::string& url, std::chrono::milliseconds timeout) {
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  HttpResult result = Perform(curl, timeout);
  curl_easy_cleanup(curl);
  return result;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::unique_ptr<Xml> Xml::Parse(const std::string& text) {
  xmlDocPtr doc = xmlReadMemory(text.data(), static_cast<int>(text.size()), "response.xml", nullptr,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (doc == nullptr) {
    return nullptr;
  }
  std::unique_ptr<Xml> xml(new Xml());
  xml->doc_ = doc;
  return xml;
}

Xml::~Xml() { xmlFreeDoc(static_cast<xmlDocPtr>(doc_)); }

namespace {

xmlXPathObjectPtr Eval(void* doc, const std::string& xpath) {
  xmlXPathContextPtr ctx = xmlXPathNewContext(static_cast<xmlDocPtr>(doc));
  xmlXPathRegisterNs(ctx, X("soap"), X("http://schemas.xmlsoap.org/soap/envelope/"));
  xmlXPathRegisterNs(ctx, X("shep"), X("http://bip.bee.kz/SyncChannel/v10/Types"));
  xmlXPathObjectPtr obj = xmlXPathEvalExpression(X(xpath.c_str()), ctx);
  xmlXPathFreeContext(ctx);
  return obj;
}

}  // namespace

std::string Xml::Text(const std::string& xpath) const {
  xmlXPathObjectPtr obj = Eval(doc_, "string(" + xpath + ")");
  std::string out;
  if (obj != nullptr && obj->stringval != nullptr) {
    out = reinterpret_cast<const char*>(obj->stringval);
  }
  xmlXPathFreeObject(obj);
  return out;
}

int Xml::Count(const std::string& xpath) const {
  xmlXPathObjectPtr obj = Eval(doc_, "count(" + xpath + ")");
  int n = obj != nullptr ? static_cast<int>(obj->floatval) : -1;
  xmlXPathFreeObject(obj);
  return n;
}

namespace {

void CollectError(void* ctx, const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  static_cast<std::string*>(ctx)->append(buf);
}

}  // namespace

std::string Xml::ValidateBodyChild(const std::string& xsd_path) const {
  xmlXPathObjectPtr obj = Eval(doc_, "/soap:Envelope/soap:Body/*[1]");
  if (obj == nullptr || obj->nodesetval == nullptr || obj->nodesetval->nodeNr != 1) {
    xmlXPathFreeObject(obj);
    return "no soap:Body child";
  }
  // Copy the body child (with in-scope namespaces) into its own document and validate that.
  xmlDocPtr body = xmlNewDoc(X("1.0"));
  xmlNodePtr copy = xmlDocCopyNode(obj->nodesetval->nodeTab[0], body, 1);
  xmlDocSetRootElement(body, copy);
  xmlReconciliateNs(body, copy);
  xmlXPathFreeObject(obj);

  std::string errors;
  xmlSchemaParserCtxtPtr pctx = xmlSchemaNewParserCtxt(xsd_path.c_str());
  xmlSchemaPtr schema = xmlSchemaParse(pctx);
  if (schema == nullptr) {
    errors = "cannot parse " + xsd_path;
  } else {
    xmlSchemaValidCtxtPtr vctx = xmlSchemaNewValidCtxt(schema);
    xmlSchemaSetValidErrors(vctx, CollectError, CollectError, &errors);
    if (xmlSchemaValidateDoc(vctx, body) != 0 && errors.empty()) {
      errors = "invalid";
    }
    xmlSchemaFreeValidCtxt(vctx);
    xmlSchemaFree(schema);
  }
  xmlSchemaFreeParserCtxt(pctx);
  xmlFreeDoc(body);
  return errors;
}

std::string MakeRequest(const std::string& message_id, const std::string& service_id,
                        const std::string& mode_property, const std::string& envelope_style) {
  std::string props = "<properties><key>CONNECTOR_CLIENT</key><value>true</value></properties>";
  if (!mode_property.empty()) {
    props += "<properties><key>STANDIN_MODE</key><value>" + mode_property + "</value></properties>";
  }
  std::string info = "<messageId>" + message_id + "</messageId><serviceId>" + service_id +
                     "</serviceId><messageDate>2019-12-25T12:48:21.024+06:00</messageDate>"
                     "<sender><senderId>test</senderId><password>pw</password></sender>" +
                     props;
  std::string data =
      "<requestData><data xmlns:cs=\"http://message.persistence.interactive.nat\" "
      "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"cs:Request\">"
      "<iin>931002451325</iin></data></requestData>";
  const std::string env_ns = "http://schemas.xmlsoap.org/soap/envelope/";
  const std::string types_ns = "http://bip.bee.kz/SyncChannel/v10/Types";
  if (envelope_style == "default") {
    // Default namespaces everywhere, inner elements reset with xmlns="" (idx:68951962035 style).
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Envelope xmlns=\"" + env_ns +
           "\"><Body><SendMessage xmlns=\"" + types_ns + "\"><request xmlns=\"\"><requestInfo>" +
           info + "</requestInfo>" + data + "</request></SendMessage></Body></Envelope>";
  }
  const std::string& p = envelope_style;
  return "<?xml version=\"1.0\"?>\n<" + p + ":Envelope xmlns:" + p + "=\"" + env_ns + "\"><" + p +
         ":Header/><" + p + ":Body><ns3:SendMessage xmlns:ns3=\"" + types_ns +
         "\" xmlns=\"\"><request><requestInfo>" + info + "</requestInfo>" + data +
         "</request></ns3:SendMessage></" + p + ":Body></" + p + ":Envelope>";
}

}  // namespace shepgw::standin::testing
