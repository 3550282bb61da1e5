// Known-answer tests of the GOST core against real NCA material (tests/data/gost/ORIGIN.md), the
// negatives that must fail with their specific codes, and round trips of keys, PKCS#8/#12,
// certificate and CRL issuance.
#include "shepgw/pki/gost.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "pki/der.h"

namespace shepgw::pki::gost {
namespace {

using std::chrono::hours;
using std::chrono::system_clock;

std::string ReadFile(const std::string& name) {
  std::ifstream in(std::string(SHEPGW_SOURCE_DIR) + "/tests/data/gost/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Base64 with any whitespace (and XML's &#13; already decoded to CR) removed.
std::string Base64Decode(std::string_view text) {
  std::string clean;
  for (const char c : text) {
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') {
      clean.push_back(c);
    }
  }
  std::string out(clean.size() / 4 * 3 + 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(clean.data()),
                                static_cast<int>(clean.size()));
  EXPECT_GE(n, 0);
  size_t pad = 0;
  while (pad < clean.size() && clean[clean.size() - 1 - pad] == '=') {
    ++pad;
  }
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

std::string Unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    if (hex[i] == '\n') {
      --i;
      continue;
    }
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::string Hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    out.push_back(digits[(static_cast<uint8_t>(c) >> 4) & 0xf]);
    out.push_back(digits[static_cast<uint8_t>(c) & 0xf]);
  }
  return out;
}

std::string PemToDer(const std::string& pem) {
  const size_t b = pem.find("-----\n") + 6;
  const size_t e = pem.find("-----END");
  return Base64Decode(pem.substr(b, e - b));
}

const xmlChar* X(const char* s) { return reinterpret_cast<const xmlChar*>(s); }

std::string Reverse(std::string s) { return std::string(s.rbegin(), s.rend()); }

// --- XMLDSig helpers (libxml2) --------------------------------------------------------------

struct XmlDoc {
  explicit XmlDoc(const std::string& text)
      : doc(xmlReadMemory(text.data(), static_cast<int>(text.size()), "kat.xml", nullptr,
                          XML_PARSE_NONET)) {}
  ~XmlDoc() { xmlFreeDoc(doc); }
  xmlDocPtr doc;
};

xmlNodePtr FindElement(xmlNodePtr node, const char* name) {
  for (; node != nullptr; node = node->next) {
    if (node->type == XML_ELEMENT_NODE && xmlStrEqual(node->name, X(name))) {
      return node;
    }
    if (xmlNodePtr found = FindElement(node->children, name)) {
      return found;
    }
  }
  return nullptr;
}

std::string Text(xmlNodePtr node) {
  xmlChar* t = xmlNodeGetContent(node);
  std::string s(reinterpret_cast<const char*>(t));
  xmlFree(t);
  return s;
}

// c14n output written straight into a Digest: the streaming sink the wss module will use.
int WriteToDigest(void* ctx, const char* buffer, int len) {
  static_cast<Digest*>(ctx)->Update(buffer, static_cast<size_t>(len));
  return len;
}

std::string C14nDigest(xmlDocPtr doc, xmlNodeSetPtr nodes, int with_comments) {
  auto digest = Digest::Create(Algorithm::kGost2015_512);
  EXPECT_TRUE(digest.ok());
  xmlOutputBufferPtr out = xmlOutputBufferCreateIO(WriteToDigest, nullptr, &*digest, nullptr);
  EXPECT_GE(xmlC14NDocSaveTo(doc, nodes, XML_C14N_1_0, nullptr, with_comments, out), 0);
  xmlOutputBufferClose(out);
  return digest->Final();
}

std::string C14n(xmlDocPtr doc, xmlNodeSetPtr nodes, int with_comments) {
  xmlChar* buf = nullptr;
  const int n = xmlC14NDocDumpMemory(doc, nodes, XML_C14N_1_0, nullptr, with_comments, &buf);
  EXPECT_GE(n, 0);
  std::string s(reinterpret_cast<const char*>(buf), static_cast<size_t>(n));
  xmlFree(buf);
  return s;
}

struct XmlDsigKat {
  std::string referenced_c14n;  // after enveloped-signature + C14N 1.0 with comments
  std::string reference_digest;
  std::string digest_value;  // decoded DigestValue
  std::string signed_info_c14n;
  std::string signature_value;  // decoded, r_LE‖s_LE
  std::string certificate;      // DER
  std::string signature_method;
  std::string digest_method;
};

XmlDsigKat LoadXmlDsig() {
  XmlDsigKat kat;
  XmlDoc xml(ReadFile("nca-test-gost2015-xmldsig.xml"));
  EXPECT_NE(xml.doc, nullptr);
  xmlNodePtr root = xmlDocGetRootElement(xml.doc);
  kat.digest_value = Base64Decode(Text(FindElement(root, "DigestValue")));
  kat.signature_value = Base64Decode(Text(FindElement(root, "SignatureValue")));
  kat.certificate = Base64Decode(Text(FindElement(root, "X509Certificate")));
  xmlChar* a = xmlGetProp(FindElement(root, "SignatureMethod"), X("Algorithm"));
  kat.signature_method = reinterpret_cast<const char*>(a);
  xmlFree(a);
  a = xmlGetProp(FindElement(root, "DigestMethod"), X("Algorithm"));
  kat.digest_method = reinterpret_cast<const char*>(a);
  xmlFree(a);

  // SignedInfo as a node set (C14N 1.0 of a subtree: inherited xmlns:ds is rendered).
  xmlXPathContextPtr ctx = xmlXPathNewContext(xml.doc);
  xmlXPathRegisterNs(ctx, X("ds"), X("http://www.w3.org/2000/09/xmldsig#"));
  xmlXPathObjectPtr si = xmlXPathEvalExpression(
      X("(//. | //@* | //namespace::*)[ancestor-or-self::ds:SignedInfo]"), ctx);
  kat.signed_info_c14n = C14n(xml.doc, si->nodesetval, 0);
  xmlXPathFreeObject(si);
  xmlXPathFreeContext(ctx);

  // Enveloped-signature transform: the document without the Signature element.
  xmlNodePtr sig = FindElement(root, "Signature");
  xmlUnlinkNode(sig);
  xmlFreeNode(sig);
  kat.referenced_c14n = C14n(xml.doc, nullptr, 1);
  kat.reference_digest = C14nDigest(xml.doc, nullptr, 1);
  return kat;
}

TEST(GostDigestTest, XmlDsigDigestValueIsStreebogOutputAsIs) {
  const XmlDsigKat kat = LoadXmlDsig();
  EXPECT_EQ(kat.referenced_c14n, "<test><message>QCxn00hfuH9zCv58</message></test>");
  ASSERT_EQ(kat.digest_value.size(), 64u);
  // The streamed digest (c14n writing into Digest::Update) and the one-shot agree with the
  // DigestValue byte for byte: no reversal between libgcrypt's output and NCA's.
  EXPECT_EQ(Hex(kat.reference_digest), Hex(kat.digest_value));
  EXPECT_EQ(Hex(ComputeDigest(Algorithm::kGost2015_512, kat.referenced_c14n)),
            Hex(kat.digest_value));
  EXPECT_NE(Hex(Reverse(kat.reference_digest)), Hex(kat.digest_value));
}

TEST(GostDigestTest, PublishedVectors) {
  // Streebog-512 (GOST R 34.11-2012) of the empty string and of RFC 6986's M1, as bytes.
  EXPECT_EQ(Hex(ComputeDigest(Algorithm::kGost2015_512, "")),
            "8e945da209aa869f0455928529bcae4679e9873ab707b55315f56ceb98bef0a7"
            "362f715528356ee83cda5f2aac4c6ad2ba3a715c1bcd81cb8e9f90bf4c1c1a8a");
  EXPECT_EQ(Hex(ComputeDigest(Algorithm::kGost2015_512,
                              "012345678901234567890123456789012345678901234567890123456789012")),
            "1b54d01a4af5b9d5cc3d86d68d285462b19abc2475222f35c085122be4ba1ffa"
            "00ad30f8767b3a82384c6574f024c311e2a481332b08ef7f41797891c1646f48");
  // GOST R 34.11-94 with the "test" parameter set (the S-box GOST 34.311-95 uses).
  EXPECT_EQ(Hex(ComputeDigest(Algorithm::kGost2004, "This is message, length=32 bytes")),
            "b1c466d37519b82e8319819ff32595e047a28cb6f83eff1c6916a815a637fffa");
  EXPECT_EQ(Hex(ComputeDigest(Algorithm::kGost2004, "")),
            "ce85b99cc46752fffee35cab9a7b0278abb4c2d2055cff685af4912c49490f8d");
}

TEST(GostDigestTest, StreamingEqualsOneShotAndFinalRestarts) {
  const std::string data(5000, 'x');
  for (const Algorithm a : {Algorithm::kGost2015_512, Algorithm::kGost2004}) {
    auto d = Digest::Create(a);
    ASSERT_TRUE(d.ok());
    for (size_t i = 0; i < data.size(); i += 777) {
      d->Update(data.substr(i, 777));
    }
    EXPECT_EQ(d->Final(), ComputeDigest(a, data));
    EXPECT_EQ(d->Final(), ComputeDigest(a, ""));
    EXPECT_EQ(d->Final().size(), Describe(a).digest_size);
  }
}

TEST(GostAlgorithmTest, Identifiers) {
  const XmlDsigKat kat = LoadXmlDsig();
  EXPECT_EQ(*AlgorithmFromSignatureUri(kat.signature_method), Algorithm::kGost2015_512);
  EXPECT_EQ(*AlgorithmFromDigestUri(kat.digest_method), Algorithm::kGost2015_512);
  EXPECT_EQ(*AlgorithmFromSignatureOid("1.2.398.3.10.1.1.2.3.2"), Algorithm::kGost2015_512);
  EXPECT_EQ(*AlgorithmFromSignatureOid("1.2.398.3.10.1.1.1.2"), Algorithm::kGost2004);
  EXPECT_EQ(*AlgorithmFromDigestOid("1.2.398.3.10.1.3.1"), Algorithm::kGost2004);
  EXPECT_EQ(
      *AlgorithmFromSignatureUri("http://www.w3.org/2001/04/xmldsig-more#gost34310-gost34311"),
      Algorithm::kGost2004);
  // 256-bit 2015: recognised, refused as unsupported.
  EXPECT_EQ(AlgorithmFromSignatureOid("1.2.398.3.10.1.1.2.3.1").status().code(),
            ErrorCode::kWssAlgorithmUnsupported);
  EXPECT_EQ(
      AlgorithmFromDigestUri("urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34112015-256")
          .status()
          .code(),
      ErrorCode::kWssAlgorithmUnsupported);
  EXPECT_EQ(AlgorithmFromSignatureOid("1.2.840.113549.1.1.11").status().code(),
            ErrorCode::kWssAlgorithmNotAllowed);
  EXPECT_EQ(AlgorithmFromSignatureUri("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256")
                .status()
                .code(),
            ErrorCode::kWssAlgorithmNotAllowed);
}

// --- Signatures: known answers ---------------------------------------------------------------

TEST(GostVerifyTest, XmlDsigSignatureValueVerifiesUnderTheCertificateInside) {
  const XmlDsigKat kat = LoadXmlDsig();
  auto key = CertificatePublicKey(kat.certificate);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->algorithm(), Algorithm::kGost2015_512);
  ASSERT_EQ(kat.signature_value.size(), 128u);
  const std::string digest = ComputeDigest(Algorithm::kGost2015_512, kat.signed_info_c14n);
  EXPECT_TRUE(key->Verify(digest, kat.signature_value).ok());
  EXPECT_TRUE(key->Verify(Algorithm::kGost2015_512, digest, kat.signature_value).ok());
  EXPECT_TRUE(key->VerifyData(kat.signed_info_c14n, kat.signature_value).ok());

