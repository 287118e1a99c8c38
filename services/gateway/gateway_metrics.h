// The gateway's metrics, registered once at start-up. Names and units follow Prometheus
// conventions (base units, _total for counters, _seconds for durations).
#pragma once

#include "common/metrics.h"

namespace ledger::gateway {

struct GatewayMetrics {
  explicit GatewayMetrics(metrics::Registry& registry)
      : requests(registry.counter("ledger_http_requests_total",
                                  "HTTP requests answered, by route and status code",
                                  {"route", "code"})),
        request_duration(registry.histogram("ledger_http_request_duration_seconds",
                                            "Time from reading a request to its answer, by route",
                                            metrics::latencyBuckets(), {"route"})),
        in_flight(
            registry.gauge("ledger_http_requests_in_flight", "Requests read and not yet answered")
                .with()),
        produce_errors(
            registry.counter("ledger_kafka_produce_errors_total", "Commands Kafka did not take")
                .with()),
        delivery_duration(registry
                              .histogram("ledger_kafka_delivery_duration_seconds",
                                         "Time from producing a command to its delivery report",
                                         metrics::latencyBuckets())
                              .with()),
        reply_wait(registry
                       .histogram("ledger_reply_wait_seconds",
                                  "Time from publishing a command to the recorder's reply",
                                  metrics::latencyBuckets())
                       .with()),
        reply_timeouts(registry
                           .counter("ledger_reply_timeouts_total",
                                    "Requests answered 504 for want of a reply in time")
                           .with()) {}

  metrics::Family<metrics::Counter>& requests;
  metrics::Family<metrics::Histogram>& request_duration;
  metrics::Gauge& in_flight;
  metrics::Counter& produce_errors;
  metrics::Histogram& delivery_duration;
  metrics::Histogram& reply_wait;
  metrics::Counter& reply_timeouts;
};

}  // namespace ledger::gateway
