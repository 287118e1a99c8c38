// What operators rely on: health, readiness and metrics endpoints of both services, the served
// API description, configuration errors and precedence, and migrations run concurrently.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <pqxx/pqxx>

#include "tests/support/ledger_stack.h"

namespace ledger::testing {
namespace {

// Runs the Prometheus client's parser over text; returns its listing, or nullopt if it refused.
std::optional<std::string> parseMetrics(const std::string& text) {
  const std::string input = "/tmp/ledger-test-metrics-" + uniqueSuffix() + ".txt";
  const std::string output = input + ".out";
  std::ofstream(input) << text;
  const std::string root = LEDGER_SOURCE_DIR;
  const auto command =
      "/usr/bin/python3 " + root + "/tests/contract/parse_metrics.py < " + input + " > " + output;
  if (WEXITSTATUS(std::system(command.c_str())) != 0) {
    return std::nullopt;
  }
  std::ifstream in(output);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::uint16_t adminPort(ServiceProcess& recorder) {
  const auto line =
      recorder.waitForLog("\"admin server listening\",\"url\":\"http://", std::chrono::seconds(30));
  if (!line) {
    throw std::runtime_error("no admin url in the recorder log");
  }
  return static_cast<std::uint16_t>(std::stoi(line->substr(line->rfind(':') + 1)));
}

class OperationsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { stack_ = new LedgerStack(); }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }
  static LedgerStack* stack_;
};

LedgerStack* OperationsTest::stack_ = nullptr;

TEST_F(OperationsTest, GatewayHealthAndReadinessNeedNoToken) {
  auto result = httpRequest(stack_->port(), "GET", "/healthz");
  EXPECT_EQ(result.status, 200);
  result = httpRequest(stack_->port(), "GET", "/readyz");
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.body, R"({"status":"ready"})");
}

TEST_F(OperationsTest, GatewayMetricsParseAndCountRequests) {
  ASSERT_EQ(stack_->post(requestBody("ops-" + uniqueSuffix(), "api", digestOf("m"))).status, 200);
  const auto result = httpRequest(stack_->port(), "GET", "/metrics");
  ASSERT_EQ(result.status, 200);
  EXPECT_EQ(result.headers.at("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  const auto parsed = parseMetrics(result.body);
  ASSERT_TRUE(parsed.has_value()) << result.body;
  for (const char* family :
       {"ledger_http_requests counter", "ledger_http_request_duration_seconds histogram",
        "ledger_http_requests_in_flight gauge", "ledger_kafka_produce_errors counter",
        "ledger_kafka_delivery_duration_seconds histogram",
        "ledger_reply_wait_seconds histogram"}) {
    EXPECT_NE(parsed->find(family), std::string::npos) << family << "\n" << *parsed;
  }
  EXPECT_NE(parsed->find("ledger_http_requests_total{code=200,route=record_deployment}"),
            std::string::npos)
      << *parsed;
}

TEST_F(OperationsTest, GatewayServesItsOpenApiDescription) {
  const auto result = httpRequest(stack_->port(), "GET", "/openapi.yaml");
  ASSERT_EQ(result.status, 200);
  std::ifstream in(std::string(LEDGER_SOURCE_DIR) + "/schemas/openapi.yaml");
  const std::string expected(std::istreambuf_iterator<char>(in), {});
  EXPECT_EQ(result.body, expected);
}

TEST_F(OperationsTest, RecorderAdminPortServesHealthReadinessAndMetrics) {
  const auto port = adminPort(stack_->recorder());
  EXPECT_EQ(httpRequest(port, "GET", "/healthz").status, 200);
  EXPECT_TRUE(eventually([&] { return httpRequest(port, "GET", "/readyz").status == 200; },
                         std::chrono::seconds(10)));
  ASSERT_EQ(stack_->post(requestBody("ops-" + uniqueSuffix(), "api", digestOf("r"))).status, 200);
  const auto result = httpRequest(port, "GET", "/metrics");
  ASSERT_EQ(result.status, 200);
  const auto parsed = parseMetrics(result.body);
  ASSERT_TRUE(parsed.has_value()) << result.body;
  for (const char* family :
       {"ledger_commands_applied counter", "ledger_batch_commands histogram",
        "ledger_transaction_duration_seconds histogram", "ledger_consumer_lag_messages gauge",
        "ledger_dead_lettered counter", "ledger_events_published counter"}) {
    EXPECT_NE(parsed->find(family), std::string::npos) << family << "\n" << *parsed;
  }
  EXPECT_NE(parsed->find("ledger_commands_applied_total{outcome=applied}"), std::string::npos);
}

TEST(ConfigurationTest, UnknownFlagOrBadValueStopsStartUpNamingIt) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"--colour=blue"}, "unknown option --colour"},
      {{"--port=http"}, "--port: \"http\" is not an integer"},
      {{"--reply-timeout=5"}, "--reply-timeout"},
  };
  for (const auto& [args, expected] : cases) {
    ServiceProcess gateway(serviceBinary("gateway"), args,
                           "/tmp/ledger-test-config-" + uniqueSuffix() + ".log");
    ASSERT_TRUE(eventually([&] { return !gateway.running(); }, std::chrono::seconds(10)));
    const auto log = gateway.log();
    EXPECT_NE(log.find(expected), std::string::npos) << log;
    EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << "one line: " << log;
  }
}

