#include "http/metrics.h"

#include <fmt/format.h>
#include <prometheus/text_serializer.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>

namespace coldtrack::http {

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {
  requests_ = &prometheus::BuildCounter()
                   .Name("coldtrack_http_requests_total")
                   .Help("HTTP requests by route, method and status code")
                   .Register(*registry_);
  latency_ = &prometheus::BuildHistogram()
                  .Name("coldtrack_http_request_duration_seconds")
                  .Help("HTTP request latency by route, method and status code")
                  .Register(*registry_);
  pushes_ = &prometheus::BuildCounter()
                 .Name("coldtrack_carrier_pushes_total")
                 .Help("Carrier push callbacks by provider and result")
                 .Register(*registry_);
  calls_ = &prometheus::BuildCounter()
                .Name("coldtrack_carrier_calls_total")
                .Help("Outbound carrier API calls by provider, kind and result")
                .Register(*registry_);
  breakers_ = &prometheus::BuildGauge()
                   .Name("coldtrack_carrier_breaker_state")
                   .Help("Circuit breaker per carrier provider: 0 closed, 1 open, 2 half-open")
                   .Register(*registry_);
  sweep_seconds_ = &prometheus::BuildGauge()
                        .Name("coldtrack_anomaly_sweep_seconds")
                        .Help("Duration of the last anomaly sweep over active shipments")
                        .Register(*registry_);
  anomalies_ = &prometheus::BuildCounter()
                    .Name("coldtrack_anomaly_changes_total")
                    .Help("Anomalies opened, updated (escalated) and resolved by the sweeper")
                    .Register(*registry_);
  readings_ = &prometheus::BuildCounter()
                   .Name("coldtrack_temperature_readings_total")
                   .Help("Temperature readings received, by result")
                   .Register(*registry_);
  notifications_ = &prometheus::BuildCounter()
                        .Name("coldtrack_notifications_total")
                        .Help("Notification jobs, by outcome")
                        .Register(*registry_);
  outbox_pending_ = &prometheus::BuildGauge()
                         .Name("coldtrack_outbox_pending")
                         .Help(
                             "Outbox messages a worker here completes (notification planning, "
                             "carrier subscriptions) not yet done")
                         .Register(*registry_)
                         .Add({});
  outbox_oldest_ = &prometheus::BuildGauge()
                        .Name("coldtrack_outbox_oldest_pending_seconds")
                        .Help("Age of the oldest outbox message not yet done (0: none)")
                        .Register(*registry_)
                        .Add({});
  unrelayed_ = &prometheus::BuildGauge()
                    .Name("coldtrack_outbox_unrelayed")
                    .Help("With a RabbitMQ relay: outbox rows not yet published to the broker")
                    .Register(*registry_)
                    .Add({});
  unrelayed_oldest_ =
      &prometheus::BuildGauge()
           .Name("coldtrack_outbox_unrelayed_oldest_seconds")
           .Help("With a RabbitMQ relay: age of the oldest unpublished row (0: none)")
           .Register(*registry_)
           .Add({});
  open_anomalies_ = &prometheus::BuildGauge()
                         .Name("coldtrack_anomalies_open")
                         .Help("Unresolved (open or acknowledged) anomalies by kind and severity")
                         .Register(*registry_);
  auto process = [this](const char* name, const char* help) -> prometheus::Gauge& {
    return prometheus::BuildGauge().Name(name).Help(help).Register(*registry_).Add({});
  };
  rss_ = &process("process_resident_memory_bytes", "Resident memory size in bytes");
  open_fds_ = &process("process_open_fds", "Open file descriptors");
  start_time_ = &process("process_start_time_seconds", "Start time since the epoch, seconds");
  cpu_seconds_ = &process("process_cpu_seconds_total", "User and system CPU time, seconds");
  start_time_->Set(static_cast<double>(std::time(nullptr)));
  on_scrape([this] { read_process(); });
}

void Metrics::read_process() {
  // /proc reads are memory reads: fine on whatever thread scrapes.
  const long page = ::sysconf(_SC_PAGESIZE);
  const long ticks = ::sysconf(_SC_CLK_TCK);
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    long size = 0, resident = 0;
    if (std::fscanf(f, "%ld %ld", &size, &resident) == 2)
      rss_->Set(static_cast<double>(resident) * page);
    std::fclose(f);
  }
  if (std::FILE* f = std::fopen("/proc/self/stat", "r")) {
    char buf[1024];
    const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[n] = 0;
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    if (const char* p = std::strrchr(buf, ')')) {
      unsigned long utime = 0, stime = 0;
      if (std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime,
                      &stime) == 2)
        cpu_seconds_->Set(static_cast<double>(utime + stime) / ticks);
    }
  }
  std::error_code ec;
  std::size_t fds = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++fds;
  if (!ec) open_fds_->Set(static_cast<double>(fds));
}

