// GOST algorithms, digests and keys on libgcrypt; signature verification's curve arithmetic is
// OpenSSL's (gost_ec.cc). The byte-order conversions here are the whole interoperability story
// with NCA (docs/security.md § GOST): libgcrypt takes the digest as a big-endian integer where
// GOST reads the hash output little-endian, and r, s, x, y, d as big-endian integers where NCA
// stores them little-endian.
#include "shepgw/pki/gost.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <mutex>

#include <openssl/crypto.h>

#include "pki/der.h"
#include "pki/gost_internal.h"
#include <gcrypt.h>

namespace shepgw::pki::gost {
namespace {

constexpr std::array<AlgorithmInfo, 2> kAlgorithms = {{
    {Algorithm::kGost2015_512, "gost2015-512", "1.2.398.3.10.1.1.2.2", "1.2.398.3.10.1.1.2.2.1",
     "1.2.398.3.10.1.3.3", "1.2.398.3.10.1.1.2.3.2", "1.2.398.3.10.1.3.3",
     "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34102015-gostr34112015-512",
     "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34112015-512", 64, 128, 128},
    {Algorithm::kGost2004, "gost2004", "1.2.398.3.10.1.1.1.1", "1.2.398.3.10.1.1.1.1.1",
     "1.2.398.3.10.1.3.1.1.0", "1.2.398.3.10.1.1.1.2", "1.2.398.3.10.1.3.1",
     "http://www.w3.org/2001/04/xmldsig-more#gost34310-gost34311",
     "http://www.w3.org/2001/04/xmldsig-more#gost34311", 32, 64, 64},
}};

// The 256-bit 2015 variant: KalkanCrypt's identifiers (signature, digest, key, XML URIs). Known
// from public integrations, never seen signed: refused as unsupported rather than guessed at.
constexpr std::array<std::string_view, 5> kUnsupported256Ids = {
    "1.2.398.3.10.1.1.2.3.1", "1.2.398.3.10.1.3.2", "1.2.398.3.10.1.1.2.1",
    "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34102015-gostr34112015-256",
    "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34112015-256"};

const char* CurveName(Algorithm a) {
  return a == Algorithm::kGost2015_512 ? "GOST2012-512-tc26-A" : "GOST2001-CryptoPro-A";
}
int MdAlgo(Algorithm a) {
  return a == Algorithm::kGost2015_512 ? GCRY_MD_STRIBOG512 : GCRY_MD_GOSTR3411_94;
}
size_t FieldSize(Algorithm a) { return Describe(a).public_key_size / 2; }

std::string GcryError(gcry_error_t e) {
  return std::string(gcry_strsource(e)) + ": " + gcry_strerror(e);
}

template <typename Member>
Result<Algorithm> Lookup(std::string_view id, Member member, std::string_view what) {
  for (const auto& a : kAlgorithms) {
    if (a.*member == id) {
      return a.algorithm;
    }
  }
  if (std::find(kUnsupported256Ids.begin(), kUnsupported256Ids.end(), id) !=
      kUnsupported256Ids.end()) {
    return Status(ErrorCode::kWssAlgorithmUnsupported,
                  std::string(what) + " " + std::string(id) +
                      " (GOST 34.10-2015 256-bit) is recognised but not supported");
  }
  return Status(ErrorCode::kWssAlgorithmNotAllowed,
                std::string(what) + " \"" + std::string(id.substr(0, 120)) +
                    "\" is not a GOST algorithm this gateway knows");
}

// RAII for gcrypt handles.
struct SexpFree {
  void operator()(gcry_sexp_t s) const { gcry_sexp_release(s); }
};
using SexpPtr = std::unique_ptr<gcry_sexp, SexpFree>;
struct MpiFree {
  void operator()(gcry_mpi_t m) const { gcry_mpi_release(m); }
};
using MpiPtr = std::unique_ptr<gcry_mpi, MpiFree>;
struct EcCtxFree {
  void operator()(gcry_ctx_t c) const { gcry_ctx_release(c); }
};
using EcCtxPtr = std::unique_ptr<gcry_context, EcCtxFree>;
struct PointFree {
  void operator()(gcry_mpi_point_t p) const { gcry_mpi_point_release(p); }
};
using PointPtr = std::unique_ptr<gcry_mpi_point, PointFree>;

// An MPI as big-endian bytes, left-padded to `size`; nullopt when it does not fit.
std::optional<std::string> MpiToBytes(gcry_mpi_t m, size_t size) {
  std::string out(size, '\0');
  size_t written = 0;
  const size_t needed = (gcry_mpi_get_nbits(m) + 7) / 8;
  if (needed > size) {
    return std::nullopt;
  }
  if (needed > 0 &&
      gcry_mpi_print(GCRYMPI_FMT_USG, reinterpret_cast<unsigned char*>(out.data()) + size - needed,
                     needed, &written, m) != 0) {
    return std::nullopt;
  }
  return out;
}

MpiPtr MpiFromBytes(std::string_view be) {
  gcry_mpi_t m = nullptr;
  if (gcry_mpi_scan(&m, GCRYMPI_FMT_USG, be.data(), be.size(), nullptr) != 0) {
    return nullptr;
  }
  return MpiPtr(m);
}

// The uncompressed SEC1 point libgcrypt wants: 04 ‖ x_BE ‖ y_BE.
std::string Sec1Point(Algorithm a, std::string_view xy_le) {
  const size_t f = FieldSize(a);
  return "\x04" + internal::Reversed(xy_le.substr(0, f)) + internal::Reversed(xy_le.substr(f, f));
}

EcCtxPtr CurveContext(Algorithm a) {
  gcry_ctx_t ctx = nullptr;
  if (gcry_mpi_ec_new(&ctx, nullptr, CurveName(a)) != 0) {
    return nullptr;
  }
  return EcCtxPtr(ctx);
}

// Q = d·G as x_LE‖y_LE.
Result<std::string> PublicPointOf(Algorithm a, gcry_mpi_t d) {
  EcCtxPtr ctx = CurveContext(a);
  if (!ctx) {
    return Status(ErrorCode::kGatewayInternal,
                  "libgcrypt has no curve " + std::string(CurveName(a)));
  }
  PointPtr g(gcry_mpi_ec_get_point("g", ctx.get(), 1));
  PointPtr q(gcry_mpi_point_new(0));
  gcry_mpi_ec_mul(q.get(), d, g.get(), ctx.get());
  MpiPtr x(gcry_mpi_new(0));
  MpiPtr y(gcry_mpi_new(0));
  if (gcry_mpi_ec_get_affine(x.get(), y.get(), q.get(), ctx.get()) != 0) {
    return Status(ErrorCode::kGatewayInternal, "the private scalar gives the point at infinity");
  }
  const size_t f = FieldSize(a);
  auto xb = MpiToBytes(x.get(), f);
  auto yb = MpiToBytes(y.get(), f);
  if (!xb || !yb) {
    return Status(ErrorCode::kGatewayInternal, "public point does not fit the field size");
  }
  return internal::Reversed(*xb) + internal::Reversed(*yb);
}

}  // namespace

namespace internal {

void EnsureGcrypt() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Another library in the process (libsystemd) may have initialised libgcrypt first; then
    // its settings stand and only the version check is repeated.
    if (gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P) == 0) {
      gcry_check_version(nullptr);
      // No mlock'ed pool: the gateway's key lives in ordinary memory like its OpenSSL keys, and
      // the pool would need privileges the hardened unit does not grant. Constant-time scalar
      // multiplication is selected by the per-MPI "secure" flag, not by the pool.
      gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
      gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    } else {
      gcry_check_version(nullptr);
    }
  });
}

