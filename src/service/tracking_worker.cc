#include "service/tracking_worker.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/json.hpp>

namespace coldtrack::service {

namespace json = boost::json;
using carriers::ProviderError;
using carriers::Snapshot;

// One provider: its protocol, breaker and rate limiter, behind one small interface.
struct TrackingWorker::Provider {
  std::string name;
  const carriers::kdniao::Protocol* kdniao = nullptr;
  const carriers::kuaidi100::Protocol* kuaidi100 = nullptr;
  const carriers::cainiao::Protocol* cainiao = nullptr;  // query only
  carriers::CircuitBreaker breaker;
  cache::MemoryRateLimiter limiter;

  Provider(std::string n, int threshold, domain::EpochMs open_ms, int per_minute)
      : name(std::move(n)), breaker(threshold, open_ms), limiter(per_minute) {}

  std::string code_for(const store::PollTarget& t) const {
    if (cainiao) return t.carrier;  // Cainiao's cpCode: the canonical code (placeholder mapping)
    return kdniao ? t.kdniao_code : t.kuaidi100_code;
  }
  bool can_subscribe() const { return !cainiao; }
  carriers::OutboundRequest build_query(const carriers::WaybillRef& ref) const {
    if (cainiao) return cainiao->build_query(ref);
    return kdniao ? kdniao->build_query(ref) : kuaidi100->build_query(ref);
  }
  carriers::OutboundRequest build_subscribe(const carriers::WaybillRef& ref) const {
    return kdniao ? kdniao->build_subscribe(ref) : kuaidi100->build_subscribe(ref);
  }
  carriers::QueryResult parse_query(int status, std::string_view body,
                                    const carriers::WaybillRef& ref) const {
    if (cainiao) return cainiao->parse_query_response(status, body, ref);
    return kdniao ? kdniao->parse_query_response(status, body, ref)
                  : kuaidi100->parse_query_response(status, body, ref);
  }
  carriers::SubscribeResult parse_subscribe(int status, std::string_view body) const {
    return kdniao ? kdniao->parse_subscribe_response(status, body)
                  : kuaidi100->parse_subscribe_response(status, body);
  }
};

namespace {

net::HttpResponse send(net::HttpClient& http, const carriers::OutboundRequest& out) {
  net::HttpRequest req;
  req.method = out.method;
  req.url = out.url;
  req.headers = out.headers;
  req.body = out.body;
  return http.send(req);
}

}  // namespace

TrackingWorker::TrackingWorker(store::Store& store, TrackingService& tracking, const PiiCodec& pii,
                               net::HttpClient& http, const carriers::kdniao::Protocol* kdniao,
                               const carriers::kuaidi100::Protocol* kuaidi100,
                               TrackingWorkerOptions options, Clock clock, CallObserver observer,
                               BreakerObserver breakers, const carriers::cainiao::Protocol* cainiao)
    : store_(store),
      tracking_(tracking),
      pii_(pii),
      http_(http),
      options_(std::move(options)),
      clock_(std::move(clock)),
      observer_(std::move(observer)),
      breakers_(std::move(breakers)) {
  if (kdniao) {
    auto p = std::make_unique<Provider>("kdniao", options_.breaker_threshold,
                                        options_.breaker_open_ms, options_.rate_limit_per_minute);
    p->kdniao = kdniao;
    providers_.emplace("kdniao", std::move(p));
  }
  if (kuaidi100) {
    auto p = std::make_unique<Provider>("kuaidi100", options_.breaker_threshold,
                                        options_.breaker_open_ms, options_.rate_limit_per_minute);
    p->kuaidi100 = kuaidi100;
    providers_.emplace("kuaidi100", std::move(p));
  }
  if (cainiao) {
    auto p = std::make_unique<Provider>("cainiao", options_.breaker_threshold,
                                        options_.breaker_open_ms, options_.rate_limit_per_minute);
    p->cainiao = cainiao;
    providers_.emplace("cainiao", std::move(p));
  }
  if (!observer_) observer_ = [](std::string_view, std::string_view, std::string_view) {};
  if (!breakers_) breakers_ = [](std::string_view, int) {};
}

TrackingWorker::~TrackingWorker() {
  stop();
}

void TrackingWorker::start() {
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      lock.unlock();
      try {
        run_once();
      } catch (const std::exception& e) {
        spdlog::error("tracking pass failed: {}", e.what());
      }
      lock.lock();
      cv_.wait_for(lock, std::chrono::milliseconds(options_.tick_ms), [this] { return stopping_; });
    }
  });
}

void TrackingWorker::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

