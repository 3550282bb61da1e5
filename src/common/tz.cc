#include "shepgw/common/tz.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

namespace shepgw {
namespace {

using std::chrono::days;
using std::chrono::seconds;
using std::chrono::sys_days;
using std::chrono::system_clock;

constexpr int64_t kDay = 86'400;
// A TZif file of the real database is a few KiB; the cap keeps a wrong TZDIR from making us
// read something large.
constexpr size_t kMaxTzifBytes = 256 * 1024;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

int64_t DaysFromCivil(int y, int m, int d) {
  const sys_days sd{std::chrono::year{y} / std::chrono::month{static_cast<unsigned>(m)} /
                    std::chrono::day{static_cast<unsigned>(d)}};
  return sd.time_since_epoch().count();
}

int64_t ToSeconds(const LocalDateTime& t) {
  return DaysFromCivil(t.year, t.month, t.day) * kDay + t.hour * 3600 + t.minute * 60 + t.second;
}

LocalDateTime FromSeconds(int64_t s) {
  const int64_t d = FloorDiv(s, kDay);
  const int64_t rest = s - d * kDay;
  const std::chrono::year_month_day ymd{sys_days{days{d}}};
  LocalDateTime out;
  out.year = static_cast<int>(ymd.year());
  out.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
  out.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
  out.hour = static_cast<int>(rest / 3600);
  out.minute = static_cast<int>(rest / 60 % 60);
  out.second = static_cast<int>(rest % 60);
  return out;
}

int64_t UtcSeconds(system_clock::time_point t) {
  return std::chrono::floor<seconds>(t).time_since_epoch().count();
}

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (i >= s.size() || s[i] < '0' || s[i] > '9') {
      return false;
    }
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

std::string Pad(int v, int width) {
  std::string s = std::to_string(v);
  return std::string(static_cast<size_t>(std::max(0, width - static_cast<int>(s.size()))), '0') + s;
}

// Big-endian reader over the TZif bytes; any read past the end sets ok = false.
struct Reader {
  std::string_view data;
  size_t pos = 0;
  bool ok = true;
  int64_t Be(size_t n) {
    if (!ok || data.size() - pos < n) {
      ok = false;
      return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) {
      v = (v << 8) | static_cast<unsigned char>(data[pos + i]);
    }
    pos += n;
    if (n == 4) {
      return static_cast<int32_t>(static_cast<uint32_t>(v));
    }
    return static_cast<int64_t>(v);
  }
  void Skip(uint64_t n) {
    if (!ok || data.size() - pos < n) {
      ok = false;
      return;
    }
    pos += static_cast<size_t>(n);
  }
};

// --- POSIX TZ strings (the TZif footer) ----------------------------------------------------

struct TzParser {
  std::string_view s;
  size_t pos = 0;
  bool AtEnd() const { return pos >= s.size(); }
  char Peek() const { return AtEnd() ? '\0' : s[pos]; }

