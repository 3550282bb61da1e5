// Canonicalise's subtree run (only the subtree visited) must give byte for byte what libxml2's
// whole-document run gives, for every element of every document, in both c14n modes, with and
// without an InclusiveNamespaces PrefixList — and fail exactly when it fails.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <libxml/c14n.h>
#include <libxml/parser.h>

#include "unit/wss/test_pki.h"
#include "wss/internal.h"

namespace shepgw::wss {
namespace {

using internal::C14nScope;

class Collect final : public internal::Hash {
 public:
  bool Update(const void* data, size_t n) override {
    text.append(static_cast<const char*>(data), n);
    return true;
  }
  bool Final(internal::Digest* /*out*/) override { return true; }
  std::string text;
};

std::vector<xmlNode*> Elements(xmlNode* n) {
  std::vector<xmlNode*> out;
  for (; n != nullptr; n = n->next) {
    if (n->type == XML_ELEMENT_NODE) {
      out.push_back(n);
      for (xmlNode* c : Elements(n->children)) {
        out.push_back(c);
      }
    }
  }
  return out;
}

// Returns the number of (element, mode, prefix list) cases compared.
int CompareAll(const std::string& xml) {
  xmlDoc* doc =
      xmlReadMemory(xml.data(), static_cast<int>(xml.size()), nullptr, "UTF-8", XML_PARSE_NONET);
  if (doc == nullptr) {
    return 0;
  }
  int cases = 0;
  for (xmlNode* root : Elements(xmlDocGetRootElement(doc))) {
    for (const int mode : {XML_C14N_EXCLUSIVE_1_0, XML_C14N_1_0}) {
      for (const char* prefixes : {"", "soapenv ds #default xml"}) {
        Collect scoped;
        Collect whole;
        const bool scoped_ok =
            internal::Canonicalise(doc, root, mode, prefixes, &scoped, C14nScope::kSubtree);
        const bool whole_ok =
            internal::Canonicalise(doc, root, mode, prefixes, &whole, C14nScope::kWholeDocument);
        EXPECT_EQ(scoped_ok, whole_ok) << internal::NameForMessage(root) << " mode " << mode;
        if (scoped_ok && whole_ok) {
          EXPECT_EQ(scoped.text, whole.text) << internal::NameForMessage(root) << " mode " << mode;
        }
        ++cases;
      }
    }
  }
  xmlFreeDoc(doc);
  return cases;
}

TEST(C14nTest, SubtreeRunEqualsWholeDocumentRun) {
  std::vector<std::string> docs = {
      // xml:* attributes on ancestors (inherited by inclusive c14n), a default namespace and
      // its undeclaration, a prefix shadowed below, PIs, CDATA, attributes in namespaces.
      "<?pi before?><e:Envelope xmlns:e=\"http://schemas.xmlsoap.org/soap/envelope/\" "
      "xmlns=\"urn:default\" xml:lang=\"kk\" xml:space=\"preserve\"><e:Header><h xmlns:a=\"urn:a\" "
      "a:x=\"1\"/></e:Header><e:Body xmlns:wsu=\"urn:wsu\" wsu:Id=\"b\" z=\"2\" a=\"1\"><?pi in?>"
      "<p xmlns=\"\"><q xmlns:e=\"urn:other\" e:y=\"&amp;&lt;&#13;\">t&gt;<![CDATA[<c>]]></q>"
      "</p><x:r xmlns:x=\"urn:x\" xml:lang=\"ru\"/></e:Body></e:Envelope><!--after-->",
      // A relative namespace URI outside the subtree: both runs must refuse.
      "<e:Envelope xmlns:e=\"http://schemas.xmlsoap.org/soap/envelope/\"><e:Header><h "
      "xmlns:r=\"relative/uri\"/></e:Header><e:Body><b/></e:Body></e:Envelope>",
      "<e:Envelope xmlns:e=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:t=\"tag:x\">"
      "<e:Body><t:b/></e:Body></e:Envelope>",
      "<e:Envelope xmlns:e=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:d=\"DAV:x\" "
      "xmlns:u=\"URN:x\"><e:Body><d:b u:a=\"1\"/></e:Body></e:Envelope>",
  };
  for (const testing::ClientMessage& m : {testing::ClientMessage{}, [] {
                                            testing::ClientMessage c;
                                            c.prefix = "soap";
                                            c.id_attr = "Id";
                                            return c;
                                          }()}) {
    Result<std::string> signed_message = testing::BuildClientMessage(m);
    ASSERT_TRUE(signed_message.ok()) << signed_message.status().ToString();
    docs.push_back(*signed_message);
  }
  const std::filesystem::path seeds =
      std::filesystem::path(SHEPGW_SOURCE_DIR) / "tests" / "fuzz" / "seeds";
  for (const auto& entry : std::filesystem::directory_iterator(seeds)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    docs.push_back(text.str());
  }
  int cases = 0;
  for (const std::string& doc : docs) {
    SCOPED_TRACE(doc.substr(0, 200));
    cases += CompareAll(doc);
  }
  EXPECT_GT(cases, 400);
}

}  // namespace
}  // namespace shepgw::wss
