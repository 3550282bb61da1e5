// Builds the server SSL_CTX from config: TLS 1.2+ only, configured ciphers, certificate chain,
// key, optional client-certificate verification. Internal to the front end.
#pragma once

#include <memory>

#include <openssl/ssl.h>

#include "shepgw/common/status.h"
#include "shepgw/config/config.h"

namespace shepgw::frontend {

struct SslCtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxDeleter>;

Result<SslCtxPtr> BuildServerTlsContext(const config::TlsServerConfig& tls);

}  // namespace shepgw::frontend
