#include "shepgw/common/tz.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace shepgw {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

TimeZone Zone(const std::string& name) {
  std::string error;
  auto tz = TimeZone::Load(name, &error);
  EXPECT_TRUE(tz.has_value()) << error;
  return tz ? *tz : TimeZone::Fixed("UTC", seconds{0});
}

LocalDateTime L(std::string_view text) {
  LocalDateTime t;
  EXPECT_EQ(ParseLocalDateTime(text, &t), "") << text;
  return t;
}

std::string Utc(const std::optional<TimeZone::time_point>& t) { return t ? FormatUtc(*t) : "none"; }

TEST(LocalDateTimeTest, ParsesStrictIso) {
  LocalDateTime t;
  EXPECT_EQ(ParseLocalDateTime("2026-12-05T22:00", &t), "");
  EXPECT_EQ(t, (LocalDateTime{2026, 12, 5, 22, 0, 0}));
  EXPECT_EQ(ParseLocalDateTime("2028-02-29T23:59:59", &t), "");
  EXPECT_EQ(t, (LocalDateTime{2028, 2, 29, 23, 59, 59}));
  EXPECT_EQ(FormatLocalDateTime(t), "2028-02-29T23:59:59");
  const char* kShape = "expected a local date and time YYYY-MM-DDTHH:MM[:SS]";
  for (const char* bad :
       {"2026-12-5T22:00", "2026-12-05 22:00", "2026-12-05T22", "2026-12-05", "2026-12-05T22:00Z",
        "2026-12-05T22:00+05:00", "2026-12-05T2a:00", "", "2026-12-05T22:00:0"}) {
    EXPECT_EQ(ParseLocalDateTime(bad, &t), kShape) << bad;
  }
  EXPECT_EQ(ParseLocalDateTime("2027-02-29T10:00", &t), "no such date");
  EXPECT_EQ(ParseLocalDateTime("2026-13-01T10:00", &t), "no such date");
  EXPECT_EQ(ParseLocalDateTime("2026-04-31T10:00", &t), "no such date");
  EXPECT_EQ(ParseLocalDateTime("1969-12-31T10:00", &t), "no such date");
  EXPECT_EQ(ParseLocalDateTime("2026-12-05T24:00", &t), "no such time of day");
  EXPECT_EQ(ParseLocalDateTime("2026-12-05T23:60", &t), "no such time of day");
}

