// CheckResponse: what the upstream returns.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "shepgw/envelope/envelope.h"

#include "unit/envelope/test_util.h"

namespace shepgw::envelope {
namespace {

using testing::Soap;

constexpr std::string_view kResponseBody =
    "<ns1:SendMessageResponse xmlns:ns1=\"http://bip.bee.kz/SyncChannel/v10/Types\"><response>"
    "<responseInfo><messageId>r-1</messageId><responseDate>2023-03-01T16:35:01.094+06:00"
    "</responseDate><status><code>SCSS001</code><message>ok</message></status></responseInfo>"
    "<responseData><data>x</data></responseData></response></ns1:SendMessageResponse>";

TEST(CheckResponseTest, NormalResponse) {
  bool is_fault = true;
  const Status st = CheckResponse(Soap(kResponseBody, "<soapenv:Header/>"), {}, &is_fault);
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_FALSE(is_fault);
}

TEST(CheckResponseTest, Fault) {
  bool is_fault = false;
  const Status st = CheckResponse(
      Soap("<soapenv:Fault><faultcode>soapenv:Server</faultcode><faultstring>x</faultstring>"
           "</soapenv:Fault>"),
      {}, &is_fault);
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(is_fault);
}

TEST(CheckResponseTest, FaultInAnotherNamespaceIsNotAFault) {
  bool is_fault = true;
  EXPECT_TRUE(CheckResponse(Soap("<Fault/>"), {}, &is_fault).ok());
  EXPECT_FALSE(is_fault);
}

TEST(CheckResponseTest, OwnRenderedFaultIsAFault) {
  bool is_fault = false;
  const std::string fault =
      RenderFault(ErrorCode::kUpstreamTimeout, "slow", "", std::chrono::system_clock::time_point{});
  EXPECT_TRUE(CheckResponse(fault, {}, &is_fault).ok());
  EXPECT_TRUE(is_fault);
}

TEST(CheckResponseTest, GarbageAndHostileInput) {
  bool is_fault = true;
  EXPECT_EQ(CheckResponse("<html><body>502 Bad Gateway</body></html>", {}, &is_fault).code(),
            ErrorCode::kEnvelopeNotSoap);
  EXPECT_FALSE(is_fault);
  EXPECT_EQ(CheckResponse("Bad Gateway", {}, &is_fault).code(), ErrorCode::kEnvelopeMalformedXml);
  EXPECT_EQ(CheckResponse("", {}, &is_fault).code(), ErrorCode::kEnvelopeMalformedXml);
  EXPECT_EQ(CheckResponse("<!DOCTYPE x [<!ENTITY a \"b\">]>" + Soap(std::string(kResponseBody)), {},
                          &is_fault)
                .code(),
            ErrorCode::kEnvelopeDtdForbidden);
  EXPECT_EQ(
      CheckResponse("<e:Envelope xmlns:e=\"http://www.w3.org/2003/05/soap-envelope\"><e:Body/>"
                    "</e:Envelope>",
                    {}, &is_fault)
          .code(),
      ErrorCode::kEnvelopeSoap12);
  EXPECT_EQ(CheckResponse(Soap(""), {}, &is_fault).code(), ErrorCode::kEnvelopeBadStructure);
  ParseLimits small;
  small.max_bytes = 10;
  EXPECT_EQ(CheckResponse(Soap(std::string(kResponseBody)), small, &is_fault).code(),
            ErrorCode::kEnvelopeLimitExceeded);
}

// CheckResponse builds no tree; its verdict must still be ParseEnvelope's, code and message,
// including the first error when there are several, and the two errors libxml2's tree
// builder raises on well-formed input (xml:id).
TEST(CheckResponseTest, SameVerdictAsParseEnvelope) {
  const std::string body(kResponseBody);
  const std::string f = "<soapenv:Fault><faultcode>c</faultcode></soapenv:Fault>";
  const std::vector<std::string> docs = {
      Soap(body),
      Soap(f),
      Soap(f + body),
      Soap(body + f),
      Soap(" <!-- c --> " + body + " <?pi x?> "),
      Soap("<![CDATA[ ]]>" + body),
      Soap("<![CDATA[x]]>" + body),
      Soap(body + "text"),
      Soap(""),
      Soap("", "<soapenv:Header/><soapenv:Header/>"),
      "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\">"
      "<soapenv:Body>" +
          body + "</soapenv:Body><soapenv:Header/></soapenv:Envelope>",
      "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\">"
      "<soapenv:Body>" +
          body + "x</soapenv:Body><soapenv:Body/></soapenv:Envelope>",
      "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\">"
      "<soapenv:Body>" +
          body + body + "</soapenv:Body><x/></soapenv:Envelope>",
      "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\">t"
      "</soapenv:Envelope>",
      "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"/>",
      "<e:Envelope xmlns:e=\"http://www.w3.org/2003/05/soap-envelope\"><e:Body/></e:Envelope>",
      "<Envelope><Body/></Envelope>",
      Soap("<a xml:id=\"1x\"/>"),
      Soap("<a xml:id=\"a\"><b xml:id=\"a\"/></a>"),
      Soap("<a xml:id=\"a&#38;b\"/>"),
      Soap("<a xml:id=\"ok\"><b xml:id=\"fine\"/></a>"),
      Soap(body) + "<trailing/>",
      Soap("<a>"),
  };
  for (const std::string& doc : docs) {
    SCOPED_TRACE(doc);
    bool is_fault = false;
    const Status checked = CheckResponse(doc, {}, &is_fault);
    const ParseOutcome parsed = ParseEnvelope(doc, {});
    EXPECT_EQ(checked.code(), parsed.status.code());
    EXPECT_EQ(checked.message(), parsed.status.message());
    if (parsed.status.ok()) {
      EXPECT_EQ(is_fault, parsed.envelope->is_fault());
    }
  }
}

TEST(CheckResponseTest, NullIsFaultIsAllowed) {
  EXPECT_TRUE(CheckResponse(Soap(std::string(kResponseBody)), {}, nullptr).ok());
}

}  // namespace
}  // namespace shepgw::envelope