  // Tampered data.
  std::string tampered_info = kat.signed_info_c14n;
  tampered_info[tampered_info.find("DigestValue>") + 12] ^= 1;
  EXPECT_EQ(key->VerifyData(tampered_info, kat.signature_value).code(),
            ErrorCode::kWssSignatureInvalid);
  // Tampered signature.
  std::string bad = kat.signature_value;
  bad[10] ^= 0x40;
  EXPECT_EQ(key->Verify(digest, bad).code(), ErrorCode::kWssSignatureInvalid);
  // Byte order not converted: the whole value reversed (OpenSSL engine's s_BE‖r_BE), each half
  // reversed (r_BE‖s_BE), halves swapped (s_LE‖r_LE); and the digest reversed.
  const std::string r = kat.signature_value.substr(0, 64);
  const std::string s = kat.signature_value.substr(64);
  for (const std::string& wrong : {Reverse(kat.signature_value), Reverse(r) + Reverse(s), s + r}) {
    EXPECT_EQ(key->Verify(digest, wrong).code(), ErrorCode::kWssSignatureInvalid);
  }
  EXPECT_EQ(key->Verify(Reverse(digest), kat.signature_value).code(),
            ErrorCode::kWssSignatureInvalid);
  // Truncated and oversized signatures.
  EXPECT_EQ(key->Verify(digest, kat.signature_value.substr(0, 127)).code(),
            ErrorCode::kWssMalformedSecurity);
  EXPECT_EQ(key->Verify(digest, kat.signature_value + '\0').code(),
            ErrorCode::kWssMalformedSecurity);
  // A 2015 key given a 2004 signature.
  EXPECT_EQ(key->Verify(Algorithm::kGost2004, digest.substr(0, 32), r).code(),
            ErrorCode::kPkiKeyInvalid);
}

// Walks a DER CMS ContentInfo to its first SignerInfo and returns the signedAttrs re-tagged as
// the SET OF they are signed as (RFC 5652 5.4): the exact bytes, not a re-encoding.
std::string SignedAttributesAsSigned(std::string_view cms) {
  der::Tlv t;
  auto ci = der::ParseSingle(cms, der::kSequence);
  EXPECT_TRUE(ci);
  der::Reader r(ci->content);
  EXPECT_TRUE(r.Expect(der::kOid, &t));
  EXPECT_TRUE(r.Expect(der::ContextCons(0), &t));
  auto sd_outer = der::ParseSingle(t.content, der::kSequence);
  der::Reader sd(sd_outer->content);
  der::Tlv f;
  EXPECT_TRUE(sd.Expect(der::kInteger, &f));
  EXPECT_TRUE(sd.Expect(der::kSet, &f));       // digestAlgorithms
  EXPECT_TRUE(sd.Expect(der::kSequence, &f));  // encapContentInfo
  while (sd.Next(&f) && f.tag != der::kSet) {  // certificates [0], crls [1]
  }
  EXPECT_EQ(f.tag, der::kSet);  // signerInfos
  der::Reader sis(f.content);
  der::Tlv si;
  EXPECT_TRUE(sis.Expect(der::kSequence, &si));
  der::Reader sr(si.content);
  EXPECT_TRUE(sr.Expect(der::kInteger, &f));
  EXPECT_TRUE(sr.Next(&f));                    // sid
  EXPECT_TRUE(sr.Expect(der::kSequence, &f));  // digestAlgorithm
  EXPECT_TRUE(sr.Expect(der::ContextCons(0), &f));
  std::string attrs(f.whole);
  attrs[0] = static_cast<char>(der::kSet);
  return attrs;
}

struct CmsFree {
  void operator()(CMS_ContentInfo* c) const { CMS_ContentInfo_free(c); }
};
using CmsPtr = std::unique_ptr<CMS_ContentInfo, CmsFree>;

CmsPtr ParseCms(std::string_view der_bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(der_bytes.data());
  return CmsPtr(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der_bytes.size())));
}

