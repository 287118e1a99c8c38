// Publishes record-deployment commands to Kafka with an idempotent producer (acks=all), keyed by
// slot. A background thread serves delivery reports and reports failures through a callback.
// publish() never blocks and is thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/kafka/kafka_config.h"
#include "common/metrics.h"

namespace ledger::gateway {

class CommandPublisher {
 public:
  // Called on the delivery thread for a command Kafka did not take, with its correlation id and
  // the reason.
  using DeliveryFailed =
      std::function<void(const std::string& correlation_id, const std::string& reason)>;
  using Headers = std::vector<std::pair<std::string, std::string>>;

  CommandPublisher(const std::string& brokers, std::string topic,
                   std::chrono::milliseconds produce_timeout, DeliveryFailed on_failure,
                   metrics::Histogram& delivery_duration, metrics::Counter& produce_errors);
  // Flushes what is queued (up to the produce timeout) and stops the delivery thread.
  ~CommandPublisher();

  // Queues a command. Returns an empty string when queued (the outcome arrives later), else why
  // Kafka cannot take it now.
  std::string publish(const std::string& key, const std::string& value, const Headers& headers,
                      const std::string& correlation_id);

  // Waits up to timeout for queued commands to be delivered. Blocks.
  void flush(std::chrono::milliseconds timeout);

  // True when a broker answered a metadata request within the last few seconds.
  bool brokerReachable() const { return broker_reachable_.load(); }

 private:
  static void onDelivery(rd_kafka_t* producer, const rd_kafka_message_t* message, void* opaque);
  void serveDeliveries();

  std::string topic_;
  std::chrono::milliseconds produce_timeout_;
  DeliveryFailed on_failure_;
  metrics::Histogram& delivery_duration_;
  metrics::Counter& produce_errors_;
  kafka::Handle producer_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> broker_reachable_{false};
  std::thread delivery_thread_;
};

}  // namespace ledger::gateway
