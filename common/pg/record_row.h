// Reading deployment records out of PostgreSQL rows, shared by the recorder and the gateway's
// read side: the column list, the joins that go with it, and the conversion of one row.
#pragma once

#include <pqxx/row>
#include <string>

#include "common/deployment.h"

namespace ledger::pg {

// "select " + kRecordColumns + kRecordJoins + "where ..." reads records aliased r.
extern const std::string kRecordColumns;
extern const std::string kRecordJoins;

// A timestamptz column as microseconds since the epoch, for the SQL select list.
std::string micros(const std::string& column);

// One row of kRecordColumns as a record. Throws pqxx's conversion errors on a malformed row.
DeploymentRecord toRecord(const pqxx::row& row);

}  // namespace ledger::pg
