// xmlsec setup, locked-down dsig contexts, keys and the algorithm table.
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

// --- algorithms -----------------------------------------------------------------------------

namespace {

constexpr std::array<SignatureAlgorithm, 7> kSignatureAlgorithms = {{
    {"rsa-sha256", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
     xmlSecOpenSSLTransformRsaSha256GetKlass, "SHA256", KeyKind::kRsa, false},
    {"rsa-sha384", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
     xmlSecOpenSSLTransformRsaSha384GetKlass, "SHA384", KeyKind::kRsa, false},
    {"rsa-sha512", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
     xmlSecOpenSSLTransformRsaSha512GetKlass, "SHA512", KeyKind::kRsa, false},
    {"ecdsa-sha256", "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
     xmlSecOpenSSLTransformEcdsaSha256GetKlass, "SHA256", KeyKind::kEc, false},
    {"ecdsa-sha384", "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
     xmlSecOpenSSLTransformEcdsaSha384GetKlass, "SHA384", KeyKind::kEc, false},
    {"ecdsa-sha512", "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
     xmlSecOpenSSLTransformEcdsaSha512GetKlass, "SHA512", KeyKind::kEc, false},
    {"rsa-sha1", "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
     xmlSecOpenSSLTransformRsaSha1GetKlass, "SHA1", KeyKind::kRsa, true},
}};

constexpr std::array<DigestAlgorithm, 4> kDigestAlgorithms = {{
    {"sha256", "http://www.w3.org/2001/04/xmlenc#sha256", xmlSecOpenSSLTransformSha256GetKlass,
     "SHA256", false},
    {"sha384", "http://www.w3.org/2001/04/xmldsig-more#sha384",
     xmlSecOpenSSLTransformSha384GetKlass, "SHA384", false},
    {"sha512", "http://www.w3.org/2001/04/xmlenc#sha512", xmlSecOpenSSLTransformSha512GetKlass,
     "SHA512", false},
    {"sha1", "http://www.w3.org/2000/09/xmldsig#sha1", xmlSecOpenSSLTransformSha1GetKlass, "SHA1",
     true},
}};

// Recognised, not implemented: the Kazakh GOST family (no open-source provider exists) and the
// legacy Kazakh RSA-SHA1 spellings under xmldsig-more (shep-protocol §4.1), which xmlsec
// 1.2.37 does not know (only the standard xmldsig#rsa-sha1 / xmldsig#sha1).
constexpr std::array<std::string_view, 4> kUnsupportedSignatureUris = {
    "http://www.w3.org/2001/04/xmldsig-more#gost34310-gost34311",
    "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34102015-gostr34112015-512",
    "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34102015-gostr34112015-256",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha1",
};
constexpr std::array<std::string_view, 4> kUnsupportedDigestUris = {
    "http://www.w3.org/2001/04/xmldsig-more#gost34311",
    "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34112015-512",
    "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34112015-256",
    "http://www.w3.org/2001/04/xmldsig-more#sha1",
};

template <typename T, size_t N, size_t M>
const T* Find(const std::array<T, N>& known, const std::array<std::string_view, M>& unsupported,
              std::string_view uri, AlgorithmVerdict* verdict) {
  for (const T& a : known) {
    if (a.uri == uri) {
      *verdict = AlgorithmVerdict::kKnown;
      return &a;
    }
  }
  *verdict = AlgorithmVerdict::kNotAllowed;
  for (std::string_view u : unsupported) {
    if (u == uri) {
      *verdict = AlgorithmVerdict::kUnsupported;
    }
  }
  return nullptr;
}

}  // namespace

const SignatureAlgorithm* FindSignatureAlgorithm(std::string_view uri, AlgorithmVerdict* verdict) {
  return Find(kSignatureAlgorithms, kUnsupportedSignatureUris, uri, verdict);
}

const DigestAlgorithm* FindDigestAlgorithm(std::string_view uri, AlgorithmVerdict* verdict) {
  return Find(kDigestAlgorithms, kUnsupportedDigestUris, uri, verdict);
}

const SignatureAlgorithm& SignatureAlgorithmByName(std::string_view name) {
  for (const SignatureAlgorithm& a : kSignatureAlgorithms) {
    if (a.name == name) {
      return a;
    }
  }
  return kSignatureAlgorithms[0];
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
