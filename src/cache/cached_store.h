// A store decorator that keeps the hot per-order reads in a cache shared by every replica
// (Redis): get_order (the order view, the public tracking view, the customer's order view) and
// order_tracking (their shipments and tracking). Every other method is forwarded unchanged.
//
// No stale read after an acknowledged write. Each write goes to the wrapped store first; when it
// returns (committed, or thrown: then possibly committed), the decorator invalidates what the
// write can have changed before returning to its caller: the orders it names, the orders found
// by waybill after the commit, or everything (the global epoch). Invalidation moves version
// tokens rather than deleting entries (see view_cache.h), so a reader that loaded the old row
// before the write and stores it afterwards stores it under a token nobody reads any more.
//
// Redis unavailable: lookups and invalidations stop (one warning per outage, one probe every
// `retry`, as for the other Redis caches) and reads go straight to the store; writes still
// succeed. Any failed or skipped Redis call leaves a debt: the global epoch must be bumped
// before this replica uses the cache again, and a background thread pays it as soon as Redis
// answers. Until then another replica that did not see the outage may still serve an entry
// older than a write made here: that window (the outage plus at most one `retry`) is the
// residual risk, documented in docs/BACKENDS.md ("Hot views in Redis").
//
// Every method runs where store calls run (the worker pool or a background job thread), never
// on an I/O thread; its Redis calls are blocking like the store's.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>
#include <thread>

#include "cache/failover.h"
#include "cache/view_cache.h"
#include "store/store.h"

namespace coldtrack::cache {

// What a Store method means for the cached views. Every method of store::Store has a row in
// view_rules(); tests/unit/cached_store_test.cc fails when store.h gains a method without one.
enum class ViewEffect {
  kCachedRead,       // answered from the cache when possible
  kRead,             // forwarded; reads nothing the cache keeps
  kNone,             // a write to data no cached view contains (sessions, outbox, leases, ...)
  kOrders,           // a write to the orders it names: invalidates them
  kOrdersByWaybill,  // a write to shipments by waybill: invalidates the orders found after it
  kShipmentOrder,    // a write to one shipment: invalidates its order (looked up)
  kAll,              // a write whose orders are unknown or all: bumps the global epoch
};
struct ViewRule {
  std::string_view method;
  ViewEffect effect;
  std::string_view why;
};
std::span<const ViewRule> view_rules();

enum class ViewResult { kHit, kMiss, kBypass };

class CachedStore final : public store::Store {
 public:
  // `retry`: how often a Redis that failed is probed again.
  CachedStore(std::unique_ptr<store::Store> inner, ViewCache& cache,
              std::chrono::milliseconds retry = std::chrono::seconds(3));
  // No shared cache: reads are forwarded, writes only tell `listener`.
  CachedStore(std::unique_ptr<store::Store> inner, ViewListener& listener);
  ~CachedStore() override;
  CachedStore(const CachedStore&) = delete;
  CachedStore& operator=(const CachedStore&) = delete;

  // Called once per cached read (for metrics); set before the store is shared between threads.
  void set_observer(std::function<void(ViewResult)> observer) { observer_ = std::move(observer); }
  // Told of every invalidation (besides the shared cache); set before the store is shared. It
  // also hears of the order views' WeChat shipping line (jobs of that channel planned or
  // re-sent), which the shared cache does not keep.
  void set_listener(ViewListener* listener) { listener_ = listener; }
  // True while Redis is considered down (reads bypass the cache).
  bool on_fallback() const { return gate_.down(); }
  // True while this replica owes a global invalidation (a failed or skipped Redis call).
  bool owes_invalidation() const;
  store::Store& inner() { return *inner_; }

  // ---- cached reads
  std::optional<store::OrderRecord> get_order(std::string_view order_no) override;
  std::optional<std::vector<store::TrackingRecord>> order_tracking(
      std::string_view order_no) override;

  // ---- writes that change cached views
  store::CreateResult create_order(const store::OrderRecord& order, const std::string& actor,
                                   const store::AuditRecord& audit) override;
  store::ChangeResult change_status(const store::StatusChange& change,
                                    const store::AuditRecord& audit) override;
  store::ShipmentResult add_shipment(std::string_view order_no,
                                     const store::ShipmentRecord& shipment,
                                     const std::string& actor,
                                     const store::AuditRecord& audit) override;
  int archive_batch(store::EpochMs finished_before, int batch) override;
  void import_orders(const std::vector<store::OrderRecord>& orders) override;
  bool upsert_carrier(const store::CarrierRecord& carrier,
                      const store::AuditRecord& audit) override;
  int reassign_carrier(std::string_view provider, std::string_view waybill_no,
                       std::string_view old_code, std::string_view new_code,
                       const store::AuditRecord& audit) override;
  store::TrackingApplied apply_tracking(const store::TrackingUpdate& update) override;
  void save_cold_chain(const store::ColdChainRecord& record) override;
  store::PaymentResult record_payment(const store::PaymentRecord& payment,
                                      const store::AuditRecord& audit) override;

