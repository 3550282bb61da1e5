// ParsedEnvelope::Serialize: what is forwarded must be what was received.
#include <gtest/gtest.h>
#include <libxml/tree.h>

#include <string>

#include "shepgw/envelope/envelope.h"
#include "unit/envelope/test_util.h"

namespace shepgw::envelope {
namespace {

using testing::ReadTestData;

std::string Between(const std::string& s, std::string_view from, std::string_view to) {
  const size_t b = s.find(from);
  const size_t e = s.find(to, b);
  if (b == std::string::npos || e == std::string::npos) {
    return "";
  }
  return s.substr(b, e + to.size() - b);
}

TEST(SerializeTest, DataPayloadIsByteIdentical) {
  const std::string in = ReadTestData("sendmessage_signed_like.xml");
  const ParseOutcome parsed = ParseRequest(in, {});
  ASSERT_TRUE(parsed.status.ok()) << parsed.status.ToString();
  const std::string out = parsed.envelope->Serialize();

  const std::string data_in = Between(in, "<data ", "</data>");
  ASSERT_FALSE(data_in.empty());
  EXPECT_EQ(Between(out, "<data ", "</data>"), data_in);
  // The transport signature in the Header, with its &#13;, too.
  const std::string header_in = Between(in, "<soapenv:Header", "</soapenv:Header>");
  ASSERT_FALSE(header_in.empty());
  EXPECT_EQ(Between(out, "<soapenv:Header", "</soapenv:Header>"), header_in);
  // And in fact everything after the XML declaration.
  const std::string decl = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  ASSERT_EQ(out.substr(0, decl.size()), decl);
  EXPECT_EQ(out.substr(decl.size()), in.substr(in.find("<soap:Envelope")));
}

TEST(SerializeTest, RoundTripParsesToTheSameInfo) {
  for (const char* file : {"sendmessage_soap_env.xml", "sendmessage_default_ns.xml",
                           "sendmessage_signed_like.xml"}) {
    const ParseOutcome first = ParseRequest(ReadTestData(file), {});
    ASSERT_TRUE(first.status.ok()) << file << ": " << first.status.ToString();
    const std::string once = first.envelope->Serialize();
    const ParseOutcome second = ParseRequest(once, {});
    ASSERT_TRUE(second.status.ok()) << file << ": " << second.status.ToString();
    EXPECT_EQ(second.info.message_id, first.info.message_id);
    EXPECT_EQ(second.info.properties, first.info.properties);
    // Serialisation is a fixed point after the first pass.
    EXPECT_EQ(second.envelope->Serialize(), once) << file;
  }
}

TEST(SerializeTest, NonAsciiStaysRawUtf8AndWhitespaceIsKept) {
  const std::string in = ReadTestData("sendmessage_default_ns.xml");
  const ParseOutcome parsed = ParseRequest(in, {});
  ASSERT_TRUE(parsed.status.ok());
  const std::string out = parsed.envelope->Serialize();
  EXPECT_NE(out.find("<key>Б</key>"), std::string::npos);
  EXPECT_NE(out.find("Привет"), std::string::npos);
  EXPECT_EQ(out.find("&#x"), std::string::npos);
  EXPECT_NE(out.find("<serviceId>\n            ESEDO_UNIVERSAL_SERVICE\n          </serviceId>"),
            std::string::npos);
  EXPECT_NE(out.find("<![CDATA[x<y]]>"), std::string::npos);
}

TEST(SerializeTest, ReflectsTreeModifications) {
  const ParseOutcome parsed = ParseRequest(ReadTestData("sendmessage_soap_env.xml"), {});
  ASSERT_TRUE(parsed.status.ok());
  xmlSetProp(parsed.envelope->body(), reinterpret_cast<const xmlChar*>("Id"),
             reinterpret_cast<const xmlChar*>("id-1"));
  EXPECT_NE(parsed.envelope->Serialize().find("<SOAP-ENV:Body Id=\"id-1\">"), std::string::npos);
}

}  // namespace
}  // namespace shepgw::envelope
