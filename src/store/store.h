// Storage ports. Every method is blocking and thread-safe: callers on I/O threads run them on
// the worker pool. Each write is one transaction, including its audit row and outbox message.
#pragma once

#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <variant>
#include <vector>

#include "store/records.h"
#include "store/sole_use.h"

namespace coldtrack::store {

enum class ArchiveScope { kExclude, kInclude, kOnly };

// Position in newest-first order: (created_at, id) of the last item returned.
struct OrderCursor {
  EpochMs created_at = 0;
  std::int64_t id = 0;
};

struct OrderFilter {
  std::optional<std::string> order_no;
  std::optional<std::string> phone_index;
  std::optional<std::string> openid;
  std::vector<domain::OrderStatus> statuses;  // any of these; empty: any status
  std::optional<std::string> carrier;
  std::optional<std::string> waybill_no;
  std::optional<EpochMs> from;  // created_at >= from
  std::optional<EpochMs> to;    // created_at < to
  ArchiveScope archived = ArchiveScope::kExclude;
  int limit = 50;
  std::optional<OrderCursor> after;
  bool oldest_first = false;  // default: newest first
  // Only what a masked list shows is read (sql/order_columns.h): no address detail, and the
  // sealed name and phone only where their masked forms are missing.
  bool summary = false;
};

// An order written before its masked forms were stored (migration 16): its sealed name and
// phone in, the masked forms out.
struct MaskedFormsRow {
  std::int64_t id = 0;
  std::string name_sealed, phone_sealed;
  std::string name_masked, phone_masked;
};

// The next rows of that backlog, and the position to save with their masked forms: the last id
// looked at, or the end of the backlog when `more` is false.
struct MaskedFormsBatch {
  std::vector<MaskedFormsRow> rows;
  std::int64_t done_to = 0;
  bool more = false;
};

struct OrderPage {
  std::vector<OrderRecord> items;  // with shipments, without history
  std::optional<OrderCursor> next;
};

// Results of writes.
struct Created {
  OrderRecord order;
};
struct AlreadyExists {
  OrderRecord order;
};  // same order_no, same body
struct Conflict {
  std::string message;
  std::optional<domain::OrderStatus> current;
};
struct NotFound {};
struct Changed {
  OrderRecord order;
};
struct InvalidReference {
  std::string field, message;
};

using CreateResult = std::variant<Created, AlreadyExists, Conflict>;
using ChangeResult = std::variant<Changed, NotFound, Conflict, InvalidReference>;
using ShipmentResult = std::variant<Changed, NotFound, Conflict, InvalidReference>;

struct StatusChange {
  std::string order_no;
  domain::OrderStatus to;
  EpochMs at = 0;           // when it happened
  EpochMs recorded_at = 0;  // now
  std::string actor;
  std::string note;
};

class OrderStore {
 public:
  virtual ~OrderStore() = default;
  // Inserts the order with its CREATED event, or reports the stored one (same body_hash) or
  // a conflict (different body).
  virtual CreateResult create_order(const OrderRecord& order, const std::string& actor,
                                    const AuditRecord& audit) = 0;
  // Applies a transition allowed by domain::can_transition, or reports the current status.
  virtual ChangeResult change_status(const StatusChange& change, const AuditRecord& audit) = 0;
  // Attaches a shipment (idempotent for the same carrier + waybill) and moves a PAID order to
  // SHIPPED. The carrier must exist in the carriers table.
  virtual ShipmentResult add_shipment(std::string_view order_no, const ShipmentRecord& shipment,
                                      const std::string& actor, const AuditRecord& audit) = 0;
  // Live or archived; with history and shipments.
  virtual std::optional<OrderRecord> get_order(std::string_view order_no) = 0;
  virtual OrderPage list_orders(const OrderFilter& filter) = 0;
  // Live or archived, without history; unknown numbers are simply absent.
  virtual std::vector<OrderRecord> get_orders(const std::vector<std::string>& order_nos) = 0;
  // Moves up to `batch` orders finished before `finished_before` to the archive; returns the
  // number moved (0 when nothing is left).
  virtual int archive_batch(EpochMs finished_before, int batch) = 0;
  // Bulk load (demo data, imports): one transaction, no audit. Orders carry their history and
  // shipments.
  virtual void import_orders(const std::vector<OrderRecord>& orders) = 0;
  virtual std::int64_t count_orders(ArchiveScope scope) = 0;
  // The backlog of orders written before their masked forms were stored (migration 16), live
  // or archived: up to `limit` rows after the saved position, in id order (nothing once the
  // backlog is done); and storing their masked forms together with the new position (one
  // transaction).
  virtual std::optional<MaskedFormsBatch> orders_without_masked_forms(bool archived, int limit) = 0;
  virtual void set_masked_forms(bool archived, const std::vector<MaskedFormsRow>& rows,
                                std::int64_t done_to) = 0;
};

class ReferenceStore {
 public:
  virtual ~ReferenceStore() = default;
  virtual std::vector<CarrierRecord> carriers() = 0;
  // Inserts or replaces one carrier; true when it was new.
  virtual bool upsert_carrier(const CarrierRecord& carrier, const AuditRecord& audit) = 0;
  virtual std::vector<CategoryRecord> categories() = 0;
};

class ApiKeyStore {
 public:
  virtual ~ApiKeyStore() = default;
  virtual void insert_api_key(const ApiKeyRecord& key, const AuditRecord& audit) = 0;
  virtual std::optional<ApiKeyRecord> find_api_key(std::string_view key) = 0;
  // Marks a key revoked; false when there is no such key.
  virtual bool revoke_api_key(std::string_view key, const AuditRecord& audit) = 0;
  virtual std::vector<ApiKeyRecord> list_api_keys() = 0;
};

struct AuditFilter {
  std::optional<std::string> actor;
  std::optional<std::string> target;
  std::optional<std::string> action;
  std::optional<EpochMs> from, to;
  int limit = 50;
  std::optional<std::int64_t> before_id;  // cursor
};

struct AuditPage {
  std::vector<AuditRecord> items;  // newest first
  std::optional<std::int64_t> next_before_id;
};

class AuditStore {
 public:
  virtual ~AuditStore() = default;
  virtual void append_audit(const AuditRecord& record) = 0;
  virtual AuditPage list_audit(const AuditFilter& filter) = 0;
};

// Carrier tracking of one shipment as stored (the latest snapshot that won the ordering rule).
struct TrackingRecord {
  std::int64_t shipment_id = 0;
  std::string order_no;
  std::string carrier;  // canonical
  std::string carrier_name;
  std::string waybill_no;
  bool tracked = false;  // false: no snapshot yet (fields below are empty)
  std::string provider;
  std::string status;  // unified tracking status code
  std::string reason;
  std::string raw_state, raw_substate;
  std::string location;
  std::optional<EpochMs> last_event_at;
  std::int64_t trace_count = 0;
  std::string traces_json;  // [{"time":ms,"description","location","raw_code"}], oldest first
  std::string raw_payload;
  std::optional<EpochMs> heard_at;   // last time the carrier told us anything about it
  std::optional<EpochMs> status_at;  // when the carrier reported the current status
  // The lane, for delivery-time prediction.
  EpochMs shipped_at = 0;
  std::string origin_city, dest_city, service, temp_class;
  std::optional<ColdChainRecord> cold_chain;
  bool archived = false;  // the order is archived
};

// A snapshot to apply to every shipment with this carrier + waybill.
struct TrackingUpdate {
  std::string provider;
  std::string carrier;           // canonical, when known
  std::string provider_carrier;  // the provider's code; matches every canonical carrier using it
  std::string waybill_no;
  std::string status;  // unified code; "" = the provider's code was unknown: keep the old one
  std::string reason;
  std::string raw_state, raw_substate, location;
  std::optional<EpochMs> newest_event_at;
  std::int64_t trace_count = 0;
  std::string traces_json;
  std::string raw_payload;
  EpochMs now = 0;
  // The order status this tracking status implies (see carriers/lifecycle.h), applied when the
  // transition is allowed, with `newest_event_at` as its time.
  std::optional<domain::OrderStatus> order_target;
};

struct TrackingApplied {
  int shipments = 0;  // shipments with this carrier + waybill (0: unknown waybill)
  int applied = 0;    // of those, how many took the snapshot (others had a newer one)
  int status_changes = 0;
  int order_changes = 0;
  std::vector<std::int64_t> shipment_ids;  // the shipments that took the snapshot
  // The orders of every matching shipment (their views changed, if only heard_at), distinct.
  std::vector<std::string> order_nos;
};

// A shipment the tracking worker may query or subscribe.
struct PollTarget {
  std::int64_t shipment_id = 0;
  std::string order_no;
  std::string carrier;                      // canonical
  std::string kdniao_code, kuaidi100_code;  // "" when the provider has no code for it
  std::string waybill_no;
  std::string phone_sealed;  // the receiver's phone, sealed (some carriers need digits of it)
  EpochMs shipped_at = 0;
  // polling state
  std::string provider;
  bool subscribed = false;
  std::optional<EpochMs> next_poll_at, last_query_at;
  int failures = 0;
  // tracking state
  bool tracked = false;
  std::string status;
  std::optional<EpochMs> heard_at;
};

struct PollUpdate {
  std::string provider;
  bool subscribed = false;
  std::optional<EpochMs> next_poll_at;  // nullopt: never again (terminal)
  std::optional<EpochMs> last_query_at;
  int failures = 0;
  std::string last_error;
  std::string last_response;  // a failed call's raw response (truncated), kept for diagnosis
};

struct OutboxMessage {
  std::int64_t id = 0;
  std::string topic, key, payload;
  int attempts = 0;
};

// An outbox row with its delivery state (RelayStore::outbox_message).
struct OutboxRow {
  OutboxMessage message;
  EpochMs created_at = 0;
  EpochMs available_at = 0;  // when a worker may take it (a claim leases it by moving it ahead)
  std::optional<EpochMs> done_at;
};

class TrackingStore {
 public:
  // Shipments whose next poll is due (live orders only), oldest due first, claimed: their
  // next_poll_at moves a few minutes ahead in the same transaction, so another replica does not
  // poll them too (update_polling sets the real next time; a crashed poller's claim expires).
  virtual std::vector<PollTarget> due_shipments(EpochMs now, int limit) = 0;
  // The shipment named by an "order.shipment_added" message.
  virtual std::optional<PollTarget> poll_target(std::string_view order_no, std::string_view carrier,
                                                std::string_view waybill_no) = 0;
  virtual void update_polling(std::int64_t shipment_id, const PollUpdate& update) = 0;
  // A provider says our carrier was wrong (Kuaidi100 autoCheck / comNew): live shipments with
  // this waybill under `old_code` move to the carrier using `new_code`. Returns how many moved
  // (0 when the new code names no carrier in the table).
  virtual int reassign_carrier(std::string_view provider, std::string_view waybill_no,
                               std::string_view old_code, std::string_view new_code,
                               const AuditRecord& audit) = 0;
  // Claims up to `limit` pending messages of `topic` available at `now`, leasing them for
  // `lease_ms` (a crashed worker's claim expires and the message is retried).
  virtual std::vector<OutboxMessage> claim_outbox(std::string_view topic, EpochMs now, int limit,
                                                  EpochMs lease_ms) = 0;
  // claim_outbox, limited to messages created at or before `created_before`. With broker
  // consumers (queue.backend rabbitmq) the outbox pollers only catch up on messages the
  // consumers have had their chance at (queue.consumer_grace_s).
  virtual std::vector<OutboxMessage> claim_outbox_created_before(std::string_view topic,
                                                                 EpochMs now,
                                                                 EpochMs created_before, int limit,
                                                                 EpochMs lease_ms) = 0;
  virtual void complete_outbox(std::int64_t id, EpochMs now) = 0;
  virtual void retry_outbox(std::int64_t id, EpochMs available_at) = 0;

