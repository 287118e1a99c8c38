// POST /v1/deployments end to end: gateway, Kafka, recorder and Postgres as real processes.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <future>
#include <pqxx/pqxx>
#include <set>
#include <thread>

#include "tests/support/kafka_tools.h"
#include "tests/support/ledger_stack.h"

namespace ledger::testing {
namespace {

class RecordDeploymentTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { stack_ = new LedgerStack(); }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }

  // A fresh environment name per test, so that tests never share a slot.
  void SetUp() override { env_ = "env-" + uniqueSuffix(); }

  static rapidjson::Document parse(const std::string& body) {
    rapidjson::Document doc;
    doc.Parse(body.c_str());
    return doc;
  }

  // Posts and expects 200; returns the deployment_record object's JSON.
  rapidjson::Document record(const std::string& body) {
    const auto result = stack_->post(body);
    EXPECT_EQ(result.status, 200) << result.body;
    auto doc = parse(result.body);
    rapidjson::Document out;
    if (doc.IsObject() && doc.HasMember("deployment_record")) {
      out.CopyFrom(doc["deployment_record"], out.GetAllocator());
    }
    return out;
  }

  static std::string str(const rapidjson::Value& v, const char* name) {
    return v.IsObject() && v.HasMember(name) && v[name].IsString() ? v[name].GetString() : "";
  }

  // Rows of the slot as (status, is_current), oldest first.
  std::vector<std::pair<std::string, bool>> slotRows(const std::string& deployment) {
    pqxx::connection connection(testDatabaseUrl());
    pqxx::nontransaction tx(connection);
    std::vector<std::pair<std::string, bool>> rows;
    for (const auto& row : tx.exec_params(
             "select r.status, r.is_current from deployment_records r join environments e on "
             "e.id = r.environment_id where e.name = $1 and r.deployment_name = $2 order by r.seq",
             env_, deployment)) {
      rows.emplace_back(row[0].as<std::string>(), row[1].as<bool>());
    }
    return rows;
  }

  static LedgerStack* stack_;
  std::string env_;
};

LedgerStack* RecordDeploymentTest::stack_ = nullptr;

TEST_F(RecordDeploymentTest, CreatesRecordWithEveryField) {
  const auto digest = digestOf(env_);
  const auto r = record(requestBody(env_, "api", digest,
                                    {{"kind", "CONTAINER_IMAGE"},
                                     {"artifact_name", "ghcr.io/acme/api"},
                                     {"artifact_version", "1.4.2"}}));
  for (const char* name : {"id", "environment_id", "artifact_id", "logical_environment_id",
                           "created_at", "updated_at", "last_seen_at"}) {
    EXPECT_FALSE(str(r, name).empty()) << name;
  }
  EXPECT_EQ(str(r, "status"), "DEPLOYED");
  EXPECT_EQ(str(r, "environment_name"), env_);
  EXPECT_EQ(str(r, "deployment_name"), "api");
  EXPECT_EQ(str(r, "logical_environment_name"), "production");
  EXPECT_EQ(str(r, "created_at"), str(r, "updated_at"));
  EXPECT_EQ(str(r, "created_at"), str(r, "last_seen_at"));
  ASSERT_TRUE(r.HasMember("artifact"));
  EXPECT_EQ(str(r["artifact"], "digest"), digest);
  EXPECT_EQ(str(r["artifact"], "kind"), "CONTAINER_IMAGE");
  EXPECT_EQ(str(r["artifact"], "name"), "ghcr.io/acme/api");
  EXPECT_EQ(str(r["artifact"], "version"), "1.4.2");
  EXPECT_EQ(slotRows("api"), (std::vector<std::pair<std::string, bool>>{{"DEPLOYED", true}}));
}

