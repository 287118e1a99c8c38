#include "common/record_id.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

namespace ledger {
namespace {

TEST(RecordIdTest, IsCanonicalVersionSevenWithRfcVariant) {
  const std::regex canonical(
      "^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  for (int i = 0; i < 100; ++i) {
    const auto id = timeOrderedUuid();
    EXPECT_TRUE(std::regex_match(id, canonical)) << id;
  }
}

TEST(RecordIdTest, CarriesItsMillisecondsInTheFirstFortyEightBits) {
  // 2026-12-04T00:00:00Z is 1796342400000 ms, 0x01a2_3e59_c400.
  const auto id = timeOrderedUuid(1796342400000);
  EXPECT_EQ(id.substr(0, 13), "01a23e59-c400");
}

TEST(RecordIdTest, LaterMillisecondsSortAfterEarlierOnes) {
  std::string previous = timeOrderedUuid(1796342400000);
  for (std::int64_t ms = 1796342400001; ms < 1796342400000 + 5000; ms += 7) {
    const auto id = timeOrderedUuid(ms);
    EXPECT_LT(previous, id) << "at " << ms;
    previous = id;
  }
}

TEST(RecordIdTest, IdsOfTheSameMillisecondDiffer) {
  std::set<std::string> ids;
  for (int i = 0; i < 10000; ++i) {
    ids.insert(timeOrderedUuid(1796342400000));
  }
  EXPECT_EQ(ids.size(), 10000u);
}

}  // namespace
}  // namespace ledger
