#include "common/timestamp.h"

#include <chrono>

namespace ledger {
namespace {

// Writes value as exactly width decimal digits ending just before end; returns the new end.
char* writeDigits(char* end, long long value, int width) {
  for (int i = 0; i < width; ++i) {
    *--end = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return end;
}

}  // namespace

std::string formatRfc3339(TimestampMicros micros) {
  using namespace std::chrono;
  const sys_time<microseconds> point{microseconds{micros}};
  const auto day = floor<days>(point);
  const year_month_day date{day};
  const hh_mm_ss time{point - day};

  // Filled from the right: "YYYY-MM-DDTHH:MM:SS.ffffffZ" is 27 characters.
  std::string out(27, '\0');
  char* end = out.data() + out.size();
  *--end = 'Z';
  end = writeDigits(end, time.subseconds().count(), 6);
  *--end = '.';
  end = writeDigits(end, time.seconds().count(), 2);
  *--end = ':';
  end = writeDigits(end, time.minutes().count(), 2);
  *--end = ':';
  end = writeDigits(end, time.hours().count(), 2);
  *--end = 'T';
  end = writeDigits(end, unsigned(date.day()), 2);
  *--end = '-';
  end = writeDigits(end, unsigned(date.month()), 2);
  *--end = '-';
  writeDigits(end, int(date.year()), 4);
  return out;
}

}  // namespace ledger
