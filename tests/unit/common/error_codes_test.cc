#include "shepgw/common/error_codes.h"

#include <set>
#include <string>

#include <gtest/gtest.h>

#include "shepgw/common/status.h"

namespace shepgw {
namespace {

TEST(ErrorCodesTest, TableRowsAreInEnumOrder) {
  const auto rows = AllErrorDescriptions();
  ASSERT_EQ(rows.size(), static_cast<size_t>(ErrorCode::kCount_));
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(static_cast<size_t>(rows[i].code), i) << rows[i].token;
  }
}

TEST(ErrorCodesTest, TokensAreUniqueAndDotted) {
  std::set<std::string_view> seen;
  for (const auto& row : AllErrorDescriptions()) {
    EXPECT_TRUE(seen.insert(row.token).second) << "duplicate token " << row.token;
    if (row.code != ErrorCode::kOk) {
      EXPECT_NE(row.token.find('.'), std::string_view::npos) << row.token;
      EXPECT_FALSE(row.fault_string.empty()) << row.token;
    }
  }
}

TEST(ErrorCodesTest, HttpStatusFollowsTheErrorModel) {
  for (const auto& row : AllErrorDescriptions()) {
    if (row.code == ErrorCode::kOk) {
      continue;
    }
    EXPECT_GE(row.http_status, 400) << row.token;
    EXPECT_LT(row.http_status, 600) << row.token;
    // 503 and only 503 carries Retry-After.
    EXPECT_EQ(row.retry_after, row.http_status == 503) << row.token;
    // Client faults are 4xx, server faults 5xx.
    if (row.fault_code == FaultCode::kServer) {
      EXPECT_GE(row.http_status, 500) << row.token;
    } else {
      EXPECT_LT(row.http_status, 500) << row.token;
    }
  }
}

// The contract with callers: these rows are documented in docs/errors.md and must not change.
TEST(ErrorCodesTest, StableRows) {
  struct Row {
    ErrorCode code;
    const char* token;
    int http;
  };
  const Row rows[] = {
      {ErrorCode::kEnvelopeMalformedXml, "envelope.malformed_xml", 400},
      {ErrorCode::kHttpBodyTooLarge, "http.body_too_large", 413},
      {ErrorCode::kEnvelopeSoap12, "envelope.soap12_not_supported", 400},
      {ErrorCode::kRoutingUnknownService, "routing.unknown_service", 404},
      {ErrorCode::kUpstreamUnreachable, "upstream.unreachable", 502},
      {ErrorCode::kUpstreamTimeout, "upstream.timeout", 504},
      {ErrorCode::kGatewayOverloaded, "gateway.overloaded", 503},
  };
  for (const auto& row : rows) {
    EXPECT_EQ(Describe(row.code).token, row.token);
    EXPECT_EQ(Describe(row.code).http_status, row.http);
  }
  EXPECT_EQ(FaultCodeQName(Describe(ErrorCode::kEnvelopeSoap12).fault_code),
            "soap:VersionMismatch");
}

TEST(StatusTest, OkAndError) {
  EXPECT_TRUE(Status().ok());
  Status s(ErrorCode::kEnvelopeMissingField, "requestInfo/messageId is missing");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.token(), "envelope.missing_field");
  EXPECT_EQ(s.ToString(), "envelope.missing_field: requestInfo/messageId is missing");
}

TEST(ResultTest, ValueOrStatus) {
  Result<int> good(42);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 42);
  Result<int> bad(ErrorCode::kGatewayInternal, "boom");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kGatewayInternal);
}

}  // namespace
}  // namespace shepgw

#include <fstream>
#include <sstream>

namespace shepgw {
namespace {

// docs/errors.md is the callers' reference: every token must be documented there, with its
// HTTP status on the same table row.
TEST(ErrorCodesTest, EveryTokenIsDocumentedWithItsStatus) {
  std::ifstream in(SHEPGW_SOURCE_DIR "/docs/errors.md");
  ASSERT_TRUE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  for (const auto& row : AllErrorDescriptions()) {
    if (row.code == ErrorCode::kOk) {
      continue;
    }
    const std::string cell = "| `" + std::string(row.token) + "` | " +
                             std::to_string(row.http_status) + " | " +
                             std::string(FaultCodeQName(row.fault_code)) + " |";
    EXPECT_NE(doc.find(cell), std::string::npos) << "docs/errors.md lacks the row: " << cell;
  }
}

}  // namespace
}  // namespace shepgw
