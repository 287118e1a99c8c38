#include "common/request_validator.h"

#include <gtest/gtest.h>

namespace ledger {
namespace {

DeploymentRequest validRequest() {
  DeploymentRequest request;
  request.environment_name = "prod";
  request.deployment_name = "checkout-api";
  request.logical_environment_name = "production";
  request.artifact_digest = "sha256:" + std::string(64, 'a');
  return request;
}

std::vector<std::string> faultyFields(const DeploymentRequest& request) {
  std::vector<std::string> fields;
  for (const auto& violation : validateRequest(request)) {
    fields.push_back(violation.field);
  }
  return fields;
}

TEST(RequestValidatorTest, AcceptsMinimalValidRequest) {
  EXPECT_TRUE(validateRequest(validRequest()).empty());
}

TEST(RequestValidatorTest, AcceptsLabelBoundaries) {
  EXPECT_TRUE(isDnsLabel("a"));
  EXPECT_TRUE(isDnsLabel("0"));
  EXPECT_TRUE(isDnsLabel("a-0"));
  EXPECT_TRUE(isDnsLabel(std::string(63, 'x')));
}

TEST(RequestValidatorTest, RejectsLabelsOutsideDns1123) {
  EXPECT_FALSE(isDnsLabel(""));
  EXPECT_FALSE(isDnsLabel(std::string(64, 'x')));
  EXPECT_FALSE(isDnsLabel("Prod"));
  EXPECT_FALSE(isDnsLabel("-prod"));
  EXPECT_FALSE(isDnsLabel("prod-"));
  EXPECT_FALSE(isDnsLabel("pro_d"));
  EXPECT_FALSE(isDnsLabel("pro.d"));
}

TEST(RequestValidatorTest, RejectsUppercaseEnvironmentName) {
  auto request = validRequest();
  request.environment_name = "Prod";
  EXPECT_EQ(faultyFields(request), std::vector<std::string>{"environment_name"});
}

TEST(RequestValidatorTest, ReportsEveryMissingRequiredField) {
  const DeploymentRequest empty;
  EXPECT_EQ(faultyFields(empty),
            (std::vector<std::string>{"environment_name", "artifact_digest", "deployment_name",
                                      "logical_environment_name"}));
  for (const auto& violation : validateRequest(empty)) {
    EXPECT_EQ(violation.description, "is required");
  }
}

TEST(RequestValidatorTest, AcceptsRegisteredDigests) {
  EXPECT_EQ(describeDigestFault("sha256:" + std::string(64, '0')), "");
  EXPECT_EQ(describeDigestFault("sha512:" + std::string(128, 'f')), "");
}

TEST(RequestValidatorTest, AcceptsUnregisteredAlgorithmThatFollowsGrammar) {
  EXPECT_EQ(describeDigestFault("multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8"),
            "");
}

TEST(RequestValidatorTest, RejectsMalformedDigests) {
  EXPECT_NE(describeDigestFault("sha256"), "");
  EXPECT_NE(describeDigestFault("sha256:" + std::string(63, 'a')), "");
  EXPECT_NE(describeDigestFault("sha256:" + std::string(65, 'a')), "");
  EXPECT_NE(describeDigestFault("sha256:" + std::string(64, 'A')), "");
  EXPECT_NE(describeDigestFault("sha512:" + std::string(64, 'a')), "");
  EXPECT_NE(describeDigestFault("SHA256:" + std::string(64, 'a')), "");
  EXPECT_NE(describeDigestFault("sha256+:abc"), "");
  EXPECT_NE(describeDigestFault(":abc"), "");
  EXPECT_NE(describeDigestFault("foo:"), "");
  EXPECT_NE(describeDigestFault("foo:a/b"), "");
  EXPECT_NE(describeDigestFault("foo:" + std::string(300, 'a')), "");
}

TEST(RequestValidatorTest, RejectsRequestedSupersededStatus) {
  auto request = validRequest();
  request.status = DeploymentStatus::kSuperseded;
  EXPECT_EQ(faultyFields(request), std::vector<std::string>{"status"});
}

TEST(RequestValidatorTest, BoundsArtifactNameAndVersionInCharacters) {
  auto request = validRequest();
  request.artifact_name = std::string(kMaxArtifactNameLength, 'n');
  request.artifact_version = std::string(kMaxArtifactVersionLength, 'v');
  EXPECT_TRUE(validateRequest(request).empty());

  // Multi-byte characters count once each.
  std::string accented;
  for (std::size_t i = 0; i < kMaxArtifactNameLength; ++i) {
    accented += "\xc3\xa9";
  }
  request.artifact_name = accented;
  EXPECT_TRUE(validateRequest(request).empty());

  request.artifact_name = std::string(kMaxArtifactNameLength + 1, 'n');
  request.artifact_version = std::string(kMaxArtifactVersionLength + 1, 'v');
  EXPECT_EQ(faultyFields(request), (std::vector<std::string>{"artifact_name", "artifact_version"}));
}

TEST(RequestValidatorTest, RejectsControlCharactersInFreeText) {
  auto request = validRequest();
  for (const std::string& bad :
       std::vector<std::string>{"a\nb", "a\tb", std::string("a\0b", 3), "a\x7f", "a\xc2\x85"}) {
    request.artifact_name = bad;
    EXPECT_EQ(faultyFields(request), std::vector<std::string>{"artifact_name"}) << bad;
  }
}

}  // namespace
}  // namespace ledger
