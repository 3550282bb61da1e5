// RenderFault: well-formed SOAP 1.1 faults carrying the error table's values.
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "shepgw/common/clock.h"
#include "shepgw/envelope/envelope.h"

namespace shepgw::envelope {
namespace {

constexpr std::string_view kSoap = "http://schemas.xmlsoap.org/soap/envelope/";
constexpr std::string_view kTypes = "http://bip.bee.kz/SyncChannel/v10/Types";

struct DocDeleter {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};

// The fault parsed back with a plain (strict) libxml2 parse, plus accessors by path.
class ParsedFault {
 public:
  explicit ParsedFault(const std::string& xml)
      : doc_(xmlReadMemory(xml.data(), static_cast<int>(xml.size()), nullptr, nullptr,
                           XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)) {}
  bool ok() const { return doc_ != nullptr; }

  xmlNode* Child(xmlNode* parent, std::string_view ns, std::string_view local) const {
    if (parent == nullptr) {
      return nullptr;
    }
    for (xmlNode* c = parent->children; c != nullptr; c = c->next) {
      if (c->type == XML_ELEMENT_NODE && Str(c->name) == local &&
          (c->ns == nullptr ? ns.empty() : Str(c->ns->href) == ns)) {
        return c;
      }
    }
    return nullptr;
  }
  xmlNode* Fault() const {
    xmlNode* root = xmlDocGetRootElement(doc_.get());
    if (root == nullptr || root->ns == nullptr || Str(root->ns->href) != kSoap) {
      return nullptr;
    }
    return Child(Child(root, kSoap, "Body"), kSoap, "Fault");
  }
  xmlNode* Detail() const {
    return Child(Child(Fault(), "", "detail"), kTypes, "SendMessageFault1_SendMessageFault");
  }
  static std::string Text(xmlNode* n) {
    if (n == nullptr) {
      return "<absent>";
    }
    xmlChar* t = xmlNodeGetContent(n);
    std::string s = t != nullptr ? Str(t) : "";
    xmlFree(t);
    return s;
  }
  std::string FaultField(std::string_view local) const { return Text(Child(Fault(), "", local)); }
  std::string DetailField(std::string_view local) const { return Text(Child(Detail(), "", local)); }
  // Local names of the detail element's children, in order.
  std::string DetailOrder() const {
    std::string out;
    for (xmlNode* c = Detail() != nullptr ? Detail()->children : nullptr; c != nullptr;
         c = c->next) {
      if (c->type == XML_ELEMENT_NODE) {
        out += Str(c->name);
        out += ' ';
      }
    }
    return out;
  }

 private:
  static std::string Str(const xmlChar* s) { return reinterpret_cast<const char*>(s); }
  std::unique_ptr<xmlDoc, DocDeleter> doc_;
};

const auto kNow =
    std::chrono::system_clock::time_point{} + std::chrono::milliseconds(1'763'815'200'123);

TEST(RenderFaultTest, AllFields) {
  const std::string xml = RenderFault(ErrorCode::kRoutingUnknownService, "no route for S1",
                                      "{5a7540fd-3b13-4acc-848d-5bf33c94ef4b}", kNow);
  const ParsedFault f(xml);
  ASSERT_TRUE(f.ok()) << xml;
  ASSERT_NE(f.Fault(), nullptr) << xml;
  EXPECT_EQ(f.FaultField("faultcode"), "soap:Client");
  EXPECT_EQ(f.FaultField("faultstring"), "No service found for the given serviceId");
  EXPECT_EQ(f.DetailField("errorCode"), "routing.unknown_service");
  EXPECT_EQ(f.DetailField("errorMessage"), "no route for S1");
  EXPECT_EQ(f.DetailField("errorDate"), FormatXsdDateTime(kNow));
  EXPECT_EQ(f.DetailField("sessionId"), "{5a7540fd-3b13-4acc-848d-5bf33c94ef4b}");
  EXPECT_EQ(f.DetailOrder(), "errorCode errorMessage errorDate sessionId ");
  // The faultcode's prefix is bound to the SOAP 1.1 namespace in the document itself.
  EXPECT_NE(xml.find("xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\""),
            std::string::npos);
}

TEST(RenderFaultTest, SessionIdOmittedWhenEmpty) {
  const ParsedFault f(RenderFault(ErrorCode::kEnvelopeMalformedXml, "bad", "", kNow));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f.DetailOrder(), "errorCode errorMessage errorDate ");
}

TEST(RenderFaultTest, EmptyMessageFallsBackToFaultString) {
  const ParsedFault f(RenderFault(ErrorCode::kGatewayOverloaded, "", "", kNow));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f.DetailField("errorMessage"), "Gateway overloaded, retry later");
  EXPECT_EQ(f.FaultField("faultcode"), "soap:Server");
}

