// The maintenance section: planned windows in a time zone, KZ-9's two-a-month rule.
#include <gtest/gtest.h>

#include "shepgw/common/tz.h"
#include "shepgw/config/config.h"

namespace shepgw::config {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

// 7 lines, so `maintenance:` is line 8 and its keys start on line 9.
constexpr char kMinimal[] = R"(listen:
  tls:
    cert: /etc/shepgw/server.crt
    key: /etc/shepgw/server.key
routes:
  - service_id: S1
    upstreams: [http://127.0.0.1:9000/bip-sync/]
)";

using Lines = std::vector<std::string>;

ConfigLoadResult LoadWith(const std::string& extra) {
  return LoadConfigString(std::string(kMinimal) + extra, "test.yaml");
}

Lines ErrorsWith(const std::string& extra) {
  Lines out;
  for (const auto& e : LoadWith(extra).errors) {
    out.push_back(e.ToString());
  }
  return out;
}

std::string Utc(std::chrono::system_clock::time_point t) { return FormatUtc(t); }

TEST(MaintenanceConfigTest, DefaultsWithoutSection) {
  const auto result = LoadWith("");
  ASSERT_TRUE(result.ok());
  const MaintenanceConfig& m = result.config->maintenance;
  EXPECT_EQ(m.timezone, "Asia/Almaty");
  EXPECT_EQ(m.lead_time, minutes(15));
  EXPECT_TRUE(m.planned.empty());
  EXPECT_EQ(m.state_file, "");
  EXPECT_EQ(m.unplanned_retry_after, minutes(5));
  EXPECT_EQ(m.availability_window, hours(24 * 30));
}

TEST(MaintenanceConfigTest, EveryKey) {
  const auto result = LoadWith(R"(maintenance:
  timezone: Asia/Almaty
  lead_time: 30m
  state_file: /var/lib/shepgw/maintenance.yaml
  unplanned_retry_after: 10m
  availability_window: 7d
  planned:
    - start: "2026-12-05T22:00"
      end: "2026-12-06T02:00:30"
      services: [SVC_A, SVC_B]
      notice: "Жоспарлы жұмыстар / Плановые работы / Planned works"
    - start: 2026-11-30T23:00
      end: 2026-12-01T01:00
)");
  ASSERT_TRUE(result.ok()) << (result.errors.empty() ? "" : result.errors[0].ToString());
  const MaintenanceConfig& m = result.config->maintenance;
  EXPECT_EQ(m.lead_time, minutes(30));
  EXPECT_EQ(m.state_file, "/var/lib/shepgw/maintenance.yaml");
  EXPECT_EQ(m.unplanned_retry_after, minutes(10));
  EXPECT_EQ(m.availability_window, hours(24 * 7));
  ASSERT_EQ(m.planned.size(), 2u);
  // Sorted by start; the window across the month boundary first.
  EXPECT_EQ(m.planned[0].start_local, "2026-11-30T23:00:00");
  EXPECT_EQ(Utc(m.planned[0].start), "2026-11-30T18:00:00Z");
  EXPECT_EQ(Utc(m.planned[0].end), "2026-11-30T20:00:00Z");
  EXPECT_TRUE(m.planned[0].services.empty());
  EXPECT_EQ(m.planned[0].line, 19);
  EXPECT_EQ(Utc(m.planned[1].start), "2026-12-05T17:00:00Z");
  EXPECT_EQ(Utc(m.planned[1].end), "2026-12-05T21:00:30Z");
  EXPECT_EQ(m.planned[1].services, (std::vector<std::string>{"SVC_A", "SVC_B"}));
  EXPECT_EQ(m.planned[1].notice, "Жоспарлы жұмыстар / Плановые работы / Planned works");
  EXPECT_EQ(m.planned[1].line, 15);
}

// Asia/Almaty went from UTC+6 to UTC+5 on 2024-03-01: the same wall-clock time converts
// with the offset of its own date.
TEST(MaintenanceConfigTest, AlmatyOffsetChange) {
  const auto result = LoadWith(R"(maintenance:
  planned:
    - {start: "2024-02-29T22:00", end: "2024-02-29T23:00"}
    - {start: "2024-03-02T22:00", end: "2024-03-02T23:00"}
)");
  ASSERT_TRUE(result.ok());
  const auto& p = result.config->maintenance.planned;
  EXPECT_EQ(Utc(p[0].start), "2024-02-29T16:00:00Z");
  EXPECT_EQ(Utc(p[1].start), "2024-03-02T17:00:00Z");
}

TEST(MaintenanceConfigTest, LeapDayAndOtherZone) {
  const auto result = LoadWith(R"(maintenance:
  timezone: Europe/Berlin
  planned:
    - {start: "2028-02-29T23:00", end: "2028-03-01T01:00"}
    - {start: "2026-07-01T01:00", end: "2026-07-01T02:00"}
)");
  ASSERT_TRUE(result.ok());
  const auto& p = result.config->maintenance.planned;
  EXPECT_EQ(Utc(p[0].start), "2026-06-30T23:00:00Z");  // CEST
  EXPECT_EQ(Utc(p[1].start), "2028-02-29T22:00:00Z");  // CET
  EXPECT_EQ(Utc(p[1].end), "2028-03-01T00:00:00Z");
}

TEST(MaintenanceConfigTest, BadTimes) {
  EXPECT_EQ(ErrorsWith(R"(maintenance:
  planned:
    - start: "2026-12-05 22:00"
      end: "2027-02-29T01:00"
    - start: "2026-12-07T22:00"
      end: "2026-12-07T22:00"
    - end: "2026-12-08T22:00"
    - start: "2026-12-09T22:00"
      end: "2026-12-09T21:00"
)"),
            (Lines{"10: maintenance.planned[0].start: expected a local date and time "
                   "YYYY-MM-DDTHH:MM[:SS], got '2026-12-05 22:00'",
                   "11: maintenance.planned[0].end: no such date, got '2027-02-29T01:00'",
                   "13: maintenance.planned[1].end: must be after start (2026-12-07T22:00:00), "
                   "got 2026-12-07T22:00:00",
                   "14: maintenance.planned[2].start: required key is missing",
                   "16: maintenance.planned[3].end: must be after start (2026-12-09T22:00:00), "
                   "got 2026-12-09T21:00:00"}));
}

TEST(MaintenanceConfigTest, SkippedLocalTimeInDstZone) {
  EXPECT_EQ(ErrorsWith(R"(maintenance:
  timezone: Europe/Berlin
  planned:
    - {start: "2026-03-29T02:30", end: "2026-03-29T04:00"}
)"),
            (Lines{"11: maintenance.planned[0].start: '2026-03-29T02:30' does not exist in "
                   "Europe/Berlin (the clocks skip it)"}));
}

TEST(MaintenanceConfigTest, UnknownZone) {
  const Lines errors = ErrorsWith(R"(maintenance:
  timezone: Asia/Almata
  planned:
    - {start: "2026-12-05T22:00", end: "2026-12-06T02:00"}
)");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("9: maintenance.timezone: unknown time zone 'Asia/Almata' (no such "
                            "zone in ",
                            0),
            0u)
      << errors[0];
  EXPECT_EQ(ErrorsWith("maintenance:\n  timezone: ../../etc/passwd\n"),
            (Lines{"9: maintenance.timezone: invalid time zone name '../../etc/passwd' "
                   "(expected Area/City, e.g. Asia/Almaty)"}));
}

