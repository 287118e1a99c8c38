#include "services/recorder/migrator.h"

#include <pqxx/pqxx>

#include <set>

#include "common/log.h"
#include "services/recorder/store_error.h"

namespace ledger::recorder {
namespace {

// Any constant works, as long as nothing else in the database takes the same advisory lock.
constexpr long long kMigrationLockKey = 0x6c6564676572;  // "ledger"

}  // namespace

int migrate(const std::string& database_url) {
  int applied = 0;
  try {
    pqxx::connection connection(database_url);
    pqxx::nontransaction session(connection);
    session.exec("select pg_advisory_lock(" + std::to_string(kMigrationLockKey) + ")");
    session.exec(
        "create table if not exists schema_migrations (version integer primary key, "
        "name text not null, applied_at timestamptz not null default now())");
    std::set<int> done;
    for (const auto& row : session.exec("select version from schema_migrations")) {
      done.insert(row[0].as<int>());
    }
    session.commit();

    for (const auto& migration : embeddedMigrations()) {
      if (done.count(migration.version) != 0) {
        continue;
      }
      pqxx::work work(connection);
      work.exec(std::string(migration.sql));
      work.exec_params("insert into schema_migrations (version, name) values ($1, $2)",
                       migration.version, std::string(migration.name));
      work.commit();
      ++applied;
      log::info("applied schema migration", {{"version", std::to_string(migration.version)},
                                             {"name", std::string(migration.name)}});
    }
    pqxx::nontransaction unlock(connection);
    unlock.exec("select pg_advisory_unlock(" + std::to_string(kMigrationLockKey) + ")");
  } catch (const pqxx::broken_connection& e) {
    throw StoreError(std::string("migrating the schema: database unreachable: ") + e.what(), true);
  } catch (const std::exception& e) {
    throw StoreError(std::string("migrating the schema failed: ") + e.what(), false);
  }
  return applied;
}

}  // namespace ledger::recorder
