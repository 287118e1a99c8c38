// The recorder's consume loop: reads commands one message at a time, applies them in batches
// (one transaction each), dead-letters what cannot be applied, and marks messages consumed only
// after their effect is committed. Runs on the calling thread; not thread-safe.
#pragma once

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/kafka/kafka_config.h"
#include "services/recorder/command_decoder.h"
#include "services/recorder/dead_letter_publisher.h"
#include "services/recorder/record_store.h"
#include "services/recorder/recorder_config.h"
#include "services/recorder/recorder_metrics.h"

namespace ledger::recorder {

class CommandConsumer {
 public:
  // after_commit runs on the consumer thread after each committed batch.
  CommandConsumer(const RecorderConfig& config, RecordStore& store,
                  DeadLetterPublisher& dead_letters, RecorderMetrics& metrics,
                  std::function<void()> after_commit);
  ~CommandConsumer();

  // Consumes until stop becomes true, then applies what it holds, commits offsets and leaves the
  // consumer group. Throws std::runtime_error if Kafka refuses the subscription, or if applying a
  // batch failed other than with a StoreError (inside a rebalance too).
  void run(const std::atomic<bool>& stop);

 private:
  struct MessageDeleter {
    void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
  };
  using Message = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;

  struct Pending {
    Message message;
    DecodeOutcome decoded;
    // Reply routing from the headers, kept so that a gateway waiting on a poison message hears
    // of its rejection.
    std::optional<std::string> reply_to;
    std::optional<std::string> correlation_id;
    std::optional<std::string> traceparent;
  };

  static void onRebalance(rd_kafka_t* consumer, rd_kafka_resp_err_t event,
                          rd_kafka_topic_partition_list_t* partitions, void* opaque);

  void accept(Message message);
  // Applies the pending batch and stores its offsets. Returns false, storing nothing, if stop was
  // requested while the database or the dead-letter topic was unreachable.
  bool flush();
  // False when stop was requested before every command was settled.
  bool applyOneByOne(std::vector<Pending*>& valid);
  bool deadLetter(Pending& pending, std::string_view code, const std::string& reason);
  void storeOffsets();
  // Applies a batch and records its metrics; throws what the store throws.
  void apply(const std::vector<Command>& commands);
  // Sleeps for the current backoff (doubling up to the maximum). False if stop was requested.
  bool backOff(std::chrono::milliseconds& backoff);
  // Rethrows, as std::runtime_error, what the rebalance callback caught.
  void throwIfRebalanceFailed() const;

  const RecorderConfig& config_;
  RecordStore& store_;
  DeadLetterPublisher& dead_letters_;
  RecorderMetrics& metrics_;
  std::function<void()> after_commit_;
  kafka::Handle consumer_;
  const std::atomic<bool>* stop_ = nullptr;
  // Set while partitions are being revoked: the batch gets one try, and what fails is left for
  // the partitions' next owner instead of holding up the group's rebalance.
  bool revoking_ = false;
  // What a batch applied inside the rebalance callback threw; rethrown by run().
  std::string rebalance_failure_;
  std::vector<Pending> pending_;
  std::chrono::steady_clock::time_point batch_deadline_;
};

}  // namespace ledger::recorder
