#include "test_util.h"

namespace shepgw::maintenance {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace)
using std::chrono::minutes;
using std::chrono::seconds;

TEST(ScheduleTest, NoWindows) {
  const Schedule schedule;
  const State s = schedule.At(Utc("2026-12-05T17:00:00Z"), "SVC");
  EXPECT_FALSE(s.in_window);
  EXPECT_FALSE(s.draining_soon);
  EXPECT_EQ(s.retry_after_seconds, 0);
  EXPECT_FALSE(schedule.NextWindow(Utc("2026-12-05T17:00:00Z")).has_value());
}

// A window across midnight and a month end: 2026-11-30 22:00 → 2026-12-01 02:00 Almaty (+5).
TEST(ScheduleTest, WindowAcrossMidnightAndMonthEnd) {
  const Schedule schedule(
      Config({Window("2026-11-30T22:00", "2026-12-01T02:00", {}, "Жоспарлы жұмыстар")}));
  EXPECT_FALSE(schedule.At(Local("2026-11-30T21:59:59"), "SVC").in_window);
  const State at_start = schedule.At(Local("2026-11-30T22:00"), "SVC");
  EXPECT_TRUE(at_start.in_window);
  ASSERT_TRUE(at_start.window.has_value());
  EXPECT_EQ(at_start.window->kind, WindowInfo::Kind::kPlanned);
  EXPECT_EQ(at_start.window->index, 0);
  EXPECT_EQ(at_start.window->notice, "Жоспарлы жұмыстар");
  EXPECT_EQ(at_start.retry_after_seconds, 4 * 3600);
  const State after_midnight = schedule.At(Local("2026-12-01T00:30"), "SVC");
  EXPECT_TRUE(after_midnight.in_window);
  EXPECT_EQ(after_midnight.retry_after_seconds, 90 * 60);
  // The end instant is outside the window.
  EXPECT_FALSE(schedule.At(Local("2026-12-01T02:00"), "SVC").in_window);
  EXPECT_EQ(FormatUtc(*schedule.CurrentWindow(Local("2026-12-01T00:00"))->end),
            "2026-11-30T21:00:00Z");
}

TEST(ScheduleTest, LeapDay) {
  const Schedule schedule(Config({Window("2028-02-29T23:00", "2028-03-01T01:00")}));
  EXPECT_TRUE(schedule.At(Utc("2028-02-29T18:30:00Z"), "SVC").in_window);  // 23:30 local
  EXPECT_TRUE(schedule.At(Utc("2028-02-29T19:59:59Z"), "SVC").in_window);  // 00:59:59 on 03-01
  EXPECT_FALSE(schedule.At(Utc("2028-02-29T20:00:00Z"), "SVC").in_window);
}

// Asia/Almaty was UTC+6 until 2024-03-01 and UTC+5 after: the windows start at different UTC
// hours although both read 22:00.
TEST(ScheduleTest, AlmatyOffsetChange) {
  const Schedule schedule(Config({Window("2024-02-29T22:00", "2024-02-29T23:00"),
                                  Window("2024-03-02T22:00", "2024-03-02T23:00")}));
  EXPECT_TRUE(schedule.At(Utc("2024-02-29T16:00:00Z"), "").in_window);
  EXPECT_FALSE(schedule.At(Utc("2024-02-29T17:00:00Z"), "").in_window);
  EXPECT_FALSE(schedule.At(Utc("2024-03-02T16:30:00Z"), "").in_window);
  EXPECT_TRUE(schedule.At(Utc("2024-03-02T17:00:00Z"), "").in_window);
}

TEST(ScheduleTest, RetryAfterRoundsUpAndIsAtLeastOne) {
  const Schedule schedule(Config({Window("2026-12-05T22:00", "2026-12-06T02:00")}));
  const TimePoint end = Local("2026-12-06T02:00");
  EXPECT_EQ(schedule.At(end - std::chrono::milliseconds(1), "S").retry_after_seconds, 1);
  EXPECT_EQ(schedule.At(end - std::chrono::milliseconds(1500), "S").retry_after_seconds, 2);
  EXPECT_EQ(schedule.At(end - seconds(60), "S").retry_after_seconds, 60);
}

TEST(ScheduleTest, BackToBackWindowsExtendRetryAfter) {
  const Schedule schedule(Config({Window("2026-12-05T22:00", "2026-12-06T00:00"),
                                  Window("2026-12-06T00:00", "2026-12-06T01:00")}));
  const State s = schedule.At(Local("2026-12-05T23:00"), "SVC");
  EXPECT_EQ(s.window->index, 0);
  EXPECT_EQ(s.retry_after_seconds, 2 * 3600);
}

TEST(ScheduleTest, LeadTimeDrainsOnlyForWindowsThatApply) {
  config::MaintenanceConfig c = Config({Window("2026-12-05T22:00", "2026-12-06T02:00"),
                                        Window("2026-12-19T22:00", "2026-12-20T02:00", {"A"})});
  c.lead_time = minutes(15);
  const Schedule schedule(c);
  EXPECT_FALSE(schedule.At(Local("2026-12-05T21:44:59"), "").draining_soon);
  const State soon = schedule.At(Local("2026-12-05T21:45"), "");
  EXPECT_TRUE(soon.draining_soon);
  EXPECT_FALSE(soon.in_window);
  ASSERT_TRUE(soon.upcoming.has_value());
  EXPECT_EQ(soon.upcoming->index, 0);
  EXPECT_TRUE(schedule.At(Local("2026-12-05T21:59:59"), "B").draining_soon);
  // In the window it is no longer "soon".
  EXPECT_FALSE(schedule.At(Local("2026-12-05T22:00"), "").draining_soon);
  // A window for service A: readiness (no service) does not drain, service A does.
  EXPECT_FALSE(schedule.At(Local("2026-12-19T21:50"), "").draining_soon);
  EXPECT_TRUE(schedule.At(Local("2026-12-19T21:50"), "A").draining_soon);
  EXPECT_FALSE(schedule.At(Local("2026-12-19T21:50"), "B").draining_soon);

  c.lead_time = minutes(0);
  const Schedule no_lead(c);
  EXPECT_FALSE(no_lead.At(Local("2026-12-05T21:59:59"), "").draining_soon);
}

