// How fast the recorder applies commands: N commands are produced straight to Kafka first, then
// a recorder starts on them; the figure is commands applied per second until its lag is zero.
// Usage: recorder_throughput_bench [commands] [slots] [extra recorder flags...]
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "common/command.h"
#include "tests/support/kafka_tools.h"
#include "tests/support/ledger_stack.h"

using namespace ledger::testing;

int main(int argc, char** argv) {
  const int commands = argc > 1 ? std::stoi(argv[1]) : 20000;
  const int slots = argc > 2 ? std::stoi(argv[2]) : 1000;
  StackOptions options;
  for (int i = 3; i < argc; ++i) {
    options.recorder_args.emplace_back(argv[i]);
  }
  LedgerStack stack(options);
  stack.stopRecorder();

  const auto env = "bench-" + uniqueSuffix();
  std::vector<OutgoingMessage> messages;
  messages.reserve(commands);
  for (int i = 0; i < commands; ++i) {
    const auto slot = "svc-" + std::to_string(i % slots);
    messages.push_back({env + "/" + slot,
                        requestBody(env, slot, digestOf(env + std::to_string(i))),
                        {{std::string(ledger::command::kHeaderSpecVersion), "1.0"},
                         {std::string(ledger::command::kHeaderId), std::to_string(i)},
                         {std::string(ledger::command::kHeaderSource), "//bench/" + env},
                         {std::string(ledger::command::kHeaderType),
                          std::string(ledger::command::kRecordDeploymentType)},
                         {std::string(ledger::command::kHeaderOrganization), "dev"}}});
  }
  produceAll(testBrokers(), stack.commands_topic, messages);

  const auto started = std::chrono::steady_clock::now();
  stack.startRecorder();
  const bool done =
      eventually([&] { return groupLag(testBrokers(), stack.group_id, stack.commands_topic) == 0; },
                 std::chrono::minutes(10));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!done) {
    std::fprintf(stderr, "recorder did not catch up within 10 minutes\n");
    return 1;
  }
  std::printf("recorder: %d commands over %d slots applied in %.2f s: %.0f commands/s\n", commands,
              slots, seconds, commands / seconds);
  return 0;
}
