// TrustStore with NCA GOST chains: the GOST test PKI of scripts/gen-gost-test-pki.sh (root →
// inter → signers, CRLs), CAs issued in-test with gost::IssueCertificate for the cases the
// generator does not cover, and the real ShEP gateway certificate. And the gateway's own GOST
// key (LoadGatewayKey with gost2015-512: PKCS#8, the generator's and NCA's PKCS#12).

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "shepgw/pki/gost.h"
#include "shepgw/pki/trust.h"

#include "unit/pki/test_support.h"
#include <sys/stat.h>

namespace shepgw::pki {
namespace {

using std::chrono::hours;
using test_support::Contains;
using test_support::CopyFile;
using test_support::FakeClock;
using test_support::ReadFile;
using test_support::TempDir;
using test_support::WriteFile;
using TimePoint = std::chrono::system_clock::time_point;
constexpr auto kDay = hours(24);

const std::string& GostDir() {
  static const std::string dir = test_support::GeneratedDir(
      SHEPGW_GOST_TEST_PKI_DIR, "gateway.p12",
      std::string("GEN_GOST_TEST_PKI='") + SHEPGW_GEN_GOST_TEST_PKI + "' bash '" +
          SHEPGW_SOURCE_DIR + "/scripts/gen-gost-test-pki.sh'");
  return dir;
}
std::string G(const std::string& name) { return GostDir() + "/" + name; }
std::string R(const std::string& name) {  // the RSA test PKI (pki_test.cc generates it too)
  static const std::string dir = test_support::GeneratedDir(
      SHEPGW_TEST_PKI_DIR, "inter-stale.crl.pem",
      std::string("bash '") + SHEPGW_SOURCE_DIR + "/scripts/gen-wss-test-pki.sh'");
  return dir + "/" + name;
}

X509Ptr Cert(const std::string& path) {
  auto certs = LoadPemCertificates(path);
  if (!certs.ok()) {
    ADD_FAILURE() << certs.status().message();
    return nullptr;
  }
  return std::move(certs.value().front());
}

std::string Der(X509* cert) {
  unsigned char* der = nullptr;
  const int len = i2d_X509(cert, &der);
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(len > 0 ? len : 0));
  OPENSSL_free(der);
  return out;
}
std::string CertDer(const std::string& path) { return Der(Cert(path).get()); }

std::string Pem(const std::string& label, const std::string& der) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio(bio, label.c_str(), "", reinterpret_cast<const unsigned char*>(der.data()),
                static_cast<long>(der.size()));  // NOLINT(google-runtime-int)
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);  // NOLINT(google-runtime-int)
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

gost::PrivateKey Key(const std::string& name) {
  auto key = gost::PrivateKey::FromPkcs8Pem(ReadFile(G(name + ".key")));
  EXPECT_TRUE(key.ok()) << key.status().message();
  return std::move(key.value());
}
gost::PrivateKey NewKey() {
  auto key = gost::PrivateKey::Generate(gost::Algorithm::kGost2015_512);
  EXPECT_TRUE(key.ok());
  return std::move(key.value());
}

// The generator dates everything from its own "now": signer.pem is valid for 365 days from
// one day before it; inter.crl.pem was issued an hour before it.
TimePoint Generated() {
  return DescribeCertificate(Cert(G("signer.pem")).get()).not_after - 365 * kDay;
}
TimePoint Now() { return Generated() + hours(1); }

gost::CertificateTemplate Template(const std::string& cn, uint64_t serial, TimePoint nb,
                                   TimePoint na, bool ca) {
  gost::CertificateTemplate t;
  t.subject = {{"CN", cn}, {"C", "KZ"}};
  t.serial = serial;
  t.not_before = nb;
  t.not_after = na;
  t.ca = ca;
  if (ca) {
    t.key_usage = "critical,keyCertSign,cRLSign";
  }
  return t;
}

// Issues a certificate and writes it as PEM into `path`; returns its DER.
std::string IssueTo(const std::string& path, const gost::CertificateTemplate& t,
                    const gost::PublicKey& subject_key, const gost::PrivateKey& issuer_key,
                    const std::string& issuer_der) {
  auto der = gost::IssueCertificate(t, subject_key, issuer_key, issuer_der);
  EXPECT_TRUE(der.ok()) << der.status().message();
  WriteFile(path, Pem("CERTIFICATE", der.value()));
  return der.value();
}

config::TrustConfig Trust(std::vector<std::string> crls = {"root.crl.pem", "inter.crl.pem"}) {
  config::TrustConfig trust;
  trust.anchors = {G("root.pem")};
  trust.intermediates = {G("inter.pem")};
  for (auto& c : crls) {
    trust.crls.push_back(c.front() == '/' ? c : G(c));
  }
  return trust;
}

std::shared_ptr<TrustStore> MustLoad(const config::TrustConfig& trust, const Clock& clock) {
  auto store = LoadTrustStore(trust, clock);
  EXPECT_TRUE(store.ok()) << store.status().message();
  return store.ok() ? store.value() : nullptr;
}

Status Check(const TrustStore& store, const std::string& path) {
  return store.Validate(Cert(path).get());
}

std::string LoadError(const config::TrustConfig& trust) {
  FakeClock clock(Now());
  auto store = LoadTrustStore(trust, clock);
  EXPECT_FALSE(store.ok());
  return store.ok() ? "" : store.status().message();
}

const std::string kInter = "C=KZ,CN=ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST) shepgw TEST 2022";

TEST(GostTrustTest, ValidSignersOfBothKeyAlgorithms) {
  FakeClock clock(Now());
  auto store = MustLoad(Trust(), clock);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(Check(*store, G("signer.pem")).ok()) << Check(*store, G("signer.pem")).message();
  EXPECT_TRUE(Check(*store, G("signer2.pem")).ok());
  // A GOST 34.310-2004 subject key under a 2015-512 CA: the chain is about the CA's key.
  EXPECT_TRUE(Check(*store, G("signer-gost2004.pem")).ok());
  EXPECT_TRUE(Check(*store, G("gateway.pem")).ok());
}

