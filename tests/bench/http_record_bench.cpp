// End-to-end throughput and latency of POST /v1/deployments: C clients, each on one keep-alive
// connection, record deployments back to back for D seconds (every request a new artifact in one
// of 1,000 slots, so every request is a change that supersedes a record and emits an event).
// Usage: http_record_bench [clients] [seconds]
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <cstdio>
#include <thread>

#include "tests/bench/bench_stats.h"
#include "tests/support/ledger_stack.h"

using namespace ledger::testing;
namespace beast = boost::beast;
namespace http = beast::http;

int main(int argc, char** argv) {
  const int clients = argc > 1 ? std::stoi(argv[1]) : 32;
  const int seconds = argc > 2 ? std::stoi(argv[2]) : 20;
  LedgerStack stack;
  const auto env = "bench-" + uniqueSuffix();
  const auto token = "Bearer " + stack.token();

  std::atomic<bool> stop{false};
  std::atomic<long> errors{0};
  std::vector<std::vector<double>> latencies(clients);
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      boost::asio::io_context io;
      beast::tcp_stream stream(io);
      stream.connect({boost::asio::ip::make_address("127.0.0.1"), stack.port()});
      beast::flat_buffer buffer;
      for (long n = 0; !stop.load(); ++n) {
        const auto slot = "svc-" + std::to_string((c * 7919 + n) % 1000);
        http::request<http::string_body> request{http::verb::post, "/v1/deployments", 11};
        request.set(http::field::host, "127.0.0.1");
        request.set(http::field::authorization, token);
        request.set(http::field::content_type, "application/json");
        request.body() =
            requestBody(env, slot, digestOf(env + std::to_string(c) + "-" + std::to_string(n)));
        request.prepare_payload();
        const auto started = std::chrono::steady_clock::now();
        http::write(stream, request);
        http::response<http::string_body> response;
        http::read(stream, buffer, response);
        latencies[c].push_back(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        if (response.result_int() != 200) {
          ++errors;
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  for (auto& thread : threads) {
    thread.join();
  }
  std::vector<double> all;
  for (const auto& each : latencies) {
    all.insert(all.end(), each.begin(), each.end());
  }
  std::printf("http: %d clients for %d s: %zu requests, %.0f requests/s, %ld not 200; %s\n",
              clients, seconds, all.size(), all.size() / static_cast<double>(seconds),
              errors.load(), describeLatencies(all).c_str());
  return errors.load() == 0 ? 0 : 1;
}
