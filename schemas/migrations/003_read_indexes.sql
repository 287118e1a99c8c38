-- Indexes for the read side (GET /v1/deployments): one per filter, each ending in seq so that a
-- page comes out newest first without sorting the whole match.

create index deployment_records_by_organization on deployment_records (organization, seq);
create index deployment_records_by_environment on deployment_records (environment_id, seq);
create index deployment_records_by_environment_status
  on deployment_records (environment_id, status, seq);
create index deployment_records_by_deployment_name
  on deployment_records (organization, deployment_name, seq);
create index deployment_records_by_status on deployment_records (organization, status, seq);
create index deployment_records_by_logical_environment
  on deployment_records (logical_environment_id, seq);
create index deployment_records_by_artifact on deployment_records (artifact_id, seq);
create index artifacts_by_kind on artifacts (organization, kind);
