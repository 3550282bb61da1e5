// Internal to the pki module: what the GOST sources share (libgcrypt set-up, the identifiers
// of the key algorithms, byte order helpers). No gcrypt types leave src/pki.
#pragma once

#include <string>
#include <string_view>

#include "shepgw/common/status.h"
#include "shepgw/pki/gost.h"

namespace shepgw::pki::gost::internal {

// Initialises libgcrypt once per process (version check, no secure memory pool; see
// docs/decisions/0004). Safe to call from any thread, any number of times.
void EnsureGcrypt();

std::string Reversed(std::string_view bytes);

// The DER AlgorithmIdentifier of a key, as in NCA's SPKI and PKCS#8:
// SEQUENCE{key OID, SEQUENCE{param OID, digest OID}}.
std::string KeyAlgorithmIdentifier(Algorithm algorithm);
// Parses that AlgorithmIdentifier (the whole TLV). Errors: kPkiKeyInvalid (malformed, parameters
// that do not belong to the key OID), kWssAlgorithmUnsupported (2015-256),
// kWssAlgorithmNotAllowed (any other OID).
Result<Algorithm> ParseKeyAlgorithmIdentifier(std::string_view der);

}  // namespace shepgw::pki::gost::internal
