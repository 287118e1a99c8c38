#include "services/recorder/event_publisher.h"

#include <pqxx/pqxx>

#include <atomic>
#include <memory>
#include <vector>

#include "common/command.h"
#include "common/log.h"
#include "common/service_event.h"
#include "common/trace_context.h"

namespace ledger::recorder {
namespace {

// Another constant than the migration lock: publishing and migrating never wait on each other.
constexpr long long kOutboxLockKey = 0x6f7574626f78;  // "outbox"

// The outbox is a queue: every row is deleted soon after it is written. Each pass reads from the
// head of its position index, so dead rows left there cost every later pass until a vacuum
// removes them (at 20,000 deletes between vacuums that read was the costliest statement of the
// HTTP benchmark), and autovacuum looks at a table at most once a minute. The publisher vacuums
// the outbox itself after this many deletes, without truncating the table's tail: truncation
// takes an exclusive lock that would hold up the recorders' inserts.
constexpr int kVacuumEveryDeleted = 2000;

// Delivery outcome of one outbox row. Each message's opaque is a heap-allocated shared_ptr that
// the delivery report deletes; publishBatch() keeps its own references, so a report that arrives
// after it gave up writes to a live object. Rows whose report is late count as failed.
struct Delivery {
  std::atomic<bool> done = false;
  std::atomic<rd_kafka_resp_err_t> error = RD_KAFKA_RESP_ERR_NO_ERROR;
};

void onDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void*) {
  auto* delivery = static_cast<std::shared_ptr<Delivery>*>(message->_private);
  (*delivery)->error = message->err;
  (*delivery)->done = true;
  delete delivery;
}

void addHeader(rd_kafka_headers_t* headers, std::string_view name, std::string_view value) {
  rd_kafka_header_add(headers, name.data(), static_cast<ssize_t>(name.size()), value.data(),
                      static_cast<ssize_t>(value.size()));
}

}  // namespace

EventPublisher::EventPublisher(EventPublisherSettings settings, metrics::Counter& published,
                               metrics::Counter& errors)
    : settings_(std::move(settings)), published_(published), errors_(errors) {
  auto conf = kafka::makeConf({
      {"bootstrap.servers", settings_.brokers},
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"linger.ms", "5"},
      {"message.timeout.ms", std::to_string(settings_.delivery_timeout.count())},
      {"partitioner", "murmur2_random"},
  });
  rd_kafka_conf_set_dr_msg_cb(conf.get(), onDelivery);
  producer_ = kafka::makeClient(RD_KAFKA_PRODUCER, std::move(conf));
}

EventPublisher::~EventPublisher() {
  stopping_ = true;
  wake();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void EventPublisher::start() {
  thread_ = std::thread([this] { run(); });
}

void EventPublisher::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_one();
}

void EventPublisher::run() {
  auto backoff = std::chrono::milliseconds(100);
  bool failing = false;
  while (true) {
    const bool last_pass = stopping_.load();
    const auto pass_started = std::chrono::steady_clock::now();
    int published = 0;
    try {
      published = publishBatch();
      published_.increment(published);
      if (failing) {
        log::info("publishing events again");
        failing = false;
      }
      backoff = std::chrono::milliseconds(100);
    } catch (const std::exception& e) {
      errors_.increment();
      if (!failing) {
        log::error("publishing events failed; retrying",
                   {{"topic", settings_.topic}, {"error", e.what()}});
        failing = true;
      }
    }
    if (!failing) {
      vacuumIfDue(published);
    }
    if (last_pass) {
      return;
    }
    if (published >= settings_.batch_max) {
      continue;  // more are waiting
    }
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, failing ? backoff : settings_.idle_poll,
                     [this] { return woken_ || stopping_.load(); });
      woken_ = false;
    }
    if (failing) {
      backoff = std::min(backoff * 2, settings_.retry_backoff_max);
    } else if (published > 0) {
      // Events keep coming: let a few commits gather before the next pass.
      std::unique_lock lock(mutex_);
      wake_.wait_until(lock, pass_started + settings_.linger, [this] { return stopping_.load(); });
    }
  }
}

