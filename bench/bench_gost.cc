// Raw GOST primitive costs (pki/gost.h: libgcrypt signs, OpenSSL EC verifies), one core: what a
// GOST WS-Security verify or sign will add on top of the XML work bench_wss measures. Run by
// bench/run-wss-bench.sh after bench_wss; docs/performance.md has the figures.
#include <string>

#include "shepgw/pki/gost.h"

#include <benchmark/benchmark.h>

namespace {

using shepgw::pki::gost::Algorithm;
using shepgw::pki::gost::ComputeDigest;
using shepgw::pki::gost::Digest;
using shepgw::pki::gost::PrivateKey;

const PrivateKey& Key(Algorithm a) {
  static const PrivateKey k2015 = std::move(PrivateKey::Generate(Algorithm::kGost2015_512)).value();
  static const PrivateKey k2004 = std::move(PrivateKey::Generate(Algorithm::kGost2004)).value();
  return a == Algorithm::kGost2015_512 ? k2015 : k2004;
}

void Sign(benchmark::State& state, Algorithm a) {
  const std::string digest = ComputeDigest(a, "digest input");
  for (auto _ : state) {
    auto sig = Key(a).Sign(digest);
    benchmark::DoNotOptimize(sig);
  }
}

void Verify(benchmark::State& state, Algorithm a) {
  const std::string digest = ComputeDigest(a, "digest input");
  const std::string sig = Key(a).Sign(digest).value();
  for (auto _ : state) {
    if (!Key(a).public_key().Verify(digest, sig).ok()) {
      state.SkipWithError("verify failed");
      break;
    }
  }
}

void Hash(benchmark::State& state, Algorithm a) {
  const std::string data(static_cast<size_t>(state.range(0)), 'x');
  auto d = Digest::Create(a).value();
  for (auto _ : state) {
    d.Update(data);
    auto out = d.Final();
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}

void BM_Gost2015_512Sign(benchmark::State& s) { Sign(s, Algorithm::kGost2015_512); }
void BM_Gost2015_512Verify(benchmark::State& s) { Verify(s, Algorithm::kGost2015_512); }
void BM_Gost2004Sign(benchmark::State& s) { Sign(s, Algorithm::kGost2004); }
void BM_Gost2004Verify(benchmark::State& s) { Verify(s, Algorithm::kGost2004); }
void BM_Streebog512(benchmark::State& s) { Hash(s, Algorithm::kGost2015_512); }
void BM_GostR341194(benchmark::State& s) { Hash(s, Algorithm::kGost2004); }

BENCHMARK(BM_Gost2015_512Sign)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Gost2015_512Verify)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Gost2004Sign)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Gost2004Verify)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Streebog512)->Arg(2048)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_GostR341194)->Arg(2048)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
