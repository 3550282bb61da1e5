// The OpenSSL verification arithmetic (src/pki/gost_ec.cc) against libgcrypt: the same curve
// parameters, a sound group, and the same verdict on random signatures and their mutations.
// The NCA known-answer tests in gost_test.cc prove the byte conventions; these catch a
// regression in either verifier (white-box: src/pki/gost_internal.h).
#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/rand.h>

#include "shepgw/pki/gost.h"

#include "pki/gost_internal.h"

namespace shepgw::pki::gost {
namespace {

constexpr Algorithm kBoth[] = {Algorithm::kGost2015_512, Algorithm::kGost2004};

// The group order n as little-endian bytes padded to `size` (r/s layout).
std::string OrderLe(Algorithm a, size_t size) {
  const BIGNUM* n = EC_GROUP_get0_order(internal::EcGroup(a));
  std::string out(size, '\0');
  EXPECT_EQ(BN_bn2lebinpad(n, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(size)),
            static_cast<int>(size));
  return out;
}

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  EXPECT_EQ(RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)), 1);
  return out;
}

TEST(GostEcTest, CurveParametersMatchLibgcryptAndTheGroupIsSound) {
  for (const Algorithm a : kBoth) {
    SCOPED_TRACE(std::string(Describe(a).name));
    const auto ours = internal::EcCurveParams(a);
    const auto theirs = internal::GcryptCurveParams(a);
    for (size_t i = 0; i < ours.size(); ++i) {
      EXPECT_FALSE(ours[i].empty()) << i;
      EXPECT_EQ(ours[i], theirs[i]) << "parameter "
                                    << "p a b n Gx Gy"[i * 2];
    }
    const EC_GROUP* group = internal::EcGroup(a);
    ASSERT_NE(group, nullptr);
    BN_CTX* ctx = BN_CTX_new();
    ASSERT_NE(ctx, nullptr);
    EXPECT_EQ(EC_GROUP_get_degree(group), static_cast<int>(Describe(a).public_key_size * 4));
    const EC_POINT* g = EC_GROUP_get0_generator(group);
    EXPECT_EQ(EC_POINT_is_on_curve(group, g, ctx), 1);
    EC_POINT* ng = EC_POINT_new(group);
    ASSERT_NE(ng, nullptr);
    ASSERT_EQ(EC_POINT_mul(group, ng, EC_GROUP_get0_order(group), nullptr, nullptr, ctx), 1);
    EXPECT_EQ(EC_POINT_is_at_infinity(group, ng), 1);
    // And (n−1)·G = −G is not: the order is exactly n, not a divisor of it by accident.
    BIGNUM* n1 = BN_dup(EC_GROUP_get0_order(group));
    ASSERT_EQ(BN_sub_word(n1, 1), 1);
    ASSERT_EQ(EC_POINT_mul(group, ng, n1, nullptr, nullptr, ctx), 1);
    EXPECT_EQ(EC_POINT_is_at_infinity(group, ng), 0);
    ASSERT_EQ(EC_POINT_invert(group, ng, ctx), 1);
    EXPECT_EQ(EC_POINT_cmp(group, ng, g, ctx), 0);
    EXPECT_EQ(EC_GROUP_check(group, ctx), 1);
    BN_free(n1);
    EC_POINT_free(ng);
    BN_CTX_free(ctx);
  }
}

TEST(GostEcTest, PointFromXyRefusesOffCurveKeys) {
  for (const Algorithm a : kBoth) {
    auto key = PrivateKey::Generate(a);
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    const std::string xy = key->public_key().xy_le();
    EXPECT_TRUE(internal::EcPointFromXy(a, xy).ok());
    std::string off = xy;
    off[3] ^= 0x10;
    EXPECT_EQ(internal::EcPointFromXy(a, off).status().code(), ErrorCode::kPkiKeyInvalid);
    // x = p (little-endian 0xFF… is above p for both curves): not a field element.
    const std::string all_ff(xy.size() / 2, '\xff');
    EXPECT_EQ(internal::EcPointFromXy(a, all_ff + xy.substr(xy.size() / 2)).status().code(),
              ErrorCode::kPkiKeyInvalid);
  }
}

// Both verifiers must give the same verdict (and the expected one).
void ExpectBoth(const PublicKey& key, std::string_view digest, std::string_view sig, bool valid,
                const std::string& what) {
  const Status ours = key.Verify(digest, sig);
  const Status theirs = internal::GcryptVerify(key.algorithm(), key.xy_le(), digest, sig);
  if (valid) {
    EXPECT_TRUE(ours.ok()) << what << ": " << ours.ToString();
    EXPECT_TRUE(theirs.ok()) << what << ": " << theirs.ToString();
  } else {
    EXPECT_EQ(ours.code(), ErrorCode::kWssSignatureInvalid) << what << ": " << ours.ToString();
    EXPECT_EQ(theirs.code(), ErrorCode::kWssSignatureInvalid) << what << ": " << theirs.ToString();
  }
}

