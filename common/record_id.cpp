#include "common/record_id.h"

#include <chrono>
#include <random>

namespace ledger {

std::string timeOrderedUuid(std::int64_t unix_millis) {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  const std::uint64_t random_high = generator();
  const std::uint64_t random_low = generator();
  // unix_ts_ms (48 bits), version 7 (4 bits), rand_a (12 bits) | variant 10 (2), rand_b (62).
  const std::uint64_t high =
      (static_cast<std::uint64_t>(unix_millis) << 16) | 0x7000 | (random_high & 0x0fff);
  const std::uint64_t low = (random_low & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  // Canonical form: 8-4-4-4-12 hex digits.
  constexpr char kHex[] = "0123456789abcdef";
  std::string text(36, '-');
  int at = 0;
  for (int nibble = 15; nibble >= 0; --nibble) {
    if (at == 8 || at == 13) {
      ++at;
    }
    text[at++] = kHex[(high >> (nibble * 4)) & 0xf];
  }
  for (int nibble = 15; nibble >= 0; --nibble) {
    if (at == 18 || at == 23) {
      ++at;
    }
    text[at++] = kHex[(low >> (nibble * 4)) & 0xf];
  }
  return text;
}

std::string timeOrderedUuid() {
  return timeOrderedUuid(std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count());
}

}  // namespace ledger
