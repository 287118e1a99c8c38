// The gateway's configuration: one typed, read-only struct parsed once at start-up.
#pragma once

#include <chrono>
#include <string>
#include <variant>

#include "common/option_set.h"

namespace ledger::gateway {

struct GatewayConfig {
  std::string listen_address = "127.0.0.1";
  int port = 8080;
  int io_threads = 1;  // the parser's default is half the machine's cores, at least one
  std::string brokers = "127.0.0.1:19092";
  std::string commands_topic = "deployments.commands";
  int topic_partitions = 6;
  std::string database_url = "postgresql://postgres@127.0.0.1:15432/ledger";
  std::string instance_id;  // empty: a random one at start-up
  std::chrono::milliseconds reply_timeout{10000};
  std::chrono::milliseconds produce_timeout{5000};
  std::chrono::milliseconds read_timeout{30000};
  std::chrono::milliseconds shutdown_timeout{15000};
  std::chrono::milliseconds startup_timeout{60000};
  int max_in_flight = 10000;
  int query_threads = 4;
  std::chrono::milliseconds query_timeout{5000};
  std::string jwt_secret_file;  // HS256 shared secret; empty: HS256 not accepted
  std::string jwks_file;        // RS256/ES256 public keys; empty: none
  std::string jwt_issuer;
  std::string jwt_audience;
  std::chrono::milliseconds jwt_leeway{30000};
  std::string log_level = "info";
  std::string log_format = "json";
};

// The parsed configuration, or what to print and the exit status when start-up must stop.
std::variant<GatewayConfig, ConfigExit> parseGatewayConfig(int argc, const char* const* argv);

}  // namespace ledger::gateway
