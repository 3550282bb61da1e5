// Time zones from the system tz database (Debian package tzdata, /usr/share/zoneinfo), read
// as TZif files (RFC 8536) including the POSIX-TZ footer for instants after the last stored
// transition. Why not std::chrono::locate_zone (absent from g++ 12's libstdc++) or ICU (its
// bundled zone data is older than the system's: Debian 12's ICU still puts Asia/Almaty at
// UTC+6 after 2024-03-01): docs/decisions/0003-time-zones.md.
//
// A TimeZone is an immutable value: safe to share across threads once loaded. Loading reads
// one file; lookups are pure.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shepgw {

// A wall-clock date and time without a zone ("2026-12-05T22:00").
struct LocalDateTime {
  int year = 1970;
  int month = 1;  // 1-12
  int day = 1;    // 1-31
  int hour = 0;
  int minute = 0;
  int second = 0;
  bool operator==(const LocalDateTime&) const = default;
};

// "YYYY-MM-DDTHH:MM" or "YYYY-MM-DDTHH:MM:SS", every field zero-padded, year 1970-9999, a
// real calendar date (2028-02-29 yes, 2027-02-29 no). Returns an empty string on success,
// otherwise what is wrong (without the value).
std::string ParseLocalDateTime(std::string_view text, LocalDateTime* out);
// "YYYY-MM-DDTHH:MM:SS".
std::string FormatLocalDateTime(const LocalDateTime& t);
// "YYYY-MM-DDTHH:MM:SSZ" (whole seconds, UTC).
std::string FormatUtc(std::chrono::system_clock::time_point t);
// Parses what FormatUtc writes. std::nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> ParseUtc(std::string_view text);

class TimeZone {
 public:
  using time_point = std::chrono::system_clock::time_point;

  // Loads "Area/City" from $TZDIR or /usr/share/zoneinfo. Names are checked (no absolute
  // paths, no "." or ".." components) before any file is opened. On failure returns nullopt
  // and sets *error ("unknown time zone 'X' (no such file in /usr/share/zoneinfo)", ...).
  static std::optional<TimeZone> Load(std::string_view name, std::string* error);
  // Parses TZif bytes (for tests and for Load).
  static std::optional<TimeZone> FromTzif(std::string_view name, std::string_view bytes,
                                          std::string* error);
  // A zone with one fixed offset (e.g. "UTC", 0).
  static TimeZone Fixed(std::string name, std::chrono::seconds utc_offset);

  const std::string& name() const { return name_; }
  // UTC offset in force at t (local = UTC + offset).
  std::chrono::seconds OffsetAt(time_point t) const;
  LocalDateTime ToLocal(time_point t) const;
  // The instant a local time denotes. A local time that occurs twice (clocks turned back)
  // gives the earlier instant; one that never occurs (clocks skipped it) gives nullopt.
  std::optional<time_point> FromLocal(const LocalDateTime& local) const;

 private:
  // The POSIX-TZ footer ("CET-1CEST,M3.5.0,M10.5.0/3"), for instants after the last
  // transition.
  struct Footer {
    int64_t std_offset = 0;  // seconds east of UTC
    bool has_dst = false;
    int64_t dst_offset = 0;
    // Each rule: kind 'M' (month.week.weekday), 'J' (Julian 1-365, no Feb 29), 'N' (0-365).
    struct When {
      char kind = 'M';
      int a = 0, b = 0, c = 0;  // M: month, week, weekday; J/N: day in a
      int64_t time = 7200;      // local seconds after midnight (may be negative or > 24h)
    } start, end;
  };
  static bool ParseFooter(std::string_view text, Footer* out);
  int64_t OffsetAtSeconds(int64_t utc) const;
  int64_t FooterOffset(int64_t utc) const;

  std::string name_;
  std::vector<int64_t> transitions_;  // UTC seconds, ascending
  std::vector<int64_t> offsets_;      // offset after each transition
  int64_t initial_offset_ = 0;        // before the first transition
  std::optional<Footer> footer_;      // after the last transition
};

}  // namespace shepgw
