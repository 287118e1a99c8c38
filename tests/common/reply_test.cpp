#include "common/reply.h"

#include <gtest/gtest.h>

namespace ledger {
namespace {

TEST(ReplyTest, RoundTripsBothOutcomes) {
  for (auto outcome : {Reply::Outcome::kRecorded, Reply::Outcome::kRejected}) {
    const Reply reply{"abc123", outcome, "{\"a\":\"line\\nbreak\"}\nsecond line"};
    const auto decoded = decodeReply(encodeReply(reply));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(decoded->correlation_id, "abc123");
    EXPECT_EQ(decoded->outcome, outcome);
    EXPECT_EQ(decoded->body, reply.body);
  }
}

TEST(ReplyTest, RejectsMalformedPayloads) {
  EXPECT_FALSE(decodeReply(""));
  EXPECT_FALSE(decodeReply("abc"));
  EXPECT_FALSE(decodeReply("\nrecorded\n{}"));
  EXPECT_FALSE(decodeReply("abc\nmaybe\n{}"));
  EXPECT_FALSE(decodeReply("abc\nrecorded"));
}

TEST(ReplyTest, AcceptsOnlyTheServicesChannelNames) {
  EXPECT_TRUE(isReplyChannel("ledger_reply_0a1b2c"));
  EXPECT_FALSE(isReplyChannel("ledger_reply_"));
  EXPECT_FALSE(isReplyChannel("other_channel"));
  EXPECT_FALSE(isReplyChannel("ledger_reply_UPPER"));
  EXPECT_FALSE(isReplyChannel("ledger_reply_a; drop table x"));
  EXPECT_FALSE(isReplyChannel("ledger_reply_" + std::string(41, 'a')));
}

}  // namespace
}  // namespace ledger