std::string Reversed(std::string_view bytes) { return {bytes.rbegin(), bytes.rend()}; }

std::string KeyAlgorithmIdentifier(Algorithm algorithm) {
  const AlgorithmInfo& a = Describe(algorithm);
  return der::Sequence(der::Oid(a.key_oid) +
                       der::Sequence(der::Oid(a.param_oid) + der::Oid(a.param_digest_oid)));
}

Result<Algorithm> ParseKeyAlgorithmIdentifier(std::string_view der_bytes) {
  const auto malformed = [](const std::string& what) {
    return Status(ErrorCode::kPkiKeyInvalid, "key AlgorithmIdentifier: " + what);
  };
  auto seq = der::ParseSingle(der_bytes, der::kSequence);
  if (!seq) {
    return malformed("not a DER SEQUENCE");
  }
  der::Reader r(seq->content);
  der::Tlv oid;
  if (!r.Expect(der::kOid, &oid)) {
    return malformed("no algorithm OID");
  }
  const auto text = der::OidToText(oid.content);
  if (!text) {
    return malformed("malformed OID");
  }
  auto algorithm = Lookup(*text, &AlgorithmInfo::key_oid, "key algorithm");
  if (!algorithm.ok()) {
    return algorithm.status();
  }
  const AlgorithmInfo& a = Describe(*algorithm);
  der::Tlv params;
  der::Tlv p1;
  der::Tlv p2;
  if (!r.Expect(der::kSequence, &params) || !r.done()) {
    return malformed(std::string(a.name) + " key without its parameters SEQUENCE");
  }
  der::Reader pr(params.content);
  if (!pr.Expect(der::kOid, &p1) || !pr.Expect(der::kOid, &p2) || !pr.done()) {
    return malformed(std::string(a.name) + " key parameters are not two OIDs");
  }
  const auto t1 = der::OidToText(p1.content);
  const auto t2 = der::OidToText(p2.content);
  if (!t1 || !t2 || *t1 != a.param_oid || *t2 != a.param_digest_oid) {
    return malformed(std::string(a.name) + " key with parameters " + t1.value_or("?") + ", " +
                     t2.value_or("?") + " (expected " + std::string(a.param_oid) + ", " +
                     std::string(a.param_digest_oid) + ")");
  }
  return *algorithm;
}

