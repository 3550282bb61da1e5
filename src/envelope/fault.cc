// SOAP 1.1 fault rendering, written directly (no tree): the shape is fixed and every piece of
// variable text goes through AppendXmlEscaped, which cannot produce ill-formed output.
#include <algorithm>
#include <string>

#include "shepgw/common/clock.h"
#include "shepgw/envelope/envelope.h"

#include "envelope/xml_text.h"

namespace shepgw::envelope {
namespace {

// errorMessage is for humans; a caller passing something huge must not make the fault huge.
constexpr size_t kMaxMessageBytes = 2048;
constexpr size_t kMaxSessionIdBytes = 256;

}  // namespace

std::string RenderFault(ErrorCode code, std::string_view message, std::string_view session_id,
                        std::chrono::system_clock::time_point now) {
  const ErrorDescription& desc = Describe(code);
  std::string out;
  out.reserve(640 + std::min(message.size(), kMaxMessageBytes) + session_id.size());
  out +=
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">"
      "<soap:Body><soap:Fault><faultcode>";
  out += FaultCodeQName(desc.fault_code);
  // faultstring stays the fixed, human text of the table; the specifics go to errorMessage,
  // where ShEP clients (ErrorInfo) look for them.
  out += "</faultcode><faultstring>";
  internal::AppendXmlEscaped(out, desc.fault_string);
  out +=
      "</faultstring><detail>"
      "<ns2:SendMessageFault1_SendMessageFault "
      "xmlns:ns2=\"http://bip.bee.kz/SyncChannel/v10/Types\">"
      "<errorCode>";
  internal::AppendXmlEscaped(out, desc.token);
  out += "</errorCode><errorMessage>";
  // errorMessage is required by ErrorInfo: never leave it empty.
  internal::AppendXmlEscaped(out, message.empty() ? desc.fault_string : message, kMaxMessageBytes);
  out += "</errorMessage><errorDate>";
  out += FormatXsdDateTime(now);
  out += "</errorDate>";
  if (!session_id.empty()) {
    out += "<sessionId>";
    internal::AppendXmlEscaped(out, session_id, kMaxSessionIdBytes);
    out += "</sessionId>";
  }
  out +=
      "</ns2:SendMessageFault1_SendMessageFault></detail></soap:Fault></soap:Body></soap:Envelope>";
  return out;
}

}  // namespace shepgw::envelope
