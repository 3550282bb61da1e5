// GOST certificates and CRLs: splitting them into the signed bytes and the signature, verifying
// them under an issuer key, and issuing them for test PKIs in NCA's format.
//
// OpenSSL parses NCA certificates (d2i_X509 succeeds) but cannot verify them: the Kazakh OIDs
// in the signature algorithm and the SPKI mean nothing to it. The outer structure is walked here
// with a strict DER reader, so the signed bytes are exactly the TBS as received.
#include <openssl/objects.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "shepgw/pki/gost.h"

#include "pki/der.h"
#include "pki/gost_internal.h"
#include "pki/openssl_util.h"

namespace shepgw::pki::gost {
namespace {

// Certificate and CertificateList share one outer shape: SEQUENCE{tbs, AlgorithmIdentifier,
// BIT STRING}.
Result<SignedObject> Split(std::string_view der_bytes, ErrorCode code, const char* what) {
  const auto bad = [&](const std::string& why) {
    return Status(code, std::string(what) + " is not well-formed DER: " + why);
  };
  auto outer = der::ParseSingle(der_bytes, der::kSequence);
  if (!outer) {
    return bad("not one SEQUENCE (truncated or trailing bytes)");
  }
  der::Reader r(outer->content);
  der::Tlv tbs;
  der::Tlv alg;
  der::Tlv sig;
  if (!r.Expect(der::kSequence, &tbs) || !r.Expect(der::kSequence, &alg) ||
      !r.Expect(der::kBitString, &sig) || !r.done()) {
    return bad("not SEQUENCE{tbs, signatureAlgorithm, signatureValue}");
  }
  der::Reader ar(alg.content);
  der::Tlv oid;
  der::Tlv params;
  if (!ar.Expect(der::kOid, &oid) || (!ar.done() && (!ar.Next(&params) || !ar.done()))) {
    return bad("malformed signatureAlgorithm");
  }
  auto text = der::OidToText(oid.content);
  if (!text) {
    return bad("malformed signature algorithm OID");
  }
  if (sig.content.empty() || sig.content[0] != 0) {
    return bad("signatureValue with unused bits");
  }
  // The TBS carries the signature algorithm again (RFC 5280 4.1.1.2, 5.1.1.2); they must agree,
  // or a verifier could be told one algorithm while the signer meant another.
  der::Reader tr(tbs.content);
  der::Tlv field;
  if (!tr.Next(&field)) {
    return bad("empty tbs");
  }
  if (field.tag == der::ContextCons(0) || field.tag == der::kInteger) {
    // Certificate: [0] version, serial; CRL: version.
    if (field.tag == der::ContextCons(0) && !tr.Expect(der::kInteger, &field)) {
      return bad("tbs without serial number");
    }
    if (!tr.Next(&field)) {
      return bad("tbs without signature algorithm");
    }
  }
  if (field.tag != der::kSequence || field.whole != alg.whole) {
    return bad("the signature algorithm inside the tbs differs from the outer one");
  }
  return SignedObject{std::string(tbs.whole), std::move(*text), std::string(sig.content.substr(1))};
}

// The certificate's TBS fields up to the SPKI; subject and spki are whole TLVs.
struct TbsFields {
  std::string_view subject;
  std::string_view spki;
};
std::optional<TbsFields> ReadTbs(std::string_view tbs_der) {
  auto tbs = der::ParseSingle(tbs_der, der::kSequence);
  if (!tbs) {
    return std::nullopt;
  }
  der::Reader r(tbs->content);
  der::Tlv t;
  if (r.PeekTag(der::ContextCons(0)) && !r.Next(&t)) {
    return std::nullopt;
  }
  der::Tlv issuer;
  der::Tlv validity;
  der::Tlv subject;
  der::Tlv spki;
  if (!r.Expect(der::kInteger, &t) || !r.Expect(der::kSequence, &t) ||
      !r.Expect(der::kSequence, &issuer) || !r.Expect(der::kSequence, &validity) ||
      !r.Expect(der::kSequence, &subject) || !r.Expect(der::kSequence, &spki)) {
    return std::nullopt;
  }
  return TbsFields{subject.whole, spki.whole};
}

Status VerifySigned(const SignedObject& obj, const PublicKey& issuer, ErrorCode code,
                    const char* what) {
  auto algorithm = AlgorithmFromSignatureOid(obj.signature_oid);
  if (!algorithm.ok()) {
    return algorithm.status();
  }
  if (*algorithm != issuer.algorithm()) {
    return {code, std::string(what) + " is signed with " + std::string(Describe(*algorithm).name) +
                      " but the issuer key is " + std::string(Describe(issuer.algorithm()).name)};
  }
  Status st = issuer.Verify(ComputeDigest(*algorithm, obj.tbs), obj.signature);
  if (!st.ok()) {
    return {code,
            std::string(what) + " signature does not verify under the issuer key: " + st.message()};
  }
  return Status::Ok();
}

std::string Sha1(std::string_view data) {
  unsigned char md[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  return {reinterpret_cast<const char*>(md), sizeof md};
}

// RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING's value.
std::string KeyIdentifier(const PublicKey& key) { return Sha1(der::OctetString(key.xy_le())); }

std::string Extension(std::string_view oid, bool critical, std::string_view value_der) {
  std::string content = der::Oid(oid);
  if (critical) {
    content += std::string("\x01\x01\xff", 3);
  }
  content += der::OctetString(value_der);
  return der::Sequence(content);
}

// An extension OpenSSL builds from its config syntax ("critical,digitalSignature").
Result<std::string> ConfExtension(int nid, const std::string& value) {
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, nullptr, nid, value.c_str());
  if (ext == nullptr) {
    return Status(ErrorCode::kGatewayInternal,
                  "bad extension value \"" + value + "\": " + pki::internal::DrainOpenSslErrors());
  }
  unsigned char* buf = nullptr;
  const int len = i2d_X509_EXTENSION(ext, &buf);
  X509_EXTENSION_free(ext);
  if (len <= 0) {
    return Status(ErrorCode::kGatewayInternal, "cannot encode extension");
  }
  std::string out(reinterpret_cast<const char*>(buf), static_cast<size_t>(len));
  OPENSSL_free(buf);
  return out;
}

Result<std::string> BuildName(const std::vector<std::pair<std::string, std::string>>& rdns) {
  X509_NAME* name = X509_NAME_new();
  for (const auto& [field, value] : rdns) {
    if (X509_NAME_add_entry_by_txt(name, field.c_str(), MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1,
                                   0) != 1) {
      X509_NAME_free(name);
      return Status(ErrorCode::kGatewayInternal,
                    "bad subject attribute " + field + ": " + pki::internal::DrainOpenSslErrors());
    }
  }
  unsigned char* buf = nullptr;
  const int len = i2d_X509_NAME(name, &buf);
  X509_NAME_free(name);
  if (len <= 0) {
    return Status(ErrorCode::kGatewayInternal, "cannot encode the subject name");
  }
  std::string out(reinterpret_cast<const char*>(buf), static_cast<size_t>(len));
  OPENSSL_free(buf);
  return out;
}

// The issuer's subject name (exact bytes) and key identifier (its SKI extension when present,
// else computed as ours).
struct IssuerFacts {
  std::string name;
  std::string key_id;
};
Result<IssuerFacts> ReadIssuer(std::string_view issuer_cert_der, const PrivateKey& issuer_key) {
  auto split = SplitCertificate(issuer_cert_der);
  std::optional<TbsFields> fields;
  if (split.ok()) {
    fields = ReadTbs(split->tbs);
  }
  if (!fields) {
    return Status(ErrorCode::kGatewayInternal, "the issuer certificate is malformed");
  }
  auto issuer_pub = CertificatePublicKey(issuer_cert_der);
  if (!issuer_pub.ok() || issuer_pub->algorithm() != issuer_key.algorithm() ||
      issuer_pub->xy_le() != issuer_key.public_key().xy_le()) {
    return Status(ErrorCode::kGatewayInternal,
                  "the issuer certificate does not belong to the issuer key");
  }
  IssuerFacts facts{std::string(fields->subject), KeyIdentifier(*issuer_pub)};
  const auto* p = reinterpret_cast<const unsigned char*>(issuer_cert_der.data());
  X509* x = d2i_X509(nullptr, &p, static_cast<long>(issuer_cert_der.size()));
  if (x != nullptr) {
    if (const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(x); ski != nullptr) {
      facts.key_id.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(ski)),
                          static_cast<size_t>(ASN1_STRING_length(ski)));
    }
    X509_free(x);
  }
  pki::internal::DrainOpenSslErrors();
  return facts;
}