TEST(GostEcTest, AgreesWithLibgcryptOnRandomAndMutatedSignatures) {
  std::mt19937 rng(20261122);  // fixed: a failure names its case reproducibly
  for (const Algorithm a : kBoth) {
    const AlgorithmInfo& info = Describe(a);
    SCOPED_TRACE(std::string(info.name));
    const size_t half = info.signature_size / 2;
    std::vector<PrivateKey> keys;
    for (int i = 0; i < 10; ++i) {
      auto k = PrivateKey::Generate(a);
      ASSERT_TRUE(k.ok()) << k.status().ToString();
      keys.push_back(std::move(k).value());
    }
    for (int i = 0; i < 200; ++i) {
      const PrivateKey& key = keys[static_cast<size_t>(i) % keys.size()];
      const std::string digest = RandomBytes(info.digest_size);
      auto sig = key.Sign(digest);
      ASSERT_TRUE(sig.ok()) << sig.status().ToString();
      const std::string tag = "pair " + std::to_string(i);
      ExpectBoth(key.public_key(), digest, *sig, true, tag);
      // One random bit of r‖s, one of the digest.
      std::string bad_sig = *sig;
      bad_sig[rng() % bad_sig.size()] ^= static_cast<char>(1U << (rng() % 8));
      ExpectBoth(key.public_key(), digest, bad_sig, false, tag + " sig bit");
      std::string bad_digest = digest;
      bad_digest[rng() % bad_digest.size()] ^= static_cast<char>(1U << (rng() % 8));
      ExpectBoth(key.public_key(), bad_digest, *sig, false, tag + " digest bit");
      if (i % 10 == 0) {
        const PrivateKey& other = keys[(static_cast<size_t>(i) + 1) % keys.size()];
        ExpectBoth(other.public_key(), digest, *sig, false, tag + " other key");
        ExpectBoth(key.public_key(), digest, sig->substr(half) + sig->substr(0, half), false,
                   tag + " r and s swapped");
      }
    }

    // Range checks: r or s of 0 or n (and s + n would be out of range too).
    const PrivateKey& key = keys[0];
    const std::string digest = RandomBytes(info.digest_size);
    const std::string sig = key.Sign(digest).value();
    const std::string zero(half, '\0');
    const std::string n = OrderLe(a, half);
    ExpectBoth(key.public_key(), digest, zero + sig.substr(half), false, "r = 0");
    ExpectBoth(key.public_key(), digest, sig.substr(0, half) + zero, false, "s = 0");
    ExpectBoth(key.public_key(), digest, n + sig.substr(half), false, "r = n");
    ExpectBoth(key.public_key(), digest, sig.substr(0, half) + n, false, "s = n");
    ExpectBoth(key.public_key(), digest, std::string(info.signature_size, '\xff'), false,
               "r = s = 2^k - 1");

    // Digests whose integer is 0 mod n (e becomes 1) or not below n: both sides reduce alike.
    std::string n_digest(info.digest_size, '\0');
    n_digest.replace(0, std::min(half, n_digest.size()), n.substr(0, n_digest.size()));
    for (const std::string& d :
         {std::string(info.digest_size, '\0'), n_digest, std::string(info.digest_size, '\xff')}) {
      auto s = key.Sign(d);
      ASSERT_TRUE(s.ok()) << s.status().ToString();
      ExpectBoth(key.public_key(), d, *s, true, "edge digest");
      std::string flipped = *s;
      flipped[0] ^= 1;
      ExpectBoth(key.public_key(), d, flipped, false, "edge digest, sig bit");
    }
    // e = 0 and e = n are the same e (1): a signature over one verifies over the other.
    ExpectBoth(key.public_key(), n_digest, key.Sign(std::string(info.digest_size, '\0')).value(),
               true, "e = 0 signature over e = n");
  }
}

// One PublicKey (one shared EC_POINT, the shared group) verified from several threads at once:
// every verdict right. Each call has its own BN_CTX; nothing shared is written.
TEST(GostEcTest, SharedKeyVerifiesConcurrently) {
  for (const Algorithm a : kBoth) {
    auto key = PrivateKey::Generate(a);
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    const PublicKey pub = key->public_key();  // copies share the point
    const std::string digest = ComputeDigest(a, "concurrent");
    const std::string sig = key->Sign(digest).value();
    std::string bad = sig;
    bad[7] ^= 4;
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 25; ++i) {
          if (!pub.Verify(digest, sig).ok() ||
              pub.Verify(digest, bad).code() != ErrorCode::kWssSignatureInvalid) {
            ++wrong;
          }
        }
      });
    }
    for (auto& t : threads) {
      t.join();
    }
    EXPECT_EQ(wrong.load(), 0) << Describe(a).name;
  }
}

}  // namespace
}  // namespace shepgw::pki::gost
