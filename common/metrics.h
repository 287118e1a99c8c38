// Prometheus metrics: counters, gauges and histograms with labels, rendered in the text
// exposition format 0.0.4. Updating a metric is thread-safe and cheap; families are created once
// at start-up and live as long as their registry.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace ledger::metrics {

using Labels = std::vector<std::string>;  // values, in the order of the family's label names

class Counter {
 public:
  void increment(double by = 1.0);
  double value() const { return value_.load(); }

 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  void set(double value) { value_.store(value); }
  void add(double by);
  double value() const { return value_.load(); }

 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<std::uint64_t> cumulative;  // per bound, then +Inf last
    double sum = 0.0;
  };
  Snapshot snapshot() const;

 private:
  std::vector<double> bounds_;
  mutable std::mutex mutex_;
  std::vector<std::uint64_t> counts_;  // per bucket, +Inf last (not cumulative)
  double sum_ = 0.0;
};

enum class Type { kCounter, kGauge, kHistogram };

// One metric name with its help text, type and label names; children by label values.
template <typename Metric>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::vector<double> bounds = {})
      : name_(std::move(name)),
        help_(std::move(help)),
        label_names_(std::move(label_names)),
        bounds_(std::move(bounds)) {}

  // The child for these label values, created on first use. The reference stays valid.
  Metric& with(const Labels& values = {});

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& labelNames() const { return label_names_; }
  // A copy of the children, for rendering.
  std::vector<std::pair<Labels, const Metric*>> children() const;

 private:
  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
  std::vector<double> bounds_;
  mutable std::mutex mutex_;
  std::map<Labels, std::unique_ptr<Metric>> children_;
};

// Owns metric families and renders them all.
class Registry {
 public:
  Family<Counter>& counter(std::string name, std::string help,
                           std::vector<std::string> label_names = {});
  Family<Gauge>& gauge(std::string name, std::string help,
                       std::vector<std::string> label_names = {});
  Family<Histogram>& histogram(std::string name, std::string help, std::vector<double> bounds,
                               std::vector<std::string> label_names = {});

  // The text exposition format 0.0.4 (Content-Type: text/plain; version=0.0.4).
  std::string render() const;

 private:
  std::vector<std::unique_ptr<Family<Counter>>> counters_;
  std::vector<std::unique_ptr<Family<Gauge>>> gauges_;
  std::vector<std::unique_ptr<Family<Histogram>>> histograms_;
  std::vector<std::pair<Type, std::size_t>> order_;  // families in registration order
};

// Bucket bounds for request and transaction latencies, in seconds.
std::vector<double> latencyBuckets();

// A sample value as the format wants it: integers without a fraction, +Inf and NaN spelled out.
std::string formatValue(double value);
// A label value with backslash, double quote and newline escaped.
std::string escapeLabelValue(const std::string& value);

}  // namespace ledger::metrics
