// The read side: GET /v1/deployments and GET /v1/deployments/{id} against real processes.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <pqxx/pqxx>
#include <set>

#include "common/list_query.h"
#include "services/gateway/record_reader.h"
#include "tests/support/ledger_stack.h"

namespace ledger::testing {
namespace {

class ReadDeploymentsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { stack_ = new LedgerStack(); }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }
  void SetUp() override { env_ = "env-" + uniqueSuffix(); }

  static rapidjson::Document parse(const std::string& body) {
    rapidjson::Document doc;
    doc.Parse(body.c_str());
    return doc;
  }

  HttpResult get(const std::string& target, const std::string& organization = "dev",
                 const std::string& scope = "deployments:read") {
    return httpRequest(stack_->port(), "GET", target, "",
                       {{"authorization", "Bearer " + stack_->token(organization, scope)}});
  }

  // Records a deployment and returns the new record's id.
  std::string record(const std::string& deployment, const std::string& digest,
                     const std::map<std::string, std::string>& extra = {},
                     const std::string& environment = "") {
    const auto result = stack_->post(
        requestBody(environment.empty() ? env_ : environment, deployment, digest, extra));
    EXPECT_EQ(result.status, 200) << result.body;
    return parse(result.body)["deployment_record"]["id"].GetString();
  }

  // Ids and statuses of a listing, in the order returned.
  std::vector<std::pair<std::string, std::string>> listing(const std::string& query) {
    const auto result = get("/v1/deployments?" + query);
    EXPECT_EQ(result.status, 200) << result.body;
    const auto doc = parse(result.body);
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& record : doc["deployment_records"].GetArray()) {
      out.emplace_back(record["id"].GetString(), record["status"].GetString());
    }
    return out;
  }

  static LedgerStack* stack_;
  std::string env_;
};

LedgerStack* ReadDeploymentsTest::stack_ = nullptr;

TEST_F(ReadDeploymentsTest, ListShowsWhatPostAnsweredRightAfterIt) {
  const auto result = stack_->post(requestBody(env_, "api", digestOf(env_)));
  ASSERT_EQ(result.status, 200);
  const auto written = parse(result.body);
  const auto listed = get("/v1/deployments?environment_name=" + env_ + "&deployment_name=api");
  ASSERT_EQ(listed.status, 200);
  const auto doc = parse(listed.body);
  ASSERT_EQ(doc["deployment_records"].Size(), 1u);
  rapidjson::StringBuffer a, b;
  rapidjson::Writer<rapidjson::StringBuffer> wa(a), wb(b);
  written["deployment_record"].Accept(wa);
  doc["deployment_records"][0].Accept(wb);
  EXPECT_STREQ(a.GetString(), b.GetString()) << "the listing shows the record as answered";
  EXPECT_EQ(doc["pagination"]["total_count"].GetInt(), 1);
  EXPECT_EQ(doc["pagination"]["total_pages"].GetInt(), 1);
  EXPECT_EQ(doc["pagination"]["page"].GetInt(), 0);
  EXPECT_EQ(doc["pagination"]["page_size"].GetInt(), kDefaultPageSize);
}

TEST_F(ReadDeploymentsTest, SlotHistoryListsEveryRecordNewestFirst) {
  const auto a1 = record("api", digestOf(env_ + "a"));
  const auto b = record("api", digestOf(env_ + "b"));
  const auto a2 = record("api", digestOf(env_ + "a"));  // a rollback: a new record
  record("api", digestOf(env_ + "a"), {{"status", "DECOMMISSIONED"}});
  const auto history = listing("environment_name=" + env_ + "&deployment_name=api");
  EXPECT_EQ(history, (std::vector<std::pair<std::string, std::string>>{
                         {a2, "DECOMMISSIONED"}, {b, "SUPERSEDED"}, {a1, "SUPERSEDED"}}));
}

TEST_F(ReadDeploymentsTest, CurrentStateOfEnvironmentIsItsDeployedRecords) {
  record("api", digestOf(env_ + "1"));
  const auto api = record("api", digestOf(env_ + "2"));
  const auto web = record("web", digestOf(env_ + "3"));
  record("old", digestOf(env_ + "4"), {{"status", "DECOMMISSIONED"}});
  const auto current = listing("environment_name=" + env_ + "&status=DEPLOYED");
  EXPECT_EQ(current, (std::vector<std::pair<std::string, std::string>>{{web, "DEPLOYED"},
                                                                       {api, "DEPLOYED"}}));
}