void EventPublisher::vacuumIfDue(int deleted) {
  deleted_since_vacuum_ += deleted;
  if (deleted_since_vacuum_ < kVacuumEveryDeleted) {
    return;
  }
  deleted_since_vacuum_ = 0;
  // A vacuum that cannot run now (another one holds the table) is skipped rather than waited
  // for; one that fails is reported, and publishing goes on: dead rows only slow it down.
  try {
    pqxx::nontransaction(*connection_)
        .exec("vacuum (truncate false, skip_locked true) event_outbox");
  } catch (const std::exception& e) {
    if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr) {
      connection_.reset();
    }
    log::warn("vacuuming the event outbox failed", {{"error", e.what()}});
  }
}

int EventPublisher::publishBatch() {
  // A fresh connection after a failure is enough; connecting is cheap next to the wait before it.
  if (!connection_ || !connection_->is_open()) {
    connection_ = std::make_unique<pqxx::connection>(settings_.database_url);
  }
  try {
    pqxx::work tx(*connection_);
    if (!tx.exec1("select pg_try_advisory_xact_lock(" + std::to_string(kOutboxLockKey) + ")")[0]
             .as<bool>()) {
      return 0;  // another recorder is publishing
    }
    const auto rows = tx.exec_params(
        "select position, event_id, event_type, slot_key, payload, event_time, traceparent, "
        "organization "
        "from event_outbox "
        "order by position limit $1",
        settings_.batch_max);
    if (rows.empty()) {
      return 0;
    }

    // Produce the batch in outbox order; per partition, the idempotent producer keeps it.
    std::vector<std::shared_ptr<Delivery>> deliveries;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto event_id = rows[i][1].as<std::string>();
      const auto type = rows[i][2].as<std::string>();
      const auto slot = rows[i][3].as<std::string>();
      const auto payload = rows[i][4].as<std::string>();
      rd_kafka_headers_t* headers = rd_kafka_headers_new(8);
      addHeader(headers, command::kHeaderSpecVersion, command::kSpecVersion);
      addHeader(headers, command::kHeaderId, event_id);
      addHeader(headers, command::kHeaderSource, kEventSource);
      addHeader(headers, command::kHeaderType, type);
      addHeader(headers, command::kHeaderTime, rows[i][5].as<std::string>());
      addHeader(headers, "ce_subject", slot);
      addHeader(headers, "ce_partitionkey", slot);
      addHeader(headers, command::kHeaderContentType, command::kContentType);
      if (!rows[i][6].is_null()) {
        addHeader(headers, kTraceparentHeader, rows[i][6].as<std::string>());
      }
      if (!rows[i][7].is_null()) {
        addHeader(headers, command::kHeaderOrganization, rows[i][7].as<std::string>());
      }
      auto* opaque =
          new std::shared_ptr<Delivery>(deliveries.emplace_back(std::make_shared<Delivery>()));
      const auto error =
          rd_kafka_producev(producer_.get(), RD_KAFKA_V_TOPIC(settings_.topic.c_str()),
                            RD_KAFKA_V_KEY(slot.data(), slot.size()),
                            RD_KAFKA_V_VALUE(const_cast<char*>(payload.data()), payload.size()),
                            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers),
                            RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
      if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_headers_destroy(headers);  // still ours when produce fails, like the opaque
        delete opaque;
        rd_kafka_flush(producer_.get(), static_cast<int>(settings_.delivery_timeout.count()));
        throw std::runtime_error(std::string("producing event ") + event_id + ": " +
                                 rd_kafka_err2str(error));
      }
    }
    rd_kafka_flush(producer_.get(), static_cast<int>(settings_.delivery_timeout.count()) + 1000);

    // Delete the acknowledged prefix, by position (rows committed meanwhile stay queued). Events
    // after the first failure are published again, so that no slot's events change order.
    std::string positions;
    std::string failure;
    int published = 0;
    for (std::size_t i = 0; i < rows.size() && failure.empty(); ++i) {
      if (deliveries[i]->done && deliveries[i]->error == RD_KAFKA_RESP_ERR_NO_ERROR) {
        positions += (positions.empty() ? "" : ",") + rows[i][0].as<std::string>();
        ++published;
      } else {
        failure = deliveries[i]->done ? rd_kafka_err2str(deliveries[i]->error)
                                      : std::string("no delivery report in time");
      }
    }
    if (!positions.empty()) {
      tx.exec("delete from event_outbox where position in (" + positions + ")");
    }
    tx.commit();
    if (!failure.empty()) {
      throw std::runtime_error("delivering events to " + settings_.topic + ": " + failure);
    }
    return published;
  } catch (const pqxx::broken_connection&) {
    connection_.reset();
    throw;
  }
}

}  // namespace ledger::recorder
