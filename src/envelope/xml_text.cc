#include "envelope/xml_text.h"

#include <algorithm>
#include <cstdint>

namespace shepgw::envelope::internal {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

bool IsCont(unsigned char c) { return (c & 0xC0) == 0x80; }

}  // namespace

size_t XmlCharLength(std::string_view s, size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    return (b0 >= 0x20 || b0 == '\t' || b0 == '\n' || b0 == '\r') ? 1 : 0;
  }
  size_t len;
  uint32_t cp;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    cp = b0 & 0x0F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    cp = b0 & 0x07;
  } else {
    return 0;  // continuation byte, overlong lead (C0/C1) or beyond U+10FFFF (F5..FF)
  }
  if (i + len > s.size()) {
    return 0;
  }
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if (!IsCont(b)) {
      return 0;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  // Reject overlong forms, surrogates, values past U+10FFFF and the two non-characters
  // that XML's Char production excludes.
  if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
      (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF) {
    return 0;
  }
  return len;
}

void AppendXmlEscaped(std::string& out, std::string_view s, size_t max_bytes) {
  size_t i = 0;
  while (i < s.size()) {
    const size_t len = XmlCharLength(s, i);
    const size_t step = len == 0 ? 1 : len;
    if (i + step > max_bytes) {
      out += "...";
      return;
    }
    if (len == 0) {
      out += kReplacement;
    } else if (len > 1) {
      out.append(s.substr(i, len));
    } else {
      switch (s[i]) {
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '&':
          out += "&amp;";
          break;
        case '"':
          out += "&quot;";
          break;
        case '\r':
          out += "&#13;";
          break;
        default:
          out += s[i];
      }
    }
    i += step;
  }
}

std::string SanitizeDetail(std::string_view s, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(s.size(), max_bytes) + 3);
  size_t i = 0;
  bool last_space = false;
  while (i < s.size()) {
    const size_t len = XmlCharLength(s, i);
    const size_t step = len == 0 ? 1 : len;
    if (out.size() + step > max_bytes) {
      out += "...";
      return out;
    }
    if (len == 1 && IsXmlSpace(s[i])) {
      if (!last_space) {
        out += ' ';
      }
      last_space = true;
    } else {
      last_space = false;
      if (len == 0 || (len == 1 && static_cast<unsigned char>(s[i]) == 0x7F)) {
        out += '?';
      } else {
        out.append(s.substr(i, len));
      }
    }
    i += step;
  }
  return out;
}

std::string_view TrimXmlSpace(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && IsXmlSpace(s[b])) {
    ++b;
  }
  while (e > b && IsXmlSpace(s[e - 1])) {
    --e;
  }
  return s.substr(b, e - b);
}

}  // namespace shepgw::envelope::internal