carriers::CircuitBreaker::State TrackingWorker::breaker_state(const std::string& provider) {
  std::lock_guard lock(run_mu_);
  auto it = providers_.find(provider);
  return it == providers_.end() ? carriers::CircuitBreaker::State::kClosed
                                : it->second->breaker.state(clock_());
}

// The primary provider when it has a code for the carrier and its breaker is not open, else
// the fallback on the same terms; null when neither can take the call now.
TrackingWorker::Provider* TrackingWorker::choose(const store::PollTarget& t,
                                                 bool for_subscription) {
  const auto now = clock_();
  for (const auto& name : {options_.provider, options_.fallback_provider}) {
    auto it = providers_.find(name);
    if (it == providers_.end()) continue;
    auto& p = *it->second;
    if (p.code_for(t).empty()) continue;  // carrier not supported by this provider
    if (for_subscription && !p.can_subscribe()) continue;
    if (p.breaker.state(now) == carriers::CircuitBreaker::State::kOpen) continue;
    return &p;
  }
  return nullptr;
}

carriers::PollState TrackingWorker::poll_state(const store::PollTarget& t) const {
  carriers::PollState s;
  s.tracked = t.tracked;
  if (t.tracked)
    s.status =
        carriers::parse_tracking_status(t.status).value_or(carriers::TrackingStatus::kNoInfo);
  s.subscribed = t.subscribed;
  s.heard_at = t.heard_at;
  s.last_query_at = t.last_query_at;
  s.shipped_at = t.shipped_at;
  return s;
}