TEST(GostTrustTest, EachSignerClassGetsItsCode) {
  FakeClock clock(Now());
  auto store = MustLoad(Trust(), clock);
  ASSERT_NE(store, nullptr);
  const Status expired = Check(*store, G("signer-expired.pem"));
  EXPECT_EQ(expired.code(), ErrorCode::kPkiCertificateExpired);
  EXPECT_TRUE(Contains(expired.message(),
                       "certificate 'C=KZ,CN=ИСТЁКШИЙ ТЕСТ' (serial 4100) "
                       "expired at "))
      << expired.message();
  const Status future = Check(*store, G("signer-future.pem"));
  EXPECT_EQ(future.code(), ErrorCode::kPkiCertificateNotYetValid);
  EXPECT_TRUE(Contains(future.message(),
                       "certificate 'C=KZ,CN=БУДУЩИЙ ТЕСТ' (serial 4101) is "
                       "not valid before "))
      << future.message();
  const Status revoked = Check(*store, G("signer-revoked.pem"));
  EXPECT_EQ(revoked.code(), ErrorCode::kPkiCertificateRevoked);
  EXPECT_EQ(revoked.message(),
            "certificate 'C=KZ,CN=ОТОЗВАННЫЙ ТЕСТ' (serial 4102) is revoked "
            "(CRL of '" +
                kInter + "')");
  const Status ku = Check(*store, G("signer-keyusage.pem"));
  EXPECT_EQ(ku.code(), ErrorCode::kPkiCertificateKeyUsage);
  EXPECT_TRUE(Contains(ku.message(), "allows neither digitalSignature nor nonRepudiation"));
  const Status untrusted = Check(*store, G("signer-untrusted.pem"));
  EXPECT_EQ(untrusted.code(), ErrorCode::kPkiCertificateUntrusted);
  EXPECT_EQ(untrusted.message(),
            "certificate 'C=KZ,CN=ЧУЖОЙ ТЕСТ' (serial 4103) is not trusted: unable to get local "
            "issuer certificate (no configured CA is 'C=KZ,CN=shepgw TEST other root (GOST)')");
}

TEST(GostTrustTest, ChainNeedsTheIntermediateAndEndsAtAnAnchor) {
  FakeClock clock(Now());
  config::TrustConfig no_inter = Trust({});
  no_inter.intermediates.clear();
  no_inter.check_revocation = false;
  auto store = MustLoad(no_inter, clock);
  ASSERT_NE(store, nullptr);
  const Status s = Check(*store, G("signer.pem"));
  EXPECT_EQ(s.code(), ErrorCode::kPkiCertificateUntrusted);
  EXPECT_TRUE(Contains(s.message(), "no configured CA is '" + kInter + "'")) << s.message();

  // The intermediate as the only anchor: trusted (it is configured as an anchor), the
  // root is not needed.
  config::TrustConfig inter_anchor = no_inter;
  inter_anchor.anchors = {G("inter.pem")};
  store = MustLoad(inter_anchor, clock);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(Check(*store, G("signer.pem")).ok());

  // The root as an intermediate only: no anchor at the top.
  config::TrustConfig root_as_inter = no_inter;
  root_as_inter.anchors = {G("other-root.pem")};
  root_as_inter.intermediates = {G("inter.pem"), G("root.pem")};
  store = MustLoad(root_as_inter, clock);
  ASSERT_NE(store, nullptr);
  const Status top = Check(*store, G("signer.pem"));
  EXPECT_EQ(top.code(), ErrorCode::kPkiCertificateUntrusted);
  EXPECT_TRUE(Contains(top.message(), "the chain ends at a CA that is not a trust anchor"))
      << top.message();
}

TEST(GostTrustTest, SignerUnderASecondIntermediate) {
  TempDir tmp;
  const gost::PrivateKey root_key = Key("root");
  const gost::PrivateKey inter2_key = NewKey();
  const gost::PrivateKey signer_key = NewKey();
  const std::string inter2 = IssueTo(tmp.File("inter2.pem"),
                                     Template("ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST) shepgw TEST 2025",
                                              20, Now() - kDay, Now() + 100 * kDay, true),
                                     inter2_key.public_key(), root_key, CertDer(G("root.pem")));
  IssueTo(tmp.File("signer.pem"),
          Template("ҮШІНШІ ТЕСТ", 21, Now() - kDay, Now() + 10 * kDay, false),
          signer_key.public_key(), inter2_key, inter2);
  config::TrustConfig trust = Trust({});
  trust.check_revocation = false;
  trust.intermediates = {G("inter.pem"), tmp.File("inter2.pem")};
  FakeClock clock(Now());
  auto store = MustLoad(trust, clock);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(Check(*store, tmp.File("signer.pem")).ok());
  EXPECT_TRUE(Check(*store, G("signer.pem")).ok());
}

TEST(GostTrustTest, CaReKeyedUnderTheSameNameTheKeyThatVerifiesWins) {
  TempDir tmp;
  // A second "inter" with the same subject but a new key, listed before the real one.
  const gost::PrivateKey new_key = NewKey();
  gost::CertificateTemplate t = Template("ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST) shepgw TEST 2022", 30,
                                         Now() - kDay, Now() + 100 * kDay, true);
  const std::string rekeyed = IssueTo(tmp.File("inter-new.pem"), t, new_key.public_key(),
                                      Key("root"), CertDer(G("root.pem")));
  IssueTo(tmp.File("signer-new.pem"),
          Template("ЖАҢА ТЕСТ", 31, Now() - kDay, Now() + 10 * kDay, false), NewKey().public_key(),
          new_key, rekeyed);
  config::TrustConfig trust = Trust({});
  trust.check_revocation = false;
  trust.intermediates = {tmp.File("inter-new.pem"), G("inter.pem")};
  FakeClock clock(Now());
  auto store = MustLoad(trust, clock);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(Check(*store, G("signer.pem")).ok());
  EXPECT_TRUE(Check(*store, tmp.File("signer-new.pem")).ok());
}

