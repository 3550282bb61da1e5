// Clock: the one seam for time. Production code asks a Clock, never the system directly,
// so time-dependent logic (maintenance windows, deadlines, certificate validity) is tested
// without sleeping. SystemClock is thread-safe and stateless.
#pragma once

#include <chrono>
#include <string>

namespace shepgw {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time (UTC), for dates on the wire and calendar logic.
  virtual std::chrono::system_clock::time_point Now() const = 0;
  // Monotonic time, for deadlines and durations.
  virtual std::chrono::steady_clock::time_point Monotonic() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::now();
  }
  std::chrono::steady_clock::time_point Monotonic() const override {
    return std::chrono::steady_clock::now();
  }
  // A process-wide instance.
  static const SystemClock& Instance();
};

// ISO 8601 / xsd:dateTime in UTC with milliseconds, e.g. "2026-11-22T12:40:00.123Z".
std::string FormatXsdDateTime(std::chrono::system_clock::time_point t);

}  // namespace shepgw
