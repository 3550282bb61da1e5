// GOST private keys in PKCS#8 (as NCA writes them) and in NCA's PKCS#12 containers.
//
// OpenSSL cannot turn a Kazakh-OID PrivateKeyInfo into an EVP_PKEY, but everything around it is
// standard: PKCS#12 with a pkcs8ShroudedKeyBag (pbeWithSHAAnd3-KeyTripleDES-CBC) and a
// certificate bag in an encryptedData (pbeWithSHAAnd40BitRC2-CBC). So OpenSSL opens the
// container and decrypts the bags, and this file reads the PrivateKeyInfo itself.
#include <mutex>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "shepgw/pki/gost.h"

#include "pki/der.h"
#include "pki/gost_internal.h"
#include "pki/openssl_util.h"

namespace shepgw::pki::gost {
namespace {

Status Error(std::string message) { return {ErrorCode::kGatewayInternal, std::move(message)}; }

constexpr const char* kPemLabel = "PRIVATE KEY";

// A library context of our own with the default and legacy providers: NCA's certificate bags
// use RC2-40, which OpenSSL 3 keeps in the legacy provider. Loading it here keeps RC2 and friends
// out of the process's default context (TLS, xmlsec). Never freed (process lifetime).
OSSL_LIB_CTX* Pkcs12LibraryContext(std::string* legacy_error) {
  static OSSL_LIB_CTX* ctx = nullptr;
  static std::string error;
  static std::once_flag once;
  std::call_once(once, [] {
    ctx = OSSL_LIB_CTX_new();
    if (ctx == nullptr || OSSL_PROVIDER_load(ctx, "default") == nullptr) {
      error = "cannot create an OpenSSL library context: " + pki::internal::DrainOpenSslErrors();
      return;
    }
    if (OSSL_PROVIDER_load(ctx, "legacy") == nullptr) {
      error = "OpenSSL's legacy provider (needed for RC2-40 bags) is unavailable: " +
              pki::internal::DrainOpenSslErrors();
    }
  });
  *legacy_error = error;
  return ctx;
}

struct Pkcs12Free {
  void operator()(PKCS12* p) const { PKCS12_free(p); }
};
struct Pkcs7StackFree {
  void operator()(STACK_OF(PKCS7) * s) const { sk_PKCS7_pop_free(s, PKCS7_free); }
};
struct SafeBagStackFree {
  void operator()(STACK_OF(PKCS12_SAFEBAG) * s) const {
    sk_PKCS12_SAFEBAG_pop_free(s, PKCS12_SAFEBAG_free);
  }
};
struct P8Free {
  void operator()(PKCS8_PRIV_KEY_INFO* p) const { PKCS8_PRIV_KEY_INFO_free(p); }
};

}  // namespace

Result<PrivateKey> PrivateKey::FromPkcs8Der(std::string_view der_bytes) {
  const auto bad = [](const std::string& what) {
    return Error("GOST PKCS#8 private key: " + what);
  };
  auto info = der::ParseSingle(der_bytes, der::kSequence);
  if (!info) {
    return bad("not a DER SEQUENCE");
  }
  der::Reader r(info->content);
  der::Tlv version;
  der::Tlv alg;
  der::Tlv key;
  if (!r.Expect(der::kInteger, &version) || version.content != std::string_view("\0", 1)) {
    return bad("version is not 0");
  }
  if (!r.Expect(der::kSequence, &alg) || !r.Expect(der::kOctetString, &key)) {
    return bad("not PrivateKeyInfo{version, AlgorithmIdentifier, OCTET STRING}");
  }
  // Optional [0] attributes follow; nothing else.
  der::Tlv attributes;
  if (!r.done() && (!r.Expect(der::ContextCons(0), &attributes) || !r.done())) {
    return bad("trailing data after the key");
  }
  auto algorithm = internal::ParseKeyAlgorithmIdentifier(alg.whole);
  if (!algorithm.ok()) {
    return bad(algorithm.status().message());
  }
  if (*algorithm == Algorithm::kGost2015_512) {
    // OCTET STRING(64): d little-endian.
    auto inner = der::ParseSingle(key.content, der::kOctetString);
    if (!inner || inner->content.size() != 64) {
      return bad("a gost2015-512 key must hold OCTET STRING(64) (d little-endian)");
    }
    std::string d_be = internal::Reversed(inner->content);
    auto k = FromScalar(*algorithm, d_be);
    OPENSSL_cleanse(d_be.data(), d_be.size());
    return k;
  }
  // GOST 2004: INTEGER d.
  auto inner = der::ParseSingle(key.content, der::kInteger);
  if (!inner || inner->content.empty() || (static_cast<uint8_t>(inner->content[0]) & 0x80)) {
    return bad("a gost2004 key must hold a positive INTEGER (d)");
  }
  return FromScalar(*algorithm, inner->content);
}

std::string PrivateKey::ToPkcs8Der() const {
  std::string inner = algorithm_ == Algorithm::kGost2015_512
                          ? der::OctetString(internal::Reversed(d_be_))
                          : der::UnsignedInteger(d_be_);
  std::string out = der::Sequence(der::Integer(0) + internal::KeyAlgorithmIdentifier(algorithm_) +
                                  der::OctetString(inner));
  OPENSSL_cleanse(inner.data(), inner.size());
  return out;
}

Result<PrivateKey> PrivateKey::FromPkcs8Pem(std::string_view pem) {
  pki::internal::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long len = 0;
  if (!bio || PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1) {
    return Error("GOST private key: no PEM block: " + pki::internal::DrainOpenSslErrors());
  }
  const std::string label = name;
  const std::string der_bytes(reinterpret_cast<const char*>(data), static_cast<size_t>(len));
  OPENSSL_free(name);
  OPENSSL_free(header);
  OPENSSL_clear_free(data, static_cast<size_t>(len));
  if (label != kPemLabel) {
    return Error("GOST private key: PEM block is \"" + label + R"(", expected "PRIVATE KEY")");
  }
  auto key = FromPkcs8Der(der_bytes);
  OPENSSL_cleanse(const_cast<char*>(der_bytes.data()), der_bytes.size());
  return key;
}

std::string PrivateKey::ToPkcs8Pem() const {
  std::string der_bytes = ToPkcs8Der();
  pki::internal::BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio(bio.get(), kPemLabel, "", reinterpret_cast<const unsigned char*>(der_bytes.data()),
                static_cast<long>(der_bytes.size()));
  OPENSSL_cleanse(der_bytes.data(), der_bytes.size());
  char* p = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &p);
  std::string pem(p, static_cast<size_t>(n));
  OPENSSL_cleanse(p, static_cast<size_t>(n));
  return pem;
}

