// Versioned schema migrations, embedded in the binary from schemas/migrations at build time.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ledger::recorder {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

// Every migration in schemas/migrations, in version order. Defined in a generated file.
const std::vector<Migration>& embeddedMigrations();

// Applies each migration the database lacks, each in its own transaction, under an advisory
// lock so that recorders starting together apply each one once. Blocks; returns how many were
// applied. Throws StoreError.
int migrate(const std::string& database_url);

}  // namespace ledger::recorder
