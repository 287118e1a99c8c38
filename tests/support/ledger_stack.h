// A recorder and a gateway started as real processes against the test Postgres and Kafka, on
// topics and a consumer group of their own, so that test suites do not see each other's traffic.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/http_client.h"
#include "tests/support/service_process.h"

namespace ledger::testing {

struct StackOptions {
  std::chrono::milliseconds reply_timeout{15000};
  std::chrono::milliseconds produce_timeout{5000};
  std::vector<std::string> gateway_args;
  std::vector<std::string> recorder_args;
};

class LedgerStack {
 public:
  explicit LedgerStack(StackOptions options = {});
  ~LedgerStack();

  // Starts the recorder and waits until it owns partitions. Throws on failure.
  void startRecorder();
  std::optional<int> stopRecorder();
  void killRecorder();
  ServiceProcess& recorder() { return *recorder_; }

  void startGateway();
  std::optional<int> stopGateway();
  ServiceProcess& gateway() { return *gateway_; }
  std::uint16_t port() const { return port_; }

  // POST /v1/deployments; with a token for organization "dev" unless headers name an
  // "authorization" of their own (an empty one sends none).
  HttpResult post(const std::string& body, const std::map<std::string, std::string>& headers = {});

  // A token signed with the gateway's HS256 secret; extra_claims is JSON members to add, e.g.
  // R"("environments":["prod"])".
  std::string token(const std::string& organization = "dev",
                    const std::string& scope = "deployments:write deployments:read",
                    const std::string& extra_claims = "", long ttl_seconds = 3600) const;
  const std::string& secret() const { return secret_; }

  const std::string name;  // unique per stack
  const std::string commands_topic;
  const std::string dead_letter_topic;
  const std::string events_topic;
  const std::string group_id;

 private:
  StackOptions options_;
  std::string secret_;
  std::string secret_path_;
  std::unique_ptr<ServiceProcess> recorder_;
  std::unique_ptr<ServiceProcess> gateway_;
  std::uint16_t port_ = 0;
  int recorder_starts_ = 0;
};

// A valid request body; fields can be overridden by name. Values are JSON-escaped.
std::string requestBody(const std::string& environment, const std::string& deployment,
                        const std::string& digest,
                        const std::map<std::string, std::string>& extra = {});

// "sha256:" and 64 hex digits derived from seed.
std::string digestOf(const std::string& seed);

}  // namespace ledger::testing
