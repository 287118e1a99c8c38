// deployment-ledger-recorder: consumes record-deployment commands from Kafka and applies them to
// PostgreSQL exactly once, replying to the gateway that asked once the write is committed.
#include <boost/asio/io_context.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/json_codec.h"
#include "common/kafka/topic_admin.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/net/http_server.h"
#include "services/recorder/command_consumer.h"
#include "services/recorder/event_publisher.h"
#include "services/recorder/health_probe.h"
#include "services/recorder/migrator.h"
#include "services/recorder/recorder_config.h"
#include "services/recorder/recorder_metrics.h"
#include "services/recorder/store_error.h"

namespace {

std::atomic<bool> g_stop{false};

void onSignal(int) { g_stop.store(true); }

// The admin port's routes; none needs a token.
boost::asio::awaitable<ledger::net::Response> serveAdmin(
    ledger::net::Request request, const ledger::metrics::Registry& registry,
    const ledger::recorder::HealthProbe& probe) {
  namespace http = boost::beast::http;
  using ledger::net::jsonResponse;
  const std::string_view target(request.target().data(), request.target().size());
  const auto path = target.substr(0, target.find('?'));
  if (request.method() != http::verb::get) {
    co_return jsonResponse(405, ledger::encodeErrorBody(12, "only GET is allowed here"), 11, true);
  }
  if (path == "/healthz") {
    co_return jsonResponse(200, R"({"status":"ok"})", 11, true);
  }
  if (path == "/readyz") {
    const auto problems = probe.problems();
    co_return problems.empty()
        ? jsonResponse(200, R"({"status":"ready"})", 11, true)
        : jsonResponse(503, ledger::encodeErrorBody(14, "not ready", problems), 11, true);
  }
  if (path == "/metrics") {
    ledger::net::Response response{http::status::ok, 11};
    response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    response.body() = registry.render();
    co_return response;
  }
  co_return jsonResponse(404, ledger::encodeErrorBody(5, "no route for " + std::string(path)), 11,
                         true);
}

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
  if (auto* exit = std::get_if<ConfigExit>(&parsed)) {
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
                         {"batch_max", std::to_string(config.batch_max)},
                         {"workers", std::to_string(config.workers)}});

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
    // The admin port: liveness, readiness and metrics, on a thread of its own.
    metrics::Registry registry;
    recorder::RecorderMetrics recorder_metrics(registry);
    recorder::HealthProbe probe(config.brokers, config.database_url, std::chrono::seconds(2));
    probe.start();
    boost::asio::io_context admin_io(1);
    net::HttpServer admin(admin_io, {}, [&](net::Request request) {
      return serveAdmin(std::move(request), registry, probe);
    });
    admin.listen(config.admin_address, static_cast<std::uint16_t>(config.admin_port));
    log::info("admin server listening",
              {{"url", "http://" + config.admin_address + ":" + std::to_string(admin.port())}});
    std::thread admin_thread([&admin_io] { admin_io.run(); });
    struct StopAdmin {
      boost::asio::io_context& io;
      std::thread& thread;
      ~StopAdmin() {
        io.stop();
        thread.join();
      }
    } stop_admin{admin_io, admin_thread};

    recorder::EventPublisher events(
        {config.brokers, config.events_topic, config.database_url, config.outbox_batch_max,
         config.outbox_poll, config.outbox_linger, config.kafka_timeout, config.retry_backoff_max},
        recorder_metrics.events_published, recorder_metrics.event_publish_errors);
    events.start();
    // Workers split the group's partitions between them, so that one batch's commit overlaps
    // the next batch's work. A slot's commands share a partition and so a worker; each worker
    // has its own consumer, connection and dead-letter producer. One failing stops them all.
    std::mutex failure_mutex;
    std::string failure;
    std::vector<std::thread> workers;
    for (int i = 0; i < config.workers; ++i) {
      workers.emplace_back([&, i] {
        try {
          recorder::RecordStore store(config.database_url, config.statement_timeout);
          recorder::DeadLetterPublisher dead_letters(config.brokers, config.dead_letter_topic,
                                                     config.kafka_timeout);
          recorder::CommandConsumer consumer(config, store, dead_letters, recorder_metrics,
                                             [&events] { events.wake(); });
          consumer.run(g_stop);
        } catch (const std::exception& e) {
          std::lock_guard lock(failure_mutex);
          if (failure.empty()) {
            failure = "worker " + std::to_string(i) + ": " + e.what();
          }
          g_stop.store(true);
        }
      });
    }
    for (auto& worker : workers) {
      worker.join();
    }
    if (!failure.empty()) {
      throw std::runtime_error(failure);
    }
  } catch (const std::exception& e) {
    log::error("recorder stopped on an error", {{"error", e.what()}});
    return 1;
  }
  log::info("stopped");
  return 0;
}
