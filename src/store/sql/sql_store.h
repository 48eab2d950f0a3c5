// The store written once in SQL for both databases: every port of store.h over an Engine
// (SQLite or MariaDB). Dialect differences are a handful of statements chosen by
// Conn::dialect(), never visible to handlers.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "store/sql/conn.h"
#include "store/sql/engine.h"
#include "store/store.h"

namespace coldtrack::store::sql {

class SqlStore : public Store {
 public:
  ~SqlStore() override;

  CreateResult create_order(const OrderRecord& order, const std::string& actor,
                            const AuditRecord& audit) override;
  ChangeResult change_status(const StatusChange& change, const AuditRecord& audit) override;
  ShipmentResult add_shipment(std::string_view order_no, const ShipmentRecord& shipment,
                              const std::string& actor, const AuditRecord& audit) override;
  std::optional<OrderRecord> get_order(std::string_view order_no) override;
  OrderPage list_orders(const OrderFilter& filter) override;
  std::vector<OrderRecord> get_orders(const std::vector<std::string>& order_nos) override;
  int archive_batch(EpochMs finished_before, int batch) override;
  void import_orders(const std::vector<OrderRecord>& orders) override;
  std::int64_t count_orders(ArchiveScope scope) override;
  std::optional<MaskedFormsBatch> orders_without_masked_forms(bool archived, int limit) override;
  void set_masked_forms(bool archived, const std::vector<MaskedFormsRow>& rows,
                        std::int64_t done_to) override;

  std::vector<CarrierRecord> carriers() override;
  bool upsert_carrier(const CarrierRecord& carrier, const AuditRecord& audit) override;
  std::vector<CategoryRecord> categories() override;

  void insert_api_key(const ApiKeyRecord& key, const AuditRecord& audit) override;
  std::optional<ApiKeyRecord> find_api_key(std::string_view key) override;
  bool revoke_api_key(std::string_view key, const AuditRecord& audit) override;
  std::vector<ApiKeyRecord> list_api_keys() override;

  void append_audit(const AuditRecord& record) override;
  AuditPage list_audit(const AuditFilter& filter) override;

  std::optional<IdempotentResponse> find_idempotent(std::string_view scope_key) override;
  void save_idempotent(std::string_view scope_key, const IdempotentResponse& response,
                       EpochMs now) override;
  int purge_idempotent(EpochMs before) override;

  TrackingApplied apply_tracking(const TrackingUpdate& update) override;
  std::vector<PollTarget> due_shipments(EpochMs now, int limit) override;
  std::optional<PollTarget> poll_target(std::string_view order_no, std::string_view carrier,
                                        std::string_view waybill_no) override;
  void update_polling(std::int64_t shipment_id, const PollUpdate& update) override;
  int reassign_carrier(std::string_view provider, std::string_view waybill_no,
                       std::string_view old_code, std::string_view new_code,
                       const AuditRecord& audit) override;
  std::vector<OutboxMessage> claim_outbox(std::string_view topic, EpochMs now, int limit,
                                          EpochMs lease_ms) override;
  std::vector<OutboxMessage> claim_outbox_created_before(std::string_view topic, EpochMs now,
                                                         EpochMs created_before, int limit,
                                                         EpochMs lease_ms) override;
  void complete_outbox(std::int64_t id, EpochMs now) override;
  void retry_outbox(std::int64_t id, EpochMs available_at) override;
  std::optional<std::vector<TrackingRecord>> order_tracking(std::string_view order_no) override;
  std::optional<std::string> carrier_for_provider_code(std::string_view provider,
                                                       std::string_view code) override;

  std::vector<ShipmentWatch> active_shipments(std::int64_t after_id, int limit) override;
  std::vector<ShipmentWatch> watch_shipments(const std::vector<std::int64_t>& ids) override;
  std::vector<UnshippedOrder> unshipped_orders(EpochMs paid_before, std::int64_t& after_id,
                                               int limit) override;
  void scan_delivered_shipments(const DeliveredScan& scan,
                                const std::function<void(const DeliveredShipment&)>& fn) override;
  ReconcileResult reconcile_anomalies(const std::vector<SubjectCheck>& checks,
                                      EpochMs now) override;
  AnomalyPage list_anomalies(const AnomalyFilter& filter) override;
  std::optional<AnomalyRecord> get_anomaly(std::int64_t id) override;
  AnomalyChangeResult transition_anomaly(const AnomalyTransition& t,
                                         const AuditRecord& audit) override;
  std::optional<TrackingRecord> find_shipment(std::int64_t shipment_id) override;
  int insert_temperatures(std::int64_t shipment_id, const std::vector<TemperatureRecord>& readings,
                          EpochMs now) override;
  std::vector<TemperatureRecord> temperatures(std::int64_t shipment_id) override;
  void save_cold_chain(const ColdChainRecord& record) override;

