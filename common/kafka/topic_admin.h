// Creating the topics the services use, so that a fresh broker works without manual steps.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace ledger::kafka {

struct TopicSpec {
  std::string name;
  int partitions = 6;
};

// Creates each topic that does not exist yet (an existing topic is left as it is). Blocks up to
// timeout. Returns an error naming the topic and the broker's reason, or empty on success.
std::string ensureTopics(const std::string& brokers, const std::vector<TopicSpec>& topics,
                         std::chrono::milliseconds timeout);

}  // namespace ledger::kafka
