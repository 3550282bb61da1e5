#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/asn1.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "shepgw/pki/trust.h"

#include "unit/pki/test_support.h"
#include <unistd.h>

namespace shepgw::pki {
namespace {

namespace fs = std::filesystem;
using std::chrono::hours;
using test_support::Contains;
using test_support::CopyFile;
using test_support::FakeClock;
using test_support::TempDir;
using test_support::WriteFile;
using TimePoint = std::chrono::system_clock::time_point;

// The WS-Security test PKI, generated once per build tree and shared by the test processes
// (ctest runs every test in its own process). It is generated into a private directory and
// renamed into place, so concurrent processes never see a half-written PKI.
const std::string& PkiDir() {
  static const std::string dir = test_support::GeneratedDir(
      SHEPGW_TEST_PKI_DIR, "inter-stale.crl.pem",
      std::string("bash '") + SHEPGW_SOURCE_DIR + "/scripts/gen-wss-test-pki.sh'");
  return dir;
}

std::string P(const std::string& name) { return PkiDir() + "/" + name; }

X509Ptr Cert(const std::string& name) {
  auto certs = LoadPemCertificates(P(name));
  if (!certs.ok()) {
    ADD_FAILURE() << certs.status().message();
    return nullptr;
  }
  return std::move(certs.value().front());
}

// The PKI is dated relative to its generation, so "now" is taken from it: one hour after
// signer-rsa was issued (valid for 365 days), when inter.crl.pem is current.
TimePoint GenerationTime() {
  return DescribeCertificate(Cert("signer-rsa.pem").get()).not_after - hours(24 * 365);
}
TimePoint TestNow() { return GenerationTime() + hours(1); }

config::TrustConfig Trust(const std::vector<std::string>& crls = {"root.crl.pem",
                                                                  "inter.crl.pem"}) {
  config::TrustConfig trust;
  trust.anchors = {P("root.pem")};
  trust.intermediates = {P("inter.pem")};
  for (const auto& c : crls) {
    trust.crls.push_back(c.front() == '/' ? c : P(c));
  }
  return trust;
}

std::shared_ptr<TrustStore> MustLoad(const config::TrustConfig& trust, const Clock& clock) {
  auto store = LoadTrustStore(trust, clock);
  EXPECT_TRUE(store.ok()) << store.status().message();
  return store.ok() ? store.value() : nullptr;
}

std::string LoadError(const config::TrustConfig& trust) {
  FakeClock clock(TestNow());
  auto store = LoadTrustStore(trust, clock);
  EXPECT_FALSE(store.ok());
  return store.ok() ? "" : store.status().message();
}

Status Check(const TrustStore& store, const std::string& cert) {
  return store.Validate(Cert(cert).get());
}

// The DER encoding of a PEM CRL file.
std::string DerCrl(const std::string& pem_path) {
  FILE* in = fopen(pem_path.c_str(), "r");
  if (in == nullptr) {
    ADD_FAILURE() << pem_path;
    return "";
  }
  X509_CRL* crl = PEM_read_X509_CRL(in, nullptr, nullptr, nullptr);
  fclose(in);
  unsigned char* der = nullptr;
  const int len = crl != nullptr ? i2d_X509_CRL(crl, &der) : -1;
  std::string out =
      len > 0 ? std::string(reinterpret_cast<const char*>(der), static_cast<size_t>(len)) : "";
  OPENSSL_free(der);
  X509_CRL_free(crl);
  return out;
}

TEST(TrustStoreTest, EachSignerClassGetsItsCode) {
  FakeClock clock(TestNow());
  auto store = MustLoad(Trust(), clock);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(Check(*store, "signer-rsa.pem").ok()) << Check(*store, "signer-rsa.pem").message();
  EXPECT_TRUE(Check(*store, "signer-ec.pem").ok());
  EXPECT_TRUE(Check(*store, "signer-rsa2.pem").ok());
  EXPECT_TRUE(Check(*store, "gateway-ec.pem").ok());
  EXPECT_EQ(Check(*store, "signer-expired.pem").code(), ErrorCode::kPkiCertificateExpired);
  EXPECT_EQ(Check(*store, "signer-future.pem").code(), ErrorCode::kPkiCertificateNotYetValid);
  EXPECT_EQ(Check(*store, "signer-revoked.pem").code(), ErrorCode::kPkiCertificateRevoked);
  EXPECT_EQ(Check(*store, "signer-untrusted.pem").code(), ErrorCode::kPkiCertificateUntrusted);
  EXPECT_EQ(Check(*store, "signer-keyusage.pem").code(), ErrorCode::kPkiCertificateKeyUsage);
  EXPECT_EQ(store->Validate(nullptr).code(), ErrorCode::kPkiCertificateUntrusted);

  // Messages name the certificate (subject, serial) and, for untrusted, OpenSSL's reason.
  const Status revoked = Check(*store, "signer-revoked.pem");
  EXPECT_TRUE(Contains(revoked.message(), "certificate 'C=KZ,CN=Revoked TEST signer' (serial "))
      << revoked.message();
  EXPECT_TRUE(Contains(revoked.message(),
                       "is revoked (CRL of 'C=KZ,CN=ҰЛТТЫҚ КУӘЛАНДЫРУШЫ "
                       "ОРТАЛЫҚ (TEST RSA)')"))
      << revoked.message();
  const Status untrusted = Check(*store, "signer-untrusted.pem");
  EXPECT_TRUE(Contains(untrusted.message(),
                       "is not trusted: unable to get local issuer "
                       "certificate"))
      << untrusted.message();
  EXPECT_TRUE(Contains(Check(*store, "signer-expired.pem").message(),
                       "certificate 'C=KZ,CN=Expired TEST signer'"));
  EXPECT_TRUE(Contains(Check(*store, "signer-keyusage.pem").message(),
                       "allows neither digitalSignature nor nonRepudiation"));
}

TEST(TrustStoreTest, CertificateWithoutKeyUsageIsRefused) {
  // Issued by the test intermediate like a signer, but without a keyUsage extension.
  TempDir tmp;
  WriteFile(tmp.File("ext.cnf"),
            "basicConstraints=critical,CA:FALSE\nsubjectKeyIdentifier=hash\n"
            "authorityKeyIdentifier=keyid\n");
  const std::string cmd = "cd '" + tmp.File("") +
                          "' && openssl req -newkey rsa:2048 -nodes -keyout noku.key "
                          "-out noku.csr -subj '/CN=No keyUsage TEST signer/C=KZ' 2>/dev/null && "
                          "openssl x509 -req -in noku.csr -CA '" +
                          P("inter.pem") + "' -CAkey '" + P("inter.key") +
                          "' -set_serial 777 -days 30 -extfile ext.cnf -out noku.pem 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  auto certs = LoadPemCertificates(tmp.File("noku.pem"));
  ASSERT_TRUE(certs.ok()) << certs.status().message();
  FakeClock clock(std::chrono::system_clock::now());
  config::TrustConfig trust = Trust({});
  trust.check_revocation = false;
  auto store = MustLoad(trust, clock);
  ASSERT_NE(store, nullptr);
  const Status s = store->Validate(certs.value().front().get());
  EXPECT_EQ(s.code(), ErrorCode::kPkiCertificateKeyUsage) << s.message();
  EXPECT_EQ(s.message(),
            "certificate 'C=KZ,CN=No keyUsage TEST signer' (serial 777) has no keyUsage "
            "extension");
}

TEST(TrustStoreTest, ChainNeedsTheIntermediateAndEndsAtAnAnchor) {
  FakeClock clock(TestNow());
  config::TrustConfig no_intermediate = Trust({});
  no_intermediate.intermediates.clear();
  auto store = MustLoad(no_intermediate, clock);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Check(*store, "signer-rsa.pem").code(), ErrorCode::kPkiCertificateUntrusted);