  PaymentResult record_payment(const PaymentRecord& payment, const AuditRecord& audit) override;
  std::optional<PaymentRecord> payment_for(std::string_view order_no) override;
  ShippingLedgerRecord shipping_ledger(std::string_view transaction_id) override;
  void save_shipping_ledger(std::string_view transaction_id, const ShippingLedgerRecord& ledger,
                            EpochMs now) override;
  void insert_session(const CustomerSession& session) override;
  std::optional<CustomerSession> find_session(std::string_view token_hash, EpochMs now) override;
  OverviewCounts overview_counts(EpochMs today_start, EpochMs week_start,
                                 int utc_offset_minutes) override;
  GaugeCounts gauge_counts(const GaugeScope& scope) override;
  std::vector<ColdChainParcel> cold_chain_parcels(const ColdChainFilter& filter) override;
  bool insert_staff_user(const StaffUser& user, const AuditRecord& audit) override;
  std::optional<StaffUser> find_staff_user(std::string_view username) override;
  std::vector<StaffUser> list_staff_users() override;
  StaffUser record_login_failure(std::int64_t user_id, EpochMs now, int limit, EpochMs lock_ms,
                                 const AuditRecord& audit) override;
  void start_staff_session(const StaffSession& session, const AuditRecord& audit) override;
  std::optional<StaffSession> find_staff_session(std::string_view token_hash, EpochMs now) override;
  void end_staff_session(std::string_view token_hash) override;
  std::vector<Subscription> add_subscriptions(std::string_view openid,
                                              const std::vector<std::string>& template_ids,
                                              EpochMs now) override;
  std::vector<Subscription> subscriptions(std::string_view openid) override;
  bool consume_subscription(std::string_view openid, std::string_view template_id,
                            EpochMs now) override;
  void mark_subscription_spent(std::string_view openid, std::string_view template_id,
                               EpochMs now) override;

  int plan_notifications(std::int64_t outbox_id, const std::vector<NotificationJob>& jobs,
                         bool replace_pending, EpochMs now) override;
  std::vector<EpochMs> recipient_sends(std::string_view recipient, EpochMs since) override;
  int expire_sending(EpochMs now) override;
  std::vector<ClaimedNotification> claim_notifications(EpochMs now, int limit, EpochMs lease_ms,
                                                       EpochMs digest_ms) override;
  void finish_notification(const NotificationOutcome& outcome) override;
  NotificationPage list_notifications(const NotificationFilter& filter) override;
  std::optional<NotificationJob> get_notification(std::int64_t id) override;
  ResendResult resend_notification(std::int64_t id, EpochMs now, const AuditRecord& audit) override;

  LeaseResult try_lease(std::string_view name, std::string_view owner, EpochMs now,
                        EpochMs ttl_ms) override;
  void release_lease(std::string_view name, std::string_view owner) override;

  std::vector<OutboxMessage> unrelayed(std::int64_t after_id, int limit) override;
  void mark_relayed(const std::vector<std::int64_t>& ids, EpochMs now) override;
  std::optional<OutboxRow> outbox_message(std::string_view msg_key) override;
  bool lease_outbox(std::int64_t id, EpochMs seen_available_at, EpochMs until) override;

  bool ping() override;
  std::vector<std::string> explain_list(const OrderFilter& filter) override;
  // A database server: other users cannot be told (SqliteStore can).
  const SoleUse* sole_use() const override { return nullptr; }
  void close() override;

  Dialect dialect() const { return engine_->dialect(); }
  int schema_version();
  // The query plan of the sweep's page query (for tests and docs), one line per step.
  std::vector<std::string> explain_active_shipments();
  // The plan of one chunk of scan_delivered_shipments (live tables).
  std::vector<std::string> explain_delivered_chunk();

 protected:
  explicit SqlStore(std::unique_ptr<Engine> engine) : engine_(std::move(engine)) {}
  // Applies pending migrations; each version is read inside the step that applies it, so two
  // processes starting on one database at the same moment apply each migration once.
  void migrate(std::span<const Migration> steps);

  // Runs f(Conn&) through the engine and returns its result. Write bodies may run again after a
  // retryable error (see Engine::write), so they keep all their state inside.
  template <class F>
  auto write(F&& f) {
    return run(&Engine::write, std::forward<F>(f));
  }
  template <class F>
  auto read(F&& f) {
    return run(&Engine::read, std::forward<F>(f));
  }

 private:
  // claim_outbox and claim_outbox_created_before (no created_at bound when nullopt).
  std::vector<OutboxMessage> claim_outbox_where(std::string_view topic, EpochMs now,
                                                std::optional<EpochMs> created_before, int limit,
                                                EpochMs lease_ms);

  template <class F>
  auto run(void (Engine::*how)(const std::function<void(Conn&)>&), F&& f) {
    using R = std::invoke_result_t<F&, Conn&>;
    if constexpr (std::is_void_v<R>) {
      (engine_.get()->*how)([&](Conn& c) { f(c); });
    } else {
      std::optional<R> out;
      (engine_.get()->*how)([&](Conn& c) { out.emplace(f(c)); });
      return std::move(*out);
    }
  }

  std::unique_ptr<Engine> engine_;
};

// The plan of `query` as text lines (SQLite: EXPLAIN QUERY PLAN details; MariaDB: EXPLAIN rows
// as "table key extra").
std::vector<std::string> explain(Conn& db, const std::string& query,
                                 const std::function<void(Stmt&)>& bind);

}  // namespace coldtrack::store::sql
