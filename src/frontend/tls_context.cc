#include "tls_context.h"

#include <string>

#include <openssl/err.h>

namespace shepgw::frontend {
namespace {

// The OpenSSL error queue as one line (and cleared), for error messages.
std::string DrainOpenSslErrors() {
  std::string out;
  unsigned long e = 0;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) {
      out += "; ";
    }
    out += buf;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

Status TlsError(const std::string& what) {
  return {ErrorCode::kGatewayInternal, what + ": " + DrainOpenSslErrors()};
}

}  // namespace

Result<SslCtxPtr> BuildServerTlsContext(const config::TlsServerConfig& tls) {
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) {
    return TlsError("SSL_CTX_new");
  }
  const int min_version = tls.min_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION;
  if (SSL_CTX_set_min_proto_version(ctx.get(), min_version) != 1 ||
      SSL_CTX_set_max_proto_version(ctx.get(), TLS1_3_VERSION) != 1) {
    return TlsError("setting TLS protocol versions");
  }
  SSL_CTX_set_options(
      ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
  if (!tls.ciphers.empty() && SSL_CTX_set_cipher_list(ctx.get(), tls.ciphers.c_str()) != 1) {
    return TlsError("listen.tls.ciphers '" + tls.ciphers + "'");
  }
  if (!tls.ciphersuites.empty() &&
      SSL_CTX_set_ciphersuites(ctx.get(), tls.ciphersuites.c_str()) != 1) {
    return TlsError("listen.tls.ciphersuites '" + tls.ciphersuites + "'");
  }
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), tls.cert_file.c_str()) != 1) {
    return TlsError("listen.tls.cert '" + tls.cert_file + "'");
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return TlsError("listen.tls.key '" + tls.key_file + "'");
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    return TlsError("listen.tls.key does not match listen.tls.cert");
  }
  if (!tls.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx.get(), tls.client_ca_file.c_str(), nullptr) != 1) {
      return TlsError("listen.tls.client_ca '" + tls.client_ca_file + "'");
    }
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.client_ca_file.c_str());
    if (names != nullptr) {
      SSL_CTX_set_client_CA_list(ctx.get(), names);
    }
    int mode = SSL_VERIFY_PEER;
    if (tls.require_client_cert) {
      mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    }
    SSL_CTX_set_verify(ctx.get(), mode, nullptr);
    SSL_CTX_set_verify_depth(ctx.get(), 8);
  } else {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  }
  static const unsigned char kSessionId[] = "shepgw";
  SSL_CTX_set_session_id_context(ctx.get(), kSessionId, sizeof(kSessionId) - 1);
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_SERVER);
  // An idle keep-alive connection gives its ~34 KB of record buffers back (they are taken
  // again for the next record): parked connections then cost little more than their SSL.
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);
  return ctx;
}

}  // namespace shepgw::frontend
