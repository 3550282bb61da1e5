// Throughput of Verify and SignEnvelope against raw RSA-2048 verify (disabled by default; run
// with --gtest_also_run_disabled_tests). Target: verify >= 25% of the raw RSA verify rate.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <chrono>
#include <cstdio>

#include "shepgw/envelope/envelope.h"
#include "shepgw/wss/wss.h"
#include "unit/wss/test_pki.h"

namespace shepgw::wss {
namespace {

double PerSecond(int n, std::chrono::steady_clock::duration d) {
  return n / std::chrono::duration<double>(d).count();
}

TEST(WssBenchmark, DISABLED_VerifyAndSign) {
  testing::ClientMessage m;
  m.payload = std::string(1200, 'x');  // ~2 KB message
  const std::string xml = *testing::BuildClientMessage(m);
  auto trust = std::make_shared<testing::TestTrustStore>();
  trust->ForceStatus({});  // chain validation is pki's (cached) job, not measured here
  Verifier verifier({}, trust, nullptr);
  constexpr int kN = 3000;

  // Raw RSA-2048 verify of a SHA-256 digest.
  pki::EvpPkeyPtr priv = testing::LoadKey("signer-rsa");
  pki::X509Ptr cert = testing::LoadCert("signer-rsa");
  unsigned char sig[512];
  size_t sig_len = sizeof sig;
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  EVP_DigestSignInit(md, nullptr, EVP_sha256(), nullptr, priv.get());
  EVP_DigestSign(md, sig, &sig_len, reinterpret_cast<const unsigned char*>("x"), 1);
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kN; ++i) {
    EVP_DigestVerifyInit(md, nullptr, EVP_sha256(), nullptr, X509_get0_pubkey(cert.get()));
    ASSERT_EQ(EVP_DigestVerify(md, sig, sig_len, reinterpret_cast<const unsigned char*>("x"), 1),
              1);
  }
  const double raw = PerSecond(kN, std::chrono::steady_clock::now() - t0);
  EVP_MD_CTX_free(md);

  // Verify on an already parsed envelope (parse is the envelope module's cost).
  std::vector<std::unique_ptr<envelope::ParsedEnvelope>> envs;
  for (int i = 0; i < kN; ++i) {
    envs.push_back(std::move(envelope::ParseRequest(xml, {}).envelope));
  }
  t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kN; ++i) {
    ASSERT_TRUE(verifier.Verify(*envs[i]).ok());
  }
  const double verify = PerSecond(kN, std::chrono::steady_clock::now() - t0);

  Signer rsa(std::make_shared<pki::GatewayKey>(
      pki::GatewayKey{testing::LoadCert("gateway-rsa"), testing::LoadKey("gateway-rsa"),
                      "rsa-sha256"}));
  Signer ec(std::make_shared<pki::GatewayKey>(
      pki::GatewayKey{testing::LoadCert("gateway-ec"), testing::LoadKey("gateway-ec"),
                      "ecdsa-sha256"}));
  constexpr int kSignN = 500;
  t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kSignN; ++i) {
    ASSERT_TRUE(rsa.SignEnvelope(*envs[i]).ok());
  }
  const double sign_rsa = PerSecond(kSignN, std::chrono::steady_clock::now() - t0);
  t0 = std::chrono::steady_clock::now();
  for (int i = kSignN; i < 2 * kSignN; ++i) {
    ASSERT_TRUE(ec.SignEnvelope(*envs[i]).ok());
  }
  const double sign_ec = PerSecond(kSignN, std::chrono::steady_clock::now() - t0);
  std::printf("raw RSA-2048 verify %.0f/s; Verify %.0f/s (%.0f%%); SignEnvelope RSA %.0f/s, "
              "ECDSA %.0f/s\n",
              raw, verify, 100 * verify / raw, sign_rsa, sign_ec);
}

}  // namespace
}  // namespace shepgw::wss
