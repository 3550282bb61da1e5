#include "shepgw/common/clock.h"

#include <gtest/gtest.h>

namespace shepgw {
namespace {

TEST(ClockTest, FormatsXsdDateTimeInUtcWithMillis) {
  const auto t =
      std::chrono::system_clock::time_point(std::chrono::milliseconds(1'700'000'000'123));
  EXPECT_EQ(FormatXsdDateTime(t), "2023-11-14T22:13:20.123Z");
}

TEST(ClockTest, SystemClockMonotonicDoesNotGoBack) {
  const auto& clock = SystemClock::Instance();
  const auto a = clock.Monotonic();
  EXPECT_LE(a, clock.Monotonic());
}

}  // namespace
}  // namespace shepgw