TEST(GostTrustTest, RenewedCaCertificateOfTheSameKeyKeepsItsCrl) {
  // The intermediate's certificate renewed (same name, same key, new serial), the expired one
  // still configured first: the CRL is bound to the first certificate whose key verifies it at
  // load, the chain is built through the one valid now. Revocation must still find that CRL
  // (same name and key = the same CA), so a revoked signer stays revoked — not "no CRL for
  // issuer" (an outage with fail_closed, a silently skipped check with fail_open).
  TempDir tmp;
  IssueTo(tmp.File("inter-old.pem"),
          Template("ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST) shepgw TEST 2022", 40, Now() - 400 * kDay,
                   Now() - kDay, true),
          Key("inter").public_key(), Key("root"), CertDer(G("root.pem")));
  for (const std::string policy : {"fail_closed", "fail_open"}) {
    SCOPED_TRACE(policy);
    config::TrustConfig trust = Trust();
    trust.intermediates = {tmp.File("inter-old.pem"), G("inter.pem")};
    trust.crl_policy = policy;
    FakeClock clock(Now());
    auto store = MustLoad(trust, clock);
    ASSERT_NE(store, nullptr);
    EXPECT_TRUE(Check(*store, G("signer.pem")).ok()) << Check(*store, G("signer.pem")).message();
    const Status revoked = Check(*store, G("signer-revoked.pem"));
    EXPECT_EQ(revoked.code(), ErrorCode::kPkiCertificateRevoked) << revoked.message();
  }
}

TEST(GostTrustTest, CaWithConstraintsGostChainsDoNotEnforceIsRefused) {
  // nameConstraints / policyConstraints are enforced by OpenSSL on RSA/EC chains; the GOST chain
  // builder does not implement them, so a CA carrying one is refused rather than ignored.
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"nameConstraints", "critical,permitted;email:.kz"},
           {"policyConstraints", "critical,requireExplicitPolicy:0"}}) {
    SCOPED_TRACE(name);
    TempDir tmp;
    const gost::PrivateKey ca_key = NewKey();
    gost::CertificateTemplate t =
        Template("ОГРАНИЧЕННЫЙ ТЕСТ CA", 50, Now() - kDay, Now() + 100 * kDay, true);
    t.extra_extensions = {{name, value}};
    const std::string ca =
        IssueTo(tmp.File("ca.pem"), t, ca_key.public_key(), Key("root"), CertDer(G("root.pem")));
    IssueTo(tmp.File("signer.pem"),
            Template("ТЕСТ ПОД ОГРАНИЧЕНИЕМ", 51, Now() - kDay, Now() + 10 * kDay, false),
            NewKey().public_key(), ca_key, ca);
    config::TrustConfig trust = Trust({});
    trust.check_revocation = false;
    trust.intermediates = {G("inter.pem"), tmp.File("ca.pem")};
    FakeClock clock(Now());
    auto store = MustLoad(trust, clock);
    ASSERT_NE(store, nullptr);
    const Status s = Check(*store, tmp.File("signer.pem"));
    EXPECT_EQ(s.code(), ErrorCode::kPkiCertificateUntrusted) << s.message();
    EXPECT_TRUE(Contains(s.message(), "carries " + name + ", which GOST chains do not enforce"))
        << s.message();
    EXPECT_TRUE(Check(*store, G("signer.pem")).ok());  // the rest of the store is unaffected
  }
}

TEST(GostTrustTest, RightIssuerNameButAnotherKeyIsUntrusted) {
  TempDir tmp;
  // An impostor CA: the real intermediate's name, its own key, self-signed.
  const gost::PrivateKey impostor_key = NewKey();
  gost::CertificateTemplate t = Template("ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST) shepgw TEST 2022", 2,
                                         Now() - kDay, Now() + 100 * kDay, true);
  const std::string impostor =
      IssueTo(tmp.File("impostor.pem"), t, impostor_key.public_key(), impostor_key, "");
  IssueTo(tmp.File("signer.pem"),
          Template("ТЕСТОВ ТЕСТ", 0x1001, Now() - kDay, Now() + 10 * kDay, false),
          NewKey().public_key(), impostor_key, impostor);
  FakeClock clock(Now());
  auto store = MustLoad(Trust(), clock);
  ASSERT_NE(store, nullptr);
  const Status s = Check(*store, tmp.File("signer.pem"));
  EXPECT_EQ(s.code(), ErrorCode::kPkiCertificateUntrusted);
  EXPECT_TRUE(Contains(s.message(), "no configured CA '" + kInter +
                                        "' has the subjectKeyIdentifier its "
                                        "authorityKeyIdentifier names"))
      << s.message();

  // The real certificate with one bit of its signature flipped: names and key ids all match,
  // only the signature does not verify.
  std::string der = CertDer(G("signer.pem"));
  der[der.size() - 5] = static_cast<char>(der[der.size() - 5] ^ 0x01);
  WriteFile(tmp.File("tampered.pem"), Pem("CERTIFICATE", der));
  const Status t2 = Check(*store, tmp.File("tampered.pem"));
  EXPECT_EQ(t2.code(), ErrorCode::kPkiCertificateUntrusted);
  EXPECT_TRUE(Contains(t2.message(),
                       "certificate signature failure (it does not verify with the "
                       "key of the configured CA '" +
                           kInter + "')"))
      << t2.message();
}

