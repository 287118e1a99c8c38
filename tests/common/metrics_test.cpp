#include "common/metrics.h"

#include <gtest/gtest.h>

namespace ledger::metrics {
namespace {

TEST(MetricsTest, RendersCountersWithHelpTypeAndLabels) {
  Registry registry;
  auto& requests = registry.counter("app_requests_total", "Requests answered", {"route", "code"});
  requests.with({"record", "200"}).increment();
  requests.with({"record", "200"}).increment(2);
  requests.with({"list", "400"}).increment();
  EXPECT_EQ(registry.render(),
            "# HELP app_requests_total Requests answered\n"
            "# TYPE app_requests_total counter\n"
            "app_requests_total{route=\"list\",code=\"400\"} 1\n"
            "app_requests_total{route=\"record\",code=\"200\"} 3\n");
}

TEST(MetricsTest, RendersGaugesThatGoBothWays) {
  Registry registry;
  auto& in_flight = registry.gauge("app_in_flight", "In flight").with();
  in_flight.add(3);
  in_flight.add(-1);
  EXPECT_NE(registry.render().find("app_in_flight 2\n"), std::string::npos);
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  Registry registry;
  auto& latency = registry.histogram("app_seconds", "Latency", {0.1, 1}).with();
  latency.observe(0.05);
  latency.observe(0.1);
  latency.observe(0.5);
  latency.observe(7);
  const auto text = registry.render();
  EXPECT_NE(text.find("# TYPE app_seconds histogram\n"), std::string::npos);
  EXPECT_NE(text.find("app_seconds_bucket{le=\"0.1\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("app_seconds_bucket{le=\"1\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("app_seconds_bucket{le=\"+Inf\"} 4\n"), std::string::npos);
  EXPECT_NE(text.find("app_seconds_sum 7.65\n"), std::string::npos);
  EXPECT_NE(text.find("app_seconds_count 4\n"), std::string::npos);
}

TEST(MetricsTest, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(escapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  Registry registry;
  registry.counter("x_total", "line one\nline two", {"l"}).with({"q\""}).increment();
  const auto text = registry.render();
  EXPECT_NE(text.find("# HELP x_total line one\\nline two\n"), std::string::npos);
  EXPECT_NE(text.find("x_total{l=\"q\\\"\"} 1\n"), std::string::npos);
}

TEST(MetricsTest, FormatsSpecialValues) {
  EXPECT_EQ(formatValue(3), "3");
  EXPECT_EQ(formatValue(0.25), "0.25");
  EXPECT_EQ(formatValue(1.0 / 0.0), "+Inf");
}

}  // namespace
}  // namespace ledger::metrics
