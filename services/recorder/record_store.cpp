#include "services/recorder/record_store.h"

#include <pqxx/pqxx>

#include "common/json_codec.h"
#include "common/record_transition.h"
#include "common/reply.h"
#include "common/service_event.h"
#include "common/timestamp.h"
#include "services/recorder/store_error.h"

namespace ledger::recorder {
namespace {

constexpr const char* kMicros = "(extract(epoch from {}) * 1000000)::bigint";

std::string micros(const std::string& column) {
  std::string out(kMicros);
  out.replace(out.find("{}"), 2, column);
  return out;
}

// SQLSTATE classes that say the connection or the server is gone, or that the transaction lost a
// race it may win next time; all other errors are refusals of the work itself. A unique violation
// is a race too: every insert the store makes tolerates conflicts except a slot's second current
// record, which only two recorders briefly sharing a partition during a rebalance can cause.
bool isRetryableState(const std::string& state) {
  const auto klass = state.substr(0, 2);
  return klass == "08" || klass == "53" || klass == "57" || state == "40001" || state == "40P01" ||
         state == "23505";
}

void prepareStatements(pqxx::connection& c) {
  c.prepare("claim_command",
            "insert into applied_commands (source, id) values ($1, $2) "
            "on conflict do nothing returning 1");
  c.prepare("claimed_record",
            "select record_id from applied_commands where source = $1 and id = $2");
  c.prepare("settle_command",
            "update applied_commands set record_id = $3::uuid where source = $1 and id = $2");
  c.prepare("insert_artifact",
            "insert into artifacts (digest, kind, name, version) values ($1, $2, $3, $4) "
            "on conflict (digest) do nothing returning id");
  c.prepare("select_artifact", "select id, kind, name, version from artifacts where digest = $1");
  c.prepare("update_artifact",
            "update artifacts set kind = $2, name = $3, version = $4 where id = $1::uuid");
  c.prepare("current_record",
            "select r.id, a.digest, r.status, l.name from deployment_records r "
            "join artifacts a on a.id = r.artifact_id "
            "join logical_environments l on l.id = r.logical_environment_id "
            "where r.environment_id = $1::uuid and r.deployment_name = $2 and r.is_current "
            "for update of r");
  c.prepare("retire_record",
            "update deployment_records set is_current = false, "
            "status = case when $2 then 'SUPERSEDED' else status end, "
            "updated_at = case when $2 then clock_timestamp() else updated_at end "
            "where id = $1::uuid");
  c.prepare("insert_record",
            "with t as (select clock_timestamp() as now) "
            "insert into deployment_records (environment_id, deployment_name, "
            "logical_environment_id, artifact_id, status, is_current, created_at, updated_at, "
            "last_seen_at) select $1::uuid, $2, $3::uuid, $4::uuid, $5, true, t.now, t.now, t.now "
            "from t returning id");
  c.prepare("update_record",
            "with t as (select clock_timestamp() as now) "
            "update deployment_records set status = $2, logical_environment_id = $3::uuid, "
            "last_seen_at = t.now, updated_at = case when $4 then t.now else updated_at end, "
            "revision = revision + case when $4 then 1 else 0 end "
            "from t where id = $1::uuid");
  c.prepare("held_before",
            "select exists (select 1 from deployment_records where environment_id = $1::uuid "
            "and deployment_name = $2 and artifact_id = $3::uuid)");
  c.prepare("enqueue_event",
            "insert into event_outbox (event_id, event_type, slot_key, event_time, payload) "
            "values ($1, $2, $3, $4, $5)");
  c.prepare(
      "load_record",
      "select r.id, r.environment_id, e.name, r.deployment_name, r.logical_environment_id, "
      "l.name, r.artifact_id, a.kind, a.name, a.version, a.digest, r.status, " +
          micros("r.created_at") + ", " + micros("r.updated_at") + ", " + micros("r.last_seen_at") +
          ", r.revision from deployment_records r join environments e on e.id = r.environment_id "
          "join logical_environments l on l.id = r.logical_environment_id "
          "join artifacts a on a.id = r.artifact_id where r.id = $1::uuid");
  c.prepare("notify", "select pg_notify($1, $2)");
}

// The merged artifact after a request: given values win, absent ones keep what is stored.
struct ArtifactRow {
  std::string kind;
  std::string name;
  std::string version;

