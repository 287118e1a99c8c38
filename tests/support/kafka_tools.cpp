#include "tests/support/kafka_tools.h"

#include <librdkafka/rdkafka.h>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <algorithm>
#include <fstream>
#include <memory>
#include <stdexcept>

#include "common/kafka/kafka_config.h"

namespace ledger::testing {
namespace {

constexpr int kTimeoutMs = 10000;

std::vector<int> partitionsOf(rd_kafka_t* client, const std::string& topic) {
  rd_kafka_topic_t* handle = rd_kafka_topic_new(client, topic.c_str(), nullptr);
  const struct rd_kafka_metadata* metadata = nullptr;
  const auto error = rd_kafka_metadata(client, 0, handle, &metadata, kTimeoutMs);
  rd_kafka_topic_destroy(handle);
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw std::runtime_error("metadata of " + topic + ": " + rd_kafka_err2str(error));
  }
  std::vector<int> out;
  for (int i = 0; i < metadata->topic_cnt; ++i) {
    for (int p = 0; p < metadata->topics[i].partition_cnt; ++p) {
      out.push_back(metadata->topics[i].partitions[p].id);
    }
  }
  rd_kafka_metadata_destroy(metadata);
  return out;
}

std::int64_t highWatermark(rd_kafka_t* client, const std::string& topic, int partition) {
  int64_t low = 0;
  int64_t high = 0;
  const auto error =
      rd_kafka_query_watermark_offsets(client, topic.c_str(), partition, &low, &high, kTimeoutMs);
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw std::runtime_error("watermarks of " + topic + ": " + rd_kafka_err2str(error));
  }
  return high;
}

kafka::Handle consumerFor(const std::string& brokers, const std::string& group) {
  return kafka::makeClient(RD_KAFKA_CONSUMER, kafka::makeConf({{"bootstrap.servers", brokers},
                                                               {"group.id", group},
                                                               {"enable.auto.commit", "false"},
                                                               {"enable.partition.eof", "true"}}));
}

}  // namespace

void produce(const std::string& brokers, const std::string& topic,
             const std::optional<std::string>& key, const std::string& value,
             const std::map<std::string, std::string>& headers) {
  auto producer =
      kafka::makeClient(RD_KAFKA_PRODUCER, kafka::makeConf({{"bootstrap.servers", brokers},
                                                            {"enable.idempotence", "true"},
                                                            {"partitioner", "murmur2_random"}}));
  rd_kafka_headers_t* list = rd_kafka_headers_new(headers.size());
  for (const auto& [name, header_value] : headers) {
    rd_kafka_header_add(list, name.data(), static_cast<ssize_t>(name.size()), header_value.data(),
                        static_cast<ssize_t>(header_value.size()));
  }
  const auto error = rd_kafka_producev(
      producer.get(), RD_KAFKA_V_TOPIC(topic.c_str()),
      RD_KAFKA_V_KEY((key ? key->data() : nullptr), (key ? key->size() : 0)),
      RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(list), RD_KAFKA_V_END);
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_headers_destroy(list);
    throw std::runtime_error(std::string("produce: ") + rd_kafka_err2str(error));
  }
  if (rd_kafka_flush(producer.get(), kTimeoutMs) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw std::runtime_error("produce: not acknowledged in time");
  }
}

void produceAll(const std::string& brokers, const std::string& topic,
                const std::vector<OutgoingMessage>& messages) {
  produceGenerated(brokers, topic, static_cast<std::int64_t>(messages.size()),
                   [&](std::int64_t i) { return messages[static_cast<std::size_t>(i)]; });
}

namespace {

// Keeps the first delivery failure so that the producing thread can report it.
void recordDeliveryFailure(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    auto* failure = static_cast<std::string*>(opaque);
    if (failure->empty()) {
      *failure = rd_kafka_err2str(message->err);
    }
  }
}

}  // namespace

void produceGenerated(const std::string& brokers, const std::string& topic, std::int64_t count,
                      const std::function<OutgoingMessage(std::int64_t)>& next) {
  std::string failure;
  auto conf = kafka::makeConf({{"bootstrap.servers", brokers},
                               {"enable.idempotence", "true"},
                               {"linger.ms", "20"},
                               {"batch.size", "1000000"},
                               {"partitioner", "murmur2_random"}});
  rd_kafka_conf_set_dr_msg_cb(conf.get(), recordDeliveryFailure);
  rd_kafka_conf_set_opaque(conf.get(), &failure);
  auto producer = kafka::makeClient(RD_KAFKA_PRODUCER, std::move(conf));
  for (std::int64_t i = 0; i < count; ++i) {
    const auto message = next(i);
    rd_kafka_headers_t* list = rd_kafka_headers_new(message.headers.size());
    for (const auto& [name, value] : message.headers) {
      rd_kafka_header_add(list, name.data(), static_cast<ssize_t>(name.size()), value.data(),
                          static_cast<ssize_t>(value.size()));
    }
    while (true) {
      const auto error = rd_kafka_producev(
          producer.get(), RD_KAFKA_V_TOPIC(topic.c_str()),
          RD_KAFKA_V_KEY(message.key.data(), message.key.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(message.value.data()), message.value.size()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(list), RD_KAFKA_V_END);
      if (error == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(producer.get(), 50);
        continue;
      }
      if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_headers_destroy(list);
        throw std::runtime_error(std::string("produce: ") + rd_kafka_err2str(error));
      }
      break;
    }
    rd_kafka_poll(producer.get(), 0);
  }
  if (rd_kafka_flush(producer.get(), 120000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw std::runtime_error("produce: not all acknowledged within 120 s");
  }
  if (!failure.empty()) {
    throw std::runtime_error("produce: a message was not delivered: " + failure);
  }
}

void writeJsonLines(const std::string& path, const std::string& topic,
                    const std::vector<KafkaMessage>& messages) {
  std::ofstream out(path);
  for (const auto& message : messages) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    writer.StartObject();
    writer.Key("topic");
    writer.String(topic.c_str());
    writer.Key("key");
    writer.String(message.key.value_or("").c_str());
    writer.Key("headers");
    writer.StartObject();
    for (const auto& [name, value] : message.headers) {
      writer.Key(name.c_str());
      writer.String(value.c_str());
    }
    writer.EndObject();
    writer.Key("value");
    writer.String(message.value.data(), static_cast<rapidjson::SizeType>(message.value.size()));
    writer.EndObject();
    out << buffer.GetString() << "\n";
  }
}

