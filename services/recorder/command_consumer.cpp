#include "services/recorder/command_consumer.h"

#include <map>
#include <stdexcept>
#include <thread>

#include "common/log.h"
#include "services/recorder/store_error.h"

namespace ledger::recorder {
namespace {

command::Envelope readEnvelope(const rd_kafka_message_t& message) {
  rd_kafka_headers_t* headers = nullptr;
  rd_kafka_message_headers(&message, &headers);
  command::Envelope envelope;
  envelope.spec_version = kafka::headerValue(headers, command::kHeaderSpecVersion.data());
  envelope.id = kafka::headerValue(headers, command::kHeaderId.data());
  envelope.source = kafka::headerValue(headers, command::kHeaderSource.data());
  envelope.type = kafka::headerValue(headers, command::kHeaderType.data());
  envelope.organization = kafka::headerValue(headers, command::kHeaderOrganization.data());
  envelope.traceparent = kafka::headerValue(headers, kTraceparentHeader.data());
  envelope.reply_to = kafka::headerValue(headers, command::kHeaderReplyTo.data());
  envelope.correlation_id = kafka::headerValue(headers, command::kHeaderCorrelationId.data());
  return envelope;
}

std::string partitionList(const rd_kafka_topic_partition_list_t* partitions) {
  std::string out;
  for (int i = 0; i < partitions->cnt; ++i) {
    out += (i ? "," : "") + std::to_string(partitions->elems[i].partition);
  }
  return out;
}

}  // namespace

CommandConsumer::CommandConsumer(const RecorderConfig& config, RecordStore& store,
                                 DeadLetterPublisher& dead_letters, RecorderMetrics& metrics,
                                 std::function<void()> after_commit)
    : config_(config),
      store_(store),
      dead_letters_(dead_letters),
      metrics_(metrics),
      after_commit_(std::move(after_commit)) {
  // Offsets are stored by hand, after the database commit; the background commit then sends them.
  kafka::Settings settings{
      {"bootstrap.servers", config.brokers},
      {"group.id", config.group_id},
      {"enable.auto.offset.store", "false"},
      {"enable.auto.commit", "true"},
      {"auto.commit.interval.ms", "1000"},
      {"auto.offset.reset", "earliest"},
      {"enable.partition.eof", "false"},
      // What librdkafka prefetches per consumer; the default (64 MB) is far more than a batch
      // needs, and every worker holds its own.
      {"queued.max.messages.kbytes", "16384"},
      // Not cooperative-sticky: librdkafka before 2.3 aborts when a consumer using it is closed
      // before its first assignment (librdkafka issue 4312), which a recorder stopped during
      // start-up would hit. With the eager protocol a rebalance revokes every partition, and the
      // revoke callback settles the batch first either way.
      {"partition.assignment.strategy", "roundrobin"},
  };
  if (!config.kafka_debug.empty()) {
    settings.emplace_back("debug", config.kafka_debug);
  }
  auto conf = kafka::makeConf(settings);
  rd_kafka_conf_set_rebalance_cb(conf.get(), &CommandConsumer::onRebalance);
  rd_kafka_conf_set_opaque(conf.get(), this);
  consumer_ = kafka::makeClient(RD_KAFKA_CONSUMER, std::move(conf));
  rd_kafka_poll_set_consumer(consumer_.get());
}

CommandConsumer::~CommandConsumer() {
  pending_.clear();  // messages must go before their client
}

void CommandConsumer::run(const std::atomic<bool>& stop) {
  stop_ = &stop;
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, config_.commands_topic.c_str(), RD_KAFKA_PARTITION_UA);
  const auto error = rd_kafka_subscribe(consumer_.get(), topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw std::runtime_error("subscribing to " + config_.commands_topic + ": " +
                             rd_kafka_err2str(error));
  }
  log::info("consuming commands", {{"topic", config_.commands_topic}, {"group", config_.group_id}});

  while (!stop.load()) {
    // With a batch open, take only what librdkafka already holds: a batch grows while messages
    // keep arriving and is applied as soon as they pause, so a lone command never waits.
    const auto wait =
        pending_.empty() ? std::chrono::milliseconds(200) : std::chrono::milliseconds(0);
    Message message(rd_kafka_consumer_poll(consumer_.get(), static_cast<int>(wait.count())));
    throwIfRebalanceFailed();
    const bool idle = !message;
    if (message) {
      accept(std::move(message));
    }
    // Apply when the batch is full, its linger is over, or the stream paused.
    if (!pending_.empty() &&
        (idle || pending_.size() >= static_cast<std::size_t>(config_.batch_max) ||
         std::chrono::steady_clock::now() >= batch_deadline_)) {
      flush();
    }
  }

