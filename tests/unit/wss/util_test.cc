// wss internals: base64, distinguished names, serials, ids, the algorithm table.
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/x509.h>

#include "unit/wss/test_pki.h"
#include "wss/internal.h"

namespace shepgw::wss::internal {
namespace {

TEST(Base64Test, RoundTripAndStrictness) {
  for (const std::string& s :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    const auto decoded = Base64Decode(Base64Encode(s), 100);
    ASSERT_TRUE(decoded.has_value()) << s;
    EXPECT_EQ(*decoded, s);
  }
  EXPECT_EQ(Base64Decode("YW Jj\r\nZA==", 100).value_or("?"), "abcd");  // &#13; wrapping
  EXPECT_FALSE(Base64Decode("YWJj*A==", 100).has_value());
  EXPECT_FALSE(Base64Decode("YWJ", 100).has_value());
  EXPECT_FALSE(Base64Decode("YQ==YQ==", 100).has_value());
  EXPECT_FALSE(Base64Decode("YR==", 100).has_value());                 // non-zero padding bits
  EXPECT_FALSE(Base64Decode(std::string(400, 'A'), 100).has_value());  // over the cap
}

TEST(DistinguishedNameTest, MatchesCertificateIssuer) {
  pki::X509Ptr cert = testing::LoadCert("signer-rsa");
  const X509_NAME* issuer = X509_get_issuer_name(cert.get());
  // The test PKI encodes the issuer CN first (openssl -subj "/CN=.../C=KZ"), so its RFC 2253
  // string starts with C; real NCA names are encoded C first ("CN=...,C=KZ").
  for (const char* dn : {"C=KZ,CN=ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (TEST RSA)",
                         "C=KZ, CN=ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (TEST RSA)",
                         " c = KZ ; cn = ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ \\(TEST RSA\\) ",
                         "2.5.4.6=KZ,OID.2.5.4.3=\"ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (TEST RSA)\"",
                         "C=#13024b5a,CN=ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (TEST RSA)"}) {
    X509NamePtr name = ParseDistinguishedName(dn);
    ASSERT_NE(name, nullptr) << dn;
    EXPECT_EQ(X509_NAME_cmp(name.get(), issuer), 0) << dn;
  }
  // Order matters to X509_NAME_cmp (RFC 2253 lists the most specific RDN first)...
  X509NamePtr reversed = ParseDistinguishedName("CN=ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (TEST RSA),C=KZ");
  ASSERT_NE(reversed, nullptr);
  EXPECT_NE(X509_NAME_cmp(reversed.get(), issuer), 0);
  // ...so the lookup also tries the order as written.
  X509NamePtr as_written =
      ParseDistinguishedName("CN=ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (TEST RSA),C=KZ", true);
  EXPECT_EQ(X509_NAME_cmp(as_written.get(), issuer), 0);
}

TEST(DistinguishedNameTest, EscapesAndMultiValuedRdns) {
  X509NamePtr name = ParseDistinguishedName("CN=a\\,b\\2Bc+O=x,C=KZ");
  ASSERT_NE(name, nullptr);
  EXPECT_EQ(X509_NAME_entry_count(name.get()), 3);
  char buf[256];
  X509_NAME_get_text_by_NID(name.get(), NID_commonName, buf, sizeof buf);
  EXPECT_STREQ(buf, "a,b+c");
  for (const char* bad : {"", "CN", "=x", "CN=x,", "CN=\"x", "XX-UNKNOWN=1", "CN=x\\"}) {
    EXPECT_EQ(ParseDistinguishedName(bad), nullptr) << bad;
  }
}

TEST(SerialTest, Decimal) {
  Asn1IntegerPtr serial = ParseDecimalSerial("4096");
  ASSERT_NE(serial, nullptr);
  EXPECT_EQ(ASN1_INTEGER_get(serial.get()), 4096);
  EXPECT_NE(ParseDecimalSerial("123456789012345678901234567890"), nullptr);
  for (const char* bad : {"", "0x10", "12a", "-", "1 2"}) {
    EXPECT_EQ(ParseDecimalSerial(bad), nullptr) << bad;
  }
}

TEST(IdTest, SafeIds) {
  for (const char* ok : {"id-1", "_a", "5f2b7a3e-9c1d", "{5F2B}", "a.b:c"}) {
    EXPECT_TRUE(IsSafeId(ok)) << ok;
  }
  for (const char* bad : {"", "a'b", "a\"b", "a b", "a)b", "a/b"}) {
    EXPECT_FALSE(IsSafeId(bad)) << bad;
  }
  EXPECT_FALSE(IsSafeId(std::string(kMaxIdBytes + 1, 'a')));
}

TEST(AlgorithmTest, Table) {
  AlgorithmVerdict verdict{};
  const SignatureAlgorithm* a =
      FindSignatureAlgorithm("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", &verdict);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->name, "rsa-sha256");
  EXPECT_EQ(FindSignatureAlgorithm(
                "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34102015-gostr34112015-256",
                &verdict),
            nullptr);
  EXPECT_EQ(verdict, AlgorithmVerdict::kUnsupported);
  // The GOST rows: each pair bound to its own digest; 2004 is verify-only.
  a = FindSignatureAlgorithm("http://www.w3.org/2001/04/xmldsig-more#gost34310-gost34311",
                             &verdict);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->name, "gost2004");
  EXPECT_TRUE(a->digest_bound);
  EXPECT_EQ(a->digest->uri, "http://www.w3.org/2001/04/xmldsig-more#gost34311");
  EXPECT_EQ(a->sign, nullptr);
  a = SignatureAlgorithmByName("gost2015-512");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->uri,
            "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34102015-gostr34112015-512");
  EXPECT_EQ(a->digest->uri, "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34112015-512");
  EXPECT_NE(a->sign, nullptr);
  EXPECT_TRUE(a->digest->bound_to_signature);
  EXPECT_EQ(FindSignatureAlgorithm("http://www.w3.org/2000/09/xmldsig#hmac-sha1", &verdict),
            nullptr);
  EXPECT_EQ(verdict, AlgorithmVerdict::kNotAllowed);
  EXPECT_TRUE(FindDigestAlgorithm("http://www.w3.org/2000/09/xmldsig#sha1", &verdict)->weak);
  EXPECT_EQ(SignatureAlgorithmByName("ecdsa-sha256")->uri,
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256");
  EXPECT_EQ(SignatureAlgorithmByName("gost"), nullptr);
}

}  // namespace
}  // namespace shepgw::wss::internal