  virtual ~TrackingStore() = default;
  // One transaction: per matching shipment, keeps the newer snapshot (carriers::newer_than),
  // appends a tracking event when the unified status changes, moves the order along, and
  // writes an outbox message per change.
  virtual TrackingApplied apply_tracking(const TrackingUpdate& update) = 0;
  // Live or archived order's shipments with their tracking (empty when the order is unknown).
  virtual std::optional<std::vector<TrackingRecord>> order_tracking(std::string_view order_no) = 0;
  // Canonical carrier code for a provider's carrier code ("kdniao", "SF") -> "SF".
  virtual std::optional<std::string> carrier_for_provider_code(std::string_view provider,
                                                               std::string_view code) = 0;
};

// What the anomaly rules look at for one live shipment.
struct ShipmentWatch {
  std::int64_t shipment_id = 0;
  std::string order_no;
  domain::OrderStatus order_status = domain::OrderStatus::kShipped;
  std::string carrier, origin_city, dest_city, service, temp_class;
  EpochMs shipped_at = 0;
  bool tracked = false;
  std::string status, reason;  // unified tracking status ("" when untracked)
  std::optional<EpochMs> status_at, last_event_at, heard_at;
  std::optional<EpochMs> received_at;   // when the current snapshot was stored
  std::vector<std::string> open_kinds;  // kinds of its unresolved anomalies
  // The same anomalies as "kind:severity:reason", so a sweep can tell that nothing changed
  // without asking the store again.
  std::vector<std::string> open_states;
};

// A paid order without a shipment yet (the shipping promise rule).
struct UnshippedOrder {
  std::string order_no;
  EpochMs paid_at = 0;
  std::vector<std::string> open_kinds;
  std::string temp_class;  // the strictest item category: frozen | chilled | ambient
};

// A delivered shipment, for learning transit times.
struct DeliveredShipment {
  std::string origin_city, dest_city, carrier, service;
  EpochMs shipped_at = 0, delivered_at = 0;
  std::optional<EpochMs> out_for_delivery_at;
};

// Which delivered shipments a scan reads: the order's DELIVERED event in [since, until).
struct DeliveredScan {
  EpochMs since = 0;
  EpochMs until = std::numeric_limits<EpochMs>::max();
  // Shipments read per read transaction: a scan of years of history never holds one
  // transaction (and its snapshot) open, and never holds more than one chunk in memory.
  int chunk = 10'000;
};

struct AnomalyFinding {
  std::string kind, subject, order_no;
  std::optional<std::int64_t> shipment_id;
  std::string carrier, severity, reason, evidence;
};

// The outcome of evaluating the rules of `kinds` on one subject: `findings` are what holds
// now; unresolved anomalies of those kinds that are no longer found resolve automatically.
struct SubjectCheck {
  std::string subject;
  std::vector<std::string> kinds;
  std::vector<AnomalyFinding> findings;
  // After staff resolve an anomaly, the same kind, reason and severity (or lower) is not raised
  // again on this subject for this long: they handled it; only worse news reopens it.
  EpochMs quiet_after_manual_ms = 24 * 3'600'000LL;
};

struct ReconcileResult {
  int opened = 0, updated = 0, resolved = 0;
};

struct AnomalyFilter {
  std::optional<std::string> state, kind, severity, carrier, order_no;
  std::optional<std::int64_t> shipment_id;
  std::optional<EpochMs> from, to;  // opened_at
  int limit = 50;
  std::optional<std::int64_t> before_id;
};

struct AnomalyPage {
  std::vector<AnomalyRecord> items;  // newest first
  std::optional<std::int64_t> next_before_id;
};

struct AnomalyTransition {
  std::int64_t id = 0;
  std::string to;  // acknowledged | resolved
  std::string actor, note;
  EpochMs now = 0;
};
struct AnomalyChanged {
  AnomalyRecord anomaly;
};
struct AnomalyConflict {
  AnomalyRecord anomaly;
  std::string message;
};
using AnomalyChangeResult = std::variant<AnomalyChanged, NotFound, AnomalyConflict>;

class MonitoringStore {
 public:
  virtual ~MonitoringStore() = default;
  // Live shipments whose tracking is not terminal, by shipment id after `after_id`.
  virtual std::vector<ShipmentWatch> active_shipments(std::int64_t after_id, int limit) = 0;
  virtual std::vector<ShipmentWatch> watch_shipments(const std::vector<std::int64_t>& ids) = 0;
  // PAID orders paid before `paid_before`, by order id after `after_id` (returned in `next`).
  virtual std::vector<UnshippedOrder> unshipped_orders(EpochMs paid_before, std::int64_t& after_id,
                                                       int limit) = 0;
  // Calls fn for each delivered shipment (live, then archived) in the scan's range, one chunk
  // at a time and outside the store's transaction. Chunks are separate reads, so an order
  // archived during the scan may be seen twice (live, then archived), never missed.
  virtual void scan_delivered_shipments(
      const DeliveredScan& scan, const std::function<void(const DeliveredShipment&)>& fn) = 0;
  // One transaction: opens, updates (severity or evidence changed) and auto-resolves, with an
  // outbox message ("anomaly.opened", "anomaly.resolved") per change.
  virtual ReconcileResult reconcile_anomalies(const std::vector<SubjectCheck>& checks,
                                              EpochMs now) = 0;
  virtual AnomalyPage list_anomalies(const AnomalyFilter& filter) = 0;
  virtual std::optional<AnomalyRecord> get_anomaly(std::int64_t id) = 0;
  // open -> acknowledged -> resolved (open -> resolved too); anything else is a conflict.
  virtual AnomalyChangeResult transition_anomaly(const AnomalyTransition& t,
                                                 const AuditRecord& audit) = 0;

