// The embedded default store: one SQLite database in WAL mode. Writes are serialized on one
// connection (SQLite allows one writer); reads use a small pool of read-only connections.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/sqlite/db.h"
#include "store/store.h"

namespace coldtrack::store::sqlite {

struct SqliteOptions {
  std::string path;
  bool synchronous_full = true;
  int busy_timeout_ms = 5000;
  int readers = 4;
};

class SqliteStore final : public Store {
 public:
  // Opens (creating the file and its folder) and applies pending migrations.
  explicit SqliteStore(const SqliteOptions& options);
  ~SqliteStore() override;

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
  void complete_outbox(std::int64_t id, EpochMs now) override;
  void retry_outbox(std::int64_t id, EpochMs available_at) override;
  std::optional<std::vector<TrackingRecord>> order_tracking(std::string_view order_no) override;
  std::optional<std::string> carrier_for_provider_code(std::string_view provider,
                                                       std::string_view code) override;

  std::vector<ShipmentWatch> active_shipments(std::int64_t after_id, int limit) override;
  std::vector<ShipmentWatch> watch_shipments(const std::vector<std::int64_t>& ids) override;
  std::vector<UnshippedOrder> unshipped_orders(EpochMs paid_before, std::int64_t& after_id,
                                               int limit) override;
  std::vector<DeliveredShipment> delivered_shipments(EpochMs since) override;
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

  bool ping() override;
  std::vector<std::string> explain_list(const OrderFilter& filter) override;
  void close() override;

  int schema_version();
  // The query plan of the sweep's page query (for tests and docs), one line per step.
  std::vector<std::string> explain_active_shipments();

 private:
  class ReaderLease {
   public:
    ReaderLease(SqliteStore& store, std::unique_ptr<Db> db) : store_(store), db_(std::move(db)) {}
    ReaderLease(ReaderLease&& other) noexcept : store_(other.store_), db_(std::move(other.db_)) {}
    ~ReaderLease() {
      if (!db_) return;
      std::lock_guard lock(store_.readers_mu_);
      store_.idle_readers_.push_back(std::move(db_));
      store_.readers_cv_.notify_one();
    }
    Db& operator*() { return *db_; }
    Db* operator->() { return db_.get(); }

   private:
    SqliteStore& store_;
    std::unique_ptr<Db> db_;
  };
  ReaderLease lease_reader();
  void migrate();

  SqliteOptions options_;
  std::mutex write_mu_;
  std::unique_ptr<Db> writer_;
  std::mutex readers_mu_;
  std::condition_variable readers_cv_;
  std::vector<std::unique_ptr<Db>> idle_readers_;
  int open_readers_ = 0;
  bool closed_ = false;
};

}  // namespace coldtrack::store::sqlite
