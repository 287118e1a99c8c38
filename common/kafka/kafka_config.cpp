#include "common/kafka/kafka_config.h"

#include <stdexcept>

#include "common/log.h"

namespace ledger::kafka {

namespace {

// librdkafka's own log lines go through the service's logger, as structured records.
void forwardLog(const rd_kafka_t* client, int level, const char* facility, const char* message) {
  const auto severity = level <= 3   ? log::Level::kError
                        : level <= 5 ? log::Level::kWarn
                        : level == 6 ? log::Level::kInfo
                                     : log::Level::kDebug;
  log::write(severity, "kafka client",
             {{"client", rd_kafka_name(client)}, {"facility", facility}, {"detail", message}});
}

}  // namespace

Conf makeConf(const Settings& settings) {
  Conf conf(rd_kafka_conf_new());
  rd_kafka_conf_set_log_cb(conf.get(), forwardLog);
  char error[512];
  for (const auto& [name, value] : settings) {
    if (rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), error, sizeof error) !=
        RD_KAFKA_CONF_OK) {
      throw std::runtime_error("kafka setting " + name + "=" + value + " refused: " + error);
    }
  }
  return conf;
}

Handle makeClient(rd_kafka_type_t type, Conf conf) {
  char error[512];
  rd_kafka_t* handle = rd_kafka_new(type, conf.get(), error, sizeof error);
  if (handle == nullptr) {
    throw std::runtime_error(std::string("creating kafka client failed: ") + error);
  }
  conf.release();  // rd_kafka_new took ownership on success
  return Handle(handle);
}

std::optional<std::string> headerValue(rd_kafka_headers_t* headers, const char* name) {
  if (headers == nullptr) {
    return std::nullopt;
  }
  const void* value = nullptr;
  size_t size = 0;
  if (rd_kafka_header_get_last(headers, name, &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      value == nullptr) {
    return std::nullopt;
  }
  return std::string(static_cast<const char*>(value), size);
}

}  // namespace ledger::kafka
