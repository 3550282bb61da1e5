// The gateway's own signing certificate and key: RSA/EC keys through OpenSSL, GOST keys
// (gost2015-512) from a PKCS#8 file or an NCA PKCS#12 container through pki/gost.h.

#include <optional>
#include <utility>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "shepgw/pki/gost.h"
#include "shepgw/pki/trust.h"

#include "pki/openssl_util.h"

namespace shepgw::pki {
namespace {

// Refuses to prompt: without a callback OpenSSL would ask for a passphrase on the terminal
// (or block reading stdin under systemd) when the key file is encrypted.
int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) { return -1; }

Status Error(std::string message) { return {ErrorCode::kGatewayInternal, std::move(message)}; }

// Key files and containers are a few KB; a password a line. Anything larger is a mistake (or
// not the file meant), refused before it is read.
constexpr size_t kMaxKeyFileBytes = 1024 * 1024;
constexpr size_t kMaxPasswordBytes = 4096;

std::string Quoted(const std::string& key, const std::string& path) {
  return key + " '" + path + "'";
}

// Key material read into a heap buffer is wiped as soon as it has been parsed.
class SecretBytes {
 public:
  explicit SecretBytes(std::string bytes) : bytes_(std::move(bytes)) {}
  ~SecretBytes() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  std::string& get() { return bytes_; }

 private:
  std::string bytes_;
};

// What an OpenSSL-readable PEM private key is, for "needs X, but the file is Y" messages;
// nullopt when OpenSSL cannot read it.
std::optional<std::string> OpenSslKeyKind(std::string& pem) {
  internal::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EVP_PKEY* key =
      bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr) : nullptr;
  internal::DrainOpenSslErrors();
  if (key == nullptr) {
    return std::nullopt;
  }
  const int type = EVP_PKEY_get_base_id(key);
  EVP_PKEY_free(key);
  return type == EVP_PKEY_RSA ? "an RSA" : type == EVP_PKEY_EC ? "an EC" : "an unsupported";
}

// The password of a PKCS#12 container, from a file only the gateway may read (one trailing
// newline, as `echo` writes it, is not part of it).
Result<std::string> ReadPasswordFile(const std::string& path) {
  const std::string where = Quoted("gateway_key.password_file", path) + ": ";
  Result<std::string> bytes =
      internal::ReadSecretFile(path, kMaxPasswordBytes, true, "the password");
  if (!bytes.ok()) {
    return Error(where + bytes.status().message());
  }
  std::string password = std::move(bytes.value());
  if (!password.empty() && password.back() == '\n') {
    password.pop_back();
    if (!password.empty() && password.back() == '\r') {
      password.pop_back();
    }
  }
  return password;
}

Result<std::shared_ptr<const GatewayKey>> LoadGostGatewayKey(
    const config::GatewayKeyConfig& config) {
  auto out = std::make_shared<GatewayKey>();
  out->algorithm = config.algorithm;
  std::optional<gost::PrivateKey> key;
  std::optional<std::string> container_cert;
  std::string key_where;  // "gateway_key.key '…'" or "gateway_key.pkcs12 '…'"
  if (!config.pkcs12_file.empty()) {
    key_where = Quoted("gateway_key.pkcs12", config.pkcs12_file);
    Result<std::string> password = ReadPasswordFile(config.password_file);
    if (!password.ok()) {
      return password.status();
    }
    SecretBytes secret(std::move(password.value()));
    Result<std::string> der = internal::ReadSecretFile(config.pkcs12_file, kMaxKeyFileBytes, false);
    if (!der.ok()) {
      return Error(key_where + ": " + der.status().message());
    }
    SecretBytes container(std::move(der.value()));
    Result<gost::Pkcs12Contents> contents = gost::LoadPkcs12(container.get(), secret.get());
    if (!contents.ok()) {
      // The messages name the cause (wrong password, no key bag…), never key material.
      return Error(key_where + ": " + contents.status().message());
    }
    key.emplace(std::move(contents->key));
    container_cert = std::move(contents->certificate_der);
  } else {
    key_where = Quoted("gateway_key.key", config.key_file);
    Result<std::string> bytes = internal::ReadSecretFile(config.key_file, kMaxKeyFileBytes, false);
    if (!bytes.ok()) {
      return Error(key_where + ": " + bytes.status().message());
    }
    SecretBytes pem(std::move(bytes.value()));
    Result<gost::PrivateKey> parsed = gost::PrivateKey::FromPkcs8Pem(pem.get());
    if (!parsed.ok()) {
      if (std::optional<std::string> kind = OpenSslKeyKind(pem.get())) {
        return Error("gateway_key.algorithm: '" + config.algorithm +
                     "' needs a GOST 34.10-2015-512 key, but " + key_where + " is " + *kind +
                     " key");
      }
      return Error(key_where + ": " + parsed.status().message());
    }
    key.emplace(std::move(parsed.value()));
  }
  if (key->algorithm() != gost::Algorithm::kGost2015_512) {
    return Error("gateway_key.algorithm: '" + config.algorithm +
                 "' needs a GOST 34.10-2015-512 key, but " + key_where + " holds a " +
                 std::string(gost::Describe(key->algorithm()).name) + " key");
  }

  // The certificate: the configured one (which must match), else the container's.
  std::string cert_where;
  if (!config.cert_file.empty()) {
    cert_where = Quoted("gateway_key.cert", config.cert_file);
    auto certs = LoadPemCertificates(config.cert_file);
    if (!certs.ok()) {
      return Error("gateway_key.cert " + certs.status().message());
    }
    out->cert = std::move(certs.value().front());  // the leaf; a chain after it is ignored
  } else if (container_cert.has_value()) {
    const auto* p = reinterpret_cast<const unsigned char*>(container_cert->data());
    out->cert.reset(d2i_X509(nullptr, &p, static_cast<long>(container_cert->size())));  // NOLINT
    internal::DrainOpenSslErrors();
    if (!out->cert) {
      return Error(key_where + ": its certificate cannot be parsed");
    }
    cert_where = "its own certificate";
  } else {
    return Error(key_where + ": holds no certificate for its key; name it in gateway_key.cert");
  }
  unsigned char* der = nullptr;
  const int der_len = i2d_X509(out->cert.get(), &der);
  std::string cert_der(reinterpret_cast<const char*>(der),
                       static_cast<size_t>(std::max(0, der_len)));
  OPENSSL_free(der);
  Result<gost::PublicKey> cert_key = gost::CertificatePublicKey(cert_der);
  internal::DrainOpenSslErrors();
  if (!cert_key.ok() || cert_key->algorithm() != key->algorithm() ||
      cert_key->xy_le() != key->public_key().xy_le()) {
    return Error(key_where + ": does not match the certificate in " + cert_where +
                 (cert_key.ok() ? "" : " (" + cert_key.status().message() + ")"));
  }
  out->gost_key = std::make_shared<const gost::PrivateKey>(std::move(*key));
  return std::shared_ptr<const GatewayKey>(std::move(out));
}

}  // namespace

