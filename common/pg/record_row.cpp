#include "common/pg/record_row.h"

#include <pqxx/pqxx>

namespace ledger::pg {

std::string micros(const std::string& column) {
  return "(extract(epoch from " + column + ") * 1000000)::bigint";
}

const std::string kRecordColumns =
    "r.id, r.environment_id, e.name, r.deployment_name, r.logical_environment_id, l.name, "
    "r.artifact_id, a.kind, a.name, a.version, a.digest, r.status, " +
    micros("r.created_at") + ", " + micros("r.updated_at") + ", " + micros("r.last_seen_at");

const std::string kRecordJoins =
    " from deployment_records r join environments e on e.id = r.environment_id "
    "join logical_environments l on l.id = r.logical_environment_id "
    "join artifacts a on a.id = r.artifact_id ";

DeploymentRecord toRecord(const pqxx::row& row) {
  DeploymentRecord record;
  record.id = row[0].as<std::string>();
  record.environment_id = row[1].as<std::string>();
  record.environment_name = row[2].as<std::string>();
  record.deployment_name = row[3].as<std::string>();
  record.logical_environment_id = row[4].as<std::string>();
  record.logical_environment_name = row[5].as<std::string>();
  record.artifact_id = row[6].as<std::string>();
  record.artifact = {row[7].as<std::string>(), row[8].as<std::string>(), row[9].as<std::string>(),
                     row[10].as<std::string>()};
  record.status =
      parseDeploymentStatus(row[11].as<std::string>()).value_or(DeploymentStatus::kUnspecified);
  record.created_at = row[12].as<TimestampMicros>();
  record.updated_at = row[13].as<TimestampMicros>();
  record.last_seen_at = row[14].as<TimestampMicros>();
  return record;
}

}  // namespace ledger::pg
