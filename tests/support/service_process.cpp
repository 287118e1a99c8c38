#include "tests/support/service_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace ledger::testing {

ServiceProcess::ServiceProcess(std::string binary, std::vector<std::string> args,
                               std::string log_path)
    : log_path_(std::move(log_path)) {
  std::vector<char*> argv;
  argv.push_back(binary.data());
  for (auto& arg : args) {
    argv.push_back(arg.data());
  }
  argv.push_back(nullptr);
  const int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    throw std::runtime_error("cannot open " + log_path_);
  }
  pid_ = ::fork();
  if (pid_ < 0) {
    throw std::runtime_error("fork failed");
  }
  if (pid_ == 0) {
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    ::execv(binary.c_str(), argv.data());
    const std::string failure = "exec " + binary + " failed: " + std::strerror(errno) + "\n";
    (void)!::write(STDERR_FILENO, failure.data(), failure.size());
    std::_Exit(127);
  }
  ::close(fd);
}

ServiceProcess::~ServiceProcess() {
  if (pid_ > 0) {
    kill();
  }
}

std::optional<int> ServiceProcess::reap(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::nullopt;
}

std::optional<int> ServiceProcess::terminate(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) {
    return std::nullopt;
  }
  ::kill(pid_, SIGTERM);
  if (auto status = reap(timeout)) {
    return status;
  }
  kill();
  return std::nullopt;
}

void ServiceProcess::kill() {
  if (pid_ <= 0) {
    return;
  }
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

bool ServiceProcess::running() {
  if (pid_ <= 0) {
    return false;
  }
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

std::string ServiceProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<std::string> ServiceProcess::waitForLog(const std::string& needle,
                                                      std::chrono::milliseconds timeout) {
  std::optional<std::string> found;
  eventually(
      [&] {
        const auto text = log();
        const auto at = text.find(needle);
        if (at == std::string::npos) {
          return false;
        }
        found = text.substr(at, text.find('\n', at) - at);
        return true;
      },
      timeout);
  return found;
}

namespace {

std::string fromEnvironment(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

}  // namespace

std::string testBrokers() { return fromEnvironment("LEDGER_TEST_BROKERS", "127.0.0.1:19092"); }

std::string testDatabaseUrl() {
  return fromEnvironment("LEDGER_TEST_DATABASE_URL",
                         "postgresql://postgres@127.0.0.1:15432/ledger");
}

std::string serviceBinary(const std::string& name) {
  return fromEnvironment("LEDGER_TEST_BIN", LEDGER_DEFAULT_BIN_DIR) + "/" + name +
         "/deployment-ledger-" + name;
}

std::string uniqueSuffix() {
  static std::mt19937_64 generator{std::random_device{}()};
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  for (int i = 0; i < 10; ++i) {
    out.push_back(kAlphabet[generator() % 36]);
  }
  return out;
}

}  // namespace ledger::testing
