#include "common/log.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

namespace ledger::log {
namespace {

TEST(LogTest, JsonLineCarriesStandardKeysAndFields) {
  const auto line = render(Format::kJson, "gateway", Level::kWarn, "2026-12-03T00:00:00.000000Z",
                           "publish failed", {{"request_id", "r1"}, {"slot", "prod/\"api\""}});
  rapidjson::Document doc;
  doc.Parse(line.c_str());
  ASSERT_TRUE(doc.IsObject()) << line;
  EXPECT_STREQ(doc["level"].GetString(), "warn");
  EXPECT_STREQ(doc["service"].GetString(), "gateway");
  EXPECT_STREQ(doc["message"].GetString(), "publish failed");
  EXPECT_STREQ(doc["slot"].GetString(), "prod/\"api\"");
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(LogTest, TextLineIsReadable) {
  EXPECT_EQ(render(Format::kText, "recorder", Level::kInfo, "T", "started", {{"group", "g"}}),
            "T info [recorder] started group=g");
}

TEST(LogTest, RateLimiterHoldsBackRepeatsAndCountsThem) {
  RateLimiter limiter(2);
  std::int64_t suppressed = -1;
  EXPECT_TRUE(limiter.allow("db down", 0, &suppressed));
  EXPECT_EQ(suppressed, 0);
  EXPECT_TRUE(limiter.allow("db down", 10, &suppressed));
  EXPECT_FALSE(limiter.allow("db down", 20, &suppressed));
  EXPECT_FALSE(limiter.allow("db down", 30, &suppressed));
  EXPECT_TRUE(limiter.allow("other", 40, &suppressed)) << "each message has its own window";
  EXPECT_TRUE(limiter.allow("db down", 1'000'010, &suppressed));
  EXPECT_EQ(suppressed, 2) << "the next line reports what was held back";
}

TEST(LogTest, InitRejectsUnknownLevelAndFormat) {
  EXPECT_NE(init("x", "loud", "json"), "");
  EXPECT_NE(init("x", "info", "xml"), "");
}

}  // namespace
}  // namespace ledger::log
