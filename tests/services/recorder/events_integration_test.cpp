// Events on the events topic: one per change, of the documented CDEvents type, valid against the
// JSON Schemas in schemas/messages, and none lost when the recorder is killed mid-stream.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <cstdlib>
#include <pqxx/pqxx>
#include <set>

#include "common/command.h"
#include "tests/support/kafka_tools.h"
#include "tests/support/ledger_stack.h"

namespace ledger::testing {
namespace {

std::string field(const rapidjson::Value& value, std::initializer_list<const char*> path) {
  const rapidjson::Value* at = &value;
  for (const char* name : path) {
    if (!at->IsObject() || !at->HasMember(name)) {
      return "";
    }
    at = &(*at)[name];
  }
  return at->IsString() ? at->GetString() : "";
}

// Runs the JSON Schema validator over messages; returns its exit status.
int validate(const std::string& topic, const std::vector<KafkaMessage>& messages) {
  const std::string path = "/tmp/ledger-test-messages-" + uniqueSuffix() + ".jsonl";
  writeJsonLines(path, topic, messages);
  const std::string root = LEDGER_SOURCE_DIR;
  const std::string command = "/usr/bin/python3 " + root + "/tests/contract/validate_messages.py " +
                              root + "/schemas/messages " + path;
  return WEXITSTATUS(std::system(command.c_str()));
}

std::map<std::string, std::string> commandHeaders(const std::string& id) {
  return {{std::string(command::kHeaderSpecVersion), "1.0"},
          {std::string(command::kHeaderId), id},
          {std::string(command::kHeaderSource), "//ci/load"},
          {std::string(command::kHeaderType), std::string(command::kRecordDeploymentType)},
          {std::string(command::kHeaderOrganization), "dev"},
          {std::string(command::kHeaderContentType), "application/json"}};
}

class EventsTest : public ::testing::Test {
 protected:
  void SetUp() override { env_ = "env-" + uniqueSuffix(); }

  // The events of one slot, in topic order.
  std::vector<KafkaMessage> slotEvents(const LedgerStack& stack, const std::string& slot) {
    std::vector<KafkaMessage> out;
    for (auto& message : readTopic(testBrokers(), stack.events_topic)) {
      if (message.key == slot) {
        out.push_back(std::move(message));
      }
    }
    return out;
  }

