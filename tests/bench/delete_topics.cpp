// Deletes the benchmark's topics once it is done, so that runs do not pile up on the broker.
// Usage: delete_topics <brokers> <topic> [<topic> ...]
#include <cstdio>
#include <exception>
#include <string>

#include "tests/support/kafka_tools.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s <brokers> <topic> [<topic> ...]\n", argv[0]);
    return 2;
  }
  int status = 0;
  for (int i = 2; i < argc; ++i) {
    try {
      ledger::testing::deleteTopic(argv[1], argv[i]);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "delete_topics: %s\n", e.what());
      status = 1;
    }
  }
  return status;
}
