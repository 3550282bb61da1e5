// The SOAP 1.1 envelope of one ShEP request: a hardened, single libxml2 parse and a view of
// the fields the gateway needs (operation, requestInfo), plus rendering of faults.
//
// Security posture: faces untrusted input. The parser refuses DTDs and entity declarations,
// never loads anything from the network or the file system, and enforces size and depth
// limits before building the tree. Prefixes are never trusted: elements are matched by
// namespace URI + local name.
//
// A ParsedEnvelope owns its xmlDoc; pointers into it stay valid for its lifetime. It is not
// thread-safe; one request, one thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shepgw/common/status.h"

// libxml2 forward declarations (keeps <libxml/tree.h> out of this header's users).
struct _xmlDoc;   // NOLINT(bugprone-reserved-identifier): libxml2's own names
struct _xmlNode;  // NOLINT(bugprone-reserved-identifier)

namespace shepgw::envelope {

inline constexpr std::string_view kSoap11Ns = "http://schemas.xmlsoap.org/soap/envelope/";
inline constexpr std::string_view kSoap12Ns = "http://www.w3.org/2003/05/soap-envelope";
inline constexpr std::string_view kSyncTypesNs = "http://bip.bee.kz/SyncChannel/v10/Types";

struct ParseLimits {
  size_t max_bytes = size_t{16} * 1024 * 1024;
  int max_depth = 256;  // element nesting; the root is depth 1. Capped at 2048 internally.
  // Elements + attributes + comments + PIs + CDATA sections. Bounds the tree's memory
  // (libxml2 spends ~100-250 bytes per node), which max_bytes alone does not for markup-dense
  // input. Generous: a 16 MB payload of ordinary records stays far below it.
  size_t max_nodes = 500'000;
};

// kOther: any body element, only from ParseEnvelope (responses, `shepgw sign`).
enum class Operation { kSyncSendMessage, kOther };

// SyncMessageInfo, as sent (strings verbatim, trimmed of surrounding whitespace).
struct RequestInfo {
  std::string message_id;
  std::string correlation_id;
  std::string service_id;
  std::string message_date;
  std::string route_id;
  std::string sender_id;
  bool has_password = false;  // the password itself is never copied out of the tree
  std::vector<std::pair<std::string, std::string>> properties;
  std::string session_id;
};

class ParsedEnvelope {
 public:
  ~ParsedEnvelope();
  ParsedEnvelope(const ParsedEnvelope&) = delete;
  ParsedEnvelope& operator=(const ParsedEnvelope&) = delete;

  _xmlDoc* doc() const { return doc_; }
  _xmlNode* envelope() const { return envelope_; }
  _xmlNode* header() const { return header_; }  // may be null (Header is optional)
  _xmlNode* body() const { return body_; }
  _xmlNode* operation_element() const { return operation_element_; }
  Operation operation() const { return operation_; }
  const RequestInfo& info() const { return info_; }
  // The Body's element is a SOAP 1.1 Fault (answers: CheckResponse's *is_fault).
  bool is_fault() const { return is_fault_; }

  // Serialises the (possibly modified) tree, for forwarding.
  std::string Serialize() const;
  // The same bytes as Serialize(), handed to `sink` piece by piece (libxml2's output buffer,
  // ~4 KB at a time) instead of built into one string: a large envelope goes to the network
  // without a second copy of itself in memory. Stops at the first piece `sink` refuses.
  // Returns false then, or when libxml2 fails; true when every byte went to `sink`.
  bool SerializeTo(const std::function<bool(std::string_view)>& sink) const;

  // For code that edits the tree in place (wss::Signer adds a Header when the message has
  // none, as the ShEP signers do): keeps header() pointing at the tree's Header element.
  // REQUIRES: `header` is the SOAP 1.1 Header child of envelope() (or null if none remains).
  void set_header(_xmlNode* header) { header_ = header; }

 private:
  friend struct EnvelopeParser;
  ParsedEnvelope() = default;
  _xmlDoc* doc_ = nullptr;
  _xmlNode* envelope_ = nullptr;
  _xmlNode* header_ = nullptr;
  _xmlNode* body_ = nullptr;
  _xmlNode* operation_element_ = nullptr;
  Operation operation_ = Operation::kSyncSendMessage;
  bool is_fault_ = false;
  RequestInfo info_;
  size_t input_size_ = 0;  // to size Serialize()'s output in one allocation
};

// What a parse produced. On failure `status` says why and `info` holds whatever requestInfo
// fields could be read (so the fault and the log line can name the messageId).
struct ParseOutcome {
  Status status;
  std::unique_ptr<ParsedEnvelope> envelope;  // set iff status.ok()
  RequestInfo info;
};

// Parses a SendMessage request. Errors: kEnvelopeMalformedXml, kEnvelopeDtdForbidden,
// kEnvelopeLimitExceeded, kEnvelopeSoap12, kEnvelopeNotSoap, kEnvelopeBadStructure,
// kEnvelopeUnknownOperation, kEnvelopeMissingField (messageId, serviceId, sender/senderId),
// kEnvelopeInvalidField.
// `consumed` (optional) is called during the parse with n when the parser will read
// bytes[0, n) no more, n growing (a large document is parsed in slices; below 1 MiB it is
// not called): the caller may free that memory at once.
ParseOutcome ParseRequest(std::string_view bytes, const ParseLimits& limits,
                          const std::function<void(size_t)>& consumed = {});

// Parses any SOAP 1.1 envelope with the same hardening and the same Envelope/Header/Body
// checks as ParseRequest, but without the operation and requestInfo checks: operation() is
// kOther, operation_element() is the Body's element, info() is empty. For documents the
// gateway signs itself (responses, `shepgw sign`). Errors: kEnvelopeMalformedXml,
// kEnvelopeDtdForbidden, kEnvelopeLimitExceeded, kEnvelopeSoap12, kEnvelopeNotSoap,
// kEnvelopeBadStructure.
ParseOutcome ParseEnvelope(std::string_view bytes, const ParseLimits& limits);

// Checks that `bytes` is a SOAP 1.1 envelope (for upstream answers). Sets *is_fault when its
// Body holds a soap:Fault. Errors: the kEnvelope* codes above (the caller maps them to
// kUpstreamBadResponse).
Status CheckResponse(std::string_view bytes, const ParseLimits& limits, bool* is_fault);

// A SOAP 1.1 Fault envelope for `code`: faultcode/faultstring from the error table and
// detail/SendMessageFault1_SendMessageFault{errorCode=token, errorMessage=message,
// errorDate=now, sessionId}. `message` and `session_id` are escaped; session_id is omitted
// when empty.
std::string RenderFault(ErrorCode code, std::string_view message, std::string_view session_id,
                        std::chrono::system_clock::time_point now);

// Process-wide libxml2 setup (call once from main before threads start; idempotent).
void InitXmlLibrary();

}  // namespace shepgw::envelope