Result<Pkcs12Contents> LoadPkcs12(std::string_view der_bytes, std::string_view password) {
  const auto bad = [](const std::string& what) { return Error("PKCS#12: " + what); };
  const std::string pass(password);
  const int pass_len = static_cast<int>(pass.size());
  const auto* p = reinterpret_cast<const unsigned char*>(der_bytes.data());
  std::unique_ptr<PKCS12, Pkcs12Free> p12(
      d2i_PKCS12(nullptr, &p, static_cast<long>(der_bytes.size())));
  if (!p12) {
    return bad("not a DER PKCS#12 container: " + pki::internal::DrainOpenSslErrors());
  }
  if (PKCS12_mac_present(p12.get()) && PKCS12_verify_mac(p12.get(), pass.c_str(), pass_len) != 1) {
    pki::internal::DrainOpenSslErrors();
    return bad("wrong password (MAC check failed)");
  }
  std::string legacy_error;
  OSSL_LIB_CTX* ctx = Pkcs12LibraryContext(&legacy_error);
  std::unique_ptr<STACK_OF(PKCS7), Pkcs7StackFree> safes(PKCS12_unpack_authsafes(p12.get()));
  if (!safes) {
    return bad("cannot read the authenticated safes: " + pki::internal::DrainOpenSslErrors());
  }
  std::optional<PrivateKey> key;
  std::vector<std::string> certificates;
  for (int i = 0; i < sk_PKCS7_num(safes.get()); ++i) {
    PKCS7* p7 = sk_PKCS7_value(safes.get(), i);
    std::unique_ptr<STACK_OF(PKCS12_SAFEBAG), SafeBagStackFree> bags;
    const int nid = OBJ_obj2nid(p7->type);
    if (nid == NID_pkcs7_data) {
      bags.reset(PKCS12_unpack_p7data(p7));
    } else if (nid == NID_pkcs7_encrypted && p7->d.encrypted != nullptr &&
               p7->d.encrypted->enc_data != nullptr) {
      // Decrypted in our own library context (RC2-40 lives in the legacy provider).
      bags.reset(static_cast<STACK_OF(PKCS12_SAFEBAG)*>(PKCS12_item_decrypt_d2i_ex(
          p7->d.encrypted->enc_data->algorithm, ASN1_ITEM_rptr(PKCS12_SAFEBAGS), pass.c_str(),
          pass_len, p7->d.encrypted->enc_data->enc_data, 1, ctx, nullptr)));
    }
    if (!bags) {
      std::string why = pki::internal::DrainOpenSslErrors();
      if (!legacy_error.empty()) {
        why += "; " + legacy_error;
      }
      return bad("cannot decrypt safe " + std::to_string(i) + ": " + why);
    }
    for (int j = 0; j < sk_PKCS12_SAFEBAG_num(bags.get()); ++j) {
      const PKCS12_SAFEBAG* bag = sk_PKCS12_SAFEBAG_value(bags.get(), j);
      const int bag_nid = PKCS12_SAFEBAG_get_nid(bag);
      if (bag_nid == NID_pkcs8ShroudedKeyBag || bag_nid == NID_keyBag) {
        if (key) {
          return bad("more than one private key");
        }
        std::unique_ptr<PKCS8_PRIV_KEY_INFO, P8Free> owned;
        const PKCS8_PRIV_KEY_INFO* p8 = nullptr;
        if (bag_nid == NID_keyBag) {
          p8 = PKCS12_SAFEBAG_get0_p8inf(bag);
        } else {
          owned.reset(PKCS12_decrypt_skey_ex(bag, pass.c_str(), pass_len, ctx, nullptr));
          p8 = owned.get();
        }
        unsigned char* buf = nullptr;
        const int len = p8 != nullptr ? i2d_PKCS8_PRIV_KEY_INFO(p8, &buf) : -1;
        if (len <= 0) {
          return bad("cannot decrypt the key bag: " + pki::internal::DrainOpenSslErrors());
        }
        auto k = PrivateKey::FromPkcs8Der(
            std::string_view(reinterpret_cast<const char*>(buf), static_cast<size_t>(len)));
        OPENSSL_clear_free(buf, static_cast<size_t>(len));
        if (!k.ok()) {
          return k.status();
        }
        key.emplace(std::move(k).value());
      } else if (bag_nid == NID_certBag) {
        X509* cert = PKCS12_SAFEBAG_get1_cert(bag);
        unsigned char* buf = nullptr;
        const int len = cert != nullptr ? i2d_X509(cert, &buf) : -1;
        X509_free(cert);
        if (len <= 0) {
          return bad("unreadable certificate bag: " + pki::internal::DrainOpenSslErrors());
        }
        certificates.emplace_back(reinterpret_cast<const char*>(buf), static_cast<size_t>(len));
        OPENSSL_free(buf);
      }
    }
  }
  if (!key) {
    return bad("no private key bag");
  }
  Pkcs12Contents out{std::move(*key), std::nullopt};
  for (const std::string& cert : certificates) {
    auto pub = CertificatePublicKey(cert);
    if (pub.ok() && pub->algorithm() == out.key.algorithm() &&
        pub->xy_le() == out.key.public_key().xy_le()) {
      out.certificate_der = cert;
      return out;
    }
  }
  if (!certificates.empty()) {
    return bad("no certificate in the container matches its private key");
  }
  return out;
}

