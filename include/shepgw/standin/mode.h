// Fault-injection modes of the stand-in ShEP (shep-standin) and how a request selects one.
//
// A mode is chosen per request, first match wins: a requestInfo/properties entry with key
// STANDIN_MODE, then a serviceId suffix "~MODE" (e.g. "GBDFL~delay:250"), then the --mode default.
// See docs/standin.md for what each mode does on the wire. Plain values and pure functions:
// no ownership, thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace shepgw::standin {

enum class ModeKind {
  kOk,            // normal SendMessageResponse
  kDelay,         // sleep, then normal response
  kHttp500,       // HTTP 500, SOAP fault with SendMessageFault1_SendMessageFault (errorCode 999)
  kHttp500Plain,  // HTTP 500, text/plain body (not SOAP)
  kGarbage,       // HTTP 200, text/xml content type, non-XML bytes
  kClose,         // close the connection without answering
  kFault,         // HTTP 500, generic SOAP-ENV:Server fault without detail
};

struct Mode {
  ModeKind kind = ModeKind::kOk;
  std::chrono::milliseconds delay{0};  // kDelay only
};

inline constexpr std::string_view kModePropertyKey = "STANDIN_MODE";
inline constexpr char kServiceIdModeSeparator = '~';
// Upper bound for delay:<ms>, so a typo cannot park a connection thread for hours.
inline constexpr std::chrono::milliseconds kMaxDelay{120'000};

// "ok", "delay:<ms>", "http500", "http500-plain", "garbage", "close", "fault"; nullopt otherwise.
std::optional<Mode> ParseMode(std::string_view text);
// Inverse of ParseMode (for logs).
std::string ModeName(const Mode& mode);

// The mode spec a serviceId carries after its last '~', or empty if none.
std::string_view ServiceIdModeSuffix(std::string_view service_id);

}  // namespace shepgw::standin