TEST_F(RecordDeploymentTest, RecordingSameDigestTwiceOnlyAdvancesLastSeen) {
  const auto body = requestBody(env_, "api", digestOf(env_));
  const auto first = record(body);
  const auto second = record(body);
  EXPECT_EQ(str(second, "id"), str(first, "id"));
  EXPECT_EQ(str(second, "created_at"), str(first, "created_at"));
  EXPECT_EQ(str(second, "updated_at"), str(first, "updated_at"));
  EXPECT_GT(str(second, "last_seen_at"), str(first, "last_seen_at"));
  EXPECT_EQ(slotRows("api").size(), 1u);
}

TEST_F(RecordDeploymentTest, SameDigestWithNewStatusUpdatesRecordInPlace) {
  const auto digest = digestOf(env_);
  const auto first = record(requestBody(env_, "api", digest));
  const auto second = record(requestBody(env_, "api", digest, {{"status", "DECOMMISSIONED"}}));
  EXPECT_EQ(str(second, "id"), str(first, "id"));
  EXPECT_EQ(str(second, "status"), "DECOMMISSIONED");
  EXPECT_EQ(str(second, "created_at"), str(first, "created_at"));
  EXPECT_GT(str(second, "updated_at"), str(first, "updated_at"));
  EXPECT_EQ(slotRows("api"), (std::vector<std::pair<std::string, bool>>{{"DECOMMISSIONED", true}}));
}

TEST_F(RecordDeploymentTest, NewDigestSupersedesDeployedRecord) {
  const auto first = record(requestBody(env_, "api", digestOf(env_ + "1")));
  const auto second = record(requestBody(env_, "api", digestOf(env_ + "2")));
  EXPECT_NE(str(second, "id"), str(first, "id"));
  EXPECT_EQ(str(second, "status"), "DEPLOYED");
  EXPECT_EQ(slotRows("api"),
            (std::vector<std::pair<std::string, bool>>{{"SUPERSEDED", false}, {"DEPLOYED", true}}));
}

TEST_F(RecordDeploymentTest, NewDigestLeavesDecommissionedRecordDecommissioned) {
  record(requestBody(env_, "api", digestOf(env_ + "1"), {{"status", "DECOMMISSIONED"}}));
  record(requestBody(env_, "api", digestOf(env_ + "2")));
  EXPECT_EQ(slotRows("api"), (std::vector<std::pair<std::string, bool>>{{"DECOMMISSIONED", false},
                                                                        {"DEPLOYED", true}}));
}

TEST_F(RecordDeploymentTest, RedeployingOldDigestCreatesNewRecord) {
  const auto first = record(requestBody(env_, "api", digestOf(env_ + "1")));
  record(requestBody(env_, "api", digestOf(env_ + "2")));
  const auto third = record(requestBody(env_, "api", digestOf(env_ + "1")));
  EXPECT_NE(str(third, "id"), str(first, "id"));
  EXPECT_EQ(slotRows("api"),
            (std::vector<std::pair<std::string, bool>>{
                {"SUPERSEDED", false}, {"SUPERSEDED", false}, {"DEPLOYED", true}}));
}

TEST_F(RecordDeploymentTest, ArtifactDetailsFillInWithoutNewRecord) {
  const auto digest = digestOf(env_);
  const auto first = record(requestBody(env_, "api", digest));
  EXPECT_EQ(str(first["artifact"], "kind"), "ARTIFACT_KIND_UNSPECIFIED");
  EXPECT_EQ(str(first["artifact"], "name"), "");
  const auto second = record(
      requestBody(env_, "api", digest, {{"kind", "HELM_CHART"}, {"artifact_name", "chart"}}));
  EXPECT_EQ(str(second, "id"), str(first, "id"));
  EXPECT_EQ(str(second["artifact"], "kind"), "HELM_CHART");
  EXPECT_EQ(str(second["artifact"], "name"), "chart");
  EXPECT_GT(str(second, "updated_at"), str(first, "updated_at"));
  // A later request that names less keeps what is known.
  const auto third = record(requestBody(env_, "api", digest));
  EXPECT_EQ(str(third["artifact"], "name"), "chart");
  EXPECT_EQ(str(third, "updated_at"), str(second, "updated_at"));
}

