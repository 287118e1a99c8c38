// Latency percentiles for the benchmarks.
#pragma once

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace ledger::testing {

// "p50 1.23 ms, p95 ..., p99 ..., max ..." of samples given in seconds.
inline std::string describeLatencies(std::vector<double> seconds) {
  if (seconds.empty()) {
    return "no samples";
  }
  std::sort(seconds.begin(), seconds.end());
  auto at = [&](double quantile) {
    return seconds[std::min(seconds.size() - 1,
                            static_cast<std::size_t>(quantile * seconds.size()))];
  };
  char buffer[160];
  std::snprintf(buffer, sizeof buffer, "p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, max %.2f ms",
                at(0.50) * 1e3, at(0.95) * 1e3, at(0.99) * 1e3, seconds.back() * 1e3);
  return buffer;
}

}  // namespace ledger::testing
