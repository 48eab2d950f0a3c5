// The tracking worker: subscribes new shipments for push (from the outbox, so nothing is lost
// when a provider is down) and polls only what push has not refreshed, within per-provider rate
// limits, with backoff, a circuit breaker per provider and failover to a second provider.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "cache/rate_limiter.h"
#include "carriers/cainiao/cainiao.h"
#include "carriers/kdniao/kdniao.h"
#include "carriers/kuaidi100/kuaidi100.h"
#include "carriers/scheduler.h"
#include "net/http_client.h"
#include "service/order_service.h"
#include "service/pii.h"
#include "service/tracking_service.h"
#include "store/store.h"

namespace coldtrack::service {

struct TrackingWorkerOptions {
  int tick_ms = 5000;
  int batch = 50;
  std::string provider = "kdniao";
  std::string fallback_provider = "kuaidi100";  // "none" or "" for no failover
  int rate_limit_per_minute = 600;
  int breaker_threshold = 5;
  domain::EpochMs breaker_open_ms = 60'000;
  carriers::PollPolicy policy;
  // With broker consumers (queue.backend rabbitmq) run_once() only catches up on
  // "order.shipment_added" messages older than this: the rest are the consumers'. 0: all.
  domain::EpochMs outbox_grace_ms = 0;
};

struct PassResult {
  int subscribed = 0;
  int subscribe_failed = 0;
  int queried = 0;
  int query_failed = 0;
  int saved_by_push = 0;  // due by the old schedule, but a push had refreshed them
  int deferred = 0;       // breaker open or rate limited
};

// (provider, call kind "query"|"subscribe"|"poll", result "ok"|"retryable"|"permanent"|
// "saved_by_push"|"deferred"), and after every pass (provider, breaker state 0 closed /
// 1 open / 2 half-open).
using CallObserver = std::function<void(std::string_view, std::string_view, std::string_view)>;
using BreakerObserver = std::function<void(std::string_view, int)>;

class TrackingWorker {
 public:
  // Either protocol may be null (provider not configured).
  TrackingWorker(store::Store& store, TrackingService& tracking, const PiiCodec& pii,
                 net::HttpClient& http, const carriers::kdniao::Protocol* kdniao,
                 const carriers::kuaidi100::Protocol* kuaidi100, TrackingWorkerOptions options,
                 Clock clock, CallObserver observer = {}, BreakerObserver breakers = {},
                 const carriers::cainiao::Protocol* cainiao = nullptr);
  ~TrackingWorker();

  void start();  // a background thread running run_once() every tick
  void stop();
  PassResult run_once();  // one pass: subscriptions, then due polls

  // The outbox topic of new shipments (the broker consumer's routing key).
  static constexpr std::string_view kShipmentTopic = "order.shipment_added";
  // Subscribes the shipment of one claimed (or leased) "order.shipment_added" message, as a
  // pass does: completes the message, or schedules its retry in the outbox (retry_outbox), in
  // the store. False when the payload is not understood (then completed without a call). Store
  // errors propagate. Serialized with passes (one provider state).
  bool handle_shipment_added(const store::OutboxMessage& m);

  carriers::CircuitBreaker::State breaker_state(const std::string& provider);

 private:
  struct Provider;
  Provider* choose(const store::PollTarget& t, bool for_subscription);
  bool subscribe(const store::OutboxMessage& m, PassResult& r);
  void poll(const store::PollTarget& t, PassResult& r);
  carriers::PollState poll_state(const store::PollTarget& t) const;

  store::Store& store_;
  TrackingService& tracking_;
  const PiiCodec& pii_;
  net::HttpClient& http_;
  TrackingWorkerOptions options_;
  Clock clock_;
  CallObserver observer_;
  BreakerObserver breakers_;
  std::map<std::string, std::unique_ptr<Provider>> providers_;
  std::mt19937_64 rng_{std::random_device{}()};
  std::mutex run_mu_;  // one pass at a time

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace coldtrack::service
