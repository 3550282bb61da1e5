// libFuzzer target for the GOST DER parsing of pki/gost.h (src/pki/der.cc and the structures on
// top of it): a client's certificate, SPKI, CRL, PKCS#8. Not part of the ctest fuzz run (the
// envelope fuzzer reaches GOST once wss uses it); run by hand, tests/fuzz/README.md.
//
// Oracles beyond the sanitizers: whatever parses re-encodes and re-parses to the same key; the
// signed bytes of a split certificate are a slice of the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "shepgw/pki/gost.h"

namespace gost = shepgw::pki::gost;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto split = gost::SplitCertificate(in); split.ok()) {
    if (in.find(split->tbs) == std::string_view::npos) {
      std::abort();
    }
  }
  (void)gost::SplitCrl(in);
  if (auto key = gost::CertificatePublicKey(in); key.ok()) {
    auto again = gost::PublicKey::FromSpki(key->ToSpki());
    if (!again.ok() || again->xy_le() != key->xy_le()) {
      std::abort();
    }
  }
  if (auto key = gost::PublicKey::FromSpki(in); key.ok()) {
    if (key->ToSpki() != in) {
      std::abort();  // our SPKI encoding is the only DER one
    }
  }
  if (auto key = gost::PrivateKey::FromPkcs8Der(in); key.ok()) {
    auto again = gost::PrivateKey::FromPkcs8Der(key->ToPkcs8Der());
    if (!again.ok() || again->public_key().xy_le() != key->public_key().xy_le()) {
      std::abort();
    }
  }
  return 0;
}
