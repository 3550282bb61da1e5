// GOST signature verification on OpenSSL's prime-curve arithmetic (docs/decisions/0004,
// addendum): libgcrypt's generic MPI code made a 2015-512 verify ~4x slower than OpenSSL's
// Montgomery GFp code. Verification sees only public data (Q, r, s, the digest), so OpenSSL's
// variable-time paths are fine here; signing stays on libgcrypt's constant-time scalar path.
#include <cctype>
#include <memory>
#include <string>

#include <openssl/bn.h>
#include <openssl/ec.h>

#include "pki/gost_internal.h"

namespace shepgw::pki::gost::internal {
namespace {

// Big-endian hex, as published. TC26-512-A: RFC 7836 appendix A.2.1
// (id-tc26-gost-3410-12-512-paramSetA); CryptoPro-A: RFC 4357 §11.4
// (id-GostR3410-2001-CryptoPro-A-ParamSet). Both have cofactor 1. The unit test checks them
// against libgcrypt's table, G on the curve and n·G = O.
struct CurveHex {
  const char* p;
  const char* a;
  const char* b;
  const char* n;
  const char* gx;
  const char* gy;
};

constexpr CurveHex kTc26Curve512A = {
    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC7",
    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC4",
    "E8C2505DEDFC86DDC1BD0B2B6667F1DA34B82574761CB0E879BD081CFD0B6265"
    "EE3CB090F30D27614CB4574010DA90DD862EF9D4EBEE4761503190785A71C760",
    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
    "27E69532F48D89116FF22B8D4E0560609B4B38ABFAD2B85DCACDB1411F10B275",
    "03",
    "7503CFE87A836AE3A61B8816E25450E6CE5E1C93ACF1ABC1778064FDCBEFA921"
    "DF1626BE4FD036E93D75E6A50E3A41E98028FE5FC235F5B889A589CB5215F2A4",
};

constexpr CurveHex kCryptoProA = {
    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97",
    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD94",
    "A6",
    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF6C611070995AD10045841B09B761B893",
    "01",
    "8D91E471E0989CDA27DF505A453F2B7635294F2DDF23E3B122ACC99C9E9F1E14",
};

struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
struct BnCtxFree {
  void operator()(BN_CTX* c) const { BN_CTX_free(c); }
};
using BnCtxPtr = std::unique_ptr<BN_CTX, BnCtxFree>;
struct PointFree {
  void operator()(EC_POINT* p) const { EC_POINT_free(p); }
};
using PointPtr = std::unique_ptr<EC_POINT, PointFree>;

BnPtr FromHex(const char* hex) {
  BIGNUM* b = nullptr;
  if (BN_hex2bn(&b, hex) == 0) {
    return nullptr;
  }
  return BnPtr(b);
}

// nullptr on any OpenSSL failure (allocation): EcGroup's callers report it.
EC_GROUP* BuildGroup(const CurveHex& c) {
  BnPtr p = FromHex(c.p);
  BnPtr a = FromHex(c.a);
  BnPtr b = FromHex(c.b);
  BnPtr n = FromHex(c.n);
  BnPtr gx = FromHex(c.gx);
  BnPtr gy = FromHex(c.gy);
  BnPtr one(BN_new());
  BnCtxPtr ctx(BN_CTX_new());
  if (!p || !a || !b || !n || !gx || !gy || !one || !ctx || BN_set_word(one.get(), 1) == 0) {
    return nullptr;
  }
  EC_GROUP* group = EC_GROUP_new_curve_GFp(p.get(), a.get(), b.get(), ctx.get());
  if (group == nullptr) {
    return nullptr;
  }
  PointPtr g(EC_POINT_new(group));
  // set_affine_coordinates refuses a point off the curve: a typo above fails here.
  if (!g || EC_POINT_set_affine_coordinates(group, g.get(), gx.get(), gy.get(), ctx.get()) != 1 ||
      EC_GROUP_set_generator(group, g.get(), n.get(), one.get()) != 1) {
    EC_GROUP_free(group);
    return nullptr;
  }
  return group;
}

std::string ToHex(const BIGNUM* b) {
  char* h = BN_bn2hex(b);
  if (h == nullptr) {
    return {};
  }
  std::string out(h);
  OPENSSL_free(h);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  const size_t nz = out.find_first_not_of('0');
  return nz == std::string::npos ? "0" : out.substr(nz);
}

Status Invalid(Algorithm algorithm, const std::string& why) {
  return {ErrorCode::kWssSignatureInvalid, std::string(Describe(algorithm).name) + " " + why};
}

}  // namespace

const EC_GROUP* EcGroup(Algorithm algorithm) {
  // Function-local statics: built once, thread-safe initialisation; never freed (process-long).
  static const EC_GROUP* const k2015 = BuildGroup(kTc26Curve512A);
  static const EC_GROUP* const k2004 = BuildGroup(kCryptoProA);
  return algorithm == Algorithm::kGost2015_512 ? k2015 : k2004;
}

Result<std::shared_ptr<const EcPoint>> EcPointFromXy(Algorithm algorithm, std::string_view xy_le) {
  const AlgorithmInfo& info = Describe(algorithm);
  const EC_GROUP* group = EcGroup(algorithm);
  if (group == nullptr) {
    return Status(ErrorCode::kGatewayInternal,
                  "OpenSSL could not build the " + std::string(info.name) + " curve group");
  }
  const size_t f = info.public_key_size / 2;
  const auto* bytes = reinterpret_cast<const unsigned char*>(xy_le.data());
  BnPtr x(BN_lebin2bn(bytes, static_cast<int>(f), nullptr));
  BnPtr y(BN_lebin2bn(bytes + f, static_cast<int>(f), nullptr));
  BnCtxPtr ctx(BN_CTX_new());
  auto point = std::make_shared<EcPoint>(EC_POINT_new(group));
  if (!x || !y || !ctx || point->point == nullptr) {
    return Status(ErrorCode::kGatewayInternal, "OpenSSL allocation failed");
  }
  // OpenSSL refuses coordinates that are not a point of the curve (and so also ones ≥ p).
  if (EC_POINT_set_affine_coordinates(group, point->point, x.get(), y.get(), ctx.get()) != 1 ||
      EC_POINT_is_on_curve(group, point->point, ctx.get()) != 1) {
    return Status(ErrorCode::kPkiKeyInvalid,
                  std::string(info.name) + " public key is not a point on the curve");
  }
  return std::shared_ptr<const EcPoint>(std::move(point));
}

Status EcVerify(Algorithm algorithm, const EC_POINT* q, std::string_view digest,
                std::string_view signature) {
  const AlgorithmInfo& info = Describe(algorithm);
  const EC_GROUP* group = EcGroup(algorithm);
  BnCtxPtr ctx(BN_CTX_new());
  if (group == nullptr || q == nullptr || !ctx) {
    return {ErrorCode::kGatewayInternal, "OpenSSL curve group or context unavailable"};
  }
  const BIGNUM* n = EC_GROUP_get0_order(group);
  const size_t half = info.signature_size / 2;
  const auto* sig = reinterpret_cast<const unsigned char*>(signature.data());
  // r and s are little-endian (NCA), as is the digest read as the integer e (GOST R 34.10).
  BnPtr r(BN_lebin2bn(sig, static_cast<int>(half), nullptr));
  BnPtr s(BN_lebin2bn(sig + half, static_cast<int>(half), nullptr));
  BnPtr e(BN_lebin2bn(reinterpret_cast<const unsigned char*>(digest.data()),
                      static_cast<int>(digest.size()), nullptr));
  BnPtr v(BN_new());
  BnPtr z1(BN_new());
  BnPtr z2(BN_new());
  BnPtr xc(BN_new());
  PointPtr c(EC_POINT_new(group));
  if (!r || !s || !e || !v || !z1 || !z2 || !xc || !c) {
    return {ErrorCode::kGatewayInternal, "OpenSSL allocation failed"};
  }
  if (BN_is_zero(r.get()) || BN_cmp(r.get(), n) >= 0 || BN_is_zero(s.get()) ||
      BN_cmp(s.get(), n) >= 0) {
    return Invalid(algorithm, "signature rejected: r or s is not in 1..n-1");
  }
  // e = digest mod n, 1 if that is 0; v = e⁻¹; z1 = s·v; z2 = −r·v; C = z1·G + z2·Q.
  bool ok = BN_nnmod(e.get(), e.get(), n, ctx.get()) == 1;
  if (ok && BN_is_zero(e.get())) {
    ok = BN_one(e.get()) == 1;
  }
  ok = ok && BN_mod_inverse(v.get(), e.get(), n, ctx.get()) != nullptr &&
       BN_mod_mul(z1.get(), s.get(), v.get(), n, ctx.get()) == 1 &&
       BN_mod_mul(z2.get(), r.get(), v.get(), n, ctx.get()) == 1 &&
       BN_sub(z2.get(), n, z2.get()) == 1 &&  // r·v ≠ 0 (n prime), so n − r·v is in 1..n−1
       EC_POINT_mul(group, c.get(), z1.get(), q, z2.get(), ctx.get()) == 1;
  if (!ok) {
    return {ErrorCode::kGatewayInternal, "OpenSSL curve arithmetic failed"};
  }
  if (EC_POINT_is_at_infinity(group, c.get()) == 1) {
    return Invalid(algorithm, "signature does not verify with the signer's key");
  }
  if (EC_POINT_get_affine_coordinates(group, c.get(), xc.get(), nullptr, ctx.get()) != 1 ||
      BN_nnmod(xc.get(), xc.get(), n, ctx.get()) != 1) {
    return {ErrorCode::kGatewayInternal, "OpenSSL curve arithmetic failed"};
  }
  if (BN_cmp(xc.get(), r.get()) != 0) {
    return Invalid(algorithm, "signature does not verify with the signer's key");
  }
  return Status::Ok();
}

std::array<std::string, 6> EcCurveParams(Algorithm algorithm) {
  const EC_GROUP* group = EcGroup(algorithm);
  BnPtr p(BN_new());
  BnPtr a(BN_new());
  BnPtr b(BN_new());
  BnPtr gx(BN_new());
  BnPtr gy(BN_new());
  BnCtxPtr ctx(BN_CTX_new());
  if (group == nullptr || !p || !a || !b || !gx || !gy || !ctx ||
      EC_GROUP_get_curve(group, p.get(), a.get(), b.get(), ctx.get()) != 1 ||
      EC_POINT_get_affine_coordinates(group, EC_GROUP_get0_generator(group), gx.get(), gy.get(),
                                      ctx.get()) != 1) {
    return {};
  }
  return {ToHex(p.get()),  ToHex(a.get()), ToHex(b.get()), ToHex(EC_GROUP_get0_order(group)),
          ToHex(gx.get()), ToHex(gy.get())};
}

}  // namespace shepgw::pki::gost::internal
