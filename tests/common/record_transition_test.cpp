#include "common/record_transition.h"

#include <gtest/gtest.h>

namespace ledger {
namespace {

const std::string kDigestA = "sha256:" + std::string(64, 'a');
const std::string kDigestB = "sha256:" + std::string(64, 'b');

DeploymentRequest request(const std::string& digest, DeploymentStatus status,
                          std::string logical = "production") {
  DeploymentRequest r;
  r.environment_name = "prod";
  r.deployment_name = "api";
  r.logical_environment_name = std::move(logical);
  r.artifact_digest = digest;
  r.status = status;
  return r;
}

CurrentRecord current(const std::string& digest, DeploymentStatus status) {
  return CurrentRecord{digest, status, "production"};
}

TEST(RecordTransitionTest, UnspecifiedStatusMeansDeployed) {
  EXPECT_EQ(effectiveStatus(DeploymentStatus::kUnspecified), DeploymentStatus::kDeployed);
  EXPECT_EQ(effectiveStatus(DeploymentStatus::kDecommissioned), DeploymentStatus::kDecommissioned);
}

TEST(RecordTransitionTest, EmptySlotCreatesRecord) {
  const auto plan =
      planTransition(std::nullopt, request(kDigestA, DeploymentStatus::kUnspecified), false);
  EXPECT_EQ(plan.action, RecordAction::kCreate);
  EXPECT_EQ(plan.status, DeploymentStatus::kDeployed);
  EXPECT_FALSE(plan.supersede_previous);
}

TEST(RecordTransitionTest, NewDigestSupersedesDeployedRecord) {
  const auto plan = planTransition(current(kDigestA, DeploymentStatus::kDeployed),
                                   request(kDigestB, DeploymentStatus::kDeployed), false);
  EXPECT_EQ(plan.action, RecordAction::kCreate);
  EXPECT_TRUE(plan.supersede_previous);
}

TEST(RecordTransitionTest, NewDigestLeavesDecommissionedRecordDecommissioned) {
  const auto plan = planTransition(current(kDigestA, DeploymentStatus::kDecommissioned),
                                   request(kDigestB, DeploymentStatus::kDeployed), false);
  EXPECT_EQ(plan.action, RecordAction::kCreate);
  EXPECT_FALSE(plan.supersede_previous);
}

TEST(RecordTransitionTest, SameDigestSameEverythingIsNotAMaterialChange) {
  const auto plan = planTransition(current(kDigestA, DeploymentStatus::kDeployed),
                                   request(kDigestA, DeploymentStatus::kUnspecified), false);
  EXPECT_EQ(plan.action, RecordAction::kUpdate);
  EXPECT_EQ(plan.status, DeploymentStatus::kDeployed);
  EXPECT_FALSE(plan.material_change);
}

TEST(RecordTransitionTest, SameDigestDecommissionUpdatesInPlace) {
  const auto plan = planTransition(current(kDigestA, DeploymentStatus::kDeployed),
                                   request(kDigestA, DeploymentStatus::kDecommissioned), false);
  EXPECT_EQ(plan.action, RecordAction::kUpdate);
  EXPECT_EQ(plan.status, DeploymentStatus::kDecommissioned);
  EXPECT_TRUE(plan.material_change);
}

TEST(RecordTransitionTest, RedeployOfDecommissionedDigestRevivesSameRecord) {
  const auto plan = planTransition(current(kDigestA, DeploymentStatus::kDecommissioned),
                                   request(kDigestA, DeploymentStatus::kDeployed), false);
  EXPECT_EQ(plan.action, RecordAction::kUpdate);
  EXPECT_EQ(plan.status, DeploymentStatus::kDeployed);
  EXPECT_TRUE(plan.material_change);
}

TEST(RecordTransitionTest, ChangedLogicalEnvironmentOrArtifactIsAMaterialChange) {
  EXPECT_TRUE(planTransition(current(kDigestA, DeploymentStatus::kDeployed),
                             request(kDigestA, DeploymentStatus::kDeployed, "staging"), false)
                  .material_change);
  EXPECT_TRUE(planTransition(current(kDigestA, DeploymentStatus::kDeployed),
                             request(kDigestA, DeploymentStatus::kDeployed), true)
                  .material_change);
}

}  // namespace
}  // namespace ledger
