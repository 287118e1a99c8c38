#include "services/recorder/dead_letter_publisher.h"

#include <atomic>
#include <memory>

namespace ledger::recorder {
namespace {

// The delivery outcome of one message. Its opaque pointer is a heap-allocated shared_ptr owned
// by librdkafka until the delivery report, which deletes it; publish() keeps its own reference,
// so a report that arrives after publish() gave up writes to a live object.
struct DeliveryResult {
  std::atomic<bool> done = false;
  std::atomic<rd_kafka_resp_err_t> error = RD_KAFKA_RESP_ERR_NO_ERROR;
};

void onDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void*) {
  auto* result = static_cast<std::shared_ptr<DeliveryResult>*>(message->_private);
  (*result)->error = message->err;
  (*result)->done = true;
  delete result;
}

}  // namespace

DeadLetterPublisher::DeadLetterPublisher(const std::string& brokers, std::string topic,
                                         std::chrono::milliseconds timeout)
    : topic_(std::move(topic)), timeout_(timeout) {
  auto conf = kafka::makeConf({{"bootstrap.servers", brokers},
                               {"enable.idempotence", "true"},
                               {"message.timeout.ms", std::to_string(timeout.count())}});
  rd_kafka_conf_set_dr_msg_cb(conf.get(), onDelivery);
  producer_ = kafka::makeClient(RD_KAFKA_PRODUCER, std::move(conf));
}

std::string DeadLetterPublisher::publish(const rd_kafka_message_t& message, std::string_view code,
                                         const std::string& reason) {
  rd_kafka_headers_t* original = nullptr;
  rd_kafka_message_headers(&message, &original);
  rd_kafka_headers_t* headers =
      original != nullptr ? rd_kafka_headers_copy(original) : rd_kafka_headers_new(5);
  const std::string topic = rd_kafka_topic_name(message.rkt);
  const std::string partition = std::to_string(message.partition);
  const std::string offset = std::to_string(message.offset);
  rd_kafka_header_add(headers, kHeaderDeadLetterReason, -1, reason.data(), reason.size());
  rd_kafka_header_add(headers, kHeaderDeadLetterCode, -1, code.data(), code.size());
  rd_kafka_header_add(headers, kHeaderDeadLetterTopic, -1, topic.data(), topic.size());
  rd_kafka_header_add(headers, kHeaderDeadLetterPartition, -1, partition.data(), partition.size());
  rd_kafka_header_add(headers, kHeaderDeadLetterOffset, -1, offset.data(), offset.size());

  auto result = std::make_shared<DeliveryResult>();
  auto* opaque = new std::shared_ptr<DeliveryResult>(result);
  const auto error = rd_kafka_producev(
      producer_.get(), RD_KAFKA_V_TOPIC(topic_.c_str()),
      RD_KAFKA_V_KEY(message.key, message.key_len), RD_KAFKA_V_VALUE(message.payload, message.len),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers),
      RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_headers_destroy(headers);  // still ours: produce failed
    delete opaque;
    return std::string("producing to ") + topic_ + ": " + rd_kafka_err2str(error);
  }
  rd_kafka_flush(producer_.get(), static_cast<int>(timeout_.count()) + 1000);
  if (!result->done) {
    return "no delivery report from " + topic_ + " in time";
  }
  if (result->error.load() != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return "delivering to " + topic_ + ": " + rd_kafka_err2str(result->error.load());
  }
  return {};
}

}  // namespace ledger::recorder
