// Process-wide structured logging on stdout through spdlog: one JSON object a line (time, level,
// service, message, then the given fields), or a plain human format. Thread-safe after init().
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace ledger::log {

enum class Level { kDebug, kInfo, kWarn, kError };
enum class Format { kJson, kText };

struct Field {
  std::string_view key;
  std::string value;
};

// Returns an error naming the bad value, or empty. Call once, before any other thread logs.
std::string init(std::string_view service, std::string_view level, std::string_view format);

void write(Level level, std::string_view message, std::initializer_list<Field> fields = {});

inline void debug(std::string_view message, std::initializer_list<Field> fields = {}) {
  write(Level::kDebug, message, fields);
}
inline void info(std::string_view message, std::initializer_list<Field> fields = {}) {
  write(Level::kInfo, message, fields);
}
inline void warn(std::string_view message, std::initializer_list<Field> fields = {}) {
  write(Level::kWarn, message, fields);
}
inline void error(std::string_view message, std::initializer_list<Field> fields = {}) {
  write(Level::kError, message, fields);
}

// Lets through at most `limit` lines per message text in each one-second window; the rest are
// counted and reported on the next line that passes. Warnings and errors go through one, so that a
// failure repeating thousands of times a second cannot flood the log. Thread-safe.
class RateLimiter {
 public:
  explicit RateLimiter(int limit) : limit_(limit) {}

  // Whether a line with this message may be written at now (microseconds); when it may, sets
  // *suppressed to how many were held back since the last one that passed.
  bool allow(std::string_view message, std::int64_t now_micros, std::int64_t* suppressed);

 private:
  struct Window {
    std::int64_t start = 0;
    int count = 0;
    std::int64_t suppressed = 0;
  };
  int limit_;
  std::mutex mutex_;
  std::map<std::string, Window, std::less<>> windows_;
};

// Renders one line in the given format (without the trailing newline). Pure; for tests.
std::string render(Format format, std::string_view service, Level level, std::string_view time,
                   std::string_view message, std::initializer_list<Field> fields);

}  // namespace ledger::log