TEST(GostTrustTest, ExpiredAndNotYetValidCa) {
  TempDir tmp;
  const gost::PrivateKey ca_key = NewKey();
  const std::string old_ca =
      IssueTo(tmp.File("old-ca.pem"),
              Template("ЕСКІ CA (GOST)", 40, Now() - 100 * kDay, Now() - kDay, true),
              ca_key.public_key(), Key("root"), CertDer(G("root.pem")));
  IssueTo(tmp.File("under-old.pem"),
          Template("ЕСКІ ТЕСТ", 41, Now() - 50 * kDay, Now() + 10 * kDay, false),
          NewKey().public_key(), ca_key, old_ca);
  const gost::PrivateKey future_key = NewKey();
  const std::string future_ca =
      IssueTo(tmp.File("future-ca.pem"),
              Template("БОЛАШАҚ CA (GOST)", 42, Now() + kDay, Now() + 100 * kDay, true),
              future_key.public_key(), Key("root"), CertDer(G("root.pem")));
  IssueTo(tmp.File("under-future.pem"),
          Template("БОЛАШАҚ ТЕСТ", 43, Now() - kDay, Now() + 10 * kDay, false),
          NewKey().public_key(), future_key, future_ca);
  config::TrustConfig trust = Trust({});
  trust.check_revocation = false;
  trust.intermediates = {tmp.File("old-ca.pem"), tmp.File("future-ca.pem")};
  FakeClock clock(Now());
  auto store = MustLoad(trust, clock);
  ASSERT_NE(store, nullptr);
  const Status expired = Check(*store, tmp.File("under-old.pem"));
  EXPECT_EQ(expired.code(), ErrorCode::kPkiCertificateExpired);
  EXPECT_TRUE(Contains(expired.message(),
                       "CA certificate 'C=KZ,CN=ЕСКІ CA (GOST)' (serial 40) in the chain of "
                       "'C=KZ,CN=ЕСКІ ТЕСТ' (serial 41) expired at "))
      << expired.message();
  const Status future = Check(*store, tmp.File("under-future.pem"));
  EXPECT_EQ(future.code(), ErrorCode::kPkiCertificateNotYetValid);
  EXPECT_TRUE(Contains(future.message(),
                       "CA certificate 'C=KZ,CN=БОЛАШАҚ CA (GOST)' (serial 42) in the chain of "))
      << future.message();
  // Time-dependent verdicts are not cached: once the CA is valid, so is the signer.
  clock.Set(Now() + 2 * kDay);
  EXPECT_TRUE(Check(*store, tmp.File("under-future.pem")).ok());
}

TEST(GostTrustTest, IssuerWithoutBasicConstraintsIsNotACa) {
  TempDir tmp;
  // keyCertSign without basicConstraints: OpenSSL's X509_check_ca lets it be configured, the
  // chain builder refuses it as an issuer.
  const gost::PrivateKey ca_key = NewKey();
  gost::CertificateTemplate t =
      Template("НЕ CA (GOST)", 50, Now() - kDay, Now() + 100 * kDay, false);
  t.key_usage = "critical,keyCertSign,cRLSign";
  const std::string not_ca =
      IssueTo(tmp.File("not-ca.pem"), t, ca_key.public_key(), Key("root"), CertDer(G("root.pem")));
  IssueTo(tmp.File("under.pem"), Template("ТЕСТ", 51, Now() - kDay, Now() + 10 * kDay, false),
          NewKey().public_key(), ca_key, not_ca);
  config::TrustConfig trust = Trust({});
  trust.check_revocation = false;
  trust.intermediates = {tmp.File("not-ca.pem")};
  FakeClock clock(Now());
  auto store = MustLoad(trust, clock);
  ASSERT_NE(store, nullptr);
  const Status s = Check(*store, tmp.File("under.pem"));
  EXPECT_EQ(s.code(), ErrorCode::kPkiCertificateUntrusted);
  EXPECT_TRUE(Contains(s.message(),
                       "is not trusted: it is not a CA (no basicConstraints "
                       "CA:TRUE)"))
      << s.message();
}

TEST(GostTrustTest, RevokedCa) {
  TempDir tmp;
  gost::CrlTemplate crl;
  crl.this_update = Now() - hours(2);
  crl.next_update = Now() + 10 * kDay;
  crl.revoked = {{2, Now() - hours(3)}};  // inter's serial
  auto der = gost::IssueCrl(crl, Key("root"), CertDer(G("root.pem")));
  ASSERT_TRUE(der.ok()) << der.status().message();
  WriteFile(tmp.File("root.crl"), der.value());  // DER
  FakeClock clock(Now());
  auto store = MustLoad(Trust({tmp.File("root.crl"), "inter.crl.pem"}), clock);
  ASSERT_NE(store, nullptr);
  const Status s = Check(*store, G("signer.pem"));
  EXPECT_EQ(s.code(), ErrorCode::kPkiCertificateRevoked);
  EXPECT_TRUE(Contains(s.message(), "CA certificate '" + kInter +
                                        "' (serial 2) in the chain of "
                                        "'C=KZ,CN=ТЕСТОВ ТЕСТ' (serial 4097) is revoked"))
      << s.message();
}

TEST(GostTrustTest, StaleCrlFollowsThePolicyAndReloadRecovers) {
  TempDir tmp;
  const std::string inter_crl = tmp.File("inter.crl.pem");
  CopyFile(G("inter-stale.crl.pem"), inter_crl);
  FakeClock clock(Now());
  auto closed = MustLoad(Trust({"root.crl.pem", inter_crl}), clock);
  ASSERT_NE(closed, nullptr);
  const Status s = Check(*closed, G("signer.pem"));
  EXPECT_EQ(s.code(), ErrorCode::kPkiRevocationUnknown);
  EXPECT_TRUE(Contains(s.message(), "the CRL of '" + kInter + "' is not current")) << s.message();

  config::TrustConfig open = Trust({"root.crl.pem", inter_crl});
  open.crl_policy = "fail_open";
  auto opened = MustLoad(open, clock);
  ASSERT_NE(opened, nullptr);
  EXPECT_TRUE(Check(*opened, G("signer.pem")).ok());
  EXPECT_EQ(opened->revocation_unknown_accepted(), 1U);

  // The fresh CRL arrives: a reload picks it up (the cache is dropped) and the revoked signer
  // is now known as such.
  CopyFile(G("inter.crl.pem"), inter_crl);
  EXPECT_TRUE(closed->ReloadCrls().ok());
  EXPECT_TRUE(Check(*closed, G("signer.pem")).ok());
  EXPECT_EQ(Check(*closed, G("signer-revoked.pem")).code(), ErrorCode::kPkiCertificateRevoked);
  EXPECT_GT(closed->EarliestCrlNextUpdate(), Now() + 20 * kDay);
}