  // Shutdown: apply what was read, then leave the group (which commits the stored offsets).
  flush();
  pending_.clear();
  if (const auto close_error = rd_kafka_consumer_close(consumer_.get());
      close_error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    log::warn("leaving the consumer group failed", {{"error", rd_kafka_err2str(close_error)}});
  }
  log::info("left the consumer group", {{"group", config_.group_id}});
  throwIfRebalanceFailed();
}

void CommandConsumer::accept(Message message) {
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    // Consumer errors are reported here but librdkafka recovers from them by itself.
    log::warn("kafka consumer error", {{"error", rd_kafka_message_errstr(message.get())}});
    return;
  }
  RawMessage raw;
  if (message->key != nullptr) {
    raw.key = std::string_view(static_cast<const char*>(message->key), message->key_len);
  }
  raw.value = std::string_view(static_cast<const char*>(message->payload), message->len);
  raw.envelope = readEnvelope(*message);
  if (pending_.empty()) {
    batch_deadline_ = std::chrono::steady_clock::now() + config_.batch_linger;
  }
  auto decoded = decodeCommand(raw);
  pending_.push_back({std::move(message), std::move(decoded), raw.envelope.reply_to,
                      raw.envelope.correlation_id, raw.envelope.traceparent});
}

bool CommandConsumer::flush() {
  if (pending_.empty()) {
    return true;
  }
  std::vector<Pending*> valid;
  std::vector<Command> commands;
  for (auto& pending : pending_) {
    if (pending.decoded.command) {
      valid.push_back(&pending);
      commands.push_back(*pending.decoded.command);
    }
  }

  // Apply the valid commands in one transaction; wait out outages, isolate refusals.
  auto backoff = std::chrono::milliseconds(100);
  while (!commands.empty()) {
    try {
      apply(commands);
      break;
    } catch (const StoreError& e) {
      if (!e.retryable()) {
        log::warn("batch refused; applying its commands one by one",
                  {{"commands", std::to_string(commands.size())}, {"error", e.what()}});
        if (!applyOneByOne(valid)) {
          pending_.clear();
          return false;
        }
        break;
      }
      metrics_.database_retries.increment();
      log::warn("database unavailable; retrying the batch",
                {{"commands", std::to_string(commands.size())},
                 {"error", e.what()},
                 {"backoff_ms", std::to_string(backoff.count())}});
      if (!backOff(backoff)) {
        pending_.clear();
        return false;
      }
    }
  }

  // Dead-letter what could not be applied, in order.
  for (auto& pending : pending_) {
    if (!pending.decoded.command &&
        !deadLetter(pending, toCode(pending.decoded.reason), pending.decoded.fault)) {
      pending_.clear();
      return false;
    }
  }

  storeOffsets();
  pending_.clear();
  return true;
}

bool CommandConsumer::applyOneByOne(std::vector<Pending*>& valid) {
  for (auto* pending : valid) {
    auto backoff = std::chrono::milliseconds(100);
    while (true) {
      try {
        apply({*pending->decoded.command});
        break;
      } catch (const StoreError& e) {
        if (e.retryable()) {
          if (!backOff(backoff)) {
            return false;
          }
          continue;
        }
        log::error(
            "command refused by the database",
            {{"partition", std::to_string(pending->message->partition)},
             {"offset", std::to_string(pending->message->offset)},
             {"ce_source", pending->decoded.command->source},
             {"ce_id", pending->decoded.command->id},
             {"trace_id",
              pending->decoded.command->trace ? pending->decoded.command->trace->trace_id : ""},
             {"error", e.what()}});
        pending->decoded.reason = PoisonReason::kRejected;
        pending->decoded.fault = e.what();
        pending->decoded.command.reset();
        break;
      }
    }
  }
  return true;
}

bool CommandConsumer::deadLetter(Pending& pending, std::string_view code,
                                 const std::string& reason) {
  const auto& message = *pending.message;
  const auto trace = pending.traceparent ? parseTraceparent(*pending.traceparent) : std::nullopt;
  log::warn("dead-lettering a command", {{"partition", std::to_string(message.partition)},
                                         {"offset", std::to_string(message.offset)},
                                         {"code", std::string(code)},
                                         {"reason", reason},
                                         {"trace_id", trace ? trace->trace_id : ""}});
  if (pending.reply_to && pending.correlation_id) {
    Command routing;
    routing.reply_to = pending.reply_to;
    routing.correlation_id = pending.correlation_id;
    try {
      store_.notifyRejected(routing, reason);
    } catch (const StoreError& e) {
      log::warn("could not tell the gateway of a rejection", {{"error", e.what()}});
    }
  }
  auto backoff = std::chrono::milliseconds(100);
  while (true) {
    const auto error = dead_letters_.publish(message, code, reason);
    if (error.empty()) {
      metrics_.dead_lettered.with({std::string(code)}).increment();
      return true;
    }
    log::error("publishing to the dead-letter topic failed; retrying", {{"error", error}});
    if (!backOff(backoff)) {
      return false;
    }
  }
}