void Metrics::outbox(std::int64_t pending, double oldest_age_s) {
  outbox_pending_->Set(static_cast<double>(pending));
  outbox_oldest_->Set(oldest_age_s);
}

void Metrics::unrelayed(std::int64_t pending, double oldest_age_s) {
  unrelayed_->Set(static_cast<double>(pending));
  unrelayed_oldest_->Set(oldest_age_s);
}

void Metrics::open_anomalies(
    const std::vector<std::tuple<std::string, std::string, std::int64_t>>& counts) {
  std::lock_guard lock(anomalies_mu_);
  // A series that was set before and is absent now drops to 0 (not stale at its last value).
  for (const auto& [kind, severity] : anomaly_series_)
    open_anomalies_->Add({{"kind", kind}, {"severity", severity}}).Set(0);
  for (const auto& [severity, kind, n] : counts) {
    open_anomalies_->Add({{"kind", kind}, {"severity", severity}}).Set(static_cast<double>(n));
    const std::pair<std::string, std::string> key{kind, severity};
    if (std::find(anomaly_series_.begin(), anomaly_series_.end(), key) == anomaly_series_.end())
      anomaly_series_.push_back(key);
  }
}

void Metrics::anomaly_sweep(double seconds, int opened, int updated, int resolved) {
  sweep_seconds_->Add({}).Set(seconds);
  anomalies_->Add({{"change", "opened"}}).Increment(opened);
  anomalies_->Add({{"change", "updated"}}).Increment(updated);
  anomalies_->Add({{"change", "resolved"}}).Increment(resolved);
}

void Metrics::temperature_readings(std::string_view result, int n) {
  readings_->Add({{"result", std::string(result)}}).Increment(n);
}

void Metrics::notifications(std::string_view outcome, int n) {
  notifications_->Add({{"outcome", std::string(outcome)}}).Increment(n);
}

void Metrics::carrier_breaker(std::string_view provider, int state) {
  breakers_->Add({{"provider", std::string(provider)}}).Set(state);
}

void Metrics::carrier_call(std::string_view provider, std::string_view kind,
                           std::string_view result) {
  calls_
      ->Add({{"provider", std::string(provider)},
             {"kind", std::string(kind)},
             {"result", std::string(result)}})
      .Increment();
  if (kind == "query") queries_.fetch_add(1, std::memory_order_relaxed);
}

void Metrics::carrier_push(std::string_view provider, std::string_view result) {
  // Family::Add is idempotent for the same labels and thread-safe.
  pushes_->Add({{"provider", std::string(provider)}, {"result", std::string(result)}}).Increment();
  if (result == "ok") pushes_ok_.fetch_add(1, std::memory_order_relaxed);
}

void Metrics::observe(std::string_view route, std::string_view method, unsigned status,
                      double seconds) {
  const SeriesView id{route, method, status};
  Series s;
  {
    std::lock_guard lock(mu_);
    auto it = series_.find(id);
    if (it == series_.end()) {
      const std::map<std::string, std::string> labels{{"route", std::string(route)},
                                                      {"method", std::string(method)},
                                                      {"code", std::to_string(status)}};
      static const prometheus::Histogram::BucketBoundaries kBuckets{
          0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
      it = series_
               .emplace(SeriesKey{std::string(route), std::string(method), status},
                        Series{&requests_->Add(labels), &latency_->Add(labels, kBuckets)})
               .first;
    }
    s = it->second;
  }
  s.count->Increment();
  s.latency->Observe(seconds);
}

std::size_t Metrics::SeriesHash::operator()(const SeriesView& k) const noexcept {
  const std::hash<std::string_view> h;
  return h(k.route) ^ (h(k.method) * 31) ^
         (static_cast<std::size_t>(k.status) * 0x9e3779b97f4a7c15ULL);
}

std::string Metrics::serialize() const {
  for (const auto& f : scrape_hooks_) f();
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace coldtrack::http