Status GcryptVerify(Algorithm algorithm, std::string_view xy_le, std::string_view digest,
                    std::string_view signature) {
  EnsureGcrypt();
  const AlgorithmInfo& a = Describe(algorithm);
  if (xy_le.size() != a.public_key_size || digest.size() != a.digest_size ||
      signature.size() != a.signature_size) {
    return {ErrorCode::kWssMalformedSecurity, std::string(a.name) + " input of the wrong size"};
  }
  const size_t half = a.signature_size / 2;
  const std::string r = Reversed(signature.substr(0, half));
  const std::string s = Reversed(signature.substr(half));
  const std::string e = Reversed(digest);
  const std::string q = Sec1Point(algorithm, xy_le);
  gcry_sexp_t key = nullptr;
  gcry_sexp_t sig = nullptr;
  gcry_sexp_t data = nullptr;
  gcry_error_t err = gcry_sexp_build(&key, nullptr, "(public-key(ecc(curve %s)(q %b)))",
                                     CurveName(algorithm), static_cast<int>(q.size()), q.data());
  SexpPtr key_holder(key);
  if (err == 0) {
    err = gcry_sexp_build(&sig, nullptr, "(sig-val(gost(r %b)(s %b)))", static_cast<int>(half),
                          r.data(), static_cast<int>(half), s.data());
  }
  SexpPtr sig_holder(sig);
  if (err == 0) {
    err = gcry_sexp_build(&data, nullptr, "(data(flags gost)(value %b))",
                          static_cast<int>(e.size()), e.data());
  }
  SexpPtr data_holder(data);
  if (err != 0) {
    return {ErrorCode::kGatewayInternal, "gcry_sexp_build: " + GcryError(err)};
  }
  err = gcry_pk_verify(sig, data, key);
  if (gcry_err_code(err) == GPG_ERR_BAD_SIGNATURE) {
    return {ErrorCode::kWssSignatureInvalid,
            std::string(a.name) + " signature does not verify with the signer's key"};
  }
  if (err != 0) {
    // r or s out of range and the like: an invalid signature, not our failure.
    return {ErrorCode::kWssSignatureInvalid,
            std::string(a.name) + " signature rejected: " + gcry_strerror(err)};
  }
  return Status::Ok();
}

