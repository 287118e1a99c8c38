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

TEST(LogTest, InitRejectsUnknownLevelAndFormat) {
  EXPECT_NE(init("x", "loud", "json"), "");
  EXPECT_NE(init("x", "info", "xml"), "");
}

}  // namespace
}  // namespace ledger::log
