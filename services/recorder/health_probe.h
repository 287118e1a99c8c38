// Whether the recorder can reach Kafka and PostgreSQL right now, for /readyz. A background thread
// probes both every interval with its own connections, so that a readiness request never blocks.
// Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ledger::recorder {

class HealthProbe {
 public:
  HealthProbe(std::string brokers, std::string database_url, std::chrono::milliseconds interval);
  ~HealthProbe();

  void start();
  // What is unreachable now, e.g. {"kafka: no broker answered"}; empty when ready.
  std::vector<std::string> problems() const;

 private:
  void run();

  std::string brokers_;
  std::string database_url_;
  std::chrono::milliseconds interval_;
  std::atomic<bool> kafka_up_{false};
  std::atomic<bool> database_up_{false};
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::thread thread_;
};

}  // namespace ledger::recorder
