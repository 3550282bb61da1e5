// ParsedEnvelope::Serialize: what is forwarded must be what was received.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <libxml/tree.h>

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
  for (const char* file :
       {"sendmessage_soap_env.xml", "sendmessage_default_ns.xml", "sendmessage_signed_like.xml"}) {
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

// A large envelope (records, as in the 10 MB benchmark message) comes out in many pieces
// whose concatenation is exactly Serialize()'s string.
std::string LargeRequest(size_t records) {
  std::string payload;
  for (size_t i = 0; i < records; ++i) {
    payload += "<record><iin>" + std::to_string(931002451325 + i) +
               "</iin><name>Иванов Иван &amp; Co</name></record>";
  }
  std::string in = ReadTestData("sendmessage_soap_env.xml");
  const size_t at = in.find("</ns4:data>");
  EXPECT_NE(at, std::string::npos);
  in.insert(at, payload);
  return in;
}

TEST(SerializeTest, SerializeToHandsOverTheSameBytesInPieces) {
  const std::string in = LargeRequest(20000);
  ASSERT_GT(in.size(), size_t{1} << 20);
  const ParseOutcome parsed = ParseRequest(in, {});
  ASSERT_TRUE(parsed.status.ok()) << parsed.status.ToString();
  std::string joined;
  size_t pieces = 0;
  size_t largest = 0;
  ASSERT_TRUE(parsed.envelope->SerializeTo([&](std::string_view piece) {
    joined.append(piece);
    ++pieces;
    largest = std::max(largest, piece.size());
    return true;
  }));
  EXPECT_EQ(joined, parsed.envelope->Serialize());
  EXPECT_GT(pieces, 100u);
  EXPECT_LE(largest, size_t{64} * 1024);  // never the whole envelope at once
}

TEST(SerializeTest, SerializeToStopsAtTheFirstRefusedPiece) {
  const ParseOutcome parsed = ParseRequest(LargeRequest(2000), {});
  ASSERT_TRUE(parsed.status.ok()) << parsed.status.ToString();
  int calls = 0;
  EXPECT_FALSE(parsed.envelope->SerializeTo([&](std::string_view) { return ++calls < 3; }));
  EXPECT_EQ(calls, 3);
}

// ParseRequest's `consumed`: slice by slice, growing, and the parser never reads a byte it
// said it was done with (overwriting them changes nothing).
TEST(SerializeTest, ConsumedPrefixesAreNotReadAgain) {
  const std::string in = LargeRequest(30000);
  ASSERT_GT(in.size(), size_t{2} << 20);
  std::string bytes = in;
  std::vector<size_t> calls;
  const ParseOutcome parsed = ParseRequest(bytes, {}, [&](size_t n) {
    calls.push_back(n);
    std::memset(bytes.data(), 'X', n);
  });
  ASSERT_TRUE(parsed.status.ok()) << parsed.status.ToString();
  ASSERT_GE(calls.size(), in.size() / (256 * 1024));
  EXPECT_TRUE(std::is_sorted(calls.begin(), calls.end()));
  EXPECT_EQ(calls.back(), in.size());
  EXPECT_EQ(parsed.envelope->Serialize(), ParseRequest(in, {}).envelope->Serialize());
  // Below 1 MiB the document is parsed in one piece: no call.
  bool called = false;
  ASSERT_TRUE(ParseRequest(LargeRequest(100), {}, [&](size_t) { called = true; }).status.ok());
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace shepgw::envelope
