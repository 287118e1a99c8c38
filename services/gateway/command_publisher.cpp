#include "services/gateway/command_publisher.h"

#include <memory>

#include "common/log.h"

namespace ledger::gateway {
namespace {

// What a message in flight carries as its opaque: who waits for it, and since when.
struct InFlight {
  std::string correlation_id;
  std::chrono::steady_clock::time_point produced_at;
};

}  // namespace

CommandPublisher::CommandPublisher(const std::string& brokers, std::string topic,
                                   std::chrono::milliseconds produce_timeout,
                                   DeliveryFailed on_failure, metrics::Histogram& delivery_duration,
                                   metrics::Counter& produce_errors)
    : topic_(std::move(topic)),
      produce_timeout_(produce_timeout),
      on_failure_(std::move(on_failure)),
      delivery_duration_(delivery_duration),
      produce_errors_(produce_errors) {
  // murmur2 on the key is what Java producers use by default, so a slot maps to one partition
  // whichever client publishes its commands.
  auto conf = kafka::makeConf({
      {"bootstrap.servers", brokers},
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"linger.ms", "5"},
      {"message.timeout.ms", std::to_string(produce_timeout.count())},
      {"partitioner", "murmur2_random"},
  });
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &CommandPublisher::onDelivery);
  rd_kafka_conf_set_opaque(conf.get(), this);
  producer_ = kafka::makeClient(RD_KAFKA_PRODUCER, std::move(conf));
  delivery_thread_ = std::thread([this] { serveDeliveries(); });
}

CommandPublisher::~CommandPublisher() {
  rd_kafka_flush(producer_.get(), static_cast<int>(produce_timeout_.count()));
  stopping_ = true;
  delivery_thread_.join();
}

void CommandPublisher::flush(std::chrono::milliseconds timeout) {
  rd_kafka_flush(producer_.get(), static_cast<int>(timeout.count()));
}

std::string CommandPublisher::publish(const std::string& key, const std::string& value,
                                      const Headers& headers, const std::string& correlation_id) {
  rd_kafka_headers_t* kafka_headers = rd_kafka_headers_new(headers.size());
  for (const auto& [name, header_value] : headers) {
    rd_kafka_header_add(kafka_headers, name.data(), static_cast<ssize_t>(name.size()),
                        header_value.data(), static_cast<ssize_t>(header_value.size()));
  }
  // The opaque is owned by librdkafka once produce succeeds; onDelivery deletes it.
  auto opaque =
      std::make_unique<InFlight>(InFlight{correlation_id, std::chrono::steady_clock::now()});
  const auto error = rd_kafka_producev(
      producer_.get(), RD_KAFKA_V_TOPIC(topic_.c_str()), RD_KAFKA_V_KEY(key.data(), key.size()),
      RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(kafka_headers),
      RD_KAFKA_V_OPAQUE(opaque.get()), RD_KAFKA_V_END);
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_headers_destroy(kafka_headers);
    return std::string("kafka did not accept the command: ") + rd_kafka_err2str(error);
  }
  opaque.release();
  return {};
}

void CommandPublisher::onDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto* self = static_cast<CommandPublisher*>(opaque);
  std::unique_ptr<InFlight> sent(static_cast<InFlight*>(message->_private));
  self->delivery_duration_.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - sent->produced_at).count());
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    self->produce_errors_.increment();
    // A command that may have reached the broker may still be applied: then the recorder's reply
    // or the reply timeout answers, not a 503 that says nothing was queued.
    if (rd_kafka_message_status(message) != RD_KAFKA_MSG_STATUS_POSSIBLY_PERSISTED) {
      self->on_failure_(sent->correlation_id, rd_kafka_err2str(message->err));
    }
  }
}

void CommandPublisher::serveDeliveries() {
  auto next_probe = std::chrono::steady_clock::now();
  while (!stopping_.load()) {
    rd_kafka_poll(producer_.get(), 100);
    // Probe the broker now and then for readiness; the probe waits at most 500 ms.
    if (std::chrono::steady_clock::now() >= next_probe) {
      const struct rd_kafka_metadata* metadata = nullptr;
      const bool up = rd_kafka_metadata(producer_.get(), 0, nullptr, &metadata, 500) ==
                      RD_KAFKA_RESP_ERR_NO_ERROR;
      if (metadata != nullptr) {
        rd_kafka_metadata_destroy(metadata);
      }
      if (up != broker_reachable_.exchange(up)) {
        if (up) {
          log::info("kafka reachable");
        } else {
          log::warn("kafka unreachable");
        }
      }
      next_probe = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    }
  }
  rd_kafka_poll(producer_.get(), 0);
}

}  // namespace ledger::gateway
