#include "common/timestamp.h"

#include <chrono>
#include <cstdio>

namespace ledger {

std::string formatRfc3339(TimestampMicros micros) {
  using namespace std::chrono;
  const sys_time<microseconds> point{microseconds{micros}};
  const auto day = floor<days>(point);
  const year_month_day date{day};
  const hh_mm_ss time{point - day};
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02ld:%02ld:%02lldZ", int(date.year()),
                unsigned(date.month()), unsigned(date.day()), long(time.hours().count()),
                long(time.minutes().count()), static_cast<long long>(time.seconds().count()));
  std::string out(buffer);
  char fraction[8];
  std::snprintf(fraction, sizeof fraction, ".%06lld",
                static_cast<long long>(time.subseconds().count()));
  out.insert(out.size() - 1, fraction);
  return out;
}

}  // namespace ledger
