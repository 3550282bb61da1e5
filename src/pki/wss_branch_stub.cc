// TEMPORARY (wss branch only), see CMakeLists.txt: dropped at merge in favour of src/pki.
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "shepgw/pki/trust.h"

namespace shepgw::pki {

void X509Free::operator()(X509* x) const { X509_free(x); }
void EvpPkeyFree::operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }

X509Ptr UpRef(X509* cert) {
  if (cert == nullptr || X509_up_ref(cert) != 1) {
    return nullptr;
  }
  return X509Ptr(cert);
}

}  // namespace shepgw::pki