TEST(GostTrustTest, TamperedCrlIsRefusedAtLoadAndKeptOutOnReload) {
  TempDir tmp;
  std::string der;
  {
    const std::string pem = ReadFile(G("inter.crl.pem"));
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    X509_CRL* crl = PEM_read_bio_X509_CRL(bio, nullptr, nullptr, nullptr);
    unsigned char* out = nullptr;
    const int len = i2d_X509_CRL(crl, &out);
    der.assign(reinterpret_cast<const char*>(out), static_cast<size_t>(len));
    OPENSSL_free(out);
    X509_CRL_free(crl);
    BIO_free(bio);
  }
  ASSERT_FALSE(der.empty());
  std::string tampered = der;
  tampered[tampered.size() - 3] = static_cast<char>(tampered[tampered.size() - 3] ^ 0x01);
  WriteFile(tmp.File("bad.crl"), tampered);
  EXPECT_EQ(LoadError(Trust({tmp.File("bad.crl")})),
            "trust.crls[0] '" + tmp.File("bad.crl") + "': the signature of the CRL of '" + kInter +
                "' does not verify with that CA's key");

  // On reload the previous (good) CRL stays.
  WriteFile(tmp.File("inter.crl"), der);
  FakeClock clock(Now());
  auto store = MustLoad(Trust({"root.crl.pem", tmp.File("inter.crl")}), clock);
  ASSERT_NE(store, nullptr);
  WriteFile(tmp.File("inter.crl"), tampered);
  EXPECT_FALSE(store->ReloadCrls().ok());
  EXPECT_EQ(store->crl_reload_failures(), 1U);
  EXPECT_EQ(Check(*store, G("signer-revoked.pem")).code(), ErrorCode::kPkiCertificateRevoked);
}

TEST(GostTrustTest, VerdictsAreCached) {
  FakeClock clock(Now());
  auto store = MustLoad(Trust(), clock);
  ASSERT_NE(store, nullptr);
  X509Ptr signer = Cert(G("signer.pem"));
  X509Ptr revoked = Cert(G("signer-revoked.pem"));
  EXPECT_TRUE(store->Validate(signer.get()).ok());
  EXPECT_EQ(store->cache_hits(), 0U);
  EXPECT_TRUE(store->Validate(signer.get()).ok());
  EXPECT_TRUE(store->ValidateFingerprinted(signer.get(), Sha256Fingerprint(signer.get())).ok());
  EXPECT_EQ(store->cache_hits(), 2U);
  EXPECT_EQ(store->Validate(revoked.get()).code(), ErrorCode::kPkiCertificateRevoked);
  EXPECT_EQ(store->Validate(revoked.get()).code(), ErrorCode::kPkiCertificateRevoked);
  EXPECT_EQ(store->cache_hits(), 3U);
  // The cached OK verdict does not outlive the CRL it relied on (nextUpdate +30 days).
  clock.Set(Now() + 31 * kDay);
  EXPECT_EQ(store->Validate(signer.get()).code(), ErrorCode::kPkiRevocationUnknown);
  EXPECT_EQ(store->cache_hits(), 3U);
}

// Creates a self-signed RSA CA certificate with the given subject (OpenSSL API).
std::string RsaCaWithSubject(const X509_NAME* subject, TimePoint now) {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 77);
  X509_set_subject_name(x, subject);
  X509_set_issuer_name(x, subject);
  X509_time_adj(X509_getm_notBefore(x), 0, nullptr);
  const time_t t = std::chrono::system_clock::to_time_t(now);
  ASN1_TIME_set(X509_getm_notBefore(x), t - 86400);
  ASN1_TIME_set(X509_getm_notAfter(x), t + 86400 * 100);
  X509_set_pubkey(x, key);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  X509_EXTENSION* bc =
      X509V3_EXT_conf_nid(nullptr, &ctx, NID_basic_constraints, "critical,CA:TRUE");
  X509_add_ext(x, bc, -1);
  X509_EXTENSION_free(bc);
  X509_EXTENSION* ku =
      X509V3_EXT_conf_nid(nullptr, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
  X509_add_ext(x, ku, -1);
  X509_EXTENSION_free(ku);
  X509_sign(x, key, EVP_sha256());
  std::string der = Der(x);
  X509_free(x);
  EVP_PKEY_free(key);
  return der;
}

TEST(GostTrustTest, MixedStoreRsaAndGost) {
  FakeClock clock(DescribeCertificate(Cert(R("signer-rsa.pem")).get()).not_after - 365 * kDay +
                  hours(1));
  config::TrustConfig trust;
  trust.anchors = {R("root.pem"), G("root.pem")};
  trust.intermediates = {G("inter.pem"), R("inter.pem")};
  trust.crls = {R("root.crl.pem"), R("inter.crl.pem"), G("root.crl.pem"), G("inter.crl.pem")};
  // The two PKIs were generated at different times: check each at its own time.
  auto store = MustLoad(trust, clock);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(Check(*store, R("signer-rsa.pem")).ok())
      << Check(*store, R("signer-rsa.pem")).message();
  EXPECT_EQ(Check(*store, R("signer-revoked.pem")).code(), ErrorCode::kPkiCertificateRevoked);
  FakeClock gost_clock(Now());
  store = MustLoad(trust, gost_clock);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(Check(*store, G("signer.pem")).ok()) << Check(*store, G("signer.pem")).message();
  EXPECT_EQ(Check(*store, G("signer-revoked.pem")).code(), ErrorCode::kPkiCertificateRevoked);
}

