#include "common/timestamp.h"

#include <gtest/gtest.h>

namespace ledger {
namespace {

TEST(TimestampTest, FormatsTheEpoch) { EXPECT_EQ(formatRfc3339(0), "1970-01-01T00:00:00.000000Z"); }

TEST(TimestampTest, KeepsEveryMicrosecond) {
  // 2026-12-03T18:40:00Z is 1796323200 s.
  EXPECT_EQ(formatRfc3339(1796323200'000000 + 123456), "2026-12-03T18:40:00.123456Z");
  EXPECT_EQ(formatRfc3339(1796323200'000000 + 7), "2026-12-03T18:40:00.000007Z");
}

TEST(TimestampTest, FormatsLeapDaysAndTheLastMicrosecondOfAYear) {
  // 2024-02-29T12:00:00Z is 1709208000 s; 2024-12-31T23:59:59Z is 1735689599 s.
  EXPECT_EQ(formatRfc3339(1709208000'000000), "2024-02-29T12:00:00.000000Z");
  EXPECT_EQ(formatRfc3339(1735689599'999999), "2024-12-31T23:59:59.999999Z");
}

TEST(TimestampTest, FormatsTimesBeforeTheEpoch) {
  EXPECT_EQ(formatRfc3339(-1), "1969-12-31T23:59:59.999999Z");
}

}  // namespace
}  // namespace ledger
