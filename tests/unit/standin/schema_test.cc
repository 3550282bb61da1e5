// Keeps wsdl/SyncChannel.wsdl (standalone, types inline) and xsd/*.xsd identical in content, and
// checks the contract's key facts in the WSDL.
#include <map>
#include <string>

#include <gtest/gtest.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "test_util.h"

namespace shepgw::standin::testing {
namespace {

const std::string kSrc = SHEPGW_SOURCE_DIR;

const xmlChar* X(const char* s) { return reinterpret_cast<const xmlChar*>(s); }

std::string Str(const xmlChar* s) { return s != nullptr ? reinterpret_cast<const char*>(s) : ""; }

std::string Trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  size_t e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// A prefix-independent rendering of a schema element: names by namespace URI, attributes sorted
// (schemaLocation dropped: the inline copy imports by namespace only), text trimmed, comments
// and whitespace ignored. QName-valued attributes keep their prefixes, which both copies share.
std::string Render(xmlNodePtr node, int depth = 0) {
  std::string out(static_cast<size_t>(depth) * 2, ' ');
  out += "{" + (node->ns != nullptr ? Str(node->ns->href) : "") + "}" + Str(node->name);
  std::map<std::string, std::string> attrs;
  for (xmlAttrPtr a = node->properties; a != nullptr; a = a->next) {
    if (Str(a->name) == "schemaLocation") {
      continue;
    }
    xmlChar* v = xmlNodeGetContent(reinterpret_cast<xmlNodePtr>(a));
    attrs[Str(a->name)] = Str(v);
    xmlFree(v);
  }
  for (const auto& [k, v] : attrs) {
    out += " " + k + "=" + v;
  }
  out += "\n";
  for (xmlNodePtr c = node->children; c != nullptr; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) {
      out += Render(c, depth + 1);
    } else if (c->type == XML_TEXT_NODE) {
      std::string t = Trim(Str(c->content));
      if (!t.empty()) {
        out += std::string(static_cast<size_t>(depth + 1) * 2, ' ') + "'" + t + "'\n";
      }
    }
  }
  return out;
}

xmlDocPtr Load(const std::string& path) {
  return xmlReadFile(path.c_str(), nullptr, XML_PARSE_NONET | XML_PARSE_NOBLANKS);
}

TEST(ContractSchema, WsdlInlineSchemasEqualXsdFiles) {
  xmlDocPtr wsdl = Load(kSrc + "/wsdl/SyncChannel.wsdl");
  ASSERT_NE(wsdl, nullptr);
  std::map<std::string, std::string> inline_schemas;  // targetNamespace -> rendering
  xmlNodePtr root = xmlDocGetRootElement(wsdl);
  for (xmlNodePtr c = root->children; c != nullptr; c = c->next) {
    if (c->type == XML_ELEMENT_NODE && Str(c->name) == "types") {
      for (xmlNodePtr s = c->children; s != nullptr; s = s->next) {
        if (s->type == XML_ELEMENT_NODE && Str(s->name) == "schema") {
          xmlChar* tns = xmlGetProp(s, X("targetNamespace"));
          inline_schemas[Str(tns)] = Render(s);
          xmlFree(tns);
        }
      }
    }
  }
  ASSERT_EQ(inline_schemas.size(), 2u);
  for (const char* file : {"/xsd/common.xsd", "/xsd/SyncChannel.xsd"}) {
    SCOPED_TRACE(file);
    xmlDocPtr xsd = Load(kSrc + file);
    ASSERT_NE(xsd, nullptr);
    xmlNodePtr schema = xmlDocGetRootElement(xsd);
    xmlChar* tns = xmlGetProp(schema, X("targetNamespace"));
    ASSERT_TRUE(inline_schemas.count(Str(tns)));
    EXPECT_EQ(inline_schemas[Str(tns)], Render(schema));
    xmlFree(tns);
    xmlFreeDoc(xsd);
  }
  xmlFreeDoc(wsdl);
}

TEST(ContractSchema, WsdlCarriesShepNames) {
  std::string wsdl = ReadFile(kSrc + "/wsdl/SyncChannel.wsdl");
  for (const char* needle :
       {"targetNamespace=\"http://bip.bee.kz/SyncChannel/v10/Interfaces/Binding2\"",
        "<wsdl:portType name=\"ISyncChannel\">", "<wsdl:binding name=\"SyncChannelHttpBinding\"",
        "<soap:binding style=\"document\" transport=\"http://schemas.xmlsoap.org/soap/http\"/>",
        "<soap:operation soapAction=\"\"/>", "<wsdl:service name=\"ISyncChannelHttpService\">",
        "<wsdl:port name=\"SyncChannelHttpPort\"",
        "<soap:address location=", "element=\"types:SendMessageFault1_SendMessageFault\""}) {
    EXPECT_NE(wsdl.find(needle), std::string::npos) << needle;
  }
  // Unqualified local elements: no elementFormDefault anywhere, no external imports.
  EXPECT_EQ(wsdl.find("elementFormDefault"), std::string::npos);
  EXPECT_EQ(wsdl.find("schemaLocation"), std::string::npos);
  EXPECT_EQ(wsdl.find("wsdl:import"), std::string::npos);
}

TEST(ContractSchema, SamplesValidateInProcess) {
  // Same check as the xmllint ctest entries, but through an envelope, as the tests of the
  // stand-in's real responses do.
  std::string body = ReadFile(std::string(STANDIN_TEST_DATA) + "/SendMessage.xml");
  body = body.substr(body.find("<ns3:SendMessage"));
  std::string envelope =
      "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>" + body +
      "</s:Body></s:Envelope>";
  auto xml = Xml::Parse(envelope);
  ASSERT_NE(xml, nullptr);
  EXPECT_EQ(xml->ValidateBodyChild(kSrc + "/xsd/SyncChannel.xsd"), "");
}

}  // namespace
}  // namespace shepgw::standin::testing