std::array<std::string, 6> GcryptCurveParams(Algorithm algorithm) {
  EnsureGcrypt();
  EcCtxPtr ctx = CurveContext(algorithm);
  if (!ctx) {
    return {};
  }
  const auto hex = [](gcry_mpi_t m) {
    std::string out;
    unsigned char* buf = nullptr;
    if (m != nullptr && gcry_mpi_aprint(GCRYMPI_FMT_HEX, &buf, nullptr, m) == 0) {
      out = reinterpret_cast<const char*>(buf);
      gcry_free(buf);
    }
    for (char& c : out) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    const size_t nz = out.find_first_not_of('0');
    return nz == std::string::npos ? std::string("0") : out.substr(nz);
  };
  std::array<std::string, 6> out;
  const std::array<const char*, 4> names = {"p", "a", "b", "n"};
  for (size_t i = 0; i < names.size(); ++i) {
    MpiPtr m(gcry_mpi_ec_get_mpi(names[i], ctx.get(), 1));
    out[i] = hex(m.get());
  }
  PointPtr g(gcry_mpi_ec_get_point("g", ctx.get(), 1));
  MpiPtr x(gcry_mpi_new(0));
  MpiPtr y(gcry_mpi_new(0));
  if (g && gcry_mpi_ec_get_affine(x.get(), y.get(), g.get(), ctx.get()) == 0) {
    out[4] = hex(x.get());
    out[5] = hex(y.get());
  }
  return out;
}

}  // namespace internal

const AlgorithmInfo& Describe(Algorithm algorithm) {
  return kAlgorithms[algorithm == Algorithm::kGost2015_512 ? 0 : 1];
}

Result<Algorithm> AlgorithmFromSignatureOid(std::string_view oid) {
  return Lookup(oid, &AlgorithmInfo::signature_oid, "signature algorithm");
}
Result<Algorithm> AlgorithmFromDigestOid(std::string_view oid) {
  return Lookup(oid, &AlgorithmInfo::digest_oid, "digest algorithm");
}
Result<Algorithm> AlgorithmFromSignatureUri(std::string_view uri) {
  return Lookup(uri, &AlgorithmInfo::signature_uri, "SignatureMethod");
}
Result<Algorithm> AlgorithmFromDigestUri(std::string_view uri) {
  return Lookup(uri, &AlgorithmInfo::digest_uri, "DigestMethod");
}

// --- Digest -------------------------------------------------------------------------------

struct Digest::Impl {
  gcry_md_hd_t hd = nullptr;
  ~Impl() { gcry_md_close(hd); }
};

Digest::Digest(Algorithm algorithm, std::unique_ptr<Impl> impl)
    : algorithm_(algorithm), impl_(std::move(impl)) {}
Digest::Digest(Digest&&) noexcept = default;
Digest& Digest::operator=(Digest&&) noexcept = default;
Digest::~Digest() = default;

Result<Digest> Digest::Create(Algorithm algorithm) {
  internal::EnsureGcrypt();
  auto impl = std::make_unique<Impl>();
  const gcry_error_t e = gcry_md_open(&impl->hd, MdAlgo(algorithm), 0);
  if (e != 0) {
    return Status(ErrorCode::kGatewayInternal, "gcry_md_open: " + GcryError(e));
  }
  return Digest(algorithm, std::move(impl));
}

void Digest::Update(const void* data, size_t size) { gcry_md_write(impl_->hd, data, size); }

