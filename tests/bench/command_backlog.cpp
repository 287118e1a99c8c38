// Produces a backlog of record-deployment commands straight into the commands topic, as a
// pipeline would, for the drain benchmark. Every command adds exactly one deployment record:
// even-numbered commands open a new slot, odd-numbered ones deploy a new artifact into a slot
// opened earlier and so supersede its current record. The drain's rows can then be copied back
// one for one by the COPY ceiling.
// Usage: command_backlog <brokers> <topic> <count> <organization> <environments>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>

#include "common/command.h"
#include "tests/support/kafka_tools.h"
#include "tests/support/ledger_stack.h"

using namespace ledger::testing;

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s <brokers> <topic> <count> <organization> <environments>\n",
                 argv[0]);
    return 2;
  }
  const std::string brokers = argv[1];
  const std::string topic = argv[2];
  const std::int64_t count = std::stoll(argv[3]);
  const std::string organization = argv[4];
  const std::int64_t environments = std::stoll(argv[5]);
  if (count < 1 || environments < 1) {
    std::fprintf(stderr, "command_backlog: count and environments must be positive\n");
    return 2;
  }
  namespace cmd = ledger::command;
  const std::string source = "//bench/backlog/" + organization;
  try {
    produceGenerated(brokers, topic, count, [&](std::int64_t i) {
      // Slot i/2 opens at command i (even); command i (odd) supersedes slot (i-1)/4, opened
      // by command (i-1)/2 < i.
      const std::int64_t slot = i % 2 == 0 ? i / 2 : (i - 1) / 4;
      const auto environment = "drain-" + std::to_string(slot % environments);
      const auto deployment = "svc-" + std::to_string(slot);
      return OutgoingMessage{
          environment + "/" + deployment,
          requestBody(environment, deployment, digestOf(organization + "/" + std::to_string(i))),
          {{std::string(cmd::kHeaderSpecVersion), std::string(cmd::kSpecVersion)},
           {std::string(cmd::kHeaderId), std::to_string(i)},
           {std::string(cmd::kHeaderSource), source},
           {std::string(cmd::kHeaderType), std::string(cmd::kRecordDeploymentType)},
           {std::string(cmd::kHeaderContentType), std::string(cmd::kContentType)},
           {std::string(cmd::kHeaderOrganization), organization}}};
    });
  } catch (const std::exception& e) {
    std::fprintf(stderr, "command_backlog: %s\n", e.what());
    return 1;
  }
  std::printf("command_backlog: %lld commands produced to %s\n", static_cast<long long>(count),
              topic.c_str());
  return 0;
}
