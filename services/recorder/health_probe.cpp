#include "services/recorder/health_probe.h"

#include <librdkafka/rdkafka.h>

#include <pqxx/pqxx>

#include "common/kafka/kafka_config.h"
#include "common/log.h"

namespace ledger::recorder {

HealthProbe::HealthProbe(std::string brokers, std::string database_url,
                         std::chrono::milliseconds interval)
    : brokers_(std::move(brokers)), database_url_(std::move(database_url)), interval_(interval) {}

HealthProbe::~HealthProbe() {
  stopping_ = true;
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void HealthProbe::start() {
  thread_ = std::thread([this] { run(); });
}

std::vector<std::string> HealthProbe::problems() const {
  std::vector<std::string> out;
  if (!kafka_up_.load()) {
    out.emplace_back("kafka: no broker answered a metadata request");
  }
  if (!database_up_.load()) {
    out.emplace_back("postgres: the database did not answer");
  }
  return out;
}

void HealthProbe::run() {
  auto client =
      kafka::makeClient(RD_KAFKA_PRODUCER, kafka::makeConf({{"bootstrap.servers", brokers_}}));
  std::unique_ptr<pqxx::connection> connection;
  while (!stopping_.load()) {
    const struct rd_kafka_metadata* metadata = nullptr;
    const bool kafka_up =
        rd_kafka_metadata(client.get(), 0, nullptr, &metadata, 1000) == RD_KAFKA_RESP_ERR_NO_ERROR;
    if (metadata != nullptr) {
      rd_kafka_metadata_destroy(metadata);
    }
    bool database_up = false;
    try {
      if (!connection || !connection->is_open()) {
        connection = std::make_unique<pqxx::connection>(database_url_);
      }
      pqxx::nontransaction(*connection).exec("select 1");
      database_up = true;
    } catch (const std::exception&) {
      connection.reset();
    }
    if (kafka_up_.exchange(kafka_up) != kafka_up) {
      log::info(kafka_up ? "kafka reachable" : "kafka unreachable");
    }
    if (database_up_.exchange(database_up) != database_up) {
      log::info(database_up ? "postgres reachable" : "postgres unreachable");
    }
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, interval_, [this] { return stopping_.load(); });
  }
}

}  // namespace ledger::recorder