  // The intermediate as the only anchor: a partial chain is not accepted.
  config::TrustConfig partial = Trust({});
  partial.anchors = {P("inter.pem")};
  partial.intermediates.clear();
  store = MustLoad(partial, clock);
  ASSERT_NE(store, nullptr);
  const Status s = Check(*store, "signer-rsa.pem");
  EXPECT_EQ(s.code(), ErrorCode::kPkiCertificateUntrusted) << s.message();

  // Both CA certificates in one anchors file and nothing else: every certificate of the file
  // is loaded.
  TempDir tmp;
  std::ifstream root(P("root.pem")), inter(P("inter.pem"));
  std::string both((std::istreambuf_iterator<char>(root)), std::istreambuf_iterator<char>());
  both.append((std::istreambuf_iterator<char>(inter)), std::istreambuf_iterator<char>());
  WriteFile(tmp.File("bundle.pem"), both);
  config::TrustConfig bundle = Trust({});
  bundle.anchors = {tmp.File("bundle.pem")};
  bundle.intermediates.clear();
  bundle.check_revocation = false;
  store = MustLoad(bundle, clock);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(Check(*store, "signer-rsa.pem").ok());
}

TEST(TrustStoreTest, StaleCrlFollowsThePolicy) {
  FakeClock clock(TestNow());
  config::TrustConfig trust = Trust({"root.crl.pem", "inter-stale.crl.pem"});
  auto closed = MustLoad(trust, clock);
  ASSERT_NE(closed, nullptr);
  const Status s = Check(*closed, "signer-rsa.pem");
  EXPECT_EQ(s.code(), ErrorCode::kPkiRevocationUnknown);
  EXPECT_TRUE(Contains(s.message(),
                       "the CRL of 'C=KZ,CN=ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (TEST RSA)' "
                       "is not current (nextUpdate "))
      << s.message();
  // A revocation listed in a stale CRL still counts.
  EXPECT_EQ(Check(*closed, "signer-revoked.pem").code(), ErrorCode::kPkiCertificateRevoked);

  trust.crl_policy = "fail_open";
  auto open = MustLoad(trust, clock);
  ASSERT_NE(open, nullptr);
  EXPECT_TRUE(Check(*open, "signer-rsa.pem").ok());
  EXPECT_EQ(open->revocation_unknown_accepted(), 1u);
  EXPECT_TRUE(Check(*open, "signer-rsa.pem").ok());  // from the cache, still counted
  EXPECT_EQ(open->revocation_unknown_accepted(), 2u);
  EXPECT_EQ(Check(*open, "signer-revoked.pem").code(), ErrorCode::kPkiCertificateRevoked);
}

TEST(TrustStoreTest, MissingCrlForTheIntermediate) {
  FakeClock clock(TestNow());
  config::TrustConfig trust = Trust({"root.crl.pem"});
  auto store = MustLoad(trust, clock);
  ASSERT_NE(store, nullptr);
  const Status s = Check(*store, "signer-rsa.pem");
  EXPECT_EQ(s.code(), ErrorCode::kPkiRevocationUnknown);
  EXPECT_TRUE(Contains(s.message(), "is unknown: no CRL for issuer 'C=KZ,CN=ҰЛТТЫҚ"))
      << s.message();
  // The root's CRL is missing too: the intermediate itself is checked against it.
  trust = Trust({"inter.crl.pem"});
  store = MustLoad(trust, clock);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(Contains(Check(*store, "signer-rsa.pem").message(),
                       "no CRL for issuer 'C=KZ,O=ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ TEST,CN=shepgw "
                       "TEST NCA root'"));
}

TEST(TrustStoreTest, CheckRevocationFalseSkipsCrls) {
  FakeClock clock(TestNow());
  config::TrustConfig trust = Trust({});
  trust.check_revocation = false;
  auto store = MustLoad(trust, clock);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(Check(*store, "signer-rsa.pem").ok());
  EXPECT_TRUE(Check(*store, "signer-revoked.pem").ok());
  EXPECT_EQ(Check(*store, "signer-expired.pem").code(), ErrorCode::kPkiCertificateExpired);
}

// The wss verifier passes the fingerprint its certificate cache already holds: the same cache
// entry as Validate's, and an empty fingerprint is computed (never cached under "").
TEST(TrustStoreTest, FingerprintedValidationSharesTheCache) {
  FakeClock clock(TestNow());
  auto store = MustLoad(Trust(), clock);
  ASSERT_NE(store, nullptr);
  const X509Ptr cert = Cert("signer-rsa.pem");
  const std::string fingerprint = Sha256Fingerprint(cert.get());
  EXPECT_TRUE(store->ValidateFingerprinted(cert.get(), fingerprint).ok());
  EXPECT_EQ(store->cache_hits(), 0u);
  EXPECT_TRUE(store->Validate(cert.get()).ok());
  EXPECT_TRUE(store->ValidateFingerprinted(cert.get(), "").ok());
  EXPECT_TRUE(store->ValidateFingerprinted(cert.get(), fingerprint).ok());
  EXPECT_EQ(store->cache_hits(), 3u);
  const X509Ptr revoked = Cert("signer-revoked.pem");
  EXPECT_EQ(store->ValidateFingerprinted(revoked.get(), Sha256Fingerprint(revoked.get())).code(),
            ErrorCode::kPkiCertificateRevoked);
  EXPECT_EQ(store->ValidateFingerprinted(nullptr, fingerprint).code(),
            ErrorCode::kPkiCertificateUntrusted);
}

TEST(TrustStoreTest, VerdictsAreCached) {
  FakeClock clock(TestNow());
  auto store = MustLoad(Trust(), clock);
  ASSERT_NE(store, nullptr);
  const X509Ptr cert = Cert("signer-rsa.pem");
  EXPECT_TRUE(store->Validate(cert.get()).ok());
  EXPECT_EQ(store->cache_hits(), 0u);
  EXPECT_TRUE(store->Validate(cert.get()).ok());
  EXPECT_TRUE(Check(*store, "signer-rsa.pem").ok());  // another X509 object, same certificate
  EXPECT_EQ(store->cache_hits(), 2u);
  // Definitive negatives are cached; time-dependent ones are not.
  EXPECT_EQ(Check(*store, "signer-revoked.pem").code(), ErrorCode::kPkiCertificateRevoked);
  EXPECT_EQ(Check(*store, "signer-revoked.pem").code(), ErrorCode::kPkiCertificateRevoked);
  EXPECT_EQ(store->cache_hits(), 3u);
  EXPECT_EQ(Check(*store, "signer-expired.pem").code(), ErrorCode::kPkiCertificateExpired);
  EXPECT_EQ(Check(*store, "signer-expired.pem").code(), ErrorCode::kPkiCertificateExpired);
  EXPECT_EQ(store->cache_hits(), 3u);
}

TEST(TrustStoreTest, CachedVerdictDoesNotOutliveCrlOrCertificate) {
  FakeClock clock(TestNow());
  auto store = MustLoad(Trust(), clock);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(Check(*store, "signer-rsa.pem").ok());
  // inter.crl.pem is current for 30 days: after that, the cached OK is not used.
  clock.Set(GenerationTime() + hours(24 * 31));
  const Status s = Check(*store, "signer-rsa.pem");
  EXPECT_EQ(s.code(), ErrorCode::kPkiRevocationUnknown) << s.message();
  EXPECT_EQ(store->cache_hits(), 0u);
  // The injected clock makes a valid certificate expired.
  const TimePoint not_after = DescribeCertificate(Cert("signer-rsa.pem").get()).not_after;
  clock.Set(not_after + hours(1));
  EXPECT_EQ(Check(*store, "signer-rsa.pem").code(), ErrorCode::kPkiCertificateExpired);
  clock.Set(GenerationTime() - hours(24 * 2));
  EXPECT_EQ(Check(*store, "signer-rsa.pem").code(), ErrorCode::kPkiCertificateNotYetValid);
}

TEST(TrustStoreTest, CrlReloadThatChangesSomethingInvalidatesTheCache) {
  TempDir tmp;
  const std::string inter_crl = tmp.File("inter.crl");
  CopyFile(P("root.crl.pem"), inter_crl);  // no CRL for the intermediate yet
  config::TrustConfig trust = Trust({"root.crl.pem", inter_crl});
  trust.crl_policy = "fail_open";
  FakeClock clock(TestNow());
  auto store = MustLoad(trust, clock);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(Check(*store, "signer-revoked.pem").ok());
  EXPECT_TRUE(Check(*store, "signer-revoked.pem").ok());
  EXPECT_EQ(store->cache_hits(), 1u);

  // An unchanged reload keeps the cache.
  EXPECT_TRUE(store->ReloadCrls().ok());
  EXPECT_TRUE(Check(*store, "signer-revoked.pem").ok());
  EXPECT_EQ(store->cache_hits(), 2u);

  CopyFile(P("inter.crl.pem"), inter_crl);
  const Status reload = store->ReloadCrls();
  EXPECT_TRUE(reload.ok()) << reload.message();
  EXPECT_EQ(Check(*store, "signer-revoked.pem").code(), ErrorCode::kPkiCertificateRevoked);
  EXPECT_EQ(store->cache_hits(), 2u);
  EXPECT_TRUE(Check(*store, "signer-rsa.pem").ok());
  EXPECT_EQ(store->crl_reload_failures(), 0u);
}

TEST(TrustStoreTest, CorruptCrlOnReloadKeepsThePreviousOne) {
  TempDir tmp;
  const std::string inter_crl = tmp.File("inter.crl");
  CopyFile(P("inter.crl.pem"), inter_crl);
  FakeClock clock(TestNow());
  auto store = MustLoad(Trust({"root.crl.pem", inter_crl}), clock);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Check(*store, "signer-revoked.pem").code(), ErrorCode::kPkiCertificateRevoked);

