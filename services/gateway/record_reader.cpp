#include "services/gateway/record_reader.h"

#include <pqxx/pqxx>

#include "common/pg/record_row.h"

namespace ledger::gateway {
namespace {

using pg::kRecordColumns;
using pg::kRecordJoins;
using pg::toRecord;

// The WHERE clause for a query and its parameters ($1 is the organization). Names resolve to
// ids through their unique indexes, so that each filter can use a records index ending in seq.
struct Filter {
  std::string where;
  std::vector<std::string> params;
};

Filter buildFilter(const std::string& organization, const ListQuery& query) {
  Filter filter{"where r.organization = $1", {organization}};
  auto add = [&filter](const std::string& condition, const std::string& value) {
    filter.params.push_back(value);
    std::string text = condition;
    const auto at = text.find('?');
    text.replace(at, 1, "$" + std::to_string(filter.params.size()));
    filter.where += " and " + text;
  };
  if (query.environment_name) {
    add("r.environment_id = (select id from environments where organization = $1 and name = ?)",
        *query.environment_name);
  }
  if (query.logical_environment_name) {
    add("r.logical_environment_id = (select id from logical_environments "
        "where organization = $1 and name = ?)",
        *query.logical_environment_name);
  }
  if (query.deployment_name) {
    add("r.deployment_name = ?", *query.deployment_name);
  }
  if (query.artifact_digest) {
    add("r.artifact_id = (select id from artifacts where organization = $1 and digest = ?)",
        *query.artifact_digest);
  }
  if (query.status && *query.status != DeploymentStatus::kUnspecified) {
    add("r.status = ?", std::string(toWireName(*query.status)));
  }
  if (query.kind) {
    add("r.artifact_id in (select id from artifacts where organization = $1 and kind = ?)",
        std::string(toWireName(*query.kind)));
  }
  return filter;
}

std::string pageSql(const Filter& filter, const ListQuery& query) {
  return "select " + kRecordColumns + kRecordJoins + filter.where + " order by r.seq desc limit " +
         std::to_string(query.page_size) + " offset " +
         std::to_string(query.page * query.page_size);
}

}  // namespace

// Returns its connection to the pool when it goes out of scope, unless the connection broke.
class RecordReader::Lease {
 public:
  explicit Lease(RecordReader& reader) : reader_(reader), connection_(reader.acquire()) {}
  ~Lease() {
    if (connection_ && connection_->is_open()) {
      reader_.release(std::move(connection_));
    } else {
      reader_.release(nullptr);
    }
  }
  pqxx::connection& operator*() { return *connection_; }

 private:
  RecordReader& reader_;
  std::unique_ptr<pqxx::connection> connection_;
};

RecordReader::RecordReader(std::string database_url, int pool_size,
                           std::chrono::milliseconds statement_timeout)
    : database_url_(std::move(database_url)),
      statement_timeout_(statement_timeout),
      unopened_(pool_size) {}

RecordReader::~RecordReader() = default;

std::unique_ptr<pqxx::connection> RecordReader::acquire() {
  std::unique_lock lock(mutex_);
  available_.wait(lock, [this] { return !idle_.empty() || unopened_ > 0; });
  if (!idle_.empty()) {
    auto connection = std::move(idle_.back());
    idle_.pop_back();
    return connection;
  }
  --unopened_;
  lock.unlock();
  try {
    auto connection = std::make_unique<pqxx::connection>(database_url_);
    pqxx::nontransaction setup(*connection);
    setup.exec("set statement_timeout = " + std::to_string(statement_timeout_.count()));
    setup.exec("set default_transaction_read_only = on");
    return connection;
  } catch (...) {
    release(nullptr);
    throw;
  }
}

void RecordReader::release(std::unique_ptr<pqxx::connection> connection) {
  {
    std::lock_guard lock(mutex_);
    if (connection) {
      idle_.push_back(std::move(connection));
    } else {
      ++unopened_;  // a broken connection frees its place for a new one
    }
  }
  available_.notify_one();
}

ListPage RecordReader::list(const std::string& organization, const ListQuery& query) {
  const auto filter = buildFilter(organization, query);
  Lease lease(*this);
  pqxx::read_transaction tx(*lease);
  ListPage page;
  for (const auto& row :
       tx.exec_params(pageSql(filter, query), pqxx::prepare::make_dynamic_params(filter.params))) {
    page.records.push_back(toRecord(row));
  }
  page.total_count = tx.exec_params("select count(*) from deployment_records r " + filter.where,
                                    pqxx::prepare::make_dynamic_params(filter.params))[0][0]
                         .as<std::int64_t>();
  return page;
}

std::optional<DeploymentRecord> RecordReader::get(const std::string& organization,
                                                  const std::string& id) {
  Lease lease(*this);
  pqxx::read_transaction tx(*lease);
  const auto rows = tx.exec_params(
      "select " + kRecordColumns + kRecordJoins + "where r.id = $1::uuid and r.organization = $2",
      id, organization);
  if (rows.empty()) {
    return std::nullopt;
  }
  return toRecord(rows[0]);
}

std::string RecordReader::explainList(const std::string& organization, const ListQuery& query) {
  const auto filter = buildFilter(organization, query);
  Lease lease(*this);
  pqxx::read_transaction tx(*lease);
  std::string plan;
  for (const auto& row : tx.exec_params("explain " + pageSql(filter, query),
                                        pqxx::prepare::make_dynamic_params(filter.params))) {
    plan += row[0].as<std::string>() + "\n";
  }
  return plan;
}

}  // namespace ledger::gateway