TEST_F(RecordDeploymentTest, ArtifactDetailsKeepQuotesBackslashesAndBraces) {
  // The recorder passes a batch's values to Postgres in array literals, where these characters
  // and an unquoted NULL have meanings of their own.
  const auto digest = digestOf(env_);
  const std::string name = R"(registry.local/a"b\c{d},e f)";
  const auto first = record(
      requestBody(env_, "api", digest, {{"artifact_name", name}, {"artifact_version", "NULL"}}));
  EXPECT_EQ(str(first["artifact"], "name"), name);
  EXPECT_EQ(str(first["artifact"], "version"), "NULL");
  // A request that names neither answers with what the database holds.
  const auto again = record(requestBody(env_, "api", digest));
  EXPECT_EQ(str(again["artifact"], "name"), name);
  EXPECT_EQ(str(again["artifact"], "version"), "NULL");
}

TEST_F(RecordDeploymentTest, EachRecordKeepsItsLogicalEnvironment) {
  const auto first = record(
      requestBody(env_, "api", digestOf(env_ + "1"), {{"logical_environment_name", "blue"}}));
  const auto second = record(
      requestBody(env_, "api", digestOf(env_ + "2"), {{"logical_environment_name", "green"}}));
  EXPECT_EQ(str(first, "logical_environment_name"), "blue");
  EXPECT_EQ(str(second, "logical_environment_name"), "green");
  EXPECT_NE(str(first, "logical_environment_id"), str(second, "logical_environment_id"));
  EXPECT_EQ(str(first, "environment_id"), str(second, "environment_id"));
}

TEST_F(RecordDeploymentTest, SameNamesInOtherEnvironmentAreAnotherSlot) {
  const auto digest = digestOf(env_);
  const auto a = record(requestBody(env_, "api", digest));
  const auto b = record(requestBody(env_ + "-b", "api", digest));
  EXPECT_NE(str(a, "id"), str(b, "id"));
  EXPECT_EQ(str(a, "artifact_id"), str(b, "artifact_id"));
  EXPECT_EQ(slotRows("api"), (std::vector<std::pair<std::string, bool>>{{"DEPLOYED", true}}));
}

TEST_F(RecordDeploymentTest, InvalidRequestsGet400AndNeverReachKafka) {
  const auto before = topicSize(testBrokers(), stack_->commands_topic);
  const std::vector<std::string> bodies{
      "",
      "{",
      "null",
      "[]",
      "\"text\"",
      R"({"environment_name":null})",
      R"({"environment_name":5,"deployment_name":"api"})",
      requestBody("Prod", "api", digestOf("x")),
      requestBody(env_, "api", "sha256:abc"),
      requestBody(env_, "api", digestOf("x"), {{"status", "SUPERSEDED"}}),
      requestBody(env_, "api", digestOf("x"), {{"kind", "ZIP"}}),
      requestBody(env_, "api", digestOf("x"), {{"colour", "blue"}}),
  };
  for (const auto& body : bodies) {
    const auto result = stack_->post(body);
    EXPECT_EQ(result.status, 400) << body;
    const auto doc = parse(result.body);
    ASSERT_TRUE(doc.IsObject()) << result.body;
    EXPECT_EQ(doc["code"].GetInt(), 3) << body;
    EXPECT_TRUE(doc["message"].IsString());
    EXPECT_TRUE(doc["details"].IsArray());
  }
  EXPECT_EQ(topicSize(testBrokers(), stack_->commands_topic), before);
}

TEST_F(RecordDeploymentTest, BadRequestNamesEveryFieldAtFault) {
  const auto result =
      stack_->post(R"({"environment_name":"Prod","artifact_digest":"md5","status":"SUPERSEDED"})");
  ASSERT_EQ(result.status, 400);
  const auto doc = parse(result.body);
  std::set<std::string> named;
  for (const auto& detail : doc["details"].GetArray()) {
    const std::string text = detail.GetString();
    named.insert(text.substr(0, text.find(':')));
  }
  EXPECT_EQ(named, (std::set<std::string>{"environment_name", "artifact_digest", "status",
                                          "deployment_name", "logical_environment_name"}));
}