TEST_F(ReadDeploymentsTest, EachFilterNarrowsTheListing) {
  const auto image = record("api", digestOf(env_ + "i"),
                            {{"kind", "CONTAINER_IMAGE"}, {"logical_environment_name", "blue"}});
  const auto chart = record("chart", digestOf(env_ + "c"), {{"kind", "HELM_CHART"}});
  const auto base = "environment_name=" + env_;
  EXPECT_EQ(listing(base + "&kind=HELM_CHART"),
            (std::vector<std::pair<std::string, std::string>>{{chart, "DEPLOYED"}}));
  EXPECT_EQ(listing(base + "&logical_environment_name=blue"),
            (std::vector<std::pair<std::string, std::string>>{{image, "DEPLOYED"}}));
  EXPECT_EQ(listing(base + "&deployment_name=chart"),
            (std::vector<std::pair<std::string, std::string>>{{chart, "DEPLOYED"}}));
  EXPECT_EQ(listing("artifact_digest=" + digestOf(env_ + "i")),
            (std::vector<std::pair<std::string, std::string>>{{image, "DEPLOYED"}}));
  EXPECT_EQ(listing(base + "&kind=CONTAINER_IMAGE&logical_environment_name=blue&status=DEPLOYED"),
            (std::vector<std::pair<std::string, std::string>>{{image, "DEPLOYED"}}));
  EXPECT_TRUE(listing(base + "&kind=HELM_CHART&logical_environment_name=blue").empty());
  EXPECT_TRUE(listing(base + "&status=SUPERSEDED").empty());
  EXPECT_TRUE(listing("environment_name=no-such-env-" + uniqueSuffix()).empty());
}

TEST_F(ReadDeploymentsTest, PagingEdges) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.insert(ids.begin(), record("svc-" + std::to_string(i), digestOf(env_)));
  }
  const auto base = "/v1/deployments?environment_name=" + env_;
  auto doc = parse(get(base + "&pagination.page_size=2").body);
  EXPECT_EQ(doc["deployment_records"].Size(), 2u);
  EXPECT_STREQ(doc["deployment_records"][0]["id"].GetString(), ids[0].c_str());
  EXPECT_EQ(doc["pagination"]["total_count"].GetInt(), 5);
  EXPECT_EQ(doc["pagination"]["total_pages"].GetInt(), 3);

  doc = parse(get(base + "&pagination.page_size=2&pagination.page=2").body);  // last page
  ASSERT_EQ(doc["deployment_records"].Size(), 1u);
  EXPECT_STREQ(doc["deployment_records"][0]["id"].GetString(), ids[4].c_str());

  doc = parse(get(base + "&pagination.page_size=2&pagination.page=9").body);  // past the end
  EXPECT_EQ(doc["deployment_records"].Size(), 0u);
  EXPECT_EQ(doc["pagination"]["total_count"].GetInt(), 5);
  EXPECT_EQ(doc["pagination"]["page"].GetInt(), 9);

  doc = parse(get(base + "&pagination.page_size=100000").body);  // capped
  EXPECT_EQ(doc["pagination"]["page_size"].GetInt(), kMaxPageSize);
  EXPECT_EQ(doc["deployment_records"].Size(), 5u);

  doc = parse(get("/v1/deployments?environment_name=empty-" + uniqueSuffix()).body);  // empty
  EXPECT_EQ(doc["deployment_records"].Size(), 0u);
  EXPECT_EQ(doc["pagination"]["total_count"].GetInt(), 0);
  EXPECT_EQ(doc["pagination"]["total_pages"].GetInt(), 0);
}

TEST_F(ReadDeploymentsTest, BadParametersAre400NamingThem) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"environment_name=Prod", "environment_name"},
      {"status=RUNNING", "status"},
      {"kind=ZIP", "kind"},
      {"pagination.page=-1", "pagination.page"},
      {"pagination.page_size=ten", "pagination.page_size"},
      {"artifact_digest=sha256:abc", "artifact_digest"},
      {"colour=blue", "colour"},
  };
  for (const auto& [query, parameter] : cases) {
    const auto result = get("/v1/deployments?" + query);
    EXPECT_EQ(result.status, 400) << query;
    const auto doc = parse(result.body);
    EXPECT_EQ(doc["code"].GetInt(), 3);
    ASSERT_GT(doc["details"].Size(), 0u) << query;
    EXPECT_EQ(std::string(doc["details"][0].GetString()).rfind(parameter + ":", 0), 0u) << query;
  }
  const auto malformed = get("/v1/deployments/not-a-uuid");
  EXPECT_EQ(malformed.status, 400);
}

TEST_F(ReadDeploymentsTest, FetchesOneRecordAnd404sOtherwise) {
  const auto id = record("api", digestOf(env_));
  auto result = get("/v1/deployments/" + id);
  ASSERT_EQ(result.status, 200);
  EXPECT_STREQ(parse(result.body)["deployment_record"]["id"].GetString(), id.c_str());

  result = get("/v1/deployments/00000000-0000-4000-8000-000000000000");
  EXPECT_EQ(result.status, 404);
  EXPECT_EQ(parse(result.body)["code"].GetInt(), 5);

  // Another organization's record is not found, exactly like a missing one.
  const auto other = get("/v1/deployments/" + id, "other-org");
  EXPECT_EQ(other.status, 404);
  EXPECT_EQ(parse(other.body)["message"].GetString(), "no deployment record " + id);
}