TEST(RenderFaultTest, EscapesMarkupCharacters) {
  const std::string message = "a<b>&c\"d'e</errorMessage><x>]]>\r\n\t";
  const std::string session = "<s&\">";
  const std::string xml = RenderFault(ErrorCode::kEnvelopeInvalidField, message, session, kNow);
  const ParsedFault f(xml);
  ASSERT_TRUE(f.ok()) << xml;
  EXPECT_EQ(f.DetailField("errorMessage"), message);
  EXPECT_EQ(f.DetailField("sessionId"), session);
  EXPECT_EQ(f.DetailOrder(), "errorCode errorMessage errorDate sessionId ");
}

TEST(RenderFaultTest, InvalidUtf8AndControlCharactersAreReplaced) {
  const std::string message =
      std::string("bad \xFF\xC3 utf8 \xED\xA0\x80 ctl \x01\x1B end") + std::string(1, '\0') + "!";
  const std::string xml = RenderFault(ErrorCode::kEnvelopeMalformedXml, message, "\xFE", kNow);
  const ParsedFault f(xml);
  ASSERT_TRUE(f.ok()) << xml;
  const std::string got = f.DetailField("errorMessage");
  EXPECT_EQ(got.find('\x01'), std::string::npos);
  EXPECT_NE(got.find("bad \xEF\xBF\xBD"), std::string::npos) << got;
  EXPECT_NE(got.find("end\xEF\xBF\xBD!"), std::string::npos) << got;
  EXPECT_EQ(f.DetailField("sessionId"), "\xEF\xBF\xBD");
  // Valid multi-byte text passes through untouched.
  const ParsedFault g(
      RenderFault(ErrorCode::kEnvelopeMalformedXml, "Қате: ошибка 🙂", "", kNow));
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g.DetailField("errorMessage"), "Қате: ошибка 🙂");
}

TEST(RenderFaultTest, HugeMessageIsCapped) {
  const std::string xml =
      RenderFault(ErrorCode::kGatewayInternal, std::string(100'000, 'x'), "", kNow);
  EXPECT_LT(xml.size(), 4000u);
  EXPECT_TRUE(ParsedFault(xml).ok());
}

TEST(RenderFaultTest, RoundTripsThroughCheckResponse) {
  bool is_fault = false;
  EXPECT_TRUE(
      CheckResponse(RenderFault(ErrorCode::kEnvelopeSoap12, "x", "s", kNow), {}, &is_fault).ok());
  EXPECT_TRUE(is_fault);
}

// Every row of the error table renders a fault that parses and carries its own values.
TEST(RenderFaultTest, EveryErrorCode) {
  for (const ErrorDescription& desc : AllErrorDescriptions()) {
    const std::string xml = RenderFault(desc.code, "detail & <more>", "{sid}", kNow);
    const ParsedFault f(xml);
    ASSERT_TRUE(f.ok()) << desc.token << "\n" << xml;
    ASSERT_NE(f.Fault(), nullptr) << desc.token;
    EXPECT_EQ(f.FaultField("faultcode"), FaultCodeQName(desc.fault_code)) << desc.token;
    EXPECT_EQ(f.FaultField("faultstring"), desc.fault_string) << desc.token;
    EXPECT_EQ(f.DetailField("errorCode"), desc.token);
    EXPECT_EQ(f.DetailField("errorMessage"), "detail & <more>") << desc.token;
    EXPECT_EQ(f.DetailOrder(), "errorCode errorMessage errorDate sessionId ") << desc.token;
  }
}

}  // namespace
}  // namespace shepgw::envelope
