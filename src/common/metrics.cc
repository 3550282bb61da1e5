#include "shepgw/common/metrics.h"

#include <cmath>
#include <cstdio>
#include <mutex>

namespace shepgw {
namespace {

void AppendEscaped(std::string& out, std::string_view v) {
  for (const char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

void AppendDouble(std::string& out, double v) {
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  out += buf;
}

}  // namespace

void AppendMetricHeader(std::string& out, std::string_view name, std::string_view help,
                        std::string_view type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void AppendSeriesName(std::string& out, std::string_view name,
                      const std::vector<std::string>& label_names,
                      const std::vector<std::string>& label_values, std::string_view extra_label,
                      std::string_view extra_value) {
  out += name;
  if (label_names.empty() && extra_label.empty()) {
    return;
  }
  out += '{';
  bool first = true;
  for (size_t i = 0; i < label_names.size() && i < label_values.size(); ++i) {
    if (!first) {
      out += ',';
    }
    first = false;
    out += label_names[i];
    out += "=\"";
    AppendEscaped(out, label_values[i]);
    out += '"';
  }
  if (!extra_label.empty()) {
    if (!first) {
      out += ',';
    }
    out += extra_label;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

CounterFamily::CounterFamily(std::string name, std::string help,
                             std::vector<std::string> label_names, size_t max_series)
    : name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)),
      max_series_(max_series) {}

std::atomic<uint64_t>& CounterFamily::Series(const std::vector<std::string>& label_values) {
  {
    std::shared_lock lock(mutex_);
    const auto it = series_.find(label_values);
    if (it != series_.end()) {
      return *it->second;
    }
  }
  std::unique_lock lock(mutex_);
  auto key = label_values;
  if (series_.size() >= max_series_ && series_.find(key) == series_.end()) {
    key.assign(label_names_.size(), "_other");
  }
  auto& slot = series_[key];
  if (!slot) {
    slot = std::make_unique<std::atomic<uint64_t>>(0);
  }
  return *slot;
}

void CounterFamily::Inc(const std::vector<std::string>& label_values, uint64_t n) {
  Series(label_values).fetch_add(n, std::memory_order_relaxed);
}

uint64_t CounterFamily::Value(const std::vector<std::string>& label_values) const {
  std::shared_lock lock(mutex_);
  const auto it = series_.find(label_values);
  return it == series_.end() ? 0 : it->second->load(std::memory_order_relaxed);
}

void CounterFamily::Render(std::string& out) const {
  AppendMetricHeader(out, name_, help_, "counter");
  std::shared_lock lock(mutex_);
  for (const auto& [labels, value] : series_) {
    AppendSeriesName(out, name_, label_names_, labels);
    out += ' ';
    out += std::to_string(value->load(std::memory_order_relaxed));
    out += '\n';
  }
}

GaugeFamily::GaugeFamily(std::string name, std::string help, std::vector<std::string> label_names)
    : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)) {}

void GaugeFamily::Set(const std::vector<std::string>& label_values, double value) {
  std::unique_lock lock(mutex_);
  series_[label_values] = value;
}

void GaugeFamily::Add(const std::vector<std::string>& label_values, double delta) {
  std::unique_lock lock(mutex_);
  series_[label_values] += delta;
}

void GaugeFamily::Clear() {
  std::unique_lock lock(mutex_);
  series_.clear();
}

void GaugeFamily::Render(std::string& out) const {
  AppendMetricHeader(out, name_, help_, "gauge");
  std::shared_lock lock(mutex_);
  for (const auto& [labels, value] : series_) {
    AppendSeriesName(out, name_, label_names_, labels);
    out += ' ';
    AppendDouble(out, value);
    out += '\n';
  }
}

HistogramFamily::HistogramFamily(std::string name, std::string help,
                                 std::vector<std::string> label_names)
    : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)) {}

HistogramFamily::Series& HistogramFamily::Get(const std::vector<std::string>& label_values) {
  {
    std::shared_lock lock(mutex_);
    const auto it = series_.find(label_values);
    if (it != series_.end()) {
      return *it->second;
    }
  }
  std::unique_lock lock(mutex_);
  auto& slot = series_[label_values];
  if (!slot) {
    slot = std::make_unique<Series>();
  }
  return *slot;
}

void HistogramFamily::ObserveMicros(const std::vector<std::string>& label_values, int64_t micros) {
  if (micros < 0) {
    return;
  }
  Series& s = Get(label_values);
  const double seconds = static_cast<double>(micros) / 1e6;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      s.buckets[i].fetch_add(1, std::memory_order_relaxed);
      break;  // stored non-cumulative; summed when rendering
    }
  }
  s.count.fetch_add(1, std::memory_order_relaxed);
  s.sum_micros.fetch_add(static_cast<uint64_t>(micros), std::memory_order_relaxed);
}

void HistogramFamily::Render(std::string& out) const {
  AppendMetricHeader(out, name_, help_, "histogram");
  std::shared_lock lock(mutex_);
  const std::string bucket_name = name_ + "_bucket";
  for (const auto& [labels, s] : series_) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += s->buckets[i].load(std::memory_order_relaxed);
      std::string le;
      AppendDouble(le, kBuckets[i]);
      AppendSeriesName(out, bucket_name, label_names_, labels, "le", le);
      out += ' ';
      out += std::to_string(cumulative);
      out += '\n';
    }
    const uint64_t count = s->count.load(std::memory_order_relaxed);
    AppendSeriesName(out, bucket_name, label_names_, labels, "le", "+Inf");
    out += ' ';
    out += std::to_string(count);
    out += '\n';
    AppendSeriesName(out, name_ + "_sum", label_names_, labels);
    out += ' ';
    AppendDouble(out, static_cast<double>(s->sum_micros.load(std::memory_order_relaxed)) / 1e6);
    out += '\n';
    AppendSeriesName(out, name_ + "_count", label_names_, labels);
    out += ' ';
    out += std::to_string(count);
    out += '\n';
  }
}

}  // namespace shepgw
