#include "services/recorder/record_store.h"

#include <pqxx/pqxx>

#include <algorithm>
#include <chrono>
#include <set>
#include <stdexcept>

#include "common/json_codec.h"
#include "common/pg/record_row.h"
#include "common/record_id.h"
#include "common/record_transition.h"
#include "common/reply.h"
#include "common/service_event.h"
#include "common/timestamp.h"
#include "services/recorder/store_error.h"

namespace ledger::recorder {
namespace {

using pg::micros;

// SQLSTATE classes that say the connection or the server is gone, or that the transaction lost a
// race it may win next time; all other errors are refusals of the work itself. Unique and
// exclusion violations are races too: every insert the store makes is planned against rows it
// locked or read, so only two recorders briefly sharing a partition can collide.
bool isRetryableState(const std::string& state) {
  const auto klass = state.substr(0, 2);
  return klass == "08" || klass == "53" || klass == "57" || state == "40001" || state == "40P01" ||
         state == "23505" || state == "23P01";
}

// PostgreSQL array literals, one element per row of a set-based statement over a batch. Built
// in one buffer: str() closes the literal where it lies, and add() must not follow it.
class ArrayLiteral {
 public:
  void add(std::string_view value) {
    separate();
    text_.push_back('"');
    // Copy runs of plain characters whole; quote and backslash get a backslash before them.
    std::size_t start = 0;
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (value[i] == '"' || value[i] == '\\') {
        text_.append(value.data() + start, i - start);
        text_.push_back('\\');
        start = i;
      }
    }
    text_.append(value.data() + start, value.size() - start);
    text_.push_back('"');
  }
  void add(bool value) {
    separate();
    text_.push_back(value ? 't' : 'f');
  }
  void add(int value) {
    separate();
    text_ += std::to_string(value);
  }

  void add(const char*) = delete;  // would otherwise convert to bool

  bool empty() const { return text_.size() == (closed_ ? 2u : 1u); }
  const std::string& str() {
    if (!closed_) {
      text_.push_back('}');
      closed_ = true;
    }
    return text_;
  }

