#include "services/recorder/record_store.h"

#include <pqxx/pqxx>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <set>

#include "common/json_codec.h"
#include "common/pg/record_row.h"
#include "common/record_transition.h"
#include "common/reply.h"
#include "common/service_event.h"
#include "common/timestamp.h"
#include "services/recorder/store_error.h"

namespace ledger::recorder {
namespace {

using pg::micros;

// SQLSTATE classes that say the connection or the server is gone, or that the transaction lost a
// race it may win next time; all other errors are refusals of the work itself. A unique
// violation is a race too: every insert the store makes tolerates conflicts except a slot's
// second current record, which only two recorders briefly sharing a partition can cause.
bool isRetryableState(const std::string& state) {
  const auto klass = state.substr(0, 2);
  return klass == "08" || klass == "53" || klass == "57" || state == "40001" || state == "40P01" ||
         state == "23505";
}

// A PostgreSQL array literal of text values, for set-based statements over a batch.
std::string textArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    out += i ? ",\"" : "\"";
    for (char c : values[i]) {
      if (c == '"' || c == '\\') {
        out.push_back('\\');
      }
      out.push_back(c);
    }
    out.push_back('"');
  }
  return out + "}";
}

void prepareStatements(pqxx::connection& c) {
  // TODO(recorder): applied_commands grows forever; prune identities older than the commands
  // topic's retention, which no redelivery can reach.
  c.prepare("claim_commands",
            "insert into applied_commands (organization, source, id) "
            "select * from unnest($1::text[], $2::text[], $3::text[]) "
            "on conflict do nothing returning organization, source, id");
  c.prepare("claimed_record",
            "select record_id from applied_commands "
            "where organization = $1 and source = $2 and id = $3");
  c.prepare("insert_artifacts",
            "insert into artifacts (organization, digest) "
            "select * from unnest($1::text[], $2::text[]) on conflict do nothing");
  c.prepare("select_artifacts",
            "select a.organization, a.digest, a.id, a.kind, a.name, a.version from artifacts a "
            "join unnest($1::text[], $2::text[]) as k (organization, digest) "
            "on a.organization = k.organization and a.digest = k.digest");
  c.prepare("update_artifact",
            "update artifacts set kind = $2, name = $3, version = $4 where id = $1::uuid");
  c.prepare("lock_current_records",
            "select r.id, r.environment_id, r.deployment_name, a.digest, r.status, l.name, "
            "r.revision, " +
                micros("r.created_at") + ", " + micros("r.updated_at") + ", " +
                micros("r.last_seen_at") +
                " from deployment_records r "
                "join unnest($1::uuid[], $2::text[]) as s (environment_id, deployment_name) "
                "on r.environment_id = s.environment_id and r.deployment_name = s.deployment_name "
                "join artifacts a on a.id = r.artifact_id "
                "join logical_environments l on l.id = r.logical_environment_id "
                "where r.is_current order by r.id for update of r");
  // Which of the batch's (slot, artifact) pairs have held the slot before: a rollback if again.
  c.prepare("held_before",
            "select distinct r.environment_id, r.deployment_name, r.artifact_id "
            "from deployment_records r "
            "join unnest($1::uuid[], $2::text[], $3::uuid[]) as k (environment_id, "
            "deployment_name, artifact_id) on r.environment_id = k.environment_id "
            "and r.deployment_name = k.deployment_name and r.artifact_id = k.artifact_id");
  // One round trip per command: retire the current record (a create), insert or update the
  // record, settle the claim, queue the event and send the reply. The one-current-record rule is
  // checked at commit, so retiring and inserting in one statement is fine.
  c.prepare("write_command",
            "with retired as (update deployment_records set is_current = false, "
            "status = case when $14 then 'SUPERSEDED' else status end, "
            "updated_at = case when $14 then $10::timestamptz else updated_at end "
            "where $12 and id = nullif($13, '')::uuid), "
            "inserted as (insert into deployment_records (id, organization, environment_id, "
            "deployment_name, logical_environment_id, artifact_id, status, is_current, "
            "created_at, updated_at, last_seen_at, revision) select $1::uuid, $2, $3::uuid, $4, "
            "$5::uuid, $6::uuid, $7, true, $8::timestamptz, $9::timestamptz, $10::timestamptz, $11 "
            "where $12), "
            "updated as (update deployment_records set status = $7, logical_environment_id = "
            "$5::uuid, updated_at = $9::timestamptz, last_seen_at = $10::timestamptz, "
            "revision = $11 where not $12 and id = $1::uuid), "
            "settled as (update applied_commands set record_id = $1::uuid "
            "where organization = $2 and source = $15 and id = $16), "
            "queued as (insert into event_outbox (event_id, event_type, slot_key, event_time, "
            "payload, traceparent, organization) "
            "select $17, $18, $19, $20, $21, nullif($22, ''), $2 where $17 <> '') "
            "select pg_notify($23, $24) where $23 <> ''");
  c.prepare("load_record",
            "select " + pg::kRecordColumns + pg::kRecordJoins + "where r.id = $1::uuid");
  c.prepare("notify", "select pg_notify($1, $2)");
}