PassResult TrackingWorker::run_once() {
  std::lock_guard lock(run_mu_);
  PassResult r;
  const auto now = clock_();
  const auto claimed =
      options_.outbox_grace_ms > 0
          ? store_.claim_outbox_created_before(kShipmentTopic, now, now - options_.outbox_grace_ms,
                                               options_.batch, 60'000)
          : store_.claim_outbox(kShipmentTopic, now, options_.batch, 60'000);
  for (const auto& m : claimed) subscribe(m, r);
  for (const auto& t : store_.due_shipments(clock_(), options_.batch)) poll(t, r);
  for (auto& [name, p] : providers_) breakers_(name, static_cast<int>(p->breaker.state(clock_())));
  return r;
}

bool TrackingWorker::handle_shipment_added(const store::OutboxMessage& m) {
  std::lock_guard lock(run_mu_);
  PassResult r;
  return subscribe(m, r);
}

// Not twice: the outbox message is claimed (claim_outbox) or leased (the broker consumer's
// lease_outbox compare-and-set) before a subscription is attempted, so two workers never hold it
// at once; it is completed (or given its retry time) after the call. Only a worker dying
// between the call and the completion leaves it to be tried again when its lease expires: a
// second subscription of the same waybill, which the providers treat as a renewal.
bool TrackingWorker::subscribe(const store::OutboxMessage& m, PassResult& r) {
  const auto now = clock_();
  boost::system::error_code ec;
  auto v = json::parse(m.payload, ec);
  if (ec || !v.is_object()) {
    spdlog::error("outbox message {} is not valid JSON; dropped", m.id);
    store_.complete_outbox(m.id, now);
    return false;
  }
  const auto& o = v.as_object();
  auto field = [&](const char* k) {
    auto* p = o.if_contains(k);
    return p && p->is_string() ? std::string(p->as_string()) : std::string();
  };
  auto target = store_.poll_target(field("order_no"), field("carrier"), field("waybill_no"));
  if (!target) {  // the shipment is gone (archived): nothing to subscribe
    store_.complete_outbox(m.id, now);
    return true;
  }
  auto* p = choose(*target, true);
  if (!p || p->limiter.acquire(p->name, now) || !p->breaker.allow(now)) {
    // No provider can take it now: try again later; polling covers the gap meanwhile.
    ++r.deferred;
    store_.retry_outbox(
        m.id, now + carriers::backoff_delay(m.attempts, 30'000, 3'600'000,
                                            std::uniform_real_distribution<>(0, 1)(rng_)));
    return true;
  }
  carriers::WaybillRef ref{target->carrier, p->code_for(*target), target->waybill_no,
                           pii_.open(target->phone_sealed, "customer.phone").value_or(""),
                           target->order_no};
  auto resp = send(http_, p->build_subscribe(ref));
  auto result = p->parse_subscribe(resp.status, resp.body);
  store::PollUpdate u{p->name, false, std::nullopt, target->last_query_at, target->failures,
                      "",      ""};
  if (std::holds_alternative<std::monostate>(result)) {
    p->breaker.on_success();
    observer_(p->name, "subscribe", "ok");
    ++r.subscribed;
    u.subscribed = true;
    target->subscribed = true;
    u.next_poll_at = carriers::next_poll_at(options_.policy, poll_state(*target));
    store_.update_polling(target->shipment_id, u);
    store_.complete_outbox(m.id, now);
    return true;
  }
  const auto& err = std::get<ProviderError>(result);
  ++r.subscribe_failed;
  u.last_error = err.message;
  u.last_response = resp.transport_failed()
                        ? "transport: " + resp.error
                        : fmt::format("HTTP {}: {}", resp.status, resp.body.substr(0, 4000));
  if (err.kind == carriers::Failure::kRetryable && m.attempts < 8) {
    p->breaker.on_failure(now);
    observer_(p->name, "subscribe", "retryable");
    store_.retry_outbox(
        m.id, now + carriers::backoff_delay(m.attempts, 30'000, 3'600'000,
                                            std::uniform_real_distribution<>(0, 1)(rng_)));
  } else {
    // Permanent (or retried enough): give up on push; polling keeps the parcel tracked. A
    // permanent refusal is a proper answer: the provider itself is healthy.
    if (err.kind == carriers::Failure::kPermanent)
      p->breaker.on_success();
    else
      p->breaker.on_failure(now);
    observer_(p->name, "subscribe", "permanent");
    spdlog::warn("subscription of {} {} failed: {}", target->carrier, target->waybill_no,
                 err.message);
    store_.complete_outbox(m.id, now);
  }
  u.next_poll_at = carriers::next_poll_at(options_.policy, poll_state(*target));
  store_.update_polling(target->shipment_id, u);
  return true;
}

void TrackingWorker::poll(const store::PollTarget& t, PassResult& r) {
  const auto now = clock_();
  const auto state = poll_state(t);
  store::PollUpdate u{t.provider, t.subscribed, std::nullopt, t.last_query_at, t.failures, "", ""};
  const auto due = carriers::next_poll_at(options_.policy, state);
  if (!due) {  // terminal: stop polling
    store_.update_polling(t.shipment_id, u);
    return;
  }
  if (*due > now && t.failures == 0) {  // a push refreshed it: a call saved
    ++r.saved_by_push;
    observer_(t.provider, "poll", "saved_by_push");
    u.next_poll_at = due;
    store_.update_polling(t.shipment_id, u);
    return;
  }
  auto* p = choose(t, false);
  // The rate limit first: breaker.allow() may hand out the one half-open trial, which must
  // then really be made.
  if (!p || p->limiter.acquire(p->name, now) || !p->breaker.allow(now)) {
    ++r.deferred;
    observer_(p ? p->name : "", "poll", "deferred");
    u.next_poll_at = now + 60'000;
    if (!p) u.last_error = "no provider available for this carrier now";
    store_.update_polling(t.shipment_id, u);
    return;
  }
  carriers::WaybillRef ref{t.carrier, p->code_for(t), t.waybill_no,
                           pii_.open(t.phone_sealed, "customer.phone").value_or(""), t.order_no};
  auto resp = send(http_, p->build_query(ref));
  auto result = p->parse_query(resp.status, resp.body, ref);
  u.last_query_at = now;
  if (auto* snap = std::get_if<Snapshot>(&result)) {
    p->breaker.on_success();
    observer_(p->name, "query", "ok");
    ++r.queried;
    tracking_.ingest({*snap});
    auto next = state;
    if (snap->mapped) {
      next.status = snap->unified.status;
      next.tracked = true;
    }
    next.heard_at = now;
    next.last_query_at = now;
    u.failures = 0;
    u.next_poll_at = carriers::next_poll_at(options_.policy, next);
    store_.update_polling(t.shipment_id, u);
    return;
  }
  const auto& err = std::get<ProviderError>(result);
  ++r.query_failed;
  u.failures = t.failures + 1;
  u.last_error = err.message;
  // Keep what the provider actually said (or the transport error) for diagnosis.
  u.last_response = resp.transport_failed()
                        ? "transport: " + resp.error
                        : fmt::format("HTTP {}: {}", resp.status, resp.body.substr(0, 4000));
  if (err.kind == carriers::Failure::kRetryable) {
    // Provider trouble (timeouts, 5xx, garbage): counts against the breaker, backs off.
    p->breaker.on_failure(now);
    observer_(p->name, "query", "retryable");
    u.next_poll_at = now + carriers::backoff_delay(u.failures, 60'000, 6 * 3'600'000,
                                                   std::uniform_real_distribution<>(0, 1)(rng_));
  } else {
    // Data or configuration problem for this waybill: a proper answer, so the provider is
    // healthy (this also ends a half-open trial).
    p->breaker.on_success();
    observer_(p->name, "query", "permanent");
    u.next_poll_at = now + options_.policy.no_info_ms;
  }
  store_.update_polling(t.shipment_id, u);
}

}  // namespace coldtrack::service
