// SOAP 1.1 view and ShEP requestInfo extraction over the hardened parse (xml_parse.cc).
#include "shepgw/envelope/envelope.h"

#include <cstring>
#include <functional>
#include <mutex>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlIO.h>
#include <libxml/xmlsave.h>

#include "envelope/xml_parse.h"
#include "envelope/xml_text.h"

namespace shepgw::envelope {
namespace {

using internal::TrimXmlSpace;

// Identifiers are routing keys and log fields, not payload: a generous cap, no controls.
constexpr size_t kMaxIdBytes = 256;
// ShEP's XSD says key <= 30 and value <= 500 characters; we only stop the absurd.
constexpr size_t kMaxPropertyKeyBytes = 256;
constexpr size_t kMaxPropertyValueBytes = 4096;

std::string_view View(const xmlChar* s) {
  return s == nullptr ? std::string_view() : std::string_view(reinterpret_cast<const char*>(s));
}
std::string_view Href(const xmlNode* n) { return n->ns != nullptr ? View(n->ns->href) : ""; }
std::string_view Local(const xmlNode* n) { return View(n->name); }

bool Is(const xmlNode* n, std::string_view ns, std::string_view local) {
  return n->type == XML_ELEMENT_NODE && Local(n) == local && n->ns != nullptr && Href(n) == ns;
}

// "{ns}local" for messages; the namespace and name come from the input, so keep them short.
std::string ClarkName(std::string_view href, std::string_view local) {
  std::string out = "{";
  out += internal::SanitizeDetail(href, 100);
  out += '}';
  out += internal::SanitizeDetail(local, 60);
  return out;
}
std::string ClarkName(const xmlNode* n) { return ClarkName(Href(n), Local(n)); }

bool IsBlankText(const xmlNode* n) {
  return (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) &&
         TrimXmlSpace(View(n->content)).empty();
}

Status BadStructure(std::string message) {
  return {ErrorCode::kEnvelopeBadStructure, std::move(message)};
}

// What may sit between elements of the SOAP skeleton: whitespace, comments, PIs.
bool IsIgnorable(const xmlNode* n) {
  return n->type == XML_COMMENT_NODE || n->type == XML_PI_NODE || IsBlankText(n);
}

// The one element child of `parent` (Body); anything else but ignorable nodes is an error.
Status SingleElementChild(xmlNode* parent, std::string_view what, xmlNode** out) {
  *out = nullptr;
  for (xmlNode* c = parent->children; c != nullptr; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) {
      if (*out != nullptr) {
        return BadStructure(std::string(what) + " holds more than one element");
      }
      *out = c;
    } else if (!IsIgnorable(c)) {
      return BadStructure(std::string(what) + " holds text or other content besides its element");
    }
  }
  if (*out == nullptr) {
    return BadStructure(std::string(what) + " is empty");
  }
  return Status::Ok();
}

struct SoapParts {
  xmlNode* envelope = nullptr;
  xmlNode* header = nullptr;
  xmlNode* body = nullptr;
  xmlNode* body_element = nullptr;
};

// Envelope{ Header?, Body } with Body holding exactly one element, matched by namespace URI.
// Stricter than SOAP 1.1 (which allows trailing elements after Body and several body
// entries): one unambiguous Body is what the signature check and the router must agree on.
Status CheckSoap(xmlDoc* doc, SoapParts* parts) {
  xmlNode* root = xmlDocGetRootElement(doc);
  if (root == nullptr) {  // the parser refuses a document without one; never trust that here
    return {ErrorCode::kEnvelopeNotSoap, "no root element"};
  }
  if (root->ns != nullptr && Href(root) == kSoap12Ns) {
    return {ErrorCode::kEnvelopeSoap12, "root is a SOAP 1.2 " + ClarkName(root)};
  }
  if (!Is(root, kSoap11Ns, "Envelope")) {
    return {ErrorCode::kEnvelopeNotSoap, "root element is " + ClarkName(root)};
  }
  parts->envelope = root;
  for (xmlNode* c = root->children; c != nullptr; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) {
      if (!IsIgnorable(c)) {
        return BadStructure("Envelope holds text or other non-element content");
      }
      continue;
    }
    if (Is(c, kSoap11Ns, "Header")) {
      if (parts->header != nullptr) {
        return BadStructure("Envelope holds more than one Header");
      }
      if (parts->body != nullptr) {
        return BadStructure("Header after Body");
      }
      parts->header = c;
    } else if (Is(c, kSoap11Ns, "Body")) {
      if (parts->body != nullptr) {
        return BadStructure("Envelope holds more than one Body");
      }
      parts->body = c;
    } else {
      return BadStructure("unexpected element " + ClarkName(c) + " in Envelope");
    }
  }
  if (parts->body == nullptr) {
    return BadStructure("Envelope has no Body");
  }
  return SingleElementChild(parts->body, "Body", &parts->body_element);
}