  // ---- everything else: forwarded
  store::OrderPage list_orders(const store::OrderFilter& filter) override {
    return inner_->list_orders(filter);
  }
  std::vector<store::OrderRecord> get_orders(const std::vector<std::string>& order_nos) override {
    return inner_->get_orders(order_nos);
  }
  std::int64_t count_orders(store::ArchiveScope scope) override {
    return inner_->count_orders(scope);
  }
  std::optional<store::MaskedFormsBatch> orders_without_masked_forms(bool archived,
                                                                     int limit) override {
    return inner_->orders_without_masked_forms(archived, limit);
  }
  void set_masked_forms(bool archived, const std::vector<store::MaskedFormsRow>& rows,
                        std::int64_t done_to) override {
    inner_->set_masked_forms(archived, rows, done_to);
  }
  std::vector<store::CarrierRecord> carriers() override { return inner_->carriers(); }
  std::vector<store::CategoryRecord> categories() override { return inner_->categories(); }
  void insert_api_key(const store::ApiKeyRecord& key, const store::AuditRecord& audit) override {
    inner_->insert_api_key(key, audit);
  }
  std::optional<store::ApiKeyRecord> find_api_key(std::string_view key) override {
    return inner_->find_api_key(key);
  }
  bool revoke_api_key(std::string_view key, const store::AuditRecord& audit) override {
    return inner_->revoke_api_key(key, audit);
  }
  std::vector<store::ApiKeyRecord> list_api_keys() override { return inner_->list_api_keys(); }
  void append_audit(const store::AuditRecord& record) override { inner_->append_audit(record); }
  store::AuditPage list_audit(const store::AuditFilter& filter) override {
    return inner_->list_audit(filter);
  }
  std::optional<store::IdempotentResponse> find_idempotent(std::string_view scope_key) override {
    return inner_->find_idempotent(scope_key);
  }
  void save_idempotent(std::string_view scope_key, const store::IdempotentResponse& response,
                       store::EpochMs now) override {
    inner_->save_idempotent(scope_key, response, now);
  }
  int purge_idempotent(store::EpochMs before) override { return inner_->purge_idempotent(before); }
  std::vector<store::PollTarget> due_shipments(store::EpochMs now, int limit) override {
    return inner_->due_shipments(now, limit);
  }
  std::optional<store::PollTarget> poll_target(std::string_view order_no, std::string_view carrier,
                                               std::string_view waybill_no) override {
    return inner_->poll_target(order_no, carrier, waybill_no);
  }
  void update_polling(std::int64_t shipment_id, const store::PollUpdate& update) override {
    inner_->update_polling(shipment_id, update);
  }
  std::vector<store::OutboxMessage> claim_outbox(std::string_view topic, store::EpochMs now,
                                                 int limit, store::EpochMs lease_ms) override {
    return inner_->claim_outbox(topic, now, limit, lease_ms);
  }
  std::vector<store::OutboxMessage> claim_outbox_created_before(std::string_view topic,
                                                                store::EpochMs now,
                                                                store::EpochMs created_before,
                                                                int limit,
                                                                store::EpochMs lease_ms) override {
    return inner_->claim_outbox_created_before(topic, now, created_before, limit, lease_ms);
  }
  void complete_outbox(std::int64_t id, store::EpochMs now) override {
    inner_->complete_outbox(id, now);
  }
  void retry_outbox(std::int64_t id, store::EpochMs available_at) override {
    inner_->retry_outbox(id, available_at);
  }
  std::optional<std::string> carrier_for_provider_code(std::string_view provider,
                                                       std::string_view code) override {
    return inner_->carrier_for_provider_code(provider, code);
  }
  std::vector<store::ShipmentWatch> active_shipments(std::int64_t after_id, int limit) override {
    return inner_->active_shipments(after_id, limit);
  }
  std::vector<store::ShipmentWatch> watch_shipments(const std::vector<std::int64_t>& ids) override {
    return inner_->watch_shipments(ids);
  }
  std::vector<store::UnshippedOrder> unshipped_orders(store::EpochMs paid_before,
                                                      std::int64_t& after_id, int limit) override {
    return inner_->unshipped_orders(paid_before, after_id, limit);
  }
  void scan_delivered_shipments(
      const store::DeliveredScan& scan,
      const std::function<void(const store::DeliveredShipment&)>& fn) override {
    inner_->scan_delivered_shipments(scan, fn);
  }
  store::ReconcileResult reconcile_anomalies(const std::vector<store::SubjectCheck>& checks,
                                             store::EpochMs now) override {
    return inner_->reconcile_anomalies(checks, now);
  }
  store::AnomalyPage list_anomalies(const store::AnomalyFilter& filter) override {
    return inner_->list_anomalies(filter);
  }
  std::optional<store::AnomalyRecord> get_anomaly(std::int64_t id) override {
    return inner_->get_anomaly(id);
  }
  store::AnomalyChangeResult transition_anomaly(const store::AnomalyTransition& t,
                                                const store::AuditRecord& audit) override {
    return inner_->transition_anomaly(t, audit);
  }
  std::optional<store::TrackingRecord> find_shipment(std::int64_t shipment_id) override {
    return inner_->find_shipment(shipment_id);
  }
  int insert_temperatures(std::int64_t shipment_id,
                          const std::vector<store::TemperatureRecord>& readings,
                          store::EpochMs now) override {
    return inner_->insert_temperatures(shipment_id, readings, now);
  }
  std::vector<store::TemperatureRecord> temperatures(std::int64_t shipment_id) override {
    return inner_->temperatures(shipment_id);
  }
  std::optional<store::PaymentRecord> payment_for(std::string_view order_no) override {
    return inner_->payment_for(order_no);
  }
  store::ShippingLedgerRecord shipping_ledger(std::string_view transaction_id) override {
    return inner_->shipping_ledger(transaction_id);
  }
  void save_shipping_ledger(std::string_view transaction_id,
                            const store::ShippingLedgerRecord& ledger,
                            store::EpochMs now) override {
    inner_->save_shipping_ledger(transaction_id, ledger, now);
  }
  std::vector<store::Subscription> add_subscriptions(std::string_view openid,
                                                     const std::vector<std::string>& template_ids,
                                                     store::EpochMs now) override {
    return inner_->add_subscriptions(openid, template_ids, now);
  }
  std::vector<store::Subscription> subscriptions(std::string_view openid) override {
    return inner_->subscriptions(openid);
  }
  bool consume_subscription(std::string_view openid, std::string_view template_id,
                            store::EpochMs now) override {
    return inner_->consume_subscription(openid, template_id, now);
  }
  void mark_subscription_spent(std::string_view openid, std::string_view template_id,
                               store::EpochMs now) override {
    inner_->mark_subscription_spent(openid, template_id, now);
  }
  int plan_notifications(std::int64_t outbox_id, const std::vector<store::NotificationJob>& jobs,
                         bool replace_pending, store::EpochMs now) override;
  std::vector<store::EpochMs> recipient_sends(std::string_view recipient,
                                              store::EpochMs since) override {
    return inner_->recipient_sends(recipient, since);
  }
  int expire_sending(store::EpochMs now) override { return inner_->expire_sending(now); }
  std::vector<store::ClaimedNotification> claim_notifications(store::EpochMs now, int limit,
                                                              store::EpochMs lease_ms,
                                                              store::EpochMs digest_ms) override {
    return inner_->claim_notifications(now, limit, lease_ms, digest_ms);
  }
  void finish_notification(const store::NotificationOutcome& outcome) override {
    inner_->finish_notification(outcome);
  }
  store::NotificationPage list_notifications(const store::NotificationFilter& filter) override {
    return inner_->list_notifications(filter);
  }
  std::optional<store::NotificationJob> get_notification(std::int64_t id) override {
    return inner_->get_notification(id);
  }
  store::ResendResult resend_notification(std::int64_t id, store::EpochMs now,
                                          const store::AuditRecord& audit) override;
  store::GaugeCounts gauge_counts(const store::GaugeScope& scope) override {
    return inner_->gauge_counts(scope);
  }
  std::vector<store::ColdChainParcel> cold_chain_parcels(
      const store::ColdChainFilter& filter) override {
    return inner_->cold_chain_parcels(filter);
  }
  store::OverviewCounts overview_counts(store::EpochMs today_start, store::EpochMs week_start,
                                        int utc_offset_minutes) override {
    return inner_->overview_counts(today_start, week_start, utc_offset_minutes);
  }
  bool insert_staff_user(const store::StaffUser& user, const store::AuditRecord& audit) override {
    return inner_->insert_staff_user(user, audit);
  }
  std::optional<store::StaffUser> find_staff_user(std::string_view username) override {
    return inner_->find_staff_user(username);
  }
  std::vector<store::StaffUser> list_staff_users() override { return inner_->list_staff_users(); }
  store::StaffUser record_login_failure(std::int64_t user_id, store::EpochMs now, int limit,
                                        store::EpochMs lock_ms,
                                        const store::AuditRecord& audit) override {
    return inner_->record_login_failure(user_id, now, limit, lock_ms, audit);
  }
  void start_staff_session(const store::StaffSession& session,
                           const store::AuditRecord& audit) override {
    inner_->start_staff_session(session, audit);
  }
  std::optional<store::StaffSession> find_staff_session(std::string_view token_hash,
                                                        store::EpochMs now) override {
    return inner_->find_staff_session(token_hash, now);
  }
  void end_staff_session(std::string_view token_hash) override {
    inner_->end_staff_session(token_hash);
  }
  void insert_session(const store::CustomerSession& session) override {
    inner_->insert_session(session);
  }
  std::optional<store::CustomerSession> find_session(std::string_view token_hash,
                                                     store::EpochMs now) override {
    return inner_->find_session(token_hash, now);
  }
  store::LeaseResult try_lease(std::string_view name, std::string_view owner, store::EpochMs now,
                               store::EpochMs ttl_ms) override {
    return inner_->try_lease(name, owner, now, ttl_ms);
  }
  void release_lease(std::string_view name, std::string_view owner) override {
    inner_->release_lease(name, owner);
  }
  std::vector<store::OutboxMessage> unrelayed(std::int64_t after_id, int limit) override {
    return inner_->unrelayed(after_id, limit);
  }
  void mark_relayed(const std::vector<std::int64_t>& ids, store::EpochMs now) override {
    inner_->mark_relayed(ids, now);
  }
  std::optional<store::OutboxRow> outbox_message(std::string_view msg_key) override {
    return inner_->outbox_message(msg_key);
  }
  bool lease_outbox(std::int64_t id, store::EpochMs seen_available_at,
                    store::EpochMs until) override {
    return inner_->lease_outbox(id, seen_available_at, until);
  }
  bool ping() override { return inner_->ping(); }
  const store::SoleUse* sole_use() const override { return inner_->sole_use(); }
  std::vector<std::string> explain_list(const store::OrderFilter& filter) override {
    return inner_->explain_list(filter);
  }
  void close() override;

