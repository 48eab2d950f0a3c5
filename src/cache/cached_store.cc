#include "cache/cached_store.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>

#include "cache/view_codec.h"
#include "domain/validation.h"

namespace coldtrack::cache {
namespace {

using E = ViewEffect;

// Cached: OrderRecord (order row, history, shipments with carrier names and temperature class)
// and TrackingRecord (shipments, carrier names, tracking snapshot, lane, cold-chain assessment,
// archived flag). A write that can change any of these for an order must invalidate it.
constexpr std::array kRules{
    // OrderStore
    ViewRule{"create_order", E::kOrders, "inserts the order (an unknown order is never cached)"},
    ViewRule{"change_status", E::kOrders, "status, history, finished_at"},
    ViewRule{"add_shipment", E::kOrders, "a shipment, maybe status SHIPPED"},
    ViewRule{"get_order", E::kCachedRead, "the order view"},
    ViewRule{"list_orders", E::kRead, "lists are not cached"},
    ViewRule{"get_orders", E::kRead, "batch reads are not cached"},
    ViewRule{"archive_batch", E::kAll, "moves orders it does not name: archived flags"},
    ViewRule{"import_orders", E::kOrders, "inserts the orders it is given"},
    ViewRule{"count_orders", E::kRead, ""},
    ViewRule{"orders_without_masked_forms", E::kRead, ""},
    ViewRule{"set_masked_forms", E::kNone,
             "masked forms are read by lists only, which are not cached; a cached order is "
             "opened, so a stale empty form there changes nothing"},
    // ReferenceStore
    ViewRule{"carriers", E::kRead, ""},
    ViewRule{"upsert_carrier", E::kAll, "carrier names appear in every view"},
    ViewRule{"categories", E::kRead, ""},
    // ApiKeyStore, AuditStore
    ViewRule{"insert_api_key", E::kNone, "api keys"},
    ViewRule{"find_api_key", E::kRead, ""},
    ViewRule{"revoke_api_key", E::kNone, "api keys"},
    ViewRule{"list_api_keys", E::kRead, ""},
    ViewRule{"append_audit", E::kNone, "audit log"},
    ViewRule{"list_audit", E::kRead, ""},
    // TrackingStore
    ViewRule{"due_shipments", E::kNone, "claims polling state (next_poll_at), not in views"},
    ViewRule{"poll_target", E::kRead, ""},
    ViewRule{"update_polling", E::kNone, "polling state, not in views"},
    ViewRule{"reassign_carrier", E::kOrdersByWaybill, "the shipments' carrier"},
    ViewRule{"claim_outbox", E::kNone, "outbox"},
    ViewRule{"claim_outbox_created_before", E::kNone, "outbox"},
    ViewRule{"complete_outbox", E::kNone, "outbox"},
    ViewRule{"retry_outbox", E::kNone, "outbox"},
    ViewRule{"apply_tracking", E::kOrdersByWaybill,
             "tracking snapshot, heard_at (also for an older snapshot), order status; the store "
             "names the orders"},
    ViewRule{"order_tracking", E::kCachedRead, "the shipments' tracking in every view"},
    ViewRule{"carrier_for_provider_code", E::kRead, ""},
    // MonitoringStore
    ViewRule{"active_shipments", E::kRead, ""},
    ViewRule{"watch_shipments", E::kRead, ""},
    ViewRule{"unshipped_orders", E::kRead, ""},
    ViewRule{"scan_delivered_shipments", E::kRead, "history for the ETA model, not cached"},
    ViewRule{"reconcile_anomalies", E::kNone, "anomalies are not part of the cached records"},
    ViewRule{"list_anomalies", E::kRead, ""},
    ViewRule{"get_anomaly", E::kRead, ""},
    ViewRule{"transition_anomaly", E::kNone, "anomalies are not part of the cached records"},
    ViewRule{"find_shipment", E::kRead, "not on the hot path"},
    ViewRule{"insert_temperatures", E::kNone,
             "raw readings are not cached (the assessment is: save_cold_chain)"},
    ViewRule{"temperatures", E::kRead, ""},
    ViewRule{"save_cold_chain", E::kShipmentOrder, "TrackingRecord::cold_chain"},
    // PaymentStore
    ViewRule{"record_payment", E::kOrders, "status PAID, history"},
    ViewRule{"payment_for", E::kRead, ""},
    ViewRule{"shipping_ledger", E::kRead, ""},
    ViewRule{"save_shipping_ledger", E::kNone, "WeChat upload ledger"},
    // SessionStore, SubscriptionStore
    ViewRule{"insert_staff_user", E::kNone, "staff accounts"},
    ViewRule{"find_staff_user", E::kRead, ""},
    ViewRule{"list_staff_users", E::kRead, ""},
    ViewRule{"record_login_failure", E::kNone, "staff accounts"},
    ViewRule{"start_staff_session", E::kNone, "staff sessions"},
    ViewRule{"find_staff_session", E::kRead, ""},
    ViewRule{"end_staff_session", E::kNone, "staff sessions"},
    ViewRule{"insert_session", E::kNone, "sessions"},
    ViewRule{"find_session", E::kRead, ""},
    ViewRule{"add_subscriptions", E::kNone, "subscriptions"},
    ViewRule{"subscriptions", E::kRead, ""},
    ViewRule{"consume_subscription", E::kNone, "subscriptions"},
    ViewRule{"mark_subscription_spent", E::kNone, "subscriptions"},
    // NotificationStore (the order view's wechat_shipping line is read uncached)
    ViewRule{"plan_notifications", E::kNone,
             "notification jobs (the listener hears of wechat_shipping jobs' orders)"},
    ViewRule{"recipient_sends", E::kRead, ""},
    ViewRule{"expire_sending", E::kNone, "notification jobs"},
    ViewRule{"claim_notifications", E::kNone, "notification jobs"},
    ViewRule{"finish_notification", E::kNone, "notification jobs"},
    ViewRule{"list_notifications", E::kRead, ""},
    ViewRule{"get_notification", E::kRead, ""},
    ViewRule{"resend_notification", E::kNone,
             "notification jobs (the listener hears of a wechat_shipping job's order)"},
    // IdempotencyStore, LeaseStore, RelayStore
    ViewRule{"find_idempotent", E::kRead, ""},
    ViewRule{"save_idempotent", E::kNone, "idempotency keys"},
    ViewRule{"purge_idempotent", E::kNone, "idempotency keys"},
    ViewRule{"try_lease", E::kNone, "leases"},
    ViewRule{"release_lease", E::kNone, "leases"},
    ViewRule{"unrelayed", E::kRead, ""},
    ViewRule{"mark_relayed", E::kNone, "outbox"},
    ViewRule{"outbox_message", E::kRead, ""},
    ViewRule{"lease_outbox", E::kNone, "outbox"},
    // Store
    ViewRule{"ping", E::kRead, ""},
    ViewRule{"explain_list", E::kRead, ""},
    ViewRule{"overview_counts", E::kRead, "counts for the console, not cached"},
    ViewRule{"gauge_counts", E::kRead, "levels for /metrics, not cached"},
    ViewRule{"cold_chain_parcels", E::kRead, "the console's cold-chain board, not cached"},
    ViewRule{"close", E::kNone, ""},
    ViewRule{"sole_use", E::kRead, "who else uses the database"},
};

// More orders than this on one waybill: invalidate everything instead of listing them all.
constexpr int kWaybillOrders = 200;

}  // namespace

std::span<const ViewRule> view_rules() {
  return kRules;
}

CachedStore::CachedStore(std::unique_ptr<store::Store> inner, ViewCache& cache,
                         std::chrono::milliseconds retry)
    : inner_(std::move(inner)),
      cache_(&cache),
      retry_(retry),
      gate_("hot views", retry, "the store directly"),
      payer_([this](std::stop_token stop) { pay_in_background(stop); }) {}

CachedStore::CachedStore(std::unique_ptr<store::Store> inner, ViewListener& listener)
    : inner_(std::move(inner)),
      cache_(nullptr),
      listener_(&listener),
      retry_(std::chrono::seconds(3)),
      gate_("hot views", retry_, "the store directly") {}

CachedStore::~CachedStore() {
  payer_.request_stop();
  if (payer_.joinable()) payer_.join();
}

void CachedStore::close() {
  payer_.request_stop();
  if (payer_.joinable()) payer_.join();
  // Last chance to settle a debt (bounded by one Redis timeout); otherwise the TTL bounds it.
  if (owes_invalidation() && gate_.should_try() && !pay())
    spdlog::warn(
        "hot views: stopping while other replicas may hold entries older than a write "
        "made here; they expire within cache.views.ttl_s");
  inner_->close();
}

bool CachedStore::owes_invalidation() const {
  std::lock_guard lock(debt_mu_);
  return debts_ > paid_;
}

void CachedStore::failed(const std::string& error) {
  {
    std::lock_guard lock(debt_mu_);
    ++debts_;
  }
  gate_.failed(error);
  debt_cv_.notify_all();
}

void CachedStore::owe() {
  {
    std::lock_guard lock(debt_mu_);
    ++debts_;
  }
  debt_cv_.notify_all();
}

bool CachedStore::settle() {
  return !owes_invalidation() || pay();
}

bool CachedStore::pay() {
  std::uint64_t covering = 0;
  {
    std::lock_guard lock(debt_mu_);
    covering = debts_;
  }
  // Every write whose invalidation failed or was skipped committed before this call.
  auto r = cache_->invalidate_all();
  if (auto* e = std::get_if<CacheError>(&r)) {
    failed(e->message);
    return false;
  }
  gate_.succeeded();
  std::lock_guard lock(debt_mu_);
  paid_ = std::max(paid_, covering);
  return true;
}

bool CachedStore::usable() {
  if (!gate_.should_try()) return false;
  return settle();
}

void CachedStore::pay_in_background(std::stop_token stop) {
  // Short naps while a debt is open, so it is paid soon after the gate allows the next probe.
  const auto nap = std::clamp(retry_ / 4, std::chrono::milliseconds(10), retry_);
  std::unique_lock lock(debt_mu_);
  while (!stop.stop_requested()) {
    if (!debt_cv_.wait(lock, stop, [&] { return debts_ > paid_; })) return;
    lock.unlock();
    // Always a Redis call: when the gate lets this thread probe, the probe must conclude.
    if (gate_.should_try()) pay();
    lock.lock();
    if (debts_ > paid_) debt_cv_.wait_for(lock, stop, nap, [] { return false; });
  }
}

void CachedStore::tell_listener(const std::vector<std::string>& order_nos) noexcept {
  if (!listener_) return;
  if (order_nos.empty()) {
    listener_->all_changed();
  } else {
    listener_->orders_changed(order_nos);
  }
}

void CachedStore::invalidate(const std::vector<std::string>& order_nos) noexcept {
  tell_listener(order_nos);
  if (!cache_) return;
  try {
    if (!gate_.should_try()) {
      owe();  // paid as a global invalidation when Redis answers
      return;
    }
    if (!settle()) return;
    auto r = order_nos.empty() ? cache_->invalidate_all() : cache_->invalidate(order_nos);
    if (auto* e = std::get_if<CacheError>(&r)) {
      failed(e->message);
    } else {
      gate_.succeeded();
    }
  } catch (...) {
    owe();
  }
}

void CachedStore::invalidate_waybill(std::string_view waybill_no) noexcept {
  try {
    // After the commit, so a shipment added meanwhile on this waybill is found too.
    store::OrderFilter f;
    f.waybill_no = std::string(waybill_no);
    f.archived = store::ArchiveScope::kExclude;  // both writes only touch live shipments
    f.limit = kWaybillOrders;
    auto page = inner_->list_orders(f);
    if (page.next || page.items.empty()) {
      invalidate_all();
      return;
    }
    std::vector<std::string> nos;
    for (const auto& o : page.items) nos.push_back(o.order_no);
    invalidate(nos);
  } catch (...) {
    invalidate_all();
  }
}

template <class T>
std::optional<T> CachedStore::cached(ViewKind kind, std::string_view order_no,
                                     const std::function<std::optional<T>()>& load,
                                     std::string (*encode)(const T&),
                                     std::optional<T> (*decode)(std::string_view)) {
  if (!cache_) return load();
  if (!domain::is_valid_order_no(order_no) || !usable()) {
    observe(ViewResult::kBypass);
    return load();
  }
  auto looked = cache_->lookup(kind, order_no);
  if (auto* e = std::get_if<CacheError>(&looked)) {
    failed(e->message);
    observe(ViewResult::kBypass);
    return load();
  }
  gate_.succeeded();
  auto& l = std::get<ViewLookup>(looked);
  if (l.value) {
    if (auto v = decode(*l.value)) {
      observe(ViewResult::kHit);
      return v;
    }
    // Undecodable (damaged, or another format): read the store and overwrite it.
  }
  observe(ViewResult::kMiss);
  auto loaded = load();
  // Unknown orders are not cached: create_order needs no invalidation to be seen at once, and
  // probing random numbers does not fill Redis.
  if (loaded) {
    auto r = cache_->put(kind, order_no, l.tag, encode(*loaded));
    if (auto* e = std::get_if<CacheError>(&r)) failed(e->message);
  }
  return loaded;
}

std::optional<store::OrderRecord> CachedStore::get_order(std::string_view order_no) {
  return cached<store::OrderRecord>(
      ViewKind::kOrder, order_no, [&] { return inner_->get_order(order_no); }, encode_order,
      decode_order);
}

std::optional<std::vector<store::TrackingRecord>> CachedStore::order_tracking(
    std::string_view order_no) {
  return cached<std::vector<store::TrackingRecord>>(
      ViewKind::kTracking, order_no, [&] { return inner_->order_tracking(order_no); },
      encode_tracking, decode_tracking);
}

namespace {

// Invalidates when the write returns or throws (a throw may come after the commit).
class InvalidateOnExit {
 public:
  InvalidateOnExit(std::function<void()> f) : f_(std::move(f)) {}
  ~InvalidateOnExit() { f_(); }
  InvalidateOnExit(const InvalidateOnExit&) = delete;
  InvalidateOnExit& operator=(const InvalidateOnExit&) = delete;