std::string AttributeOctets(CMS_SignerInfo* si, int nid) {
  const auto* v = static_cast<const ASN1_OCTET_STRING*>(
      CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(nid), -3, V_ASN1_OCTET_STRING));
  EXPECT_NE(v, nullptr);
  return v ? std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(v)),
                         static_cast<size_t>(ASN1_STRING_length(v)))
           : std::string();
}

std::string FirstCertificate(CMS_ContentInfo* cms) {
  STACK_OF(X509)* certs = CMS_get1_certs(cms);
  EXPECT_EQ(sk_X509_num(certs), 1);
  unsigned char* buf = nullptr;
  const int n = i2d_X509(sk_X509_value(certs, 0), &buf);
  std::string out(reinterpret_cast<const char*>(buf), static_cast<size_t>(n));
  OPENSSL_free(buf);
  sk_X509_pop_free(certs, X509_free);
  return out;
}

std::string SignatureOf(CMS_SignerInfo* si) {
  const ASN1_OCTET_STRING* sig = CMS_SignerInfo_get0_signature(si);
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(sig)),
                     static_cast<size_t>(ASN1_STRING_length(sig)));
}

TEST(GostVerifyTest, CmsSignedDataGost2015) {
  const std::string der_bytes = Base64Decode(ReadFile("nca-test-gost2015-cms.b64"));
  CmsPtr cms = ParseCms(der_bytes);
  ASSERT_TRUE(cms);
  ASN1_OCTET_STRING** content = CMS_get0_content(cms.get());
  ASSERT_TRUE(content != nullptr && *content != nullptr);
  const std::string data(reinterpret_cast<const char*>(ASN1_STRING_get0_data(*content)),
                         static_cast<size_t>(ASN1_STRING_length(*content)));
  CMS_SignerInfo* si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms.get()), 0);
  ASSERT_NE(si, nullptr);
  X509_ALGOR* digest_alg = nullptr;
  X509_ALGOR* sig_alg = nullptr;
  CMS_SignerInfo_get0_algs(si, nullptr, nullptr, &digest_alg, &sig_alg);
  char oid[80];
  OBJ_obj2txt(oid, sizeof oid, digest_alg->algorithm, 1);
  EXPECT_EQ(*AlgorithmFromDigestOid(oid), Algorithm::kGost2015_512);
  OBJ_obj2txt(oid, sizeof oid, sig_alg->algorithm, 1);
  EXPECT_EQ(*AlgorithmFromSignatureOid(oid), Algorithm::kGost2015_512);

  // messageDigest = Streebog-512 of the content, as is.
  EXPECT_EQ(Hex(AttributeOctets(si, NID_pkcs9_messageDigest)),
            Hex(ComputeDigest(Algorithm::kGost2015_512, data)));
  auto key = CertificatePublicKey(FirstCertificate(cms.get()));
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  const std::string attrs = SignedAttributesAsSigned(der_bytes);
  const std::string sig = SignatureOf(si);
  EXPECT_TRUE(key->VerifyData(attrs, sig).ok());
  // The same bytes under their [0] tag (what a naive verifier would hash) do not verify.
  std::string implicit = attrs;
  implicit[0] = static_cast<char>(der::ContextCons(0));
  EXPECT_EQ(key->VerifyData(implicit, sig).code(), ErrorCode::kWssSignatureInvalid);
}