std::string Digest::Final() {
  const unsigned char* out = gcry_md_read(impl_->hd, 0);
  std::string digest(reinterpret_cast<const char*>(out), Describe(algorithm_).digest_size);
  gcry_md_reset(impl_->hd);
  return digest;
}

std::string ComputeDigest(Algorithm algorithm, std::string_view data) {
  internal::EnsureGcrypt();
  std::string out(Describe(algorithm).digest_size, '\0');
  gcry_md_hash_buffer(MdAlgo(algorithm), out.data(), data.data(), data.size());
  return out;
}

// --- PublicKey ----------------------------------------------------------------------------

Result<PublicKey> PublicKey::FromXy(Algorithm algorithm, std::string_view xy_le) {
  internal::EnsureGcrypt();
  const AlgorithmInfo& a = Describe(algorithm);
  if (xy_le.size() != a.public_key_size) {
    return Status(ErrorCode::kPkiKeyInvalid, std::string(a.name) + " public key is " +
                                                 std::to_string(xy_le.size()) + " bytes, not " +
                                                 std::to_string(a.public_key_size));
  }
  EcCtxPtr ctx = CurveContext(algorithm);
  if (!ctx) {
    return Status(ErrorCode::kGatewayInternal,
                  "libgcrypt has no curve " + std::string(CurveName(algorithm)));
  }
  const size_t f = FieldSize(algorithm);
  MpiPtr x = MpiFromBytes(internal::Reversed(xy_le.substr(0, f)));
  MpiPtr y = MpiFromBytes(internal::Reversed(xy_le.substr(f, f)));
  MpiPtr p(gcry_mpi_ec_get_mpi("p", ctx.get(), 1));
  if (!x || !y || !p || gcry_mpi_cmp(x.get(), p.get()) >= 0 ||
      gcry_mpi_cmp(y.get(), p.get()) >= 0) {
    return Status(ErrorCode::kPkiKeyInvalid,
                  std::string(a.name) + " public key coordinates are not field elements");
  }
  PointPtr q(gcry_mpi_point_new(0));
  MpiPtr one(gcry_mpi_set_ui(nullptr, 1));
  gcry_mpi_point_set(q.get(), x.get(), y.get(), one.get());
  if (gcry_mpi_ec_curve_point(q.get(), ctx.get()) == 0) {
    return Status(ErrorCode::kPkiKeyInvalid,
                  std::string(a.name) + " public key is not a point on " + CurveName(algorithm));
  }
  // The verifier's copy of Q (OpenSSL), built once per key; it checks the curve equation too.
  auto point = internal::EcPointFromXy(algorithm, xy_le);
  if (!point.ok()) {
    return point.status();
  }
  return PublicKey(algorithm, std::string(xy_le), std::move(point).value());
}

Result<PublicKey> PublicKey::FromSpki(std::string_view spki_der) {
  const auto malformed = [](const std::string& what) {
    return Status(ErrorCode::kPkiKeyInvalid, "SubjectPublicKeyInfo: " + what);
  };
  auto spki = der::ParseSingle(spki_der, der::kSequence);
  if (!spki) {
    return malformed("not a DER SEQUENCE");
  }
  der::Reader r(spki->content);
  der::Tlv alg;
  der::Tlv bits;
  if (!r.Expect(der::kSequence, &alg) || !r.Expect(der::kBitString, &bits) || !r.done()) {
    return malformed("not SEQUENCE{AlgorithmIdentifier, BIT STRING}");
  }
  auto algorithm = internal::ParseKeyAlgorithmIdentifier(alg.whole);
  if (!algorithm.ok()) {
    return algorithm.status();
  }
  if (bits.content.empty() || bits.content[0] != 0) {
    return malformed("BIT STRING with unused bits");
  }
  auto octets = der::ParseSingle(bits.content.substr(1), der::kOctetString);
  if (!octets) {
    return malformed("the BIT STRING does not hold one OCTET STRING (x_LE‖y_LE)");
  }
  return FromXy(*algorithm, octets->content);
}

