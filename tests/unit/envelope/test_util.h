// Helpers for the envelope tests: test messages from tests/data/envelope and builders for
// small inline envelopes.
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace shepgw::envelope::testing {

inline std::string ReadTestData(std::string_view name) {
  std::ifstream in(std::string(SHEPGW_ENVELOPE_TEST_DATA) + "/" + std::string(name),
                   std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A SOAP 1.1 envelope (prefix soapenv) with the given Header/Body content.
inline std::string Soap(std::string_view body_content, std::string_view header = "") {
  std::string out =
      "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\">";
  out += header;
  out += "<soapenv:Body>";
  out += body_content;
  out += "</soapenv:Body></soapenv:Envelope>";
  return out;
}

inline constexpr std::string_view kMinimalRequestInfo =
    "<messageId>m-1</messageId><serviceId>S1</serviceId>"
    "<sender><senderId>client-1</senderId></sender>";

// SendMessage (prefixed Types namespace) around a requestInfo body.
inline std::string SendMessage(std::string_view request_info_content = kMinimalRequestInfo) {
  std::string out =
      "<ns3:SendMessage xmlns:ns3=\"http://bip.bee.kz/SyncChannel/v10/Types\"><request>"
      "<requestInfo>";
  out += request_info_content;
  out +=
      "</requestInfo><requestData><data>payload</data></requestData></request>"
      "</ns3:SendMessage>";
  return out;
}

}  // namespace shepgw::envelope::testing