namespace shepgw::envelope {
namespace {

TEST(ParseEnvelopeTest, AnyBodyElementWithoutRequestInfo) {
  ParseOutcome out = ParseEnvelope(testing::Soap(kResponseBody, "<soapenv:Header/>"), {});
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  ASSERT_NE(out.envelope, nullptr);
  EXPECT_EQ(out.envelope->operation(), Operation::kOther);
  EXPECT_NE(out.envelope->header(), nullptr);
  EXPECT_NE(out.envelope->body(), nullptr);
  EXPECT_NE(out.envelope->operation_element(), nullptr);
  EXPECT_TRUE(out.envelope->info().message_id.empty());
}

TEST(ParseEnvelopeTest, SameStructureChecksAsRequests) {
  EXPECT_EQ(ParseEnvelope("<a/>", {}).status.code(), ErrorCode::kEnvelopeNotSoap);
  EXPECT_EQ(ParseEnvelope("<!DOCTYPE x []><x/>", {}).status.code(),
            ErrorCode::kEnvelopeDtdForbidden);
  EXPECT_EQ(ParseEnvelope(testing::Soap("<a/><b/>"), {}).status.code(),
            ErrorCode::kEnvelopeBadStructure);
}

TEST(ParseEnvelopeTest, SetHeader) {
  ParseOutcome out = ParseEnvelope(testing::Soap(kResponseBody), {});
  ASSERT_TRUE(out.status.ok());
  EXPECT_EQ(out.envelope->header(), nullptr);
  out.envelope->set_header(out.envelope->body());  // any node: the setter only stores it
  EXPECT_EQ(out.envelope->header(), out.envelope->body());
}

}  // namespace
}  // namespace shepgw::envelope
