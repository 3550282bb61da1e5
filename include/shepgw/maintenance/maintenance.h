// Maintenance windows (KZ-9) and the availability figure (BY-2). Pure and clock-injected:
// every function takes the time it should reason about; nothing here reads the system clock
// or sleeps. docs/operations.md describes the behaviour for operators.
//
//   Schedule            immutable, built from config.maintenance; one per config snapshot.
//   ManualSwitch        unplanned maintenance, switched by the operator; thread-safe; one per
//                       process, kept across reloads; persisted to maintenance.state_file.
//   AvailabilityTracker up/down observations → Kav over a sliding window, excluding planned
//                       breaks; thread-safe; one per process.
//
// Typical use per request: `schedule.At(clock.Now(), service_id, *manual.Status())`; when
// in_window, answer gateway.maintenance with Retry-After = retry_after_seconds and the notice.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shepgw/config/config.h"

namespace shepgw::maintenance {

using TimePoint = std::chrono::system_clock::time_point;

// One unplanned maintenance entry (switched on by the operator).
struct ManualEntry {
  std::string service_id;          // empty: the whole gateway
  std::string notice;              // UTF-8, <= 1000 bytes, may be empty
  TimePoint since;                 // when it was switched on
  std::optional<TimePoint> until;  // switches itself off at this instant; nullopt: until Off()
  bool operator==(const ManualEntry&) const = default;
};

// The manual switch's state at one moment: a value, cheap to share.
struct ManualState {
  std::vector<ManualEntry> entries;  // at most one per service_id ("" = whole gateway)
};

struct WindowInfo {
  enum class Kind { kPlanned, kUnplanned };
  Kind kind = Kind::kPlanned;
  int index = -1;  // position in Schedule::windows() for planned windows, -1 for unplanned
  TimePoint start;
  std::optional<TimePoint> end;       // nullopt: unplanned without an end
  std::vector<std::string> services;  // empty: every service
  std::string notice;
};

struct State {
  bool in_window = false;
  // The window in force (when in_window): the one that ends last, if several apply.
  std::optional<WindowInfo> window;
  // Retry-After for a 503 during the window: whole seconds until the end of the window
  // (through windows that follow back to back), rounded up, at least 1; for unplanned
  // maintenance without an end, maintenance.unplanned_retry_after. 0 when not in a window.
  int64_t retry_after_seconds = 0;
  // Not in a window, but a window that applies starts within lead_time: readiness should
  // report false so load balancers drain this instance first.
  bool draining_soon = false;
  std::optional<WindowInfo> upcoming;  // that window, when draining_soon
};

class Schedule {
 public:
  Schedule() = default;  // no windows
  // REQUIRES: config as validated by the config loader (windows sorted, no overlaps).
  explicit Schedule(const config::MaintenanceConfig& config);

  // What applies to `service_id` at `now`. An empty service_id asks about the gateway as a
  // whole (readiness, health): only windows without a service list count then.
  State At(TimePoint now, std::string_view service_id, const ManualState& manual = {}) const;

  // For health: the planned window in force at `now` (any service list), and the first one
  // starting after `now`.
  std::optional<WindowInfo> CurrentWindow(TimePoint now) const;
  std::optional<WindowInfo> NextWindow(TimePoint now) const;

  // Seconds of [from, to) covered by planned windows for every service (planned breaks of
  // the whole gateway, excluded from Kav).
  TimePoint::duration PlannedOverlap(TimePoint from, TimePoint to) const;

  const std::vector<config::MaintenanceWindowConfig>& windows() const { return windows_; }
  std::chrono::milliseconds lead_time() const { return lead_time_; }
  std::chrono::milliseconds availability_window() const { return availability_window_; }

 private:
  std::vector<config::MaintenanceWindowConfig> windows_;  // sorted by start, disjoint
  std::chrono::milliseconds lead_time_{15 * 60'000};
  std::chrono::milliseconds unplanned_retry_after_{5 * 60'000};
  std::chrono::milliseconds availability_window_{30ll * 24 * 3'600'000};
};

// Unplanned maintenance ("only for urgent updates", KZ-9), switched on and off by the
// operator (admin endpoint / CLI). Thread-safe. With a state file, every change is written
// atomically (temporary file + fsync + rename) and the file is read at construction, so the
// switch survives restarts; a corrupt or unreadable file is logged and ignored.
class ManualSwitch {
 public:
  // state_file empty: in memory only.
  explicit ManualSwitch(std::string state_file = {});
  ManualSwitch(const ManualSwitch&) = delete;
  ManualSwitch& operator=(const ManualSwitch&) = delete;

  struct Change {
    bool applied = false;  // the in-memory state changed (or was already so)
    std::string error;     // why not applied, or (applied) why it was not persisted
  };
  // Switches maintenance on for one service (or, nullopt/empty, the whole gateway), replacing
  // an entry for the same scope. `until` must be after `now`.
  Change On(std::optional<std::string> service_id, std::string notice,
            std::optional<TimePoint> until, TimePoint now);
  // Switches off one service's entry, or (nullopt) every entry.
  Change Off(std::optional<std::string> service_id);
  // The current state (entries past their `until` are still listed; Schedule::At ignores them).
  std::shared_ptr<const ManualState> Status() const;
  // Why the state file was ignored at start (empty when it was fine or absent).
  const std::string& load_error() const { return load_error_; }
  const std::string& state_file() const { return state_file_; }

 private:
  std::string Persist(const ManualState& state) const;  // "" or the error

  const std::string state_file_;
  std::string load_error_;
  mutable std::mutex mu_;
  std::shared_ptr<const ManualState> state_;  // guarded by mu_
};

// Parses / renders the state file (exposed for tests). Parse returns nullopt with *error set
// for anything malformed.
std::string RenderManualState(const ManualState& state);
std::optional<ManualState> ParseManualState(std::string_view text, std::string* error);

struct AvailabilityReport {
  std::chrono::seconds period{0};         // the part of the window that was observed
  std::chrono::seconds planned_break{0};  // planned windows inside the period
  std::chrono::seconds t_planned{0};      // Tplanned = period − planned breaks
  std::chrono::seconds t_down{0};         // Tdown, outside planned breaks
  double kav_percent = 100.0;  // (Tplanned − Tdown) / Tplanned × 100; 100 when Tplanned = 0
};

// Kav (BY-2) = (Tplanned − Tdown) / Tplanned × 100 over the last availability_window, with
// planned-window time removed from both Tplanned and Tdown. "Down" is whatever the caller
// observes as down (docs/operations.md: readiness false or every upstream unreachable).
// Time before `started` (the tracker's birth) is not counted at all.
// Thread-safe; Observe() is O(1) amortised and only locks a mutex, so calling it once a
// second from a ticker is fine.
class AvailabilityTracker {
 public:
  explicit AvailabilityTracker(TimePoint started);

  // The state seen at `now`; it holds until the next observation. Observations going back
  // in time are ignored.
  void Observe(TimePoint now, bool up);
  // Records [from, to) as down (e.g. an outage measured elsewhere). Merged with overlaps.
  void MarkDown(TimePoint from, TimePoint to);

  AvailabilityReport Report(TimePoint now, const Schedule& schedule) const;

 private:
  void AddDownLocked(TimePoint from, TimePoint to);
  void PruneLocked(TimePoint now);

  const TimePoint started_;
  mutable std::mutex mu_;
  std::deque<std::pair<TimePoint, TimePoint>> down_;  // disjoint, sorted [from, to)
  std::optional<TimePoint> down_since_;               // currently down since (open interval)
  TimePoint last_observed_;
};

}  // namespace shepgw::maintenance