  std::string env_;
};

TEST_F(EventsTest, EachChangeEmitsOneEventOfItsType) {
  LedgerStack stack;
  const auto a = digestOf(env_ + "a");
  const auto b = digestOf(env_ + "b");
  auto id_of = [](const HttpResult& result) {
    rapidjson::Document doc;
    doc.Parse(result.body.c_str());
    return field(doc, {"deployment_record", "id"});
  };
  const auto first = id_of(stack.post(
      requestBody(env_, "api", a, {{"kind", "CONTAINER_IMAGE"}, {"artifact_name", "acme/api"}})));
  ASSERT_FALSE(first.empty());
  ASSERT_EQ(stack.post(requestBody(env_, "api", a)).status, 200);  // last_seen_at only: no event
  const auto second = id_of(stack.post(requestBody(env_, "api", b)));
  const auto third = id_of(stack.post(requestBody(env_, "api", a)));
  ASSERT_EQ(stack.post(requestBody(env_, "api", a, {{"status", "DECOMMISSIONED"}})).status, 200);

  std::vector<KafkaMessage> events;
  ASSERT_TRUE(eventually(
      [&] {
        events = slotEvents(stack, env_ + "/api");
        return events.size() >= 4;
      },
      std::chrono::seconds(30)));
  ASSERT_EQ(events.size(), 4u);

  std::vector<std::string> types;
  std::set<std::string> ids;
  for (const auto& event : events) {
    types.push_back(event.headers.at("ce_type"));
    ids.insert(event.headers.at("ce_id"));
    EXPECT_EQ(event.headers.at("ce_partitionkey"), env_ + "/api");
  }
  EXPECT_EQ(types,
            (std::vector<std::string>{
                "dev.cdevents.service.deployed.0.3.0", "dev.cdevents.service.upgraded.0.3.0",
                "dev.cdevents.service.rolledback.0.3.0", "dev.cdevents.service.removed.0.3.0"}));
  EXPECT_EQ(ids.size(), 4u);

  rapidjson::Document upgraded;
  upgraded.Parse(events[1].value.c_str());
  EXPECT_EQ(field(upgraded, {"customData", "supersession", "superseded_record_id"}), first);
  EXPECT_EQ(field(upgraded, {"customData", "supersession", "replacing_record_id"}), second);
  EXPECT_EQ(field(upgraded, {"customData", "deployment_record", "id"}), second);
  rapidjson::Document rolledback;
  rolledback.Parse(events[2].value.c_str());
  EXPECT_EQ(field(rolledback, {"customData", "supersession", "superseded_record_id"}), second);
  EXPECT_EQ(field(rolledback, {"customData", "deployment_record", "id"}), third);
  rapidjson::Document deployed;
  deployed.Parse(events[0].value.c_str());
  EXPECT_EQ(field(deployed, {"subject", "content", "environment", "id"}), env_);
  EXPECT_EQ(field(deployed, {"subject", "content", "artifactId"}).rfind("pkg:oci/api@sha256%3A", 0),
            0u);

  EXPECT_EQ(validate(stack.events_topic, events), 0);
  EXPECT_EQ(validate(stack.commands_topic, readTopic(testBrokers(), stack.commands_topic)), 0);
}

TEST_F(EventsTest, TraceContextTravelsFromRequestToCommandAndEvent) {
  LedgerStack stack;
  const std::string trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  ASSERT_EQ(stack
                .post(requestBody(env_, "api", digestOf(env_)),
                      {{"traceparent", "00-" + trace_id + "-00f067aa0ba902b7-01"}})
                .status,
            200);
  ASSERT_EQ(stack.post(requestBody(env_, "web", digestOf(env_))).status, 200);  // no trace given

  std::vector<KafkaMessage> events;
  ASSERT_TRUE(eventually(
      [&] {
        events = slotEvents(stack, env_ + "/api");
        return !events.empty();
      },
      std::chrono::seconds(30)));
  const auto& event_trace = events.front().headers.at("traceparent");
  EXPECT_EQ(event_trace.substr(3, 32), trace_id);
  EXPECT_NE(event_trace.substr(36, 16), "00f067aa0ba902b7") << "the gateway adds its own span";

  std::map<std::string, std::string> command_traces;
  for (const auto& command : readTopic(testBrokers(), stack.commands_topic)) {
    command_traces[*command.key] = command.headers.at("traceparent");
  }
  EXPECT_EQ(command_traces.at(env_ + "/api").substr(3, 32), trace_id);
  // Without a traceparent the gateway starts a trace of its own.
  const auto started = command_traces.at(env_ + "/web");
  EXPECT_EQ(started.size(), 55u);
  EXPECT_NE(started.substr(3, 32), trace_id);
}

TEST_F(EventsTest, KilledRecorderLosesNoCommandAndNoEvent) {
  LedgerStack stack({.recorder_args = {"--batch-max=200"}});
  constexpr int kSlots = 100;
  constexpr int kPerSlot = 100;  // 10,000 commands, each a new artifact in its slot
  std::vector<OutgoingMessage> messages;
  for (int n = 0; n < kPerSlot; ++n) {
    for (int s = 0; s < kSlots; ++s) {
      const auto slot = "svc-" + std::to_string(s);
      const auto id = std::to_string(s) + "-" + std::to_string(n);
      messages.push_back({env_ + "/" + slot, requestBody(env_, slot, digestOf(env_ + id)),
                          commandHeaders(env_ + "-" + id)});
    }
  }

  auto applied = [&] {
    pqxx::connection connection(testDatabaseUrl());
    pqxx::nontransaction tx(connection);
    return tx.exec_params1("select count(*) from applied_commands where id like $1", env_ + "-%")[0]
        .as<int>();
  };

  // Kill the recorder once part of the stream is applied, then restart it.
  produceAll(testBrokers(), stack.commands_topic, messages);
  ASSERT_TRUE(eventually([&] { return applied() >= 2000; }, std::chrono::seconds(120)));
  stack.killRecorder();
  const int at_kill = applied();
  EXPECT_LT(at_kill, kSlots * kPerSlot) << "the kill should land mid-stream";
  stack.startRecorder();
  ASSERT_TRUE(
      eventually([&] { return groupLag(testBrokers(), stack.group_id, stack.commands_topic) == 0; },
                 std::chrono::seconds(240)));

  // Every command applied exactly once.
  EXPECT_EQ(applied(), kSlots * kPerSlot);
  pqxx::connection connection(testDatabaseUrl());
  pqxx::nontransaction tx(connection);
  const auto rows = tx.exec_params(
      "select r.deployment_name, r.id::text, r.revision from deployment_records r "
      "join environments e on e.id = r.environment_id where e.name = $1 order by r.seq",
      env_);
  EXPECT_EQ(rows.size(), static_cast<std::size_t>(kSlots * kPerSlot));
  std::map<std::string, std::vector<std::string>> expected;  // slot -> event ids, in order
  for (const auto& row : rows) {
    expected[env_ + "/" + row[0].as<std::string>()].push_back(row[1].as<std::string>() + ":" +
                                                              row[2].as<std::string>());
  }

  // Every event present at least once, with the id of its change, in each slot's order.
  std::map<std::string, std::vector<std::string>> seen;
  ASSERT_TRUE(eventually(
      [&] {
        seen.clear();
        for (const auto& event : readTopic(testBrokers(), stack.events_topic)) {
          auto& ids = seen[*event.key];
          const auto& id = event.headers.at("ce_id");
          if (std::find(ids.begin(), ids.end(), id) == ids.end()) {
            ids.push_back(id);
          }
        }
        std::size_t total = 0;
        for (const auto& [slot, ids] : seen) {
          total += ids.size();
        }
        return total >= static_cast<std::size_t>(kSlots * kPerSlot);
      },
      std::chrono::seconds(120)));
  EXPECT_EQ(seen, expected);
}

}  // namespace
}  // namespace ledger::testing