TEST(ScheduleTest, ServiceFilters) {
  const Schedule schedule(Config(
      {Window("2026-12-05T22:00", "2026-12-06T02:00", {"A", "B"}, "A and B are being updated")}));
  const TimePoint t = Local("2026-12-05T23:00");
  EXPECT_TRUE(schedule.At(t, "A").in_window);
  EXPECT_TRUE(schedule.At(t, "B").in_window);
  EXPECT_FALSE(schedule.At(t, "C").in_window);
  EXPECT_FALSE(schedule.At(t, "").in_window);  // the gateway as a whole is up
  // Health still shows it.
  ASSERT_TRUE(schedule.CurrentWindow(t).has_value());
  EXPECT_EQ(schedule.CurrentWindow(t)->services, (std::vector<std::string>{"A", "B"}));
}

TEST(ScheduleTest, NextAndCurrentWindow) {
  const Schedule schedule(Config({Window("2026-12-19T22:00", "2026-12-20T02:00"),
                                  Window("2026-12-05T22:00", "2026-12-06T02:00")}));
  const auto next = schedule.NextWindow(Local("2026-12-01T00:00"));
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(FormatUtc(next->start), "2026-12-05T17:00:00Z");  // sorted by start
  EXPECT_EQ(schedule.NextWindow(Local("2026-12-05T23:00"))->index, 1);
  EXPECT_EQ(schedule.CurrentWindow(Local("2026-12-05T23:00"))->index, 0);
  EXPECT_FALSE(schedule.CurrentWindow(Local("2026-12-10T00:00")).has_value());
  EXPECT_FALSE(schedule.NextWindow(Local("2026-12-20T00:00")).has_value());
}

TEST(ScheduleTest, UnplannedMaintenance) {
  config::MaintenanceConfig c = Config({Window("2026-12-05T22:00", "2026-12-06T02:00")});
  c.unplanned_retry_after = minutes(5);
  const Schedule schedule(c);
  const TimePoint now = Utc("2026-12-10T10:00:00Z");
  ManualState manual;
  manual.entries.push_back({"", "Срочное обновление", now - minutes(1), std::nullopt});
  State s = schedule.At(now, "SVC", manual);
  EXPECT_TRUE(s.in_window);
  EXPECT_EQ(s.window->kind, WindowInfo::Kind::kUnplanned);
  EXPECT_EQ(s.window->notice, "Срочное обновление");
  EXPECT_EQ(s.retry_after_seconds, 300);  // no end: unplanned_retry_after
  EXPECT_TRUE(schedule.At(now, "", manual).in_window);

  // With an end: seconds until it; expired entries are ignored.
  manual.entries[0].until = now + minutes(20);
  EXPECT_EQ(schedule.At(now, "SVC", manual).retry_after_seconds, 1200);
  EXPECT_FALSE(schedule.At(now + minutes(20), "SVC", manual).in_window);

  // Per service.
  manual.entries = {{"A", "", now, std::nullopt}};
  EXPECT_TRUE(schedule.At(now, "A", manual).in_window);
  EXPECT_FALSE(schedule.At(now, "B", manual).in_window);
  EXPECT_FALSE(schedule.At(now, "", manual).in_window);

  // Unplanned during a planned window: the one ending later is reported.
  const TimePoint in_planned = Local("2026-12-05T23:00");
  manual.entries = {{"", "longer", in_planned, in_planned + std::chrono::hours(5)}};
  s = schedule.At(in_planned, "A", manual);
  EXPECT_EQ(s.window->kind, WindowInfo::Kind::kUnplanned);
  EXPECT_EQ(s.retry_after_seconds, 5 * 3600);
  manual.entries = {{"", "shorter", in_planned, in_planned + minutes(10)}};
  s = schedule.At(in_planned, "A", manual);
  EXPECT_EQ(s.window->kind, WindowInfo::Kind::kPlanned);
  EXPECT_EQ(s.retry_after_seconds, 3 * 3600);
}

TEST(ScheduleTest, PlannedOverlapCountsOnlyWholeGatewayWindows) {
  const Schedule schedule(Config({Window("2026-12-05T22:00", "2026-12-06T02:00"),
                                  Window("2026-12-19T22:00", "2026-12-20T02:00", {"A"})}));
  EXPECT_EQ(schedule.PlannedOverlap(Local("2026-12-01T00:00"), Local("2026-12-31T00:00")),
            std::chrono::hours(4));
  EXPECT_EQ(schedule.PlannedOverlap(Local("2026-12-06T01:00"), Local("2026-12-31T00:00")),
            std::chrono::hours(1));
  EXPECT_EQ(schedule.PlannedOverlap(Local("2026-12-07T00:00"), Local("2026-12-31T00:00")),
            std::chrono::hours(0));
}

}  // namespace
}  // namespace shepgw::maintenance
