// Text helpers shared by the envelope module: UTF-8 validation against the XML 1.0 Char
// production, escaping for element content, and sanitising libxml2 messages for faults/logs.
// Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace shepgw::envelope::internal {

// Appends `s` escaped for XML element content or a double-quoted attribute value. Any byte
// sequence that is not valid UTF-8 or not an XML 1.0 Char (C0 controls other than TAB/LF/CR,
// surrogates, U+FFFE/U+FFFF) becomes U+FFFD, so the output is always well-formed whatever the
// caller passes in. CR is written as "&#13;" so it survives a parse (XML would fold it to LF).
// At most `max_bytes` input bytes are consumed (cut on a character boundary, "..." appended).
void AppendXmlEscaped(std::string& out, std::string_view s, size_t max_bytes = SIZE_MAX);

// A short, printable rendition of `s` for an error message: invalid UTF-8 and control
// characters become '?', runs of whitespace collapse to one space, at most `max_bytes` bytes
// are kept (cut on a character boundary, "..." appended). Used for libxml2 messages, which may
// quote names from the (hostile) input.
std::string SanitizeDetail(std::string_view s, size_t max_bytes);

// Length in bytes of the valid UTF-8 sequence at s[i] encoding an XML 1.0 Char, or 0.
size_t XmlCharLength(std::string_view s, size_t i);

// XML's white space: space, TAB, LF, CR (not Unicode's broader set).
constexpr bool IsXmlSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view TrimXmlSpace(std::string_view s);

}  // namespace shepgw::envelope::internal