std::string AuthorityKeyId(std::string_view key_id) {
  // SEQUENCE{[0] IMPLICIT keyIdentifier}
  return Extension("2.5.29.35", false, der::Sequence(der::Encode(0x80, key_id)));
}

Result<std::string> SignTbs(const std::string& tbs, const PrivateKey& issuer_key) {
  auto sig = issuer_key.SignData(tbs);
  if (!sig.ok()) {
    return sig.status();
  }
  const AlgorithmInfo& a = Describe(issuer_key.algorithm());
  return der::Sequence(tbs +
                       der::Sequence(der::Oid(a.signature_oid) + der::Encode(der::kNull, "")) +
                       der::BitString(*sig));
}

}  // namespace

Result<SignedObject> SplitCertificate(std::string_view cert_der) {
  return Split(cert_der, ErrorCode::kPkiCertificateMalformed, "certificate");
}

Result<SignedObject> SplitCrl(std::string_view crl_der) {
  return Split(crl_der, ErrorCode::kPkiRevocationUnknown, "CRL");
}

Result<PublicKey> CertificatePublicKey(std::string_view cert_der) {
  auto split = SplitCertificate(cert_der);
  if (!split.ok()) {
    return split.status();
  }
  auto fields = ReadTbs(split->tbs);
  if (!fields) {
    return Status(ErrorCode::kPkiCertificateMalformed,
                  "certificate is not well-formed DER: malformed TBSCertificate");
  }
  return PublicKey::FromSpki(fields->spki);
}