TEST(GostVerifyTest, TimestampTokenGost2004) {
  const std::string der_bytes = Base64Decode(ReadFile("nca-test-gost2015-cms.b64"));
  CmsPtr cms = ParseCms(der_bytes);
  ASSERT_TRUE(cms);
  CMS_SignerInfo* si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms.get()), 0);
  const auto* token_seq = static_cast<const ASN1_STRING*>(CMS_unsigned_get0_data_by_OBJ(
      si, OBJ_nid2obj(NID_id_smime_aa_timeStampToken), -3, V_ASN1_SEQUENCE));
  ASSERT_NE(token_seq, nullptr);
  const std::string token(reinterpret_cast<const char*>(ASN1_STRING_get0_data(token_seq)),
                          static_cast<size_t>(ASN1_STRING_length(token_seq)));
  CmsPtr tst = ParseCms(token);
  ASSERT_TRUE(tst);
  ASN1_OCTET_STRING** content = CMS_get0_content(tst.get());
  ASSERT_TRUE(content != nullptr && *content != nullptr);
  const std::string tst_info(reinterpret_cast<const char*>(ASN1_STRING_get0_data(*content)),
                             static_cast<size_t>(ASN1_STRING_length(*content)));
  CMS_SignerInfo* tsi = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(tst.get()), 0);
  ASSERT_NE(tsi, nullptr);
  EXPECT_EQ(Hex(AttributeOctets(tsi, NID_pkcs9_messageDigest)),
            Hex(ComputeDigest(Algorithm::kGost2004, tst_info)));

  const std::string tsa_cert = FirstCertificate(tst.get());
  auto key = CertificatePublicKey(tsa_cert);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->algorithm(), Algorithm::kGost2004);
  const std::string attrs = SignedAttributesAsSigned(token);
  const std::string sig = SignatureOf(tsi);
  ASSERT_EQ(sig.size(), 64u);
  EXPECT_TRUE(key->VerifyData(attrs, sig).ok());
  EXPECT_TRUE(
      key->Verify(Algorithm::kGost2004, ComputeDigest(Algorithm::kGost2004, attrs), sig).ok());
  EXPECT_EQ(key->VerifyData(attrs, Reverse(sig)).code(), ErrorCode::kWssSignatureInvalid);
  // A 2004 key is no 2015 key: the same octets refused as the other algorithm.
  EXPECT_EQ(PublicKey::FromXy(Algorithm::kGost2015_512, key->xy_le()).status().code(),
            ErrorCode::kPkiKeyInvalid);
  // The TSA certificate is signed with 2004 by a CA whose key we lack: the split still works.
  auto split = SplitCertificate(tsa_cert);
  ASSERT_TRUE(split.ok());
  EXPECT_EQ(split->signature_oid, "1.2.398.3.10.1.1.1.2");
  EXPECT_EQ(split->signature.size(), 64u);
}