// --- requestInfo ----------------------------------------------------------------------------

// Text content of a simple-typed element: its text and CDATA children, concatenated.
// An element child makes it invalid (a simple field must not hide markup).
bool SimpleText(const xmlNode* n, std::string* out) {
  out->clear();
  for (const xmlNode* c = n->children; c != nullptr; c = c->next) {
    if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
      *out += View(c->content);
    } else if (c->type == XML_ELEMENT_NODE || c->type == XML_ENTITY_REF_NODE) {
      return false;
    }
  }
  const std::string_view trimmed = TrimXmlSpace(*out);
  if (trimmed.size() != out->size()) {
    *out = std::string(trimmed);
  }
  return true;
}

bool HasText(const xmlNode* n) {
  for (const xmlNode* c = n->children; c != nullptr; c = c->next) {
    if (c->type == XML_ELEMENT_NODE ||
        ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && !IsBlankText(c))) {
      return true;
    }
  }
  return false;
}

// C0, DEL and C1 controls (U+0080..U+009F is C2 80..C2 9F in UTF-8; libxml2 already
// guarantees valid UTF-8).
bool HasControlChars(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F ||
        (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) <= 0x9F)) {
      return true;
    }
  }
  return false;
}

// Walks SendMessage/request/requestInfo. Lenient like ShEP: inner elements are matched by
// local name whatever their namespace, order is not enforced, unknown elements are skipped,
// empty optional elements are fine. Strict where ambiguity could be exploited: a singular
// field given twice is refused (the router and the upstream could read different copies).
class InfoExtractor {
 public:
  explicit InfoExtractor(RequestInfo* info) : info_(info) {}

  Status Extract(const xmlNode* operation) {
    const xmlNode* request = UniqueChild(operation, "request", "SendMessage/request");
    if (request == nullptr) {
      return Finish();
    }
    const xmlNode* request_info = UniqueChild(request, "requestInfo", "request/requestInfo");
    if (request_info == nullptr) {
      return Finish();
    }
    bool seen[8] = {};
    for (const xmlNode* c = request_info->children; c != nullptr; c = c->next) {
      if (c->type != XML_ELEMENT_NODE) {
        continue;
      }
      const std::string_view name = Local(c);
      if (name == "messageId") {
        Id(c, "requestInfo/messageId", &seen[0], &info_->message_id);
      } else if (name == "serviceId") {
        Id(c, "requestInfo/serviceId", &seen[1], &info_->service_id);
      } else if (name == "correlationId") {
        Id(c, "requestInfo/correlationId", &seen[2], &info_->correlation_id);
      } else if (name == "messageDate") {
        Id(c, "requestInfo/messageDate", &seen[3], &info_->message_date);
      } else if (name == "routeId") {
        Id(c, "requestInfo/routeId", &seen[4], &info_->route_id);
      } else if (name == "sessionId") {
        Id(c, "requestInfo/sessionId", &seen[5], &info_->session_id);
      } else if (name == "sender") {
        if (Once(&seen[6], "requestInfo/sender")) {
          Sender(c);
        }
      } else if (name == "properties") {
        Property(c);
      }
    }
    return Finish();
  }

 private:
  Status Finish() {
    if (!status_.ok()) {
      return status_;
    }
    if (missing_ != nullptr) {
      return {ErrorCode::kEnvelopeMissingField, std::string(missing_) + " is missing"};
    }
    if (info_->message_id.empty()) {
      return {ErrorCode::kEnvelopeMissingField, "requestInfo/messageId is missing"};
    }
    if (info_->service_id.empty()) {
      return {ErrorCode::kEnvelopeMissingField, "requestInfo/serviceId is missing"};
    }
    if (info_->sender_id.empty()) {
      return {ErrorCode::kEnvelopeMissingField, "requestInfo/sender/senderId is missing"};
    }
    return Status::Ok();
  }

