#include "shepgw/standin/mode.h"

#include <charconv>

namespace shepgw::standin {

std::optional<Mode> ParseMode(std::string_view text) {
  if (text == "ok") {
    return Mode{};
  }
  if (text == "http500") {
    return Mode{ModeKind::kHttp500, {}};
  }
  if (text == "http500-plain") {
    return Mode{ModeKind::kHttp500Plain, {}};
  }
  if (text == "garbage") {
    return Mode{ModeKind::kGarbage, {}};
  }
  if (text == "close") {
    return Mode{ModeKind::kClose, {}};
  }
  if (text == "fault") {
    return Mode{ModeKind::kFault, {}};
  }
  constexpr std::string_view kDelayPrefix = "delay:";
  if (text.starts_with(kDelayPrefix)) {
    std::string_view digits = text.substr(kDelayPrefix.size());
    long long ms = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), ms);
    if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty() || ms < 0 ||
        ms > kMaxDelay.count()) {
      return std::nullopt;
    }
    return Mode{ModeKind::kDelay, std::chrono::milliseconds(ms)};
  }
  return std::nullopt;
}

std::string ModeName(const Mode& mode) {
  switch (mode.kind) {
    case ModeKind::kOk:
      return "ok";
    case ModeKind::kDelay:
      return "delay:" + std::to_string(mode.delay.count());
    case ModeKind::kHttp500:
      return "http500";
    case ModeKind::kHttp500Plain:
      return "http500-plain";
    case ModeKind::kGarbage:
      return "garbage";
    case ModeKind::kClose:
      return "close";
    case ModeKind::kFault:
      return "fault";
  }
  return "?";
}

std::string_view ServiceIdModeSuffix(std::string_view service_id) {
  size_t pos = service_id.rfind(kServiceIdModeSeparator);
  if (pos == std::string_view::npos) {
    return {};
  }
  return service_id.substr(pos + 1);
}

}  // namespace shepgw::standin
