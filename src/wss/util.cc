// wss internals without xmlsec: XML helpers, the id index, base64, distinguished names.
#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <ctime>

#include <libxml/parser.h>  // before valid.h, which needs its types
#include <libxml/valid.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "wss/internal.h"

namespace shepgw::wss::internal {

xmlAttr* FindAttr(const xmlNode* n, std::string_view name, std::string_view ns) {
  for (xmlAttr* a = n->properties; a != nullptr; a = a->next) {
    if (View(a->name) != name) {
      continue;
    }
    if (ns.empty() ? a->ns == nullptr : (a->ns != nullptr && View(a->ns->href) == ns)) {
      return a;
    }
  }
  return nullptr;
}

std::string AttrValue(const xmlAttr* a) {
  std::string out;
  if (a == nullptr) {
    return out;
  }
  for (const xmlNode* c = a->children; c != nullptr; c = c->next) {
    if (c->type == XML_TEXT_NODE) {
      out += View(c->content);
    }
  }
  return out;
}

std::string TextContent(const xmlNode* n) {
  std::string out;
  for (const xmlNode* c = n->children; c != nullptr; c = c->next) {
    if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
      out += View(c->content);
    }
  }
  return out;
}

std::string ForMessage(std::string_view s, size_t max) {
  std::string out;
  for (const char ch : s.substr(0, max)) {
    const auto c = static_cast<unsigned char>(ch);
    out += (c < 0x20 || c == 0x7F) ? '?' : ch;
  }
  if (s.size() > max) {
    out += "...";
  }
  return out;
}

std::string NameForMessage(const xmlNode* n) {
  std::string out = "{";
  out += ForMessage(n->ns != nullptr ? View(n->ns->href) : "", 100);
  out += '}';
  out += ForMessage(View(n->name), 60);
  return out;
}

bool IsSafeId(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdBytes) {
    return false;
  }
  for (const char ch : id) {
    const auto c = static_cast<unsigned char>(ch);
    if (!(std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':' || c == '{' ||
          c == '}')) {
      return false;
    }
  }
  return true;
}

// --- ids ------------------------------------------------------------------------------------

namespace {

bool IsIdAttribute(const xmlAttr* a) {
  if (a->atype == XML_ATTRIBUTE_ID) {
    return true;
  }
  const std::string_view name = View(a->name);
  if (a->ns == nullptr) {
    return name == "Id" || name == "id";
  }
  const std::string_view ns = View(a->ns->href);
  return (name == "Id" && ns == kWsuNs) || (name == "id" && ns == kXmlNs);
}

}  // namespace

xmlNode* NextInDocumentOrder(xmlNode* n) {
  if (n->type == XML_ELEMENT_NODE && n->children != nullptr) {
    return n->children;
  }
  while (n != nullptr && n->next == nullptr) {
    n = n->parent;
    if (n != nullptr && n->type == XML_DOCUMENT_NODE) {
      return nullptr;
    }
  }
  return n == nullptr ? nullptr : n->next;
}

Status IdIndex::Build(xmlDoc* doc) {
  by_value_.clear();
  storage_.clear();
  xmlNode* n = xmlDocGetRootElement(doc);
  while (n != nullptr) {
    if (n->type == XML_ELEMENT_NODE) {
      for (xmlAttr* a = n->properties; a != nullptr; a = a->next) {
        if (!IsIdAttribute(a)) {
          continue;
        }
        std::string_view value;
        if (a->children != nullptr && a->children->next == nullptr &&
            a->children->type == XML_TEXT_NODE) {
          value = View(a->children->content);
        } else {
          value = storage_.emplace_back(AttrValue(a));
        }
        if (!by_value_.emplace(value, a).second) {
          return {ErrorCode::kWssWrappingDetected,
                  "id \"" + ForMessage(value) + "\" is used more than once in the document"};
        }
      }
    }
    n = NextInDocumentOrder(n);
  }
  return Status::Ok();
}

xmlAttr* IdIndex::Find(std::string_view id) const {
  const auto it = by_value_.find(id);
  return it == by_value_.end() ? nullptr : it->second;
}

Status RegisterId(xmlDoc* doc, xmlAttr* attr, const std::string& id) {
  xmlAttr* registered = xmlGetID(doc, X(id));
  if (registered == attr) {
    return Status::Ok();
  }
  if (registered != nullptr) {
    return {ErrorCode::kWssWrappingDetected,
            "id \"" + ForMessage(id) + "\" already names another element"};
  }
  if (xmlAddID(nullptr, doc, X(id), attr) == nullptr || xmlGetID(doc, X(id)) != attr) {
    return {ErrorCode::kGatewayInternal, "cannot register id \"" + ForMessage(id) + "\""};
  }
  return Status::Ok();
}