 private:
  template <class T>
  std::optional<T> cached(ViewKind kind, std::string_view order_no,
                          const std::function<std::optional<T>()>& load,
                          std::string (*encode)(const T&),
                          std::optional<T> (*decode)(std::string_view));
  // Before any use of the cache: true when it may be used (Redis up, no debt left).
  bool usable();
  // Pays the debt, if any; false (and the gate told) when Redis failed. Without a debt it makes
  // no Redis call: a caller that probes must conclude the probe with its own call.
  bool settle();
  // Invalidates everything, covering every debt recorded so far; concludes a probe.
  bool pay();
  void failed(const std::string& error);  // a Redis call failed: debt, and the gate goes down
  void owe();                             // an invalidation was skipped: debt
  // Invalidates `order_nos` (empty: everything). Never throws.
  void invalidate(const std::vector<std::string>& order_nos) noexcept;
  void invalidate_all() noexcept { invalidate({}); }
  // Invalidates the live orders with a shipment on this waybill (everything when there are many).
  void invalidate_waybill(std::string_view waybill_no) noexcept;
  // Tells only the listener (data the shared cache does not keep).
  void tell_listener(const std::vector<std::string>& order_nos) noexcept;
  void observe(ViewResult r) const {
    if (observer_) observer_(r);
  }
  void pay_in_background(std::stop_token stop);

  std::unique_ptr<store::Store> inner_;
  ViewCache* cache_;  // null: no shared cache
  ViewListener* listener_ = nullptr;
  const std::chrono::milliseconds retry_;
  OutageGate gate_;
  std::function<void(ViewResult)> observer_;

  // The debt: Redis failures (and skipped invalidations) counted, and the count already covered
  // by a successful global invalidation. Owed while debts_ > paid_.
  mutable std::mutex debt_mu_;
  std::condition_variable_any debt_cv_;
  std::uint64_t debts_ = 0, paid_ = 0;
  std::jthread payer_;
};

}  // namespace coldtrack::cache