  void Invalid(std::string message) {
    if (status_.ok()) {
      status_ = Status(ErrorCode::kEnvelopeInvalidField, std::move(message));
    }
  }

  bool Once(bool* seen, std::string_view path) {
    if (*seen) {
      Invalid(std::string(path) + " appears more than once");
      return false;
    }
    *seen = true;
    return true;
  }

  const xmlNode* UniqueChild(const xmlNode* parent, std::string_view local, const char* path) {
    const xmlNode* found = nullptr;
    for (const xmlNode* c = parent->children; c != nullptr; c = c->next) {
      if (c->type == XML_ELEMENT_NODE && Local(c) == local) {
        if (found != nullptr) {
          Invalid(std::string(path) + " appears more than once");
          return nullptr;
        }
        found = c;
      }
    }
    if (found == nullptr && missing_ == nullptr) {
      missing_ = path;
    }
    return found;
  }

  // A simple identifier-like field; on error the field is left empty.
  void Id(const xmlNode* n, std::string_view path, bool* seen, std::string* field) {
    if (!Once(seen, path)) {
      field->clear();  // neither copy is trustworthy
      return;
    }
    std::string value;
    if (!SimpleText(n, &value)) {
      Invalid(std::string(path) + " must be text, not markup");
      return;
    }
    if (value.size() > kMaxIdBytes) {
      Invalid(std::string(path) + " is longer than " + std::to_string(kMaxIdBytes) + " bytes");
      return;
    }
    if (HasControlChars(value)) {
      Invalid(std::string(path) + " contains control characters");
      return;
    }
    *field = std::move(value);
  }

  void Sender(const xmlNode* sender) {
    bool seen_id = false;
    bool seen_password = false;
    for (const xmlNode* c = sender->children; c != nullptr; c = c->next) {
      if (c->type != XML_ELEMENT_NODE) {
        continue;
      }
      if (Local(c) == "senderId") {
        Id(c, "requestInfo/sender/senderId", &seen_id, &info_->sender_id);
      } else if (Local(c) == "password") {
        // Only whether it is there; the secret is never copied out of the tree.
        if (Once(&seen_password, "requestInfo/sender/password")) {
          info_->has_password = HasText(c);
        }
      }
    }
  }

  void Property(const xmlNode* property) {
    std::string key;
    std::string value;
    bool has_key = false;
    bool has_value = false;
    for (const xmlNode* c = property->children; c != nullptr; c = c->next) {
      if (c->type != XML_ELEMENT_NODE) {
        continue;
      }
      const bool is_key = Local(c) == "key";
      if (!is_key && Local(c) != "value") {
        continue;
      }
      if ((is_key && has_key) || (!is_key && has_value)) {
        Invalid("requestInfo/properties/" + std::string(Local(c)) + " appears more than once");
        return;
      }
      std::string* field = is_key ? &key : &value;
      if (!SimpleText(c, field)) {
        Invalid("requestInfo/properties/" + std::string(Local(c)) + " must be text, not markup");
        return;
      }
      (is_key ? has_key : has_value) = true;
    }
    if (key.size() > kMaxPropertyKeyBytes || value.size() > kMaxPropertyValueBytes) {
      Invalid("requestInfo/properties entry is too long");
      return;
    }
    if (HasControlChars(key)) {
      Invalid("requestInfo/properties/key contains control characters");
      return;
    }
    // <properties></properties> is what some clients send for "none".
    if (!key.empty() || !value.empty()) {
      info_->properties.emplace_back(std::move(key), std::move(value));
    }
  }

  RequestInfo* info_;
  Status status_;
  const char* missing_ = nullptr;
};

// Best effort for logs when the envelope itself was refused: look for Body/*/request/...
// by local name only and keep whatever requestInfo fields read cleanly.
void Salvage(xmlDoc* doc, RequestInfo* info) {
  const xmlNode* root = xmlDocGetRootElement(doc);
  for (const xmlNode* c = root->children; c != nullptr; c = c->next) {
    if (c->type == XML_ELEMENT_NODE && Local(c) == "Body") {
      for (const xmlNode* op = c->children; op != nullptr; op = op->next) {
        if (op->type == XML_ELEMENT_NODE) {
          RequestInfo salvaged;
          InfoExtractor(&salvaged).Extract(op);
          *info = std::move(salvaged);
          return;
        }
      }
      return;
    }
  }
}

