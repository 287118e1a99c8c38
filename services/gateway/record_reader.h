// Reads records straight from PostgreSQL for the read side, through a bounded pool of
// connections. The calls block: run them on the gateway's query threads, never on an I/O thread.
// Thread-safe; at most pool_size queries run at once and further callers wait for a connection.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <pqxx/connection>
#include <string>
#include <vector>

#include "common/deployment.h"
#include "common/list_query.h"

namespace ledger::gateway {

class RecordReader {
 public:
  RecordReader(std::string database_url, int pool_size,
               std::chrono::milliseconds statement_timeout);
  ~RecordReader();

  // One page of the organization's records matching query, newest first, and the total count.
  // Throws std::runtime_error when the database fails.
  ListPage list(const std::string& organization, const ListQuery& query);

  // The record with this id if it exists and belongs to the organization.
  std::optional<DeploymentRecord> get(const std::string& organization, const std::string& id);

  // The plan PostgreSQL chooses for a list query (EXPLAIN output), for tests of index use.
  std::string explainList(const std::string& organization, const ListQuery& query);

 private:
  class Lease;
  std::unique_ptr<pqxx::connection> acquire();
  void release(std::unique_ptr<pqxx::connection> connection);

  std::string database_url_;
  std::chrono::milliseconds statement_timeout_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  int unopened_;  // connections the pool may still open
};

}  // namespace ledger::gateway
