// SOAP 1.1 structure, operation dispatch and requestInfo extraction.
#include <string>

#include <gtest/gtest.h>
#include <libxml/tree.h>

#include "shepgw/envelope/envelope.h"

#include "unit/envelope/test_util.h"

namespace shepgw::envelope {
namespace {

using testing::kMinimalRequestInfo;
using testing::ReadTestData;
using testing::SendMessage;
using testing::Soap;

std::string_view Name(const _xmlNode* n) { return reinterpret_cast<const char*>(n->name); }

TEST(RequestTest, RealFormatSoapEnvPrefixes) {
  const std::string msg = ReadTestData("sendmessage_soap_env.xml");
  ASSERT_FALSE(msg.empty());
  const ParseOutcome out = ParseRequest(msg, {});
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  const ParsedEnvelope& env = *out.envelope;
  EXPECT_EQ(env.operation(), Operation::kSyncSendMessage);
  ASSERT_NE(env.header(), nullptr);
  EXPECT_EQ(Name(env.envelope()), "Envelope");
  EXPECT_EQ(Name(env.header()), "Header");
  EXPECT_EQ(Name(env.body()), "Body");
  EXPECT_EQ(Name(env.operation_element()), "SendMessage");
  EXPECT_EQ(env.doc(), env.envelope()->doc);

  const RequestInfo& info = env.info();
  EXPECT_EQ(info.message_id, "ccb1010b-8446-4937-913f-c87a717f6809");
  EXPECT_EQ(info.service_id, "GBDFL_UniversalServiceSync");
  EXPECT_EQ(info.message_date, "2019-12-25T12:48:21.024Z");
  EXPECT_EQ(info.sender_id, "smartbridge");
  EXPECT_TRUE(info.has_password);
  EXPECT_EQ(info.correlation_id, "");
  EXPECT_EQ(info.route_id, "");
  EXPECT_EQ(info.session_id, "");
  ASSERT_EQ(info.properties.size(), 1u);
  EXPECT_EQ(info.properties[0].first, "CONNECTOR_CLIENT");
  EXPECT_EQ(info.properties[0].second, "true");
  // The outcome carries the same info as the envelope.
  EXPECT_EQ(out.info.message_id, info.message_id);
}

TEST(RequestTest, PasswordIsNeverCopied) {
  const std::string msg = ReadTestData("sendmessage_soap_env.xml");
  const ParseOutcome out = ParseRequest(msg, {});
  ASSERT_TRUE(out.status.ok());
  const RequestInfo& info = out.envelope->info();
  for (const std::string* s :
       {&info.message_id, &info.correlation_id, &info.service_id, &info.message_date,
        &info.route_id, &info.sender_id, &info.session_id}) {
    EXPECT_EQ(s->find("secret-password"), std::string::npos);
  }
  for (const auto& [k, v] : info.properties) {
    EXPECT_EQ(k.find("secret-password"), std::string::npos);
    EXPECT_EQ(v.find("secret-password"), std::string::npos);
  }
}

TEST(RequestTest, DefaultNamespaceFormEmptyOptionalsAndTrimming) {
  const ParseOutcome out = ParseRequest(ReadTestData("sendmessage_default_ns.xml"), {});
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  const RequestInfo& info = out.envelope->info();
  EXPECT_EQ(out.envelope->header(), nullptr);
  EXPECT_EQ(info.message_id, "6f1c2b4e-0d6a-4b8e-9c1d-2a3b4c5d6e7f");
  EXPECT_EQ(info.service_id, "ESEDO_UNIVERSAL_SERVICE");
  EXPECT_EQ(info.route_id, "R_ESEDO");
  EXPECT_EQ(info.correlation_id, "");
  EXPECT_EQ(info.session_id, "");
  EXPECT_EQ(info.sender_id, "esedo-client");
  EXPECT_FALSE(info.has_password);        // <password/>: present but empty
  ASSERT_EQ(info.properties.size(), 2u);  // the empty <properties></properties> is skipped
  EXPECT_EQ(info.properties[0], std::make_pair(std::string("A"), std::string("1")));
  EXPECT_EQ(info.properties[1], std::make_pair(std::string("Б"), std::string("x<y")));
}

TEST(RequestTest, HeaderRedeclaringNamespaceAndMixedPrefixes) {
  const ParseOutcome out = ParseRequest(ReadTestData("sendmessage_signed_like.xml"), {});
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  EXPECT_NE(out.envelope->header(), nullptr);
  EXPECT_EQ(out.envelope->info().message_id, "m-1");
}

TEST(RequestTest, PrefixStyles) {
  // Same message, every prefix style: only namespace URIs matter.
  const std::string request = "<request xmlns=\"\"><requestInfo>" +
                              std::string(kMinimalRequestInfo) + "</requestInfo></request>";
  const std::string cases[] = {
      "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\">"
      "<SOAP-ENV:Body><ns3:SendMessage xmlns:ns3=\"http://bip.bee.kz/SyncChannel/v10/Types\">" +
          request + "</ns3:SendMessage></SOAP-ENV:Body></SOAP-ENV:Envelope>",
      "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Header/>"
      "<soap:Body><SendMessage xmlns=\"http://bip.bee.kz/SyncChannel/v10/Types\">" +
          request + "</SendMessage></soap:Body></soap:Envelope>",
      // Everything in default namespaces, redeclared on the way down.
      "<Envelope xmlns=\"http://schemas.xmlsoap.org/soap/envelope/\">"
      "<Header xmlns=\"http://schemas.xmlsoap.org/soap/envelope/\"/><Body>"
      "<SendMessage xmlns=\"http://bip.bee.kz/SyncChannel/v10/Types\">" +
          request + "</SendMessage></Body></Envelope>",
      // A misleading prefix: "soap" bound to the Types namespace and vice versa.
      "<x:Envelope xmlns:x=\"http://schemas.xmlsoap.org/soap/envelope/\" "
      "xmlns:soap=\"http://bip.bee.kz/SyncChannel/v10/Types\"><x:Body><soap:SendMessage>" +
          request + "</soap:SendMessage></x:Body></x:Envelope>",
  };
  for (const std::string& msg : cases) {
    const ParseOutcome out = ParseRequest(msg, {});
    EXPECT_TRUE(out.status.ok()) << out.status.ToString() << "\n" << msg;
    EXPECT_EQ(out.info.service_id, "S1");
  }
}

TEST(RequestTest, InnerElementsMatchedByLocalNameInAnyNamespace) {
  // ShEP is lenient here; so are we (documented in docs/envelope.md).
  const std::string msg = Soap(
      "<t:SendMessage xmlns:t=\"http://bip.bee.kz/SyncChannel/v10/Types\"><t:request>"
      "<t:requestInfo><t:messageId>m</t:messageId><x:serviceId xmlns:x=\"urn:x\">s</x:serviceId>"
      "<sender><senderId>c</senderId></sender><unknownExtra>ignored</unknownExtra>"
      "</t:requestInfo></t:request></t:SendMessage>");
  const ParseOutcome out = ParseRequest(msg, {});
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  EXPECT_EQ(out.info.service_id, "s");
}

// --- Envelope structure ---------------------------------------------------------------------

ErrorCode CodeOf(const std::string& msg) { return ParseRequest(msg, {}).status.code(); }

TEST(StructureTest, Soap12EnvelopeIsRefused) {
  const std::string msg =
      "<env:Envelope xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\"><env:Body>" +
      SendMessage() + "</env:Body></env:Envelope>";
  EXPECT_EQ(CodeOf(msg), ErrorCode::kEnvelopeSoap12);
}

TEST(StructureTest, NotSoapRoot) {
  EXPECT_EQ(CodeOf("<Envelope><Body/></Envelope>"), ErrorCode::kEnvelopeNotSoap);
  EXPECT_EQ(CodeOf("<x:Envelope xmlns:x=\"http://example.com/\"/>"), ErrorCode::kEnvelopeNotSoap);
  // Right namespace, wrong local name.
  EXPECT_EQ(CodeOf("<s:Body xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"/>"),
            ErrorCode::kEnvelopeNotSoap);
  const ParseOutcome out = ParseRequest("<html/>", {});
  EXPECT_NE(out.status.message().find("{}html"), std::string::npos) << out.status.message();
}

TEST(StructureTest, TwoBodies) {
  const std::string msg = Soap(SendMessage());
  const std::string body = "<soapenv:Body>" + SendMessage() + "</soapenv:Body>";
  std::string two = msg;
  two.insert(two.find("</soapenv:Envelope>"), body);
  EXPECT_EQ(CodeOf(two), ErrorCode::kEnvelopeBadStructure);
}

TEST(StructureTest, TwoHeaders) {
  EXPECT_EQ(CodeOf(Soap(SendMessage(), "<soapenv:Header/><soapenv:Header/>")),
            ErrorCode::kEnvelopeBadStructure);
}

TEST(StructureTest, HeaderAfterBody) {
  std::string msg = Soap(SendMessage());
  msg.insert(msg.find("</soapenv:Envelope>"), "<soapenv:Header/>");
  EXPECT_EQ(CodeOf(msg), ErrorCode::kEnvelopeBadStructure);
}

TEST(StructureTest, NoBody) {
  EXPECT_EQ(CodeOf("<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\">"
                   "<s:Header/></s:Envelope>"),
            ErrorCode::kEnvelopeBadStructure);
}

TEST(StructureTest, OtherElementInEnvelope) {
  std::string msg = Soap(SendMessage());
  msg.insert(msg.find("</soapenv:Envelope>"), "<extra/>");
  EXPECT_EQ(CodeOf(msg), ErrorCode::kEnvelopeBadStructure);
  // A Body in another namespace is not a second Body but still an intruder.
  msg = Soap(SendMessage(), "<x:Body xmlns:x=\"urn:x\"/>");
  EXPECT_EQ(CodeOf(msg), ErrorCode::kEnvelopeBadStructure);
}

TEST(StructureTest, TextInEnvelope) {
  std::string msg = Soap(SendMessage());
  msg.insert(msg.find("<soapenv:Body>"), "text");
  EXPECT_EQ(CodeOf(msg), ErrorCode::kEnvelopeBadStructure);
  msg = Soap(SendMessage());
  msg.insert(msg.find("<soapenv:Body>"), " \n\t<!-- ok --> ");
  EXPECT_EQ(CodeOf(msg), ErrorCode::kOk);
}

TEST(StructureTest, BodyWithTwoElements) {
  EXPECT_EQ(CodeOf(Soap(SendMessage() + SendMessage())), ErrorCode::kEnvelopeBadStructure);
  EXPECT_EQ(CodeOf(Soap(SendMessage() + "<other/>")), ErrorCode::kEnvelopeBadStructure);
}

TEST(StructureTest, BodyWithTextOrEmpty) {
  EXPECT_EQ(CodeOf(Soap(SendMessage() + "trailing")), ErrorCode::kEnvelopeBadStructure);
  EXPECT_EQ(CodeOf(Soap("")), ErrorCode::kEnvelopeBadStructure);
  EXPECT_EQ(CodeOf(Soap("  <!-- only a comment --> ")), ErrorCode::kEnvelopeBadStructure);
}

TEST(StructureTest, UnknownOperationNamesIt) {
  const ParseOutcome out =
      ParseRequest(Soap("<a:sendMessage xmlns:a=\"http://bip.bee.kz/AsyncChannel/v10/Types\">"
                        "<request><requestInfo><messageId>m-7</messageId></requestInfo>"
                        "</request></a:sendMessage>"),
                   {});
  EXPECT_EQ(out.status.code(), ErrorCode::kEnvelopeUnknownOperation);
  EXPECT_NE(out.status.message().find("{http://bip.bee.kz/AsyncChannel/v10/Types}sendMessage"),
            std::string::npos)
      << out.status.message();
  EXPECT_EQ(out.info.message_id, "m-7");  // still readable for the log line
}

TEST(StructureTest, SendMessageInWrongNamespaceIsUnknown) {
  EXPECT_EQ(CodeOf(Soap("<SendMessage><request/></SendMessage>")),
            ErrorCode::kEnvelopeUnknownOperation);
  EXPECT_EQ(CodeOf(Soap("<SendMessage xmlns=\"http://bip.bee.kz/SyncChannel/v10/types\"/>")),
            ErrorCode::kEnvelopeUnknownOperation);  // lowercase "types": a different URI
}

TEST(StructureTest, InfoSalvagedWhenStructureIsBad) {
  const ParseOutcome out = ParseRequest(Soap(SendMessage() + "<other/>"), {});
  EXPECT_EQ(out.status.code(), ErrorCode::kEnvelopeBadStructure);
  EXPECT_EQ(out.info.message_id, "m-1");
  EXPECT_EQ(out.envelope, nullptr);
}

// --- requestInfo fields ---------------------------------------------------------------------

ParseOutcome WithInfo(std::string_view request_info) {
  return ParseRequest(Soap(SendMessage(request_info)), {});
}

TEST(RequestInfoTest, MissingMessageId) {
  const ParseOutcome out =
      WithInfo("<serviceId>S1</serviceId><sender><senderId>c</senderId></sender>");
  EXPECT_EQ(out.status.code(), ErrorCode::kEnvelopeMissingField);
  EXPECT_EQ(out.status.message(), "requestInfo/messageId is missing");
  EXPECT_EQ(out.info.service_id, "S1");
}

TEST(RequestInfoTest, EmptyMessageIdIsMissing) {
  EXPECT_EQ(WithInfo("<messageId>  </messageId><serviceId>S1</serviceId>"
                     "<sender><senderId>c</senderId></sender>")
                .status.code(),
            ErrorCode::kEnvelopeMissingField);
}

TEST(RequestInfoTest, MissingServiceIdKeepsMessageId) {
  const ParseOutcome out =
      WithInfo("<messageId>m-42</messageId><sender><senderId>c</senderId></sender>");
  EXPECT_EQ(out.status.code(), ErrorCode::kEnvelopeMissingField);
  EXPECT_EQ(out.status.message(), "requestInfo/serviceId is missing");
  EXPECT_EQ(out.info.message_id, "m-42");
  EXPECT_EQ(out.info.sender_id, "c");
  EXPECT_EQ(out.envelope, nullptr);
}

TEST(RequestInfoTest, MissingSenderId) {
  for (const char* sender : {"", "<sender/>", "<sender><senderId/></sender>",
                             "<sender><password>p</password></sender>"}) {
    const ParseOutcome out =
        WithInfo(std::string("<messageId>m-43</messageId><serviceId>S</serviceId>") + sender);
    EXPECT_EQ(out.status.code(), ErrorCode::kEnvelopeMissingField) << sender;
    EXPECT_EQ(out.status.message(), "requestInfo/sender/senderId is missing");
    EXPECT_EQ(out.info.message_id, "m-43");
  }
}

TEST(RequestInfoTest, MissingRequestOrRequestInfo) {
  ParseOutcome out =
      ParseRequest(Soap("<SendMessage xmlns=\"http://bip.bee.kz/SyncChannel/v10/Types\"/>"), {});
  EXPECT_EQ(out.status.code(), ErrorCode::kEnvelopeMissingField);
  EXPECT_NE(out.status.message().find("request"), std::string::npos);
  out = ParseRequest(Soap("<SendMessage xmlns=\"http://bip.bee.kz/SyncChannel/v10/Types\">"
                          "<request xmlns=\"\"><requestData/></request></SendMessage>"),
                     {});
  EXPECT_EQ(out.status.code(), ErrorCode::kEnvelopeMissingField);
  EXPECT_NE(out.status.message().find("requestInfo"), std::string::npos);
}

TEST(RequestInfoTest, OverlongMessageIdIsInvalid) {
  const ParseOutcome out = WithInfo("<messageId>" + std::string(257, 'm') +
                                    "</messageId><serviceId>S</serviceId>"
                                    "<sender><senderId>c</senderId></sender>");
  EXPECT_EQ(out.status.code(), ErrorCode::kEnvelopeInvalidField);
  EXPECT_NE(out.status.message().find("messageId"), std::string::npos);
  EXPECT_TRUE(out.info.message_id.empty());
  EXPECT_EQ(WithInfo("<messageId>" + std::string(256, 'm') +
                     "</messageId><serviceId>S</serviceId>"
                     "<sender><senderId>c</senderId></sender>")
                .status.code(),
            ErrorCode::kOk);
}

TEST(RequestInfoTest, ControlCharactersAreInvalid) {
  for (const char* bad : {"a&#9;b", "a&#10;b", "a&#x7F;b", "a&#x85;b"}) {
    const ParseOutcome out = WithInfo(std::string("<messageId>m</messageId><serviceId>") + bad +
                                      "</serviceId><sender><senderId>c</senderId></sender>");
    EXPECT_EQ(out.status.code(), ErrorCode::kEnvelopeInvalidField) << bad;
    EXPECT_EQ(out.info.message_id, "m");
  }
  // Non-ASCII letters are fine.
  EXPECT_EQ(WithInfo("<messageId>m</messageId><serviceId>Сервис</serviceId>"
                     "<sender><senderId>c</senderId></sender>")
                .status.code(),
            ErrorCode::kOk);
}

TEST(RequestInfoTest, MarkupInsideAFieldIsInvalid) {
  EXPECT_EQ(WithInfo("<messageId>m</messageId><serviceId>S<b>x</b></serviceId>"
                     "<sender><senderId>c</senderId></sender>")
                .status.code(),
            ErrorCode::kEnvelopeInvalidField);
}

TEST(RequestInfoTest, DuplicatedFieldIsInvalid) {
  // The router and the upstream must not be able to read different copies.
  const ParseOutcome out = WithInfo(
      "<messageId>m</messageId><serviceId>S1</serviceId><serviceId>S2</serviceId>"
      "<sender><senderId>c</senderId></sender>");
  EXPECT_EQ(out.status.code(), ErrorCode::kEnvelopeInvalidField);
  EXPECT_TRUE(out.info.service_id.empty());
  EXPECT_EQ(WithInfo(std::string(kMinimalRequestInfo) + "<sender><senderId>d</senderId></sender>")
                .status.code(),
            ErrorCode::kEnvelopeInvalidField);
  const std::string two_requests =
      "<SendMessage xmlns=\"http://bip.bee.kz/SyncChannel/v10/Types\"><request xmlns=\"\">"
      "<requestInfo>" +
      std::string(kMinimalRequestInfo) +
      "</requestInfo></request>"
      "<request xmlns=\"\"><requestInfo>" +
      std::string(kMinimalRequestInfo) + "</requestInfo></request></SendMessage>";
  EXPECT_EQ(CodeOf(Soap(two_requests)), ErrorCode::kEnvelopeInvalidField);
}

TEST(RequestInfoTest, CdataAndEntitiesInFields) {
  const ParseOutcome out = WithInfo(
      "<messageId><![CDATA[m-1]]></messageId><serviceId>A&amp;B</serviceId>"
      "<sender><senderId>c</senderId></sender><sessionId>{5a7540fd-3b13-4acc-848d-5bf33c94ef4b}"
      "</sessionId><correlationId>corr</correlationId>");
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  EXPECT_EQ(out.info.message_id, "m-1");
  EXPECT_EQ(out.info.service_id, "A&B");
  EXPECT_EQ(out.info.session_id, "{5a7540fd-3b13-4acc-848d-5bf33c94ef4b}");
  EXPECT_EQ(out.info.correlation_id, "corr");
}

TEST(RequestInfoTest, EnvelopeTreeIsUsable) {
  const ParseOutcome out = WithInfo(kMinimalRequestInfo);
  ASSERT_TRUE(out.status.ok());
  // The operation element is the Body's only element child.
  const _xmlNode* body = out.envelope->body();
  const _xmlNode* child = body->children;
  while (child != nullptr && child->type != XML_ELEMENT_NODE) {
    child = child->next;
  }
  EXPECT_EQ(child, out.envelope->operation_element());
}

}  // namespace
}  // namespace shepgw::envelope