// --- base64 ---------------------------------------------------------------------------------

namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int B64Value(unsigned char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
}

}  // namespace

std::optional<std::string> Base64Decode(std::string_view in, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(in.size() / 4 * 3 + 3, max_bytes + 3));
  uint32_t acc = 0;
  int bits = 0;
  int pad = 0;
  size_t symbols = 0;
  for (const char ch : in) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      continue;
    }
    if (c == '=') {
      ++pad;
      ++symbols;
      continue;
    }
    const int v = B64Value(c);
    if (v < 0 || pad > 0) {  // bad character, or data after padding
      return std::nullopt;
    }
    ++symbols;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
      if (out.size() > max_bytes) {
        return std::nullopt;
      }
    }
  }
  if (symbols % 4 != 0 || pad > 2 || (acc & ((1u << bits) - 1)) != 0) {
    return std::nullopt;
  }
  return out;
}

std::string Base64Encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(in[i]) << 16) |
                       (static_cast<uint8_t>(in[i + 1]) << 8) | static_cast<uint8_t>(in[i + 2]);
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += kB64[v & 63];
  }
  if (i < in.size()) {
    uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) {
      v |= static_cast<uint8_t>(in[i + 1]) << 8;
    }
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += i + 1 < in.size() ? kB64[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

pki::X509Ptr CertificateFromDer(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  const auto* const end = p + der.size();
  pki::X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (cert == nullptr || p != end) {  // trailing bytes: not one certificate
    return nullptr;
  }
  return cert;
}

// --- distinguished names --------------------------------------------------------------------

namespace {

struct Ava {
  std::string type;
  std::string value;
  bool hex = false;  // value is the hex of a BER encoding (RFC 2253 "#...")
};

int HexDigit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ')
    s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ')
    s.remove_suffix(1);
  return s;
}

// Parses one value starting at dn[*pos]; stops before an unescaped ',', ';' or '+'.
bool ParseValue(std::string_view dn, size_t* pos, Ava* ava) {
  size_t i = *pos;
  while (i < dn.size() && dn[i] == ' ')
    ++i;
  std::string value;
  if (i < dn.size() && dn[i] == '#') {
    ++i;
    while (i < dn.size() && HexDigit(dn[i]) >= 0)
      value += dn[i++];
    ava->hex = true;
  } else if (i < dn.size() && dn[i] == '"') {
    ++i;
    for (;;) {
      if (i >= dn.size())
        return false;
      if (dn[i] == '"') {
        ++i;
        break;
      }
      if (dn[i] == '\\' && i + 1 < dn.size())
        ++i;
      value += dn[i++];
    }
  } else {
    size_t significant = 0;  // length of value without unescaped trailing spaces
    while (i < dn.size() && dn[i] != ',' && dn[i] != ';' && dn[i] != '+') {
      if (dn[i] == '\\') {
        if (i + 1 >= dn.size())
          return false;
        const int hi = HexDigit(dn[i + 1]);
        const int lo = i + 2 < dn.size() ? HexDigit(dn[i + 2]) : -1;
        if (hi >= 0 && lo >= 0) {
          value += static_cast<char>(hi * 16 + lo);
          i += 3;
        } else {
          value += dn[i + 1];
          i += 2;
        }
        significant = value.size();
        continue;
      }
      value += dn[i++];
      if (value.back() != ' ')
        significant = value.size();
    }
    value.resize(significant);
  }
  while (i < dn.size() && dn[i] == ' ')
    ++i;
  if (i < dn.size() && dn[i] != ',' && dn[i] != ';' && dn[i] != '+')
    return false;
  ava->value = std::move(value);
  *pos = i;
  return true;
}

ASN1_OBJECT* AttributeType(std::string type) {
  for (char& c : type)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (type.rfind("OID.", 0) == 0)
    type = type.substr(4);
  static const std::array<std::pair<std::string_view, std::string_view>, 9> kAliases = {{
      {"E", "emailAddress"},
      {"EMAILADDRESS", "emailAddress"},
      {"SERIALNUMBER", "serialNumber"},
      {"S", "ST"},
      {"STREET", "street"},
      {"T", "title"},
      {"G", "givenName"},
      {"GIVENNAME", "givenName"},
      {"SURNAME", "SN"},
  }};
  for (const auto& [alias, name] : kAliases) {
    if (type == alias) {
      type = std::string(name);
      break;
    }
  }
  return OBJ_txt2obj(type.c_str(), 0);
}

bool AddAva(X509_NAME* name, const Ava& ava, int set) {
  std::unique_ptr<ASN1_OBJECT, decltype(&ASN1_OBJECT_free)> obj(AttributeType(ava.type),
                                                                ASN1_OBJECT_free);
  if (obj == nullptr) {
    return false;
  }
  if (!ava.hex) {
    return X509_NAME_add_entry_by_OBJ(name, obj.get(), MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(ava.value.data()),
                                      static_cast<int>(ava.value.size()), -1, set) == 1;
  }
  if (ava.value.size() % 2 != 0) {
    return false;
  }
  std::string der;
  for (size_t i = 0; i < ava.value.size(); i += 2) {
    der += static_cast<char>(HexDigit(ava.value[i]) * 16 + HexDigit(ava.value[i + 1]));
  }
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<ASN1_TYPE, decltype(&ASN1_TYPE_free)> t(
      d2i_ASN1_TYPE(nullptr, &p, static_cast<long>(der.size())), ASN1_TYPE_free);
  if (t == nullptr || t->type == V_ASN1_SEQUENCE || t->type == V_ASN1_SET ||
      t->type == V_ASN1_OBJECT || t->type == V_ASN1_BOOLEAN || t->type == V_ASN1_NULL) {
    return false;
  }
  const ASN1_STRING* s = t->value.asn1_string;
  return X509_NAME_add_entry_by_OBJ(name, obj.get(), t->type, ASN1_STRING_get0_data(s),
                                    ASN1_STRING_length(s), -1, set) == 1;
}

}  // namespace

