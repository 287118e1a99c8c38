#include "services/gateway/gateway_config.h"

#include <algorithm>
#include <thread>

#include "common/option_set.h"

namespace ledger::gateway {
namespace {

bool isInstanceId(const std::string& id) {
  if (id.empty() || id.size() > 32) {
    return false;
  }
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::variant<GatewayConfig, ConfigExit> parseGatewayConfig(int argc, const char* const* argv) {
  GatewayConfig c;
  OptionSet options("deployment-ledger-gateway");
  options.add("listen-address", "IP address the HTTP server binds", c.listen_address);
  options.add("port", "HTTP port (0 picks a free one)", c.port, 0, 65535);
  // Half the cores: librdkafka's threads and the reply listener need the rest. On two cores
  // shared with Kafka and Postgres, one I/O thread served more requests than two.
  c.io_threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency() / 2));
  options.add("io-threads", "threads serving HTTP (default: half the cores, at least one)",
              c.io_threads, 1, 256);
  options.add("brokers", "Kafka bootstrap servers, host:port[,host:port]", c.brokers);
  options.add("commands-topic", "topic the gateway publishes commands to", c.commands_topic);
  options.add("topic-partitions", "partitions of topics the gateway creates", c.topic_partitions, 1,
              1024);
  options.add("database-url", "PostgreSQL connection URI, used to listen for replies",
              c.database_url);
  options.add("instance-id",
              "this gateway's name for its reply channel ([a-z0-9_], up to 32); random if empty",
              c.instance_id);
  options.add("reply-timeout", "how long a request waits for the recorder's answer",
              c.reply_timeout);
  options.add("produce-timeout", "how long a command may wait for Kafka to accept it",
              c.produce_timeout);
  options.add("read-timeout", "how long a client may take to send a request", c.read_timeout);
  options.add("shutdown-timeout", "how long shutdown waits for requests in flight",
              c.shutdown_timeout);
  options.add("startup-timeout", "how long start-up waits for Kafka and PostgreSQL",
              c.startup_timeout);
  options.add("max-in-flight", "most record requests waiting at once; more get 503",
              c.max_in_flight, 1, 1000000);
  options.add("query-threads", "database connections and threads serving reads", c.query_threads, 1,
              256);
  options.add("query-timeout", "PostgreSQL statement_timeout for reads", c.query_timeout);
  options.add("jwt-secret-file", "file holding the HS256 shared secret (32 bytes or more)",
              c.jwt_secret_file);
  options.add("jwks-file", "JWKS file with the RS256/ES256 public keys, picked by kid",
              c.jwks_file);
  options.add("jwt-issuer", "required iss claim; empty: not checked", c.jwt_issuer);
  options.add("jwt-audience", "required aud claim; empty: not checked", c.jwt_audience);
  options.add("jwt-leeway", "clock skew tolerated on exp and nbf", c.jwt_leeway);
  options.add("log-level", "debug, info, warn or error", c.log_level);
  options.add("log-format", "json (one object a line) or text", c.log_format);

  if (auto exit = options.parseForStartup(argc, argv)) {
    return *exit;
  }
  if (!c.instance_id.empty() && !isInstanceId(c.instance_id)) {
    return ConfigExit{2, "deployment-ledger-gateway: --instance-id: \"" + c.instance_id +
                             "\" must be 1 to 32 of a-z, 0-9 and _"};
  }
  if (c.jwt_secret_file.empty() && c.jwks_file.empty()) {
    return ConfigExit{2,
                      "deployment-ledger-gateway: no token keys: set --jwt-secret-file or "
                      "--jwks-file (every API call needs a bearer token)"};
  }
  if (c.produce_timeout >= c.reply_timeout) {
    return ConfigExit{2,
                      "deployment-ledger-gateway: --produce-timeout must be shorter than "
                      "--reply-timeout"};
  }
  return c;
}

}  // namespace ledger::gateway