PublicKey NcaGost2022CaKey() {
  auto key = PublicKey::FromXy(Algorithm::kGost2015_512,
                               Unhex(ReadFile("nca-gost-2022-ca-pubkey-xy-le.hex")));
  EXPECT_TRUE(key.ok()) << key.status().ToString();
  return std::move(key).value();
}

TEST(GostCertificateTest, ShepGatewayCertificateVerifiesUnderNcaGost2022) {
  const std::string cert = PemToDer(ReadFile("shep-gateway-cert-gost2015-512.pem"));
  const PublicKey ca = NcaGost2022CaKey();
  EXPECT_TRUE(VerifyCertificateSignature(cert, ca).ok());
  auto split = SplitCertificate(cert);
  ASSERT_TRUE(split.ok());
  EXPECT_EQ(split->signature_oid, "1.2.398.3.10.1.1.2.3.2");
  EXPECT_EQ(split->signature.size(), 128u);
  EXPECT_EQ(split->tbs.size(), 1210u);  // the exact TBSCertificate TLV
  // OpenSSL parses the certificate but cannot use its key: why this code exists.
  const auto* p = reinterpret_cast<const unsigned char*>(cert.data());
  X509* x = d2i_X509(nullptr, &p, static_cast<long>(cert.size()));
  ASSERT_NE(x, nullptr);
  EVP_PKEY* pkey = X509_get_pubkey(x);
  EXPECT_EQ(pkey, nullptr);
  EVP_PKEY_free(pkey);
  X509_free(x);
  ERR_clear_error();

  // Under another key (the certificate's own, the TEST signer's): untrusted.
  auto own = CertificatePublicKey(cert);
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(VerifyCertificateSignature(cert, *own).code(), ErrorCode::kPkiCertificateUntrusted);
  // Tampered TBS (a byte of the subject).
  std::string tampered = cert;
  tampered[300] ^= 1;
  EXPECT_EQ(VerifyCertificateSignature(tampered, ca).code(), ErrorCode::kPkiCertificateUntrusted);
  // A 2004 issuer key for a 2015 signature.
  auto k2004 = PrivateKey::Generate(Algorithm::kGost2004);
  ASSERT_TRUE(k2004.ok());
  EXPECT_EQ(VerifyCertificateSignature(cert, k2004->public_key()).code(),
            ErrorCode::kPkiCertificateUntrusted);
  // Truncated, trailing bytes, garbage.
  EXPECT_EQ(VerifyCertificateSignature(cert.substr(0, cert.size() - 1), ca).code(),
            ErrorCode::kPkiCertificateMalformed);
  EXPECT_EQ(VerifyCertificateSignature(cert + '\0', ca).code(),
            ErrorCode::kPkiCertificateMalformed);
  EXPECT_EQ(CertificatePublicKey("not a certificate").status().code(),
            ErrorCode::kPkiCertificateMalformed);
  // The outer signature algorithm changed (to the 256-bit OID, same length) while the TBS still
  // names 2015-512: refused before any key is consulted.
  std::string relabelled = cert;
  const std::string outer = der::Oid("1.2.398.3.10.1.1.2.3.2");
  relabelled.replace(relabelled.rfind(outer), outer.size(), der::Oid("1.2.398.3.10.1.1.2.3.1"));
  EXPECT_EQ(VerifyCertificateSignature(relabelled, ca).code(), ErrorCode::kPkiCertificateMalformed);
}