TEST(LocalDateTimeTest, UtcRoundTrip) {
  const auto t = ParseUtc("2026-12-05T17:00:00Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(FormatUtc(*t), "2026-12-05T17:00:00Z");
  EXPECT_FALSE(ParseUtc("2026-12-05T17:00:00").has_value());
  EXPECT_FALSE(ParseUtc("2026-12-05T17:00Z").has_value());
}

// Kazakhstan has no DST, but Asia/Almaty moved from UTC+6 to UTC+5 on 2024-03-01 00:00.
TEST(TimeZoneTest, AlmatyOffsetChangeIn2024) {
  const TimeZone tz = Zone("Asia/Almaty");
  EXPECT_EQ(Utc(tz.FromLocal(L("2024-02-29T22:00"))), "2024-02-29T16:00:00Z");  // +6
  EXPECT_EQ(Utc(tz.FromLocal(L("2024-03-02T22:00"))), "2024-03-02T17:00:00Z");  // +5
  EXPECT_EQ(tz.OffsetAt(*ParseUtc("2024-02-29T17:59:59Z")), hours(6));
  EXPECT_EQ(tz.OffsetAt(*ParseUtc("2024-02-29T18:00:00Z")), hours(5));
  // After the last stored transition the footer (<+05>-5) applies.
  EXPECT_EQ(Utc(tz.FromLocal(L("2026-12-05T22:00"))), "2026-12-05T17:00:00Z");
  EXPECT_EQ(Utc(tz.FromLocal(L("2060-06-01T00:00"))), "2060-05-31T19:00:00Z");
  EXPECT_EQ(tz.ToLocal(*ParseUtc("2026-12-05T17:00:00Z")), L("2026-12-05T22:00"));
  // The clocks went back one hour at midnight: 23:xx on 2024-02-29 happened twice; the
  // earlier instant is taken.
  EXPECT_EQ(Utc(tz.FromLocal(L("2024-02-29T23:30"))), "2024-02-29T17:30:00Z");
}

TEST(TimeZoneTest, BerlinHasDst) {
  const TimeZone tz = Zone("Europe/Berlin");
  EXPECT_EQ(Utc(tz.FromLocal(L("2026-01-15T12:00"))), "2026-01-15T11:00:00Z");  // CET
  EXPECT_EQ(Utc(tz.FromLocal(L("2026-07-15T12:00"))), "2026-07-15T10:00:00Z");  // CEST
  // 2026-03-29 02:00 → 03:00: 02:30 never happens.
  EXPECT_EQ(Utc(tz.FromLocal(L("2026-03-29T02:30"))), "none");
  EXPECT_EQ(Utc(tz.FromLocal(L("2026-03-29T03:00"))), "2026-03-29T01:00:00Z");
  // 2026-10-25 03:00 → 02:00: 02:30 happens twice, the earlier (CEST) one is taken.
  EXPECT_EQ(Utc(tz.FromLocal(L("2026-10-25T02:30"))), "2026-10-25T00:30:00Z");
  // Far beyond the stored transitions: the footer rule CET-1CEST,M3.5.0,M10.5.0/3.
  EXPECT_EQ(Utc(tz.FromLocal(L("2050-07-01T12:00"))), "2050-07-01T10:00:00Z");
  EXPECT_EQ(Utc(tz.FromLocal(L("2050-12-01T12:00"))), "2050-12-01T11:00:00Z");
  EXPECT_EQ(Utc(tz.FromLocal(L("2050-03-27T02:30"))), "none");  // last Sunday of March 2050
}

TEST(TimeZoneTest, SouthernHemisphereFooter) {
  const TimeZone tz = Zone("Australia/Sydney");
  EXPECT_EQ(tz.OffsetAt(*ParseUtc("2060-01-15T00:00:00Z")), hours(11));
  EXPECT_EQ(tz.OffsetAt(*ParseUtc("2060-07-15T00:00:00Z")), hours(10));
}

TEST(TimeZoneTest, UnknownAndInvalidNames) {
  std::string error;
  EXPECT_FALSE(TimeZone::Load("Asia/Almata", &error).has_value());
  EXPECT_EQ(error.rfind("unknown time zone 'Asia/Almata' (no such zone in ", 0), 0u) << error;
  EXPECT_FALSE(TimeZone::Load("Asia", &error).has_value());  // a directory
  EXPECT_EQ(error.rfind("unknown time zone 'Asia'", 0), 0u) << error;
  for (const char* bad : {"../etc/passwd", "/etc/passwd", "Asia/../../etc/passwd", "", "Asia/",
                          "Asia//Almaty", "Asia/Al maty"}) {
    EXPECT_FALSE(TimeZone::Load(bad, &error).has_value()) << bad;
    EXPECT_EQ(error.rfind("invalid time zone name", 0), 0u) << error;
  }
  EXPECT_TRUE(TimeZone::Load("UTC", &error).has_value()) << error;
}

TEST(TimeZoneTest, CorruptTzifIsRefused) {
  std::ifstream in("/usr/share/zoneinfo/Europe/Berlin", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string bytes = ss.str();
  ASSERT_GT(bytes.size(), 200u);
  std::string error;
  EXPECT_FALSE(TimeZone::FromTzif("X", bytes.substr(0, 100), &error).has_value());
  EXPECT_FALSE(TimeZone::FromTzif("X", bytes.substr(0, bytes.size() - 5), &error).has_value());
  EXPECT_FALSE(TimeZone::FromTzif("X", "not a tzif file at all", &error).has_value());
  EXPECT_EQ(error, "time zone 'X': not a TZif file");
  EXPECT_TRUE(TimeZone::FromTzif("X", bytes, &error).has_value()) << error;
}

TEST(TimeZoneTest, FixedZone) {
  const TimeZone utc = TimeZone::Fixed("UTC", seconds{0});
  EXPECT_EQ(Utc(utc.FromLocal(L("2028-02-29T12:00"))), "2028-02-29T12:00:00Z");
}

}  // namespace
}  // namespace shepgw
