#include "common/service_event.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

namespace ledger {
namespace {

TransitionPlan plan(RecordAction action, DeploymentStatus status, bool supersede = false,
                    bool material = false) {
  TransitionPlan p;
  p.action = action;
  p.status = status;
  p.supersede_previous = supersede;
  p.material_change = material;
  return p;
}

TEST(ServiceEventTest, ClassifiesEachKindOfChange) {
  using enum RecordAction;
  using enum DeploymentStatus;
  EXPECT_EQ(classifyChange(plan(kCreate, kDeployed), false), EventKind::kDeployed);
  EXPECT_EQ(classifyChange(plan(kCreate, kDeployed, true), false), EventKind::kUpgraded);
  EXPECT_EQ(classifyChange(plan(kCreate, kDeployed, true), true), EventKind::kRolledBack);
  EXPECT_EQ(classifyChange(plan(kUpdate, kDecommissioned, false, true), false),
            EventKind::kRemoved);
  EXPECT_EQ(classifyChange(plan(kCreate, kDecommissioned, true), false), EventKind::kRemoved);
  EXPECT_EQ(classifyChange(plan(kUpdate, kDeployed, false, true), false), EventKind::kDeployed);
  EXPECT_EQ(classifyChange(plan(kUpdate, kDeployed, false, false), false), EventKind::kNone);
  EXPECT_EQ(classifyChange(plan(kUpdate, kDecommissioned, false, false), false), EventKind::kNone);
}

TEST(ServiceEventTest, TypesFollowCdEventsNaming) {
  EXPECT_EQ(cdEventType(EventKind::kUpgraded), "dev.cdevents.service.upgraded.0.3.0");
  EXPECT_EQ(cdEventType(EventKind::kRolledBack), "dev.cdevents.service.rolledback.0.3.0");
  EXPECT_EQ(cdEventType(EventKind::kNone), "");
}

TEST(ServiceEventTest, ContainerImagesBecomeOciPurls) {
  const std::string digest = "sha256:" + std::string(64, 'a');
  EXPECT_EQ(artifactPurl({"CONTAINER_IMAGE", "ghcr.io/Acme/API", "1.2.3", digest}),
            "pkg:oci/api@sha256%3A" + std::string(64, 'a') +
                "?repository_url=ghcr.io%2Facme%2Fapi&tag=1.2.3");
  EXPECT_EQ(artifactPurl({"CONTAINER_IMAGE", "debian", "", digest}),
            "pkg:oci/debian@sha256%3A" + std::string(64, 'a') + "?repository_url=debian");
}

TEST(ServiceEventTest, OtherArtifactsBecomeGenericPurls) {
  const std::string digest = "sha256:" + std::string(64, 'b');
  EXPECT_EQ(artifactPurl({"HELM_CHART", "charts/my chart", "0.1.0+build", digest}),
            "pkg:generic/my%20chart@0.1.0%2Bbuild?checksum=" + digest);
  EXPECT_EQ(artifactPurl({"ARTIFACT_KIND_UNSPECIFIED", "", "", digest}),
            "pkg:generic/artifact?checksum=" + digest);
}

TEST(ServiceEventTest, EncodesCdEventWithRecordAndSupersession) {
  ServiceEvent event;
  event.kind = EventKind::kUpgraded;
  event.id = eventId("rec-2", 1);
  event.organization = "acme";
  event.record.id = "rec-2";
  event.record.environment_name = "prod";
  event.record.deployment_name = "api";
  event.record.status = DeploymentStatus::kDeployed;
  event.record.artifact = {"CONTAINER_IMAGE", "api", "2", "sha256:" + std::string(64, 'c')};
  event.record.updated_at = 5'000'000;
  event.supersession = Supersession{"rec-1", "sha256:old", "rec-2"};

  rapidjson::Document doc;
  doc.Parse(encodeServiceEvent(event).c_str());
  ASSERT_TRUE(doc.IsObject());
  EXPECT_STREQ(doc["context"]["specversion"].GetString(), "0.5.0");
  EXPECT_STREQ(doc["context"]["id"].GetString(), "rec-2:1");
  EXPECT_STREQ(doc["context"]["type"].GetString(), "dev.cdevents.service.upgraded.0.3.0");
  EXPECT_STREQ(doc["context"]["timestamp"].GetString(), "1970-01-01T00:00:05.000000Z");
  EXPECT_STREQ(doc["subject"]["id"].GetString(), "prod/api");
  EXPECT_STREQ(doc["subject"]["content"]["environment"]["id"].GetString(), "prod");
  EXPECT_EQ(std::string(doc["subject"]["content"]["artifactId"].GetString()).rfind("pkg:oci/", 0),
            0u);
  EXPECT_STREQ(doc["customData"]["deployment_record"]["id"].GetString(), "rec-2");
  EXPECT_STREQ(doc["customData"]["organization"].GetString(), "acme");
  EXPECT_STREQ(doc["customData"]["supersession"]["superseded_record_id"].GetString(), "rec-1");
  EXPECT_STREQ(doc["customData"]["supersession"]["replacing_record_id"].GetString(), "rec-2");
  EXPECT_FALSE(doc["subject"].HasMember("type")) << "CDEvents 0.5 subjects have no type";
}

TEST(ServiceEventTest, RemovedEventNamesNoArtifact) {
  ServiceEvent event;
  event.kind = EventKind::kRemoved;
  event.id = eventId("rec-1", 2);
  event.record.environment_name = "prod";
  event.record.deployment_name = "api";
  event.record.status = DeploymentStatus::kDecommissioned;
  rapidjson::Document doc;
  doc.Parse(encodeServiceEvent(event).c_str());
  EXPECT_FALSE(doc["subject"]["content"].HasMember("artifactId"));
  EXPECT_STREQ(doc["customData"]["deployment_record"]["status"].GetString(), "DECOMMISSIONED");
  EXPECT_FALSE(doc["customData"].HasMember("supersession"));
}

TEST(ServiceEventTest, EventIdIsStableForAChange) {
  EXPECT_EQ(eventId("r", 3), eventId("r", 3));
  EXPECT_NE(eventId("r", 3), eventId("r", 4));
}

}  // namespace
}  // namespace ledger
