#include "common/trace_context.h"

#include <gtest/gtest.h>

namespace ledger {
namespace {

constexpr std::string_view kValid = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

TEST(TraceContextTest, ParsesAValidTraceparent) {
  const auto context = parseTraceparent(kValid);
  ASSERT_TRUE(context.has_value());
  EXPECT_EQ(context->trace_id, "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(context->span_id, "b7ad6b7169203331");
  EXPECT_EQ(context->flags, "01");
  EXPECT_EQ(context->traceparent(), kValid);
}

TEST(TraceContextTest, RejectsMalformedTraceparents) {
  for (const std::string bad : {"", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",
                                "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                                "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
                                "00-00000000000000000000000000000000-b7ad6b7169203331-01",
                                "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
                                "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0g",
                                "00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}) {
    EXPECT_FALSE(parseTraceparent(bad).has_value()) << bad;
  }
}

TEST(TraceContextTest, ContinuingKeepsTheTraceWithANewSpan) {
  const auto parent = parseTraceparent(kValid);
  const auto child = continueTrace(parent);
  EXPECT_EQ(child.trace_id, parent->trace_id);
  EXPECT_NE(child.span_id, parent->span_id);
  EXPECT_TRUE(parseTraceparent(child.traceparent()).has_value());
}

TEST(TraceContextTest, StartsANewValidTraceWithoutParent) {
  const auto first = continueTrace(std::nullopt);
  const auto second = continueTrace(std::nullopt);
  EXPECT_TRUE(parseTraceparent(first.traceparent()).has_value());
  EXPECT_NE(first.trace_id, second.trace_id);
}

}  // namespace
}  // namespace ledger