  WriteFile(inter_crl, "-----BEGIN X509 CRL-----\ntruncated");
  Status reload = store->ReloadCrls();
  EXPECT_EQ(reload.message(), "trust.crls[1] '" + inter_crl + "': not a CRL (PEM or DER)");
  EXPECT_EQ(store->crl_reload_failures(), 1u);
  EXPECT_EQ(Check(*store, "signer-revoked.pem").code(), ErrorCode::kPkiCertificateRevoked);
  EXPECT_TRUE(Check(*store, "signer-rsa.pem").ok());

  fs::remove(inter_crl);
  reload = store->ReloadCrls();
  EXPECT_TRUE(Contains(reload.message(), "trust.crls[1] '" + inter_crl + "': cannot open: "))
      << reload.message();
  EXPECT_EQ(store->crl_reload_failures(), 2u);
  EXPECT_TRUE(Check(*store, "signer-rsa.pem").ok());

  // A CRL whose signature does not verify (one bit of the signature flipped) is refused too.
  std::string der = DerCrl(P("inter.crl.pem"));
  der.back() = static_cast<char>(der.back() ^ 1);
  WriteFile(inter_crl, der);
  reload = store->ReloadCrls();
  EXPECT_EQ(reload.message(), "trust.crls[1] '" + inter_crl +
                                  "': the signature of the CRL of 'C=KZ,CN=ҰЛТТЫҚ КУӘЛАНДЫРУШЫ "
                                  "ОРТАЛЫҚ (TEST RSA)' does not verify with that CA's key");
  EXPECT_EQ(store->crl_reload_failures(), 3u);
  EXPECT_EQ(Check(*store, "signer-revoked.pem").code(), ErrorCode::kPkiCertificateRevoked);