 private:
  void separate() {
    if (text_.size() > 1) {
      text_.push_back(',');
    }
  }
  std::string text_ = "{";
  bool closed_ = false;
};

void prepareStatements(pqxx::connection& c) {
  // TODO(recorder): applied_commands grows forever; prune identities older than the commands
  // topic's retention, which no redelivery can reach.
  c.prepare("find_claims",
            "select c.organization, c.source, c.id from applied_commands c "
            "join unnest($1::text[], $2::text[], $3::text[]) as k (organization, source, id) "
            "on c.organization = k.organization and c.source = k.source and c.id = k.id");
  c.prepare("claimed_record",
            "select record_id from applied_commands "
            "where organization = $1 and source = $2 and id = $3");
  c.prepare("insert_artifacts",
            "insert into artifacts (id, organization, digest, kind, name, version) "
            "select * from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], "
            "$6::text[]) on conflict do nothing "
            "returning organization, digest, id, kind, name, version");
  c.prepare("select_artifacts",
            "select a.organization, a.digest, a.id, a.kind, a.name, a.version from artifacts a "
            "join unnest($1::text[], $2::text[]) as k (organization, digest) "
            "on a.organization = k.organization and a.digest = k.digest");
  c.prepare("lock_current_records",
            "select r.id, r.environment_id, r.deployment_name, a.digest, r.status, l.name, "
            "r.revision, " +
                micros("r.created_at") + ", " + micros("r.updated_at") + ", " +
                micros("r.last_seen_at") +
                ", r.organization, r.logical_environment_id, r.artifact_id "
                "from deployment_records r "
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
  // The batch's writes, each one statement whatever the batch's size. Records come in creation
  // order, so that seq orders a slot's history; the one-current-record rule is checked at
  // commit, after a slot's old record has been retired and its successor inserted.
  c.prepare("insert_records",
            "insert into deployment_records (id, organization, environment_id, deployment_name, "
            "logical_environment_id, artifact_id, status, is_current, created_at, updated_at, "
            "last_seen_at, revision) "
            "select id, organization, environment_id, deployment_name, logical_environment_id, "
            "artifact_id, status, is_current, created_at, updated_at, last_seen_at, revision "
            "from unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::uuid[], $6::uuid[], "
            "$7::text[], $8::boolean[], $9::timestamptz[], $10::timestamptz[], "
            "$11::timestamptz[], $12::int[]) with ordinality as w (id, organization, "
            "environment_id, deployment_name, logical_environment_id, artifact_id, status, "
            "is_current, created_at, updated_at, last_seen_at, revision, n) order by n");
  c.prepare("update_records",
            "update deployment_records r set status = w.status, is_current = w.is_current, "
            "logical_environment_id = w.logical_environment_id, updated_at = w.updated_at, "
            "last_seen_at = w.last_seen_at, revision = w.revision "
            "from unnest($1::uuid[], $2::text[], $3::boolean[], $4::uuid[], $5::timestamptz[], "
            "$6::timestamptz[], $7::int[]) as w (id, status, is_current, logical_environment_id, "
            "updated_at, last_seen_at, revision) where r.id = w.id");
  c.prepare("update_artifacts",
            "update artifacts a set kind = w.kind, name = w.name, version = w.version "
            "from unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) as w (id, kind, name, "
            "version) where a.id = w.id");
  c.prepare("insert_claims",
            "insert into applied_commands (organization, source, id, record_id) "
            "select * from unnest($1::text[], $2::text[], $3::text[], $4::uuid[]) "
            "on conflict do nothing");
  c.prepare("queue_events",
            "insert into event_outbox (event_id, event_type, slot_key, event_time, payload, "
            "traceparent, organization) "
            "select event_id, event_type, slot_key, event_time, payload, nullif(traceparent, ''), "
            "organization from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], "
            "$6::text[], $7::text[]) with ordinality as e (event_id, event_type, slot_key, "
            "event_time, payload, traceparent, organization, n) order by n");
  c.prepare("notify_all",
            "select count(pg_notify(channel, payload)) "
            "from unnest($1::text[], $2::text[]) as n (channel, payload)");
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

// A deployment record row as the batch will leave it.
struct RecordRow {
  std::string id;
  std::string organization;
  std::string environment_id;
  std::string deployment_name;
  std::string logical_environment_id;
  std::string artifact_id;
  DeploymentStatus status = DeploymentStatus::kDeployed;
  bool is_current = true;
  TimestampMicros created_at = 0;
  TimestampMicros updated_at = 0;
  TimestampMicros last_seen_at = 0;
  int revision = 1;
  bool inserted = false;  // created by this batch, so far only in memory
};

// What a slot holds while a batch runs: its current record, kept up to date command by command.
struct SlotState {
  RecordRow row;
  CurrentRecord current;
};

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

// One batch inside one transaction. The batch is planned in memory, command by command, against
// the rows it read and locked up front; its writes then go out as one statement per table.
// Ids of environments it creates wait in pending until the transaction commits, so that a
// rolled-back insert never leaves a dangling id in the cache.
// Thrown when a batch applied without looking up its claims finds, on claiming, that some of its
// commands were applied before: the batch is rolled back and applied again, looking them up.
struct ClaimedBefore : std::exception {
  const char* what() const noexcept override { return "commands of the batch were applied before"; }
};

class BatchApplier {
 public:
  // look_up_claims: read which commands were applied before, up front. Without it the batch
  // assumes none were and throws ClaimedBefore when its claims say otherwise; redeliveries are
  // rare, and the lookup is a round trip and an index probe per command.
  BatchApplier(pqxx::dbtransaction& tx, const RecordStore::NameCache& environments,
               const RecordStore::NameCache& logical_environments, bool look_up_claims)
      : tx_(tx),
        environments_(environments),
        logical_environments_(logical_environments),
        look_up_claims_(look_up_claims) {}

  std::vector<AppliedCommand> apply(const std::vector<Command>& commands) {
    if (look_up_claims_) {
      findClaims(commands);
    }
    resolveNames(commands);
    loadArtifacts(commands);
    lockSlots(commands);
    loadHistory(commands);

    std::vector<AppliedCommand> results(commands.size());
    std::vector<std::size_t> applied_before;
    for (std::size_t i = 0; i < commands.size(); ++i) {
      const auto& command = commands[i];
      const Identity identity{command.organization, command.source, command.id};
      if (claimed_before_.count(identity) != 0) {
        applied_before.push_back(i);
      } else if (auto first = claims_.find(identity); first != claims_.end()) {
        // The second of two equal identities within the batch answers as the first did.
        results[i] = {results[first->second].record, true};
        queueReply(command, results[i].record);
      } else {
        claims_.emplace(identity, i);
        results[i] = {applyOne(command), false};
      }
    }
    writeAll(results);
    for (const auto i : applied_before) {
      results[i] = {loadClaimedRecord(commands[i]), true};
    }
    sendReplies();
    return results;
  }

  RecordStore::NameCache pending_environments;
  RecordStore::NameCache pending_logical_environments;

 private:
  using Identity = std::tuple<std::string, std::string, std::string>;
  using SlotKey = std::pair<std::string, std::string>;  // environment id, deployment name

  // Which commands were applied by an earlier transaction.
  void findClaims(const std::vector<Command>& commands) {
    ArrayLiteral organizations, sources, ids;
    for (const auto& command : commands) {
      organizations.add(command.organization);
      sources.add(command.source);
      ids.add(command.id);
    }
    for (const auto& row :
         tx_.exec_prepared("find_claims", organizations.str(), sources.str(), ids.str())) {
      claimed_before_.insert(
          {row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>()});
    }
  }

  void loadArtifacts(const std::vector<Command>& commands) {
    // Each digest with the first request of the batch that names it.
    std::map<std::pair<std::string, std::string>, const DeploymentRequest*> keys;
    for (const auto& command : commands) {
      keys.emplace(std::make_pair(command.organization, command.request.artifact_digest),
                   &command.request);
    }
    // Create the new ones, with ids of the recorder's making and the details their first request
    // gives, then read the others.
    ArrayLiteral ids, organizations, digests, kinds, names, versions;
    const ArtifactState unknown{"", std::string(toWireName(ArtifactKind::kUnspecified)), "", ""};
    for (const auto& [key, request] : keys) {
      const auto details = merge(unknown, *request);
      ids.add(timeOrderedUuid());
      organizations.add(key.first);
      digests.add(key.second);
      kinds.add(details.kind);
      names.add(details.name);
      versions.add(details.version);
    }
    const auto keep = [this](const pqxx::result& rows) {
      for (const auto& row : rows) {
        artifacts_[{row[0].as<std::string>(), row[1].as<std::string>()}] =
            ArtifactState{row[2].as<std::string>(), row[3].as<std::string>(),
                          row[4].as<std::string>(), row[5].as<std::string>()};
      }
    };
    keep(tx_.exec_prepared("insert_artifacts", ids.str(), organizations.str(), digests.str(),
                           kinds.str(), names.str(), versions.str()));
    if (artifacts_.size() < keys.size()) {
      ArrayLiteral known_organizations, known_digests;
      for (const auto& [key, request] : keys) {
        if (artifacts_.count(key) == 0) {
          known_organizations.add(key.first);
          known_digests.add(key.second);
        }
      }
      keep(tx_.exec_prepared("select_artifacts", known_organizations.str(), known_digests.str()));
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
    ArrayLiteral environment_ids, names;
    for (const auto& [environment_id, name] : keys) {
      environment_ids.add(environment_id);
      names.add(name);
    }
    for (const auto& row :
         tx_.exec_prepared("lock_current_records", environment_ids.str(), names.str())) {
      const auto status =
          parseDeploymentStatus(row[4].as<std::string>()).value_or(DeploymentStatus::kDeployed);
      SlotState slot;
      slot.row.id = row[0].as<std::string>();
      slot.row.environment_id = row[1].as<std::string>();
      slot.row.deployment_name = row[2].as<std::string>();
      slot.row.status = status;
      slot.row.revision = row[6].as<int>();
      slot.row.created_at = row[7].as<TimestampMicros>();
      slot.row.updated_at = row[8].as<TimestampMicros>();
      slot.row.last_seen_at = row[9].as<TimestampMicros>();
      slot.row.organization = row[10].as<std::string>();
      slot.row.logical_environment_id = row[11].as<std::string>();
      slot.row.artifact_id = row[12].as<std::string>();
      slot.current = CurrentRecord{row[3].as<std::string>(), status, row[5].as<std::string>()};
      slots_[{slot.row.environment_id, slot.row.deployment_name}] = std::move(slot);
    }
  }

  // Which (slot, artifact) pairs of the batch have held their slot before.
  void loadHistory(const std::vector<Command>& commands) {
    ArrayLiteral environment_ids, names, artifact_ids;
    for (const auto& command : commands) {
      environment_ids.add(environmentId(command.organization, command.request.environment_name));
      names.add(command.request.deployment_name);
      artifact_ids.add(artifacts_.at({command.organization, command.request.artifact_digest}).id);
    }
    for (const auto& row :
         tx_.exec_prepared("held_before", environment_ids.str(), names.str(), artifact_ids.str())) {
      held_.emplace(row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>());
    }
  }

  // Plans one command against the batch's view of its slot and queues its writes.
  DeploymentRecord applyOne(const Command& command) {
    const auto& request = command.request;

    // The artifact, filled in with what the request names.
    auto& artifact = artifacts_.at({command.organization, request.artifact_digest});
    const auto merged = merge(artifact, request);
    const bool artifact_changed = !sameDetails(merged, artifact);
    if (artifact_changed) {
      artifact = merged;
      changed_artifacts_.insert(artifact.id);
    }

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

    // Time comes from this clock, kept moving forward per slot.
    auto now = nowMicros();
    if (current) {
      now = std::max(now, std::max(slot->second.row.updated_at, slot->second.row.last_seen_at) + 1);
    }

    RecordRow row;
    std::string retired_id;
    if (create) {
      if (current) {
        auto& previous = slot->second.row;
        retired_id = previous.id;
        previous.is_current = false;
        if (plan.supersede_previous) {
          previous.status = DeploymentStatus::kSuperseded;
          previous.updated_at = now;
        }
        queueWrite(previous);
      }
      row.id = timeOrderedUuid();
      row.organization = command.organization;
      row.environment_id = environment_id;
      row.deployment_name = request.deployment_name;
      row.artifact_id = artifact.id;
      row.created_at = now;
      row.updated_at = now;
      row.revision = 1;
      row.inserted = true;
    } else {
      row = slot->second.row;
      if (plan.material_change) {
        row.updated_at = now;
        ++row.revision;
      }
    }
    row.logical_environment_id = logical_id;
    row.status = plan.status;
    row.is_current = true;
    row.last_seen_at = now;
    queueWrite(row);

    DeploymentRecord record;
    record.id = row.id;
    record.created_at = row.created_at;
    record.updated_at = row.updated_at;
    record.last_seen_at = row.last_seen_at;
    record.environment_id = environment_id;
    record.environment_name = request.environment_name;
    record.deployment_name = request.deployment_name;
    record.logical_environment_id = logical_id;
    record.logical_environment_name = request.logical_environment_name;
    record.artifact_id = artifact.id;
    record.artifact = {artifact.kind, artifact.name, artifact.version, request.artifact_digest};
    record.status = plan.status;
    const bool held_before =
        create && held_.count({environment_id, request.deployment_name, artifact.id}) != 0;

    // The change's event and the reply travel with the change: both happen if it commits.
    ServiceEvent event{classifyChange(plan, held_before), eventId(record.id, row.revision),
                       command.organization, record, std::nullopt};
    if (event.kind == EventKind::kUpgraded || event.kind == EventKind::kRolledBack) {
      event.supersession = Supersession{retired_id, current->artifact_digest, record.id};
    }
    if (event.kind != EventKind::kNone) {
      const auto time = formatRfc3339(record.updated_at);
      events_.ids.add(event.id);
      events_.types.add(cdEventType(event.kind));
      events_.slot_keys.add(request.slot().key());
      events_.times.add(time);
      events_.payloads.add(encodeServiceEvent(event));
      events_.traceparents.add(command.trace ? command.trace->traceparent() : std::string());
      events_.organizations.add(command.organization);
    }
    queueReply(command, record);

    held_.emplace(environment_id, request.deployment_name, artifact.id);
    slots_[slot_key] = SlotState{
        row, CurrentRecord{request.artifact_digest, plan.status, request.logical_environment_name}};
    return record;
  }

  // Keeps the latest state of a row the batch writes; a row written twice is written once.
  void queueWrite(const RecordRow& row) {
    if (auto it = write_index_.find(row.id); it != write_index_.end()) {
      writes_[it->second] = row;
      return;
    }
    write_index_.emplace(row.id, writes_.size());
    writes_.push_back(row);
  }

  void queueReply(const Command& command, const DeploymentRecord& record) {
    if (command.reply_to && isReplyChannel(*command.reply_to)) {
      reply_channels_.add(*command.reply_to);
      reply_payloads_.add(encodeReply(
          {*command.correlation_id, Reply::Outcome::kRecorded, encodeRecordResponse(record)}));
    }
  }

  // Sends the batch's writes: records, artifacts, claims and events, one statement each.
  void writeAll(const std::vector<AppliedCommand>& results) {
    struct {
      ArrayLiteral ids, organizations, environment_ids, names, logical_ids, artifact_ids, statuses,
          currents, created, updated, seen, revisions;
    } inserted;
    struct {
      ArrayLiteral ids, statuses, currents, logical_ids, updated, seen, revisions;
    } updated;
    std::size_t inserts = 0;
    std::size_t updates = 0;
    for (const auto& row : writes_) {
      const auto status = toWireName(row.status);
      if (row.inserted) {
        ++inserts;
        inserted.ids.add(row.id);
        inserted.organizations.add(row.organization);
        inserted.environment_ids.add(row.environment_id);
        inserted.names.add(row.deployment_name);
        inserted.logical_ids.add(row.logical_environment_id);
        inserted.artifact_ids.add(row.artifact_id);
        inserted.statuses.add(status);
        inserted.currents.add(row.is_current);
        inserted.created.add(formatRfc3339(row.created_at));
        inserted.updated.add(formatRfc3339(row.updated_at));
        inserted.seen.add(formatRfc3339(row.last_seen_at));
        inserted.revisions.add(row.revision);
      } else {
        ++updates;
        updated.ids.add(row.id);
        updated.statuses.add(status);
        updated.currents.add(row.is_current);
        updated.logical_ids.add(row.logical_environment_id);
        updated.updated.add(formatRfc3339(row.updated_at));
        updated.seen.add(formatRfc3339(row.last_seen_at));
        updated.revisions.add(row.revision);
      }
    }
    if (updates > 0) {
      tx_.exec_prepared("update_records", updated.ids.str(), updated.statuses.str(),
                        updated.currents.str(), updated.logical_ids.str(), updated.updated.str(),
                        updated.seen.str(), updated.revisions.str());
    }
    if (inserts > 0) {
      tx_.exec_prepared("insert_records", inserted.ids.str(), inserted.organizations.str(),
                        inserted.environment_ids.str(), inserted.names.str(),
                        inserted.logical_ids.str(), inserted.artifact_ids.str(),
                        inserted.statuses.str(), inserted.currents.str(), inserted.created.str(),
                        inserted.updated.str(), inserted.seen.str(), inserted.revisions.str());
    }

    if (!changed_artifacts_.empty()) {
      ArrayLiteral ids, kinds, names, versions;
      for (const auto& [key, artifact] : artifacts_) {
        if (changed_artifacts_.count(artifact.id) != 0) {
          ids.add(artifact.id);
          kinds.add(artifact.kind);
          names.add(artifact.name);
          versions.add(artifact.version);
        }
      }
      tx_.exec_prepared("update_artifacts", ids.str(), kinds.str(), names.str(), versions.str());
    }

    if (!claims_.empty()) {
      ArrayLiteral organizations, sources, ids, record_ids;
      for (const auto& [identity, index] : claims_) {
        organizations.add(std::get<0>(identity));
        sources.add(std::get<1>(identity));
        ids.add(std::get<2>(identity));
        record_ids.add(results[index].record.id);
      }
      const auto claimed = tx_.exec_prepared("insert_claims", organizations.str(), sources.str(),
                                             ids.str(), record_ids.str());
      if (claimed.affected_rows() != claims_.size()) {
        if (!look_up_claims_) {
          throw ClaimedBefore{};
        }
        // Another recorder applied some of these commands since this batch looked.
        throw StoreError("commands of the batch were claimed concurrently", true);
      }
    }

    if (!events_.ids.empty()) {
      tx_.exec_prepared("queue_events", events_.ids.str(), events_.types.str(),
                        events_.slot_keys.str(), events_.times.str(), events_.payloads.str(),
                        events_.traceparents.str(), events_.organizations.str());
    }
  }

  void sendReplies() {
    if (!reply_channels_.empty()) {
      tx_.exec_prepared("notify_all", reply_channels_.str(), reply_payloads_.str());
    }
  }

  // A command applied by an earlier transaction answers with the record it produced, as that
  // record is now.
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
    queueReply(command, record);
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
                      const RecordStore::NameCache& pending) const {
    const auto key = std::make_pair(organization, name);
    if (auto it = known.find(key); it != known.end()) {
      return it->second;
    }
    if (auto it = pending.find(key); it != pending.end()) {
      return it->second;
    }
    throw std::logic_error(table + " row for " + organization + "/" + name +
                           " was not resolved before planning");
  }

  // Creates the environments and logical environments the batch names that the caches lack, one
  // statement per table. They are created in sorted order, so that batches applied side by side
  // take the unique index's locks in the same order and cannot deadlock.
  void resolveNames(const std::vector<Command>& commands) {
    std::set<std::pair<std::string, std::string>> environments, logical_environments;
    for (const auto& command : commands) {
      std::pair<std::string, std::string> environment{command.organization,
                                                      command.request.environment_name};
      if (environments_.count(environment) == 0) {
        environments.insert(std::move(environment));
      }
      std::pair<std::string, std::string> logical{command.organization,
                                                  command.request.logical_environment_name};
      if (logical_environments_.count(logical) == 0) {
        logical_environments.insert(std::move(logical));
      }
    }
    createNamed("environments", environments, pending_environments);
    createNamed("logical_environments", logical_environments, pending_logical_environments);
  }

  void createNamed(const std::string& table,
                   const std::set<std::pair<std::string, std::string>>& wanted,
                   RecordStore::NameCache& pending) {
    if (wanted.empty()) {
      return;
    }
    ArrayLiteral organizations, names;
    for (const auto& [organization, name] : wanted) {
      organizations.add(organization);
      names.add(name);
    }
    // The table name is one of two constants, never client input.
    tx_.exec_params("insert into " + table +
                        " (organization, name) select * from unnest($1::text[], $2::text[]) "
                        "as k (organization, name) order by organization, name "
                        "on conflict (organization, name) do nothing",
                    organizations.str(), names.str());
    std::size_t found = 0;
    for (const auto& row :
         tx_.exec_params("select t.organization, t.name, t.id from " + table +
                             " t join unnest($1::text[], $2::text[]) as k (organization, name) "
                             "on t.organization = k.organization and t.name = k.name",
                         organizations.str(), names.str())) {
      pending.emplace(std::make_pair(row[0].as<std::string>(), row[1].as<std::string>()),
                      row[2].as<std::string>());
      ++found;
    }
    if (found != wanted.size()) {
      throw StoreError(table + " rows created concurrently are not visible yet", true);
    }
  }

  pqxx::dbtransaction& tx_;
  const RecordStore::NameCache& environments_;
  const RecordStore::NameCache& logical_environments_;
  const bool look_up_claims_;
  std::set<Identity> claimed_before_;
  std::map<Identity, std::size_t> claims_;  // identities this batch claims, to their command
  std::map<std::pair<std::string, std::string>, ArtifactState> artifacts_;
  std::set<std::string> changed_artifacts_;
  std::map<SlotKey, SlotState> slots_;
  std::set<std::tuple<std::string, std::string, std::string>> held_;
  std::vector<RecordRow> writes_;
  std::map<std::string, std::size_t> write_index_;
  struct {
    ArrayLiteral ids, types, slot_keys, times, payloads, traceparents, organizations;
  } events_;
  ArrayLiteral reply_channels_;
  ArrayLiteral reply_payloads_;
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
    // First as if no command had been applied before; if some had, again, looking them up.
    for (const bool look_up_claims : {false, true}) {
      try {
        pqxx::work tx(connection());
        BatchApplier batch(tx, environments_, logical_environments_, look_up_claims);
        auto results = batch.apply(commands);
        tx.commit();
        environments_.merge(batch.pending_environments);
        logical_environments_.merge(batch.pending_logical_environments);
        return results;
      } catch (const ClaimedBefore&) {
        continue;  // the transaction rolled back as it went out of scope
      }
    }
    throw std::logic_error("a batch that looked up its claims reported them unlooked-up");
  } catch (const pqxx::in_doubt_error& e) {
    // The commit may or may not have happened; applying again is safe, as every command is
    // claimed by its identity.
    connection_.reset();
    throw StoreError(std::string("commit outcome unknown: ") + e.what(), true);
  } catch (const pqxx::broken_connection& e) {
    connection_.reset();
    throw StoreError(std::string("database connection lost: ") + e.what(), true);
  } catch (const pqxx::transaction_rollback& e) {
    // Deadlocks and serialization failures: in this libpqxx they are not sql_errors, and trying
    // again is what the server asks for.
    throw StoreError(std::string("applying commands lost a race: ") + e.what(), true);
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
  } catch (const pqxx::transaction_rollback& e) {
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
