#include "services/recorder/recorder_config.h"

#include "common/option_set.h"

namespace ledger::recorder {

std::variant<RecorderConfig, ConfigExit> parseRecorderConfig(int argc, const char* const* argv) {
  RecorderConfig c;
  OptionSet options("deployment-ledger-recorder");
  options.add("brokers", "Kafka bootstrap servers, host:port[,host:port]", c.brokers);
  options.add("commands-topic", "topic the recorder consumes commands from", c.commands_topic);
  options.add("dead-letter-topic", "topic for messages that cannot be applied",
              c.dead_letter_topic);
  options.add("events-topic", "topic the recorder publishes change events to", c.events_topic);
  options.add("outbox-batch-max", "most events published in one pass over the outbox",
              c.outbox_batch_max, 1, 10000);
  options.add("outbox-poll", "how often an idle recorder looks for unpublished events",
              c.outbox_poll);
  options.add("outbox-linger",
              "shortest time between passes over the outbox while events keep coming, so that "
              "one pass takes the events of several commits; the first after a pause goes at once",
              c.outbox_linger);
  options.add("group-id", "Kafka consumer group shared by all recorders", c.group_id);
  options.add("topic-partitions", "partitions of topics the recorder creates", c.topic_partitions,
              1, 1024);
  options.add("database-url", "PostgreSQL connection URI", c.database_url);
  options.add("batch-max", "most commands applied in one transaction", c.batch_max, 1, 10000);
  options.add("workers",
              "consumers applying batches side by side, each with its own share of the "
              "partitions and its own database connection",
              c.workers, 1, 64);
  options.add("batch-linger",
              "longest a batch keeps growing while commands keep arriving; it is applied at "
              "once when they pause",
              c.batch_linger);
  options.add("statement-timeout", "PostgreSQL statement_timeout", c.statement_timeout);
  options.add("retry-backoff-max", "longest pause between retries while the database is down",
              c.retry_backoff_max);
  options.add("startup-timeout", "how long start-up waits for Kafka and PostgreSQL",
              c.startup_timeout);
  options.add("kafka-timeout", "timeout of Kafka admin calls and dead-letter deliveries",
              c.kafka_timeout);
  options.add("admin-address", "IP address of the admin HTTP server (healthz, readyz, metrics)",
              c.admin_address);
  options.add("admin-port", "port of the admin HTTP server (0 picks a free one)", c.admin_port, 0,
              65535);
  options.add("kafka-debug", "librdkafka debug contexts for the consumer, logged at debug level",
              c.kafka_debug);
  options.add("log-level", "debug, info, warn or error", c.log_level);
  options.add("log-format", "json (one object a line) or text", c.log_format);
  options.add("migrate-only", "apply schema migrations and exit", c.migrate_only);

  if (auto exit = options.parseForStartup(argc, argv)) {
    return *exit;
  }
  return c;
}

}  // namespace ledger::recorder