Result<std::shared_ptr<const GatewayKey>> LoadGatewayKey(const config::GatewayKeyConfig& config) {
  int wanted_type = 0;
  std::string_view wanted_name;
  if (config.algorithm == "rsa-sha256") {
    wanted_type = EVP_PKEY_RSA;
    wanted_name = "an RSA";
  } else if (config.algorithm == "ecdsa-sha256") {
    wanted_type = EVP_PKEY_EC;
    wanted_name = "an EC";
  } else if (config.algorithm == "gost2015-512") {
    return LoadGostGatewayKey(config);
  } else {
    return Error("gateway_key.algorithm: unsupported '" + config.algorithm +
                 "' (rsa-sha256, ecdsa-sha256 or gost2015-512)");
  }
  if (!config.pkcs12_file.empty()) {
    return Error(
        "gateway_key.pkcs12: NCA PKCS#12 containers are supported with algorithm "
        "gost2015-512 only");
  }

  auto certs = LoadPemCertificates(config.cert_file);
  if (!certs.ok()) {
    return Error("gateway_key.cert " + certs.status().message());
  }
  auto key = std::make_shared<GatewayKey>();
  key->cert = std::move(certs.value().front());  // the leaf; a chain after it is ignored
  key->algorithm = config.algorithm;

  const std::string key_where = "gateway_key.key '" + config.key_file + "': ";
  Result<std::string> bytes = internal::ReadSecretFile(config.key_file, kMaxKeyFileBytes, false);
  if (!bytes.ok()) {
    return Error(key_where + bytes.status().message());
  }
  // The key material must not linger in a heap buffer longer than needed.
  SecretBytes pem(std::move(bytes.value()));
  internal::DrainOpenSslErrors();
  {
    internal::BioPtr bio(BIO_new_mem_buf(pem.get().data(), static_cast<int>(pem.get().size())));
    if (bio) {
      key->key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
    }
  }
  if (!key->key) {
    internal::DrainOpenSslErrors();  // may quote parts of the file: never shown
    // A GOST key (OpenSSL cannot read the Kazakh OIDs) is named as such.
    Result<gost::PrivateKey> gost_key = gost::PrivateKey::FromPkcs8Pem(pem.get());
    if (gost_key.ok()) {
      return Error("gateway_key.algorithm: '" + config.algorithm + "' needs " +
                   std::string(wanted_name) + " key, but gateway_key.key '" + config.key_file +
                   "' is a GOST (" + std::string(gost::Describe(gost_key->algorithm()).name) +
                   ") key");
    }
    return Error(key_where + "not an unencrypted PEM private key");
  }
  if (X509_check_private_key(key->cert.get(), key->key.get()) != 1) {
    internal::DrainOpenSslErrors();
    return Error(key_where + "does not match the certificate in gateway_key.cert '" +
                 config.cert_file + "'");
  }
  const int type = EVP_PKEY_get_base_id(key->key.get());
  if (type != wanted_type) {
    const char* actual = type == EVP_PKEY_RSA ? "an RSA" : type == EVP_PKEY_EC ? "an EC" : "a";
    return Error("gateway_key.algorithm: '" + config.algorithm + "' needs " +
                 std::string(wanted_name) + " key, but gateway_key.key '" + config.key_file +
                 "' is " + actual + " key");
  }
  return std::shared_ptr<const GatewayKey>(std::move(key));
}

}  // namespace shepgw::pki
