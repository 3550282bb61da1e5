// The gateway's own signing certificate and key.

#include <utility>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "shepgw/pki/trust.h"

#include "pki/openssl_util.h"

namespace shepgw::pki {
namespace {

// Refuses to prompt: without a callback OpenSSL would ask for a passphrase on the terminal
// (or block reading stdin under systemd) when the key file is encrypted.
int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) { return -1; }

Status Error(std::string message) { return {ErrorCode::kGatewayInternal, std::move(message)}; }

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
  } else {
    return Error("gateway_key.algorithm: unsupported '" + config.algorithm +
                 "' (rsa-sha256 or ecdsa-sha256)");
  }

  auto certs = LoadPemCertificates(config.cert_file);
  if (!certs.ok()) {
    return Error("gateway_key.cert " + certs.status().message());
  }
  auto key = std::make_shared<GatewayKey>();
  key->cert = std::move(certs.value().front());  // the leaf; a chain after it is ignored
  key->algorithm = config.algorithm;

  const std::string key_where = "gateway_key.key '" + config.key_file + "': ";
  Result<std::string> bytes = internal::ReadFileBytes(config.key_file);
  if (!bytes.ok()) {
    return Error(key_where + bytes.status().message());
  }
  internal::DrainOpenSslErrors();
  {
    internal::BioPtr bio(BIO_new_mem_buf(bytes->data(), static_cast<int>(bytes->size())));
    if (bio) {
      key->key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
    }
  }
  // The key material must not linger in a heap buffer longer than needed.
  OPENSSL_cleanse(bytes->data(), bytes->size());
  if (!key->key) {
    internal::DrainOpenSslErrors();  // may quote parts of the file: never shown
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