TEST(ConfigurationTest, EnvironmentConfiguresAndFlagsWin) {
  // A malformed variable stops start-up with its name; the same variable overridden by a flag
  // does not matter.
  ::setenv("DEPLOYMENTS_ADMIN_PORT", "not-a-port", 1);
  ServiceProcess env_only(serviceBinary("recorder"), {"--migrate-only"},
                          "/tmp/ledger-test-config-" + uniqueSuffix() + ".log");
  ServiceProcess flag_wins(
      serviceBinary("recorder"),
      {"--migrate-only", "--admin-port=0", "--database-url=" + testDatabaseUrl()},
      "/tmp/ledger-test-config-" + uniqueSuffix() + ".log");
  ::unsetenv("DEPLOYMENTS_ADMIN_PORT");
  ASSERT_TRUE(eventually([&] { return !env_only.running() && !flag_wins.running(); },
                         std::chrono::seconds(30)));
  EXPECT_NE(env_only.log().find("DEPLOYMENTS_ADMIN_PORT: \"not-a-port\" is not an integer"),
            std::string::npos)
      << env_only.log();
  EXPECT_NE(flag_wins.log().find("schema is up to date"), std::string::npos) << flag_wins.log();

  // The environment alone configures: a database URL from the environment is the one used.
  ::setenv("DEPLOYMENTS_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none", 1);
  ServiceProcess from_env(serviceBinary("recorder"), {"--migrate-only", "--startup-timeout=1s"},
                          "/tmp/ledger-test-config-" + uniqueSuffix() + ".log");
  ::unsetenv("DEPLOYMENTS_DATABASE_URL");
  ASSERT_TRUE(eventually([&] { return !from_env.running(); }, std::chrono::seconds(30)));
  EXPECT_NE(from_env.log().find("database not reachable at start-up"), std::string::npos)
      << from_env.log();
}

TEST(ConfigurationTest, HelpListsOptionsWithDefaultsAndVariables) {
  ServiceProcess help(serviceBinary("gateway"), {"--help"},
                      "/tmp/ledger-test-config-" + uniqueSuffix() + ".log");
  ASSERT_TRUE(eventually([&] { return !help.running(); }, std::chrono::seconds(10)));
  EXPECT_NE(help.log().find("--reply-timeout (DEPLOYMENTS_REPLY_TIMEOUT, default \"10s\")"),
            std::string::npos)
      << help.log();
}

TEST(MigrationTest, RecordersMigratingAtOnceApplyEachVersionOnce) {
  const std::string database = "ledger_migrate_" + uniqueSuffix();
  {
    pqxx::connection admin(testDatabaseUrl());
    pqxx::nontransaction(admin).exec("create database " + database);
  }
  const auto base = testDatabaseUrl();
  const auto url = base.substr(0, base.rfind('/') + 1) + database;
  std::vector<std::unique_ptr<ServiceProcess>> recorders;
  for (int i = 0; i < 4; ++i) {
    recorders.push_back(std::make_unique<ServiceProcess>(
        serviceBinary("recorder"),
        std::vector<std::string>{"--migrate-only", "--database-url=" + url},
        "/tmp/ledger-test-migrate-" + database + "-" + std::to_string(i) + ".log"));
  }
  for (auto& recorder : recorders) {
    ASSERT_TRUE(eventually([&] { return !recorder->running(); }, std::chrono::seconds(60)));
    EXPECT_NE(recorder->log().find("schema is up to date"), std::string::npos) << recorder->log();
  }
  pqxx::connection connection(url);
  pqxx::nontransaction tx(connection);
  const auto rows =
      tx.exec("select version, count(*) from schema_migrations group by version order by version");
  ASSERT_GE(rows.size(), 3u);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i][0].as<int>(), static_cast<int>(i + 1));
    EXPECT_EQ(rows[i][1].as<int>(), 1);
  }
  // Each migration was logged as applied by exactly one of them.
  int applied = 0;
  for (auto& recorder : recorders) {
    const auto log = recorder->log();
    for (auto at = log.find("applied schema migration"); at != std::string::npos;
         at = log.find("applied schema migration", at + 1)) {
      ++applied;
    }
  }
  EXPECT_EQ(applied, static_cast<int>(rows.size()));
  tx.commit();
}

}  // namespace
}  // namespace ledger::testing
