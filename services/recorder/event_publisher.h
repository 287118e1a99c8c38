// Publishes the event outbox to the events topic, oldest first, and deletes what the broker has
// acknowledged. Several recorders may run one each: an advisory lock lets one publish at a time,
// which keeps each slot's events in order. Delivery is at least once: a crash between the
// broker's acknowledgement and the delete publishes those events again, with the same ids.
// Runs its own thread with its own connection and producer.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include <memory>
#include <pqxx/connection>

#include "common/kafka/kafka_config.h"
#include "common/metrics.h"

namespace ledger::recorder {

struct EventPublisherSettings {
  std::string brokers;
  std::string topic;
  std::string database_url;
  int batch_max = 500;
  std::chrono::milliseconds idle_poll{200};
  // Shortest time from one pass to the next after a pass that published something.
  std::chrono::milliseconds linger{10};
  std::chrono::milliseconds delivery_timeout{10000};
  std::chrono::milliseconds retry_backoff_max{5000};
};

class EventPublisher {
 public:
  EventPublisher(EventPublisherSettings settings, metrics::Counter& published,
                 metrics::Counter& errors);
  // Stops the thread after one last pass over the outbox.
  ~EventPublisher();

  void start();
  // Wakes the publisher now (after a commit that queued events) instead of at its next poll.
  void wake();

 private:
  void run();
  // Publishes one batch; returns how many events it published. Throws on failure.
  int publishBatch();
  // Vacuums the outbox once enough rows were deleted since the last time. A failure is logged,
  // not thrown.
  void vacuumIfDue(int deleted);

  EventPublisherSettings settings_;
  metrics::Counter& published_;
  metrics::Counter& errors_;
  kafka::Handle producer_;
  std::unique_ptr<pqxx::connection> connection_;  // used on the publisher thread only
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool woken_ = false;
  int deleted_since_vacuum_ = 0;  // publisher thread only
  std::thread thread_;
};

}  // namespace ledger::recorder
