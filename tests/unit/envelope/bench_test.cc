// Rough timings, not assertions (timing tests are flaky on shared CI cores). Run with
//   unit_envelope --gtest_also_run_disabled_tests --gtest_filter='*Benchmark*'
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "shepgw/envelope/envelope.h"
#include "unit/envelope/test_util.h"

namespace shepgw::envelope {
namespace {

template <typename F>
double MicrosPerCall(int n, F&& f) {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    f();
  }
  const std::chrono::duration<double, std::micro> d = std::chrono::steady_clock::now() - start;
  return d.count() / n;
}

TEST(EnvelopeBenchmark, DISABLED_ParseSerializeFault) {
  std::string msg = testing::ReadTestData("sendmessage_soap_env.xml");
  while (msg.size() < 2048) {  // pad the payload to ~2 KB
    msg.insert(msg.find("<iin>"), "<field>some value of a record</field>\n");
  }
  const ParseOutcome warm = ParseRequest(msg, {});
  ASSERT_TRUE(warm.status.ok()) << warm.status.ToString();
  const int n = 20000;
  const double parse = MicrosPerCall(n, [&] { ParseRequest(msg, {}); });
  const double serialize = MicrosPerCall(n, [&] { warm.envelope->Serialize(); });
  bool is_fault;
  const double check = MicrosPerCall(n, [&] { CheckResponse(msg, {}, &is_fault); });
  const double fault = MicrosPerCall(n, [&] {
    RenderFault(ErrorCode::kRoutingUnknownService, "no route", "{x}",
                std::chrono::system_clock::now());
  });
  std::printf("%zu-byte message: ParseRequest %.2f us, Serialize %.2f us, CheckResponse %.2f us,"
              " RenderFault %.2f us\n",
              msg.size(), parse, serialize, check, fault);
}

}  // namespace
}  // namespace shepgw::envelope
