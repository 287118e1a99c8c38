#include "tests/support/ledger_stack.h"

#include "common/auth/jwt_verifier.h"

#include <cstdio>
#include <fstream>
#include <functional>
#include <stdexcept>

namespace ledger::testing {
namespace {

std::string logPath(const std::string& name, const std::string& service, int start) {
  return "/tmp/ledger-test-" + name + "-" + service + "-" + std::to_string(start) + ".log";
}

}  // namespace

LedgerStack::LedgerStack(StackOptions options)
    : name(uniqueSuffix()),
      commands_topic("it-" + name + ".commands"),
      dead_letter_topic("it-" + name + ".dead-letter"),
      events_topic("it-" + name + ".events"),
      group_id("it-" + name + "-recorder"),
      options_(std::move(options)),
      secret_("test-secret-" + uniqueSuffix() + uniqueSuffix() + uniqueSuffix()),
      secret_path_("/tmp/ledger-test-" + name + ".secret") {
  std::ofstream(secret_path_) << secret_ << "\n";
  startRecorder();
  startGateway();
}

LedgerStack::~LedgerStack() {
  if (gateway_) {
    gateway_->terminate(std::chrono::seconds(20));
  }
  if (recorder_) {
    recorder_->terminate(std::chrono::seconds(20));
  }
}

void LedgerStack::startRecorder() {
  std::vector<std::string> args{"--brokers=" + testBrokers(),
                                "--database-url=" + testDatabaseUrl(),
                                "--commands-topic=" + commands_topic,
                                "--dead-letter-topic=" + dead_letter_topic,
                                "--events-topic=" + events_topic,
                                "--group-id=" + group_id,
                                "--topic-partitions=4",
                                "--admin-port=0",
                                "--retry-backoff-max=500ms"};
  args.insert(args.end(), options_.recorder_args.begin(), options_.recorder_args.end());
  recorder_ = std::make_unique<ServiceProcess>(serviceBinary("recorder"), args,
                                               logPath(name, "recorder", ++recorder_starts_));
  // Owning at least one partition means the group has settled for this member.
  const bool ready = eventually(
      [&] {
        if (!recorder_->running()) {
          return true;  // exited: reported below
        }
        const auto log = recorder_->log();
        return log.find("\"partitions assigned\",\"partitions\":\"0") != std::string::npos ||
               log.find("\"partitions assigned\",\"partitions\":\"1") != std::string::npos ||
               log.find("\"partitions assigned\",\"partitions\":\"2") != std::string::npos ||
               log.find("\"partitions assigned\",\"partitions\":\"3") != std::string::npos;
      },
      std::chrono::seconds(60));
  if (!ready || !recorder_->running()) {
    throw std::runtime_error("recorder did not get partitions (" + serviceBinary("recorder") +
                             "); log:\n" + recorder_->log());
  }
}

std::optional<int> LedgerStack::stopRecorder() { return recorder_->terminate(); }
void LedgerStack::killRecorder() { recorder_->kill(); }

void LedgerStack::startGateway() {
  std::vector<std::string> args{
      "--brokers=" + testBrokers(),
      "--database-url=" + testDatabaseUrl(),
      "--commands-topic=" + commands_topic,
      "--topic-partitions=4",
      "--port=0",
      "--jwt-secret-file=" + secret_path_,
      "--reply-timeout=" + std::to_string(options_.reply_timeout.count()) + "ms",
      "--produce-timeout=" + std::to_string(options_.produce_timeout.count()) + "ms"};
  args.insert(args.end(), options_.gateway_args.begin(), options_.gateway_args.end());
  gateway_ =
      std::make_unique<ServiceProcess>(serviceBinary("gateway"), args, logPath(name, "gateway", 1));
  const auto line = gateway_->waitForLog("\"url\":\"http://127.0.0.1:", std::chrono::seconds(60));
  if (!line) {
    throw std::runtime_error("gateway did not start; log:\n" + gateway_->log());
  }
  port_ = static_cast<std::uint16_t>(std::stoi(line->substr(line->rfind(':') + 1)));
  const bool ready = eventually([&] { return httpRequest(port_, "GET", "/readyz").status == 200; },
                                std::chrono::seconds(30));
  if (!ready) {
    throw std::runtime_error("gateway not ready; log:\n" + gateway_->log());
  }
}

std::optional<int> LedgerStack::stopGateway() { return gateway_->terminate(); }

HttpResult LedgerStack::post(const std::string& body,
                             const std::map<std::string, std::string>& headers) {
  auto with_token = headers;
  if (with_token.count("authorization") == 0) {
    with_token["authorization"] = "Bearer " + token();
  } else if (with_token["authorization"].empty()) {
    with_token.erase("authorization");
  }
  return httpRequest(port_, "POST", "/v1/deployments", body, with_token);
}

std::string LedgerStack::token(const std::string& organization, const std::string& scope,
                               const std::string& extra_claims, long ttl_seconds) const {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  std::string claims = R"({"sub":"test","org":")" + organization + R"(","scope":")" + scope +
                       R"(","iat":)" + std::to_string(now) + R"(,"exp":)" +
                       std::to_string(now + ttl_seconds);
  if (!extra_claims.empty()) {
    claims += "," + extra_claims;
  }
  return ledger::auth::signHs256(secret_, claims + "}");
}

std::string requestBody(const std::string& environment, const std::string& deployment,
                        const std::string& digest,
                        const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> fields{{"environment_name", environment},
                                            {"deployment_name", deployment},
                                            {"logical_environment_name", "production"},
                                            {"artifact_digest", digest}};
  for (const auto& [key, value] : extra) {
    fields[key] = value;
  }
  std::string out = "{";
  for (const auto& [key, value] : fields) {
    out += (out.size() > 1 ? ",\"" : "\"") + key + "\":\"";
    for (char c : value) {
      if (c == '"' || c == '\\') {
        out.push_back('\\');
      }
      out.push_back(c);
    }
    out.push_back('"');
  }
  return out + "}";
}

std::string digestOf(const std::string& seed) {
  // Four rounds of std::hash spread the seed over 64 hex digits; uniqueness is all that matters.
  std::string out = "sha256:";
  std::size_t state = std::hash<std::string>{}(seed);
  for (int i = 0; i < 4; ++i) {
    char chunk[17];
    std::snprintf(chunk, sizeof chunk, "%016zx", state);
    out += chunk;
    state = std::hash<std::string>{}(seed + chunk);
  }
  return out;
}

}  // namespace ledger::testing
