// bench_envelope: the envelope module's per-call costs on a ~2 KB SendMessage (moved here from
// the disabled EnvelopeBenchmark unit test: timing does not belong in unit tests). Never run by
// ctest. Parse and Serialize of signed messages of several sizes are in bench_wss.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "shepgw/envelope/envelope.h"

#include <benchmark/benchmark.h>

namespace shepgw::envelope {
namespace {

std::string Message() {
  std::ifstream in(SHEPGW_ENVELOPE_TEST_DATA "/sendmessage_soap_env.xml", std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  std::string msg = text.str();
  if (msg.empty()) {
    std::fprintf(stderr, "bench_envelope: cannot read the test message\n");
    std::exit(2);
  }
  while (msg.size() < 2048) {  // pad the payload to ~2 KB
    msg.insert(msg.find("<iin>"), "<field>some value of a record</field>\n");
  }
  return msg;
}

const std::string& Msg() {
  static const std::string msg = Message();
  return msg;
}

void BM_ParseRequest(benchmark::State& state) {
  for (auto _ : state) {
    ParseOutcome parsed = ParseRequest(Msg(), {});
    benchmark::DoNotOptimize(parsed.envelope.get());
  }
  state.counters["bytes"] = static_cast<double>(Msg().size());
}

void BM_Serialize(benchmark::State& state) {
  const ParseOutcome parsed = ParseRequest(Msg(), {});
  if (!parsed.status.ok()) {
    state.SkipWithError(parsed.status.ToString().c_str());
    return;
  }
  for (auto _ : state) {
    std::string out = parsed.envelope->Serialize();
    benchmark::DoNotOptimize(out.data());
  }
}

void BM_CheckResponse(benchmark::State& state) {
  for (auto _ : state) {
    bool is_fault = false;
    benchmark::DoNotOptimize(CheckResponse(Msg(), {}, &is_fault));
  }
}

void BM_RenderFault(benchmark::State& state) {
  const auto now = std::chrono::system_clock::now();
  for (auto _ : state) {
    std::string fault = RenderFault(ErrorCode::kRoutingUnknownService, "no route", "{x}", now);
    benchmark::DoNotOptimize(fault.data());
  }
}

BENCHMARK(BM_ParseRequest)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Serialize)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CheckResponse)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RenderFault)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace shepgw::envelope

int main(int argc, char** argv) {
  shepgw::envelope::InitXmlLibrary();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
