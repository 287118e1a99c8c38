// deployment-ledger-recorder: consumes record-deployment commands from Kafka and applies them to
// PostgreSQL exactly once, replying to the gateway that asked once the write is committed.
#include <atomic>
#include <csignal>
#include <cstdio>
#include <thread>

#include "common/kafka/topic_admin.h"
#include "common/log.h"
#include "services/recorder/command_consumer.h"
#include "services/recorder/event_publisher.h"
#include "services/recorder/migrator.h"
#include "services/recorder/recorder_config.h"
#include "services/recorder/store_error.h"

namespace {

std::atomic<bool> g_stop{false};

void onSignal(int) { g_stop.store(true); }

// Runs step until it returns an empty string or the deadline passes, pausing between tries.
// Returns the last error, or empty on success.
template <typename Step>
std::string retryUntil(std::chrono::milliseconds timeout, const char* what, Step step) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto error = step();
    if (error.empty() || std::chrono::steady_clock::now() >= deadline || g_stop.load()) {
      return error;
    }
    ledger::log::warn("waiting for a dependency", {{"step", what}, {"error", error}});
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ledger;
  auto parsed = recorder::parseRecorderConfig(argc, argv);
  if (auto* exit = std::get_if<recorder::ConfigExit>(&parsed)) {
    std::fprintf(exit->status == 0 ? stdout : stderr, "%s\n", exit->message.c_str());
    return exit->status;
  }
  const auto config = std::get<recorder::RecorderConfig>(parsed);
  if (auto error = log::init("recorder", config.log_level, config.log_format); !error.empty()) {
    std::fprintf(stderr, "deployment-ledger-recorder: %s\n", error.c_str());
    return 2;
  }
  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);
  log::info("starting", {{"brokers", config.brokers},
                         {"commands_topic", config.commands_topic},
                         {"group_id", config.group_id},
                         {"batch_max", std::to_string(config.batch_max)}});

  // Schema first: recorders starting together serialize on an advisory lock.
  auto error = retryUntil(config.startup_timeout, "migrate", [&]() -> std::string {
    try {
      recorder::migrate(config.database_url);
      return {};
    } catch (const recorder::StoreError& e) {
      if (!e.retryable()) {
        throw;
      }
      return e.what();
    }
  });
  if (!error.empty()) {
    log::error("database not reachable at start-up", {{"error", error}});
    return 1;
  }
  if (config.migrate_only) {
    log::info("schema is up to date");
    return 0;
  }

  error = retryUntil(config.startup_timeout, "create topics", [&] {
    return kafka::ensureTopics(config.brokers,
                               {{config.commands_topic, config.topic_partitions},
                                {config.dead_letter_topic, config.topic_partitions},
                                {config.events_topic, config.topic_partitions}},
                               config.kafka_timeout);
  });
  if (!error.empty()) {
    log::error("kafka not reachable at start-up", {{"error", error}});
    return 1;
  }

  try {
    recorder::RecordStore store(config.database_url, config.statement_timeout);
    recorder::DeadLetterPublisher dead_letters(config.brokers, config.dead_letter_topic,
                                               config.kafka_timeout);
    recorder::EventPublisher events({config.brokers, config.events_topic, config.database_url,
                                     config.outbox_batch_max, config.outbox_poll,
                                     config.kafka_timeout, config.retry_backoff_max});
    events.start();
    recorder::CommandConsumer consumer(config, store, dead_letters, [&events] { events.wake(); });
    consumer.run(g_stop);
  } catch (const std::exception& e) {
    log::error("recorder stopped on an error", {{"error", e.what()}});
    return 1;
  }
  log::info("stopped");
  return 0;
}