std::string PublicKey::ToSpki() const {
  return der::Sequence(internal::KeyAlgorithmIdentifier(algorithm_) +
                       der::BitString(der::OctetString(xy_)));
}

Status PublicKey::Verify(std::string_view digest, std::string_view signature) const {
  const AlgorithmInfo& a = Describe(algorithm_);
  if (digest.size() != a.digest_size) {
    return {ErrorCode::kGatewayInternal, std::string(a.name) + " digest is " +
                                             std::to_string(digest.size()) + " bytes, not " +
                                             std::to_string(a.digest_size)};
  }
  if (signature.size() != a.signature_size) {
    return {ErrorCode::kWssMalformedSecurity,
            std::string(a.name) + " signature is " + std::to_string(signature.size()) +
                " bytes, not " + std::to_string(a.signature_size)};
  }
  return internal::EcVerify(algorithm_, point_ ? point_->point : nullptr, digest, signature);
}

Status PublicKey::Verify(Algorithm signature_algorithm, std::string_view digest,
                         std::string_view signature) const {
  if (signature_algorithm != algorithm_) {
    return {ErrorCode::kPkiKeyInvalid,
            "a " + std::string(Describe(algorithm_).name) + " key cannot verify a " +
                std::string(Describe(signature_algorithm).name) + " signature"};
  }
  return Verify(digest, signature);
}

Status PublicKey::VerifyData(std::string_view data, std::string_view signature) const {
  return Verify(ComputeDigest(algorithm_, data), signature);
}

// --- PrivateKey ---------------------------------------------------------------------------

PrivateKey::PrivateKey(Algorithm algorithm, std::string d_be, PublicKey public_key)
    : algorithm_(algorithm), d_be_(std::move(d_be)), public_key_(std::move(public_key)) {}
PrivateKey::PrivateKey(PrivateKey&&) noexcept = default;
PrivateKey& PrivateKey::operator=(PrivateKey&& other) noexcept {
  if (this != &other) {
    OPENSSL_cleanse(d_be_.data(), d_be_.size());
    algorithm_ = other.algorithm_;
    d_be_ = std::move(other.d_be_);
    public_key_ = std::move(other.public_key_);
  }
  return *this;
}
PrivateKey::~PrivateKey() { OPENSSL_cleanse(d_be_.data(), d_be_.size()); }

Result<PrivateKey> PrivateKey::FromScalar(Algorithm algorithm, std::string_view d_be) {
  internal::EnsureGcrypt();
  const size_t f = FieldSize(algorithm);
  while (!d_be.empty() && d_be[0] == 0) {
    d_be.remove_prefix(1);
  }
  if (d_be.empty() || d_be.size() > f) {
    return Status(ErrorCode::kGatewayInternal,
                  std::string(Describe(algorithm).name) + " private key scalar is out of range");
  }
  EcCtxPtr ctx = CurveContext(algorithm);
  MpiPtr d = MpiFromBytes(d_be);
  MpiPtr n(ctx ? gcry_mpi_ec_get_mpi("n", ctx.get(), 1) : nullptr);
  if (d) {
    // A "secure" MPI selects libgcrypt's constant-time point multiplication for d·G.
    gcry_mpi_set_flag(d.get(), GCRYMPI_FLAG_SECURE);
  }
  if (!d || !n || gcry_mpi_cmp(d.get(), n.get()) >= 0) {
    return Status(ErrorCode::kGatewayInternal, std::string(Describe(algorithm).name) +
                                                   " private key scalar is not below the order");
  }
  auto xy = PublicPointOf(algorithm, d.get());
  if (!xy.ok()) {
    return xy.status();
  }
  auto pub = PublicKey::FromXy(algorithm, *xy);
  if (!pub.ok()) {
    return Status(ErrorCode::kGatewayInternal, pub.status().message());
  }
  std::string padded(f - d_be.size(), '\0');
  padded += d_be;
  return PrivateKey(algorithm, std::move(padded), std::move(pub).value());
}

