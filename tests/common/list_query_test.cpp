#include "common/list_query.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

namespace ledger {
namespace {

TEST(ListQueryTest, EmptyQueryMeansFirstDefaultPage) {
  const auto result = decodeListQuery("");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.query.page, 0);
  EXPECT_EQ(result.query.page_size, kDefaultPageSize);
  EXPECT_FALSE(result.query.environment_name.has_value());
}

TEST(ListQueryTest, DecodesEveryFilterAndPercentEncoding) {
  const auto result = decodeListQuery(
      "environment_name=prod&logical_environment_name=blue&deployment_name=api&status=DEPLOYED"
      "&kind=HELM_CHART&artifact_digest=sha256%3A" +
      std::string(64, 'a') + "&pagination.page=3&pagination.page_size=20");
  ASSERT_TRUE(result.ok()) << result.violations.front().toString();
  EXPECT_EQ(result.query.environment_name, "prod");
  EXPECT_EQ(result.query.logical_environment_name, "blue");
  EXPECT_EQ(result.query.deployment_name, "api");
  EXPECT_EQ(result.query.status, DeploymentStatus::kDeployed);
  EXPECT_EQ(result.query.kind, ArtifactKind::kHelmChart);
  EXPECT_EQ(result.query.artifact_digest, "sha256:" + std::string(64, 'a'));
  EXPECT_EQ(result.query.page, 3);
  EXPECT_EQ(result.query.page_size, 20);
}

TEST(ListQueryTest, CapsOversizedPageAndDefaultsZero) {
  EXPECT_EQ(decodeListQuery("pagination.page_size=100000").query.page_size, kMaxPageSize);
  EXPECT_EQ(decodeListQuery("pagination.page_size=0").query.page_size, kDefaultPageSize);
}

TEST(ListQueryTest, NamesEachBadParameter) {
  const auto result = decodeListQuery(
      "environment_name=Prod&status=RUNNING&pagination.page=-1&pagination.page_size=x&colour=red"
      "&deployment_name=a&deployment_name=b&kind=%ZZ");
  std::vector<std::string> names;
  for (const auto& v : result.violations) {
    names.push_back(v.field);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"environment_name", "status", "pagination.page",
                                             "pagination.page_size", "colour", "deployment_name",
                                             "query"}));
}

TEST(ListQueryTest, RecognisesRecordIds) {
  EXPECT_TRUE(isRecordId("0b7e6a52-3c41-4a8e-9d0f-2f1e5c6b7a80"));
  EXPECT_FALSE(isRecordId("0B7E6A52-3C41-4A8E-9D0F-2F1E5C6B7A80"));
  EXPECT_FALSE(isRecordId("0b7e6a52-3c41-4a8e-9d0f-2f1e5c6b7a8"));
  EXPECT_FALSE(isRecordId("0b7e6a52x3c41-4a8e-9d0f-2f1e5c6b7a80"));
  EXPECT_FALSE(isRecordId("'; drop table x; --"));
}

TEST(ListQueryTest, EncodesPaginationWithRoundedUpPageCount) {
  ListPage page;
  page.total_count = 101;
  page.records.resize(2);
  ListQuery query;
  query.page = 1;
  query.page_size = 50;
  rapidjson::Document doc;
  doc.Parse(encodeListResponse(page, query).c_str());
  EXPECT_EQ(doc["deployment_records"].Size(), 2u);
  EXPECT_EQ(doc["pagination"]["total_count"].GetInt(), 101);
  EXPECT_EQ(doc["pagination"]["total_pages"].GetInt(), 3);
  EXPECT_EQ(doc["pagination"]["page"].GetInt(), 1);
  EXPECT_EQ(doc["pagination"]["page_size"].GetInt(), 50);
}

}  // namespace
}  // namespace ledger