 private:
  std::function<void()> f_;
};

}  // namespace

store::CreateResult CachedStore::create_order(const store::OrderRecord& order,
                                              const std::string& actor,
                                              const store::AuditRecord& audit) {
  InvalidateOnExit after([&] { invalidate({order.order_no}); });
  return inner_->create_order(order, actor, audit);
}

store::ChangeResult CachedStore::change_status(const store::StatusChange& change,
                                               const store::AuditRecord& audit) {
  InvalidateOnExit after([&] { invalidate({change.order_no}); });
  return inner_->change_status(change, audit);
}

store::ShipmentResult CachedStore::add_shipment(std::string_view order_no,
                                                const store::ShipmentRecord& shipment,
                                                const std::string& actor,
                                                const store::AuditRecord& audit) {
  InvalidateOnExit after([&] { invalidate({std::string(order_no)}); });
  return inner_->add_shipment(order_no, shipment, actor, audit);
}

store::PaymentResult CachedStore::record_payment(const store::PaymentRecord& payment,
                                                 const store::AuditRecord& audit) {
  InvalidateOnExit after([&] { invalidate({payment.order_no}); });
  return inner_->record_payment(payment, audit);
}

void CachedStore::import_orders(const std::vector<store::OrderRecord>& orders) {
  if (orders.empty()) return inner_->import_orders(orders);
  InvalidateOnExit after([&] {
    std::vector<std::string> nos;
    nos.reserve(orders.size());
    for (const auto& o : orders) nos.push_back(o.order_no);
    invalidate(nos);
  });
  inner_->import_orders(orders);
}

int CachedStore::archive_batch(store::EpochMs finished_before, int batch) {
  int moved = 0;
  try {
    moved = inner_->archive_batch(finished_before, batch);
  } catch (...) {
    invalidate_all();
    throw;
  }
  if (moved > 0) invalidate_all();
  return moved;
}

bool CachedStore::upsert_carrier(const store::CarrierRecord& carrier,
                                 const store::AuditRecord& audit) {
  InvalidateOnExit after([&] { invalidate_all(); });
  return inner_->upsert_carrier(carrier, audit);
}

int CachedStore::reassign_carrier(std::string_view provider, std::string_view waybill_no,
                                  std::string_view old_code, std::string_view new_code,
                                  const store::AuditRecord& audit) {
  int moved = 0;
  try {
    moved = inner_->reassign_carrier(provider, waybill_no, old_code, new_code, audit);
  } catch (...) {
    invalidate_all();
    throw;
  }
  if (moved > 0) invalidate_waybill(waybill_no);
  return moved;
}

store::TrackingApplied CachedStore::apply_tracking(const store::TrackingUpdate& update) {
  store::TrackingApplied applied;
  try {
    applied = inner_->apply_tracking(update);
  } catch (...) {
    invalidate_all();
    throw;
  }
  // Matching shipments change even when none took the snapshot (heard_at moves); the store
  // names their orders, so they need no second lookup by waybill.
  if (!applied.order_nos.empty()) invalidate(applied.order_nos);
  return applied;
}

void CachedStore::save_cold_chain(const store::ColdChainRecord& record) {
  InvalidateOnExit after([&] {
    try {
      if (auto shipment = inner_->find_shipment(record.shipment_id))
        invalidate({shipment->order_no});
    } catch (...) {
      invalidate_all();
    }
  });
  inner_->save_cold_chain(record);
}

int CachedStore::plan_notifications(std::int64_t outbox_id,
                                    const std::vector<store::NotificationJob>& jobs,
                                    bool replace_pending, store::EpochMs now) {
  InvalidateOnExit after([&] {
    std::vector<std::string> nos;
    for (const auto& j : jobs)
      if (j.channel == store::kWechatShippingChannel && !j.order_no.empty())
        nos.push_back(j.order_no);
    if (!nos.empty()) tell_listener(nos);
  });
  return inner_->plan_notifications(outbox_id, jobs, replace_pending, now);
}

store::ResendResult CachedStore::resend_notification(std::int64_t id, store::EpochMs now,
                                                     const store::AuditRecord& audit) {
  InvalidateOnExit after([&] {
    if (!listener_) return;
    try {
      auto job = inner_->get_notification(id);
      if (job && job->channel == store::kWechatShippingChannel) tell_listener({job->order_no});
    } catch (...) {
      tell_listener({});
    }
  });
  return inner_->resend_notification(id, now, audit);
}

}  // namespace coldtrack::cache
