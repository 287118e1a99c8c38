// The recorder against real Kafka and Postgres: redelivery, duplicates, poison messages and
// outages. Each test runs its own stack, since several stop or restart a service.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>
#include <future>
#include <pqxx/pqxx>

#include "common/command.h"
#include "tests/support/kafka_tools.h"
#include "tests/support/ledger_stack.h"

namespace ledger::testing {
namespace {

class RecorderTest : public ::testing::Test {
 protected:
  void SetUp() override { env_ = "env-" + uniqueSuffix(); }

  // (id, status, is_current, last_seen_at, updated_at) of every record in the environment.
  std::vector<std::string> snapshot() {
    pqxx::connection connection(testDatabaseUrl());
    pqxx::nontransaction tx(connection);
    std::vector<std::string> rows;
    for (const auto& row : tx.exec_params(
             "select r.id::text || '|' || r.deployment_name || '|' || r.status || '|' || "
             "r.is_current::text || '|' || r.last_seen_at::text || '|' || r.updated_at::text "
             "from deployment_records r join environments e on e.id = r.environment_id "
             "where e.name = $1 order by r.seq",
             env_)) {
      rows.push_back(row[0].as<std::string>());
    }
    return rows;
  }

  std::size_t recordCount() { return snapshot().size(); }

  // Field n (from 0) of a snapshot row.
  static std::string column(const std::string& row, int n) {
    std::size_t start = 0;
    for (int i = 0; i < n; ++i) {
      start = row.find('|', start) + 1;
    }
    return row.substr(start, row.find('|', start) - start);
  }

  // Command headers; the id is made unique to this test run, since applied identities persist.
  std::map<std::string, std::string> headers(const std::string& id,
                                             const std::string& source = "//ci/test") const {
    return {{std::string(command::kHeaderSpecVersion), "1.0"},
            {std::string(command::kHeaderId), env_ + "-" + id},
            {std::string(command::kHeaderSource), source},
            {std::string(command::kHeaderType), std::string(command::kRecordDeploymentType)},
            {std::string(command::kHeaderOrganization), "dev"}};
  }

