// The recorder's metrics, registered once at start-up. Names and units follow Prometheus
// conventions (base units, _total for counters, _seconds for durations).
#pragma once

#include "common/metrics.h"

namespace ledger::recorder {

struct RecorderMetrics {
  explicit RecorderMetrics(metrics::Registry& registry)
      : commands(registry.counter("ledger_commands_applied_total",
                                  "Commands applied, by outcome (applied, or duplicate: seen "
                                  "before and so changing nothing)",
                                  {"outcome"})),
        batch_size(registry
                       .histogram("ledger_batch_commands", "Commands applied per transaction",
                                  {1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500})
                       .with()),
        transaction_duration(registry
                                 .histogram("ledger_transaction_duration_seconds",
                                            "Time to apply and commit one batch",
                                            metrics::latencyBuckets())
                                 .with()),
        consumer_lag(registry.gauge("ledger_consumer_lag_messages",
                                    "Messages in a partition not yet applied, by partition",
                                    {"partition"})),
        dead_lettered(registry.counter("ledger_dead_lettered_total",
                                       "Messages sent to the dead-letter topic, by error code",
                                       {"code"})),
        database_retries(registry
                             .counter("ledger_database_retries_total",
                                      "Batches retried because the database was unavailable")
                             .with()),
        events_published(registry
                             .counter("ledger_events_published_total",
                                      "Events published from the outbox to Kafka")
                             .with()),
        event_publish_errors(
            registry
                .counter("ledger_event_publish_errors_total", "Failed passes over the event outbox")
                .with()) {}

  metrics::Family<metrics::Counter>& commands;
  metrics::Histogram& batch_size;
  metrics::Histogram& transaction_duration;
  metrics::Family<metrics::Gauge>& consumer_lag;
  metrics::Family<metrics::Counter>& dead_lettered;
  metrics::Counter& database_retries;
  metrics::Counter& events_published;
  metrics::Counter& event_publish_errors;
};

}  // namespace ledger::recorder