void CommandConsumer::apply(const std::vector<Command>& commands) {
  const auto started = std::chrono::steady_clock::now();
  const auto results = store_.applyBatch(commands);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  after_commit_();
  std::size_t duplicates = 0;
  for (const auto& result : results) {
    duplicates += result.duplicate ? 1 : 0;
  }
  metrics_.commands.with({"applied"}).increment(static_cast<double>(results.size() - duplicates));
  metrics_.commands.with({"duplicate"}).increment(static_cast<double>(duplicates));
  metrics_.batch_size.observe(static_cast<double>(commands.size()));
  metrics_.transaction_duration.observe(seconds);
  log::debug("applied a batch", {{"commands", std::to_string(commands.size())},
                                 {"duration_ms", std::to_string(seconds * 1000)}});
}

void CommandConsumer::storeOffsets() {
  std::map<std::pair<std::string, int32_t>, int64_t> next;
  for (const auto& pending : pending_) {
    const auto& m = *pending.message;
    auto& offset = next[{rd_kafka_topic_name(m.rkt), m.partition}];
    offset = std::max(offset, m.offset + 1);
  }
  rd_kafka_topic_partition_list_t* list =
      rd_kafka_topic_partition_list_new(static_cast<int>(next.size()));
  for (const auto& [where, offset] : next) {
    rd_kafka_topic_partition_list_add(list, where.first.c_str(), where.second)->offset = offset;
  }
  // Lag from the watermarks librdkafka caches from fetch responses; no broker round trip.
  for (const auto& [where, offset] : next) {
    int64_t low = 0;
    int64_t high = 0;
    if (rd_kafka_get_watermark_offsets(consumer_.get(), where.first.c_str(), where.second, &low,
                                       &high) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        high >= 0) {
      metrics_.consumer_lag.with({std::to_string(where.second)})
          .set(static_cast<double>(std::max<int64_t>(high - offset, 0)));
    }
  }
  if (const auto error = rd_kafka_offsets_store(consumer_.get(), list);
      error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    // Partitions revoked meanwhile: their new owner re-reads these commands, which then change
    // nothing, as each is claimed by its identity.
    log::warn("storing consumed offsets failed", {{"error", rd_kafka_err2str(error)}});
  }
  rd_kafka_topic_partition_list_destroy(list);
}

void CommandConsumer::throwIfRebalanceFailed() const {
  if (!rebalance_failure_.empty()) {
    throw std::runtime_error("applying a batch while partitions were revoked: " +
                             rebalance_failure_);
  }
}

bool CommandConsumer::backOff(std::chrono::milliseconds& backoff) {
  if (revoking_) {
    return false;
  }
  const auto until = std::chrono::steady_clock::now() + backoff;
  while (std::chrono::steady_clock::now() < until) {
    if (stop_ != nullptr && stop_->load()) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  backoff = std::min(backoff * 2, config_.retry_backoff_max);
  return true;
}

void CommandConsumer::onRebalance(rd_kafka_t* consumer, rd_kafka_resp_err_t event,
                                  rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  auto* self = static_cast<CommandConsumer*>(opaque);
  const bool cooperative = std::string_view(rd_kafka_rebalance_protocol(consumer)) == "COOPERATIVE";
  if (event == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    log::info("partitions assigned", {{"partitions", partitionList(partitions)}});
    if (cooperative) {
      rd_kafka_error_t* error = rd_kafka_incremental_assign(consumer, partitions);
      if (error != nullptr) {
        log::error("assigning partitions failed", {{"error", rd_kafka_error_string(error)}});
        rd_kafka_error_destroy(error);
      }
    } else {
      rd_kafka_assign(consumer, partitions);
    }
    return;
  }

  // Revoked: finish what was read from these partitions and commit it before letting go.
  log::info("partitions revoked", {{"partitions", partitionList(partitions)}});
  self->revoking_ = true;
  // No exception may unwind through librdkafka's C frames: one is kept for run() to rethrow,
  // and the batch, its offsets unstored, is left for the partitions' next owner.
  try {
    if (!self->flush()) {
      log::warn("batch left unapplied for the partitions' next owner");
    }
  } catch (const std::exception& e) {
    self->pending_.clear();
    if (self->rebalance_failure_.empty()) {
      self->rebalance_failure_ = e.what();
    }
  }
  self->revoking_ = false;
  rd_kafka_commit(consumer, nullptr, 0);
  if (cooperative) {
    rd_kafka_error_t* error = rd_kafka_incremental_unassign(consumer, partitions);
    if (error != nullptr) {
      log::error("unassigning partitions failed", {{"error", rd_kafka_error_string(error)}});
      rd_kafka_error_destroy(error);
    }
  } else {
    rd_kafka_assign(consumer, nullptr);
  }
}

}  // namespace ledger::recorder
