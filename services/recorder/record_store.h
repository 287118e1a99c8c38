// Applies commands to PostgreSQL: the adapter between the state machine in common/ and the
// ledger's tables. Owns one connection; not thread-safe (one store per consumer thread).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <pqxx/connection>
#include <pqxx/transaction>
#include <string>
#include <vector>

#include "common/deployment.h"
#include "services/recorder/command_decoder.h"

namespace ledger::recorder {

struct AppliedCommand {
  DeploymentRecord record;
  bool duplicate = false;  // the command had been applied before; nothing changed now
};

class RecordStore {
 public:
  RecordStore(std::string database_url, std::chrono::milliseconds statement_timeout);
  ~RecordStore();

  // Applies every command in order in one transaction. Inside it, queues each change's event in
  // the outbox and notifies the reply channel of each command that names one (delivered only if
  // the transaction commits). Returns one result per command. Blocks. Throws StoreError; on error
  // nothing of the batch is applied.
  std::vector<AppliedCommand> applyBatch(const std::vector<Command>& commands);

  // Tells a waiting gateway that its command was rejected. Blocks; throws StoreError.
  void notifyRejected(const Command& command, const std::string& reason);

  // True when the database answers right now. Blocks up to the statement timeout.
  bool ping();

 private:
  pqxx::connection& connection();
  AppliedCommand applyOne(pqxx::dbtransaction& tx, const Command& command);
  std::string environmentId(pqxx::dbtransaction& tx, const std::string& name);
  std::string logicalEnvironmentId(pqxx::dbtransaction& tx, const std::string& name);
  std::string ensureNamed(pqxx::dbtransaction& tx, const std::string& table,
                          const std::string& name, std::map<std::string, std::string>& cache);
  // The record in the API's shape; its revision (count of changes) goes to *revision if given.
  DeploymentRecord loadRecord(pqxx::dbtransaction& tx, const std::string& id,
                              int* revision = nullptr);

  std::string database_url_;
  std::chrono::milliseconds statement_timeout_;
  std::unique_ptr<pqxx::connection> connection_;
  // Name to id of environments known to exist. Ids created by a transaction wait in pending_ until
  // it commits, so a rolled-back insert never leaves a dangling id here.
  std::map<std::string, std::string> environments_;
  std::map<std::string, std::string> logical_environments_;
  std::map<std::string, std::string> pending_environments_;
  std::map<std::string, std::string> pending_logical_environments_;
};

}  // namespace ledger::recorder
