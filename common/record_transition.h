// How a slot changes when a deployment is recorded: the ledger's state machine, apart from any
// storage. Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>

#include "common/deployment.h"

namespace ledger {

// What the slot holds now: its current record, if any.
struct CurrentRecord {
  std::string artifact_digest;
  DeploymentStatus status = DeploymentStatus::kDeployed;
  std::string logical_environment_name;
};

enum class RecordAction {
  kCreate,  // a new record (new id) becomes the slot's current record
  kUpdate,  // the current record is kept (same id and created_at) and updated in place
};

struct TransitionPlan {
  RecordAction action = RecordAction::kCreate;
  // Status of the created or updated record.
  DeploymentStatus status = DeploymentStatus::kDeployed;
  // kCreate only: the previous current record was DEPLOYED and becomes SUPERSEDED.
  bool supersede_previous = false;
  // kUpdate only: something besides last_seen_at changes, so updated_at advances.
  bool material_change = false;
};

// UNSPECIFIED means DEPLOYED; other statuses stand as they are.
DeploymentStatus effectiveStatus(DeploymentStatus requested);

// Plans the change for a request (already validated: never SUPERSEDED). artifact_changed says
// whether the request changed the artifact's kind, name or version, which counts as a change of
// the record it describes.
TransitionPlan planTransition(const std::optional<CurrentRecord>& current,
                              const DeploymentRequest& request, bool artifact_changed);

}  // namespace ledger
