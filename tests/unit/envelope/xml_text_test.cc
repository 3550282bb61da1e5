// The module's text helpers: XML escaping with UTF-8/Char validation, detail sanitising.
#include "envelope/xml_text.h"

#include <string>

#include <gtest/gtest.h>

namespace shepgw::envelope::internal {
namespace {

std::string Escaped(std::string_view s, size_t max = SIZE_MAX) {
  std::string out;
  AppendXmlEscaped(out, s, max);
  return out;
}

TEST(XmlTextTest, EscapesMarkup) {
  EXPECT_EQ(Escaped("<a href=\"x\">&amp;</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;amp;&lt;/a&gt;");
  EXPECT_EQ(Escaped("l1\r\nl2\t"), "l1&#13;\nl2\t");
  EXPECT_EQ(Escaped("it's"), "it's");
}

TEST(XmlTextTest, ReplacesWhatXmlCannotCarry) {
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(Escaped(std::string("a\0b", 3)), "a" + r + "b");
  EXPECT_EQ(Escaped("\x01\x1F\x7F"), r + r + "\x7F");     // DEL is a valid XML Char
  EXPECT_EQ(Escaped("\xC0\xAF"), r + r);                  // overlong "/"
  EXPECT_EQ(Escaped("\xE0\x80\xAF"), r + r + r);          // overlong, 3 bytes
  EXPECT_EQ(Escaped("\xED\xA0\x80"), r + r + r);          // surrogate U+D800
  EXPECT_EQ(Escaped("\xEF\xBF\xBE"), r + r + r);          // U+FFFE
  EXPECT_EQ(Escaped("\xF4\x90\x80\x80"), r + r + r + r);  // > U+10FFFF
  EXPECT_EQ(Escaped("\xD0"), r);                          // truncated sequence
  EXPECT_EQ(Escaped("Ж\xF0\x9F\x99\x82"), "Ж\xF0\x9F\x99\x82");
}

TEST(XmlTextTest, CapsOnCharacterBoundary) {
  EXPECT_EQ(Escaped("abcdef", 3), "abc...");
  EXPECT_EQ(Escaped("ЖЖЖ", 3), "Ж...");  // never half a character
}

TEST(XmlTextTest, SanitizeDetail) {
  EXPECT_EQ(SanitizeDetail("Opening and ending tag mismatch:\n a line 1", 200),
            "Opening and ending tag mismatch: a line 1");
  EXPECT_EQ(SanitizeDetail("x\x01\xFFy", 200), "x??y");
  EXPECT_EQ(SanitizeDetail(std::string(500, 'a'), 10), "aaaaaaaaaa...");
}

TEST(XmlTextTest, Trim) {
  EXPECT_EQ(TrimXmlSpace(" \t\r\n x y \n"), "x y");
  EXPECT_EQ(TrimXmlSpace("   "), "");
  EXPECT_EQ(TrimXmlSpace("\xC2\xA0x"), "\xC2\xA0x");  // NBSP is not XML white space
}

}  // namespace
}  // namespace shepgw::envelope::internal
