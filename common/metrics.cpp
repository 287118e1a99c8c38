#include "common/metrics.h"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace ledger::metrics {
namespace {

std::string labelText(const std::vector<std::string>& names, const Labels& values,
                      const std::string& extra_name = "", const std::string& extra_value = "") {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) {
    out += (out.empty() ? "" : ",") + names[i] + "=\"" + escapeLabelValue(values[i]) + "\"";
  }
  if (!extra_name.empty()) {
    out += (out.empty() ? "" : ",") + extra_name + "=\"" + extra_value + "\"";
  }
  return out.empty() ? "" : "{" + out + "}";
}

std::string escapeHelp(const std::string& help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

template <typename Metric>
void header(std::ostringstream& out, const Family<Metric>& family, const char* type) {
  out << "# HELP " << family.name() << " " << escapeHelp(family.help()) << "\n";
  out << "# TYPE " << family.name() << " " << type << "\n";
}

void atomicAdd(std::atomic<double>& target, double by) {
  double current = target.load();
  while (!target.compare_exchange_weak(current, current + by)) {
  }
}

}  // namespace

void Counter::increment(double by) { atomicAdd(value_, by); }

void Gauge::add(double by) { atomicAdd(value_, by); }

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double value) {
  std::size_t bucket = 0;
  while (bucket < bounds_.size() && value > bounds_[bucket]) {
    ++bucket;
  }
  std::lock_guard lock(mutex_);
  ++counts_[bucket];
  sum_ += value;
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot snapshot;
  snapshot.bounds = bounds_;
  std::lock_guard lock(mutex_);
  std::uint64_t running = 0;
  for (auto count : counts_) {
    running += count;
    snapshot.cumulative.push_back(running);
  }
  snapshot.sum = sum_;
  return snapshot;
}

template <typename Metric>
Metric& Family<Metric>::with(const Labels& values) {
  std::lock_guard lock(mutex_);
  auto& child = children_[values];
  if (!child) {
    if constexpr (std::is_same_v<Metric, Histogram>) {
      child = std::make_unique<Histogram>(bounds_);
    } else {
      child = std::make_unique<Metric>();
    }
  }
  return *child;
}

template <typename Metric>
std::vector<std::pair<Labels, const Metric*>> Family<Metric>::children() const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<Labels, const Metric*>> out;
  for (const auto& [labels, metric] : children_) {
    out.emplace_back(labels, metric.get());
  }
  return out;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

Family<Counter>& Registry::counter(std::string name, std::string help,
                                   std::vector<std::string> label_names) {
  counters_.push_back(
      std::make_unique<Family<Counter>>(std::move(name), std::move(help), std::move(label_names)));
  order_.emplace_back(Type::kCounter, counters_.size() - 1);
  return *counters_.back();
}

Family<Gauge>& Registry::gauge(std::string name, std::string help,
                               std::vector<std::string> label_names) {
  gauges_.push_back(
      std::make_unique<Family<Gauge>>(std::move(name), std::move(help), std::move(label_names)));
  order_.emplace_back(Type::kGauge, gauges_.size() - 1);
  return *gauges_.back();
}

Family<Histogram>& Registry::histogram(std::string name, std::string help,
                                       std::vector<double> bounds,
                                       std::vector<std::string> label_names) {
  histograms_.push_back(std::make_unique<Family<Histogram>>(
      std::move(name), std::move(help), std::move(label_names), std::move(bounds)));
  order_.emplace_back(Type::kHistogram, histograms_.size() - 1);
  return *histograms_.back();
}

std::string Registry::render() const {
  std::ostringstream out;
  for (const auto& [type, index] : order_) {
    if (type == Type::kCounter) {
      const auto& family = *counters_[index];
      header(out, family, "counter");
      for (const auto& [labels, metric] : family.children()) {
        out << family.name() << labelText(family.labelNames(), labels) << " "
            << formatValue(metric->value()) << "\n";
      }
    } else if (type == Type::kGauge) {
      const auto& family = *gauges_[index];
      header(out, family, "gauge");
      for (const auto& [labels, metric] : family.children()) {
        out << family.name() << labelText(family.labelNames(), labels) << " "
            << formatValue(metric->value()) << "\n";
      }
    } else {
      const auto& family = *histograms_[index];
      header(out, family, "histogram");
      for (const auto& [labels, metric] : family.children()) {
        const auto snapshot = metric->snapshot();
        for (std::size_t i = 0; i < snapshot.cumulative.size(); ++i) {
          const auto le = i < snapshot.bounds.size() ? formatValue(snapshot.bounds[i]) : "+Inf";
          out << family.name() << "_bucket" << labelText(family.labelNames(), labels, "le", le)
              << " " << snapshot.cumulative[i] << "\n";
        }
        out << family.name() << "_sum" << labelText(family.labelNames(), labels) << " "
            << formatValue(snapshot.sum) << "\n";
        out << family.name() << "_count" << labelText(family.labelNames(), labels) << " "
            << snapshot.cumulative.back() << "\n";
      }
    }
  }
  return out.str();
}

std::vector<double> latencyBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::string formatValue(double value) {
  if (std::isnan(value)) {
    return "NaN";
  }
  if (std::isinf(value)) {
    return value > 0 ? "+Inf" : "-Inf";
  }
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return std::to_string(static_cast<long long>(value));
  }
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.9g", value);
  return buffer;
}

std::string escapeLabelValue(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace ledger::metrics
