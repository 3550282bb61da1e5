// Internal to the pki module: what the GOST sources share (libgcrypt set-up, the identifiers
// of the key algorithms, byte order helpers, the OpenSSL verification arithmetic). No gcrypt
// types leave src/pki.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>

#include <openssl/ec.h>

#include "shepgw/common/status.h"
#include "shepgw/pki/gost.h"

namespace shepgw::pki::gost::internal {

// A public key's Q on OpenSSL's group (gost_ec.cc). Immutable once built.
struct EcPoint {
  explicit EcPoint(EC_POINT* p) : point(p) {}
  EcPoint(const EcPoint&) = delete;
  EcPoint& operator=(const EcPoint&) = delete;
  ~EcPoint() { EC_POINT_free(point); }
  EC_POINT* point;
};

// The algorithm's curve (TC26-512-A / CryptoPro-A) as an OpenSSL prime-curve group, built once
// per process; shared by all threads and never modified after construction. nullptr only if
// OpenSSL could not build it (allocation failure).
const EC_GROUP* EcGroup(Algorithm algorithm);

// Q from x_LE‖y_LE (public_key_size bytes) on EcGroup(algorithm). Errors: kPkiKeyInvalid (not a
// point on the curve), kGatewayInternal (OpenSSL failure).
Result<std::shared_ptr<const EcPoint>> EcPointFromXy(Algorithm algorithm, std::string_view xy_le);

// GOST verification on OpenSSL's arithmetic: sizes already checked by the caller. Errors:
// kWssSignatureInvalid (r or s out of range, the equation does not hold), kGatewayInternal.
Status EcVerify(Algorithm algorithm, const EC_POINT* q, std::string_view digest,
                std::string_view signature);

// libgcrypt's verification (gcry_pk_verify, the verifier before EcVerify): kept as the
// independent oracle the unit tests compare EcVerify with. Same inputs and codes as EcVerify.
Status GcryptVerify(Algorithm algorithm, std::string_view xy_le, std::string_view digest,
                    std::string_view signature);

// Curve parameters p, a, b, n, Gx, Gy as lower-case big-endian hex without leading zeros: as
// libgcrypt's named curve has them, and as EcGroup holds them (the unit test compares them).
std::array<std::string, 6> GcryptCurveParams(Algorithm algorithm);
std::array<std::string, 6> EcCurveParams(Algorithm algorithm);

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
