// Internal to the pki module: a minimal strict DER reader and writer for the structures the GOST
// code handles itself (certificates, CRLs, SPKI, PKCS#8 with the Kazakh OIDs, which OpenSSL
// cannot turn into keys). Only low tag numbers (< 31) and definite, minimal lengths: what DER
// allows for these structures; anything else is refused, never guessed at.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shepgw::pki::der {

inline constexpr uint8_t kInteger = 0x02;
inline constexpr uint8_t kBitString = 0x03;
inline constexpr uint8_t kOctetString = 0x04;
inline constexpr uint8_t kNull = 0x05;
inline constexpr uint8_t kOid = 0x06;
inline constexpr uint8_t kUtf8String = 0x0c;
inline constexpr uint8_t kUtcTime = 0x17;
inline constexpr uint8_t kGeneralizedTime = 0x18;
inline constexpr uint8_t kSequence = 0x30;
inline constexpr uint8_t kSet = 0x31;
inline constexpr uint8_t ContextCons(int n) { return static_cast<uint8_t>(0xa0 | n); }

struct Tlv {
  uint8_t tag = 0;
  std::string_view content;  // the value bytes
  std::string_view whole;    // tag + length + value, as encoded
};

// Reads consecutive TLVs from a buffer. After a failure every call fails.
class Reader {
 public:
  explicit Reader(std::string_view data) : rest_(data) {}
  // The next TLV; false at the end or on a malformed encoding (then failed() is true).
  bool Next(Tlv* out);
  // The next TLV, which must have `tag`.
  bool Expect(uint8_t tag, Tlv* out) { return Next(out) && out->tag == tag; }
  // True when the next TLV has `tag` (does not consume it).
  bool PeekTag(uint8_t tag) const {
    return !failed_ && !rest_.empty() && static_cast<uint8_t>(rest_[0]) == tag;
  }
  bool done() const { return !failed_ && rest_.empty(); }
  bool failed() const { return failed_; }

 private:
  std::string_view rest_;
  bool failed_ = false;
};

// The one TLV that makes up all of `data` (no trailing bytes), or nullopt.
std::optional<Tlv> ParseSingle(std::string_view data, uint8_t tag);

// OID content bytes ↔ dotted text. Decoding refuses non-minimal arcs; encoding refuses
// malformed text.
std::optional<std::string> OidToText(std::string_view content);
std::optional<std::string> OidFromText(std::string_view dotted);

// Writing.
std::string Encode(uint8_t tag, std::string_view content);
std::string Sequence(std::string_view content);
std::string Oid(std::string_view dotted);  // REQUIRES: well-formed dotted text
std::string Integer(uint64_t value);
// A non-negative INTEGER from big-endian magnitude bytes (leading zeros dropped, 00 added when
// the top bit is set).
std::string UnsignedInteger(std::string_view big_endian);
std::string OctetString(std::string_view bytes);
std::string BitString(std::string_view bytes);  // no unused bits
// UTCTime for 1950-2049, GeneralizedTime otherwise (RFC 5280 § 4.1.2.5), whole seconds.
std::string Time(std::chrono::system_clock::time_point t);

}  // namespace shepgw::pki::der