TEST(GostTrustTest, RsaAnchorWithLooseDerStillLoads) {
  // An RSA CA certificate whose outer signatureAlgorithm omits the NULL parameters its inner
  // one has: OpenSSL loads it (it never checks an anchor's own signature), pki::gost's strict
  // DER reader refuses it. Only Kazakh GOST keys go through the latter, so the store loads.
  TempDir tmp;
  X509Ptr rsa_root = Cert(R("root.pem"));
  ASSERT_NE(rsa_root, nullptr);
  const X509_ALGOR* outer = nullptr;
  X509_get0_signature(nullptr, &outer, rsa_root.get());
  ASSERT_EQ(X509_ALGOR_set0(const_cast<X509_ALGOR*>(outer),  // NOLINT: OpenSSL's API
                            OBJ_nid2obj(NID_sha256WithRSAEncryption), V_ASN1_UNDEF, nullptr),
            1);
  const std::string loose = Der(rsa_root.get());
  ASSERT_EQ(gost::CertificatePublicKey(loose).status().code(), ErrorCode::kPkiCertificateMalformed);
  WriteFile(tmp.File("rsa-root-loose.pem"), Pem("CERTIFICATE", loose));
  config::TrustConfig trust = Trust();
  trust.anchors.push_back(tmp.File("rsa-root-loose.pem"));
  FakeClock clock(Now());
  auto store = MustLoad(trust, clock);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(Check(*store, G("signer.pem")).ok());
}

TEST(GostTrustTest, GostLeafUnderAnRsaCaDoesNotVerify) {
  TempDir tmp;
  // An RSA CA that carries the GOST intermediate's exact name.
  X509Ptr inter = Cert(G("inter.pem"));
  WriteFile(tmp.File("rsa-ca.pem"),
            Pem("CERTIFICATE", RsaCaWithSubject(X509_get_subject_name(inter.get()), Now())));
  config::TrustConfig trust;
  trust.anchors = {tmp.File("rsa-ca.pem")};
  trust.check_revocation = false;
  FakeClock clock(Now());
  auto store = MustLoad(trust, clock);
  ASSERT_NE(store, nullptr);
  const Status s = Check(*store, G("signer.pem"));
  EXPECT_EQ(s.code(), ErrorCode::kPkiCertificateUntrusted);
  EXPECT_EQ(s.message(),
            "certificate 'C=KZ,CN=ТЕСТОВ ТЕСТ' (serial 4097) is not trusted: its "
            "GOST signature cannot be checked: the configured CA '" +
                kInter + "' has no GOST key (a chain does not mix algorithms)");
}

TEST(GostTrustTest, LoadErrors) {
  TempDir tmp;
  // A GOST anchor whose key is not a point on the curve: the file is named at load.
  std::string der = CertDer(G("root.pem"));
  auto key = gost::CertificatePublicKey(der);
  ASSERT_TRUE(key.ok());
  const size_t at = der.find(key->xy_le());
  ASSERT_NE(at, std::string::npos);
  der[at + 3] = static_cast<char>(der[at + 3] ^ 0x40);
  WriteFile(tmp.File("bad-key.pem"), Pem("CERTIFICATE", der));
  config::TrustConfig trust = Trust({});
  trust.anchors = {tmp.File("bad-key.pem")};
  const std::string bad_key = LoadError(trust);
  EXPECT_TRUE(Contains(bad_key, "trust.anchors[0] '" + tmp.File("bad-key.pem") +
                                    "': 'C=KZ,CN=ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST) shepgw TEST "
                                    "root' (serial 1): unusable GOST public key: "))
      << bad_key;

  // An anchor must be a certificate: the CA's bare key (as recovered from its signatures) is
  // not one, nor is a GOST end-entity certificate.
  WriteFile(tmp.File("key.pem"), Pem("PUBLIC KEY", key->ToSpki()));
  trust.anchors = {tmp.File("key.pem")};
  EXPECT_EQ(LoadError(trust),
            "trust.anchors[0] '" + tmp.File("key.pem") + "': no PEM certificate found");
  trust.anchors = {G("signer.pem")};
  EXPECT_EQ(LoadError(trust), "trust.anchors[0] '" + G("signer.pem") +
                                  "': 'C=KZ,CN=ТЕСТОВ ТЕСТ' (serial 4097) is not a CA certificate");
  // A GOST CRL whose issuer is not configured.
  trust = Trust({"inter.crl.pem"});
  trust.intermediates.clear();
  EXPECT_EQ(LoadError(trust), "trust.crls[0] '" + G("inter.crl.pem") + "': CRL issued by '" +
                                  kInter +
                                  "', which is neither a trust anchor nor an intermediate");
}

