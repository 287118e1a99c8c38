// deployment-ledger-token: prints an HS256 bearer token for calling the gateway in local
// development and tests. The secret is read from a file so that it stays out of shell history and
// process listings. Prints only the token on stdout; errors go to stderr with exit status 2.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "common/auth/jwt_verifier.h"
#include "common/option_set.h"
#include "common/request_validator.h"

namespace {

constexpr std::string_view kProgram = "deployment-ledger-token";
constexpr int kMaxTtlSeconds = 366 * 24 * 3600;

struct TokenConfig {
  std::string secret_file;
  std::string org = "dev";
  std::string scope = "deployments:write deployments:read";
  std::string environments;
  std::string subject = "local-user";
  int ttl_seconds = 3600;
  std::string issuer;
  std::string audience;
};

// Reads the secret, dropping one trailing line break. Returns what went wrong, or empty.
std::string readSecret(const std::string& path, std::string& secret) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return "--secret-file: cannot open \"" + path + "\": " + std::strerror(errno);
  }
  char buffer[4096];
  std::size_t count = 0;
  while ((count = std::fread(buffer, 1, sizeof buffer, file)) > 0) {
    secret.append(buffer, count);
  }
  const bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed) {
    return "--secret-file: cannot read \"" + path + "\"";
  }
  if (!secret.empty() && secret.back() == '\n') {
    secret.pop_back();
    if (!secret.empty() && secret.back() == '\r') {
      secret.pop_back();
    }
  }
  if (secret.size() < ledger::auth::kMinSecretLength) {
    return "--secret-file: the secret in \"" + path + "\" has " + std::to_string(secret.size()) +
           " bytes; verifiers require at least " + std::to_string(ledger::auth::kMinSecretLength);
  }
  return {};
}

// Splits "a,b" into DNS-1123 labels. Returns what is wrong, or empty.
std::string splitEnvironments(const std::string& text, std::vector<std::string>& out) {
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = std::min(text.find(',', start), text.size());
    const auto name = text.substr(start, end - start);
    if (!ledger::isDnsLabel(name)) {
      return "--environments: \"" + name + "\" is not a DNS-1123 label";
    }
    out.push_back(name);
    start = end + 1;
  }
  return {};
}

std::string claimsJson(const TokenConfig& config, const std::vector<std::string>& environments,
                       std::int64_t now) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  const auto string = [&writer](std::string_view value) {
    writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  };
  writer.StartObject();
  if (!config.issuer.empty()) {
    writer.Key("iss");
    string(config.issuer);
  }
  if (!config.subject.empty()) {
    writer.Key("sub");
    string(config.subject);
  }
  if (!config.audience.empty()) {
    writer.Key("aud");
    string(config.audience);
  }
  writer.Key("org");
  string(config.org);
  writer.Key("scope");
  string(config.scope);
  if (!config.environments.empty()) {
    writer.Key("environments");
    writer.StartArray();
    for (const auto& name : environments) {
      string(name);
    }
    writer.EndArray();
  }
  writer.Key("iat");
  writer.Int64(now);
  writer.Key("exp");
  writer.Int64(now + config.ttl_seconds);
  writer.EndObject();
  return buffer.GetString();
}

int fail(const std::string& message) {
  std::fprintf(stderr, "%s: %s\n", kProgram.data(), message.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  TokenConfig config;
  ledger::OptionSet options(std::string{kProgram});
  options.add("secret-file", "file holding the HS256 shared secret (required)", config.secret_file);
  options.add("org", "organization the token acts for (claim org)", config.org);
  options.add("scope", "space-separated scopes (claim scope)", config.scope);
  options.add("environments", "comma-separated environments the token may write; empty: no limit",
              config.environments);
  options.add("subject", "who the token names (claim sub)", config.subject);
  options.add("ttl", "seconds until the token expires", config.ttl_seconds, 1, kMaxTtlSeconds);
  options.add("issuer", "claim iss; empty: none", config.issuer);
  options.add("audience", "claim aud; empty: none", config.audience);

  const auto outcome = options.parse(argc, argv, ledger::OptionSet::processEnvironment());
  if (outcome.help_requested) {
    std::printf("%s\n", options.help().c_str());
    return 0;
  }
  if (!outcome.error.empty()) {
    return fail(outcome.error);
  }
  if (config.secret_file.empty()) {
    return fail("--secret-file is required");
  }
  if (!ledger::isDnsLabel(config.org)) {
    return fail("--org: \"" + config.org + "\" is not a DNS-1123 label");
  }
  std::vector<std::string> environments;
  if (!config.environments.empty()) {
    if (auto error = splitEnvironments(config.environments, environments); !error.empty()) {
      return fail(error);
    }
  }
  std::string secret;
  if (auto error = readSecret(config.secret_file, secret); !error.empty()) {
    return fail(error);
  }

  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const auto token = ledger::auth::signHs256(secret, claimsJson(config, environments, now));
  if (token.empty()) {
    return fail("signing failed");
  }
  std::printf("%s\n", token.c_str());
  return 0;
}
