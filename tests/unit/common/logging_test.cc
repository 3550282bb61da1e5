#include "shepgw/common/logging.h"

#include <gtest/gtest.h>

namespace shepgw {
namespace {

TEST(JsonEscapeTest, EscapesQuotesControlAndBackslash) {
  EXPECT_EQ(JsonEscape("a\"b\\c\nd\x01"), "a\\\"b\\\\c\\nd\\u0001");
}

TEST(JsonEscapeTest, KeepsValidUtf8AndReplacesInvalid) {
  EXPECT_EQ(JsonEscape("Қазақ"), "Қазақ");
  EXPECT_EQ(JsonEscape("a\xff"
                       "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(JsonEscape("\xC3"), "\xEF\xBF\xBD");  // truncated sequence
}

TEST(SanitizeForLogTest, ReplacesControlCharactersAndCaps) {
  EXPECT_EQ(SanitizeForLog("a\r\nb"), "a??b");
  EXPECT_EQ(SanitizeForLog(std::string(300, 'x'), 10), "xxxxxxxxxx...");
}

TEST(SetupLoggingTest, RejectsUnknownLevel) {
  EXPECT_FALSE(SetupLogging("loud", LogFormat::kText).ok());
  EXPECT_TRUE(SetupLogging("info", LogFormat::kJson).ok());
  EXPECT_EQ(CurrentLogFormat(), LogFormat::kJson);
  EXPECT_TRUE(SetupLogging("off", LogFormat::kText).ok());
}

}  // namespace
}  // namespace shepgw