// The ShEP gateway's production certificate, issued by "ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST)
// 2022". That CA certificate is not available here, only its public key (recovered from its
// signatures); a stand-in CA certificate with that name and that key, issued by a test root,
// lets the real certificate's signature, AKI and extensions go through the chain builder.
TEST(GostTrustTest, ShepGatewayCertificateUnderTheNcaGost2022Key) {
  TempDir tmp;
  const std::string hex = ReadFile(std::string(SHEPGW_SOURCE_DIR) +
                                   "/tests/data/gost/nca-gost-2022-ca-pubkey-xy-le.hex");
  std::string xy;
  for (size_t i = 0; i + 1 < hex.size() && xy.size() < 128; i += 2) {
    xy.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  auto nca_key = gost::PublicKey::FromXy(gost::Algorithm::kGost2015_512, xy);
  ASSERT_TRUE(nca_key.ok()) << nca_key.status().message();
  const TimePoint t = std::chrono::sys_days(std::chrono::year{2026} / 6 / 1);
  const gost::PrivateKey root_key = NewKey();
  gost::CertificateTemplate root_t =
      Template("shepgw TEST stand-in root (GOST)", 1, t - 5000 * kDay, t + 5000 * kDay, true);
  const std::string root =
      IssueTo(tmp.File("root.pem"), root_t, root_key.public_key(), root_key, "");
  IssueTo(tmp.File("nca.pem"),
          Template("ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST) 2022", 2, t - 2000 * kDay, t + 2000 * kDay,
                   true),
          nca_key.value(), root_key, root);
  config::TrustConfig trust;
  trust.anchors = {tmp.File("root.pem")};
  trust.intermediates = {tmp.File("nca.pem")};
  trust.check_revocation = false;
  FakeClock clock(t);
  auto store = MustLoad(trust, clock);
  ASSERT_NE(store, nullptr);
  const std::string shep =
      std::string(SHEPGW_SOURCE_DIR) + "/tests/data/gost/shep-gateway-cert-gost2015-512.pem";
  const Status ok = Check(*store, shep);
  EXPECT_TRUE(ok.ok()) << ok.message();
  clock.Set(std::chrono::sys_days(std::chrono::year{2028} / 3 / 1));
  EXPECT_EQ(Check(*store, shep).code(), ErrorCode::kPkiCertificateExpired);

  // With revocation on and no CRL of that CA: unknown, naming the CA (the CRL an operator
  // downloads from crl.pki.gov.kz).
  trust.check_revocation = true;
  clock.Set(t);
  store = MustLoad(trust, clock);
  ASSERT_NE(store, nullptr);
  const Status unknown = Check(*store, shep);
  EXPECT_EQ(unknown.code(), ErrorCode::kPkiRevocationUnknown);
  EXPECT_TRUE(Contains(unknown.message(),
                       "no CRL for issuer 'C=KZ,CN=ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST) 2022'"))
      << unknown.message();
}

// ---- The gateway's GOST key ----

std::string Base64File(const std::string& path) {
  std::string clean;
  for (const char c : ReadFile(path)) {
    if (c != '\n' && c != '\r' && c != ' ') {
      clean.push_back(c);
    }
  }
  std::string out(clean.size() / 4 * 3 + 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(clean.data()),
                                static_cast<int>(clean.size()));
  EXPECT_GT(n, 0);
  size_t pad = 0;
  while (pad < clean.size() && clean[clean.size() - 1 - pad] == '=') {
    ++pad;
  }
  out.resize(static_cast<size_t>(n > 0 ? n : 0) - pad);
  return out;
}

std::string Secret(const TempDir& tmp, const std::string& password,
                   std::filesystem::perms perms = std::filesystem::perms::owner_read |
                                                  std::filesystem::perms::owner_write) {
  const std::string path = tmp.File("p12.pass");
  WriteFile(path, password);
  std::filesystem::permissions(path, perms);
  return path;
}

config::GatewayKeyConfig GostKey(const std::string& cert, const std::string& key) {
  config::GatewayKeyConfig c;
  c.algorithm = "gost2015-512";
  c.cert_file = cert;
  c.key_file = key;
  return c;
}
config::GatewayKeyConfig GostP12(const std::string& p12, const std::string& password_file,
                                 const std::string& cert = "") {
  config::GatewayKeyConfig c;
  c.algorithm = "gost2015-512";
  c.cert_file = cert;
  c.pkcs12_file = p12;
  c.password_file = password_file;
  return c;
}

// The loaded key signs, and the loaded certificate's key verifies it.
void ExpectUsable(const GatewayKey& key) {
  EXPECT_EQ(key.algorithm, "gost2015-512");
  EXPECT_EQ(key.key, nullptr);
  ASSERT_NE(key.gost_key, nullptr);
  ASSERT_NE(key.cert, nullptr);
  EXPECT_EQ(key.gost_key->algorithm(), gost::Algorithm::kGost2015_512);
  auto sig = key.gost_key->SignData("signed by the gateway");
  ASSERT_TRUE(sig.ok());
  auto pub = gost::CertificatePublicKey(Der(key.cert.get()));
  ASSERT_TRUE(pub.ok());
  EXPECT_TRUE(pub->VerifyData("signed by the gateway", *sig).ok());
}

TEST(GostGatewayKeyTest, Pkcs8KeyFile) {
  auto key = LoadGatewayKey(GostKey(G("gateway.pem"), G("gateway.key")));
  ASSERT_TRUE(key.ok()) << key.status().message();
  ExpectUsable(*key.value());
  EXPECT_EQ(DescribeCertificate(key.value()->cert.get()).subject, "C=KZ,CN=Шлюз shepgw TEST");
}

TEST(GostGatewayKeyTest, GeneratorPkcs12WithAndWithoutCert) {
  TempDir tmp;
  const std::string pass = Secret(tmp, "test\n");  // a trailing newline is not the password's
  auto from_container = LoadGatewayKey(GostP12(G("gateway.p12"), pass));
  ASSERT_TRUE(from_container.ok()) << from_container.status().message();
  ExpectUsable(*from_container.value());
  EXPECT_EQ(Der(from_container.value()->cert.get()), CertDer(G("gateway.pem")));
  auto with_cert = LoadGatewayKey(GostP12(G("gateway.p12"), pass, G("gateway.pem")));
  ASSERT_TRUE(with_cert.ok()) << with_cert.status().message();
  ExpectUsable(*with_cert.value());
  // A configured certificate must be the key's.
  EXPECT_EQ(LoadGatewayKey(GostP12(G("gateway.p12"), pass, G("signer.pem"))).status().message(),
            "gateway_key.pkcs12 '" + G("gateway.p12") +
                "': does not match the certificate in gateway_key.cert '" + G("signer.pem") + "'");
}

TEST(GostGatewayKeyTest, SecretFilesMustBeRegularAndBounded) {
  // A FIFO (or a device) as the password file would block start-up or never end; a "key" of
  // megabytes is not a key. Both are refused before anything is read.
  TempDir tmp;
  const std::string fifo = tmp.File("pass.fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(LoadGatewayKey(GostP12(G("gateway.p12"), fifo)).status().message(),
            "gateway_key.password_file '" + fifo + "': not a regular file");
  const std::string big = tmp.File("big.key");
  WriteFile(big, std::string(size_t{2} * 1024 * 1024, 'A'));
  config::GatewayKeyConfig c;
  c.algorithm = "gost2015-512";
  c.cert_file = G("gateway.pem");
  c.key_file = big;
  const Status s = LoadGatewayKey(c).status();
  EXPECT_TRUE(Contains(s.message(), "larger than 1048576 bytes")) << s.message();
  c.algorithm = "rsa-sha256";  // the RSA/EC key path reads its key file the same way
  const Status r = LoadGatewayKey(c).status();
  EXPECT_TRUE(Contains(r.message(), "larger than 1048576 bytes")) << r.message();
}

TEST(GostGatewayKeyTest, NcaTestContainer) {
  TempDir tmp;
  const std::string p12 = tmp.File("nca.p12");
  WriteFile(p12, Base64File(std::string(SHEPGW_SOURCE_DIR) +
                            "/tests/data/gost/nca-test-gost2015-legal.p12.b64"));
  auto key = LoadGatewayKey(GostP12(p12, Secret(tmp, "Qwerty12")));
  ASSERT_TRUE(key.ok()) << key.status().message();
  ExpectUsable(*key.value());

  // Wrong password: a clear error that never shows the password.
  const Status wrong = LoadGatewayKey(GostP12(p12, Secret(tmp, "qwerty12-wrong"))).status();
  EXPECT_EQ(wrong.code(), ErrorCode::kGatewayInternal);
  EXPECT_EQ(wrong.message(),
            "gateway_key.pkcs12 '" + p12 + "': PKCS#12: wrong password (MAC check failed)");

  // The password file must not be readable by others.
  const std::string open_pass =
      Secret(tmp, "Qwerty12",
             std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                 std::filesystem::perms::group_read | std::filesystem::perms::others_read);
  EXPECT_EQ(LoadGatewayKey(GostP12(p12, open_pass)).status().message(),
            "gateway_key.password_file '" + open_pass +
                "': mode 0644 lets other users read the password; make it 0600 (or 0400), owned "
                "by the gateway's user");
  EXPECT_EQ(LoadGatewayKey(GostP12(p12, tmp.File("none"))).status().message(),
            "gateway_key.password_file '" + tmp.File("none") +
                "': cannot open: No such file or directory");

  // The GOST 34.310-2004 container: a key of another algorithm.
  const std::string p12_2004 = tmp.File("nca2004.p12");
  WriteFile(p12_2004, Base64File(std::string(SHEPGW_SOURCE_DIR) +
                                 "/tests/data/gost/nca-test-gost2004-legal.p12.b64"));
  EXPECT_EQ(LoadGatewayKey(GostP12(p12_2004, Secret(tmp, "Qwerty12"))).status().message(),
            "gateway_key.algorithm: 'gost2015-512' needs a GOST 34.10-2015-512 key, but "
            "gateway_key.pkcs12 '" +
                p12_2004 + "' holds a gost2004 key");
  // Not a container at all.
  EXPECT_TRUE(Contains(
      LoadGatewayKey(GostP12(G("gateway.pem"), Secret(tmp, "x"))).status().message(),
      "gateway_key.pkcs12 '" + G("gateway.pem") + "': PKCS#12: not a DER PKCS#12 container"));
}

TEST(GostGatewayKeyTest, MismatchesAreNamed) {
  // Certificate of another GOST key.
  EXPECT_EQ(LoadGatewayKey(GostKey(G("signer.pem"), G("gateway.key"))).status().message(),
            "gateway_key.key '" + G("gateway.key") +
                "': does not match the certificate in gateway_key.cert '" + G("signer.pem") + "'");
  // An RSA certificate for a GOST key.
  const Status rsa_cert = LoadGatewayKey(GostKey(R("gateway-rsa.pem"), G("gateway.key"))).status();
  EXPECT_TRUE(Contains(rsa_cert.message(), "gateway_key.key '" + G("gateway.key") +
                                               "': does not match the certificate in "
                                               "gateway_key.cert '" +
                                               R("gateway-rsa.pem") + "' ("))
      << rsa_cert.message();
  // Algorithm and key disagree, both ways.
  EXPECT_EQ(LoadGatewayKey(GostKey(R("gateway-rsa.pem"), R("gateway-rsa.key"))).status().message(),
            "gateway_key.algorithm: 'gost2015-512' needs a GOST 34.10-2015-512 key, but "
            "gateway_key.key '" +
                R("gateway-rsa.key") + "' is an RSA key");
  config::GatewayKeyConfig rsa = GostKey(G("gateway.pem"), G("gateway.key"));
  rsa.algorithm = "rsa-sha256";
  EXPECT_EQ(LoadGatewayKey(rsa).status().message(),
            "gateway_key.algorithm: 'rsa-sha256' needs an RSA key, but gateway_key.key '" +
                G("gateway.key") + "' is a GOST (gost2015-512) key");
  // A GOST 34.310-2004 key file.
  EXPECT_EQ(LoadGatewayKey(GostKey(G("signer-gost2004.pem"), G("signer-gost2004.key")))
                .status()
                .message(),
            "gateway_key.algorithm: 'gost2015-512' needs a GOST 34.10-2015-512 key, but "
            "gateway_key.key '" +
                G("signer-gost2004.key") + "' holds a gost2004 key");
  // Not a key.
  EXPECT_TRUE(
      Contains(LoadGatewayKey(GostKey(G("gateway.pem"), G("gateway.pem"))).status().message(),
               "gateway_key.key '" + G("gateway.pem") + "': GOST private key: PEM block is"));
  // PKCS#12 with a non-GOST algorithm (the configuration refuses it first).
  config::GatewayKeyConfig p12 = GostP12(G("gateway.p12"), "/x");
  p12.algorithm = "rsa-sha256";
  p12.cert_file = R("gateway-rsa.pem");
  EXPECT_EQ(LoadGatewayKey(p12).status().message(),
            "gateway_key.pkcs12: NCA PKCS#12 containers are supported with algorithm "
            "gost2015-512 only");
}

}  // namespace
}  // namespace shepgw::pki