// xmlSaveToIO's write callback for SerializeTo: one piece of libxml2's output buffer.
struct SinkContext {
  const std::function<bool(std::string_view)>* sink;
  bool refused = false;
};

int WriteToSink(void* context, const char* buffer, int len) {
  auto* c = static_cast<SinkContext*>(context);
  if (c->refused || !(*c->sink)(std::string_view(buffer, static_cast<size_t>(len)))) {
    c->refused = true;
    return -1;  // libxml2 stops writing (the output buffer's error)
  }
  return len;
}

}  // namespace

// Builds ParsedEnvelope (its constructor and fields are private to everyone else).
struct EnvelopeParser {
  // The steps every envelope goes through: hardened parse, then the SOAP 1.1 shape.
  // Returns false with outcome->status set on failure (doc is set once parsing succeeded).
  static bool ParseSoap(std::string_view bytes, const ParseLimits& limits, ParseOutcome* outcome,
                        internal::XmlDocPtr* doc, SoapParts* parts,
                        const std::function<void(size_t)>& consumed = {}) {
    outcome->status = internal::ParseXml(bytes, limits, doc, consumed);
    if (outcome->status.ok()) {
      outcome->status = CheckSoap(doc->get(), parts);
    }
    return outcome->status.ok();
  }

  static ParseOutcome Parse(std::string_view bytes, const ParseLimits& limits,
                            const std::function<void(size_t)>& consumed) {
    ParseOutcome outcome;
    internal::XmlDocPtr doc;
    SoapParts parts;
    if (!ParseSoap(bytes, limits, &outcome, &doc, &parts, consumed)) {
      if (doc) {
        Salvage(doc.get(), &outcome.info);  // the messageId for the log line, when readable
      }
      return outcome;
    }
    if (!Is(parts.body_element, kSyncTypesNs, "SendMessage")) {
      outcome.status = {ErrorCode::kEnvelopeUnknownOperation,
                        "unknown operation " + ClarkName(parts.body_element)};
      InfoExtractor(&outcome.info).Extract(parts.body_element);
      return outcome;
    }
    outcome.status = InfoExtractor(&outcome.info).Extract(parts.body_element);
    if (!outcome.status.ok()) {
      return outcome;
    }
    outcome.envelope =
        Build(std::move(doc), parts, Operation::kSyncSendMessage, outcome.info, bytes.size());
    return outcome;
  }

  static ParseOutcome ParseAny(std::string_view bytes, const ParseLimits& limits) {
    ParseOutcome outcome;
    internal::XmlDocPtr doc;
    SoapParts parts;
    if (!ParseSoap(bytes, limits, &outcome, &doc, &parts)) {
      return outcome;
    }
    outcome.envelope = Build(std::move(doc), parts, Operation::kOther, {}, bytes.size());
    return outcome;
  }

 private:
  static std::unique_ptr<ParsedEnvelope> Build(internal::XmlDocPtr doc, const SoapParts& parts,
                                               Operation operation, RequestInfo info,
                                               size_t input_size) {
    std::unique_ptr<ParsedEnvelope> env(new ParsedEnvelope());
    env->doc_ = doc.release();
    env->envelope_ = parts.envelope;
    env->header_ = parts.header;
    env->body_ = parts.body;
    env->operation_element_ = parts.body_element;
    env->operation_ = operation;
    env->is_fault_ = Is(parts.body_element, kSoap11Ns, "Fault");
    env->info_ = std::move(info);
    env->input_size_ = input_size;
    return env;
  }
};

ParsedEnvelope::~ParsedEnvelope() { xmlFreeDoc(doc_); }

std::string ParsedEnvelope::Serialize() const {
  std::string out;
  out.reserve(input_size_ + 64);
  (void)SerializeTo([&out](std::string_view piece) {
    out.append(piece);
    return true;
  });
  return out;
}

bool ParsedEnvelope::SerializeTo(const std::function<bool(std::string_view)>& sink) const {
  SinkContext context{&sink};
  // No formatting options: whitespace, comments, CDATA and namespace declarations come out as
  // they are in the tree. Forcing UTF-8 (we only accept UTF-8) keeps non-ASCII text as raw
  // UTF-8 rather than character references, and makes the declaration say so.
  xmlSaveCtxtPtr save = xmlSaveToIO(WriteToSink, nullptr, &context, "UTF-8", 0);
  if (save == nullptr) {
    return false;
  }
  xmlSaveDoc(save, doc_);
  const int rc = xmlSaveClose(save);
  return rc >= 0 && !context.refused;
}

