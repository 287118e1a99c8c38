#include "common/kafka/topic_admin.h"

#include <librdkafka/rdkafka.h>

#include <memory>

#include "common/kafka/kafka_config.h"

namespace ledger::kafka {
namespace {

struct QueueDeleter {
  void operator()(rd_kafka_queue_t* queue) const { rd_kafka_queue_destroy(queue); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* event) const { rd_kafka_event_destroy(event); }
};
struct NewTopicDeleter {
  void operator()(rd_kafka_NewTopic_t* topic) const { rd_kafka_NewTopic_destroy(topic); }
};

}  // namespace

std::string ensureTopics(const std::string& brokers, const std::vector<TopicSpec>& topics,
                         std::chrono::milliseconds timeout) {
  try {
    auto client = makeClient(RD_KAFKA_PRODUCER, makeConf({{"bootstrap.servers", brokers}}));
    std::vector<std::unique_ptr<rd_kafka_NewTopic_t, NewTopicDeleter>> owned;
    std::vector<rd_kafka_NewTopic_t*> requests;
    char error[512];
    for (const auto& topic : topics) {
      rd_kafka_NewTopic_t* request =
          rd_kafka_NewTopic_new(topic.name.c_str(), topic.partitions, -1, error, sizeof error);
      if (request == nullptr) {
        return "topic " + topic.name + ": " + error;
      }
      owned.emplace_back(request);
      requests.push_back(request);
    }

    std::unique_ptr<rd_kafka_queue_t, QueueDeleter> queue(rd_kafka_queue_new(client.get()));
    rd_kafka_AdminOptions_t* options =
        rd_kafka_AdminOptions_new(client.get(), RD_KAFKA_ADMIN_OP_ANY);
    rd_kafka_AdminOptions_set_request_timeout(options, static_cast<int>(timeout.count()), error,
                                              sizeof error);
    rd_kafka_CreateTopics(client.get(), requests.data(), requests.size(), options, queue.get());
    rd_kafka_AdminOptions_destroy(options);

    std::unique_ptr<rd_kafka_event_t, EventDeleter> event(
        rd_kafka_queue_poll(queue.get(), static_cast<int>(timeout.count()) + 1000));
    if (!event) {
      return "creating topics timed out after " + std::to_string(timeout.count()) + " ms";
    }
    if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return std::string("creating topics failed: ") + rd_kafka_event_error_string(event.get());
    }
    size_t count = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(
        rd_kafka_event_CreateTopics_result(event.get()), &count);
    for (size_t i = 0; i < count; ++i) {
      const auto code = rd_kafka_topic_result_error(results[i]);
      if (code != RD_KAFKA_RESP_ERR_NO_ERROR && code != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        return std::string("topic ") + rd_kafka_topic_result_name(results[i]) + ": " +
               rd_kafka_err2str(code);
      }
    }
    return {};
  } catch (const std::exception& e) {
    return e.what();
  }
}

}  // namespace ledger::kafka
