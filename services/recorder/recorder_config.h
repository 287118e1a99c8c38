// The recorder's configuration: one typed, read-only struct parsed once at start-up.
#pragma once

#include <chrono>
#include <string>
#include <variant>

#include "common/option_set.h"

namespace ledger::recorder {

struct RecorderConfig {
  std::string brokers = "127.0.0.1:19092";
  std::string commands_topic = "deployments.commands";
  std::string dead_letter_topic = "deployments.dead-letter";
  std::string events_topic = "deployments.events";
  int outbox_batch_max = 500;
  std::chrono::milliseconds outbox_poll{200};
  std::chrono::milliseconds outbox_linger{10};
  std::string group_id = "deployment-ledger-recorder";
  int topic_partitions = 6;
  std::string database_url = "postgresql://postgres@127.0.0.1:15432/ledger";
  int batch_max = 1000;
  int workers = 2;
  std::chrono::milliseconds batch_linger{10};
  std::chrono::milliseconds statement_timeout{10000};
  std::chrono::milliseconds retry_backoff_max{5000};
  std::chrono::milliseconds startup_timeout{60000};
  std::chrono::milliseconds kafka_timeout{10000};
  std::string admin_address = "127.0.0.1";
  int admin_port = 8081;
  std::string kafka_debug;  // librdkafka debug contexts, e.g. "consumer,fetch"; empty: none
  std::string log_level = "info";
  std::string log_format = "json";
  bool migrate_only = false;
};

// The parsed configuration, or what to print and the exit status when start-up must stop.
std::variant<RecorderConfig, ConfigExit> parseRecorderConfig(int argc, const char* const* argv);

}  // namespace ledger::recorder
