#include "test_util.h"

namespace shepgw::maintenance {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace)
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr auto kDay = hours(24);

TEST(AvailabilityTest, ThirtyDaysOneHourDown) {
  const TimePoint t0 = Utc("2026-11-01T00:00:00Z");
  AvailabilityTracker tracker(t0);
  tracker.Observe(t0, true);
  tracker.Observe(t0 + 10 * kDay, false);
  tracker.Observe(t0 + 10 * kDay + hours(1), true);
  const Schedule schedule;  // availability_window 30d
  const AvailabilityReport r = tracker.Report(t0 + 30 * kDay, schedule);
  EXPECT_EQ(r.period, 30 * kDay);
  EXPECT_EQ(r.t_planned, 30 * kDay);
  EXPECT_EQ(r.t_down, hours(1));
  EXPECT_NEAR(r.kav_percent, 99.8611, 0.0001);  // 719/720
  EXPECT_GT(r.kav_percent, 99.0);               // BY-2
}

TEST(AvailabilityTest, PlannedWindowsAreExcludedFromBothSides) {
  const TimePoint t0 = Utc("2026-11-20T00:00:00Z");
  // A 4 h planned window on 2026-12-05 (17:00Z–21:00Z), inside the 30 days.
  const Schedule schedule(Config({Window("2026-12-05T22:00", "2026-12-06T02:00")}));
  AvailabilityTracker tracker(t0);
  // Down during the whole planned window and 30 min after it: only the 30 min count.
  tracker.Observe(Utc("2026-12-05T17:00:00Z"), false);
  tracker.Observe(Utc("2026-12-05T21:30:00Z"), true);
  const AvailabilityReport r = tracker.Report(t0 + 30 * kDay, schedule);
  EXPECT_EQ(r.planned_break, hours(4));
  EXPECT_EQ(r.t_planned, 30 * kDay - hours(4));
  EXPECT_EQ(r.t_down, minutes(30));
  EXPECT_NEAR(r.kav_percent, 100.0 * (716.0 - 0.5) / 716.0, 1e-9);

  // Down only inside the planned window: 100 %.
  AvailabilityTracker inside(t0);
  inside.MarkDown(Utc("2026-12-05T18:00:00Z"), Utc("2026-12-05T20:00:00Z"));
  EXPECT_EQ(inside.Report(t0 + 30 * kDay, schedule).t_down, seconds(0));
  EXPECT_DOUBLE_EQ(inside.Report(t0 + 30 * kDay, schedule).kav_percent, 100.0);
}

TEST(AvailabilityTest, WindowForSomeServicesIsNotAPlannedBreak) {
  const TimePoint t0 = Utc("2026-11-20T00:00:00Z");
  const Schedule schedule(Config({Window("2026-12-05T22:00", "2026-12-06T02:00", {"A"})}));
  AvailabilityTracker tracker(t0);
  tracker.MarkDown(Utc("2026-12-05T17:00:00Z"), Utc("2026-12-05T18:00:00Z"));
  const AvailabilityReport r = tracker.Report(t0 + 30 * kDay, schedule);
  EXPECT_EQ(r.planned_break, seconds(0));
  EXPECT_EQ(r.t_down, hours(1));
}

TEST(AvailabilityTest, SlidingWindowAndOpenOutage) {
  const TimePoint t0 = Utc("2026-01-01T00:00:00Z");
  AvailabilityTracker tracker(t0);
  tracker.MarkDown(t0 + kDay, t0 + kDay + hours(2));  // slides out later
  const Schedule schedule;
  EXPECT_EQ(tracker.Report(t0 + 10 * kDay, schedule).t_down, hours(2));
  EXPECT_EQ(tracker.Report(t0 + 10 * kDay, schedule).period, 10 * kDay);  // since start
  EXPECT_EQ(tracker.Report(t0 + 40 * kDay, schedule).t_down, seconds(0));
  // Partly slid out: 1 h of the 2 h remains.
  EXPECT_EQ(tracker.Report(t0 + 31 * kDay + hours(1), schedule).t_down, hours(1));
  // Currently down: counts up to now.
  tracker.Observe(t0 + 40 * kDay, false);
  tracker.Observe(t0 + 40 * kDay + minutes(10), false);  // still down: no change
  EXPECT_EQ(tracker.Report(t0 + 40 * kDay + minutes(30), schedule).t_down, minutes(30));
  // Observations going back in time are ignored.
  tracker.Observe(t0 + 39 * kDay, true);
  EXPECT_EQ(tracker.Report(t0 + 40 * kDay + minutes(30), schedule).t_down, minutes(30));
}

TEST(AvailabilityTest, OverlappingMarksAreMerged) {
  const TimePoint t0 = Utc("2026-01-01T00:00:00Z");
  AvailabilityTracker tracker(t0);
  tracker.MarkDown(t0 + hours(5), t0 + hours(6));
  tracker.MarkDown(t0 + hours(1), t0 + hours(2));  // out of order
  tracker.MarkDown(t0 + hours(1) + minutes(30), t0 + hours(3));
  tracker.Observe(t0 + hours(5) + minutes(30), false);
  tracker.Observe(t0 + hours(7), true);
  const AvailabilityReport r = tracker.Report(t0 + kDay, Schedule{});
  EXPECT_EQ(r.t_down, hours(2) + hours(2));  // [1h, 3h) and [5h, 7h)
}

TEST(AvailabilityTest, NothingObservedYet) {
  const TimePoint t0 = Utc("2026-01-01T00:00:00Z");
  AvailabilityTracker tracker(t0);
  const AvailabilityReport r = tracker.Report(t0, Schedule{});
  EXPECT_EQ(r.t_planned, seconds(0));
  EXPECT_DOUBLE_EQ(r.kav_percent, 100.0);
}

}  // namespace
}  // namespace shepgw::maintenance