  // One shipment (live or archived) with its tracking, when it exists.
  virtual std::optional<TrackingRecord> find_shipment(std::int64_t shipment_id) = 0;
  // Inserts readings (the first of a device + time wins); returns how many were new.
  virtual int insert_temperatures(std::int64_t shipment_id,
                                  const std::vector<TemperatureRecord>& readings, EpochMs now) = 0;
  // All readings of a shipment, by device then time.
  virtual std::vector<TemperatureRecord> temperatures(std::int64_t shipment_id) = 0;
  virtual void save_cold_chain(const ColdChainRecord& record) = 0;
};

struct PaymentApplied {
  OrderRecord order;
  bool changed = false;  // false: this transaction was already recorded (a repeated notice)
};
using PaymentResult = std::variant<PaymentApplied, NotFound, Conflict>;

class PaymentStore {
 public:
  virtual ~PaymentStore() = default;
  // One transaction: a CREATED order moves to PAID at `success_time` with the payment row,
  // event, outbox message and audit row; the same provider transaction again changes nothing;
  // any other state is a conflict (money for a cancelled order needs a person).
  virtual PaymentResult record_payment(const PaymentRecord& payment, const AuditRecord& audit) = 0;
  // The order's payment, if one was recorded.
  virtual std::optional<PaymentRecord> payment_for(std::string_view order_no) = 0;
  // WeChat shipping-info uploads of one payment (see wechat::UploadLedger).
  virtual ShippingLedgerRecord shipping_ledger(std::string_view transaction_id) = 0;
  virtual void save_shipping_ledger(std::string_view transaction_id,
                                    const ShippingLedgerRecord& ledger, EpochMs now) = 0;
};

struct CustomerSession {
  std::string token_hash;  // SHA-256 hex of the bearer token; the token itself is never stored
  std::string openid;
  EpochMs created_at = 0, expires_at = 0;
};

struct Subscription {
  std::string template_id;
  int remaining = 0;       // messages that may still be sent
  int accepted_total = 0;  // acceptances ever reported
  EpochMs updated_at = 0;
};

class SubscriptionStore {
 public:
  virtual ~SubscriptionStore() = default;
  // The customer accepted these templates once each (one message each).
  virtual std::vector<Subscription> add_subscriptions(std::string_view openid,
                                                      const std::vector<std::string>& template_ids,
                                                      EpochMs now) = 0;
  virtual std::vector<Subscription> subscriptions(std::string_view openid) = 0;
  // Takes one message from the count; false when none is left.
  virtual bool consume_subscription(std::string_view openid, std::string_view template_id,
                                    EpochMs now) = 0;
  // WeChat answered 43101: nothing is left for this template, whatever we counted.
  virtual void mark_subscription_spent(std::string_view openid, std::string_view template_id,
                                       EpochMs now) = 0;
};

// ---- Notifications ----------------------------------------------------------------------------

// One message to one recipient on one channel. Created from an outbox event in the same
// transaction that completes the event, so a replayed event never makes a second job.
// The channel of WeChat's shipping-information uploads (微信发货信息), shown in the order view.
inline constexpr std::string_view kWechatShippingChannel = "wechat_shipping";

struct NotificationJob {
  std::int64_t id = 0;
  std::string idem_key;    // (event, recipient, channel): unique, the exactly-once key
  std::string event_key;   // the outbox message key that caused it
  std::string event_kind;  // "order.SHIPPED", "tracking.OUT_FOR_DELIVERY", "eta_soon", ...
  std::string order_no;
  std::string audience;   // customer | staff
  std::string channel;    // wechat | sms | webhook
  std::string recipient;  // openid, "phone:<blind index>" or the staff webhook's name
  // pending | sending | sent | merged (digested into merged_into) | fallback (another channel
  // took over) | skipped | dead (gave up, see last_error) | uncertain (the process stopped
  // mid-send: it may have arrived, so it is never re-sent automatically)
  std::string state = "pending";
  bool urgent = false;
  std::string payload;  // JSON: text, values for templates, event time
  EpochMs event_at = 0;
  EpochMs send_at = 0;
  int attempts = 0;
  EpochMs lease_until = 0;
  std::string last_error;
  std::string provider_ref;  // msgid / BizId / SerialNo
  std::int64_t merged_into = 0;
  std::int64_t fallback_of = 0;
  EpochMs created_at = 0, updated_at = 0, sent_at = 0;
};

struct ClaimedNotification {
  NotificationJob job;                  // now "sending"
  std::vector<NotificationJob> merged;  // digested into it (now "merged")
};

struct NotificationOutcome {
  std::int64_t id = 0;
  std::string state;  // sent | pending (retry at retry_at) | dead | uncertain | skipped | fallback
  EpochMs at = 0;
  EpochMs retry_at = 0;
  std::string error;
  std::string provider_ref;
  std::optional<NotificationJob> follow_up;  // the fallback job, inserted in the same transaction
};

struct NotificationFilter {
  std::optional<std::string> order_no, recipient, channel, state, audience;
  int limit = 50;
  std::optional<std::int64_t> before_id;
};

struct NotificationPage {
  std::vector<NotificationJob> items;  // newest first
  std::optional<std::int64_t> next_before_id;
};

enum class ResendResult { kQueued, kNotFound, kNotResendable };

class NotificationStore {
 public:
  virtual ~NotificationStore() = default;
  // One transaction: inserts `jobs` (one whose idem_key exists is left alone, except a pending
  // job with `replace_pending`, whose send_at and payload are updated) and completes outbox
  // message `outbox_id` (0: none). Returns how many were inserted.
  virtual int plan_notifications(std::int64_t outbox_id, const std::vector<NotificationJob>& jobs,
                                 bool replace_pending, EpochMs now) = 0;
  // send_at of `recipient`'s customer jobs that are sent or still to be sent, since `since`
  // (for the per-recipient rate limit).
  virtual std::vector<EpochMs> recipient_sends(std::string_view recipient, EpochMs since) = 0;
  // Jobs still "sending" after their lease become "uncertain". Returns how many.
  virtual int expire_sending(EpochMs now) = 0;
  // Claims up to `limit` due pending jobs (send_at <= now), oldest first: each becomes
  // "sending" with attempts + 1 and a lease until now + lease_ms, and takes along (as "merged")
  // the other pending jobs of the same order, recipient and channel due by its send_at +
  // digest_ms. Urgent jobs are never merged.
  virtual std::vector<ClaimedNotification> claim_notifications(EpochMs now, int limit,
                                                               EpochMs lease_ms,
                                                               EpochMs digest_ms) = 0;
  // Records what became of a claimed job (and inserts its follow-up), in one transaction.
  virtual void finish_notification(const NotificationOutcome& outcome) = 0;
  virtual NotificationPage list_notifications(const NotificationFilter& filter) = 0;
  virtual std::optional<NotificationJob> get_notification(std::int64_t id) = 0;
  // A dead or uncertain job goes back to pending, due now, with its attempts reset; audited.
  virtual ResendResult resend_notification(std::int64_t id, EpochMs now,
                                           const AuditRecord& audit) = 0;
};

class SessionStore {
 public:
  virtual ~SessionStore() = default;
  virtual void insert_session(const CustomerSession& session) = 0;
  // The session, when it exists and has not expired at `now`.
  virtual std::optional<CustomerSession> find_session(std::string_view token_hash, EpochMs now) = 0;
};

// Staff of the merchant console (`coldtrack user create`, POST /api/auth/login).
struct StaffUser {
  std::int64_t id = 0;
  std::string username;
  std::string password_hash;  // "scrypt$N$r$p$salt$hash" (security/password.h)
  std::string role;           // admin | operator | viewer
  EpochMs created_at = 0;
  int failed_logins = 0;     // since the last success or lockout
  EpochMs locked_until = 0;  // refused until then (0: not locked)
  bool disabled = false;
};

// A signed-in staff member: the role comes from the user row at each lookup, so a change of
// role or a disabled account applies at once.
struct StaffSession {
  std::string token_hash;  // SHA-256 hex of the bearer token
  std::int64_t user_id = 0;
  std::string username, role;
  EpochMs created_at = 0, expires_at = 0;
};

class StaffStore {
 public:
  virtual ~StaffStore() = default;
  // False when the username is taken.
  virtual bool insert_staff_user(const StaffUser& user, const AuditRecord& audit) = 0;
  virtual std::optional<StaffUser> find_staff_user(std::string_view username) = 0;
  virtual std::vector<StaffUser> list_staff_users() = 0;
  // Counts a failed login; the `limit`-th failure in a row locks the account until `now +
  // lock_ms` and starts the count again. Returns the user as it is after.
  virtual StaffUser record_login_failure(std::int64_t user_id, EpochMs now, int limit,
                                         EpochMs lock_ms, const AuditRecord& audit) = 0;
  // A successful login: clears the failures and stores the session.
  virtual void start_staff_session(const StaffSession& session, const AuditRecord& audit) = 0;
  // The session, when it exists, has not expired at `now` and its user is not disabled.
  virtual std::optional<StaffSession> find_staff_session(std::string_view token_hash,
                                                         EpochMs now) = 0;
  virtual void end_staff_session(std::string_view token_hash) = 0;
};

// Responses remembered for the Idempotency-Key header.
struct IdempotentResponse {
  std::string request_hash;
  int status = 0;
  std::string body;
};

class IdempotencyStore {
 public:
  virtual ~IdempotencyStore() = default;
  virtual std::optional<IdempotentResponse> find_idempotent(std::string_view scope_key) = 0;
  // Keeps the first response stored for a key (a concurrent duplicate does not overwrite it).
  virtual void save_idempotent(std::string_view scope_key, const IdempotentResponse& response,
                               EpochMs now) = 0;
  // Forgets keys older than `before`; returns how many.
  virtual int purge_idempotent(EpochMs before) = 0;
};

// Named leases for work that one replica at a time must do (the anomaly sweep, the archiver),
// when several processes share one database. Times come from the caller's clock; replicas on
// one machine (or with synced clocks) agree on them.
struct LeaseResult {
  bool held = false;       // the caller holds the lease until now + ttl_ms
  std::string taken_from;  // the previous owner, when its lease had expired (a takeover)
  explicit operator bool() const { return held; }
};

class LeaseStore {
 public:
  virtual ~LeaseStore() = default;
  // Acquires lease `name` for `owner` when it is free, expired, or already `owner`'s (then
  // renewed), in one transaction; otherwise leaves it alone and returns held = false.
  virtual LeaseResult try_lease(std::string_view name, std::string_view owner, EpochMs now,
                                EpochMs ttl_ms) = 0;
  // Gives the lease up (only when `owner` holds it), so another replica need not wait for expiry.
  virtual void release_lease(std::string_view name, std::string_view owner) = 0;
};

// The outbox as the broker relay sees it: every row, whatever the internal consumers did with it
// (relayed_at is separate from done_at). Marked only after the broker confirmed the rows. Our own
// broker consumers look rows up here by msg_key and lease them (service/queue_consumer.h).
class RelayStore {
 public:
  virtual ~RelayStore() = default;
  // Up to `limit` rows not yet relayed with id > after_id, in id order.
  virtual std::vector<OutboxMessage> unrelayed(std::int64_t after_id, int limit) = 0;
  virtual void mark_relayed(const std::vector<std::int64_t>& ids, EpochMs now) = 0;
  // The row a broker message stands for (its message_id is the msg_key), in whatever state;
  // nullopt when there is none. Broker consumers skip rows that are done already.
  virtual std::optional<OutboxRow> outbox_message(std::string_view msg_key) = 0;
  // Leases row `id` for a broker consumer until `until` (attempts + 1, like a claim), but only
  // while it is not done and its available_at is still `seen_available_at`: a compare-and-set,
  // so of a consumer and a claim_outbox (or another consumer) racing for a row exactly one
  // wins. True when this call took the lease.
  virtual bool lease_outbox(std::int64_t id, EpochMs seen_available_at, EpochMs until) = 0;
};

// The whole storage backend, as the composition root sees it.
// What the console's overview shows: counts, not rows.
struct OverviewCounts {
  std::vector<std::pair<std::string, std::int64_t>> created_today_by_status;
  std::int64_t delivered_today = 0;
  std::int64_t on_the_road = 0;  // live orders SHIPPED or IN_TRANSIT
  // Unresolved anomalies: (severity, kind, count).
  std::vector<std::tuple<std::string, std::string, std::int64_t>> open_anomalies;
  // Per local day from week_start: (day index since the epoch in the display zone, count).
  std::vector<std::pair<std::int64_t, std::int64_t>> created_by_day, delivered_by_day;
};

// One parcel with a cold-chain assessment (it carried a data logger), for the console's board.
struct ColdChainParcel {
  std::int64_t shipment_id = 0;
  std::string order_no, order_status, carrier, carrier_name, waybill_no, temp_class;
  EpochMs shipped_at = 0;
  std::string tracking_status;  // "" before the carrier's first answer
  ColdChainRecord cold_chain;
};

struct ColdChainFilter {
  bool on_the_road = true;  // only orders SHIPPED, IN_TRANSIT or EXCEPTION
  int limit = 100;
};

// Levels the service exports as gauges (refreshed every few seconds, not per request).
struct GaugeScope {
  std::vector<std::string> worked_topics;  // outbox topics a worker here completes
  bool relay = false;                      // outbox rows are relayed to a broker
};

struct GaugeCounts {
  std::int64_t outbox_pending = 0;       // messages of worked topics not yet done
  std::optional<EpochMs> outbox_oldest;  // created_at of the oldest of them
  std::int64_t unrelayed = 0;            // with a relay: rows not yet handed to the broker
  std::optional<EpochMs> unrelayed_oldest;
  // Unresolved anomalies: (severity, kind, count).
  std::vector<std::tuple<std::string, std::string, std::int64_t>> open_anomalies;
};

class Store : public OrderStore,
              public ReferenceStore,
              public ApiKeyStore,
              public AuditStore,
              public IdempotencyStore,
              public TrackingStore,
              public MonitoringStore,
              public PaymentStore,
              public SessionStore,
              public StaffStore,
              public SubscriptionStore,
              public NotificationStore,
              public LeaseStore,
              public RelayStore {
 public:
  // True when the database answers a trivial query.
  virtual bool ping() = 0;
  // Counts for the console's overview: today is [today_start, now), the week
  // [week_start, now); days are cut at midnight `utc_offset_minutes` east of UTC.
  virtual OverviewCounts overview_counts(EpochMs today_start, EpochMs week_start,
                                         int utc_offset_minutes) = 0;
  virtual GaugeCounts gauge_counts(const GaugeScope& scope) = 0;
  // Parcels with a cold-chain assessment, the worst thaw risk first, then the newest reading.
  virtual std::vector<ColdChainParcel> cold_chain_parcels(const ColdChainFilter& filter) = 0;
  // The query plan of the list query for `filter` (for docs and tests), one line per step.
  virtual std::vector<std::string> explain_list(const OrderFilter& filter) = 0;
  virtual void close() = 0;
  // Who else uses the database; null when the store cannot tell (a database server shared by
  // replicas).
  virtual const SoleUse* sole_use() const = 0;
};

}  // namespace coldtrack::store
