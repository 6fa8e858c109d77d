#include "common/service/metrics.h"

#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace referrals {
namespace {

using ::testing::HasSubstr;

TEST(MetricsRegistry, RendersCounterWithLabelsExactly) {
  MetricsRegistry registry;
  absl::StatusOr<CounterFamily*> accepted =
      registry.AddCounter("intake_accepted_total", "Referrals accepted.", {"kind"});
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  (*accepted)->WithLabels({"SENSORY_SUPPORT"}).Increment();
  (*accepted)->WithLabels({"CARE_TECHNOLOGY"}).Increment(2);
  (*accepted)->WithLabels({"SENSORY_SUPPORT"}).Increment();

  EXPECT_EQ(registry.Render(),
            "# HELP intake_accepted_total Referrals accepted.\n"
            "# TYPE intake_accepted_total counter\n"
            "intake_accepted_total{kind=\"CARE_TECHNOLOGY\"} 2\n"
            "intake_accepted_total{kind=\"SENSORY_SUPPORT\"} 2\n");
}

TEST(MetricsRegistry, RendersFamiliesInOrderAddedEvenWithoutSeries) {
  MetricsRegistry registry;
  ASSERT_TRUE(registry.AddGauge("b_gauge", "B.").ok());
  ASSERT_TRUE(registry.AddCounter("a_total", "A.", {"code"}).ok());
  EXPECT_EQ(registry.Render(),
            "# HELP b_gauge B.\n# TYPE b_gauge gauge\n"
            "# HELP a_total A.\n# TYPE a_total counter\n");
}

TEST(MetricsRegistry, GaugeGoesUpAndDownAndRendersFractions) {
  MetricsRegistry registry;
  GaugeFamily* gauge = *registry.AddGauge("in_flight", "In flight.");
  gauge->Get().Add(3);
  gauge->Get().Add(-1.5);
  EXPECT_EQ(registry.Render(),
            "# HELP in_flight In flight.\n# TYPE in_flight gauge\n"
            "in_flight 1.5\n");
}

TEST(MetricsRegistry, CounterIgnoresNegativeIncrements) {
  Counter counter;
  counter.Increment(2);
  counter.Increment(-1);
  EXPECT_EQ(counter.value(), 2);
}

TEST(MetricsRegistry, EscapesLabelValuesAndHelp) {
  MetricsRegistry registry;
  CounterFamily* family = *registry.AddCounter("odd_total", "Help with \\ and\nnewline.", {"v"});
  family->WithLabels({"a\"b\\c\nd"}).Increment();
  EXPECT_EQ(registry.Render(),
            "# HELP odd_total Help with \\\\ and\\nnewline.\n"
            "# TYPE odd_total counter\n"
            "odd_total{v=\"a\\\"b\\\\c\\nd\"} 1\n");
  EXPECT_EQ(EscapeLabelValue("plain"), "plain");
}

TEST(MetricsRegistry, HistogramRendersCumulativeBucketsSumAndCount) {
  MetricsRegistry registry;
  HistogramFamily* latency =
      *registry.AddHistogram("latency_seconds", "Latency.", {"route"}, {0.25, 0.5, 1});
  Histogram& h = latency->WithLabels({"/v1/referrals"});
  h.Observe(0.125);
  h.Observe(0.25);  // on a bound: counted in that bucket (le is <=)
  h.Observe(0.375);
  h.Observe(3);
  EXPECT_EQ(registry.Render(),
            "# HELP latency_seconds Latency.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{route=\"/v1/referrals\",le=\"0.25\"} 2\n"
            "latency_seconds_bucket{route=\"/v1/referrals\",le=\"0.5\"} 3\n"
            "latency_seconds_bucket{route=\"/v1/referrals\",le=\"1\"} 3\n"
            "latency_seconds_bucket{route=\"/v1/referrals\",le=\"+Inf\"} 4\n"
            "latency_seconds_sum{route=\"/v1/referrals\"} 3.75\n"
            "latency_seconds_count{route=\"/v1/referrals\"} 4\n");
}

TEST(MetricsRegistry, HistogramWithoutLabels) {
  MetricsRegistry registry;
  HistogramFamily* sizes = *registry.AddHistogram("size_bytes", "Sizes.", {}, {10});
  sizes->Get().Observe(20);
  EXPECT_EQ(registry.Render(),
            "# HELP size_bytes Sizes.\n# TYPE size_bytes histogram\n"
            "size_bytes_bucket{le=\"10\"} 0\n"
            "size_bytes_bucket{le=\"+Inf\"} 1\n"
            "size_bytes_sum 20\n"
            "size_bytes_count 1\n");
}

TEST(MetricsRegistry, CallbackGaugeIsReadAtRenderTime) {
  MetricsRegistry registry;
  double value = 1;
  ASSERT_TRUE(registry.AddCallbackGauge("redis_up", "Redis answers.", [&] { return value; }).ok());
  EXPECT_THAT(registry.Render(), HasSubstr("\nredis_up 1\n"));
  value = 0;
  EXPECT_THAT(registry.Render(), HasSubstr("\nredis_up 0\n"));
}

TEST(MetricsRegistry, RejectsBadNames) {
  MetricsRegistry registry;
  EXPECT_EQ(registry.AddCounter("", "x").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.AddCounter("9lives", "x").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.AddCounter("has-dash", "x").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.AddCounter("ok_total", "x", {"__reserved"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.AddCounter("ok_total", "x", {"a:b"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.AddCounter("ok_total", "x", {"a", "a"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.AddHistogram("h", "x", {"le"}, {1}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.AddHistogram("h", "x", {}, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.AddHistogram("h", "x", {}, {2, 1}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(registry.AddCounter("ns:ok_total", "x", {"_a1"}).ok());
  EXPECT_EQ(registry.AddGauge("ns:ok_total", "x").status().code(),
            absl::StatusCode::kAlreadyExists);
}

TEST(MetricsRegistry, FormatsSampleValues) {
  EXPECT_EQ(FormatSampleValue(0), "0");
  EXPECT_EQ(FormatSampleValue(12345678), "12345678");
  EXPECT_EQ(FormatSampleValue(-3), "-3");
  EXPECT_EQ(FormatSampleValue(0.25), "0.25");
  EXPECT_EQ(FormatSampleValue(0.0005), "0.0005");
  EXPECT_EQ(FormatSampleValue(0.1), "0.1");
  EXPECT_EQ(FormatSampleValue(1e-9), "1e-09");
  EXPECT_EQ(FormatSampleValue(2.5e20), "2.5e+20");
  EXPECT_EQ(FormatSampleValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatSampleValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatSampleValue(std::numeric_limits<double>::quiet_NaN()), "NaN");
}

TEST(MetricsRegistryDeathTest, WrongNumberOfLabelValuesAborts) {
  MetricsRegistry registry;
  CounterFamily* family = *registry.AddCounter("x_total", "x", {"a"});
  EXPECT_DEATH(family->WithLabels({"1", "2"}), "label values");
}

TEST(MetricsRegistry, ConcurrentUpdatesAndRendersLoseNothing) {
  MetricsRegistry registry;
  CounterFamily* counter = *registry.AddCounter("events_total", "Events.", {"thread"});
  HistogramFamily* histogram = *registry.AddHistogram("obs", "Obs.", {}, {0.5});
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        counter->WithLabels({std::to_string(t % 2)}).Increment();
        histogram->Get().Observe(i % 2);
        if (i % 1000 == 0) registry.Render();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(counter->WithLabels({"0"}).value() + counter->WithLabels({"1"}).value(),
            kThreads * kPerThread);
  const std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("obs_bucket{le=\"0.5\"} 40000\n"));
  EXPECT_THAT(text, HasSubstr("obs_count 80000\n"));
  EXPECT_THAT(text, HasSubstr("obs_sum 40000\n"));
}

}  // namespace
}  // namespace referrals
