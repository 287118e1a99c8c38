// Ids of the rows the recorder creates: UUID version 7 (RFC 9562), whose first 48 bits are the
// Unix time in milliseconds. Ids made later sort later, so new rows land at the right-hand edge
// of their primary key's index instead of on random pages. Thread-safe (the random bits come
// from a per-thread generator).
#pragma once

#include <cstdint>
#include <string>

namespace ledger {

// A version 7 UUID in lowercase canonical form for the given Unix time in milliseconds, the rest
// of its bits random.
std::string timeOrderedUuid(std::int64_t unix_millis);

// The same for the current time of the system clock.
std::string timeOrderedUuid();

}  // namespace ledger