// --- Keys ------------------------------------------------------------------------------------

TEST(GostKeyTest, PublicKeyNegatives) {
  const std::string xy = Unhex(ReadFile("nca-gost-2022-ca-pubkey-xy-le.hex"));
  EXPECT_EQ(PublicKey::FromXy(Algorithm::kGost2015_512, xy.substr(0, 127)).status().code(),
            ErrorCode::kPkiKeyInvalid);
  EXPECT_EQ(PublicKey::FromXy(Algorithm::kGost2015_512, xy + '\0').status().code(),
            ErrorCode::kPkiKeyInvalid);
  std::string off_curve = xy;
  off_curve[5] ^= 1;
  EXPECT_EQ(PublicKey::FromXy(Algorithm::kGost2015_512, off_curve).status().code(),
            ErrorCode::kPkiKeyInvalid);
  // Not converted: x‖y big-endian is not on the curve.
  EXPECT_EQ(PublicKey::FromXy(Algorithm::kGost2015_512,
                              Reverse(xy.substr(0, 64)) + Reverse(xy.substr(64)))
                .status()
                .code(),
            ErrorCode::kPkiKeyInvalid);
  EXPECT_EQ(PublicKey::FromXy(Algorithm::kGost2004, xy.substr(0, 64)).status().code(),
            ErrorCode::kPkiKeyInvalid);

  const PublicKey ca = NcaGost2022CaKey();
  const std::string spki = ca.ToSpki();
  auto back = PublicKey::FromSpki(spki);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->xy_le(), xy);
  // The ShEP certificate's SPKI is byte-identical in shape to ours.
  auto shep = CertificatePublicKey(PemToDer(ReadFile("shep-gateway-cert-gost2015-512.pem")));
  ASSERT_TRUE(shep.ok());
  const std::string shep_der = PemToDer(ReadFile("shep-gateway-cert-gost2015-512.pem"));
  EXPECT_NE(shep_der.find(shep->ToSpki()), std::string::npos);

  const auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = spki;
    const std::string f = der::Oid(from);
    s.replace(s.find(f), f.size(), der::Oid(to));
    return s;
  };
  // 2015 key OID with 2004 parameters; an unknown key OID; the 256-bit key OID; RSA.
  EXPECT_EQ(PublicKey::FromSpki(replace("1.2.398.3.10.1.1.2.2.1", "1.2.398.3.10.1.1.1.1.1"))
                .status()
                .code(),
            ErrorCode::kPkiKeyInvalid);
  EXPECT_EQ(
      PublicKey::FromSpki(replace("1.2.398.3.10.1.1.2.2", "1.2.398.3.10.1.1.1.1")).status().code(),
      ErrorCode::kPkiKeyInvalid);  // 2004 OID, 2015 parameters
  EXPECT_EQ(
      PublicKey::FromSpki(replace("1.2.398.3.10.1.1.2.2", "1.2.398.3.10.1.1.2.1")).status().code(),
      ErrorCode::kWssAlgorithmUnsupported);
  EXPECT_EQ(
      PublicKey::FromSpki(replace("1.2.398.3.10.1.1.2.2", "1.2.840.113549.1.1.1")).status().code(),
      ErrorCode::kWssAlgorithmNotAllowed);
  EXPECT_EQ(PublicKey::FromSpki(spki.substr(0, spki.size() - 1)).status().code(),
            ErrorCode::kPkiKeyInvalid);
  EXPECT_EQ(PublicKey::FromSpki(spki + '\0').status().code(), ErrorCode::kPkiKeyInvalid);
}

TEST(GostKeyTest, GenerateSignVerifyBothAlgorithms) {
  for (const Algorithm a : {Algorithm::kGost2015_512, Algorithm::kGost2004}) {
    auto key = PrivateKey::Generate(a);
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    const std::string digest = ComputeDigest(a, "payload");
    auto sig = key->Sign(digest);
    ASSERT_TRUE(sig.ok()) << sig.status().ToString();
    EXPECT_EQ(sig->size(), Describe(a).signature_size);
    EXPECT_TRUE(key->public_key().Verify(digest, *sig).ok());
    EXPECT_EQ(key->public_key().Verify(ComputeDigest(a, "payloaD"), *sig).code(),
              ErrorCode::kWssSignatureInvalid);
    // Randomised signatures: two differ, both verify.
    auto sig2 = key->SignData("payload");
    ASSERT_TRUE(sig2.ok());
    EXPECT_NE(*sig, *sig2);
    EXPECT_TRUE(key->public_key().VerifyData("payload", *sig2).ok());
    auto other = PrivateKey::Generate(a);
    ASSERT_TRUE(other.ok());
    EXPECT_EQ(other->public_key().Verify(digest, *sig).code(), ErrorCode::kWssSignatureInvalid);
    EXPECT_EQ(key->Sign(digest.substr(1)).status().code(), ErrorCode::kGatewayInternal);
  }
}

