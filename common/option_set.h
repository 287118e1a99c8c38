// Typed command-line and environment configuration. Each option has a name, a description and a
// default (the target's value when it is added). Values come from DEPLOYMENTS_<NAME> environment
// variables and then from --name=value or --name value flags, so flags win. Not thread-safe; meant
// to be used once at start-up.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ledger {

// What a service prints, and its exit status, when start-up stops at its options.
struct ConfigExit {
  int status;           // 0 after --help, 2 on a bad option
  std::string message;  // the help text, or one line naming the option at fault
};

class OptionSet {
 public:
  struct Outcome {
    bool help_requested = false;
    std::string error;  // one line naming the option at fault; empty on success
  };

  explicit OptionSet(std::string program);

  void add(std::string name, std::string description, std::string& target);
  void add(std::string name, std::string description, int& target, int min, int max);
  void add(std::string name, std::string description, bool& target);
  void add(std::string name, std::string description, std::chrono::milliseconds& target);

  // Reads argv, then the environment for the options no flag set. Leaves targets at their
  // defaults where nothing is given. Stops at the first bad value or unknown flag.
  Outcome parse(int argc, const char* const* argv,
                const std::map<std::string, std::string>& environment);

  // parse() over argv and the process environment, as a service starts: nothing when start-up
  // may go on, else what to print (prefixed with the program name when it is an error).
  std::optional<ConfigExit> parseForStartup(int argc, const char* const* argv);

  // Every option with its environment variable, default and description.
  std::string help() const;

  // "--name=value" for every option's current value, for the start-up log line.
  std::vector<std::pair<std::string, std::string>> effectiveValues() const;

  // DEPLOYMENTS_ + the name in upper case with '-' as '_'.
  static std::string environmentName(std::string_view name);

  // The process environment as a map, for parse().
  static std::map<std::string, std::string> processEnvironment();

 private:
  struct Option {
    std::string name;
    std::string description;
    std::string default_text;
    std::function<std::string(std::string_view)> assign;  // returns an error or empty
    std::function<std::string()> show;
    bool is_flag = false;  // a boolean that may be given without a value
  };

  Option* find(std::string_view name);
  std::string assign(Option& option, std::string_view value, std::string_view origin);

  std::string program_;
  std::vector<Option> options_;
};

}  // namespace ledger
