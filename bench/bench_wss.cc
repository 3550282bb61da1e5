// bench_wss: per-core cost of the WS-Security data path (parse, verify, sign, serialise) for
// realistic ShEP SendMessage envelopes, next to the raw RSA-2048 / ECDSA P-256 primitives
// measured in the same process. Never run by ctest; see bench/run-wss-bench.sh and
// docs/performance.md.
//
// Set-up (not timed): the WS-Security test PKI is generated into the build tree
// (scripts/gen-wss-test-pki.sh), client messages are signed once with signer-rsa in the ShEP
// reference clients' shape (KeyIdentifier, exclusive c14n, RSA-SHA256), and the real
// pki::TrustStore (anchors, intermediate, CRLs) is warmed so verify measures the steady state:
// the signer certificate decoded and its verdict cached. The GOST rows do the same with the
// GOST test PKI in NCA's format (scripts/gen-gost-test-pki.sh): a 2 KB message signed with
// GOST 34.10-2015-512 by signer, verified against root/inter/CRLs, re-signed with the GOST
// gateway key.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "shepgw/common/clock.h"
#include "shepgw/envelope/envelope.h"
#include "shepgw/pki/gost.h"
#include "shepgw/pki/trust.h"
#include "shepgw/wss/wss.h"

#include <benchmark/benchmark.h>

namespace shepgw::bench {
namespace {

// --- set-up ---------------------------------------------------------------------------------

std::string PkiDir() {
  const char* env = std::getenv("SHEPGW_WSS_PKI_DIR");
  return env != nullptr && *env != '\0' ? env : SHEPGW_BENCH_PKI_DIR;
}

std::string Pki(const std::string& file) { return PkiDir() + "/" + file; }

std::string GostPkiDir() {
  const char* env = std::getenv("SHEPGW_GOST_PKI_DIR");
  return env != nullptr && *env != '\0' ? env : SHEPGW_BENCH_GOST_PKI_DIR;
}
std::string GostPki(const std::string& file) { return GostPkiDir() + "/" + file; }

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "bench_wss: %s\n", what.c_str());
  std::exit(2);
}

// Generates the test PKI afresh (validity periods are relative to today).
void GeneratePki() {
  const std::string dir = PkiDir();
  const std::string cmd = "rm -rf '" + dir +
                          "' && bash '" SHEPGW_SOURCE_DIR "/scripts/gen-wss-test-pki.sh' '" + dir +
                          "'";
  if (std::system(cmd.c_str()) != 0) {
    Die("cannot generate the test PKI: " + cmd);
  }
  const std::string gost =
      "rm -rf '" + GostPkiDir() + "' && GEN_GOST_TEST_PKI='" + SHEPGW_GEN_GOST_TEST_PKI +
      "' bash '" SHEPGW_SOURCE_DIR "/scripts/gen-gost-test-pki.sh' '" + GostPkiDir() + "'";
  if (std::system(gost.c_str()) != 0) {
    Die("cannot generate the GOST test PKI: " + gost);
  }
}

