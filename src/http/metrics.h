// Prometheus metrics for the HTTP layer: request counts and latency per route and status.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

namespace coldtrack::http {

class Metrics {
 public:
  Metrics();
  // `route` is the pattern ("/api/orders/{order_no}"), never the raw path, so label
  // cardinality stays bounded.
  void observe(std::string_view route, std::string_view method, unsigned status, double seconds);
  // Carrier pushes by provider and result (ok, bad_signature, malformed, unknown_waybill, ...).
  void carrier_push(std::string_view provider, std::string_view result);
  // Outbound carrier calls by provider, kind (query, subscribe) and result.
  void carrier_call(std::string_view provider, std::string_view kind, std::string_view result);
  // Since this process started: carrier pushes accepted and carrier queries made (each accepted
  // push is a query that did not have to be made).
  std::int64_t pushes_accepted() const { return pushes_ok_.load(std::memory_order_relaxed); }
  std::int64_t queries_made() const { return queries_.load(std::memory_order_relaxed); }
  // Levels refreshed from the store every few seconds (app: the "gauges" job): outbox messages
  // waiting and the age of the oldest, unresolved anomalies by kind and severity.
  void outbox(std::int64_t pending, double oldest_age_s);
  // With a broker relay: outbox rows not yet handed to the broker, and the oldest one's age.
  void unrelayed(std::int64_t pending, double oldest_age_s);
  void open_anomalies(
      const std::vector<std::tuple<std::string, std::string, std::int64_t>>& counts);
  // 0 closed, 1 open, 2 half-open.
  void carrier_breaker(std::string_view provider, int state);
  // One anomaly sweep: its duration and what it changed.
  void anomaly_sweep(double seconds, int opened, int updated, int resolved);
  // Temperature readings by result (stored, duplicate, rejected).
  void temperature_readings(std::string_view result, int n);
  // Notification jobs by outcome: planned, sent, retried, fallback, dead, uncertain, skipped.
  void notifications(std::string_view outcome, int n);
  // Runs `f` before every serialization, to bring counters kept elsewhere up to date.
  // Register before serving.
  void on_scrape(std::function<void()> f) { scrape_hooks_.push_back(std::move(f)); }
  std::string serialize() const;
  prometheus::Registry& registry() { return *registry_; }

 private:
  struct Series {
    prometheus::Counter* count;
    prometheus::Histogram* latency;
  };
  void read_process();
  std::shared_ptr<prometheus::Registry> registry_;
  std::atomic<std::int64_t> pushes_ok_{0}, queries_{0};
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Histogram>* latency_;
  prometheus::Family<prometheus::Counter>* pushes_;
  prometheus::Family<prometheus::Counter>* calls_;
  prometheus::Family<prometheus::Gauge>* breakers_;
  prometheus::Family<prometheus::Gauge>* sweep_seconds_;
  prometheus::Family<prometheus::Counter>* anomalies_;
  prometheus::Family<prometheus::Counter>* readings_;
  prometheus::Family<prometheus::Counter>* notifications_;
  prometheus::Gauge* outbox_pending_;
  prometheus::Gauge* outbox_oldest_;
  prometheus::Gauge* unrelayed_;
  prometheus::Gauge* unrelayed_oldest_;
  prometheus::Family<prometheus::Gauge>* open_anomalies_;
  std::mutex anomalies_mu_;
  std::vector<std::pair<std::string, std::string>> anomaly_series_;  // (kind, severity) ever set
  // The standard process_* series (resident memory, CPU, open files, start time) from /proc.
  prometheus::Gauge* rss_;
  prometheus::Gauge* open_fds_;
  prometheus::Gauge* start_time_;
  prometheus::Gauge* cpu_seconds_;
  // One series per (route, method, status), looked up without building a string.
  struct SeriesKey {
    std::string route, method;
    unsigned status = 0;
  };
  struct SeriesView {
    std::string_view route, method;
    unsigned status = 0;
  };
  struct SeriesHash {
    using is_transparent = void;
    std::size_t operator()(const SeriesView& k) const noexcept;
    std::size_t operator()(const SeriesKey& k) const noexcept {
      return (*this)(SeriesView{k.route, k.method, k.status});
    }
  };
  struct SeriesEq {
    using is_transparent = void;
    static SeriesView view(const SeriesKey& k) { return {k.route, k.method, k.status}; }
    static SeriesView view(const SeriesView& k) { return k; }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const noexcept {
      const auto x = view(a), y = view(b);
      return x.status == y.status && x.route == y.route && x.method == y.method;
    }
  };
  std::mutex mu_;
  std::unordered_map<SeriesKey, Series, SeriesHash, SeriesEq> series_;
  std::vector<std::function<void()>> scrape_hooks_;
};

}  // namespace coldtrack::http