  bool Name() {
    if (Peek() == '<') {
      const size_t close = s.find('>', pos);
      if (close == std::string_view::npos || close - pos < 2) {
        return false;
      }
      pos = close + 1;
      return true;
    }
    const size_t begin = pos;
    while (!AtEnd() && ((Peek() >= 'A' && Peek() <= 'Z') || (Peek() >= 'a' && Peek() <= 'z'))) {
      ++pos;
    }
    return pos - begin >= 3;
  }
  bool Number(int max, int* out) {
    const size_t begin = pos;
    int v = 0;
    while (!AtEnd() && Peek() >= '0' && Peek() <= '9' && pos - begin < 3) {
      v = v * 10 + (Peek() - '0');
      ++pos;
    }
    if (pos == begin || v > max) {
      return false;
    }
    *out = v;
    return true;
  }
  // [+-]hh[:mm[:ss]], hours up to 167 (RFC 8536 extension for rule times).
  bool Time(int64_t* out) {
    int sign = 1;
    if (Peek() == '+' || Peek() == '-') {
      sign = Peek() == '-' ? -1 : 1;
      ++pos;
    }
    int h = 0;
    int m = 0;
    int sec = 0;
    if (!Number(167, &h)) {
      return false;
    }
    if (Peek() == ':') {
      ++pos;
      if (!Number(59, &m)) {
        return false;
      }
      if (Peek() == ':') {
        ++pos;
        if (!Number(59, &sec)) {
          return false;
        }
      }
    }
    *out = sign * (h * 3600 + m * 60 + sec);
    return true;
  }
};

}  // namespace

std::string ParseLocalDateTime(std::string_view text, LocalDateTime* out) {
  LocalDateTime t;
  const bool shape = (text.size() == 16 || text.size() == 19) && text[4] == '-' && text[7] == '-' &&
                     text[10] == 'T' && text[13] == ':' && (text.size() == 16 || text[16] == ':');
  if (!shape || !Digits(text, 0, 4, &t.year) || !Digits(text, 5, 2, &t.month) ||
      !Digits(text, 8, 2, &t.day) || !Digits(text, 11, 2, &t.hour) ||
      !Digits(text, 14, 2, &t.minute) || (text.size() == 19 && !Digits(text, 17, 2, &t.second))) {
    return "expected a local date and time YYYY-MM-DDTHH:MM[:SS]";
  }
  if (t.year < 1970 || t.month < 1 || t.month > 12 || t.day < 1 ||
      !std::chrono::year_month_day{std::chrono::year{t.year} /
                                   std::chrono::month{static_cast<unsigned>(t.month)} /
                                   std::chrono::day{static_cast<unsigned>(t.day)}}
           .ok()) {
    return "no such date";
  }
  if (t.hour > 23 || t.minute > 59 || t.second > 59) {
    return "no such time of day";
  }
  *out = t;
  return {};
}

std::string FormatLocalDateTime(const LocalDateTime& t) {
  return Pad(t.year, 4) + "-" + Pad(t.month, 2) + "-" + Pad(t.day, 2) + "T" + Pad(t.hour, 2) + ":" +
         Pad(t.minute, 2) + ":" + Pad(t.second, 2);
}

std::string FormatUtc(system_clock::time_point t) {
  return FormatLocalDateTime(FromSeconds(UtcSeconds(t))) + "Z";
}

std::optional<system_clock::time_point> ParseUtc(std::string_view text) {
  if (text.size() != 20 || text.back() != 'Z') {
    return std::nullopt;
  }
  LocalDateTime t;
  if (!ParseLocalDateTime(text.substr(0, 19), &t).empty()) {
    return std::nullopt;
  }
  return system_clock::time_point{seconds{ToSeconds(t)}};
}

TimeZone TimeZone::Fixed(std::string name, seconds utc_offset) {
  TimeZone tz;
  tz.name_ = std::move(name);
  tz.initial_offset_ = utc_offset.count();
  return tz;
}

bool TimeZone::ParseFooter(std::string_view text, Footer* out) {
  TzParser p{text};
  Footer f;
  int64_t std_posix = 0;
  if (!p.Name() || !p.Time(&std_posix)) {
    return false;
  }
  f.std_offset = -std_posix;  // POSIX offsets are west-positive
  if (p.AtEnd()) {
    *out = f;
    return true;
  }
  if (!p.Name()) {
    return false;
  }
  f.has_dst = true;
  f.dst_offset = f.std_offset + 3600;
  if (p.Peek() != ',') {
    int64_t dst_posix = 0;
    if (!p.Time(&dst_posix)) {
      return false;
    }
    f.dst_offset = -dst_posix;
  }
  // A DST name without rules: POSIX leaves the rules implementation-defined; tzdata never
  // writes that, so refuse rather than guess.
  for (Footer::When* w : {&f.start, &f.end}) {
    if (p.Peek() != ',') {
      return false;
    }
    ++p.pos;
    if (p.Peek() == 'M') {
      ++p.pos;
      w->kind = 'M';
      if (!p.Number(12, &w->a) || w->a < 1 || p.Peek() != '.') {
        return false;
      }
      ++p.pos;
      if (!p.Number(5, &w->b) || w->b < 1 || p.Peek() != '.') {
        return false;
      }
      ++p.pos;
      if (!p.Number(6, &w->c)) {
        return false;
      }
    } else if (p.Peek() == 'J') {
      ++p.pos;
      w->kind = 'J';
      if (!p.Number(365, &w->a) || w->a < 1) {
        return false;
      }
    } else {
      w->kind = 'N';
      if (!p.Number(365, &w->a)) {
        return false;
      }
    }
    if (p.Peek() == '/') {
      ++p.pos;
      if (!p.Time(&w->time)) {
        return false;
      }
    }
  }
  if (!p.AtEnd()) {
    return false;
  }
  *out = f;
  return true;
}

namespace {

// Local seconds (since the epoch, as if UTC) at which a footer rule fires in `year`.
int64_t RuleLocalSeconds(int year, char kind, int a, int b, int c, int64_t time) {
  int64_t day = 0;
  if (kind == 'M') {
    // Weekday c (0 = Sunday) of week b (5 = last) of month a.
    const std::chrono::year_month ym{std::chrono::year{year},
                                     std::chrono::month{static_cast<unsigned>(a)}};
    const sys_days first{ym / 1};
    const int64_t first_wd = std::chrono::weekday{first}.c_encoding();
    int64_t d = (c - first_wd + 7) % 7 + (b - 1) * 7;
    const sys_days last_day{ym / std::chrono::last};
    const int64_t month_len = (last_day - first).count() + 1;
    while (d >= month_len) {
      d -= 7;
    }
    day = first.time_since_epoch().count() + d;
  } else if (kind == 'J') {
    // 1-365, February 29 never counted.
    const int64_t jan1 = DaysFromCivil(year, 1, 1);
    const bool leap = std::chrono::year{year}.is_leap();
    day = jan1 + a - 1 + ((leap && a >= 60) ? 1 : 0);
  } else {
    day = DaysFromCivil(year, 1, 1) + a;
  }
  return day * kDay + time;
}

}  // namespace

int64_t TimeZone::FooterOffset(int64_t utc) const {
  const Footer& f = *footer_;
  if (!f.has_dst) {
    return f.std_offset;
  }
  const int year = FromSeconds(utc + f.std_offset).year;
  // Transition instants in UTC: the start is given in standard time, the end in DST.
  const int64_t start =
      RuleLocalSeconds(year, f.start.kind, f.start.a, f.start.b, f.start.c, f.start.time) -
      f.std_offset;
  const int64_t end =
      RuleLocalSeconds(year, f.end.kind, f.end.a, f.end.b, f.end.c, f.end.time) - f.dst_offset;
  const bool in_dst = start < end ? (utc >= start && utc < end) : !(utc >= end && utc < start);
  return in_dst ? f.dst_offset : f.std_offset;
}

int64_t TimeZone::OffsetAtSeconds(int64_t utc) const {
  if (transitions_.empty()) {
    return footer_ ? FooterOffset(utc) : initial_offset_;
  }
  if (utc < transitions_.front()) {
    return initial_offset_;
  }
  if (utc >= transitions_.back() && footer_) {
    return FooterOffset(utc);
  }
  const auto it = std::upper_bound(transitions_.begin(), transitions_.end(), utc);
  return offsets_[static_cast<size_t>(it - transitions_.begin()) - 1];
}

seconds TimeZone::OffsetAt(time_point t) const { return seconds{OffsetAtSeconds(UtcSeconds(t))}; }

LocalDateTime TimeZone::ToLocal(time_point t) const {
  const int64_t utc = UtcSeconds(t);
  return FromSeconds(utc + OffsetAtSeconds(utc));
}

std::optional<TimeZone::time_point> TimeZone::FromLocal(const LocalDateTime& local) const {
  const int64_t l = ToSeconds(local);
  // Every offset that could apply around this local time: transitions are never closer
  // than a few days apart in the real database.
  std::vector<int64_t> candidates;
  for (const int64_t probe : {l - 2 * kDay, l, l + 2 * kDay}) {
    const int64_t o = OffsetAtSeconds(probe);
    if (std::find(candidates.begin(), candidates.end(), o) == candidates.end()) {
      candidates.push_back(o);
    }
  }
  std::optional<int64_t> best;
  for (const int64_t o : candidates) {
    const int64_t utc = l - o;
    if (OffsetAtSeconds(utc) == o && (!best || utc < *best)) {
      best = utc;
    }
  }
  if (!best) {
    return std::nullopt;
  }
  return time_point{seconds{*best}};
}

std::optional<TimeZone> TimeZone::FromTzif(std::string_view name, std::string_view bytes,
                                           std::string* error) {
  const auto fail = [&](std::string message) -> std::optional<TimeZone> {
    *error = "time zone '" + std::string(name) + "': " + std::move(message);
    return std::nullopt;
  };
  Reader r{bytes};
  struct Header {
    char version = 0;
    int64_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;
  };
  const auto read_header = [&](Header* h) {
    if (r.data.size() - r.pos < 20 || r.data.substr(r.pos, 4) != "TZif") {
      return false;
    }
    h->version = r.data[r.pos + 4];
    r.Skip(20);
    h->isutcnt = r.Be(4);
    h->isstdcnt = r.Be(4);
    h->leapcnt = r.Be(4);
    h->timecnt = r.Be(4);
    h->typecnt = r.Be(4);
    h->charcnt = r.Be(4);
    return r.ok && h->isutcnt >= 0 && h->isstdcnt >= 0 && h->leapcnt >= 0 && h->timecnt >= 0 &&
           h->typecnt >= 1 && h->typecnt <= 256 && h->charcnt >= 0;
  };
  Header h;
  if (!read_header(&h)) {
    return fail("not a TZif file");
  }
  size_t time_size = 4;
  if (h.version >= '2') {
    // Skip the 32-bit block; the 64-bit one follows with its own header.
    r.Skip(static_cast<uint64_t>(h.timecnt) * 5 + static_cast<uint64_t>(h.typecnt) * 6 +
           static_cast<uint64_t>(h.charcnt) + static_cast<uint64_t>(h.leapcnt) * 8 +
           static_cast<uint64_t>(h.isstdcnt) + static_cast<uint64_t>(h.isutcnt));
    if (!r.ok || !read_header(&h)) {
      return fail("truncated TZif file");
    }
    time_size = 8;
  }
  std::vector<int64_t> times;
  std::vector<int> indices;
  for (int64_t i = 0; i < h.timecnt && r.ok; ++i) {
    times.push_back(r.Be(time_size));
  }
  for (int64_t i = 0; i < h.timecnt && r.ok; ++i) {
    indices.push_back(static_cast<int>(r.Be(1)));
  }
  std::vector<int64_t> type_offsets;
  for (int64_t i = 0; i < h.typecnt && r.ok; ++i) {
    type_offsets.push_back(r.Be(4));
    r.Skip(2);  // isdst, designation index
  }
  r.Skip(static_cast<uint64_t>(h.charcnt) + static_cast<uint64_t>(h.leapcnt) * (time_size + 4) +
         static_cast<uint64_t>(h.isstdcnt) + static_cast<uint64_t>(h.isutcnt));
  if (!r.ok) {
    return fail("truncated TZif file");
  }
  TimeZone tz;
  tz.name_ = std::string(name);
  for (size_t i = 0; i < times.size(); ++i) {
    if (indices[i] >= static_cast<int>(type_offsets.size()) ||
        (i > 0 && times[i] <= times[i - 1])) {
      return fail("corrupt TZif file");
    }
    tz.transitions_.push_back(times[i]);
    tz.offsets_.push_back(type_offsets[static_cast<size_t>(indices[i])]);
  }
  tz.initial_offset_ = type_offsets.front();
  if (h.version >= '2') {
    // Footer: "\n<POSIX TZ>\n"; empty means "no rule after the last transition".
    const std::string_view rest = r.data.substr(r.pos);
    if (rest.size() < 2 || rest.front() != '\n') {
      return fail("TZif footer missing");
    }
    const size_t nl = rest.find('\n', 1);
    if (nl == std::string_view::npos) {
      return fail("TZif footer missing");
    }
    const std::string_view footer = rest.substr(1, nl - 1);
    if (!footer.empty()) {
      Footer f;
      if (!ParseFooter(footer, &f)) {
        return fail("unsupported TZ rule '" + std::string(footer) + "'");
      }
      tz.footer_ = f;
    }
  }
  return tz;
}

std::optional<TimeZone> TimeZone::Load(std::string_view name, std::string* error) {
  const char* env = std::getenv("TZDIR");  // NOLINT(concurrency-mt-unsafe): read-only use
  const std::string dir = (env != nullptr && *env != '\0') ? env : "/usr/share/zoneinfo";
  bool valid = !name.empty() && name.size() <= 255 && name.front() != '/' && name.back() != '/';
  for (const char ch : name) {
    const bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                    (ch >= '0' && ch <= '9') || ch == '/' || ch == '_' || ch == '-' || ch == '+' ||
                    ch == '.';
    valid = valid && ok;
  }
  // No "." or ".." component: the name must stay inside the database directory.
  std::string_view rest = name;
  while (valid) {
    const size_t slash = rest.find('/');
    const std::string_view part = rest.substr(0, slash);
    if (part.empty() || part == "." || part == "..") {
      valid = false;
    }
    if (slash == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(slash + 1);
  }
  if (!valid) {
    *error =
        "invalid time zone name '" + std::string(name) + "' (expected Area/City, e.g. Asia/Almaty)";
    return std::nullopt;
  }
  const std::string path = dir + "/" + std::string(name);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "unknown time zone '" + std::string(name) + "' (no such zone in " + dir + ")";
    return std::nullopt;
  }
  std::string bytes;
  bytes.resize(kMaxTzifBytes + 1);
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<size_t>(in.gcount()));
  if (bytes.size() > kMaxTzifBytes) {
    *error = "time zone '" + std::string(name) + "': file too large";
    return std::nullopt;
  }
  if (bytes.size() < 4 || bytes.compare(0, 4, "TZif") != 0) {
    // A directory (e.g. "Asia") opens but reads nothing.
    *error = "unknown time zone '" + std::string(name) + "' (no such zone in " + dir + ")";
    return std::nullopt;
  }
  return FromTzif(name, bytes, error);
}

}  // namespace shepgw