TEST(GostKeyTest, Pkcs8RoundTrip) {
  for (const Algorithm a : {Algorithm::kGost2015_512, Algorithm::kGost2004}) {
    auto key = PrivateKey::Generate(a);
    ASSERT_TRUE(key.ok());
    auto from_der = PrivateKey::FromPkcs8Der(key->ToPkcs8Der());
    ASSERT_TRUE(from_der.ok()) << from_der.status().ToString();
    EXPECT_EQ(from_der->public_key().xy_le(), key->public_key().xy_le());
    const std::string pem = key->ToPkcs8Pem();
    EXPECT_EQ(pem.rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u);
    auto from_pem = PrivateKey::FromPkcs8Pem(pem);
    ASSERT_TRUE(from_pem.ok()) << from_pem.status().ToString();
    EXPECT_EQ(from_pem->public_key().xy_le(), key->public_key().xy_le());
    auto sig = from_pem->SignData("x");
    ASSERT_TRUE(sig.ok());
    EXPECT_TRUE(key->public_key().VerifyData("x", *sig).ok());
  }
  EXPECT_EQ(PrivateKey::FromPkcs8Der("junk").status().code(), ErrorCode::kGatewayInternal);
  EXPECT_EQ(
      PrivateKey::FromPkcs8Pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
          .status()
          .code(),
      ErrorCode::kGatewayInternal);
}

TEST(GostKeyTest, NcaTestPkcs12Containers) {
  struct Case {
    const char* file;
    Algorithm algorithm;
  };
  for (const Case& c : {Case{"nca-test-gost2015-legal.p12.b64", Algorithm::kGost2015_512},
                        Case{"nca-test-gost2004-legal.p12.b64", Algorithm::kGost2004}}) {
    SCOPED_TRACE(c.file);
    const std::string p12 = Base64Decode(ReadFile(c.file));
    auto contents = LoadPkcs12(p12, "Qwerty12");
    ASSERT_TRUE(contents.ok()) << contents.status().ToString();
    EXPECT_EQ(contents->key.algorithm(), c.algorithm);
    // The certificate was found and matched to the key (LoadPkcs12 checks the key pair).
    ASSERT_TRUE(contents->certificate_der.has_value());
    auto cert_key = CertificatePublicKey(*contents->certificate_der);
    ASSERT_TRUE(cert_key.ok());
    EXPECT_EQ(cert_key->xy_le(), contents->key.public_key().xy_le());
    auto sig = contents->key.SignData("signed by an NCA TEST key");
    ASSERT_TRUE(sig.ok());
    EXPECT_TRUE(cert_key->VerifyData("signed by an NCA TEST key", *sig).ok());
    // Our PKCS#8 of the key reads back to the same key (NCA's layout, see gost.h).
    auto again = PrivateKey::FromPkcs8Der(contents->key.ToPkcs8Der());
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->public_key().xy_le(), cert_key->xy_le());

    auto wrong = LoadPkcs12(p12, "qwerty12");
    EXPECT_EQ(wrong.status().code(), ErrorCode::kGatewayInternal);
    EXPECT_NE(wrong.status().message().find("wrong password"), std::string::npos);
  }
  EXPECT_EQ(LoadPkcs12("junk", "x").status().code(), ErrorCode::kGatewayInternal);
}

TEST(GostKeyTest, Pkcs12StoreLoadRoundTrip) {
  const auto now = system_clock::now();
  for (const Algorithm a : {Algorithm::kGost2015_512, Algorithm::kGost2004}) {
    auto key = PrivateKey::Generate(a);
    ASSERT_TRUE(key.ok());
    CertificateTemplate t;
    t.subject = {{"CN", "шлюз TEST"}, {"C", "KZ"}};
    t.not_before = now - hours(1);
    t.not_after = now + hours(24);
    auto cert = IssueCertificate(t, key->public_key(), *key, "");
    ASSERT_TRUE(cert.ok()) << cert.status().ToString();
    auto p12 = StorePkcs12(*key, *cert, "s3cret");
    ASSERT_TRUE(p12.ok()) << p12.status().ToString();
    auto back = LoadPkcs12(*p12, "s3cret");
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->key.public_key().xy_le(), key->public_key().xy_le());
    ASSERT_TRUE(back->certificate_der.has_value());
    EXPECT_EQ(*back->certificate_der, *cert);
    EXPECT_NE(LoadPkcs12(*p12, "S3cret").status().message().find("wrong password"),
              std::string::npos);
    // A certificate of another key is refused.
    auto other = PrivateKey::Generate(a);
    ASSERT_TRUE(other.ok());
    EXPECT_EQ(StorePkcs12(*other, *cert, "x").status().code(), ErrorCode::kGatewayInternal);
  }
}

// --- Issuance --------------------------------------------------------------------------------