TEST(MaintenanceConfigTest, Overlaps) {
  EXPECT_EQ(ErrorsWith(R"(maintenance:
  planned:
    - {start: "2026-12-05T22:00", end: "2026-12-06T02:00"}
    - {start: "2026-12-06T01:00", end: "2026-12-06T03:00"}
)"),
            (Lines{"11: maintenance.planned[1]: overlaps the planned window at line 10 "
                   "(2026-12-05T22:00:00 to 2026-12-06T02:00:00)"}));
  // Touching windows do not overlap (a window ends before its end instant).
  EXPECT_TRUE(LoadWith(R"(maintenance:
  planned:
    - {start: "2026-12-05T22:00", end: "2026-12-06T02:00"}
    - {start: "2026-12-06T02:00", end: "2026-12-06T03:00"}
)")
                  .ok());
  // Reported on the one written later, even when it starts earlier.
  EXPECT_EQ(ErrorsWith(R"(maintenance:
  planned:
    - {start: "2027-01-10T00:00", end: "2027-01-10T05:00"}
    - {start: "2027-01-09T22:00", end: "2027-01-10T01:00"}
)"),
            (Lines{"11: maintenance.planned[1]: overlaps the planned window at line 10 "
                   "(2027-01-10T00:00:00 to 2027-01-10T05:00:00)"}));
}