  CopyFile(P("inter.crl.pem"), inter_crl);
  EXPECT_TRUE(store->ReloadCrls().ok());
  EXPECT_EQ(store->crl_reload_failures(), 3u);
}

TEST(TrustStoreTest, DerCrlsAreAccepted) {
  TempDir tmp;
  WriteFile(tmp.File("inter.crl.der"), DerCrl(P("inter.crl.pem")));
  FakeClock clock(TestNow());
  auto store = MustLoad(Trust({"root.crl.pem", tmp.File("inter.crl.der")}), clock);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Check(*store, "signer-revoked.pem").code(), ErrorCode::kPkiCertificateRevoked);
  EXPECT_TRUE(Check(*store, "signer-rsa.pem").ok());
}

TEST(TrustStoreTest, EarliestCrlNextUpdate) {
  FakeClock clock(TestNow());
  auto store = MustLoad(Trust(), clock);
  ASSERT_NE(store, nullptr);
  const TimePoint earliest = store->EarliestCrlNextUpdate();
  EXPECT_GT(earliest, GenerationTime() + hours(24 * 29));
  EXPECT_LT(earliest, GenerationTime() + hours(24 * 31));
  store = MustLoad(Trust({"root.crl.pem", "inter-stale.crl.pem"}), clock);
  ASSERT_NE(store, nullptr);
  EXPECT_LT(store->EarliestCrlNextUpdate(), GenerationTime());
  store = MustLoad(Trust({}), clock);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->EarliestCrlNextUpdate(), TimePoint::max());
}

