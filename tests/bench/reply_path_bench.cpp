// The two ways the recorder could answer a gateway, measured alone: (a) pg_notify inside a
// committing transaction, received by a LISTEN connection; (b) a message produced to a reply
// topic with acks=all after the commit, received by a consumer assigned to its partition.
// Each path carries N replies one at a time; the figure is commit-or-send to receipt.
// Usage: reply_path_bench [replies]
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdio>
#include <pqxx/pqxx>
#include <thread>

#include "common/kafka/kafka_config.h"
#include "common/kafka/topic_admin.h"
#include "tests/bench/bench_stats.h"
#include "tests/support/service_process.h"

using namespace ledger;
using namespace ledger::testing;
using Clock = std::chrono::steady_clock;

namespace {

class Receiver : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& connection, const std::string& channel)
      : pqxx::notification_receiver(connection, channel) {}
  void operator()(const std::string&, int) override { received = true; }
  bool received = false;
};

std::vector<double> notifyPath(int replies) {
  const std::string channel = "ledger_bench_" + uniqueSuffix();
  pqxx::connection listener(testDatabaseUrl());
  Receiver receiver(listener, channel);
  pqxx::nontransaction(listener).exec("select 1");
  pqxx::connection sender(testDatabaseUrl());
  const std::string payload(600, 'x');  // about the size of a reply
  std::vector<double> samples;
  for (int i = 0; i < replies; ++i) {
    receiver.received = false;
    pqxx::work tx(sender);
    tx.exec_params("select pg_notify($1, $2)", channel, payload);
    const auto started = Clock::now();
    tx.commit();
    while (!receiver.received) {
      listener.await_notification(1, 0);
    }
    samples.push_back(std::chrono::duration<double>(Clock::now() - started).count());
  }
  return samples;
}

std::vector<double> kafkaPath(int replies) {
  const std::string topic = "bench-replies-" + uniqueSuffix();
  if (auto error = kafka::ensureTopics(testBrokers(), {{topic, 1}}, std::chrono::seconds(10));
      !error.empty()) {
    throw std::runtime_error(error);
  }
  auto producer =
      kafka::makeClient(RD_KAFKA_PRODUCER, kafka::makeConf({{"bootstrap.servers", testBrokers()},
                                                            {"enable.idempotence", "true"},
                                                            {"linger.ms", "0"}}));
  auto consumer =
      kafka::makeClient(RD_KAFKA_CONSUMER, kafka::makeConf({{"bootstrap.servers", testBrokers()},
                                                            {"group.id", "bench-" + topic},
                                                            {"fetch.wait.max.ms", "100"},
                                                            {"fetch.error.backoff.ms", "10"}}));
  auto* assignment = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(assignment, topic.c_str(), 0)->offset = RD_KAFKA_OFFSET_END;
  rd_kafka_assign(consumer.get(), assignment);
  rd_kafka_topic_partition_list_destroy(assignment);
  // Let the assignment settle before timing anything.
  for (int i = 0; i < 20; ++i) {
    if (auto* m = rd_kafka_consumer_poll(consumer.get(), 100)) {
      rd_kafka_message_destroy(m);
    }
  }
  const std::string payload(600, 'x');
  std::vector<double> samples;
  for (int i = 0; i < replies; ++i) {
    const auto started = Clock::now();
    rd_kafka_producev(producer.get(), RD_KAFKA_V_TOPIC(topic.c_str()),
                      RD_KAFKA_V_VALUE(const_cast<char*>(payload.data()), payload.size()),
                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    rd_kafka_poll(producer.get(), 0);
    while (true) {
      rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer.get(), 1000);
      rd_kafka_poll(producer.get(), 0);
      if (message != nullptr) {
        const bool data = message->err == RD_KAFKA_RESP_ERR_NO_ERROR;
        rd_kafka_message_destroy(message);
        if (data) {
          break;
        }
      }
    }
    samples.push_back(std::chrono::duration<double>(Clock::now() - started).count());
  }
  rd_kafka_flush(producer.get(), 5000);
  rd_kafka_consumer_close(consumer.get());
  return samples;
}

}  // namespace

int main(int argc, char** argv) {
  const int replies = argc > 1 ? std::stoi(argv[1]) : 1000;
  std::printf("reply via pg_notify on commit: %d replies: %s\n", replies,
              describeLatencies(notifyPath(replies)).c_str());
  std::printf("reply via a Kafka topic (acks=all): %d replies: %s\n", replies,
              describeLatencies(kafkaPath(replies)).c_str());
  return 0;
}
