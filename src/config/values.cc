#include "config/values.h"

#include <algorithm>
#include <array>
#include <limits>
#include <vector>

#include <arpa/inet.h>

namespace shepgw::config::internal {
namespace {

constexpr size_t kMaxDigits = 12;  // keeps value * unit far below int64/uint64 overflow

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// Splits "<digits><suffix>"; returns the number of leading digits.
size_t LeadingDigits(std::string_view s) {
  size_t n = 0;
  while (n < s.size() && IsDigit(s[n])) {
    ++n;
  }
  return n;
}

uint64_t DigitsValue(std::string_view digits) {
  uint64_t v = 0;
  for (char c : digits) {
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

bool ValidDnsName(std::string_view host) {
  if (host.empty() || host.size() > 253) {
    return false;
  }
  size_t start = 0;
  while (true) {
    const size_t dot = host.find('.', start);
    const std::string_view label =
        host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!IsAlpha(c) && !IsDigit(c) && c != '-') {
        return false;
      }
    }
    if (dot == std::string_view::npos) {
      return true;
    }
    start = dot + 1;
  }
}

// RFC 3986 path/query characters (pchar, '/', '?'); '%' is checked separately.
bool IsPathChar(char c) {
  static constexpr std::string_view kExtra = "-._~!$&'()*+,;=:@/?";
  return IsAlpha(c) || IsDigit(c) || kExtra.find(c) != std::string_view::npos;
}

}  // namespace

std::string Printable(std::string_view s) {
  constexpr size_t kMax = 80;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < s.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > kMax) {
    out += "...";
  }
  return out;
}

std::string Quote(std::string_view s) { return "'" + Printable(s) + "'"; }

std::string ParseDuration(std::string_view text, Millis* out) {
  if (!text.empty() && text.front() == '-') {
    return "invalid duration " + Quote(text) + ": must not be negative";
  }
  const size_t digits = LeadingDigits(text);
  const std::string_view unit = text.substr(digits);
  if (digits > 0 && unit.empty()) {
    return "invalid duration " + Quote(text) +
           ": a unit is required (ms, s, m, h or d), e.g. \"30s\"";
  }
  int64_t factor = 0;
  if (unit == "ms") {
    factor = 1;
  } else if (unit == "s") {
    factor = 1000;
  } else if (unit == "m") {
    factor = 60'000;
  } else if (unit == "h") {
    factor = 3'600'000;
  } else if (unit == "d") {
    factor = 86'400'000;
  }
  if (digits == 0 || factor == 0) {
    return "invalid duration " + Quote(text) +
           R"(: expected a whole number with a unit ms, s, m, h or d (e.g. "30s", "250ms"))";
  }
  if (digits > kMaxDigits) {
    return "invalid duration " + Quote(text) + ": too large";
  }
  const auto value = static_cast<int64_t>(DigitsValue(text.substr(0, digits)));
  if (value > std::numeric_limits<int64_t>::max() / factor) {
    return "invalid duration " + Quote(text) + ": too large";
  }
  *out = Millis(value * factor);
  return {};
}

std::string ParseSize(std::string_view text, uint64_t* out) {
  if (!text.empty() && text.front() == '-') {
    return "invalid size " + Quote(text) + ": must not be negative";
  }
  const size_t digits = LeadingDigits(text);
  const std::string_view unit = text.substr(digits);
  struct Unit {
    std::string_view name;
    uint64_t factor;
  };
  static constexpr std::array<Unit, 8> kUnits = {{{"", 1},
                                                  {"B", 1},
                                                  {"KB", 1000},
                                                  {"MB", 1000ull * 1000},
                                                  {"GB", 1000ull * 1000 * 1000},
                                                  {"KiB", 1024},
                                                  {"MiB", 1024ull * 1024},
                                                  {"GiB", 1024ull * 1024 * 1024}}};
  const auto it =
      std::find_if(kUnits.begin(), kUnits.end(), [&](const Unit& u) { return u.name == unit; });
  if (digits == 0 || it == kUnits.end()) {
    return "invalid size " + Quote(text) +
           ": expected bytes or a whole number with a unit B, KB, MB, GB, KiB, MiB or GiB "
           "(e.g. \"16MiB\")";
  }
  if (digits > kMaxDigits) {
    return "invalid size " + Quote(text) + ": too large";
  }
  *out = DigitsValue(text.substr(0, digits)) * it->factor;
  return {};
}

std::string ParseInteger(std::string_view text, int64_t* out) {
  const bool negative = !text.empty() && text.front() == '-';
  const std::string_view digits = negative ? text.substr(1) : text;
  if (digits.empty() || LeadingDigits(digits) != digits.size()) {
    return "expected an integer, got " + Quote(text);
  }
  if (digits.size() > kMaxDigits) {
    return "integer " + Quote(text) + " is too large";
  }
  const auto v = static_cast<int64_t>(DigitsValue(digits));
  *out = negative ? -v : v;
  return {};
}

bool IsIpLiteral(std::string_view text) {
  const std::string s(text);
  std::array<unsigned char, 16> buf{};
  return inet_pton(AF_INET, s.c_str(), buf.data()) == 1 ||
         inet_pton(AF_INET6, s.c_str(), buf.data()) == 1;
}