  std::string env_;
};

TEST_F(RecorderTest, RedeliveredCommandsApplyOnce) {
  LedgerStack stack;
  for (int i = 0; i < 10; ++i) {
    const auto slot = "svc-" + std::to_string(i % 3);
    ASSERT_EQ(stack.post(requestBody(env_, slot, digestOf(env_ + std::to_string(i)))).status, 200);
  }
  const auto before = snapshot();
  ASSERT_EQ(before.size(), 10u);

  // Stop the recorder, rewind its group to the start, and let a new one read everything again.
  ASSERT_EQ(stack.stopRecorder(), 0);
  rewindGroup(testBrokers(), stack.group_id, stack.commands_topic);
  ASSERT_GT(groupLag(testBrokers(), stack.group_id, stack.commands_topic), 0);
  stack.startRecorder();
  ASSERT_TRUE(
      eventually([&] { return groupLag(testBrokers(), stack.group_id, stack.commands_topic) == 0; },
                 std::chrono::seconds(60)));

  EXPECT_EQ(snapshot(), before) << "a redelivered command must change nothing";
}

TEST_F(RecorderTest, DuplicateCommandIdentityAppliesOnce) {
  LedgerStack stack;
  const auto body = requestBody(env_, "api", digestOf(env_));
  const auto key = env_ + "/api";
  produce(testBrokers(), stack.commands_topic, key, body, headers("dup-1"));
  ASSERT_TRUE(eventually([&] { return recordCount() == 1; }, std::chrono::seconds(30)));
  const auto first = snapshot();

  produce(testBrokers(), stack.commands_topic, key, body, headers("dup-1"));
  // Another command after the duplicate shows the duplicate has been consumed.
  produce(testBrokers(), stack.commands_topic, key, requestBody(env_, "api", digestOf(env_ + "2")),
          headers("dup-2"));
  ASSERT_TRUE(eventually([&] { return recordCount() == 2; }, std::chrono::seconds(30)));
  const auto after = snapshot();
  EXPECT_EQ(column(after.front(), 0), column(first.front(), 0));
  EXPECT_EQ(column(after.front(), 2), "SUPERSEDED");
  // Superseding changed updated_at, but last_seen_at is as the first command left it.
  EXPECT_EQ(column(after.front(), 4), column(first.front(), 4))
      << "the duplicate must not touch last_seen_at";

  // The same id from another source is another command.
  produce(testBrokers(), stack.commands_topic, key, body, headers("dup-1", "//ci/other"));
  ASSERT_TRUE(eventually([&] { return recordCount() == 3; }, std::chrono::seconds(30)));
}

TEST_F(RecorderTest, PoisonMessagesAreDeadLetteredAndValidOnesAroundThemApply) {
  LedgerStack stack;
  const auto key = env_ + "/api";
  const auto valid = requestBody(env_, "api", digestOf(env_ + "1"));
  auto missing_type = headers("p-2");
  missing_type.erase(std::string(command::kHeaderType));

  produce(testBrokers(), stack.commands_topic, key, "not json", headers("p-1"));
  produce(testBrokers(), stack.commands_topic, key, valid, missing_type);
  produce(testBrokers(), stack.commands_topic, key,
          requestBody(env_, "api", digestOf("x"), {{"status", "SUPERSEDED"}}), headers("p-3"));
  produce(testBrokers(), stack.commands_topic, "wrong/key", valid, headers("p-4"));
  produce(testBrokers(), stack.commands_topic, key, std::string(70 * 1024, ' '), headers("p-5"));
  produce(testBrokers(), stack.commands_topic, key, valid, headers("ok-1"));
  produce(testBrokers(), stack.commands_topic, key, requestBody(env_, "api", digestOf(env_ + "2")),
          headers("ok-2"));

  ASSERT_TRUE(eventually([&] { return recordCount() == 2; }, std::chrono::seconds(30)));
  std::vector<KafkaMessage> dead;
  ASSERT_TRUE(eventually(
      [&] {
        dead = readTopic(testBrokers(), stack.dead_letter_topic);
        return dead.size() == 5;
      },
      std::chrono::seconds(30)));

  std::map<std::string, std::string> code_by_id;
  for (const auto& message : dead) {
    const auto id = message.headers.at("ce_id").substr(env_.size() + 1);
    code_by_id[id] = message.headers.at("ledger_dlq_error_code");
    EXPECT_FALSE(message.headers.at("ledger_dlq_reason").empty());
    EXPECT_EQ(message.headers.at("ledger_dlq_original_topic"), stack.commands_topic);
    EXPECT_FALSE(message.headers.at("ledger_dlq_original_offset").empty());
    EXPECT_FALSE(message.headers.at("ledger_dlq_original_partition").empty());
  }
  EXPECT_EQ(code_by_id, (std::map<std::string, std::string>{{"p-1", "INVALID_JSON"},
                                                            {"p-2", "INVALID_ENVELOPE"},
                                                            {"p-3", "INVALID_COMMAND"},
                                                            {"p-4", "KEY_MISMATCH"},
                                                            {"p-5", "VALUE_TOO_LARGE"}}));
  // The dead letter keeps the original value unchanged.
  for (const auto& message : dead) {
    if (message.headers.at("ce_id") == env_ + "-p-1") {
      EXPECT_EQ(message.value, "not json");
    }
  }
}

TEST_F(RecorderTest, SilentRecorderGives504AndTheCommandStillApplies) {
  LedgerStack stack({.reply_timeout = std::chrono::milliseconds(2000),
                     .produce_timeout = std::chrono::milliseconds(1500)});
  ASSERT_EQ(stack.stopRecorder(), 0);
  const auto result = stack.post(requestBody(env_, "api", digestOf(env_)));
  EXPECT_EQ(result.status, 504);
  rapidjson::Document doc;
  doc.Parse(result.body.c_str());
  EXPECT_EQ(doc["code"].GetInt(), 4);

  stack.startRecorder();
  EXPECT_TRUE(eventually([&] { return recordCount() == 1; }, std::chrono::seconds(30)));
}

TEST_F(RecorderTest, UnreachableTopicGives503WithinProduceTimeout) {
  LedgerStack stack({.reply_timeout = std::chrono::milliseconds(8000),
                     .produce_timeout = std::chrono::milliseconds(2000)});
  deleteTopic(testBrokers(), stack.commands_topic);
  const auto started = std::chrono::steady_clock::now();
  const auto result = stack.post(requestBody(env_, "api", digestOf(env_)));
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(result.status, 503) << result.body;
  rapidjson::Document doc;
  doc.Parse(result.body.c_str());
  EXPECT_EQ(doc["code"].GetInt(), 14);
  // Bounded by the produce timeout, not the longer reply timeout.
  EXPECT_LT(waited, std::chrono::milliseconds(8000));
}

TEST_F(RecorderTest, GatewayAnswersRequestsInFlightBeforeShuttingDown) {
  LedgerStack stack;
  std::vector<std::future<int>> statuses;
  for (int i = 0; i < 20; ++i) {
    statuses.push_back(std::async(std::launch::async, [&, i] {
      return stack.post(requestBody(env_, "svc-" + std::to_string(i), digestOf(env_))).status;
    }));
  }
  // Wait until the gateway has accepted some of them, then ask it to stop.
  ASSERT_TRUE(eventually([&] { return recordCount() >= 1; }, std::chrono::seconds(30)));
  EXPECT_EQ(stack.stopGateway(), 0);
  // Every accepted request is answered with its outcome; only connections that arrive after the
  // listener closed may be refused.
  int answered = 0;
  for (auto& status : statuses) {
    try {
      EXPECT_EQ(status.get(), 200);
      ++answered;
    } catch (const boost::system::system_error& e) {
      EXPECT_EQ(e.code(), boost::asio::error::connection_refused) << e.what();
    }
  }
  EXPECT_GE(answered, 1);
}

}  // namespace
}  // namespace ledger::testing
