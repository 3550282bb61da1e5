#include <algorithm>

#include "shepgw/maintenance/maintenance.h"

namespace shepgw::maintenance {
namespace {

bool Applies(const std::vector<std::string>& services, std::string_view service_id) {
  if (services.empty()) {
    return true;
  }
  return !service_id.empty() &&
         std::find(services.begin(), services.end(), service_id) != services.end();
}

bool Applies(const ManualEntry& e, std::string_view service_id) {
  return e.service_id.empty() || e.service_id == service_id;
}

WindowInfo Planned(const config::MaintenanceWindowConfig& w, int index) {
  return WindowInfo{WindowInfo::Kind::kPlanned, index, w.start, w.end, w.services, w.notice};
}

WindowInfo Unplanned(const ManualEntry& e) {
  std::vector<std::string> services;
  if (!e.service_id.empty()) {
    services.push_back(e.service_id);
  }
  return WindowInfo{WindowInfo::Kind::kUnplanned, -1,      e.since, e.until,
                    std::move(services),          e.notice};
}

// nullopt (no end) sorts after every instant.
bool EndsLater(const std::optional<TimePoint>& a, const std::optional<TimePoint>& b) {
  if (!a) {
    return b.has_value();
  }
  return b && *a > *b;
}

}  // namespace

Schedule::Schedule(const config::MaintenanceConfig& config)
    : windows_(config.planned),
      lead_time_(config.lead_time),
      unplanned_retry_after_(config.unplanned_retry_after),
      availability_window_(config.availability_window) {
  std::stable_sort(windows_.begin(), windows_.end(),
                   [](const auto& a, const auto& b) { return a.start < b.start; });
}

State Schedule::At(TimePoint now, std::string_view service_id, const ManualState& manual) const {
  State state;
  const TimePoint horizon = now + lead_time_;
  for (size_t i = 0; i < windows_.size(); ++i) {
    const auto& w = windows_[i];
    if (w.start > horizon) {
      break;  // sorted by start: nothing later is in force or near
    }
    if (w.end <= now || !Applies(w.services, service_id)) {
      continue;
    }
    if (w.start <= now) {
      if (!state.window || EndsLater(w.end, state.window->end)) {
        state.window = Planned(w, static_cast<int>(i));
      }
    } else if (!state.upcoming) {
      state.upcoming = Planned(w, static_cast<int>(i));
    }
  }
  for (const ManualEntry& e : manual.entries) {
    if (!Applies(e, service_id) || (e.until && *e.until <= now)) {
      continue;
    }
    if (!state.window || EndsLater(e.until, state.window->end)) {
      state.window = Unplanned(e);
    }
  }
  if (!state.window) {
    state.draining_soon = state.upcoming.has_value();  // it starts within lead_time
    return state;
  }
  state.in_window = true;
  state.draining_soon = false;
  state.upcoming.reset();
  if (!state.window->end) {
    state.retry_after_seconds =
        std::chrono::duration_cast<std::chrono::seconds>(unplanned_retry_after_).count();
  } else {
    // Follow windows that start before this one ends (back to back), so Retry-After does not
    // send callers into the next window.
    TimePoint end = *state.window->end;
    for (bool extended = true; extended;) {
      extended = false;
      for (const auto& w : windows_) {
        if (w.start <= end && w.end > end && Applies(w.services, service_id)) {
          end = w.end;
          extended = true;
        }
      }
    }
    const auto left = std::chrono::ceil<std::chrono::seconds>(end - now).count();
    state.retry_after_seconds = std::max<int64_t>(1, left);
  }
  return state;
}

std::optional<WindowInfo> Schedule::CurrentWindow(TimePoint now) const {
  for (size_t i = 0; i < windows_.size(); ++i) {
    if (windows_[i].start <= now && now < windows_[i].end) {
      return Planned(windows_[i], static_cast<int>(i));
    }
  }
  return std::nullopt;
}

std::optional<WindowInfo> Schedule::NextWindow(TimePoint now) const {
  for (size_t i = 0; i < windows_.size(); ++i) {
    if (windows_[i].start > now) {
      return Planned(windows_[i], static_cast<int>(i));
    }
  }
  return std::nullopt;
}

TimePoint::duration Schedule::PlannedOverlap(TimePoint from, TimePoint to) const {
  TimePoint::duration total{0};
  TimePoint covered_until = from;  // guards against counting overlapping windows twice
  for (const auto& w : windows_) {
    if (!w.services.empty()) {
      continue;  // a break of some services is not a break of the gateway
    }
    const TimePoint a = std::max({w.start, from, covered_until});
    const TimePoint b = std::min(w.end, to);
    if (b > a) {
      total += b - a;
      covered_until = b;
    }
  }
  return total;
}

}  // namespace shepgw::maintenance
