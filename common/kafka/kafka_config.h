// Building librdkafka configurations and client handles with errors that name the setting at
// fault. Blocking only where noted; thread-safe.
#pragma once

#include <librdkafka/rdkafka.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ledger::kafka {

using Settings = std::vector<std::pair<std::string, std::string>>;

struct HandleDeleter {
  void operator()(rd_kafka_t* handle) const { rd_kafka_destroy(handle); }
};
using Handle = std::unique_ptr<rd_kafka_t, HandleDeleter>;

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
using Conf = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;

// A configuration with every setting applied; throws std::runtime_error naming the first setting
// librdkafka refuses.
Conf makeConf(const Settings& settings);

// Creates a client from conf (taking ownership of it); throws std::runtime_error on failure.
Handle makeClient(rd_kafka_type_t type, Conf conf);

// The value of a header, if present with a value.
std::optional<std::string> headerValue(rd_kafka_headers_t* headers, const char* name);

}  // namespace ledger::kafka