Result<std::string> StorePkcs12(const PrivateKey& key, std::string_view certificate_der,
                                std::string_view password) {
  const auto bad = [](const std::string& what) {
    return Error("PKCS#12: " + what + ": " + pki::internal::DrainOpenSslErrors());
  };
  auto cert_key = CertificatePublicKey(certificate_der);
  if (!cert_key.ok() || cert_key->algorithm() != key.algorithm() ||
      cert_key->xy_le() != key.public_key().xy_le()) {
    return Error("PKCS#12: the certificate does not belong to the key");
  }
  const std::string pass(password);
  const int pass_len = static_cast<int>(pass.size());
  std::string p8_der = key.ToPkcs8Der();
  const auto* p = reinterpret_cast<const unsigned char*>(p8_der.data());
  std::unique_ptr<PKCS8_PRIV_KEY_INFO, P8Free> p8(
      d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, static_cast<long>(p8_der.size())));
  OPENSSL_cleanse(p8_der.data(), p8_der.size());
  p = reinterpret_cast<const unsigned char*>(certificate_der.data());
  X509* x = d2i_X509(nullptr, &p, static_cast<long>(certificate_der.size()));
  if (!p8 || x == nullptr) {
    X509_free(x);
    return bad("cannot decode the key or the certificate");
  }
  // Both bags carry the same localKeyId (the certificate's SHA-1), as PKCS12_create does.
  unsigned char id[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(certificate_der.data()), certificate_der.size(), id);
  PKCS12_SAFEBAG* cert_bag = PKCS12_SAFEBAG_create_cert(x);
  X509_free(x);
  PKCS12_SAFEBAG* key_bag =
      PKCS12_SAFEBAG_create_pkcs8_encrypt_ex(NID_aes_256_cbc, pass.c_str(), pass_len, nullptr, 0,
                                             PKCS12_DEFAULT_ITER, p8.get(), nullptr, nullptr);
  std::unique_ptr<STACK_OF(PKCS12_SAFEBAG), SafeBagStackFree> cert_bags(
      sk_PKCS12_SAFEBAG_new_null());
  std::unique_ptr<STACK_OF(PKCS12_SAFEBAG), SafeBagStackFree> key_bags(
      sk_PKCS12_SAFEBAG_new_null());
  if (cert_bag == nullptr || key_bag == nullptr || !cert_bags || !key_bags ||
      PKCS12_add_localkeyid(cert_bag, id, sizeof id) != 1 ||
      PKCS12_add_localkeyid(key_bag, id, sizeof id) != 1 ||
      sk_PKCS12_SAFEBAG_push(cert_bags.get(), cert_bag) <= 0) {
    PKCS12_SAFEBAG_free(cert_bag);
    PKCS12_SAFEBAG_free(key_bag);
    return bad("cannot build the bags");
  }
  if (sk_PKCS12_SAFEBAG_push(key_bags.get(), key_bag) <= 0) {
    PKCS12_SAFEBAG_free(key_bag);
    return bad("cannot build the bags");
  }
  std::unique_ptr<STACK_OF(PKCS7), Pkcs7StackFree> safes(sk_PKCS7_new_null());
  PKCS7* cert_safe =
      PKCS12_pack_p7encdata_ex(NID_aes_256_cbc, pass.c_str(), pass_len, nullptr, 0,
                               PKCS12_DEFAULT_ITER, cert_bags.get(), nullptr, nullptr);
  if (cert_safe == nullptr || sk_PKCS7_push(safes.get(), cert_safe) <= 0) {
    PKCS7_free(cert_safe);
    return bad("cannot encrypt the certificate bag");
  }
  PKCS7* key_safe = PKCS12_pack_p7data(key_bags.get());
  if (key_safe == nullptr || sk_PKCS7_push(safes.get(), key_safe) <= 0) {
    PKCS7_free(key_safe);
    return bad("cannot pack the key bag");
  }
  std::unique_ptr<PKCS12, Pkcs12Free> p12(PKCS12_add_safes(safes.get(), 0));
  if (!p12 || PKCS12_set_mac(p12.get(), pass.c_str(), pass_len, nullptr, 0, PKCS12_DEFAULT_ITER,
                             EVP_sha256()) != 1) {
    return bad("cannot assemble the container");
  }
  unsigned char* buf = nullptr;
  const int len = i2d_PKCS12(p12.get(), &buf);
  if (len <= 0) {
    return bad("cannot encode the container");
  }
  std::string out(reinterpret_cast<const char*>(buf), static_cast<size_t>(len));
  OPENSSL_free(buf);
  return out;
}

}  // namespace shepgw::pki::gost
