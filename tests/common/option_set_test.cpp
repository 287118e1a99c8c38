#include "common/option_set.h"

#include <gtest/gtest.h>

namespace ledger {
namespace {

struct Config {
  std::string address = "127.0.0.1";
  int port = 8080;
  bool verbose = false;
  std::chrono::milliseconds timeout{5000};
};

class OptionSetTest : public ::testing::Test {
 protected:
  OptionSetTest() {
    options_.add("address", "where to listen", config_.address);
    options_.add("port", "TCP port", config_.port, 0, 65535);
    options_.add("verbose", "say more", config_.verbose);
    options_.add("timeout", "how long to wait", config_.timeout);
  }

  OptionSet::Outcome parse(std::vector<const char*> args,
                           std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), "prog");
    return options_.parse(static_cast<int>(args.size()), args.data(), env);
  }

  Config config_;
  OptionSet options_{"prog"};
};

TEST_F(OptionSetTest, KeepsDefaultsWhenNothingIsGiven) {
  EXPECT_EQ(parse({}).error, "");
  EXPECT_EQ(config_.port, 8080);
  EXPECT_EQ(config_.timeout, std::chrono::milliseconds(5000));
}

TEST_F(OptionSetTest, FlagsWinOverEnvironment) {
  const auto outcome =
      parse({"--port=9000"}, {{"DEPLOYMENTS_PORT", "7000"}, {"DEPLOYMENTS_ADDRESS", "0.0.0.0"}});
  EXPECT_EQ(outcome.error, "");
  EXPECT_EQ(config_.port, 9000);
  EXPECT_EQ(config_.address, "0.0.0.0");
}

TEST_F(OptionSetTest, FlagOverridesEvenAMalformedVariable) {
  EXPECT_EQ(parse({"--port=81"}, {{"DEPLOYMENTS_PORT", "http"}}).error, "");
  EXPECT_EQ(config_.port, 81);
}

TEST_F(OptionSetTest, AcceptsSeparateValuesBareBooleansAndDurations) {
  EXPECT_EQ(parse({"--port", "81", "--verbose", "--timeout=250ms"}).error, "");
  EXPECT_EQ(config_.port, 81);
  EXPECT_TRUE(config_.verbose);
  EXPECT_EQ(config_.timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(parse({"--timeout=2m"}).error, "");
  EXPECT_EQ(config_.timeout, std::chrono::minutes(2));
}

TEST_F(OptionSetTest, NamesTheUnknownFlag) {
  EXPECT_EQ(parse({"--colour=blue"}).error, "unknown option --colour (see --help)");
}

TEST_F(OptionSetTest, NamesTheBadValueAndItsOrigin) {
  EXPECT_EQ(parse({"--port=70000"}).error, "--port: \"70000\" must be between 0 and 65535");
  EXPECT_EQ(parse({}, {{"DEPLOYMENTS_PORT", "http"}}).error,
            "DEPLOYMENTS_PORT: \"http\" is not an integer");
  EXPECT_NE(parse({"--timeout=5"}).error, "");
  EXPECT_NE(parse({"--verbose=maybe"}).error, "");
  EXPECT_NE(parse({"--port"}).error, "");
}

TEST_F(OptionSetTest, HelpListsEveryOptionWithDefaultAndVariable) {
  EXPECT_TRUE(parse({"--help"}).help_requested);
  const auto help = options_.help();
  EXPECT_NE(help.find("--port (DEPLOYMENTS_PORT, default \"8080\")"), std::string::npos);
  EXPECT_NE(help.find("--timeout (DEPLOYMENTS_TIMEOUT, default \"5s\")"), std::string::npos);
}

}  // namespace
}  // namespace ledger