std::vector<KafkaMessage> readTopic(const std::string& brokers, const std::string& topic) {
  auto consumer = consumerFor(brokers, "ledger-test-reader");
  const auto partitions = partitionsOf(consumer.get(), topic);
  rd_kafka_topic_partition_list_t* list =
      rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size()));
  int pending = 0;
  for (int partition : partitions) {
    if (highWatermark(consumer.get(), topic, partition) > 0) {
      rd_kafka_topic_partition_list_add(list, topic.c_str(), partition)->offset =
          RD_KAFKA_OFFSET_BEGINNING;
      ++pending;
    }
  }
  rd_kafka_assign(consumer.get(), list);
  rd_kafka_topic_partition_list_destroy(list);

  std::vector<KafkaMessage> out;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (pending > 0 && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer.get(), 200);
    if (message == nullptr) {
      continue;
    }
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      --pending;
    } else if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      KafkaMessage copy;
      if (message->key != nullptr) {
        copy.key = std::string(static_cast<const char*>(message->key), message->key_len);
      }
      copy.value = std::string(static_cast<const char*>(message->payload), message->len);
      copy.partition = message->partition;
      copy.offset = message->offset;
      rd_kafka_headers_t* headers = nullptr;
      if (rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name = nullptr;
        const void* value = nullptr;
        size_t size = 0;
        for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) ==
                           RD_KAFKA_RESP_ERR_NO_ERROR;
             ++i) {
          copy.headers[name] = value ? std::string(static_cast<const char*>(value), size) : "";
        }
      }
      out.push_back(std::move(copy));
    }
    rd_kafka_message_destroy(message);
  }
  rd_kafka_consumer_close(consumer.get());
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.partition != b.partition ? a.partition < b.partition : a.offset < b.offset;
  });
  return out;
}

std::int64_t topicSize(const std::string& brokers, const std::string& topic) {
  auto consumer = consumerFor(brokers, "ledger-test-reader");
  std::int64_t total = 0;
  for (int partition : partitionsOf(consumer.get(), topic)) {
    total += highWatermark(consumer.get(), topic, partition);
  }
  return total;
}

std::int64_t groupLag(const std::string& brokers, const std::string& group,
                      const std::string& topic) {
  auto consumer = consumerFor(brokers, group);
  const auto partitions = partitionsOf(consumer.get(), topic);
  rd_kafka_topic_partition_list_t* list =
      rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size()));
  for (int partition : partitions) {
    rd_kafka_topic_partition_list_add(list, topic.c_str(), partition);
  }
  const auto error = rd_kafka_committed(consumer.get(), list, kTimeoutMs);
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_topic_partition_list_destroy(list);
    throw std::runtime_error(std::string("committed offsets: ") + rd_kafka_err2str(error));
  }
  std::int64_t lag = 0;
  for (int i = 0; i < list->cnt; ++i) {
    const auto committed = std::max<std::int64_t>(list->elems[i].offset, 0);
    lag += highWatermark(consumer.get(), topic, list->elems[i].partition) - committed;
  }
  rd_kafka_topic_partition_list_destroy(list);
  rd_kafka_consumer_close(consumer.get());
  return lag;
}

void rewindGroup(const std::string& brokers, const std::string& group, const std::string& topic) {
  auto consumer = consumerFor(brokers, group);
  const auto partitions = partitionsOf(consumer.get(), topic);
  rd_kafka_topic_partition_list_t* list =
      rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size()));
  for (int partition : partitions) {
    rd_kafka_topic_partition_list_add(list, topic.c_str(), partition)->offset = 0;
  }
  const auto error = rd_kafka_commit(consumer.get(), list, 0);
  rd_kafka_topic_partition_list_destroy(list);
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw std::runtime_error(std::string("rewinding ") + group + ": " + rd_kafka_err2str(error));
  }
  rd_kafka_consumer_close(consumer.get());
}

void deleteTopic(const std::string& brokers, const std::string& topic) {
  auto client =
      kafka::makeClient(RD_KAFKA_PRODUCER, kafka::makeConf({{"bootstrap.servers", brokers}}));
  rd_kafka_queue_t* queue = rd_kafka_queue_new(client.get());
  rd_kafka_DeleteTopic_t* request = rd_kafka_DeleteTopic_new(topic.c_str());
  rd_kafka_DeleteTopics(client.get(), &request, 1, nullptr, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, kTimeoutMs);
  std::string failure;
  if (event == nullptr) {
    failure = "timed out";
  } else {
    size_t count = 0;
    const auto** results =
        rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(event), &count);
    if (count == 1 && rd_kafka_topic_result_error(results[0]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      failure = rd_kafka_err2str(rd_kafka_topic_result_error(results[0]));
    }
    rd_kafka_event_destroy(event);
  }
  rd_kafka_DeleteTopic_destroy(request);
  rd_kafka_queue_destroy(queue);
  if (!failure.empty()) {
    throw std::runtime_error("deleting " + topic + ": " + failure);
  }
}

}  // namespace ledger::testing
