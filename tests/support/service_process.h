// A service binary run as a child process for integration tests, with its output in a log file.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace ledger::testing {

class ServiceProcess {
 public:
  // Starts binary with args; stdout and stderr go to log_path. Throws std::runtime_error.
  ServiceProcess(std::string binary, std::vector<std::string> args, std::string log_path);
  ~ServiceProcess();  // kills the process if it still runs

  ServiceProcess(const ServiceProcess&) = delete;
  ServiceProcess& operator=(const ServiceProcess&) = delete;

  // Sends SIGTERM and waits for the exit; returns the exit status, or nullopt if it had to be
  // killed after timeout.
  std::optional<int> terminate(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // SIGKILL, no chance to clean up.
  void kill();
  bool running();

  // Waits until the log contains needle; returns the text from needle to the end of its line.
  std::optional<std::string> waitForLog(const std::string& needle,
                                        std::chrono::milliseconds timeout);
  std::string log() const;

 private:
  std::optional<int> reap(std::chrono::milliseconds timeout);

  pid_t pid_ = -1;
  std::string log_path_;
};

// Environment-provided locations of the test infrastructure, with the local defaults.
std::string testBrokers();
std::string testDatabaseUrl();
std::string serviceBinary(const std::string& name);  // "gateway" or "recorder"

// A short random suffix for names that must not collide between test runs.
std::string uniqueSuffix();

// Polls condition every 20 ms until it holds or timeout passes; returns its last value.
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) {
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    struct timespec pause {
      0, 20'000'000
    };
    nanosleep(&pause, nullptr);
  }
}

}  // namespace ledger::testing
