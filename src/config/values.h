// Parsers for the value syntaxes of the configuration file (durations, sizes, integers,
// URLs, IP literals). Pure string functions, independent of YAML, so the rules live in one
// place and docs/configuration.md can describe them exactly.
//
// Each parser returns an empty string on success and a message (without key path or line)
// on failure; the caller attaches the location.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "shepgw/config/config.h"

namespace shepgw::config::internal {

// "<digits><unit>", unit one of ms, s, m, h, d (24 h). No sign, no fraction, no spaces, and no bare
// integers: "30" would be ambiguous between seconds and milliseconds.
std::string ParseDuration(std::string_view text, Millis* out);
// "<digits>[unit]", unit one of B, KB, MB, GB (powers of 1000), KiB, MiB, GiB (powers of
// 1024); no unit means bytes.
std::string ParseSize(std::string_view text, uint64_t* out);
// Optional '-', then decimal digits. No '+', hex, exponent or separators.
std::string ParseInteger(std::string_view text, int64_t* out);
// http:// or https:// URL: host (DNS name, IPv4 or [IPv6]), optional port 1-65535,
// optional path starting with '/'. No credentials, fragment, spaces or control characters.
std::string ValidateUpstreamUrl(std::string_view url);
// IPv4 or IPv6 literal (no brackets, no zone id).
bool IsIpLiteral(std::string_view text);
// A SHA-256 certificate fingerprint: 64 hex digits, either plain or as 32 ':'-separated pairs
// (the way `openssl x509 -fingerprint` prints it), any case. *out gets 64 lowercase hex digits.
std::string NormalizeFingerprint(std::string_view text, std::string* out);

// A value or key as it may be echoed in an error message: control characters escaped as
// \xNN (the message goes to a terminal or a log line) and cut after 80 bytes (a pasted
// certificate must not flood the output). Quote() adds single quotes around it.
std::string Printable(std::string_view s);
std::string Quote(std::string_view s);

// Shortest exact rendering: 1500ms, 30s, 5m, 1h.
std::string FormatDuration(Millis d);
// Largest exact binary unit: 16MiB, 512KiB, 1000B.
std::string FormatSize(uint64_t bytes);

// Optimal-string-alignment distance (a transposition counts as one edit), for
// "did you mean" suggestions.
int EditDistance(std::string_view a, std::string_view b);

}  // namespace shepgw::config::internal
