// Helpers for the maintenance tests: windows in Asia/Almaty local time, instants by text.
#pragma once

#include <gtest/gtest.h>

#include "shepgw/common/tz.h"
#include "shepgw/config/config.h"
#include "shepgw/maintenance/maintenance.h"

namespace shepgw::maintenance::testing {

inline TimePoint Utc(std::string_view text) {
  const auto t = ParseUtc(text);
  EXPECT_TRUE(t.has_value()) << text;
  return t.value_or(TimePoint{});
}

inline const TimeZone& Almaty() {
  static const TimeZone zone = [] {
    std::string error;
    auto tz = TimeZone::Load("Asia/Almaty", &error);
    EXPECT_TRUE(tz.has_value()) << error;
    return tz.value_or(TimeZone::Fixed("UTC", std::chrono::seconds{0}));
  }();
  return zone;
}

// Local time in Almaty → instant.
inline TimePoint Local(std::string_view text) {
  LocalDateTime l;
  EXPECT_EQ(ParseLocalDateTime(text, &l), "") << text;
  const auto t = Almaty().FromLocal(l);
  EXPECT_TRUE(t.has_value()) << text;
  return t.value_or(TimePoint{});
}

inline config::MaintenanceWindowConfig Window(std::string_view start, std::string_view end,
                                              std::vector<std::string> services = {},
                                              std::string notice = {}) {
  config::MaintenanceWindowConfig w;
  w.start_local = std::string(start);
  w.end_local = std::string(end);
  w.start = Local(start);
  w.end = Local(end);
  w.services = std::move(services);
  w.notice = std::move(notice);
  return w;
}

inline config::MaintenanceConfig Config(std::vector<config::MaintenanceWindowConfig> windows) {
  config::MaintenanceConfig c;
  c.planned = std::move(windows);
  return c;
}

}  // namespace shepgw::maintenance::testing