  bool operator==(const ArtifactRow&) const = default;
};

ArtifactRow merge(const ArtifactRow& stored, const DeploymentRequest& request) {
  ArtifactRow out = stored;
  if (request.kind != ArtifactKind::kUnspecified) {
    out.kind = std::string(toWireName(request.kind));
  }
  if (request.artifact_name && !request.artifact_name->empty()) {
    out.name = *request.artifact_name;
  }
  if (request.artifact_version && !request.artifact_version->empty()) {
    out.version = *request.artifact_version;
  }
  return out;
}

}  // namespace

RecordStore::RecordStore(std::string database_url, std::chrono::milliseconds statement_timeout)
    : database_url_(std::move(database_url)), statement_timeout_(statement_timeout) {}

RecordStore::~RecordStore() = default;

pqxx::connection& RecordStore::connection() {
  if (connection_ && connection_->is_open()) {
    return *connection_;
  }
  connection_.reset();
  try {
    auto fresh = std::make_unique<pqxx::connection>(database_url_);
    pqxx::nontransaction setup(*fresh);
    setup.exec("set statement_timeout = " + std::to_string(statement_timeout_.count()));
    setup.commit();
    prepareStatements(*fresh);
    connection_ = std::move(fresh);
  } catch (const pqxx::broken_connection& e) {
    throw StoreError(std::string("connecting to the database: ") + e.what(), true);
  }
  return *connection_;
}

std::vector<AppliedCommand> RecordStore::applyBatch(const std::vector<Command>& commands) {
  std::vector<AppliedCommand> results;
  results.reserve(commands.size());
  pending_environments_.clear();
  pending_logical_environments_.clear();
  try {
    pqxx::work tx(connection());
    for (const auto& command : commands) {
      results.push_back(applyOne(tx, command));
      const auto& applied = results.back();
      if (command.reply_to && isReplyChannel(*command.reply_to)) {
        tx.exec_prepared("notify", *command.reply_to,
                         encodeReply({*command.correlation_id, Reply::Outcome::kRecorded,
                                      encodeRecordResponse(applied.record)}));
      }
    }
    tx.commit();
  } catch (const pqxx::in_doubt_error& e) {
    // The commit may or may not have happened; applying again is safe, as every command is
    // claimed by its identity.
    connection_.reset();
    throw StoreError(std::string("commit outcome unknown: ") + e.what(), true);
  } catch (const pqxx::broken_connection& e) {
    connection_.reset();
    throw StoreError(std::string("database connection lost: ") + e.what(), true);
  } catch (const pqxx::sql_error& e) {
    throw StoreError(
        std::string("applying commands failed: ") + e.what() + " [SQLSTATE " + e.sqlstate() + "]",
        isRetryableState(e.sqlstate()));
  }
  environments_.merge(pending_environments_);
  logical_environments_.merge(pending_logical_environments_);
  return results;
}

AppliedCommand RecordStore::applyOne(pqxx::dbtransaction& tx, const Command& command) {
  const auto& request = command.request;

  // Claim the command's identity; a command seen before answers with the record it produced.
  if (tx.exec_prepared("claim_command", command.source, command.id).empty()) {
    const auto row = tx.exec_prepared1("claimed_record", command.source, command.id);
    return {loadRecord(tx, row[0].as<std::string>()), true};
  }

  const auto environment_id = environmentId(tx, request.environment_name);
  const auto logical_id = logicalEnvironmentId(tx, request.logical_environment_name);

  // Create the artifact on first use, or fill in what the request names.
  std::string artifact_id;
  bool artifact_changed = false;
  const auto requested =
      merge({std::string(toWireName(ArtifactKind::kUnspecified)), "", ""}, request);
  if (auto inserted = tx.exec_prepared("insert_artifact", request.artifact_digest, requested.kind,
                                       requested.name, requested.version);
      !inserted.empty()) {
    artifact_id = inserted[0][0].as<std::string>();
  } else {
    const auto row = tx.exec_prepared1("select_artifact", request.artifact_digest);
    artifact_id = row[0].as<std::string>();
    const ArtifactRow stored{row[1].as<std::string>(), row[2].as<std::string>(),
                             row[3].as<std::string>()};
    const auto merged = merge(stored, request);
    if (merged != stored) {
      tx.exec_prepared("update_artifact", artifact_id, merged.kind, merged.name, merged.version);
      artifact_changed = true;
    }
  }

  // Plan against the slot's current record, locked until commit.
  std::optional<CurrentRecord> current;
  std::string current_id;
  if (auto row = tx.exec_prepared("current_record", environment_id, request.deployment_name);
      !row.empty()) {
    current_id = row[0][0].as<std::string>();
    current = CurrentRecord{
        row[0][1].as<std::string>(),
        parseDeploymentStatus(row[0][2].as<std::string>()).value_or(DeploymentStatus::kDeployed),
        row[0][3].as<std::string>()};
  }
  const auto plan = planTransition(current, request, artifact_changed);
  const std::string status(toWireName(plan.status));

  // Apply the plan.
  std::string record_id;
  bool held_before = false;
  if (plan.action == RecordAction::kCreate) {
    if (current) {
      tx.exec_prepared("retire_record", current_id, plan.supersede_previous);
      held_before =
          plan.supersede_previous &&
          tx.exec_prepared1("held_before", environment_id, request.deployment_name, artifact_id)[0]
              .as<bool>();
    }
    record_id = tx.exec_prepared1("insert_record", environment_id, request.deployment_name,
                                  logical_id, artifact_id, status)[0]
                    .as<std::string>();
  } else {
    record_id = current_id;
    tx.exec_prepared("update_record", record_id, status, logical_id, plan.material_change);
  }
  tx.exec_prepared("settle_command", command.source, command.id, record_id);
  int revision = 0;
  auto record = loadRecord(tx, record_id, &revision);

  // Queue the change's event in the same transaction: it is published if and only if the change
  // commits.
  ServiceEvent event{classifyChange(plan, held_before), eventId(record_id, revision), record,
                     std::nullopt};
  if (event.kind == EventKind::kUpgraded || event.kind == EventKind::kRolledBack) {
    event.supersession = Supersession{current_id, current->artifact_digest, record_id};
  }
  if (event.kind != EventKind::kNone) {
    tx.exec_prepared("enqueue_event", event.id, std::string(cdEventType(event.kind)),
                     request.slot().key(), formatRfc3339(record.updated_at),
                     encodeServiceEvent(event));
  }
  return {std::move(record), false};
}

std::string RecordStore::environmentId(pqxx::dbtransaction& tx, const std::string& name) {
  if (auto it = environments_.find(name); it != environments_.end()) {
    return it->second;
  }
  return ensureNamed(tx, "environments", name, pending_environments_);
}

std::string RecordStore::logicalEnvironmentId(pqxx::dbtransaction& tx, const std::string& name) {
  if (auto it = logical_environments_.find(name); it != logical_environments_.end()) {
    return it->second;
  }
  return ensureNamed(tx, "logical_environments", name, pending_logical_environments_);
}

std::string RecordStore::ensureNamed(pqxx::dbtransaction& tx, const std::string& table,
                                     const std::string& name,
                                     std::map<std::string, std::string>& pending) {
  if (auto it = pending.find(name); it != pending.end()) {
    return it->second;
  }
  // The table name is one of two constants, never client input.
  auto row = tx.exec_params(
      "insert into " + table + " (name) values ($1) on conflict (name) do nothing returning id",
      name);
  if (row.empty()) {
    row = tx.exec_params("select id from " + table + " where name = $1", name);
  }
  const auto id = row.at(0)[0].as<std::string>();
  pending.emplace(name, id);
  return id;
}

DeploymentRecord RecordStore::loadRecord(pqxx::dbtransaction& tx, const std::string& id,
                                         int* revision) {
  const auto row = tx.exec_prepared1("load_record", id);
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
  if (revision != nullptr) {
    *revision = row[15].as<int>();
  }
  return record;
}

void RecordStore::notifyRejected(const Command& command, const std::string& reason) {
  if (!command.reply_to || !isReplyChannel(*command.reply_to)) {
    return;
  }
  try {
    pqxx::nontransaction tx(connection());
    tx.exec_prepared("notify", *command.reply_to,
                     encodeReply({*command.correlation_id, Reply::Outcome::kRejected, reason}));
  } catch (const pqxx::broken_connection& e) {
    connection_.reset();
    throw StoreError(std::string("notifying a rejection: ") + e.what(), true);
  } catch (const pqxx::sql_error& e) {
    throw StoreError(std::string("notifying a rejection: ") + e.what(),
                     isRetryableState(e.sqlstate()));
  }
}

bool RecordStore::ping() {
  try {
    pqxx::nontransaction tx(connection());
    tx.exec("select 1");
    return true;
  } catch (const std::exception&) {
    connection_.reset();
    return false;
  }
}

}  // namespace ledger::recorder
