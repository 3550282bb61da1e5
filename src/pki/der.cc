#include "pki/der.h"

#include <ctime>
#include <vector>

namespace shepgw::pki::der {

bool Reader::Next(Tlv* out) {
  if (failed_ || rest_.empty()) {
    return false;
  }
  const auto fail = [this] {
    failed_ = true;
    return false;
  };
  const std::string_view start = rest_;
  const auto tag = static_cast<uint8_t>(rest_[0]);
  if ((tag & 0x1f) == 0x1f || rest_.size() < 2) {
    return fail();  // high tag numbers never occur in these structures
  }
  size_t pos = 1;
  size_t length = static_cast<uint8_t>(rest_[pos++]);
  if (length & 0x80) {
    const size_t n = length & 0x7f;
    // 0x80 is BER's indefinite length; more than 4 length bytes is absurd here.
    if (n == 0 || n > 4 || rest_.size() < pos + n) {
      return fail();
    }
    length = 0;
    for (size_t i = 0; i < n; ++i) {
      length = (length << 8) | static_cast<uint8_t>(rest_[pos++]);
    }
    // DER: the shortest form only.
    if (length < 0x80 || (n > 1 && (length >> (8 * (n - 1))) == 0)) {
      return fail();
    }
  }
  if (rest_.size() - pos < length) {
    return fail();
  }
  out->tag = tag;
  out->content = rest_.substr(pos, length);
  out->whole = start.substr(0, pos + length);
  rest_.remove_prefix(pos + length);
  return true;
}

std::optional<Tlv> ParseSingle(std::string_view data, uint8_t tag) {
  Reader r(data);
  Tlv t;
  if (!r.Expect(tag, &t) || !r.done()) {
    return std::nullopt;
  }
  return t;
}

std::optional<std::string> OidToText(std::string_view content) {
  if (content.empty()) {
    return std::nullopt;
  }
  std::vector<uint64_t> arcs;
  uint64_t value = 0;
  bool in_arc = false;
  for (const char ch : content) {
    const auto b = static_cast<uint8_t>(ch);
    if (!in_arc && b == 0x80) {
      return std::nullopt;  // non-minimal arc
    }
    if (value >> 56) {
      return std::nullopt;  // an arc beyond 64 bits
    }
    value = (value << 7) | (b & 0x7f);
    in_arc = (b & 0x80) != 0;
    if (!in_arc) {
      arcs.push_back(value);
      value = 0;
    }
  }
  if (in_arc) {
    return std::nullopt;
  }
  std::string text;
  const uint64_t first = arcs[0];
  if (first < 40) {
    text = "0." + std::to_string(first);
  } else if (first < 80) {
    text = "1." + std::to_string(first - 40);
  } else {
    text = "2." + std::to_string(first - 80);
  }
  for (size_t i = 1; i < arcs.size(); ++i) {
    text += "." + std::to_string(arcs[i]);
  }
  return text;
}

std::optional<std::string> OidFromText(std::string_view dotted) {
  std::vector<uint64_t> arcs;
  uint64_t value = 0;
  bool digits = false;
  for (size_t i = 0; i <= dotted.size(); ++i) {
    if (i == dotted.size() || dotted[i] == '.') {
      if (!digits) {
        return std::nullopt;
      }
      arcs.push_back(value);
      value = 0;
      digits = false;
    } else if (dotted[i] >= '0' && dotted[i] <= '9') {
      if (value > (UINT64_MAX - 9) / 10) {
        return std::nullopt;
      }
      value = value * 10 + static_cast<uint64_t>(dotted[i] - '0');
      digits = true;
    } else {
      return std::nullopt;
    }
  }
  if (arcs.size() < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] >= 40)) {
    return std::nullopt;
  }
  std::string out;
  const auto put = [&out](uint64_t v) {
    char buf[10];
    int n = 0;
    do {
      buf[n++] = static_cast<char>(v & 0x7f);
      v >>= 7;
    } while (v != 0);
    while (n > 0) {
      --n;
      out.push_back(static_cast<char>(buf[n] | (n > 0 ? 0x80 : 0)));
    }
  };
  put(arcs[0] * 40 + arcs[1]);
  for (size_t i = 2; i < arcs.size(); ++i) {
    put(arcs[i]);
  }
  return out;
}

std::string Encode(uint8_t tag, std::string_view content) {
  std::string out(1, static_cast<char>(tag));
  const size_t n = content.size();
  if (n < 0x80) {
    out.push_back(static_cast<char>(n));
  } else {
    std::string len;
    for (size_t v = n; v != 0; v >>= 8) {
      len.insert(len.begin(), static_cast<char>(v & 0xff));
    }
    out.push_back(static_cast<char>(0x80 | len.size()));
    out += len;
  }
  out += content;
  return out;
}

std::string Sequence(std::string_view content) { return Encode(kSequence, content); }

std::string Oid(std::string_view dotted) {
  return Encode(kOid, OidFromText(dotted).value_or(std::string()));
}

std::string Integer(uint64_t value) {
  std::string be;
  for (int i = 7; i >= 0; --i) {
    be.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  }
  return UnsignedInteger(be);
}

std::string UnsignedInteger(std::string_view big_endian) {
  while (!big_endian.empty() && big_endian[0] == 0) {
    big_endian.remove_prefix(1);
  }
  std::string content;
  if (big_endian.empty() || (static_cast<uint8_t>(big_endian[0]) & 0x80)) {
    content.push_back('\0');
  }
  content += big_endian;
  return Encode(kInteger, content);
}

std::string OctetString(std::string_view bytes) { return Encode(kOctetString, bytes); }

std::string BitString(std::string_view bytes) {
  std::string content(1, '\0');
  content += bytes;
  return Encode(kBitString, content);
}

std::string Time(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  const int year = tm.tm_year + 1900;
  char buf[32];
  if (year >= 1950 && year < 2050) {
    std::strftime(buf, sizeof buf, "%y%m%d%H%M%SZ", &tm);
    return Encode(kUtcTime, buf);
  }
  std::strftime(buf, sizeof buf, "%Y%m%d%H%M%SZ", &tm);
  return Encode(kGeneralizedTime, buf);
}

}  // namespace shepgw::pki::der
