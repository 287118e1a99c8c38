// deployment-ledger-gateway: the HTTP front of the ledger. Validates requests, publishes them as
// commands to Kafka, and answers once the recorder has committed them.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>
#include <vector>

#include "common/api_error.h"
#include "common/kafka/topic_admin.h"
#include "common/log.h"
#include "common/net/http_server.h"
#include "common/reply.h"
#include "services/gateway/api_routes.h"
#include "services/gateway/command_publisher.h"
#include "services/gateway/gateway_config.h"
#include "services/gateway/gateway_metrics.h"
#include "services/gateway/pending_replies.h"
#include "services/gateway/record_reader.h"
#include "services/gateway/reply_listener.h"

namespace asio = boost::asio;

namespace {

// Waits until topics exist or the deadline passes; returns the last error or empty.
std::string waitForTopics(const ledger::gateway::GatewayConfig& config) {
  const auto deadline = std::chrono::steady_clock::now() + config.startup_timeout;
  while (true) {
    auto error = ledger::kafka::ensureTopics(config.brokers,
                                             {{config.commands_topic, config.topic_partitions}},
                                             std::chrono::milliseconds(5000));
    if (error.empty() || std::chrono::steady_clock::now() >= deadline) {
      return error;
    }
    ledger::log::warn("waiting for kafka", {{"error", error}});
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ledger;
  using namespace ledger::gateway;
  auto parsed = parseGatewayConfig(argc, argv);
  if (auto* exit = std::get_if<ConfigExit>(&parsed)) {
    std::fprintf(exit->status == 0 ? stdout : stderr, "%s\n", exit->message.c_str());
    return exit->status;
  }
  auto config = std::get<GatewayConfig>(parsed);
  if (auto error = log::init("gateway", config.log_level, config.log_format); !error.empty()) {
    std::fprintf(stderr, "deployment-ledger-gateway: %s\n", error.c_str());
    return 2;
  }
  if (config.instance_id.empty()) {
    config.instance_id = randomId().substr(0, 16);
  }
  log::info("starting", {{"instance_id", config.instance_id},
                         {"brokers", config.brokers},
                         {"commands_topic", config.commands_topic},
                         {"io_threads", std::to_string(config.io_threads)},
                         {"reply_timeout_ms", std::to_string(config.reply_timeout.count())}});

  // Token keys first: a bad key file stops start-up before anything else.
  auth::VerifierSettings auth_settings;
  if (!config.jwt_secret_file.empty()) {
    std::ifstream in(config.jwt_secret_file);
    if (!in) {
      std::fprintf(stderr, "deployment-ledger-gateway: --jwt-secret-file: cannot read %s\n",
                   config.jwt_secret_file.c_str());
      return 2;
    }
    std::getline(in, auth_settings.hs256_secret);
  }
  auth_settings.jwks_path = config.jwks_file;
  auth_settings.issuer = config.jwt_issuer;
  auth_settings.audience = config.jwt_audience;
  auth_settings.leeway = std::chrono::duration_cast<std::chrono::seconds>(config.jwt_leeway);
  auto created = auth::JwtVerifier::create(auth_settings);
  if (auto* error = std::get_if<std::string>(&created)) {
    std::fprintf(stderr, "deployment-ledger-gateway: token keys: %s\n", error->c_str());
    return 2;
  }
  const auto verifier = std::get<auth::JwtVerifier>(std::move(created));

  // Dependencies next: the topic, then the reply channel.
  if (auto error = waitForTopics(config); !error.empty()) {
    log::error("kafka not reachable at start-up", {{"error", error}});
    return 1;
  }
  metrics::Registry registry;
  GatewayMetrics gateway_metrics(registry);
  PendingReplies pending;
  ReplyListener listener(config.database_url, std::string(kReplyChannelPrefix) + config.instance_id,
                         pending);
  if (!listener.start(config.startup_timeout)) {
    log::error("postgres not reachable at start-up: cannot listen for replies");
    return 1;
  }

  try {
    CommandPublisher publisher(
        config.brokers, config.commands_topic, config.produce_timeout,
        [&pending](const std::string& correlation_id, const std::string& reason) {
          log::warn("kafka did not take a command",
                    {{"request_id", correlation_id}, {"error", reason}});
          pending.complete(correlation_id,
                           {503, encodeError({ErrorKind::kUnavailable,
                                              "the command could not be published: " + reason,
                                              {"request_id: " + correlation_id}})});
        },
        gateway_metrics.delivery_duration, gateway_metrics.produce_errors);
    RecordReader reader(config.database_url, config.query_threads, config.query_timeout);
    ApiRoutes routes(
        {config.instance_id, config.reply_timeout, config.max_in_flight, config.query_threads},
        verifier, publisher, pending, listener, reader, registry, gateway_metrics);

    asio::io_context io(config.io_threads);
    net::HttpServer server(
        io, {64 * 1024, 16 * 1024, config.read_timeout, config.read_timeout},
        [&routes](net::Request request) { return routes.handle(std::move(request)); });
    server.listen(config.listen_address, static_cast<std::uint16_t>(config.port));
    log::info("listening",
              {{"url", "http://" + config.listen_address + ":" + std::to_string(server.port())}});

    // Shutdown: stop accepting, let requests in flight finish (bounded), then stop.
    asio::signal_set signals(io, SIGINT, SIGTERM);
    asio::steady_timer drain(io);
    const auto drain_deadline = std::make_shared<std::chrono::steady_clock::time_point>();
    std::function<void()> check_drained = [&] {
      if (server.activeRequests() == 0 || std::chrono::steady_clock::now() >= *drain_deadline) {
        if (server.activeRequests() > 0) {
          log::warn("shutting down with requests unanswered",
                    {{"requests", std::to_string(server.activeRequests())}});
        }
        io.stop();
        return;
      }
      drain.expires_after(std::chrono::milliseconds(20));
      drain.async_wait([&](const boost::system::error_code&) { check_drained(); });
    };
    signals.async_wait([&](const boost::system::error_code& ec, int signal) {
      if (ec) {
        return;
      }
      log::info("shutting down", {{"signal", std::to_string(signal)},
                                  {"requests_in_flight", std::to_string(server.activeRequests())}});
      server.stopAccepting();
      *drain_deadline = std::chrono::steady_clock::now() + config.shutdown_timeout;
      check_drained();
    });

    std::vector<std::thread> threads;
    for (int i = 1; i < config.io_threads; ++i) {
      threads.emplace_back([&io] { io.run(); });
    }
    io.run();
    for (auto& thread : threads) {
      thread.join();
    }

    // Requests cut off at the shutdown deadline are coroutines suspended on objects that this
    // scope is about to destroy in an order that suits the idle case; leave without unwinding.
    if (server.activeRequests() > 0) {
      publisher.flush(config.produce_timeout);
      log::warn("stopped with requests unanswered",
                {{"requests", std::to_string(server.activeRequests())}});
      std::quick_exit(0);
    }
  } catch (const std::exception& e) {
    log::error("gateway stopped on an error", {{"error", e.what()}});
    return 1;
  }
  log::info("stopped");
  return 0;
}
