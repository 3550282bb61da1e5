#include "shepgw/common/logging.h"

#include <atomic>
#include <mutex>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace shepgw {
namespace {

std::atomic<LogFormat> g_format{LogFormat::kText};

// %* : the message payload, JSON-escaped (so JSON lines stay valid whatever is logged).
class JsonPayloadFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm& /*tm*/,
              spdlog::memory_buf_t& dest) override {
    std::string escaped;
    AppendJsonEscaped(escaped, std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(escaped.data(), escaped.data() + escaped.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonPayloadFlag>();
  }
};

std::shared_ptr<spdlog::logger> MakeLogger(const std::string& name) {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  return std::make_shared<spdlog::logger>(name, std::move(sink));
}

struct Loggers {
  std::shared_ptr<spdlog::logger> events = MakeLogger("shepgw");
  std::shared_ptr<spdlog::logger> access = MakeLogger("access");
};

Loggers& Instance() {
  static Loggers loggers;
  return loggers;
}

void ApplyFormat(spdlog::logger& logger, LogFormat format, bool access) {
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  if (format == LogFormat::kJson) {
    formatter->add_flag<JsonPayloadFlag>('*');
    // Access lines already are JSON objects (built by the pipeline): emit them as is.
    formatter->set_pattern(access ? "%v"
                                  : R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","msg":"%*"})");
  } else {
    formatter->set_pattern(access ? "%Y-%m-%dT%H:%M:%S.%e%z access %v"
                                  : "%Y-%m-%dT%H:%M:%S.%e%z %l %v");
  }
  logger.set_formatter(std::move(formatter));
}

}  // namespace

Status SetupLogging(std::string_view level, LogFormat format) {
  const auto lvl = spdlog::level::from_str(std::string(level));
  if (lvl == spdlog::level::off && level != "off") {
    return {ErrorCode::kGatewayInternal, "unknown log level '" + std::string(level) + "'"};
  }
  auto& loggers = Instance();
  ApplyFormat(*loggers.events, format, false);
  ApplyFormat(*loggers.access, format, true);
  loggers.events->set_level(lvl);
  loggers.events->flush_on(spdlog::level::warn);
  loggers.access->set_level(spdlog::level::info);
  g_format = format;
  return Status::Ok();
}

LogFormat CurrentLogFormat() { return g_format.load(); }

spdlog::logger& Log() { return *Instance().events; }
spdlog::logger& AccessLog() { return *Instance().access; }

void AppendJsonEscaped(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          if (c < 0x20 || c == 0x7f) {
            out += "\\u00";
            out += kHex[c >> 4];
            out += kHex[c & 0xf];
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    // Validate one UTF-8 sequence; copy it or replace it with U+FFFD.
    size_t len = 0;
    if ((c & 0xE0) == 0xC0 && c >= 0xC2) {
      len = 2;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
    } else if ((c & 0xF8) == 0xF0 && c <= 0xF4) {
      len = 4;
    }
    bool valid = len != 0 && i + len <= s.size();
    for (size_t k = 1; valid && k < len; ++k) {
      valid = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    }
    if (valid) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
}

std::string JsonEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  AppendJsonEscaped(out, s);
  return out;
}

std::string SanitizeForLog(std::string_view s, size_t max_len) {
  std::string out;
  const size_t n = std::min(s.size(), max_len);
  out.reserve(n + 3);
  for (size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  }
  if (s.size() > max_len) {
    out += "...";
  }
  return out;
}

}  // namespace shepgw