TEST(MaintenanceConfigTest, TwoPerMonth) {
  // Exactly two in a month, plus windows in other months: fine.
  EXPECT_TRUE(LoadWith(R"(maintenance:
  planned:
    - {start: "2026-12-05T22:00", end: "2026-12-06T02:00"}
    - {start: "2026-12-19T22:00", end: "2026-12-20T02:00"}
    - {start: "2027-01-09T22:00", end: "2027-01-10T02:00"}
    - {start: "2026-11-28T22:00", end: "2026-11-29T02:00"}
)")
                  .ok());
  // A third (and fourth) in one month, named by month, in chronological order.
  EXPECT_EQ(ErrorsWith(R"(maintenance:
  planned:
    - {start: "2026-12-19T22:00", end: "2026-12-20T02:00"}
    - {start: "2026-12-05T22:00", end: "2026-12-06T02:00"}
    - {start: "2026-12-26T22:00", end: "2026-12-27T02:00"}
    - {start: "2026-12-30T22:00", end: "2026-12-31T02:00"}
    - {start: "2027-01-09T22:00", end: "2027-01-10T02:00"}
)"),
            (Lines{"12: maintenance.planned[2]: a third planned window in 2026-12 (KZ-9 allows "
                   "at most two a month)",
                   "13: maintenance.planned[3]: a fourth planned window in 2026-12 (KZ-9 allows "
                   "at most two a month)"}));
}

// The month is the month of the local start in the configured zone: 2026-11-30T23:00 in
// Almaty is still November there (18:00Z), while 2026-12-01T03:00 in Almaty is
// 2026-11-30T22:00Z in UTC but December locally.
TEST(MaintenanceConfigTest, MonthIsTakenInTheConfiguredZone) {
  EXPECT_TRUE(LoadWith(R"(maintenance:
  planned:
    - {start: "2026-11-30T23:00", end: "2026-11-30T23:30"}
    - {start: "2026-12-01T03:00", end: "2026-12-01T04:00"}
    - {start: "2026-12-05T22:00", end: "2026-12-06T02:00"}
)")
                  .ok());
  EXPECT_EQ(ErrorsWith(R"(maintenance:
  planned:
    - {start: "2026-12-01T03:00", end: "2026-12-01T04:00"}
    - {start: "2026-12-05T22:00", end: "2026-12-06T02:00"}
    - {start: "2026-12-31T23:30", end: "2027-01-01T01:00"}
)"),
            (Lines{"12: maintenance.planned[2]: a third planned window in 2026-12 (KZ-9 allows "
                   "at most two a month)"}));
}

TEST(MaintenanceConfigTest, ServicesNoticeAndDurations) {
  const std::string long_notice(1001, 'x');
  EXPECT_EQ(ErrorsWith(R"(maintenance:
  lead_time: 25h
  unplanned_retry_after: 1500ms
  availability_window: 30m
  planned:
    - start: "2026-12-05T22:00"
      end: "2026-12-06T02:00"
      services: []
      notice: ")" + long_notice +
                       R"("
    - start: "2026-12-19T22:00"
      end: "2026-12-20T02:00"
      services: [A, A]
      notce: x
)"),
            (Lines{"9: maintenance.lead_time: must be between 0ms and 24h, got 25h",
                   "10: maintenance.unplanned_retry_after: must be a whole number of seconds, got "
                   "1500ms",
                   "11: maintenance.availability_window: must be between 1h and 9600h, got 30m",
                   "15: maintenance.planned[0].services: must list at least one serviceId (leave "
                   "the key out for every service)",
                   "16: maintenance.planned[0].notice: must be at most 1000 bytes, got 1001",
                   "19: maintenance.planned[1].services[1]: duplicate service 'A'",
                   "20: maintenance.planned[1].notce: unknown key 'notce' (did you mean "
                   "'notice'?)"}));
  // 1000 bytes of Cyrillic (2 bytes each) is fine.
  std::string cyrillic;
  for (int i = 0; i < 500; ++i) {
    cyrillic += "ж";
  }
  EXPECT_TRUE(LoadWith("maintenance:\n  planned:\n    - start: \"2026-12-05T22:00\"\n"
                       "      end: \"2026-12-06T02:00\"\n      notice: \"" +
                       cyrillic + "\"\n")
                  .ok());
  // Invalid UTF-8 in the notice (a Latin-1 byte).
  EXPECT_EQ(ErrorsWith("maintenance:\n  planned:\n    - start: \"2026-12-05T22:00\"\n"
                       "      end: \"2026-12-06T02:00\"\n      notice: \"caf\xe9 ok\"\n"),
            (Lines{"12: maintenance.planned[0].notice: must be valid UTF-8"}));
}

}  // namespace
}  // namespace shepgw::config
