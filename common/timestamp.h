// RFC 3339 rendering of the ledger's timestamps. Pure, thread-safe.
#pragma once

#include <string>

#include "common/deployment.h"

namespace ledger {

// "2026-12-03T18:40:00.123456Z": UTC, always six fractional digits.
std::string formatRfc3339(TimestampMicros micros);

}  // namespace ledger