X509NamePtr ParseDistinguishedName(std::string_view dn, bool reversed) {
  if (dn.size() > 4096) {
    return nullptr;
  }
  dn = TrimSpaces(dn);
  std::vector<std::vector<Ava>> rdns(1);
  size_t i = 0;
  while (i < dn.size()) {
    Ava ava;
    const size_t eq = dn.find('=', i);
    if (eq == std::string_view::npos) {
      return nullptr;
    }
    ava.type = std::string(TrimSpaces(dn.substr(i, eq - i)));
    if (ava.type.empty()) {
      return nullptr;
    }
    i = eq + 1;
    if (!ParseValue(dn, &i, &ava)) {
      return nullptr;
    }
    rdns.back().push_back(std::move(ava));
    if (i < dn.size()) {
      if (dn[i] != '+') {
        rdns.emplace_back();
      }
      ++i;
      if (i >= dn.size()) {
        return nullptr;  // a trailing separator
      }
    }
  }
  if (rdns.front().empty()) {
    return nullptr;
  }
  X509NamePtr name(X509_NAME_new());
  // The string form lists the most specific RDN first; the encoding starts with the root.
  if (!reversed) {
    std::reverse(rdns.begin(), rdns.end());
  }
  for (const std::vector<Ava>& rdn : rdns) {
    int set = 0;
    for (const Ava& ava : rdn) {
      if (!AddAva(name.get(), ava, set)) {
        return nullptr;
      }
      set = -1;  // the next AVA joins this RDN (multi-valued RDN, "+")
    }
  }
  return name;
}

Asn1IntegerPtr ParseDecimalSerial(std::string_view serial) {
  serial = TrimSpaces(serial);
  size_t start = serial.empty() || serial[0] != '-' ? 0 : 1;
  if (serial.size() <= start || serial.size() > 200) {
    return nullptr;
  }
  for (size_t i = start; i < serial.size(); ++i) {
    if (serial[i] < '0' || serial[i] > '9') {
      return nullptr;
    }
  }
  const std::string text(serial);
  BIGNUM* bn = nullptr;
  if (BN_dec2bn(&bn, text.c_str()) == 0) {
    return nullptr;
  }
  Asn1IntegerPtr out(BN_to_ASN1_INTEGER(bn, nullptr));
  BN_free(bn);
  return out;
}

// --- certificate facts ----------------------------------------------------------------------

namespace {

std::string NameToString(const X509_NAME* name) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) {
    return {};
  }
  // RFC 2253, UTF-8 kept as UTF-8 (not \XX escapes): Kazakh/Russian names stay readable.
  X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

}  // namespace

pki::CertificateFacts DescribeCert(X509* cert) {
  pki::CertificateFacts facts;
  facts.subject = NameToString(X509_get_subject_name(cert));
  facts.issuer = NameToString(X509_get_issuer_name(cert));
  if (BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr)) {
    if (char* dec = BN_bn2dec(bn)) {
      facts.serial = dec;
      OPENSSL_free(dec);
    }
    BN_free(bn);
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (X509_digest(cert, EVP_sha256(), md, &md_len) == 1) {
    static constexpr char kHex[] = "0123456789abcdef";
    for (unsigned int i = 0; i < md_len; ++i) {
      facts.sha256 += kHex[md[i] >> 4];
      facts.sha256 += kHex[md[i] & 15];
    }
  }
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1) {
    facts.not_after = std::chrono::system_clock::from_time_t(timegm(&tm));
  }
  return facts;
}

}  // namespace shepgw::wss::internal