std::string NormalizeFingerprint(std::string_view text, std::string* out) {
  constexpr size_t kHexDigits = 64;  // SHA-256
  const auto invalid = [&](std::string_view why) {
    return "invalid SHA-256 fingerprint " + Quote(text) + ": " + std::string(why);
  };
  std::string hex;
  hex.reserve(kHexDigits);
  const bool separated = text.find(':') != std::string_view::npos;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    // Separated form: a ':' after every pair and nowhere else.
    if (separated && (i % 3 == 2) != (c == ':')) {
      return invalid("expected ':' between every two hex digits");
    }
    if (c == ':') {
      continue;
    }
    if (!IsHex(c)) {
      return invalid("expected 64 hex digits (':' separators allowed)");
    }
    hex += static_cast<char>(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
  }
  if (hex.size() != kHexDigits || (separated && text.size() != kHexDigits / 2 * 3 - 1)) {
    return invalid("expected 64 hex digits (':' separators allowed), got " +
                   std::to_string(hex.size()));
  }
  *out = std::move(hex);
  return "";
}

std::string ValidateUpstreamUrl(std::string_view url) {
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) {
      return "invalid URL " + Quote(url) +
             ": spaces, control and non-ASCII characters are not allowed (percent-encode them)";
    }
  }
  std::string_view rest;
  if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    const size_t sep = url.find("://");
    if (sep != std::string_view::npos) {
      return "invalid URL " + Quote(url) + ": scheme '" + std::string(url.substr(0, sep)) +
             "' is not supported (use http or https)";
    }
    return "invalid URL " + Quote(url) + ": expected http://host[:port]/path or https://...";
  }
  const size_t authority_end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, authority_end);
  const std::string_view path =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  const std::string bad = "invalid URL " + Quote(url) + ": ";
  if (authority.find('@') != std::string_view::npos) {
    return bad + "credentials in URLs are not supported";
  }
  std::string_view host = authority;
  std::string_view port;
  bool has_port = false;
  if (authority.starts_with('[')) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return bad + "unterminated IPv6 address";
    }
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return bad + "unexpected characters after the IPv6 address";
      }
      has_port = true;
      port = after.substr(1);
    }
    const std::string h(host);
    std::array<unsigned char, 16> buf{};
    if (inet_pton(AF_INET6, h.c_str(), buf.data()) != 1) {
      return bad + "invalid IPv6 address '" + h + "'";
    }
  } else {
    const size_t colon = authority.find(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      has_port = true;
      port = authority.substr(colon + 1);
    }
    if (host.empty()) {
      return bad + "missing host";
    }
    // A name made only of digits and dots is meant as an IPv4 address; "10.0.0.256" must
    // not slip through as a DNS name.
    const bool numeric =
        std::all_of(host.begin(), host.end(), [](char c) { return IsDigit(c) || c == '.'; });
    const std::string h(host);
    std::array<unsigned char, 4> buf{};
    if (numeric ? inet_pton(AF_INET, h.c_str(), buf.data()) != 1 : !ValidDnsName(host)) {
      return bad + "invalid host '" + h + "'";
    }
  }
  if (has_port) {
    if (port.empty() || port.size() > 5 || LeadingDigits(port) != port.size() ||
        DigitsValue(port) < 1 || DigitsValue(port) > 65535) {
      return bad + "port must be a number between 1 and 65535";
    }
  }
  for (size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (c == '#') {
      return bad + "fragments are not allowed";
    }
    if (c == '%') {
      if (i + 2 >= path.size() || !IsHex(path[i + 1]) || !IsHex(path[i + 2])) {
        return bad + "'%' must be followed by two hex digits";
      }
      i += 2;
      continue;
    }
    if (!IsPathChar(c)) {
      return bad + "character '" + std::string(1, c) + "' is not allowed";
    }
  }
  return {};
}

std::string FormatDuration(Millis d) {
  const int64_t ms = d.count();
  if (ms != 0 && ms % 3'600'000 == 0) {
    return std::to_string(ms / 3'600'000) + "h";
  }
  if (ms != 0 && ms % 60'000 == 0) {
    return std::to_string(ms / 60'000) + "m";
  }
  if (ms != 0 && ms % 1000 == 0) {
    return std::to_string(ms / 1000) + "s";
  }
  return std::to_string(ms) + "ms";
}

std::string FormatSize(uint64_t bytes) {
  static constexpr std::array<std::pair<uint64_t, std::string_view>, 3> kUnits = {
      {{1024ull * 1024 * 1024, "GiB"}, {1024ull * 1024, "MiB"}, {1024ull, "KiB"}}};
  for (const auto& [factor, name] : kUnits) {
    if (bytes != 0 && bytes % factor == 0) {
      return std::to_string(bytes / factor) + std::string(name);
    }
  }
  return std::to_string(bytes) + "B";
}

int EditDistance(std::string_view a, std::string_view b) {
  const size_t n = a.size();
  const size_t m = b.size();
  std::vector<std::vector<int>> d(n + 1, std::vector<int>(m + 1, 0));
  for (size_t i = 0; i <= n; ++i) {
    d[i][0] = static_cast<int>(i);
  }
  for (size_t j = 0; j <= m; ++j) {
    d[0][j] = static_cast<int>(j);
  }
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

}  // namespace shepgw::config::internal