struct ArtifactState {
  std::string id;
  std::string kind;
  std::string name;
  std::string version;
};

// What a slot holds while a batch runs: its current record, kept up to date command by command.
struct SlotState {
  std::string record_id;
  CurrentRecord current;
  int revision = 1;
  TimestampMicros created_at = 0;
  TimestampMicros updated_at = 0;
  TimestampMicros last_seen_at = 0;
};

// A version 4 UUID in canonical text form.
std::string newUuid() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  std::uint64_t high = generator();
  std::uint64_t low = generator();
  high = (high & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  low = (low & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;    // RFC 4122 variant
  char text[37];
  std::snprintf(text, sizeof text, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(high >> 32),
                static_cast<unsigned>((high >> 16) & 0xffff), static_cast<unsigned>(high & 0xffff),
                static_cast<unsigned>(low >> 48),
                static_cast<unsigned long long>(low & 0xffffffffffffULL));
  return text;
}

TimestampMicros nowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The artifact after a request: given values win, absent ones keep what is stored.
ArtifactState merge(const ArtifactState& stored, const DeploymentRequest& request) {
  ArtifactState out = stored;
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

bool sameDetails(const ArtifactState& a, const ArtifactState& b) {
  return a.kind == b.kind && a.name == b.name && a.version == b.version;
}

// One batch inside one transaction. Ids of environments it creates wait in pending until the
// transaction commits, so that a rolled-back insert never leaves a dangling id in the cache.
class BatchApplier {
 public:
  BatchApplier(pqxx::dbtransaction& tx, const RecordStore::NameCache& environments,
               const RecordStore::NameCache& logical_environments)
      : tx_(tx), environments_(environments), logical_environments_(logical_environments) {}

  std::vector<AppliedCommand> apply(const std::vector<Command>& commands) {
    claim(commands);
    for (const auto& command : commands) {
      environmentId(command.organization, command.request.environment_name);
      logicalEnvironmentId(command.organization, command.request.logical_environment_name);
    }
    loadArtifacts(commands);
    lockSlots(commands);
    loadHistory(commands);

    std::vector<AppliedCommand> results;
    results.reserve(commands.size());
    for (const auto& command : commands) {
      results.push_back(applyOne(command));
    }
    return results;
  }

  RecordStore::NameCache pending_environments;
  RecordStore::NameCache pending_logical_environments;

 private:
  using Identity = std::tuple<std::string, std::string, std::string>;
  using SlotKey = std::pair<std::string, std::string>;  // environment id, deployment name

  // Claims every command's identity at once; a command not claimed now was applied before, and
  // so is the second of two equal identities within the batch.
  void claim(const std::vector<Command>& commands) {
    std::vector<std::string> organizations, sources, ids;
    for (const auto& command : commands) {
      organizations.push_back(command.organization);
      sources.push_back(command.source);
      ids.push_back(command.id);
    }
    for (const auto& row : tx_.exec_prepared("claim_commands", textArray(organizations),
                                             textArray(sources), textArray(ids))) {
      claimed_.insert(
          {row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>()});
    }
  }

  void loadArtifacts(const std::vector<Command>& commands) {
    std::set<std::pair<std::string, std::string>> keys;
    for (const auto& command : commands) {
      keys.emplace(command.organization, command.request.artifact_digest);
    }
    std::vector<std::string> organizations, digests;
    for (const auto& [organization, digest] : keys) {
      organizations.push_back(organization);
      digests.push_back(digest);
    }
    tx_.exec_prepared("insert_artifacts", textArray(organizations), textArray(digests));
    for (const auto& row :
         tx_.exec_prepared("select_artifacts", textArray(organizations), textArray(digests))) {
      artifacts_[{row[0].as<std::string>(), row[1].as<std::string>()}] =
          ArtifactState{row[2].as<std::string>(), row[3].as<std::string>(),
                        row[4].as<std::string>(), row[5].as<std::string>()};
    }
    if (artifacts_.size() != keys.size()) {
      // Another transaction inserted one of them after this statement's snapshot was taken.
      throw StoreError("an artifact created concurrently is not visible yet", true);
    }
  }

  // Locks the current record of every slot in the batch until commit.
  void lockSlots(const std::vector<Command>& commands) {
    std::set<SlotKey> keys;
    for (const auto& command : commands) {
      keys.emplace(environmentId(command.organization, command.request.environment_name),
                   command.request.deployment_name);
    }
    std::vector<std::string> environment_ids, names;
    for (const auto& [environment_id, name] : keys) {
      environment_ids.push_back(environment_id);
      names.push_back(name);
    }
    for (const auto& row :
         tx_.exec_prepared("lock_current_records", textArray(environment_ids), textArray(names))) {
      slots_[{row[1].as<std::string>(), row[2].as<std::string>()}] = SlotState{
          row[0].as<std::string>(),
          CurrentRecord{
              row[3].as<std::string>(),
              parseDeploymentStatus(row[4].as<std::string>()).value_or(DeploymentStatus::kDeployed),
              row[5].as<std::string>()},
          row[6].as<int>(),
          row[7].as<TimestampMicros>(),
          row[8].as<TimestampMicros>(),
          row[9].as<TimestampMicros>()};
    }
  }

  // Which (slot, artifact) pairs of the batch have held their slot before.
  void loadHistory(const std::vector<Command>& commands) {
    std::vector<std::string> environment_ids, names, artifact_ids;
    for (const auto& command : commands) {
      environment_ids.push_back(
          environmentId(command.organization, command.request.environment_name));
      names.push_back(command.request.deployment_name);
      artifact_ids.push_back(
          artifacts_.at({command.organization, command.request.artifact_digest}).id);
    }
    for (const auto& row : tx_.exec_prepared("held_before", textArray(environment_ids),
                                             textArray(names), textArray(artifact_ids))) {
      held_.emplace(row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>());
    }
  }

  AppliedCommand applyOne(const Command& command) {
    const auto& request = command.request;
    if (claimed_.erase({command.organization, command.source, command.id}) == 0) {
      return {loadClaimedRecord(command), true};
    }

    // The artifact, filled in with what the request names.
    auto& artifact = artifacts_.at({command.organization, request.artifact_digest});
    const auto merged = merge(artifact, request);
    const bool artifact_changed = !sameDetails(merged, artifact);
    if (artifact_changed) {
      tx_.exec_prepared("update_artifact", merged.id, merged.kind, merged.name, merged.version);
      artifact = merged;
    }

    // Plan against the slot's current record and apply the plan.
    const auto environment_id = environmentId(command.organization, request.environment_name);
    const auto logical_id =
        logicalEnvironmentId(command.organization, request.logical_environment_name);
    const SlotKey slot_key{environment_id, request.deployment_name};
    const auto slot = slots_.find(slot_key);
    std::optional<CurrentRecord> current;
    if (slot != slots_.end()) {
      current = slot->second.current;
    }
    const auto plan = planTransition(current, request, artifact_changed);
    const bool create = plan.action == RecordAction::kCreate;

    // The record as it will be. Time comes from this clock, kept moving forward per slot.
    auto now = nowMicros();
    if (current) {
      now = std::max(now, std::max(slot->second.updated_at, slot->second.last_seen_at) + 1);
    }
    DeploymentRecord record;
    record.id = create ? newUuid() : slot->second.record_id;
    record.created_at = create ? now : slot->second.created_at;
    record.updated_at = create || plan.material_change ? now : slot->second.updated_at;
    record.last_seen_at = now;
    record.environment_id = environment_id;
    record.environment_name = request.environment_name;
    record.deployment_name = request.deployment_name;
    record.logical_environment_id = logical_id;
    record.logical_environment_name = request.logical_environment_name;
    record.artifact_id = artifact.id;
    record.artifact = {artifact.kind, artifact.name, artifact.version, request.artifact_digest};
    record.status = plan.status;
    const int revision = create ? 1 : slot->second.revision + (plan.material_change ? 1 : 0);
    const bool held_before =
        create && held_.count({environment_id, request.deployment_name, artifact.id}) != 0;

    // The change's event and the reply travel with the change: both happen if it commits.
    ServiceEvent event{classifyChange(plan, held_before), eventId(record.id, revision),
                       command.organization, record, std::nullopt};
    if (event.kind == EventKind::kUpgraded || event.kind == EventKind::kRolledBack) {
      event.supersession =
          Supersession{slot->second.record_id, current->artifact_digest, record.id};
    }
    const bool has_event = event.kind != EventKind::kNone;
    const bool wants_reply = command.reply_to && isReplyChannel(*command.reply_to);
    tx_.exec_prepared("write_command", record.id, command.organization, environment_id,
                      request.deployment_name, logical_id, artifact.id,
                      std::string(toWireName(plan.status)), formatRfc3339(record.created_at),
                      formatRfc3339(record.updated_at), formatRfc3339(record.last_seen_at),
                      revision, create, create && current ? slot->second.record_id : std::string(),
                      plan.supersede_previous, command.source, command.id,
                      has_event ? event.id : std::string(), std::string(cdEventType(event.kind)),
                      request.slot().key(), formatRfc3339(record.updated_at),
                      has_event ? encodeServiceEvent(event) : std::string(),
                      command.trace ? command.trace->traceparent() : std::string(),
                      wants_reply ? *command.reply_to : std::string(),
                      wants_reply ? encodeReply({*command.correlation_id, Reply::Outcome::kRecorded,
                                                 encodeRecordResponse(record)})
                                  : std::string());

    held_.emplace(environment_id, request.deployment_name, artifact.id);
    slots_[slot_key] = SlotState{
        record.id,
        CurrentRecord{request.artifact_digest, plan.status, request.logical_environment_name},
        revision,
        record.created_at,
        record.updated_at,
        record.last_seen_at};
    return {std::move(record), false};
  }

  // A command applied before answers with the record it produced, as that record is now.
  DeploymentRecord loadClaimedRecord(const Command& command) {
    const auto claimed =
        tx_.exec_prepared("claimed_record", command.organization, command.source, command.id);
    if (claimed.empty() || claimed[0][0].is_null()) {
      throw StoreError("command " + command.source + "/" + command.id +
                           " is claimed but its record is not settled yet",
                       true);
    }
    const auto record =
        pg::toRecord(tx_.exec_prepared1("load_record", claimed[0][0].as<std::string>()));
    if (command.reply_to && isReplyChannel(*command.reply_to)) {
      tx_.exec_prepared("notify", *command.reply_to,
                        encodeReply({*command.correlation_id, Reply::Outcome::kRecorded,
                                     encodeRecordResponse(record)}));
    }
    return record;
  }

  std::string environmentId(const std::string& organization, const std::string& name) {
    return namedId("environments", organization, name, environments_, pending_environments);
  }

  std::string logicalEnvironmentId(const std::string& organization, const std::string& name) {
    return namedId("logical_environments", organization, name, logical_environments_,
                   pending_logical_environments);
  }

  std::string namedId(const std::string& table, const std::string& organization,
                      const std::string& name, const RecordStore::NameCache& known,
                      RecordStore::NameCache& pending) {
    const auto key = std::make_pair(organization, name);
    if (auto it = known.find(key); it != known.end()) {
      return it->second;
    }
    if (auto it = pending.find(key); it != pending.end()) {
      return it->second;
    }
    // The table name is one of two constants, never client input.
    auto rows = tx_.exec_params("insert into " + table +
                                    " (organization, name) values ($1, $2) "
                                    "on conflict (organization, name) do nothing returning id",
                                organization, name);
    if (rows.empty()) {
      rows = tx_.exec_params("select id from " + table + " where organization = $1 and name = $2",
                             organization, name);
    }
    if (rows.empty()) {
      throw StoreError(table + " row created concurrently is not visible yet", true);
    }
    const auto id = rows[0][0].as<std::string>();
    pending.emplace(key, id);
    return id;
  }

  pqxx::dbtransaction& tx_;
  const RecordStore::NameCache& environments_;
  const RecordStore::NameCache& logical_environments_;
  std::set<Identity> claimed_;
  std::map<std::pair<std::string, std::string>, ArtifactState> artifacts_;
  std::map<SlotKey, SlotState> slots_;
  std::set<std::tuple<std::string, std::string, std::string>> held_;
};

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
  if (commands.empty()) {
    return {};
  }
  try {
    pqxx::work tx(connection());
    BatchApplier batch(tx, environments_, logical_environments_);
    auto results = batch.apply(commands);
    tx.commit();
    environments_.merge(batch.pending_environments);
    logical_environments_.merge(batch.pending_logical_environments);
    return results;
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
