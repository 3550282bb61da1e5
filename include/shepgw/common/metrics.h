// Metrics: counters, gauges and histograms rendered in the Prometheus text format.
//
// Every family is declared once with its help text and its label names; series are created
// on first use for a label-value tuple. Label values must come from bounded sets (route names
// from the config, error tokens from the table, stage names): never a messageId or senderId.
// A family refuses to grow beyond `max_series` (new tuples then land in one overflow series
// labelled "_other"), so a bug cannot turn into unbounded memory.
//
// Thread-safety: everything may be used concurrently. Increments on an existing series take
// a shared lock for the lookup plus one relaxed atomic add.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace shepgw {

class CounterFamily {
 public:
  CounterFamily(std::string name, std::string help, std::vector<std::string> label_names,
                size_t max_series = 2000);
  void Inc(const std::vector<std::string>& label_values, uint64_t n = 1);
  uint64_t Value(const std::vector<std::string>& label_values) const;
  void Render(std::string& out) const;

 private:
  std::atomic<uint64_t>& Series(const std::vector<std::string>& label_values);
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  const size_t max_series_;
  mutable std::shared_mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<std::atomic<uint64_t>>> series_;
};

class GaugeFamily {
 public:
  GaugeFamily(std::string name, std::string help, std::vector<std::string> label_names);
  void Set(const std::vector<std::string>& label_values, double value);
  void Add(const std::vector<std::string>& label_values, double delta);
  void Render(std::string& out) const;
  void Clear();  // drop every series (e.g. per-route gauges after a reload)

 private:
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  mutable std::shared_mutex mutex_;
  std::map<std::vector<std::string>, double> series_;
};

// Latency histogram in seconds with fixed buckets (100 µs … 60 s).
class HistogramFamily {
 public:
  static constexpr std::array<double, 16> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                      0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                                      1.0,    2.5,     10.0,   60.0};
  HistogramFamily(std::string name, std::string help, std::vector<std::string> label_names);
  void ObserveMicros(const std::vector<std::string>& label_values, int64_t micros);
  void Render(std::string& out) const;

 private:
  struct Series {
    std::array<std::atomic<uint64_t>, kBuckets.size()> buckets{};
    std::atomic<uint64_t> count{0};
    std::atomic<uint64_t> sum_micros{0};
  };
  Series& Get(const std::vector<std::string>& label_values);
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  mutable std::shared_mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<Series>> series_;
};

// Appends the "# HELP" and "# TYPE" lines of a family.
void AppendMetricHeader(std::string& out, std::string_view name, std::string_view help,
                        std::string_view type);

// Appends `name{l1="v1",...}` with values escaped per the exposition format.
void AppendSeriesName(std::string& out, std::string_view name,
                      const std::vector<std::string>& label_names,
                      const std::vector<std::string>& label_values,
                      std::string_view extra_label = {}, std::string_view extra_value = {});

}  // namespace shepgw
