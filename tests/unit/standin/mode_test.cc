#include "shepgw/standin/mode.h"

#include <gtest/gtest.h>

namespace shepgw::standin {
namespace {

TEST(StandinMode, ParsesEveryMode) {
  for (const char* name : {"ok", "http500", "http500-plain", "garbage", "close", "fault"}) {
    auto mode = ParseMode(name);
    ASSERT_TRUE(mode.has_value()) << name;
    EXPECT_EQ(ModeName(*mode), name);
  }
  auto delay = ParseMode("delay:250");
  ASSERT_TRUE(delay.has_value());
  EXPECT_EQ(delay->kind, ModeKind::kDelay);
  EXPECT_EQ(delay->delay.count(), 250);
  EXPECT_EQ(ModeName(*delay), "delay:250");
}

TEST(StandinMode, RejectsUnknownAndBadDelays) {
  for (const char* bad : {"", "OK", "http", "delay:", "delay:x", "delay:-1", "delay:10ms",
                          "delay:999999999", "http500 "}) {
    EXPECT_FALSE(ParseMode(bad).has_value()) << bad;
  }
}

TEST(StandinMode, ServiceIdSuffix) {
  EXPECT_EQ(ServiceIdModeSuffix("GBDFL_UniversalServiceSync"), "");
  EXPECT_EQ(ServiceIdModeSuffix("GBDFL~http500"), "http500");
  EXPECT_EQ(ServiceIdModeSuffix("A~B~delay:5"), "delay:5");
}

}  // namespace
}  // namespace shepgw::standin