TEST(TrustStoreTest, DestructionStopsTheRefresherPromptly) {
  FakeClock clock(TestNow());
  const auto start = std::chrono::steady_clock::now();
  { auto store = MustLoad(Trust(), clock); }  // refresher waits 1h unless woken
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(TrustStoreTest, LoadErrorsNameKeyAndFile) {
  config::TrustConfig trust = Trust();
  trust.anchors = {P("root.pem"), "/nonexistent/root.pem"};
  EXPECT_EQ(LoadError(trust),
            "trust.anchors[1] '/nonexistent/root.pem': cannot open: No such file or directory");
  trust = Trust();
  trust.intermediates = {P("signer-rsa.pem")};
  EXPECT_EQ(LoadError(trust), "trust.intermediates[0] '" + P("signer-rsa.pem") +
                                  "': 'serialNumber=BIN000000000001,O=TEST IS 1,C=KZ,CN=Тестовая "
                                  "система' (serial 4096) is not a CA certificate");
  trust = Trust();
  trust.anchors = {P("root.crl.pem")};
  EXPECT_EQ(LoadError(trust),
            "trust.anchors[0] '" + P("root.crl.pem") + "': no PEM certificate found");
  trust = Trust({"root.crl.pem", "root.key"});
  EXPECT_EQ(LoadError(trust), "trust.crls[1] '" + P("root.key") + "': not a CRL (PEM or DER)");
  // The intermediate's CRL without the intermediate: nobody to verify its signature.
  trust = Trust({"inter.crl.pem"});
  trust.intermediates.clear();
  EXPECT_EQ(LoadError(trust), "trust.crls[0] '" + P("inter.crl.pem") +
                                  "': CRL issued by 'C=KZ,CN=ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (TEST "
                                  "RSA)', which is neither a trust anchor nor an intermediate");
  trust = Trust();
  trust.anchors.clear();
  EXPECT_EQ(LoadError(trust), "trust.anchors: at least one file is required");
}

TEST(CertificateTest, DescribeAndFingerprint) {
  const X509Ptr cert = Cert("signer-rsa.pem");
  ASSERT_NE(cert, nullptr);
  const CertificateFacts facts = DescribeCertificate(cert.get());
  // RFC 2253 order (last RDN first), UTF-8 kept as it is.
  EXPECT_EQ(facts.subject, "serialNumber=BIN000000000001,O=TEST IS 1,C=KZ,CN=Тестовая система");
  EXPECT_EQ(facts.issuer, "C=KZ,CN=ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (TEST RSA)");
  EXPECT_EQ(facts.serial, "4096");
  EXPECT_EQ(facts.sha256, Sha256Fingerprint(cert.get()));
  // Against the openssl command line (upper case, ':'-separated).
  FILE* pipe = popen(
      ("openssl x509 -noout -fingerprint -sha256 -in '" + P("signer-rsa.pem") + "'").c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char line[256] = {};
  ASSERT_NE(fgets(line, sizeof(line), pipe), nullptr);
  pclose(pipe);
  std::string expected;
  for (const char* c = strchr(line, '=') + 1; *c != '\0' && *c != '\n'; ++c) {
    if (*c != ':') {
      expected += static_cast<char>(tolower(*c));
    }
  }
  EXPECT_EQ(facts.sha256, expected);
  EXPECT_EQ(facts.sha256.size(), 64u);
  EXPECT_GT(facts.not_after, GenerationTime() + hours(24 * 364));
  EXPECT_EQ(DescribeCertificate(nullptr).subject, "");
}

TEST(CertificateTest, LoadPemCertificatesAndUpRef) {
  TempDir tmp;
  std::ifstream root(P("root.pem")), inter(P("inter.pem"));
  std::string both((std::istreambuf_iterator<char>(root)), std::istreambuf_iterator<char>());
  const std::string root_pem = both;
  both.append((std::istreambuf_iterator<char>(inter)), std::istreambuf_iterator<char>());
  WriteFile(tmp.File("both.pem"), both);
  auto certs = LoadPemCertificates(tmp.File("both.pem"));
  ASSERT_TRUE(certs.ok());
  EXPECT_EQ(certs->size(), 2u);

  WriteFile(tmp.File("empty.pem"), "");
  EXPECT_EQ(LoadPemCertificates(tmp.File("empty.pem")).status().message(),
            "'" + tmp.File("empty.pem") + "': no PEM certificate found");
  WriteFile(tmp.File("cut.pem"), root_pem.substr(0, root_pem.size() / 2));
  const auto cut = LoadPemCertificates(tmp.File("cut.pem"));
  ASSERT_FALSE(cut.ok());
  EXPECT_TRUE(Contains(cut.status().message(), "': no PEM certificate found") ||
              Contains(cut.status().message(), "': invalid PEM certificate"))
      << cut.status().message();
  WriteFile(tmp.File("root-then-cut.pem"), root_pem + root_pem.substr(0, root_pem.size() / 2));
  const auto half = LoadPemCertificates(tmp.File("root-then-cut.pem"));
  EXPECT_FALSE(half.ok());

  X509Ptr copy = UpRef(certs.value()[0].get());
  EXPECT_EQ(copy.get(), certs.value()[0].get());
  certs.value().clear();
  EXPECT_EQ(DescribeCertificate(copy.get()).issuer,
            "C=KZ,O=ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ TEST,CN=shepgw TEST NCA root");
  EXPECT_EQ(UpRef(nullptr), nullptr);
}

// The lower-case, separator-free and the upper-case, ':'-separated forms of a fingerprint.
std::string Colons(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    if (i != 0) {
      out += ':';
    }
    out += static_cast<char>(toupper(hex[i]));
    out += static_cast<char>(toupper(hex[i + 1]));
  }
  return out;
}

std::vector<config::ParticipantConfig> TwoParticipants() {
  config::ParticipantConfig is1;
  is1.sender_id = "IS1";
  is1.certificates = {P("signer-rsa.pem")};
  is1.fingerprints = {Colons(Sha256Fingerprint(Cert("signer-ec.pem").get()))};
  is1.services = {"S1", "S2"};
  config::ParticipantConfig is2;
  is2.sender_id = "IS2";
  is2.certificates = {P("signer-rsa2.pem")};
  is2.services = {"*"};
  return {is1, is2};
}

TEST(ParticipantStoreTest, BindingAndServices) {
  auto loaded = LoadParticipants(TwoParticipants());
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  const ParticipantStore& store = *loaded.value();
  const Participant* is1 = store.FindBySender("IS1");
  const Participant* is2 = store.FindBySender("IS2");
  ASSERT_NE(is1, nullptr);
  ASSERT_NE(is2, nullptr);
  EXPECT_EQ(store.FindBySender("IS3"), nullptr);
  EXPECT_EQ(store.FindBySender("is1"), nullptr);
  // Fingerprints are normalised: lowercase, no separators.
  EXPECT_EQ(is1->fingerprints,
            (std::vector<std::string>{Sha256Fingerprint(Cert("signer-rsa.pem").get()),
                                      Sha256Fingerprint(Cert("signer-ec.pem").get())}));
  EXPECT_TRUE(store.IsBound(*is1, Cert("signer-rsa.pem").get()));
  EXPECT_TRUE(store.IsBound(*is1, Cert("signer-ec.pem").get()));
  EXPECT_FALSE(store.IsBound(*is1, Cert("signer-rsa2.pem").get()));
  EXPECT_TRUE(store.IsBound(*is2, Cert("signer-rsa2.pem").get()));
  EXPECT_FALSE(store.IsBound(*is2, Cert("signer-rsa.pem").get()));
  EXPECT_FALSE(store.IsBound(*is2, nullptr));
  EXPECT_TRUE(is1->MayCall("S1"));
  EXPECT_TRUE(is1->MayCall("S2"));
  EXPECT_FALSE(is1->MayCall("S3"));
  EXPECT_FALSE(is1->MayCall(""));
  EXPECT_TRUE(is2->MayCall("anything"));
}

TEST(ParticipantStoreTest, FindByIssuerSerialWithCyrillicIssuer) {
  auto loaded = LoadParticipants(TwoParticipants());
  ASSERT_TRUE(loaded.ok());
  const ParticipantStore& store = *loaded.value();
  // The issuer as a client would write it in X509IssuerSerial, parsed into a fresh name
  // (UTF8String entries, in the certificate's order: CN, then C).
  X509_NAME* issuer = X509_NAME_new();
  ASSERT_EQ(X509_NAME_add_entry_by_txt(
                issuer, "CN", MBSTRING_UTF8,
                reinterpret_cast<const unsigned char*>("ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (TEST RSA)"),
                -1, -1, 0),
            1);
  ASSERT_EQ(X509_NAME_add_entry_by_txt(issuer, "C", MBSTRING_ASC,
                                       reinterpret_cast<const unsigned char*>("KZ"), -1, -1, 0),
            1);
  ASN1_INTEGER* serial = ASN1_INTEGER_new();
  ASN1_INTEGER_set(serial, 4096);  // signer-rsa: the intermediate's first certificate

  X509* found = store.FindByIssuerSerial(issuer, serial);
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(Sha256Fingerprint(found), Sha256Fingerprint(Cert("signer-rsa.pem").get()));
  const X509Ptr rsa2 = Cert("signer-rsa2.pem");
  found = store.FindByIssuerSerial(X509_get_issuer_name(rsa2.get()),
                                   X509_get0_serialNumber(rsa2.get()));
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(Sha256Fingerprint(found), Sha256Fingerprint(rsa2.get()));

  ASN1_INTEGER_set(serial, 4242);
  EXPECT_EQ(store.FindByIssuerSerial(issuer, serial), nullptr);
  // Registered by fingerprint only: not resolvable by issuer/serial.
  const X509Ptr ec = Cert("signer-ec.pem");
  EXPECT_EQ(
      store.FindByIssuerSerial(X509_get_issuer_name(ec.get()), X509_get0_serialNumber(ec.get())),
      nullptr);
  // Same serial, other issuer.
  ASN1_INTEGER_set(serial, 4096);
  const X509Ptr root = Cert("root.pem");
  EXPECT_EQ(store.FindByIssuerSerial(X509_get_subject_name(root.get()), serial), nullptr);
  EXPECT_EQ(store.FindByIssuerSerial(nullptr, serial), nullptr);
  ASN1_INTEGER_free(serial);
  X509_NAME_free(issuer);
}

TEST(ParticipantStoreTest, LoadErrors) {
  auto participants = TwoParticipants();
  participants[1].certificates.push_back("/nonexistent.pem");
  EXPECT_EQ(LoadParticipants(participants).status().message(),
            "participants[1].certificates[1] '/nonexistent.pem': cannot open: No such file or "
            "directory");
  participants = TwoParticipants();
  participants[0].fingerprints = {"abc"};
  EXPECT_EQ(LoadParticipants(participants).status().message(),
            "participants[0].fingerprints[0]: 'abc' is not a SHA-256 fingerprint (64 hex "
            "digits, ':' separators allowed)");
  participants = TwoParticipants();
  participants[1].sender_id = "IS1";
  EXPECT_EQ(LoadParticipants(participants).status().message(),
            "participants[1]: duplicate sender_id 'IS1'");
  EXPECT_TRUE(LoadParticipants({}).ok());
}

TEST(GatewayKeyTest, MatchingKeys) {
  auto rsa = LoadGatewayKey({P("gateway-rsa.pem"), P("gateway-rsa.key"), "rsa-sha256"});
  ASSERT_TRUE(rsa.ok()) << rsa.status().message();
  EXPECT_EQ(rsa.value()->algorithm, "rsa-sha256");
  EXPECT_EQ(EVP_PKEY_get_base_id(rsa.value()->key.get()), EVP_PKEY_RSA);
  EXPECT_EQ(DescribeCertificate(rsa.value()->cert.get()).subject,
            "O=shepgw test,C=KZ,CN=shepgw TEST gateway");
  auto ec = LoadGatewayKey({P("gateway-ec.pem"), P("gateway-ec.key"), "ecdsa-sha256"});
  ASSERT_TRUE(ec.ok()) << ec.status().message();
  EXPECT_EQ(EVP_PKEY_get_base_id(ec.value()->key.get()), EVP_PKEY_EC);
}

TEST(GatewayKeyTest, Errors) {
  EXPECT_EQ(
      LoadGatewayKey({P("gateway-rsa.pem"), P("signer-rsa.key"), "rsa-sha256"}).status().message(),
      "gateway_key.key '" + P("signer-rsa.key") +
          "': does not match the certificate in gateway_key.cert '" + P("gateway-rsa.pem") + "'");
  EXPECT_EQ(
      LoadGatewayKey({P("gateway-ec.pem"), P("gateway-ec.key"), "rsa-sha256"}).status().message(),
      "gateway_key.algorithm: 'rsa-sha256' needs an RSA key, but gateway_key.key '" +
          P("gateway-ec.key") + "' is an EC key");
  EXPECT_EQ(LoadGatewayKey({P("gateway-rsa.pem"), P("gateway-rsa.key"), "ecdsa-sha256"})
                .status()
                .message(),
            "gateway_key.algorithm: 'ecdsa-sha256' needs an EC key, but gateway_key.key '" +
                P("gateway-rsa.key") + "' is an RSA key");
  EXPECT_EQ(
      LoadGatewayKey({"/nonexistent.pem", P("gateway-rsa.key"), "rsa-sha256"}).status().message(),
      "gateway_key.cert '/nonexistent.pem': cannot open: No such file or directory");
  EXPECT_EQ(
      LoadGatewayKey({P("gateway-rsa.pem"), P("gateway-rsa.pem"), "rsa-sha256"}).status().message(),
      "gateway_key.key '" + P("gateway-rsa.pem") + "': not an unencrypted PEM private key");
  EXPECT_EQ(
      LoadGatewayKey({P("gateway-rsa.pem"), P("gateway-rsa.key"), "rsa-sha1"}).status().message(),
      "gateway_key.algorithm: unsupported 'rsa-sha1' (rsa-sha256, ecdsa-sha256 or "
      "gost2015-512)");
  EXPECT_EQ(
      LoadGatewayKey({P("gateway-rsa.pem"), P("gateway-rsa.key"), "rsa-sha256"}).status().code(),
      ErrorCode::kOk);
}

}  // namespace
}  // namespace shepgw::pki
