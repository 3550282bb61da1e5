// xmlsec setup, locked-down dsig contexts and keys. The gateway signs and verifies without
// xmlsec (algorithms.cc); the tests use these to cross-check it against xmlsec.
#include <array>
#include <mutex>

#include <openssl/evp.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/openssl/app.h>
#include <xmlsec/openssl/crypto.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/xmlsec.h>

#include "shepgw/envelope/envelope.h"
#include "shepgw/wss/wss.h"

#include "wss/internal.h"

namespace shepgw::wss {
namespace internal {
namespace {

thread_local std::string last_xmlsec_error;

// xmlsec's default callback prints to stderr. We keep the first error of the current
// operation for the Status message (errors come in a cascade; the first is the cause).
void RecordXmlSecError(const char* /*file*/, int /*line*/, const char* func,
                       const char* error_object, const char* error_subject, int reason,
                       const char* msg) {
  if (!last_xmlsec_error.empty()) {
    return;
  }
  std::string out;
  for (const char* part : {func, error_object, error_subject}) {
    if (part != nullptr && *part != '\0') {
      out += part;
      out += ' ';
    }
  }
  out += "reason=" + std::to_string(reason);
  if (msg != nullptr && *msg != '\0') {
    out += ' ';
    out += msg;
  }
  last_xmlsec_error = ForMessage(out, 300);
}

}  // namespace

void ClearXmlSecError() { last_xmlsec_error.clear(); }
std::string LastXmlSecError() {
  return last_xmlsec_error.empty() ? "no detail from xmlsec" : last_xmlsec_error;
}

XmlSecKeyPtr KeyFromEvp(EVP_PKEY* pkey) {
  if (pkey == nullptr || EVP_PKEY_up_ref(pkey) != 1) {
    return nullptr;
  }
  xmlSecKeyDataPtr data = xmlSecOpenSSLEvpKeyAdopt(pkey);  // takes the reference
  if (data == nullptr) {
    EVP_PKEY_free(pkey);
    return nullptr;
  }
  XmlSecKeyPtr key(xmlSecKeyCreate());
  if (key == nullptr || xmlSecKeySetValue(key.get(), data) < 0) {
    xmlSecKeyDataDestroy(data);
    return nullptr;
  }
  return key;
}

DSigCtxPtr NewDSigCtx(const std::vector<xmlSecTransformId>& reference_transforms,
                      const std::vector<xmlSecTransformId>& signature_transforms) {
  // No keys manager: xmlsec never resolves a key from KeyInfo, never reads a file or a URL;
  // the caller sets signKey.
  DSigCtxPtr ctx(xmlSecDSigCtxCreate(nullptr));
  if (ctx == nullptr) {
    return nullptr;
  }
  ctx->flags = XMLSEC_DSIG_FLAGS_IGNORE_MANIFESTS;
  // "#id" only: no "" (whole document), no external or file URIs.
  ctx->enabledReferenceUris = xmlSecTransformUriTypeSameDocument;
  // Non-empty lists: xmlsec then refuses every transform not listed (an empty list would
  // allow all, XSLT included).
  for (xmlSecTransformId id : reference_transforms) {
    if (xmlSecDSigCtxEnableReferenceTransform(ctx.get(), id) < 0) {
      return nullptr;
    }
  }
  for (xmlSecTransformId id : signature_transforms) {
    if (xmlSecDSigCtxEnableSignatureTransform(ctx.get(), id) < 0) {
      return nullptr;
    }
  }
  return ctx;
}

}  // namespace internal

namespace {
std::mutex init_mutex;
bool initialised = false;
}  // namespace

Status InitXmlSec() {
  std::lock_guard lock(init_mutex);
  if (initialised) {
    return Status::Ok();
  }
  envelope::InitXmlLibrary();  // our libxml2 hardening first (idempotent)
  if (xmlSecInit() < 0) {
    return {ErrorCode::kGatewayInternal, "xmlSecInit failed"};
  }
  if (xmlSecCheckVersion() != 1) {
    xmlSecShutdown();
    return {ErrorCode::kGatewayInternal, "xmlsec library version mismatch"};
  }
  if (xmlSecOpenSSLAppInit(nullptr) < 0) {
    xmlSecShutdown();
    return {ErrorCode::kGatewayInternal, "xmlSecOpenSSLAppInit failed"};
  }
  if (xmlSecOpenSSLInit() < 0) {
    xmlSecOpenSSLAppShutdown();
    xmlSecShutdown();
    return {ErrorCode::kGatewayInternal, "xmlSecOpenSSLInit failed"};
  }
  // Last: xmlSecInit() and xmlSecOpenSSLInit() each put xmlsec's default (stderr) callback back.
  xmlSecErrorsSetCallback(internal::RecordXmlSecError);
  initialised = true;
  return Status::Ok();
}

void ShutdownXmlSec() {
  std::lock_guard lock(init_mutex);
  if (!initialised) {
    return;
  }
  xmlSecOpenSSLShutdown();
  xmlSecOpenSSLAppShutdown();
  xmlSecShutdown();
  initialised = false;
}

}  // namespace shepgw::wss
