#include "common/log.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>

#include "common/timestamp.h"

namespace ledger::log {
namespace {

struct State {
  std::shared_ptr<spdlog::logger> logger;
  std::string service = "ledger";
  Format format = Format::kJson;
  Level level = Level::kInfo;
};

State& state() {
  static State instance;
  return instance;
}

std::string_view levelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

spdlog::level::level_enum toSpdlog(Level level) {
  switch (level) {
    case Level::kDebug:
      return spdlog::level::debug;
    case Level::kInfo:
      return spdlog::level::info;
    case Level::kWarn:
      return spdlog::level::warn;
    case Level::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

}  // namespace

std::string init(std::string_view service, std::string_view level, std::string_view format) {
  auto& s = state();
  if (level == "debug") {
    s.level = Level::kDebug;
  } else if (level == "info") {
    s.level = Level::kInfo;
  } else if (level == "warn") {
    s.level = Level::kWarn;
  } else if (level == "error") {
    s.level = Level::kError;
  } else {
    return "log level \"" + std::string(level) + "\" is not one of debug, info, warn, error";
  }
  if (format == "json") {
    s.format = Format::kJson;
  } else if (format == "text") {
    s.format = Format::kText;
  } else {
    return "log format \"" + std::string(format) + "\" is not one of json, text";
  }
  s.service = std::string(service);
  s.logger = spdlog::stdout_logger_mt(s.service);
  s.logger->set_pattern("%v");
  s.logger->set_level(toSpdlog(s.level));
  s.logger->flush_on(spdlog::level::debug);
  return {};
}

bool RateLimiter::allow(std::string_view message, std::int64_t now_micros,
                        std::int64_t* suppressed) {
  std::lock_guard lock(mutex_);
  auto it = windows_.find(message);
  if (it == windows_.end()) {
    it = windows_.emplace(std::string(message), Window{}).first;
  }
  auto& window = it->second;
  if (now_micros - window.start >= 1'000'000) {
    window.start = now_micros;
    window.count = 0;
  }
  if (window.count >= limit_) {
    ++window.suppressed;
    return false;
  }
  ++window.count;
  *suppressed = window.suppressed;
  window.suppressed = 0;
  return true;
}

void write(Level level, std::string_view message, std::initializer_list<Field> fields) {
  auto& s = state();
  if (level < s.level) {
    return;
  }
  const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  static RateLimiter limiter(20);
  std::int64_t suppressed = 0;
  if (level >= Level::kWarn && !limiter.allow(message, now.count(), &suppressed)) {
    return;
  }
  auto line = render(s.format, s.service, level, formatRfc3339(now.count()), message, fields);
  if (suppressed > 0) {
    line = s.format == Format::kJson ? line.substr(0, line.size() - 1) + ",\"suppressed\":\"" +
                                           std::to_string(suppressed) + "\"}"
                                     : line + " suppressed=" + std::to_string(suppressed);
  }
  if (s.logger) {
    s.logger->log(toSpdlog(level), "{}", line);
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
}

std::string render(Format format, std::string_view service, Level level, std::string_view time,
                   std::string_view message, std::initializer_list<Field> fields) {
  if (format == Format::kText) {
    std::string out = std::string(time) + " " + std::string(levelName(level)) + " [" +
                      std::string(service) + "] " + std::string(message);
    for (const auto& field : fields) {
      out += " " + std::string(field.key) + "=" + field.value;
    }
    return out;
  }
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  auto put = [&writer](std::string_view key, std::string_view value) {
    writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  };
  writer.StartObject();
  put("time", time);
  put("level", levelName(level));
  put("service", service);
  put("message", message);
  for (const auto& field : fields) {
    put(field.key, field.value);
  }
  writer.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace ledger::log
