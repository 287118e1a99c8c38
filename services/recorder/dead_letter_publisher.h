// Publishes messages the recorder cannot apply to the dead-letter topic, unchanged (key, value,
// headers), with headers saying why and where they came from. Blocking; not thread-safe.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <string>

#include "common/kafka/kafka_config.h"

namespace ledger::recorder {

inline constexpr const char* kHeaderDeadLetterReason = "ledger_dlq_reason";
inline constexpr const char* kHeaderDeadLetterCode = "ledger_dlq_error_code";
inline constexpr const char* kHeaderDeadLetterTopic = "ledger_dlq_original_topic";
inline constexpr const char* kHeaderDeadLetterPartition = "ledger_dlq_original_partition";
inline constexpr const char* kHeaderDeadLetterOffset = "ledger_dlq_original_offset";

class DeadLetterPublisher {
 public:
  DeadLetterPublisher(const std::string& brokers, std::string topic,
                      std::chrono::milliseconds timeout);

  // Publishes a copy of message and waits until the broker has it. Returns an empty string on
  // success, else what failed (the caller retries: a message is never skipped unpublished).
  std::string publish(const rd_kafka_message_t& message, std::string_view code,
                      const std::string& reason);

 private:
  std::string topic_;
  std::chrono::milliseconds timeout_;
  kafka::Handle producer_;
};

}  // namespace ledger::recorder