Status VerifyCertificateSignature(std::string_view cert_der, const PublicKey& issuer) {
  auto split = SplitCertificate(cert_der);
  if (!split.ok()) {
    return split.status();
  }
  return VerifySigned(*split, issuer, ErrorCode::kPkiCertificateUntrusted, "certificate");
}

Status VerifyCrlSignature(std::string_view crl_der, const PublicKey& issuer) {
  auto split = SplitCrl(crl_der);
  if (!split.ok()) {
    return split.status();
  }
  return VerifySigned(*split, issuer, ErrorCode::kPkiRevocationUnknown, "CRL");
}

Result<std::string> IssueCertificate(const CertificateTemplate& tmpl, const PublicKey& subject_key,
                                     const PrivateKey& issuer_key,
                                     std::string_view issuer_cert_der) {
  auto subject = BuildName(tmpl.subject);
  if (!subject.ok()) {
    return subject.status();
  }
  const std::string own_key_id = KeyIdentifier(subject_key);
  IssuerFacts issuer{*subject, own_key_id};
  if (issuer_cert_der.empty()) {
    if (subject_key.xy_le() != issuer_key.public_key().xy_le()) {
      return Status(ErrorCode::kGatewayInternal,
                    "a self-signed certificate needs the subject's own key as issuer key");
    }
  } else {
    auto facts = ReadIssuer(issuer_cert_der, issuer_key);
    if (!facts.ok()) {
      return facts.status();
    }
    issuer = std::move(facts).value();
  }
  std::string extensions;
  if (tmpl.ca) {
    auto bc = ConfExtension(NID_basic_constraints, "critical,CA:TRUE");
    if (!bc.ok()) {
      return bc.status();
    }
    extensions += *bc;
  }
  if (!tmpl.key_usage.empty()) {
    auto ku = ConfExtension(NID_key_usage, tmpl.key_usage);
    if (!ku.ok()) {
      return ku.status();
    }
    extensions += *ku;
  }
  for (const auto& [name, value] : tmpl.extra_extensions) {
    const int nid = OBJ_sn2nid(name.c_str());
    if (nid == NID_undef) {
      return Status(ErrorCode::kGatewayInternal, "unknown extension \"" + name + "\"");
    }
    auto extra = ConfExtension(nid, value);
    if (!extra.ok()) {
      return extra.status();
    }
    extensions += *extra;
  }
  extensions += Extension("2.5.29.14", false, der::OctetString(own_key_id));
  extensions += AuthorityKeyId(issuer.key_id);

  const AlgorithmInfo& a = Describe(issuer_key.algorithm());
  const std::string tbs = der::Sequence(
      der::Encode(der::ContextCons(0), der::Integer(2)) + der::Integer(tmpl.serial) +
      der::Sequence(der::Oid(a.signature_oid) + der::Encode(der::kNull, "")) + issuer.name +
      der::Sequence(der::Time(tmpl.not_before) + der::Time(tmpl.not_after)) + *subject +
      subject_key.ToSpki() + der::Encode(der::ContextCons(3), der::Sequence(extensions)));
  return SignTbs(tbs, issuer_key);
}

Result<std::string> IssueCrl(const CrlTemplate& tmpl, const PrivateKey& issuer_key,
                             std::string_view issuer_cert_der) {
  auto issuer = ReadIssuer(issuer_cert_der, issuer_key);
  if (!issuer.ok()) {
    return issuer.status();
  }
  const AlgorithmInfo& a = Describe(issuer_key.algorithm());
  std::string revoked;
  for (const auto& [serial, when] : tmpl.revoked) {
    revoked += der::Sequence(der::Integer(serial) + der::Time(when));
  }
  std::string tbs_content =
      der::Integer(1) + der::Sequence(der::Oid(a.signature_oid) + der::Encode(der::kNull, "")) +
      issuer->name + der::Time(tmpl.this_update) + der::Time(tmpl.next_update);
  if (!revoked.empty()) {
    tbs_content += der::Sequence(revoked);  // omitted when empty (RFC 5280 5.1.2.6)
  }
  const std::string extensions =
      AuthorityKeyId(issuer->key_id) + Extension("2.5.29.20", false, der::Integer(tmpl.crl_number));
  tbs_content += der::Encode(der::ContextCons(0), der::Sequence(extensions));
  return SignTbs(der::Sequence(tbs_content), issuer_key);
}

}  // namespace shepgw::pki::gost
