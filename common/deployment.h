// The domain model of a deployment: what a client asks to record and what the ledger keeps.
// Plain values with no library types, shared by the gateway, the recorder and the tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ledger {

enum class ArtifactKind { kUnspecified, kContainerImage, kHelmChart };

enum class DeploymentStatus { kUnspecified, kDeployed, kDecommissioned, kSuperseded };

// Wire names of the enums ("CONTAINER_IMAGE", "DEPLOYED", ...). The parse functions return
// nullopt for a name that is not one of the enum's values.
std::string_view toWireName(ArtifactKind kind);
std::string_view toWireName(DeploymentStatus status);
std::optional<ArtifactKind> parseArtifactKind(std::string_view name);
std::optional<DeploymentStatus> parseDeploymentStatus(std::string_view name);

// A slot is one deployment name inside one environment; it holds at most one current record.
struct Slot {
  std::string environment_name;
  std::string deployment_name;

  // "<environment>/<deployment>": the Kafka key of every command and event about the slot.
  // Both parts are DNS-1123 labels, so the separator can never occur inside them.
  std::string key() const { return environment_name + "/" + deployment_name; }
};

// A request to record a deployment, as a client sent it (after validation).
struct DeploymentRequest {
  std::string environment_name;
  std::string deployment_name;
  std::string logical_environment_name;
  std::string artifact_digest;
  ArtifactKind kind = ArtifactKind::kUnspecified;
  std::optional<std::string> artifact_name;
  std::optional<std::string> artifact_version;
  DeploymentStatus status = DeploymentStatus::kUnspecified;

  Slot slot() const { return Slot{environment_name, deployment_name}; }
};

struct Artifact {
  std::string kind;  // wire name of ArtifactKind
  std::string name;
  std::string version;
  std::string digest;
};

// Microseconds since the Unix epoch, UTC.
using TimestampMicros = std::int64_t;

// One artifact's tenure in a slot, in the shape the API returns.
struct DeploymentRecord {
  std::string id;
  std::string environment_id;
  std::string environment_name;
  std::string deployment_name;
  std::string logical_environment_id;
  std::string logical_environment_name;
  std::string artifact_id;
  Artifact artifact;
  DeploymentStatus status = DeploymentStatus::kUnspecified;
  TimestampMicros created_at = 0;
  TimestampMicros updated_at = 0;
  TimestampMicros last_seen_at = 0;
};

}  // namespace ledger
