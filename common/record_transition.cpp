#include "common/record_transition.h"

namespace ledger {

DeploymentStatus effectiveStatus(DeploymentStatus requested) {
  return requested == DeploymentStatus::kUnspecified ? DeploymentStatus::kDeployed : requested;
}

TransitionPlan planTransition(const std::optional<CurrentRecord>& current,
                              const DeploymentRequest& request, bool artifact_changed) {
  TransitionPlan plan;
  plan.status = effectiveStatus(request.status);

  // An empty slot, or another artifact: a new tenure begins.
  if (!current || current->artifact_digest != request.artifact_digest) {
    plan.action = RecordAction::kCreate;
    plan.supersede_previous = current && current->status == DeploymentStatus::kDeployed;
    return plan;
  }

  // The same artifact again: the tenure goes on and records what changed.
  plan.action = RecordAction::kUpdate;
  plan.material_change = artifact_changed || current->status != plan.status ||
                         current->logical_environment_name != request.logical_environment_name;
  return plan;
}

}  // namespace ledger
