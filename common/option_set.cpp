#include "common/option_set.h"

#include <charconv>
#include <set>
#include <sstream>

extern char** environ;

namespace ledger {
namespace {

std::string parseInt(std::string_view text, int min, int max, int& target) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return "is not an integer";
  }
  if (value < min || value > max) {
    return "must be between " + std::to_string(min) + " and " + std::to_string(max);
  }
  target = value;
  return {};
}

// Durations are integers with a unit: 250ms, 5s, 2m.
std::string parseDuration(std::string_view text, std::chrono::milliseconds& target) {
  long long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || value < 0) {
    return "is not a duration such as 250ms, 5s or 2m";
  }
  const std::string_view unit(end, text.data() + text.size() - end);
  if (unit == "ms") {
    target = std::chrono::milliseconds(value);
  } else if (unit == "s") {
    target = std::chrono::seconds(value);
  } else if (unit == "m") {
    target = std::chrono::minutes(value);
  } else {
    return "is not a duration such as 250ms, 5s or 2m";
  }
  return {};
}

std::string showDuration(std::chrono::milliseconds value) {
  if (value.count() % 1000 == 0) {
    return std::to_string(value.count() / 1000) + "s";
  }
  return std::to_string(value.count()) + "ms";
}

}  // namespace

OptionSet::OptionSet(std::string program) : program_(std::move(program)) {}

void OptionSet::add(std::string name, std::string description, std::string& target) {
  options_.push_back({std::move(name), std::move(description), target,
                      [&target](std::string_view value) {
                        target = std::string(value);
                        return std::string();
                      },
                      [&target] { return target; }});
}

void OptionSet::add(std::string name, std::string description, int& target, int min, int max) {
  options_.push_back(
      {std::move(name), std::move(description), std::to_string(target),
       [&target, min, max](std::string_view value) { return parseInt(value, min, max, target); },
       [&target] { return std::to_string(target); }});
}

void OptionSet::add(std::string name, std::string description, bool& target) {
  options_.push_back({std::move(name), std::move(description), target ? "true" : "false",
                      [&target](std::string_view value) {
                        if (value == "true" || value == "1") {
                          target = true;
                        } else if (value == "false" || value == "0") {
                          target = false;
                        } else {
                          return std::string("must be true or false");
                        }
                        return std::string();
                      },
                      [&target] { return std::string(target ? "true" : "false"); }, true});
}

void OptionSet::add(std::string name, std::string description, std::chrono::milliseconds& target) {
  options_.push_back({std::move(name), std::move(description), showDuration(target),
                      [&target](std::string_view value) { return parseDuration(value, target); },
                      [&target] { return showDuration(target); }});
}

OptionSet::Option* OptionSet::find(std::string_view name) {
  for (auto& option : options_) {
    if (option.name == name) {
      return &option;
    }
  }
  return nullptr;
}

std::string OptionSet::assign(Option& option, std::string_view value, std::string_view origin) {
  if (auto fault = option.assign(value); !fault.empty()) {
    return std::string(origin) + ": \"" + std::string(value) + "\" " + fault;
  }
  return {};
}

OptionSet::Outcome OptionSet::parse(int argc, const char* const* argv,
                                    const std::map<std::string, std::string>& environment) {
  // Flags first; the environment then fills in only what no flag set, so flags win even over a
  // malformed variable.
  std::set<std::string> from_flags;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg(argv[i]);
    if (arg == "--help" || arg == "-h") {
      return {true, {}};
    }
    if (arg.substr(0, 2) != "--") {
      return {false, "unexpected argument \"" + std::string(arg) + "\"; options are --name=value"};
    }
    const auto equals = arg.find('=');
    const auto name = arg.substr(2, equals == std::string_view::npos ? arg.npos : equals - 2);
    Option* option = find(name);
    if (option == nullptr) {
      return {false, "unknown option --" + std::string(name) + " (see --help)"};
    }
    std::string_view value;
    if (equals != std::string_view::npos) {
      value = arg.substr(equals + 1);
    } else if (option->is_flag) {
      value = "true";
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return {false, "option --" + std::string(name) + " needs a value"};
    }
    if (auto error = assign(*option, value, "--" + option->name); !error.empty()) {
      return {false, error};
    }
    from_flags.insert(option->name);
  }

  for (auto& option : options_) {
    if (from_flags.count(option.name) != 0) {
      continue;
    }
    const auto variable = environmentName(option.name);
    if (auto it = environment.find(variable); it != environment.end()) {
      if (auto error = assign(option, it->second, variable); !error.empty()) {
        return {false, error};
      }
    }
  }
  return {};
}

std::optional<ConfigExit> OptionSet::parseForStartup(int argc, const char* const* argv) {
  const auto outcome = parse(argc, argv, processEnvironment());
  if (outcome.help_requested) {
    return ConfigExit{0, help()};
  }
  if (!outcome.error.empty()) {
    return ConfigExit{2, program_ + ": " + outcome.error};
  }
  return std::nullopt;
}

std::string OptionSet::help() const {
  std::ostringstream out;
  out << "usage: " << program_ << " [--name=value ...]\n\n"
      << "Each option can also be set with its environment variable; flags win.\n\n";
  for (const auto& option : options_) {
    out << "  --" << option.name << " (" << environmentName(option.name) << ", default \""
        << option.default_text << "\")\n      " << option.description << "\n";
  }
  return out.str();
}

std::vector<std::pair<std::string, std::string>> OptionSet::effectiveValues() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& option : options_) {
    out.emplace_back(option.name, option.show());
  }
  return out;
}

std::string OptionSet::environmentName(std::string_view name) {
  std::string out = "DEPLOYMENTS_";
  for (char c : name) {
    out.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

std::map<std::string, std::string> OptionSet::processEnvironment() {
  std::map<std::string, std::string> out;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const auto equals = text.find('=');
    if (equals != std::string_view::npos && text.substr(0, 12) == "DEPLOYMENTS_") {
      out.emplace(text.substr(0, equals), text.substr(equals + 1));
    }
  }
  return out;
}

}  // namespace ledger
