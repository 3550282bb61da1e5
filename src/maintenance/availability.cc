#include <algorithm>

#include "shepgw/maintenance/maintenance.h"

namespace shepgw::maintenance {
namespace {

using Duration = TimePoint::duration;

// Longer than the largest availability_window (400d), so any configured window is covered.
constexpr Duration kRetention = std::chrono::hours(24 * 401);
// Flapping once a second for a year stays bounded; past the cap the two oldest intervals are
// merged (the gap between them counts as down: availability errs low, never high).
constexpr size_t kMaxIntervals = 100'000;

}  // namespace

AvailabilityTracker::AvailabilityTracker(TimePoint started)
    : started_(started), last_observed_(started) {}

void AvailabilityTracker::Observe(TimePoint now, bool up) {
  std::lock_guard lock(mu_);
  if (now < last_observed_) {
    return;
  }
  last_observed_ = now;
  if (!up && !down_since_) {
    down_since_ = now;
  } else if (up && down_since_) {
    AddDownLocked(*down_since_, now);
    down_since_.reset();
    PruneLocked(now);
  }
}

void AvailabilityTracker::MarkDown(TimePoint from, TimePoint to) {
  if (to <= from) {
    return;
  }
  std::lock_guard lock(mu_);
  AddDownLocked(from, to);
}

void AvailabilityTracker::AddDownLocked(TimePoint from, TimePoint to) {
  if (down_.empty() || from >= down_.back().first) {
    if (!down_.empty() && from <= down_.back().second) {
      down_.back().second = std::max(down_.back().second, to);
    } else {
      down_.emplace_back(from, to);
    }
  } else {
    // Out of order (MarkDown of an older outage): insert, then merge everything once.
    down_.emplace_back(from, to);
    std::sort(down_.begin(), down_.end());
    std::deque<std::pair<TimePoint, TimePoint>> merged;
    for (const auto& iv : down_) {
      if (!merged.empty() && iv.first <= merged.back().second) {
        merged.back().second = std::max(merged.back().second, iv.second);
      } else {
        merged.push_back(iv);
      }
    }
    down_ = std::move(merged);
  }
  while (down_.size() > kMaxIntervals) {
    const TimePoint first = down_.front().first;
    down_.pop_front();
    down_.front().first = first;
  }
}

void AvailabilityTracker::PruneLocked(TimePoint now) {
  while (!down_.empty() && down_.front().second < now - kRetention) {
    down_.pop_front();
  }
}

AvailabilityReport AvailabilityTracker::Report(TimePoint now, const Schedule& schedule) const {
  std::vector<std::pair<TimePoint, TimePoint>> down;
  {
    std::lock_guard lock(mu_);
    down.assign(down_.begin(), down_.end());
    if (down_since_ && *down_since_ < now) {
      down.emplace_back(*down_since_, now);
    }
  }
  const TimePoint from = std::max(now - schedule.availability_window(), started_);
  AvailabilityReport report;
  if (now <= from) {
    return report;
  }
  const Duration period = now - from;
  const Duration planned_break = schedule.PlannedOverlap(from, now);
  Duration t_down{0};
  for (const auto& [a0, b0] : down) {
    const TimePoint a = std::max(a0, from);
    const TimePoint b = std::min(b0, now);
    if (b > a) {
      t_down += (b - a) - schedule.PlannedOverlap(a, b);
    }
  }
  const Duration t_planned = period - planned_break;
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  report.period = duration_cast<seconds>(period);
  report.planned_break = duration_cast<seconds>(planned_break);
  report.t_planned = duration_cast<seconds>(t_planned);
  report.t_down = duration_cast<seconds>(t_down);
  if (t_planned.count() > 0) {
    report.kav_percent = 100.0 * static_cast<double>((t_planned - t_down).count()) /
                         static_cast<double>(t_planned.count());
  }
  return report;
}

}  // namespace shepgw::maintenance