TEST_F(ReadDeploymentsTest, OrganizationsSeeOnlyTheirOwnRecords) {
  record("api", digestOf(env_));
  EXPECT_EQ(listing("environment_name=" + env_).size(), 1u);
  const auto result = get("/v1/deployments?environment_name=" + env_, "other-org");
  ASSERT_EQ(result.status, 200);
  EXPECT_EQ(parse(result.body)["deployment_records"].Size(), 0u);
}

TEST_F(ReadDeploymentsTest, ReadsNeedATokenWithReadOrWriteScope) {
  auto result = httpRequest(stack_->port(), "GET", "/v1/deployments");
  EXPECT_EQ(result.status, 401);
  result = get("/v1/deployments", "dev", "other:scope");
  EXPECT_EQ(result.status, 403);
  result = get("/v1/deployments", "dev", "deployments:write");
  EXPECT_EQ(result.status, 200);
}

// 100,000 records in one organization: every filter's plan reads deployment_records (and the
// 20,000 artifacts) through an index, never a sequential scan. The environment tables here hold a
// few hundred rows, which PostgreSQL rightly reads whole when that is cheaper than an index.
TEST_F(ReadDeploymentsTest, EveryFilterUsesAnIndexOnALargeTable) {
  const std::string organization = "bulk-" + uniqueSuffix();
  {
    pqxx::connection connection(testDatabaseUrl());
    pqxx::work tx(connection);
    tx.exec_params(
        "insert into environments (organization, name) "
        "select $1, 'env-' || g from generate_series(1, 500) g",
        organization);
    tx.exec_params(
        "insert into logical_environments (organization, name) "
        "select $1, 'logical-' || g from generate_series(1, 50) g",
        organization);
    tx.exec_params(
        "insert into artifacts (organization, digest, kind) "
        "select $1, 'sha256:' || md5(g::text) || md5((g + 1)::text), "
        "case when g % 3 = 0 then 'HELM_CHART' else 'CONTAINER_IMAGE' end "
        "from generate_series(1, 20000) g",
        organization);
    tx.exec_params(
        "with e as (select array_agg(id order by name) as ids from environments "
        "where organization = $1), "
        "l as (select array_agg(id order by name) as ids from logical_environments "
        "where organization = $1), "
        "a as (select array_agg(id order by digest) as ids from artifacts where organization = $1) "
        "insert into deployment_records (organization, environment_id, deployment_name, "
        "logical_environment_id, artifact_id, status, is_current, created_at, updated_at, "
        "last_seen_at) "
        "select $1, e.ids[g % 500 + 1], 'svc-' || (g % 40), l.ids[g % 50 + 1], "
        "a.ids[g % 20000 + 1], case when g > 99000 then 'DEPLOYED' else 'SUPERSEDED' end, "
        "g > 99000, now(), now(), now() from generate_series(1, 100000) g, e, l, a",
        organization);
    tx.exec("analyze deployment_records");
    tx.exec("analyze environments");
    tx.exec("analyze logical_environments");
    tx.exec("analyze artifacts");
    tx.commit();
  }

  std::string some_digest;
  {
    pqxx::connection connection(testDatabaseUrl());
    pqxx::nontransaction tx(connection);
    some_digest = tx.exec_params1("select digest from artifacts where organization = $1 limit 1",
                                  organization)[0]
                      .as<std::string>();
  }
  gateway::RecordReader reader(testDatabaseUrl(), 1, std::chrono::seconds(30));
  ASSERT_EQ(reader.list(organization, {}).total_count, 100000);
  const std::vector<std::pair<std::string, ListQuery>> filters{
      {"none", {}},
      {"environment_name", {.environment_name = "env-7"}},
      {"logical_environment_name", {.logical_environment_name = "logical-3"}},
      {"deployment_name", {.deployment_name = "svc-5"}},
      {"artifact_digest", {.artifact_digest = some_digest}},
      {"status", {.status = DeploymentStatus::kDeployed}},
      {"kind", {.kind = ArtifactKind::kHelmChart}},
      {"current state", {.environment_name = "env-7", .status = DeploymentStatus::kDeployed}},
      {"slot history", {.environment_name = "env-7", .deployment_name = "svc-6"}},
  };
  for (const auto& [name, query] : filters) {
    const auto plan = reader.explainList(organization, query);
    EXPECT_EQ(plan.find("Seq Scan on deployment_records"), std::string::npos) << name << ":\n"
                                                                              << plan;
    EXPECT_EQ(plan.find("Seq Scan on artifacts"), std::string::npos) << name << ":\n" << plan;
  }
}

}  // namespace
}  // namespace ledger::testing
