#include "http/metrics.h"

#include <fmt/format.h>
#include <prometheus/text_serializer.h>

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