TEST_F(RecordDeploymentTest, UnknownPathIs404AndWrongMethodIs405) {
  auto result = httpRequest(stack_->port(), "GET", "/v1/nothing");
  EXPECT_EQ(result.status, 404);
  EXPECT_EQ(parse(result.body)["code"].GetInt(), 5);
  result = httpRequest(stack_->port(), "DELETE", "/v1/deployments");
  EXPECT_EQ(result.status, 405);
  EXPECT_EQ(parse(result.body)["code"].GetInt(), 12);
  EXPECT_EQ(result.headers["allow"], "GET, POST");
}

TEST_F(RecordDeploymentTest, BodyOver64KiBIs413) {
  const std::string body =
      requestBody(env_, "api", digestOf(env_), {{"artifact_name", std::string(70 * 1024, 'n')}});
  const auto result = stack_->post(body);
  EXPECT_EQ(result.status, 413);
  EXPECT_EQ(parse(result.body)["code"].GetInt(), 8);
}

TEST_F(RecordDeploymentTest, ConcurrentRequestsOnOneSlotLeaveOneCurrentRecord) {
  constexpr int kRequests = 24;
  std::vector<std::future<int>> statuses;
  for (int i = 0; i < kRequests; ++i) {
    statuses.push_back(std::async(std::launch::async, [this, i] {
      return stack_->post(requestBody(env_, "api", digestOf(env_ + std::to_string(i)))).status;
    }));
  }
  for (auto& status : statuses) {
    EXPECT_EQ(status.get(), 200);
  }
  const auto rows = slotRows("api");
  ASSERT_EQ(rows.size(), static_cast<std::size_t>(kRequests));
  int current = 0;
  int superseded = 0;
  for (const auto& [status, is_current] : rows) {
    current += is_current ? 1 : 0;
    superseded += status == "SUPERSEDED" ? 1 : 0;
  }
  EXPECT_EQ(current, 1);
  EXPECT_EQ(superseded, kRequests - 1);
  EXPECT_TRUE(rows.back().second) << "the newest record is the current one";
}

TEST_F(RecordDeploymentTest, ConcurrentRequestsAcrossSlotsAllApply) {
  constexpr int kSlots = 40;
  std::vector<std::future<std::string>> ids;
  for (int i = 0; i < kSlots; ++i) {
    ids.push_back(std::async(std::launch::async, [this, i] {
      const auto result =
          stack_->post(requestBody(env_, "svc-" + std::to_string(i), digestOf(env_)));
      return result.status == 200 ? str(parse(result.body)["deployment_record"], "id") : "";
    }));
  }
  std::set<std::string> distinct;
  for (auto& id : ids) {
    const auto value = id.get();
    EXPECT_FALSE(value.empty());
    distinct.insert(value);
  }
  EXPECT_EQ(distinct.size(), static_cast<std::size_t>(kSlots));
}

TEST_F(RecordDeploymentTest, AcceptsLowerCamelCaseFieldNames) {
  auto result = stack_->post(
      R"({"environmentName":")" + env_ +
      R"(","deploymentName":"api","logicalEnvironmentName":"production","artifactDigest":")" +
      digestOf(env_) + "\"}");
  EXPECT_EQ(result.status, 200) << result.body;
}

TEST_F(RecordDeploymentTest, MissingTokenIs401WithBareChallenge) {
  auto result = stack_->post(requestBody(env_, "api", digestOf(env_)), {{"authorization", ""}});
  EXPECT_EQ(result.status, 401);
  EXPECT_EQ(parse(result.body)["code"].GetInt(), 16);
  EXPECT_EQ(result.headers["www-authenticate"], "Bearer realm=\"deployment-ledger\"");
}

TEST_F(RecordDeploymentTest, MalformedAuthorizationIs401InvalidRequest) {
  for (const std::string header : {"Bearer", "Bearer a b", "Bearer  abc"}) {
    auto result =
        stack_->post(requestBody(env_, "api", digestOf(env_)), {{"authorization", header}});
    EXPECT_EQ(result.status, 401) << header;
    EXPECT_NE(result.headers["www-authenticate"].find("error=\"invalid_request\""),
              std::string::npos)
        << header;
  }
}