// An unsigned SendMessage of about `size` bytes, the shape ShEP clients send: requestInfo,
// then the payload records in requestData/data.
std::string BuildEnvelope(size_t size) {
  const std::string head =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\">\n"
      "<soapenv:Header/>\n"
      "<soapenv:Body>\n"
      "<ns3:SendMessage xmlns:ns3=\"http://bip.bee.kz/SyncChannel/v10/Types\" xmlns=\"\">\n"
      "<request>\n<requestInfo>\n"
      "<messageId>ccb1010b-8446-4937-913f-c87a717f6809</messageId>\n"
      "<serviceId>GBDFL_UniversalServiceSync</serviceId>\n"
      "<messageDate>2024-12-25T12:48:21.024+05:00</messageDate>\n"
      "<sender>\n<senderId>smartbridge</senderId>\n<password>secret-password-123</password>\n"
      "</sender>\n"
      "<properties>\n<key>CONNECTOR_CLIENT</key>\n<value>true</value>\n</properties>\n"
      "</requestInfo>\n<requestData>\n"
      "<ns4:data xmlns:ns4=\"http://bip.bee.kz/SyncChannel/v10/Interfaces\" "
      "xmlns:cs=\"http://message.persistence.interactive.nat\" "
      "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"cs:Request\">\n"
      "<messageId>1</messageId>\n<messageDate>2024-12-25T12:48:21.183+05:00</messageDate>\n"
      "<senderCode>smartbridge</senderCode>\n";
  const std::string tail =
      "</ns4:data>\n</requestData>\n</request>\n</ns3:SendMessage>\n</soapenv:Body>\n"
      "</soapenv:Envelope>\n";
  std::string records;
  for (int i = 0; head.size() + records.size() + tail.size() < size; ++i) {
    records += "<person><iin>9310024513" + std::to_string(10 + i % 90) +
               "</iin><lastName>Сейітқали</lastName><firstName>Айгерім</firstName>"
               "<birthDate>1993-10-02</birthDate></person>\n";
  }
  return head + records + tail;
}

struct Fixture {
  std::shared_ptr<pki::TrustStore> trust;
  std::unique_ptr<wss::Verifier> verifier;
  std::unique_ptr<wss::Signer> gateway_rsa;
  std::unique_ptr<wss::Signer> gateway_ec;
  std::unique_ptr<wss::Signer> gateway_gost;
  std::unique_ptr<wss::Verifier> gost_verifier;
  std::shared_ptr<pki::TrustStore> gost_trust;
  std::shared_ptr<const pki::gost::PrivateKey> gateway_gost_key;
  std::map<int64_t, std::string> signed_messages;       // by nominal size
  std::map<int64_t, std::string> gost_signed_messages;  // by nominal size (2 KB only)
  pki::EvpPkeyPtr rsa_key;
  pki::EvpPkeyPtr ec_key;
};

Fixture* fixture = nullptr;

std::shared_ptr<const pki::GatewayKey> Key(const std::string& name, const std::string& algorithm) {
  config::GatewayKeyConfig c;
  c.cert_file = Pki(name + ".pem");
  c.key_file = Pki(name + ".key");
  c.algorithm = algorithm;
  auto key = pki::LoadGatewayKey(c);
  if (!key.ok()) {
    Die(key.status().ToString());
  }
  return *key;
}

// A GOST gateway key from the GOST test PKI (PKCS#8 PEM in NCA's layout).
std::shared_ptr<const pki::GatewayKey> GostKey(const std::string& name) {
  auto key = std::make_shared<pki::GatewayKey>();
  auto certs = pki::LoadPemCertificates(GostPki(name + ".pem"));
  if (!certs.ok()) {
    Die(certs.status().ToString());
  }
  key->cert = std::move(certs->front());
  FILE* f = std::fopen(GostPki(name + ".key").c_str(), "r");
  if (f == nullptr) {
    Die("cannot open " + GostPki(name + ".key"));
  }
  std::string pem(8192, '\0');
  pem.resize(std::fread(pem.data(), 1, pem.size(), f));
  std::fclose(f);
  auto gost = pki::gost::PrivateKey::FromPkcs8Pem(pem);
  if (!gost.ok()) {
    Die(gost.status().ToString());
  }
  key->gost_key = std::make_shared<const pki::gost::PrivateKey>(std::move(*gost));
  key->algorithm = "gost2015-512";
  return key;
}

