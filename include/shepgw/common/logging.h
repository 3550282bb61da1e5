// Logging setup (spdlog) and helpers shared by every module.
//
// Two loggers: "shepgw" for events and "access" for the one-line-per-request access log.
// Both write to stderr (journald collects it under systemd) in text or JSON-lines format.
// Messages must never contain passwords, private keys or message bodies.
// Thread-safe after SetupLogging(); call SetupLogging() from main before starting threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <spdlog/logger.h>

#include "shepgw/common/status.h"

namespace shepgw {

enum class LogFormat { kText, kJson };

// level: trace|debug|info|warn|error|critical|off. Safe to call again on reload.
Status SetupLogging(std::string_view level, LogFormat format);
LogFormat CurrentLogFormat();

// The event logger and the access logger (never null; usable before SetupLogging).
spdlog::logger& Log();
spdlog::logger& AccessLog();

// Appends s to out escaped for a JSON string (without quotes). Invalid UTF-8 bytes become
// U+FFFD so a hostile value can never break a JSON log line.
void AppendJsonEscaped(std::string& out, std::string_view s);
std::string JsonEscape(std::string_view s);
// For text logs: control characters replaced, length capped (log-injection safe).
std::string SanitizeForLog(std::string_view s, size_t max_len = 200);

}  // namespace shepgw
