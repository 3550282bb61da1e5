// Internal to the pki module: RAII holders for the OpenSSL objects the module uses, and small
// conversions (OpenSSL error queue → text, ASN1_TIME → time_point, file → bytes).
// Everything here is stateless and thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <openssl/bio.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "shepgw/common/status.h"

namespace shepgw::pki::internal {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509CrlFree {
  void operator()(X509_CRL* c) const { X509_CRL_free(c); }
};
struct X509StoreFree {
  void operator()(X509_STORE* s) const { X509_STORE_free(s); }
};
struct X509StoreCtxFree {
  void operator()(X509_STORE_CTX* c) const { X509_STORE_CTX_free(c); }
};
struct X509StackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_pop_free(s, X509_free); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509CrlPtr = std::unique_ptr<X509_CRL, X509CrlFree>;
using X509StorePtr = std::unique_ptr<X509_STORE, X509StoreFree>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, X509StoreCtxFree>;
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackFree>;

// Empties this thread's OpenSSL error queue into one line ("a; b"), "" when it was empty.
// Every failure path calls it so a stale error never leaks into an unrelated later message.
std::string DrainOpenSslErrors();

// The whole file, for formats OpenSSL must try twice (PEM, then DER). Errors: "cannot open:
// <reason>" / "cannot read: <reason>", without the path (callers add key and path).
Result<std::string> ReadFileBytes(const std::string& path);
// Reads a file holding secrets (private keys, PKCS#12 containers, passwords): opened once and
// checked on that descriptor (no stat/open race): a regular file (not a FIFO or a device that
// would block or never end) of at most `max_bytes`, and with `private_mode` no permission for
// group or others. Read in one pre-sized buffer, so no partial copy is left behind unwiped (the
// caller wipes the result). Errors (kGatewayInternal) name the cause, never the content.
// `what` names the content in messages ("the password").
Result<std::string> ReadSecretFile(const std::string& path, size_t max_bytes, bool private_mode,
                                   const std::string& what = "it");

// ASN1_TIME → system_clock; a time OpenSSL cannot convert becomes the epoch (never happens for
// certificates that parsed).
std::chrono::system_clock::time_point ToTimePoint(const ASN1_TIME* t);

// "'subject' (serial N)": how messages and logs name a certificate.
std::string NameForMessage(X509* cert);
// RFC 2253 rendering of a name with UTF-8 kept as UTF-8.
std::string NameToString(const X509_NAME* name);

}  // namespace shepgw::pki::internal
