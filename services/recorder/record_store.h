// Applies commands to PostgreSQL: the adapter between the state machine in common/ and the
// ledger's tables. A batch is planned in memory against rows read and locked by a few set-based
// statements, then written with one statement per table, so its round trips do not grow with its
// size. Owns one connection; not thread-safe (one store per consumer thread).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <pqxx/connection>
#include <string>
#include <utility>
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
  // the transaction commits). Returns one result per command. Blocks. Throws StoreError; on
  // error nothing of the batch is applied.
  std::vector<AppliedCommand> applyBatch(const std::vector<Command>& commands);

  // Tells a waiting gateway that its command was rejected. Blocks; throws StoreError.
  void notifyRejected(const Command& command, const std::string& reason);

  // True when the database answers right now. Blocks up to the statement timeout.
  bool ping();

  // (organization, name) to id of environments and logical environments known to exist.
  using NameCache = std::map<std::pair<std::string, std::string>, std::string>;

 private:
  pqxx::connection& connection();

  std::string database_url_;
  std::chrono::milliseconds statement_timeout_;
  std::unique_ptr<pqxx::connection> connection_;
  NameCache environments_;
  NameCache logical_environments_;
};

}  // namespace ledger::recorder