TEST(GostIssueTest, ChainAndCrl) {
  const auto now = system_clock::now();
  for (const Algorithm a : {Algorithm::kGost2015_512, Algorithm::kGost2004}) {
    SCOPED_TRACE(std::string(Describe(a).name));
    auto root_key = PrivateKey::Generate(a);
    auto leaf_key = PrivateKey::Generate(a);
    ASSERT_TRUE(root_key.ok() && leaf_key.ok());
    CertificateTemplate root_t;
    root_t.subject = {{"CN", "ТЕСТ ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST)"}, {"C", "KZ"}};
    root_t.serial = 1;
    root_t.not_before = now - hours(1);
    root_t.not_after = now + hours(24 * 365);
    root_t.ca = true;
    root_t.key_usage = "critical,keyCertSign,cRLSign";
    auto root = IssueCertificate(root_t, root_key->public_key(), *root_key, "");
    ASSERT_TRUE(root.ok()) << root.status().ToString();
    EXPECT_TRUE(VerifyCertificateSignature(*root, root_key->public_key()).ok());

    CertificateTemplate leaf_t;
    leaf_t.subject = {{"CN", "ТЕСТОВ ТЕСТ"}, {"serialNumber", "IIN123456789011"}, {"C", "KZ"}};
    leaf_t.serial = 0x1234;
    leaf_t.not_before = now - hours(1);
    leaf_t.not_after = now + hours(24);
    auto leaf = IssueCertificate(leaf_t, leaf_key->public_key(), *root_key, *root);
    ASSERT_TRUE(leaf.ok()) << leaf.status().ToString();
    EXPECT_TRUE(VerifyCertificateSignature(*leaf, root_key->public_key()).ok());
    EXPECT_EQ(VerifyCertificateSignature(*leaf, leaf_key->public_key()).code(),
              ErrorCode::kPkiCertificateUntrusted);
    auto leaf_pub = CertificatePublicKey(*leaf);
    ASSERT_TRUE(leaf_pub.ok());
    EXPECT_EQ(leaf_pub->xy_le(), leaf_key->public_key().xy_le());

    // OpenSSL reads what we issue: names, issuer link, extensions (for the trust store).
    const auto* p = reinterpret_cast<const unsigned char*>(leaf->data());
    X509* x = d2i_X509(nullptr, &p, static_cast<long>(leaf->size()));
    p = reinterpret_cast<const unsigned char*>(root->data());
    X509* rx = d2i_X509(nullptr, &p, static_cast<long>(root->size()));
    ASSERT_TRUE(x != nullptr && rx != nullptr);
    EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(rx)), 0);
    EXPECT_EQ(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(x), X509_get0_subject_key_id(rx)),
              0);
    EXPECT_TRUE(X509_get_key_usage(x) & KU_DIGITAL_SIGNATURE);
    EXPECT_TRUE(X509_check_ca(rx));
    EXPECT_FALSE(X509_check_ca(x));
    X509_free(x);

    CrlTemplate crl_t;
    crl_t.crl_number = 7;
    crl_t.this_update = now - hours(1);
    crl_t.next_update = now + hours(24);
    crl_t.revoked = {{0x1234, now - hours(1)}};
    auto crl = IssueCrl(crl_t, *root_key, *root);
    ASSERT_TRUE(crl.ok()) << crl.status().ToString();
    EXPECT_TRUE(VerifyCrlSignature(*crl, root_key->public_key()).ok());
    EXPECT_EQ(VerifyCrlSignature(*crl, leaf_key->public_key()).code(),
              ErrorCode::kPkiRevocationUnknown);
    std::string tampered = *crl;
    tampered[40] ^= 1;
    EXPECT_EQ(VerifyCrlSignature(tampered, root_key->public_key()).code(),
              ErrorCode::kPkiRevocationUnknown);
    EXPECT_EQ(VerifyCrlSignature(crl->substr(0, 20), root_key->public_key()).code(),
              ErrorCode::kPkiRevocationUnknown);
    p = reinterpret_cast<const unsigned char*>(crl->data());
    X509_CRL* xcrl = d2i_X509_CRL(nullptr, &p, static_cast<long>(crl->size()));
    ASSERT_NE(xcrl, nullptr);
    EXPECT_EQ(X509_NAME_cmp(X509_CRL_get_issuer(xcrl), X509_get_subject_name(rx)), 0);
    ASN1_INTEGER* serial = ASN1_INTEGER_new();
    ASN1_INTEGER_set_uint64(serial, 0x1234);
    X509_REVOKED* revoked = nullptr;
    EXPECT_EQ(X509_CRL_get0_by_serial(xcrl, &revoked, serial), 1);
    ASN1_INTEGER_set_uint64(serial, 0x1235);
    EXPECT_EQ(X509_CRL_get0_by_serial(xcrl, &revoked, serial), 0);
    ASN1_INTEGER_free(serial);
    X509_CRL_free(xcrl);
    X509_free(rx);

    // The issuer certificate must belong to the issuer key.
    EXPECT_FALSE(IssueCertificate(leaf_t, leaf_key->public_key(), *leaf_key, *root).ok());
  }
}

}  // namespace
}  // namespace shepgw::pki::gost