pki::EvpPkeyPtr PrivateKey(const std::string& name) {
  FILE* f = std::fopen(Pki(name + ".key").c_str(), "r");
  if (f == nullptr) {
    Die("cannot open " + Pki(name + ".key"));
  }
  pki::EvpPkeyPtr key(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  if (key == nullptr) {
    Die("cannot read " + Pki(name + ".key"));
  }
  return key;
}

void SetUp() {
  if (Status st = wss::InitXmlSec(); !st.ok()) {
    Die(st.ToString());
  }
  GeneratePki();
  fixture = new Fixture();
  config::TrustConfig tc;
  tc.anchors = {Pki("root.pem")};
  tc.intermediates = {Pki("inter.pem")};
  tc.crls = {Pki("inter.crl.pem"), Pki("root.crl.pem")};
  auto trust = pki::LoadTrustStore(tc, SystemClock::Instance());
  if (!trust.ok()) {
    Die(trust.status().ToString());
  }
  fixture->trust = *trust;
  fixture->verifier = std::make_unique<wss::Verifier>(wss::VerifyPolicy{}, fixture->trust, nullptr);
  fixture->gateway_rsa = std::make_unique<wss::Signer>(Key("gateway-rsa", "rsa-sha256"));
  fixture->gateway_ec = std::make_unique<wss::Signer>(Key("gateway-ec", "ecdsa-sha256"));
  // The client: signs like the ShEP reference clients (KeyIdentifier, exc-c14n, RSA-SHA256).
  const wss::Signer client(Key("signer-rsa", "rsa-sha256"));
  for (const int64_t size : {2048, 10240, 102400}) {
    auto signed_xml = client.SignDocument(BuildEnvelope(static_cast<size_t>(size)), {});
    if (!signed_xml.ok()) {
      Die(signed_xml.status().ToString());
    }
    // Warm-up and sanity: it verifies (this fills the certificate and verdict caches).
    auto parsed = envelope::ParseRequest(*signed_xml, {});
    if (!parsed.status.ok()) {
      Die(parsed.status.ToString());
    }
    auto verified = fixture->verifier->Verify(*parsed.envelope);
    if (!verified.ok()) {
      Die("the pre-signed message does not verify: " + verified.status().ToString());
    }
    fixture->signed_messages[size] = std::move(*signed_xml);
  }
  fixture->rsa_key = PrivateKey("signer-rsa");
  fixture->ec_key = PrivateKey("signer-ec");

  // GOST: the same, with the GOST PKI; only 2 KB (the primitive dominates at every size).
  config::TrustConfig gc;
  gc.anchors = {GostPki("root.pem")};
  gc.intermediates = {GostPki("inter.pem")};
  gc.crls = {GostPki("inter.crl.pem"), GostPki("root.crl.pem")};
  auto gost_trust = pki::LoadTrustStore(gc, SystemClock::Instance());
  if (!gost_trust.ok()) {
    Die(gost_trust.status().ToString());
  }
  fixture->gost_trust = *gost_trust;
  fixture->gost_verifier = std::make_unique<wss::Verifier>(wss::VerifyPolicy{{"gost2015-512"}},
                                                           fixture->gost_trust, nullptr);
  const auto gateway_gost = GostKey("gateway");
  fixture->gateway_gost_key = gateway_gost->gost_key;
  fixture->gateway_gost = std::make_unique<wss::Signer>(gateway_gost);
  const wss::Signer gost_client(GostKey("signer"));
  auto gost_signed = gost_client.SignDocument(BuildEnvelope(2048), {});
  if (!gost_signed.ok()) {
    Die(gost_signed.status().ToString());
  }
  auto parsed = envelope::ParseRequest(*gost_signed, {});
  if (!parsed.status.ok()) {
    Die(parsed.status.ToString());
  }
  auto verified = fixture->gost_verifier->Verify(*parsed.envelope);
  if (!verified.ok()) {
    Die("the pre-signed GOST message does not verify: " + verified.status().ToString());
  }
  fixture->gost_signed_messages[2048] = std::move(*gost_signed);
}

const std::string& Message(const benchmark::State& state) {
  return fixture->signed_messages.at(state.range(0));
}
const std::string& GostMessage(const benchmark::State& state) {
  return fixture->gost_signed_messages.at(state.range(0));
}

void Counters(benchmark::State& state, const std::string& message) {
  state.counters["bytes"] = static_cast<double>(message.size());
  state.counters["per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(message.size()));
}
void Counters(benchmark::State& state) { Counters(state, Message(state)); }

std::unique_ptr<envelope::ParsedEnvelope> ParseOrDie(const std::string& xml) {
  auto parsed = envelope::ParseRequest(xml, {});
  if (!parsed.status.ok()) {
    Die(parsed.status.ToString());
  }
  return std::move(parsed.envelope);
}

// --- the data path --------------------------------------------------------------------------

void BM_Parse(benchmark::State& state) {
  const std::string& xml = Message(state);
  for (auto _ : state) {
    auto parsed = envelope::ParseRequest(xml, {});
    benchmark::DoNotOptimize(parsed.envelope.get());
  }
  Counters(state);
}

// Verify on an already parsed envelope (verify only reads the tree and registers the Body id,
// which is idempotent), certificate decoded and verdict cached: the steady state.
void BM_Verify(benchmark::State& state) {
  auto env = ParseOrDie(Message(state));
  for (auto _ : state) {
    auto verified = fixture->verifier->Verify(*env);
    if (!verified.ok()) {
      state.SkipWithError(verified.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(verified->signer.get());
  }
  Counters(state);
}

void BM_VerifyGost(benchmark::State& state) {
  auto env = ParseOrDie(GostMessage(state));
  for (auto _ : state) {
    auto verified = fixture->gost_verifier->Verify(*env);
    if (!verified.ok()) {
      state.SkipWithError(verified.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(verified->signer.get());
  }
  Counters(state, GostMessage(state));
}

void BM_ParseVerify(benchmark::State& state) {
  const std::string& xml = Message(state);
  for (auto _ : state) {
    auto parsed = envelope::ParseRequest(xml, {});
    auto verified = fixture->verifier->Verify(*parsed.envelope);
    if (!verified.ok()) {
      state.SkipWithError(verified.status().ToString().c_str());
      break;
    }
  }
  Counters(state);
}

// SignEnvelope on a parsed, client-signed request: removes the client's wsse:Security and
// signs the Body with the gateway key (what the gateway does before forwarding). Re-signing
// the same tree repeats exactly that work (our previous Security is removed instead).
void SignLoop(benchmark::State& state, const wss::Signer& signer, const std::string& message) {
  auto env = ParseOrDie(message);
  for (auto _ : state) {
    const Status st = signer.SignEnvelope(*env);
    if (!st.ok()) {
      state.SkipWithError(st.ToString().c_str());
      break;
    }
  }
  Counters(state, message);
}
void BM_SignRsa(benchmark::State& state) { SignLoop(state, *fixture->gateway_rsa, Message(state)); }
void BM_SignEcdsa(benchmark::State& state) {
  SignLoop(state, *fixture->gateway_ec, Message(state));
}
void BM_SignGost(benchmark::State& state) {
  SignLoop(state, *fixture->gateway_gost, GostMessage(state));
}

void BM_Serialize(benchmark::State& state) {
  auto env = ParseOrDie(Message(state));
  if (!fixture->gateway_rsa->SignEnvelope(*env).ok()) {
    Die("sign failed");
  }
  for (auto _ : state) {
    std::string out = env->Serialize();
    benchmark::DoNotOptimize(out.data());
  }
  Counters(state);
}

// The counting pass the pipeline makes for the Content-Length of a streamed (>= 1 MiB)
// request: the same serialisation into a sink that only adds up the sizes.
void BM_SerializeCount(benchmark::State& state) {
  auto env = ParseOrDie(Message(state));
  if (!fixture->gateway_rsa->SignEnvelope(*env).ok()) {
    Die("sign failed");
  }
  for (auto _ : state) {
    size_t n = 0;
    env->SerializeTo([&n](std::string_view piece) {
      n += piece.size();
      return true;
    });
    benchmark::DoNotOptimize(n);
  }
  Counters(state);
}

// --- primitives: one signature over a 32-byte SHA-256 digest, context reused (as `openssl
// speed` does) ---------------------------------------------------------------------------------

struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

PkeyCtxPtr SignCtx(EVP_PKEY* key) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new(key, nullptr));
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) != 1) {
    Die("EVP_PKEY_sign_init failed");
  }
  return ctx;
}

void PrimitiveSign(benchmark::State& state, EVP_PKEY* key) {
  PkeyCtxPtr ctx = SignCtx(key);
  unsigned char digest[32] = {1, 2, 3};
  unsigned char sig[512];
  for (auto _ : state) {
    size_t len = sizeof sig;
    if (EVP_PKEY_sign(ctx.get(), sig, &len, digest, sizeof digest) != 1) {
      state.SkipWithError("EVP_PKEY_sign failed");
      break;
    }
  }
  state.counters["per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void PrimitiveVerify(benchmark::State& state, EVP_PKEY* key) {
  PkeyCtxPtr sctx = SignCtx(key);
  unsigned char digest[32] = {1, 2, 3};
  unsigned char sig[512];
  size_t len = sizeof sig;
  if (EVP_PKEY_sign(sctx.get(), sig, &len, digest, sizeof digest) != 1) {
    Die("EVP_PKEY_sign failed");
  }
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new(key, nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) != 1) {
    Die("EVP_PKEY_verify_init failed");
  }
  for (auto _ : state) {
    if (EVP_PKEY_verify(ctx.get(), sig, len, digest, sizeof digest) != 1) {
      state.SkipWithError("EVP_PKEY_verify failed");
      break;
    }
  }
  state.counters["per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_RawRsa2048Sign(benchmark::State& state) { PrimitiveSign(state, fixture->rsa_key.get()); }
void BM_RawRsa2048Verify(benchmark::State& state) {
  PrimitiveVerify(state, fixture->rsa_key.get());
}
void BM_RawEcdsaP256Sign(benchmark::State& state) { PrimitiveSign(state, fixture->ec_key.get()); }
void BM_RawEcdsaP256Verify(benchmark::State& state) {
  PrimitiveVerify(state, fixture->ec_key.get());
}

// The GOST 34.10-2015-512 primitives (via pki::gost: libgcrypt signs, OpenSSL EC verifies) over a
// 64-byte digest with the gateway's key: the floor under the GOST rows (bench_gost has them with
// fresh keys too).
void BM_RawGost2015Sign(benchmark::State& state) {
  const pki::gost::PrivateKey& key = *fixture->gateway_gost_key;
  const std::string digest(64, '\x01');
  for (auto _ : state) {
    auto sig = key.Sign(digest);
    if (!sig.ok()) {
      state.SkipWithError(sig.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(sig->data());
  }
  state.counters["per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
void BM_RawGost2015Verify(benchmark::State& state) {
  const pki::gost::PrivateKey& key = *fixture->gateway_gost_key;
  const std::string digest(64, '\x01');
  auto sig = key.Sign(digest);
  if (!sig.ok()) {
    Die(sig.status().ToString());
  }
  for (auto _ : state) {
    if (!key.public_key().Verify(digest, *sig).ok()) {
      state.SkipWithError("GOST verify failed");
      break;
    }
  }
  state.counters["per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void Sizes(benchmark::internal::Benchmark* b) {
  b->Arg(2048)->Arg(10240)->Arg(102400)->Unit(benchmark::kMicrosecond);
}

// --- summary: medians and the ratios to the targets -----------------------------------------

// Records the CPU and wall time per iteration of every run (the median aggregate when repetitions >
// 1) while the console reporter prints as usual.
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred) {
        continue;
      }
      const bool aggregate = run.run_type == Run::RT_Aggregate;
      if (aggregate && run.aggregate_name != "median") {
        continue;
      }
      const std::string name = run.run_name.str();
      // A median (when repetitions > 1) replaces the single runs; else the last run counts.
      if (aggregate || medians_.count(name) == 0 || !from_aggregate_[name]) {
        medians_[name] = {run.GetAdjustedCPUTime() * Scale(run.time_unit),
                          run.GetAdjustedRealTime() * Scale(run.time_unit)};
        from_aggregate_[name] = aggregate;
      }
    }
  }

  void PrintSummary() const {
    std::printf("\n== bench_wss summary (median per call, one core) ==\n");
    // CPU time: the cost on one core. Wall time is also shown; when it is well above the CPU
    // time the core was shared (other processes) during the run.
    std::printf("%-28s %12s %12s %12s\n", "benchmark", "cpu us/call", "calls/s(cpu)",
                "wall us/call");
    for (const auto& [name, t] : medians_) {
      std::printf("%-28s %12.1f %12.0f %12.1f\n", name.c_str(), t.cpu * 1e6, 1 / t.cpu,
                  t.wall * 1e6);
    }
    Ratio("verify(2 KB) / raw RSA-2048 verify", "BM_Verify/2048", "BM_RawRsa2048Verify", 0.25);
    Ratio("sign RSA(2 KB) / raw RSA-2048 sign", "BM_SignRsa/2048", "BM_RawRsa2048Sign", 0.75);
    // GOST: no target; how much of the time is the pki::gost primitive.
    Ratio("verify GOST(2 KB) / raw GOST-2015 verify", "BM_VerifyGost/2048", "BM_RawGost2015Verify",
          0);
    Ratio("sign GOST(2 KB) / raw GOST-2015 sign", "BM_SignGost/2048", "BM_RawGost2015Sign", 0);
  }

 private:
  static double Scale(benchmark::TimeUnit unit) {
    switch (unit) {
      case benchmark::kNanosecond:
        return 1e-9;
      case benchmark::kMicrosecond:
        return 1e-6;
      case benchmark::kMillisecond:
        return 1e-3;
      case benchmark::kSecond:
        return 1;
    }
    return 1;
  }
  // Rate ratio = primitive time / operation time.
  void Ratio(const char* label, const std::string& op, const std::string& primitive,
             double target) const {
    const auto o = medians_.find(op);
    const auto p = medians_.find(primitive);
    if (o == medians_.end() || p == medians_.end()) {
      return;
    }
    const double ratio = p->second.cpu / o->second.cpu;
    if (target <= 0) {
      std::printf("RATIO %-40s %5.1f%%\n", label, 100 * ratio);
      return;
    }
    std::printf("RATIO %-40s %5.1f%% (target >= %.0f%%) %s\n", label, 100 * ratio, 100 * target,
                ratio >= target ? "MET" : "NOT MET");
  }

  struct Times {
    double cpu = 0;
    double wall = 0;
  };
  std::map<std::string, Times> medians_;
  std::map<std::string, bool> from_aggregate_;
};

}  // namespace
}  // namespace shepgw::bench

using namespace shepgw::bench;  // NOLINT(google-build-using-namespace): this file's own names

BENCHMARK(BM_Parse)->Apply(Sizes);
BENCHMARK(BM_Verify)->Apply(Sizes);
BENCHMARK(BM_ParseVerify)->Apply(Sizes);
BENCHMARK(BM_SignRsa)->Apply(Sizes);
BENCHMARK(BM_SignEcdsa)->Apply(Sizes);
BENCHMARK(BM_Serialize)->Apply(Sizes);
BENCHMARK(BM_SerializeCount)->Apply(Sizes);
BENCHMARK(BM_VerifyGost)->Arg(2048)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SignGost)->Arg(2048)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RawRsa2048Verify)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RawRsa2048Sign)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RawEcdsaP256Verify)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RawEcdsaP256Sign)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RawGost2015Verify)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RawGost2015Sign)->Unit(benchmark::kMicrosecond);

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  SetUp();
  SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintSummary();
  benchmark::Shutdown();
  return 0;
}