TEST_F(RecordDeploymentTest, BadOrExpiredTokenIs401InvalidTokenWithoutEchoingIt) {
  const auto expired = stack_->token("dev", "deployments:write", "", -3600);
  const auto forged = stack_->token() + "x";
  for (const auto& token : {expired, forged}) {
    auto result = stack_->post(requestBody(env_, "api", digestOf(env_)),
                               {{"authorization", "Bearer " + token}});
    EXPECT_EQ(result.status, 401);
    EXPECT_EQ(parse(result.body)["code"].GetInt(), 16);
    EXPECT_NE(result.headers["www-authenticate"].find("error=\"invalid_token\""),
              std::string::npos);
    EXPECT_EQ(result.body.find(token.substr(token.rfind('.') + 1)), std::string::npos);
    EXPECT_EQ(result.headers["www-authenticate"].find(token.substr(0, 20)), std::string::npos);
  }
  EXPECT_TRUE(slotRows("api").empty());
}

TEST_F(RecordDeploymentTest, TokenWithoutWriteScopeIs403) {
  const auto result =
      stack_->post(requestBody(env_, "api", digestOf(env_)),
                   {{"authorization", "Bearer " + stack_->token("dev", "deployments:read")}});
  EXPECT_EQ(result.status, 403);
  EXPECT_EQ(parse(result.body)["code"].GetInt(), 7);
  EXPECT_TRUE(slotRows("api").empty());
}

TEST_F(RecordDeploymentTest, TokenLimitedToOtherEnvironmentsIs403) {
  const auto limited = stack_->token("dev", "deployments:write", R"("environments":["staging"])");
  auto result = stack_->post(requestBody(env_, "api", digestOf(env_)),
                             {{"authorization", "Bearer " + limited}});
  EXPECT_EQ(result.status, 403);
  EXPECT_EQ(parse(result.body)["code"].GetInt(), 7);

  const auto allowed =
      stack_->token("dev", "deployments:write", R"("environments":[")" + env_ + R"("])");
  result = stack_->post(requestBody(env_, "api", digestOf(env_)),
                        {{"authorization", "Bearer " + allowed}});
  EXPECT_EQ(result.status, 200) << result.body;
}

TEST_F(RecordDeploymentTest, SameSlotNamesInTwoOrganizationsAreUnrelated) {
  const auto a = stack_->post(requestBody(env_, "api", digestOf(env_ + "a")),
                              {{"authorization", "Bearer " + stack_->token("org-a")}});
  const auto b = stack_->post(requestBody(env_, "api", digestOf(env_ + "b")),
                              {{"authorization", "Bearer " + stack_->token("org-b")}});
  ASSERT_EQ(a.status, 200);
  ASSERT_EQ(b.status, 200);
  const auto ra = parse(a.body);
  const auto rb = parse(b.body);
  EXPECT_NE(str(ra["deployment_record"], "environment_id"),
            str(rb["deployment_record"], "environment_id"));
  EXPECT_NE(str(ra["deployment_record"], "artifact_id"),
            str(rb["deployment_record"], "artifact_id"));

  // Neither record superseded the other.
  pqxx::connection connection(testDatabaseUrl());
  pqxx::nontransaction tx(connection);
  const auto rows = tx.exec_params(
      "select r.organization, r.status, r.is_current from deployment_records r join environments "
      "e on e.id = r.environment_id where e.name = $1 order by r.organization",
      env_);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][0].as<std::string>(), "org-a");
  EXPECT_EQ(rows[1][0].as<std::string>(), "org-b");
  for (const auto& row : rows) {
    EXPECT_EQ(row[1].as<std::string>(), "DEPLOYED");
    EXPECT_TRUE(row[2].as<bool>());
  }
}

}  // namespace
}  // namespace ledger::testing