ParseOutcome ParseRequest(std::string_view bytes, const ParseLimits& limits,
                          const std::function<void(size_t)>& consumed) {
  InitXmlLibrary();  // a no-op after the first call; keeps a forgotten init from mattering
  return EnvelopeParser::Parse(bytes, limits, consumed);
}

ParseOutcome ParseEnvelope(std::string_view bytes, const ParseLimits& limits) {
  InitXmlLibrary();
  return EnvelopeParser::ParseAny(bytes, limits);
}

namespace {

// CheckSoap's rules on the parser's event stream, with CheckSoap's verdict: the same first
// error in the same order (root, then the Envelope's children in document order, then "no
// Body", then the first Body's content), so CheckResponse needs no tree.
class SoapShape final : public internal::StructureSink {
 public:
  void StartElement(int depth, std::string_view uri, std::string_view local) override {
    if (!root_error_.ok()) {
      return;
    }
    if (depth == 1) {
      if (uri == kSoap12Ns) {
        root_error_ = {ErrorCode::kEnvelopeSoap12, "root is a SOAP 1.2 " + ClarkName(uri, local)};
      } else if (uri != kSoap11Ns || local != "Envelope") {
        root_error_ = {ErrorCode::kEnvelopeNotSoap, "root element is " + ClarkName(uri, local)};
      }
    } else if (depth == 2) {
      in_first_body_ = false;
      if (!envelope_error_.ok()) {
        return;
      }
      if (uri == kSoap11Ns && local == "Header") {
        if (seen_header_) {
          envelope_error_ = BadStructure("Envelope holds more than one Header");
        } else if (seen_body_) {
          envelope_error_ = BadStructure("Header after Body");
        }
        seen_header_ = true;
      } else if (uri == kSoap11Ns && local == "Body") {
        if (seen_body_) {
          envelope_error_ = BadStructure("Envelope holds more than one Body");
        }
        in_first_body_ = !seen_body_;
        seen_body_ = true;
      } else {
        envelope_error_ =
            BadStructure("unexpected element " + ClarkName(uri, local) + " in Envelope");
      }
    } else if (depth == 3 && in_first_body_) {
      if (++body_elements_ == 1) {
        is_fault_ = uri == kSoap11Ns && local == "Fault";
      } else if (body_error_.ok()) {
        body_error_ = BadStructure("Body holds more than one element");
      }
    }
  }
  void EndElement(int depth) override {
    if (depth == 2) {
      in_first_body_ = false;
    }
  }
  void Text(int depth, std::string_view text) override {
    if (TrimXmlSpace(text).empty()) {
      return;
    }
    if (depth == 1 && envelope_error_.ok()) {
      envelope_error_ = BadStructure("Envelope holds text or other non-element content");
    } else if (depth == 2 && in_first_body_ && body_error_.ok()) {
      body_error_ = BadStructure("Body holds text or other content besides its element");
    }
  }
  Status Verdict() const {
    if (!root_error_.ok()) {
      return root_error_;
    }
    if (!envelope_error_.ok()) {
      return envelope_error_;
    }
    if (!seen_body_) {
      return BadStructure("Envelope has no Body");
    }
    if (!body_error_.ok()) {
      return body_error_;
    }
    if (body_elements_ == 0) {
      return BadStructure("Body is empty");
    }
    return Status::Ok();
  }
  bool is_fault() const { return is_fault_; }

 private:
  Status root_error_;
  Status envelope_error_;
  Status body_error_;
  bool seen_header_ = false;
  bool seen_body_ = false;
  bool in_first_body_ = false;
  int body_elements_ = 0;
  bool is_fault_ = false;
};

}  // namespace

Status CheckResponse(std::string_view bytes, const ParseLimits& limits, bool* is_fault) {
  InitXmlLibrary();
  if (is_fault != nullptr) {
    *is_fault = false;
  }
  SoapShape shape;
  Status status = internal::ScanXml(bytes, limits, &shape);
  if (!status.ok()) {
    return status;
  }
  status = shape.Verdict();
  if (status.ok() && is_fault != nullptr) {
    *is_fault = shape.is_fault();
  }
  return status;
}

}  // namespace shepgw::envelope
