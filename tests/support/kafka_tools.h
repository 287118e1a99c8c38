// Direct Kafka access for integration tests: produce raw messages, read whole topics, and
// rewind a consumer group. Blocking; throws std::runtime_error on failure.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ledger::testing {

struct KafkaMessage {
  std::optional<std::string> key;
  std::string value;
  std::map<std::string, std::string> headers;
  int partition = 0;
  std::int64_t offset = 0;
};

// Produces one message and waits for the broker's acknowledgement. The partitioner is the
// gateway's (murmur2), so a slot key lands where the gateway's commands for that slot do.
void produce(const std::string& brokers, const std::string& topic,
             const std::optional<std::string>& key, const std::string& value,
             const std::map<std::string, std::string>& headers);

struct OutgoingMessage {
  std::string key;
  std::string value;
  std::map<std::string, std::string> headers;
};

// Produces all messages in order with one producer and waits for every acknowledgement.
void produceAll(const std::string& brokers, const std::string& topic,
                const std::vector<OutgoingMessage>& messages);

// Produces count messages made by next(i) for i = 0..count-1, in order, without holding them all
// in memory; throws if any was not acknowledged.
void produceGenerated(const std::string& brokers, const std::string& topic, std::int64_t count,
                      const std::function<OutgoingMessage(std::int64_t)>& next);

// Writes messages as JSON lines ({"topic","key","headers","value"}), for the schema validator.
void writeJsonLines(const std::string& path, const std::string& topic,
                    const std::vector<KafkaMessage>& messages);

// Every message in the topic now, in partition then offset order.
std::vector<KafkaMessage> readTopic(const std::string& brokers, const std::string& topic);

// The number of messages in the topic (sum of high watermarks).
std::int64_t topicSize(const std::string& brokers, const std::string& topic);

// Sum over partitions of (high watermark - committed offset of group); a group that committed
// nothing for a partition counts its whole size.
std::int64_t groupLag(const std::string& brokers, const std::string& group,
                      const std::string& topic);

// Commits offset 0 on every partition of topic for group (which must have no members), so that
// its next consumer reads everything again.
void rewindGroup(const std::string& brokers, const std::string& group, const std::string& topic);

void deleteTopic(const std::string& brokers, const std::string& topic);

}  // namespace ledger::testing