Result<PrivateKey> PrivateKey::Generate(Algorithm algorithm) {
  internal::EnsureGcrypt();
  gcry_sexp_t params = nullptr;
  gcry_sexp_t pair = nullptr;
  gcry_error_t err =
      gcry_sexp_build(&params, nullptr, "(genkey(ecc(curve %s)))", CurveName(algorithm));
  SexpPtr params_holder(params);
  if (err == 0) {
    err = gcry_pk_genkey(&pair, params);
  }
  SexpPtr pair_holder(pair);
  if (err != 0) {
    return Status(ErrorCode::kGatewayInternal, "gcry_pk_genkey: " + GcryError(err));
  }
  SexpPtr d_sexp(gcry_sexp_find_token(pair, "d", 0));
  MpiPtr d(d_sexp ? gcry_sexp_nth_mpi(d_sexp.get(), 1, GCRYMPI_FMT_USG) : nullptr);
  if (!d) {
    return Status(ErrorCode::kGatewayInternal, "gcry_pk_genkey gave no private scalar");
  }
  auto bytes = MpiToBytes(d.get(), FieldSize(algorithm));
  if (!bytes) {
    return Status(ErrorCode::kGatewayInternal, "generated scalar does not fit");
  }
  std::string scalar = std::move(*bytes);
  auto key = FromScalar(algorithm, scalar);
  OPENSSL_cleanse(scalar.data(), scalar.size());
  return key;
}

Result<std::string> PrivateKey::Sign(std::string_view digest) const {
  const AlgorithmInfo& a = Describe(algorithm_);
  if (digest.size() != a.digest_size) {
    return Status(ErrorCode::kGatewayInternal, std::string(a.name) + " digest is " +
                                                   std::to_string(digest.size()) + " bytes, not " +
                                                   std::to_string(a.digest_size));
  }
  const std::string e = internal::Reversed(digest);
  const std::string q = Sec1Point(algorithm_, public_key_.xy_le());
  gcry_sexp_t key = nullptr;
  gcry_sexp_t data = nullptr;
  gcry_sexp_t sig = nullptr;
  gcry_error_t err = gcry_sexp_build(&key, nullptr, "(private-key(ecc(curve %s)(q %b)(d %b)))",
                                     CurveName(algorithm_), static_cast<int>(q.size()), q.data(),
                                     static_cast<int>(d_be_.size()), d_be_.data());
  SexpPtr key_holder(key);
  if (err == 0) {
    err = gcry_sexp_build(&data, nullptr, "(data(flags gost)(value %b))",
                          static_cast<int>(e.size()), e.data());
  }
  SexpPtr data_holder(data);
  if (err == 0) {
    err = gcry_pk_sign(&sig, data, key);
  }
  SexpPtr sig_holder(sig);
  if (err != 0) {
    return Status(ErrorCode::kGatewayInternal, "gcry_pk_sign: " + GcryError(err));
  }
  const size_t half = a.signature_size / 2;
  std::string out;
  for (const char* token : {"r", "s"}) {
    SexpPtr part(gcry_sexp_find_token(sig, token, 0));
    MpiPtr m(part ? gcry_sexp_nth_mpi(part.get(), 1, GCRYMPI_FMT_USG) : nullptr);
    auto bytes = m ? MpiToBytes(m.get(), half) : std::nullopt;
    if (!bytes) {
      return Status(ErrorCode::kGatewayInternal,
                    "gcry_pk_sign gave no usable " + std::string(token));
    }
    out += internal::Reversed(*bytes);
  }
  return out;
}

Result<std::string> PrivateKey::SignData(std::string_view data) const {
  return Sign(ComputeDigest(algorithm_, data));
}

}  // namespace shepgw::pki::gost
