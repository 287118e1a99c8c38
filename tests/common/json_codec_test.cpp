#include "common/json_codec.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

namespace ledger {
namespace {

const std::string kDigest = "sha256:" + std::string(64, 'c');

std::string validBody() {
  return R"({"environment_name":"prod","deployment_name":"api",)"
         R"("logical_environment_name":"production","artifact_digest":")" +
         kDigest +
         R"(","kind":"CONTAINER_IMAGE","artifact_name":"ghcr.io/acme/api",)"
         R"("artifact_version":"1.2.3","status":"DEPLOYED"})";
}

std::vector<std::string> fields(const RequestDecodeResult& result) {
  std::vector<std::string> out;
  for (const auto& v : result.violations) {
    out.push_back(v.field);
  }
  return out;
}

TEST(JsonCodecTest, DecodesEveryField) {
  const auto result = decodeDeploymentRequest(validBody());
  ASSERT_TRUE(result.ok()) << result.body_error;
  EXPECT_EQ(result.request.environment_name, "prod");
  EXPECT_EQ(result.request.deployment_name, "api");
  EXPECT_EQ(result.request.logical_environment_name, "production");
  EXPECT_EQ(result.request.artifact_digest, kDigest);
  EXPECT_EQ(result.request.kind, ArtifactKind::kContainerImage);
  EXPECT_EQ(result.request.artifact_name, "ghcr.io/acme/api");
  EXPECT_EQ(result.request.artifact_version, "1.2.3");
  EXPECT_EQ(result.request.status, DeploymentStatus::kDeployed);
}

TEST(JsonCodecTest, AcceptsLowerCamelCaseNames) {
  const auto result = decodeDeploymentRequest(
      R"({"environmentName":"prod","deploymentName":"api","logicalEnvironmentName":"p",)"
      R"("artifactDigest":")" +
      kDigest + R"("})");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.request.logical_environment_name, "p");
}

TEST(JsonCodecTest, RoundTripsThroughCanonicalEncoding) {
  const auto first = decodeDeploymentRequest(validBody());
  const auto second = decodeDeploymentRequest(encodeDeploymentRequest(first.request));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(encodeDeploymentRequest(second.request), encodeDeploymentRequest(first.request));
  EXPECT_EQ(second.request.artifact_name, "ghcr.io/acme/api");
}

TEST(JsonCodecTest, RejectsMalformedJsonAsBodyError) {
  for (const std::string body : {"", "{", "{\"a\":}", "nul", "{} trailing", "\xff"}) {
    const auto result = decodeDeploymentRequest(body);
    EXPECT_FALSE(result.ok());
    EXPECT_NE(result.body_error.find("not valid JSON"), std::string::npos) << body;
  }
}

TEST(JsonCodecTest, RejectsNonObjectBodies) {
  for (const std::string body : {"[]", "null", "\"x\"", "42", "true"}) {
    const auto result = decodeDeploymentRequest(body);
    EXPECT_NE(result.body_error.find("must be a JSON object"), std::string::npos) << body;
  }
}

TEST(JsonCodecTest, SurvivesDeepNesting) {
  const std::string deep = "{\"kind\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  const auto result = decodeDeploymentRequest(deep);
  EXPECT_FALSE(result.ok());
}

TEST(JsonCodecTest, NamesFieldsWithWrongTypes) {
  const auto result = decodeDeploymentRequest(
      R"({"environment_name":null,"deployment_name":7,"logical_environment_name":["a"],)"
      R"("artifact_digest":{},"status":true})");
  EXPECT_EQ(fields(result),
            (std::vector<std::string>{"environment_name", "deployment_name",
                                      "logical_environment_name", "artifact_digest", "status"}));
  EXPECT_EQ(result.violations[0].description, "must be a string, not null");
}

TEST(JsonCodecTest, RejectsUnknownAndDuplicateFields) {
  auto body = validBody();
  body.insert(1, R"("colour":"blue","status":"DEPLOYED",)");
  const auto result = decodeDeploymentRequest(body);
  EXPECT_EQ(fields(result), (std::vector<std::string>{"\"colour\"", "status"}));
}

TEST(JsonCodecTest, RejectsUnknownEnumNamesAndNumbers) {
  auto result = decodeDeploymentRequest(R"({"kind":"ZIP","status":"RUNNING"})");
  EXPECT_EQ(fields(result)[0], "kind");
  EXPECT_EQ(fields(result)[1], "status");
  result = decodeDeploymentRequest(R"({"status":1})");
  EXPECT_EQ(fields(result)[0], "status");
}

TEST(JsonCodecTest, ReportsEachFieldOnce) {
  const auto result = decodeDeploymentRequest(R"({"environment_name":5})");
  EXPECT_EQ(fields(result),
            (std::vector<std::string>{"environment_name", "artifact_digest", "deployment_name",
                                      "logical_environment_name"}));
}

TEST(JsonCodecTest, EncodesEveryRecordField) {
  DeploymentRecord record;
  record.id = "r1";
  record.environment_id = "e1";
  record.environment_name = "prod";
  record.deployment_name = "api";
  record.logical_environment_id = "l1";
  record.logical_environment_name = "production";
  record.artifact_id = "a1";
  record.artifact = {"HELM_CHART", "chart", "0.1.0", kDigest};
  record.status = DeploymentStatus::kSuperseded;
  record.created_at = 1'000'000;
  record.updated_at = 2'000'000;
  record.last_seen_at = 3'000'500;

  rapidjson::Document doc;
  doc.Parse(encodeRecordResponse(record).c_str());
  ASSERT_TRUE(doc.IsObject());
  const auto& r = doc["deployment_record"];
  for (const char* name : {"id", "environment_id", "status", "last_seen_at", "created_at",
                           "updated_at", "environment_name", "artifact_id", "deployment_name",
                           "logical_environment_id", "logical_environment_name"}) {
    EXPECT_TRUE(r.HasMember(name) && r[name].IsString()) << name;
  }
  EXPECT_STREQ(r["status"].GetString(), "SUPERSEDED");
  EXPECT_STREQ(r["created_at"].GetString(), "1970-01-01T00:00:01.000000Z");
  EXPECT_STREQ(r["last_seen_at"].GetString(), "1970-01-01T00:00:03.000500Z");
  EXPECT_STREQ(r["artifact"]["kind"].GetString(), "HELM_CHART");
  EXPECT_STREQ(r["artifact"]["digest"].GetString(), kDigest.c_str());
  EXPECT_STREQ(r["artifact"]["version"].GetString(), "0.1.0");
}

TEST(JsonCodecTest, EncodesErrorBodyInContractShape) {
  rapidjson::Document doc;
  doc.Parse(encodeErrorBody(3, "bad \"input\"", {"a: b"}).c_str());
  EXPECT_EQ(doc["code"].GetInt(), 3);
  EXPECT_STREQ(doc["message"].GetString(), "bad \"input\"");
  ASSERT_EQ(doc["details"].Size(), 1u);
  EXPECT_STREQ(doc["details"][0].GetString(), "a: b");
}

}  // namespace
}  // namespace ledger
