#include "store/sql/sql_store.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <variant>

#include "carriers/lifecycle.h"
#include "domain/status.h"
#include "store/sql/conn.h"
#include "store/sql/dialect.h"
#include "store/sql/order_columns.h"
#include "store/sql/writes.h"

namespace coldtrack::store::sql {

void insert_audit(Conn& db, const AuditRecord& a) {
  db.prepare(
        "INSERT INTO audit_log (at, actor, role, action, target, request_id, client_addr, detail) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
      .bind(1, a.at)
      .bind(2, a.actor)
      .bind(3, a.role)
      .bind(4, a.action)
      .bind(5, a.target)
      .bind(6, a.request_id)
      .bind(7, a.client_addr)
      .bind(8, a.detail.empty() ? std::string("{}") : a.detail)
      .run();
}

void insert_outbox(Conn& db, std::string_view topic, const std::string& key,
                   const std::string& payload, EpochMs now) {
  db.prepare(insert_ignore(db.dialect(),
                           "INSERT INTO outbox (topic, msg_key, payload, created_at, "
                           "available_at) VALUES (?, ?, ?, ?, ?)",
                           "(msg_key)"))
      .bind(1, topic)
      .bind(2, key)
      .bind(3, payload)
      .bind(4, now)
      .bind(5, now)
      .run();
}

namespace {

// "?, ?, ?": the markers of an IN list of n values.
std::string placeholders(std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += i ? ", ?" : "?";
  return out;
}

using domain::OrderStatus;

EpochMs wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Tables {
  std::string_view orders, events, shipments;
};
constexpr Tables kLive{"orders", "order_events", "shipments"};
constexpr Tables kArchive{"orders_archive", "order_events_archive", "shipments_archive"};

OrderStatus status_of(const std::string& s) {
  auto st = domain::parse_status(s);
  if (!st) throw Error("unknown status in database: " + s, 0);
  return *st;
}

// A row of kOrderCols or kOrderSummaryCols (NULL columns read as empty).
OrderRecord read_order(const Stmt& s, bool archived) {
  OrderRecord o;
  o.id = s.i64(0);
  o.order_no = s.text(1);
  o.status = status_of(s.text(2));
  o.name_sealed = s.text(3);
  o.phone_sealed = s.text(4);
  o.phone_index = s.text(5);
  o.phone_last4 = s.text(6);
  o.openid = s.text(7);
  o.province = s.text(8);
  o.city = s.text(9);
  o.district = s.text(10);
  o.detail_sealed = s.text(11);
  o.items_json = s.text(12);
  o.amount_fen = s.i64(13);
  o.shipping_fen = s.i64(14);
  o.discount_fen = s.i64(15);
  o.remark = s.text(16);
  o.body_hash = s.text(17);
  o.created_at = s.i64(18);
  o.updated_at = s.i64(19);
  o.finished_at = s.opt_i64(20);
  o.name_masked = s.text(21);
  o.phone_masked = s.text(22);
  o.archived = archived;
  return o;
}

std::optional<OrderRecord> find_in(Conn& db, const Tables& t, std::string_view order_no) {
  auto s =
      db.prepare(fmt::format("SELECT {} FROM {} o WHERE o.order_no = ?", kOrderCols, t.orders));
  s.bind(1, order_no);
  if (!s.step()) return std::nullopt;
  return read_order(s, &t == &kArchive);
}

std::optional<OrderRecord> find_any(Conn& db, std::string_view order_no) {
  if (auto o = find_in(db, kLive, order_no)) return o;
  return find_in(db, kArchive, order_no);
}

void load_shipments(Conn& db, std::vector<OrderRecord*>& orders, const Tables& t) {
  if (orders.empty()) return;
  std::string sql = fmt::format(
      "SELECT s.order_id, s.carrier, COALESCE(c.name_zh, s.carrier), s.waybill_no, s.created_at, "
      "s.id, s.origin_city, s.service, s.temp_class FROM {} s LEFT JOIN carriers c ON c.code = "
      "s.carrier WHERE s.order_id IN (",
      t.shipments);
  for (std::size_t i = 0; i < orders.size(); ++i) sql += i ? ",?" : "?";
  sql += ") ORDER BY s.id";
  auto s = db.prepare(sql);
  for (std::size_t i = 0; i < orders.size(); ++i) s.bind(static_cast<int>(i + 1), orders[i]->id);
  while (s.step()) {
    const auto id = s.i64(0);
    for (auto* o : orders) {
      if (o->id == id) {
        ShipmentRecord sh;
        sh.id = s.i64(5);
        sh.carrier = s.text(1);
        sh.carrier_name = s.text(2);
        sh.waybill_no = s.text(3);
        sh.created_at = s.i64(4);
        sh.origin_city = s.text(6);
        sh.service = s.text(7);
        sh.temp_class = s.text(8);
        o->shipments.push_back(std::move(sh));
        break;
      }
    }
  }
}

void load_details(Conn& db, OrderRecord& o) {
  const Tables& t = o.archived ? kArchive : kLive;
  auto s = db.prepare(fmt::format(
      "SELECT status, from_status, at, recorded_at, actor, note FROM {} WHERE order_id = ? "
      "ORDER BY id",
      t.events));
  s.bind(1, o.id);
  o.history.clear();
  while (s.step()) {
    EventRecord e;
    e.status = status_of(s.text(0));
    if (!s.is_null(1)) e.from = status_of(s.text(1));
    e.at = s.i64(2);
    e.recorded_at = s.i64(3);
    e.actor = s.text(4);
    e.note = s.text(5);
    o.history.push_back(std::move(e));
  }
  o.shipments.clear();
  std::vector<OrderRecord*> one{&o};
  load_shipments(db, one, t);
}

std::int64_t insert_event(Conn& db, const Tables& t, std::int64_t order_id, const EventRecord& e) {
  auto s = db.prepare(
      fmt::format("INSERT INTO {} (order_id, status, from_status, at, recorded_at, actor, note) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?)",
                  t.events));
  s.bind(1, order_id).bind(2, domain::to_string(e.status));
  if (e.from) {
    s.bind(3, domain::to_string(*e.from));
  } else {
    s.bind_null(3);
  }
  s.bind(4, e.at).bind(5, e.recorded_at).bind(6, e.actor).bind(7, e.note).run();
  return db.last_insert_id();
}

std::int64_t insert_order_row(Conn& db, const OrderRecord& o, bool or_ignore) {
  constexpr std::string_view kInsert =
      "INSERT INTO orders (order_no, status, name_sealed, phone_sealed, phone_index, "
      "phone_last4, openid, province, city, district, detail_sealed, items_json, amount_fen, "
      "shipping_fen, discount_fen, remark, body_hash, created_at, updated_at, finished_at, "
      "name_masked, phone_masked) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  auto s = db.prepare(or_ignore ? insert_ignore(db.dialect(), kInsert, "(order_no)")
                                : std::string(kInsert));
  s.bind(1, o.order_no).bind(2, domain::to_string(o.status));
  s.bind_blob(3, o.name_sealed).bind_blob(4, o.phone_sealed).bind(5, o.phone_index);
  s.bind(6, o.phone_last4);
  if (o.openid.empty()) {
    s.bind_null(7);
  } else {
    s.bind(7, o.openid);
  }
  s.bind(8, o.province).bind(9, o.city).bind(10, o.district).bind_blob(11, o.detail_sealed);
  s.bind(12, o.items_json).bind(13, o.amount_fen).bind(14, o.shipping_fen);
  s.bind(15, o.discount_fen).bind(16, o.remark).bind(17, o.body_hash).bind(18, o.created_at);
  s.bind(19, o.updated_at).bind(20, o.finished_at).bind(21, o.name_masked);
  s.bind(22, o.phone_masked);
  s.run();
  if (or_ignore && db.changes() == 0) return 0;
  return db.last_insert_id();
}

// The temperature class is the strictest category among the order's items. Items JSON is
// written by our own serializer (no spaces), so the LIKE patterns are exact.
void insert_shipment_row(Conn& db, std::int64_t order_id, EpochMs order_created_at,
                         const ShipmentRecord& sh) {
  db.prepare(
        "INSERT INTO shipments (order_id, order_created_at, carrier, waybill_no, created_at, "
        "origin_city, service, temp_class) SELECT ?, ?, ?, ?, ?, ?, ?, CASE "
        "WHEN o.items_json LIKE '%\"category\":\"frozen\"%' THEN 'frozen' "
        "WHEN o.items_json LIKE '%\"category\":\"chilled\"%' THEN 'chilled' ELSE 'ambient' END "
        "FROM orders o WHERE o.id = ?")
      .bind(1, order_id)
      .bind(2, order_created_at)
      .bind(3, sh.carrier)
      .bind(4, sh.waybill_no)
      .bind(5, sh.created_at)
      .bind(6, sh.origin_city)
      .bind(7, sh.service.empty() ? std::string("standard") : sh.service)
      .bind(8, order_id)
      .run();
}

std::string status_payload(const std::string& order_no, OrderStatus from, OrderStatus to,
                           EpochMs at) {
  // order_no is [A-Za-z0-9_-] and statuses are fixed codes: no escaping needed.
  return fmt::format(R"({{"order_no":"{}","from":"{}","to":"{}","at":{}}})", order_no,
                     domain::to_string(from), domain::to_string(to), at);
}

// Applies an allowed transition inside the caller's transaction.
void apply_transition(Conn& db, const OrderRecord& o, OrderStatus to, EpochMs at, EpochMs now,
                      const std::string& actor, const std::string& note) {
  const bool finished = domain::is_finished(to);
  db.prepare("UPDATE orders SET status = ?, updated_at = ?, finished_at = ? WHERE id = ?")
      .bind(1, domain::to_string(to))
      .bind(2, now)
      .bind(3, finished ? std::optional<std::int64_t>(at) : std::nullopt)
      .bind(4, o.id)
      .run();
  EventRecord e{to, o.status, at, now, actor, note};
  const auto event_id = insert_event(db, kLive, o.id, e);
  insert_outbox(db, "order.status_changed", fmt::format("order.status:{}", event_id),
                status_payload(o.order_no, o.status, to, at), now);
}

// A list query for one table. Chooses the driving index: carrier filters drive from the
// shipments index unless a more selective filter (order_no, phone, waybill, openid) is given.
struct ListSql {
  std::string text;
  std::vector<std::variant<std::int64_t, std::string>> args;
};

ListSql build_list_sql(const OrderFilter& f, const Tables& t, int fetch) {
  ListSql q;
  const bool carrier_drives =
      f.carrier && !f.order_no && !f.phone_index && !f.waybill_no && !f.openid;
  std::string k1 = "o.created_at", k2 = "o.id";
  const std::string_view cols = f.summary ? kOrderSummaryCols : kOrderCols;
  if (carrier_drives) {
    q.text = fmt::format("SELECT {} FROM {} s JOIN {} o ON o.id = s.order_id WHERE s.carrier = ?",
                         cols, t.shipments, t.orders);
    q.args.emplace_back(*f.carrier);
    k1 = "s.order_created_at";
    k2 = "s.order_id";
  } else {
    q.text = fmt::format("SELECT {} FROM {} o WHERE 1", cols, t.orders);
  }
  auto add = [&](std::string cond, auto value) {
    q.text += " AND " + cond;
    q.args.emplace_back(value);
  };
  if (f.order_no) add("o.order_no = ?", *f.order_no);
  if (f.phone_index) add("o.phone_index = ?", *f.phone_index);
  if (f.openid) add("o.openid = ?", *f.openid);
  if (f.statuses.size() == 1) {
    add("o.status = ?", std::string(domain::to_string(f.statuses[0])));
  } else if (!f.statuses.empty()) {
    for (const auto st : f.statuses) q.args.emplace_back(std::string(domain::to_string(st)));
    q.text += " AND o.status IN (" + placeholders(f.statuses.size()) + ")";
  }
  if (f.waybill_no)
    add(fmt::format("o.id IN (SELECT order_id FROM {} WHERE waybill_no = ?)", t.shipments),
        *f.waybill_no);
  if (f.carrier && !carrier_drives)
    add(fmt::format("EXISTS (SELECT 1 FROM {} x WHERE x.order_id = o.id AND x.carrier = ?)",
                    t.shipments),
        *f.carrier);
  if (f.from) add(k1 + " >= ?", *f.from);
  if (f.to) add(k1 + " < ?", *f.to);
  if (f.after) {
    // The plain `k1 <= ?` lets MariaDB start an index range at the cursor (it does not for the
    // row comparison alone); SQLite needs neither but is not slowed by it.
    q.text += f.oldest_first ? fmt::format(" AND {} >= ? AND ({}, {}) > (?, ?)", k1, k1, k2)
                             : fmt::format(" AND {} <= ? AND ({}, {}) < (?, ?)", k1, k1, k2);
    q.args.emplace_back(f.after->created_at);
    q.args.emplace_back(f.after->created_at);
    q.args.emplace_back(f.after->id);
  }
  // An order with two parcels of the carrier must count once against the limit.
  if (carrier_drives) q.text += fmt::format(" GROUP BY {}, {}", k1, k2);
  const char* dir = f.oldest_first ? "ASC" : "DESC";
  q.text += fmt::format(" ORDER BY {} {}, {} {} LIMIT ?", k1, dir, k2, dir);
  q.args.emplace_back(static_cast<std::int64_t>(fetch));
  return q;
}

void bind_all(Stmt& s, const ListSql& q) {
  int i = 1;
  for (const auto& a : q.args) {
    if (const auto* v = std::get_if<std::int64_t>(&a)) {
      s.bind(i++, *v);
    } else {
      s.bind(i++, std::get<std::string>(a));
    }
  }
}

std::vector<OrderRecord> run_list(Conn& db, const OrderFilter& f, const Tables& t, int fetch) {
  const auto q = build_list_sql(f, t, fetch);
  auto s = db.prepare(q.text);
  bind_all(s, q);
  std::vector<OrderRecord> out;
  out.reserve(static_cast<std::size_t>(fetch));
  const bool archived = &t == &kArchive;
  while (s.step()) out.push_back(read_order(s, archived));
  return out;
}

bool newer(const OrderRecord& a, const OrderRecord& b) {
  return a.created_at != b.created_at ? a.created_at > b.created_at : a.id > b.id;
}
bool older(const OrderRecord& a, const OrderRecord& b) {
  return newer(b, a);
}

}  // namespace

CreateResult SqlStore::create_order(const OrderRecord& order, const std::string& actor,
                                    const AuditRecord& audit) {
  return write([&](Conn& db) -> CreateResult {
    Transaction tx(db);
    if (auto existing = find_any(db, order.order_no)) {
      load_details(db, *existing);
      if (existing->body_hash == order.body_hash) return AlreadyExists{std::move(*existing)};
      return Conflict{"an order with this order_no exists with a different body", existing->status};
    }
    const auto id = insert_order_row(db, order, false);
    insert_event(db, kLive, id,
                 EventRecord{OrderStatus::kCreated, std::nullopt, order.created_at,
                             order.updated_at, actor, ""});
    insert_outbox(db, "order.created", "order.created:" + order.order_no,
                  fmt::format(R"({{"order_no":"{}"}})", order.order_no), order.updated_at);
    insert_audit(db, audit);
    tx.commit();
    auto stored = find_in(db, kLive, order.order_no);
    load_details(db, *stored);
    return Created{std::move(*stored)};
  });
}

ChangeResult SqlStore::change_status(const StatusChange& c, const AuditRecord& audit) {
  return write([&](Conn& db) -> ChangeResult {
    Transaction tx(db);
    auto o = find_in(db, kLive, c.order_no);
    if (!o) {
      if (auto a = find_in(db, kArchive, c.order_no))
        return Conflict{"the order is archived and can no longer change", a->status};
      return NotFound{};
    }
    if (!domain::can_transition(o->status, c.to))
      return Conflict{fmt::format("cannot change status from {} to {}",
                                  domain::to_string(o->status), domain::to_string(c.to)),
                      o->status};
    if (c.at < o->created_at) return InvalidReference{"at", "is before the order was created"};
    apply_transition(db, *o, c.to, c.at, c.recorded_at, c.actor, c.note);
    insert_audit(db, audit);
    tx.commit();
    auto stored = find_in(db, kLive, c.order_no);
    load_details(db, *stored);
    return Changed{std::move(*stored)};
  });
}

ShipmentResult SqlStore::add_shipment(std::string_view order_no, const ShipmentRecord& sh,
                                      const std::string& actor, const AuditRecord& audit) {
  return write([&](Conn& db) -> ShipmentResult {
    Transaction tx(db);
    {
      auto s = db.prepare("SELECT 1 FROM carriers WHERE code = ?");
      s.bind(1, sh.carrier);
      if (!s.step())
        return InvalidReference{"carrier", fmt::format("unknown carrier code \"{}\"", sh.carrier)};
    }
    auto o = find_in(db, kLive, order_no);
    if (!o) {
      if (auto a = find_in(db, kArchive, order_no))
        return Conflict{"the order is archived and can no longer change", a->status};
      return NotFound{};
    }
    {
      auto s = db.prepare(
          "SELECT 1 FROM shipments WHERE order_id = ? AND carrier = ? AND waybill_no = ?");
      s.bind(1, o->id).bind(2, sh.carrier).bind(3, sh.waybill_no);
      if (s.step()) {  // the same parcel again: idempotent
        load_details(db, *o);
        return Changed{std::move(*o)};
      }
    }
    const auto st = o->status;
    const bool ships = st == OrderStatus::kPaid || st == OrderStatus::kException;
    if (!ships && st != OrderStatus::kShipped && st != OrderStatus::kInTransit)
      return Conflict{
          fmt::format("shipments can be added to PAID, SHIPPED, IN_TRANSIT or EXCEPTION "
                      "orders, not {}",
                      domain::to_string(st)),
          st};
    insert_shipment_row(db, o->id, o->created_at, sh);
    db.prepare("INSERT INTO shipment_polling (shipment_id, next_poll_at) VALUES (?, ?)")
        .bind(1, db.last_insert_id())
        .bind(2, sh.created_at)
        .run();
    if (ships) {
      apply_transition(db, *o, OrderStatus::kShipped, sh.created_at, sh.created_at, actor,
                       fmt::format("{} {}", sh.carrier, sh.waybill_no));
    } else {
      db.prepare("UPDATE orders SET updated_at = ? WHERE id = ?")
          .bind(1, sh.created_at)
          .bind(2, o->id)
          .run();
    }
    insert_outbox(db, "order.shipment_added",
                  fmt::format("order.shipment:{}:{}:{}", o->order_no, sh.carrier, sh.waybill_no),
                  fmt::format(R"({{"order_no":"{}","carrier":"{}","waybill_no":"{}"}})",
                              o->order_no, sh.carrier, sh.waybill_no),
                  sh.created_at);
    insert_audit(db, audit);
    tx.commit();
    auto stored = find_in(db, kLive, order_no);
    load_details(db, *stored);
    return Changed{std::move(*stored)};
  });
}

PaymentResult SqlStore::record_payment(const PaymentRecord& p, const AuditRecord& audit) {
  return write([&](Conn& db) -> PaymentResult {
    Transaction tx(db);
    auto o = find_in(db, kLive, p.order_no);
    if (!o) {
      if (auto a = find_in(db, kArchive, p.order_no))
        return Conflict{"the order is archived", a->status};
      return NotFound{};
    }
    {
      auto s =
          db.prepare("SELECT order_no FROM payments WHERE provider = ? AND transaction_id = ?");
      s.bind(1, p.provider).bind(2, p.transaction_id);
      if (s.step()) {
        if (s.text(0) != p.order_no)
          return Conflict{"this transaction was recorded for another order", o->status};
        load_details(db, *o);
        return PaymentApplied{std::move(*o), false};
      }
    }
    if (o->status != OrderStatus::kCreated)
      return Conflict{
          fmt::format("the order is {}, not awaiting payment", domain::to_string(o->status)),
          o->status};
    db.prepare(
          "INSERT INTO payments (order_no, provider, transaction_id, notify_id, amount_fen, "
          "payer_openid, success_time, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(1, p.order_no)
        .bind(2, p.provider)
        .bind(3, p.transaction_id)
        .bind(4, p.notify_id)
        .bind(5, p.amount_fen)
        .bind(6, p.payer_openid)
        .bind(7, p.success_time)
        .bind(8, p.received_at)
        .run();
    apply_transition(db, *o, OrderStatus::kPaid, std::max(p.success_time, o->created_at),
                     p.received_at, "payment:" + p.provider,
                     fmt::format("{} {}", p.provider, p.transaction_id));
    insert_audit(db, audit);
    tx.commit();
    auto stored = find_in(db, kLive, p.order_no);
    load_details(db, *stored);
    return PaymentApplied{std::move(*stored), true};
  });
}

void SqlStore::insert_session(const CustomerSession& c) {
  return write([&](Conn& db) -> void {
    Transaction tx(db);
    // Expired sessions go as new ones come: the table stays the size of the active customers.
    db.prepare("DELETE FROM customer_sessions WHERE expires_at <= ?").bind(1, c.created_at).run();
    db.prepare(
          "INSERT INTO customer_sessions (token_hash, openid, created_at, expires_at) VALUES (?, "
          "?, "
          "?, ?)")
        .bind(1, c.token_hash)
        .bind(2, c.openid)
        .bind(3, c.created_at)
        .bind(4, c.expires_at)
        .run();
    tx.commit();
  });
}

std::optional<CustomerSession> SqlStore::find_session(std::string_view token_hash, EpochMs now) {
  return read([&](Conn& db) -> std::optional<CustomerSession> {
    auto s = db.prepare(
        "SELECT token_hash, openid, created_at, expires_at FROM customer_sessions WHERE token_hash "
        "= ? AND expires_at > ?");
    s.bind(1, token_hash).bind(2, now);
    if (!s.step()) return std::nullopt;
    return CustomerSession{s.text(0), s.text(1), s.i64(2), s.i64(3)};
  });
}

namespace {
constexpr const char* kStaffCols =
    "id, username, password_hash, role, created_at, failed_logins, locked_until, disabled";

StaffUser read_staff(Stmt& s) {
  return StaffUser{s.i64(0),  s.text(1),    s.text(2),
                   s.text(3), s.i64(4),     static_cast<int>(s.i64(5)),
                   s.i64(6),  s.i64(7) != 0};
}

std::optional<StaffUser> staff_where(Conn& db, const char* where, auto key) {
  auto s = db.prepare(fmt::format("SELECT {} FROM staff_users WHERE {} = ?", kStaffCols, where));
  s.bind(1, key);
  if (!s.step()) return std::nullopt;
  return read_staff(s);
}
}  // namespace

namespace {
std::vector<std::tuple<std::string, std::string, std::int64_t>> open_anomaly_counts(Conn& db) {
  std::vector<std::tuple<std::string, std::string, std::int64_t>> out;
  auto s = db.prepare(
      "SELECT severity, kind, count(*) FROM anomalies WHERE state IN ('open', 'acknowledged') "
      "GROUP BY severity, kind");
  while (s.step()) out.emplace_back(s.text(0), s.text(1), s.i64(2));
  return out;
}
}  // namespace

OverviewCounts SqlStore::overview_counts(EpochMs today_start, EpochMs week_start, int tz) {
  return read([&](Conn& db) {
    OverviewCounts c;
    // Each query is served by an index: orders (created_at), orders (status, ...), order_events
    // (status, at), anomalies (state, id).
    {
      auto s =
          db.prepare("SELECT status, count(*) FROM orders WHERE created_at >= ? GROUP BY status");
      s.bind(1, today_start);
      while (s.step()) c.created_today_by_status.emplace_back(s.text(0), s.i64(1));
    }
    {
      auto s = db.prepare(
          "SELECT count(*) FROM orders WHERE status = 'SHIPPED' OR status = 'IN_TRANSIT'");
      if (s.step()) c.on_the_road = s.i64(0);
    }
    c.open_anomalies = open_anomaly_counts(db);
    // Day of a time in the display zone; integer division in both dialects.
    const std::string day =
        db.dialect() == Dialect::sqlite ? "(({} + ?) / 86400000)" : "(({} + ?) DIV 86400000)";
    const std::int64_t shift = tz * 60'000LL;
    auto by_day = [&](const std::string& sql,
                      std::vector<std::pair<std::int64_t, std::int64_t>>& out) {
      auto s = db.prepare(sql);
      s.bind(1, shift).bind(2, week_start);
      while (s.step()) out.emplace_back(s.i64(0), s.i64(1));
    };
    by_day(fmt::format("SELECT {} AS d, count(*) FROM orders WHERE created_at >= ? GROUP BY d "
                       "ORDER BY d",
                       fmt::format(fmt::runtime(day), "created_at")),
           c.created_by_day);
    by_day(fmt::format("SELECT {} AS d, count(*) FROM order_events WHERE status = 'DELIVERED' "
                       "AND at >= ? GROUP BY d ORDER BY d",
                       fmt::format(fmt::runtime(day), "at")),
           c.delivered_by_day);
    const std::int64_t today = (today_start + shift) / 86'400'000;
    for (const auto& [d, n] : c.delivered_by_day)
      if (d == today) c.delivered_today = n;
    return c;
  });
}

GaugeCounts SqlStore::gauge_counts(const GaugeScope& scope) {
  return read([&](Conn& db) {
    GaugeCounts g;
    // Only topics a worker completes: the others are events for other services (relayed to
    // the broker) that nothing here marks done.
    if (!scope.worked_topics.empty()) {
      auto s = db.prepare(
          "SELECT count(*), min(created_at) FROM outbox WHERE done_at IS NULL AND topic IN (" +
          placeholders(scope.worked_topics.size()) + ")");
      for (std::size_t i = 0; i < scope.worked_topics.size(); ++i)
        s.bind(static_cast<int>(i + 1), scope.worked_topics[i]);
      if (s.step()) {
        g.outbox_pending = s.i64(0);
        if (!s.is_null(1)) g.outbox_oldest = s.i64(1);
      }
    }
    if (scope.relay) {
      auto s = db.prepare("SELECT count(*), min(created_at) FROM outbox WHERE relayed_at IS NULL");
      if (s.step()) {
        g.unrelayed = s.i64(0);
        if (!s.is_null(1)) g.unrelayed_oldest = s.i64(1);
      }
    }
    g.open_anomalies = open_anomaly_counts(db);
    return g;
  });
}

namespace {
std::optional<ColdChainRecord> read_cold_chain(const Stmt& s, int first, std::int64_t shipment_id);
}  // namespace

std::vector<ColdChainParcel> SqlStore::cold_chain_parcels(const ColdChainFilter& f) {
  return read([&](Conn& db) {
    // shipment_coldchain holds only parcels that carried a logger: small, read whole.
    auto s = db.prepare(
        "SELECT k.shipment_id, o.order_no, o.status, s.carrier, COALESCE(c.name_zh, s.carrier), "
        "s.waybill_no, s.temp_class, s.created_at, t.status, k.profile, k.readings, k.thaw_risk, "
        "k.worst, k.mkt_c, k.summary_json, k.updated_at FROM shipment_coldchain k JOIN shipments "
        "s ON s.id = k.shipment_id JOIN orders o ON o.id = s.order_id LEFT JOIN carriers c ON "
        "c.code = s.carrier LEFT JOIN shipment_tracking t ON t.shipment_id = s.id WHERE (? = 0 OR "
        "o.status IN ('SHIPPED', 'IN_TRANSIT', 'EXCEPTION')) ORDER BY CASE k.thaw_risk WHEN "
        "'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END DESC, k.updated_at DESC, "
        "k.shipment_id DESC LIMIT ?");
    s.bind(1, static_cast<std::int64_t>(f.on_the_road ? 1 : 0))
        .bind(2, static_cast<std::int64_t>(f.limit));
    std::vector<ColdChainParcel> out;
    while (s.step()) {
      ColdChainParcel p;
      p.shipment_id = s.i64(0);
      p.order_no = s.text(1);
      p.order_status = s.text(2);
      p.carrier = s.text(3);
      p.carrier_name = s.text(4);
      p.waybill_no = s.text(5);
      p.temp_class = s.text(6);
      p.shipped_at = s.i64(7);
      if (!s.is_null(8)) p.tracking_status = s.text(8);
      p.cold_chain = *read_cold_chain(s, 9, p.shipment_id);
      out.push_back(std::move(p));
    }
    return out;
  });
}

bool SqlStore::insert_staff_user(const StaffUser& u, const AuditRecord& audit) {
  return write([&](Conn& db) -> bool {
    Transaction tx(db);
    if (staff_where(db, "username", u.username)) return false;
    db.prepare(
          "INSERT INTO staff_users (username, password_hash, role, created_at, disabled) VALUES "
          "(?, ?, ?, ?, ?)")
        .bind(1, u.username)
        .bind(2, u.password_hash)
        .bind(3, u.role)
        .bind(4, u.created_at)
        .bind(5, u.disabled ? 1 : 0)
        .run();
    insert_audit(db, audit);
    tx.commit();
    return true;
  });
}

std::optional<StaffUser> SqlStore::find_staff_user(std::string_view username) {
  return read([&](Conn& db) { return staff_where(db, "username", username); });
}

std::vector<StaffUser> SqlStore::list_staff_users() {
  return read([&](Conn& db) {
    auto s = db.prepare(fmt::format("SELECT {} FROM staff_users ORDER BY username", kStaffCols));
    std::vector<StaffUser> out;
    while (s.step()) out.push_back(read_staff(s));
    return out;
  });
}

StaffUser SqlStore::record_login_failure(std::int64_t user_id, EpochMs now, int limit,
                                         EpochMs lock_ms, const AuditRecord& audit) {
  return write([&](Conn& db) -> StaffUser {
    Transaction tx(db);
    // One statement: concurrent failures each count, and the one that reaches the limit locks.
    db.prepare(
          "UPDATE staff_users SET locked_until = CASE WHEN failed_logins + 1 >= ? THEN ? ELSE "
          "locked_until END, failed_logins = CASE WHEN failed_logins + 1 >= ? THEN 0 ELSE "
          "failed_logins + 1 END WHERE id = ?")
        .bind(1, static_cast<std::int64_t>(limit))
        .bind(2, now + lock_ms)
        .bind(3, static_cast<std::int64_t>(limit))
        .bind(4, user_id)
        .run();
    insert_audit(db, audit);
    auto u = staff_where(db, "id", user_id);
    tx.commit();
    if (!u) throw std::runtime_error("staff user vanished");
    return *u;
  });
}

void SqlStore::start_staff_session(const StaffSession& session, const AuditRecord& audit) {
  return write([&](Conn& db) -> void {
    Transaction tx(db);
    db.prepare("DELETE FROM staff_sessions WHERE expires_at <= ?")
        .bind(1, session.created_at)
        .run();
    db.prepare("UPDATE staff_users SET failed_logins = 0 WHERE id = ?")
        .bind(1, session.user_id)
        .run();
    db.prepare(
          "INSERT INTO staff_sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, "
          "?, ?)")
        .bind(1, session.token_hash)
        .bind(2, session.user_id)
        .bind(3, session.created_at)
        .bind(4, session.expires_at)
        .run();
    insert_audit(db, audit);
    tx.commit();
  });
}

std::optional<StaffSession> SqlStore::find_staff_session(std::string_view token_hash, EpochMs now) {
  return read([&](Conn& db) -> std::optional<StaffSession> {
    auto s = db.prepare(
        "SELECT s.token_hash, s.user_id, u.username, u.role, s.created_at, s.expires_at FROM "
        "staff_sessions s JOIN staff_users u ON u.id = s.user_id WHERE s.token_hash = ? AND "
        "s.expires_at > ? AND u.disabled = 0");
    s.bind(1, token_hash).bind(2, now);
    if (!s.step()) return std::nullopt;
    return StaffSession{s.text(0), s.i64(1), s.text(2), s.text(3), s.i64(4), s.i64(5)};
  });
}

void SqlStore::end_staff_session(std::string_view token_hash) {
  write([&](Conn& db) -> void {
    db.prepare("DELETE FROM staff_sessions WHERE token_hash = ?").bind(1, token_hash).run();
  });
}

namespace {
std::vector<Subscription> read_subscriptions(Conn& db, std::string_view openid) {
  auto s = db.prepare(
      "SELECT template_id, remaining, accepted_total, updated_at FROM subscriptions WHERE openid "
      "= ? ORDER BY template_id");
  s.bind(1, openid);
  std::vector<Subscription> out;
  while (s.step())
    out.push_back({s.text(0), static_cast<int>(s.i64(1)), static_cast<int>(s.i64(2)), s.i64(3)});
  return out;
}
}  // namespace

std::vector<Subscription> SqlStore::add_subscriptions(std::string_view openid,
                                                      const std::vector<std::string>& template_ids,
                                                      EpochMs now) {
  return write([&](Conn& db) -> std::vector<Subscription> {
    Transaction tx(db);
    for (const auto& t : template_ids) {
      db.prepare(upsert(db.dialect(),
                        "INSERT INTO subscriptions (openid, template_id, remaining, "
                        "accepted_total, updated_at) VALUES (?, ?, 1, 1, ?)",
                        "(openid, template_id)",
                        "remaining = remaining + 1, accepted_total = accepted_total + 1, "
                        "updated_at = excluded.updated_at"))
          .bind(1, openid)
          .bind(2, t)
          .bind(3, now)
          .run();
    }
    tx.commit();
    return read_subscriptions(db, openid);
  });
}

std::vector<Subscription> SqlStore::subscriptions(std::string_view openid) {
  return read(
      [&](Conn& db) -> std::vector<Subscription> { return read_subscriptions(db, openid); });
}

bool SqlStore::consume_subscription(std::string_view openid, std::string_view template_id,
                                    EpochMs now) {
  return write([&](Conn& db) -> bool {
    db.prepare(
          "UPDATE subscriptions SET remaining = remaining - 1, updated_at = ? WHERE openid = ? AND "
          "template_id = ? AND remaining > 0")
        .bind(1, now)
        .bind(2, openid)
        .bind(3, template_id)
        .run();
    return db.changes() == 1;
  });
}

void SqlStore::mark_subscription_spent(std::string_view openid, std::string_view template_id,
                                       EpochMs now) {
  return write([&](Conn& db) -> void {
    db.prepare(
          "UPDATE subscriptions SET remaining = 0, updated_at = ? WHERE openid = ? AND template_id "
          "= ?")
        .bind(1, now)
        .bind(2, openid)
        .bind(3, template_id)
        .run();
  });
}

std::optional<OrderRecord> SqlStore::get_order(std::string_view order_no) {
  return read([&](Conn& db) -> std::optional<OrderRecord> {
    auto o = find_any(db, order_no);
    if (o) load_details(db, *o);
    return o;
  });
}

OrderPage SqlStore::list_orders(const OrderFilter& f) {
  return read([&](Conn& db) -> OrderPage {
    const int fetch = f.limit + 1;
    std::vector<OrderRecord> rows;
    if (f.archived != ArchiveScope::kOnly) rows = run_list(db, f, kLive, fetch);
    if (f.archived != ArchiveScope::kExclude) {
      auto more = run_list(db, f, kArchive, fetch);
      std::vector<OrderRecord> merged;
      merged.reserve(rows.size() + more.size());
      std::merge(std::make_move_iterator(rows.begin()), std::make_move_iterator(rows.end()),
                 std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()),
                 std::back_inserter(merged), f.oldest_first ? older : newer);
      rows = std::move(merged);
    }
    OrderPage page;
    if (static_cast<int>(rows.size()) > f.limit) {
      rows.resize(static_cast<std::size_t>(f.limit));
      page.next = OrderCursor{rows.back().created_at, rows.back().id};
    }
    std::vector<OrderRecord*> live, archived;
    for (auto& r : rows) (r.archived ? archived : live).push_back(&r);
    load_shipments(db, live, kLive);
    load_shipments(db, archived, kArchive);
    page.items = std::move(rows);
    return page;
  });
}

std::vector<OrderRecord> SqlStore::get_orders(const std::vector<std::string>& order_nos) {
  return read([&](Conn& db) -> std::vector<OrderRecord> {
    std::vector<OrderRecord> out;
    for (const auto& no : order_nos) {
      if (auto o = find_any(db, no)) out.push_back(std::move(*o));
    }
    return out;
  });
}

int SqlStore::archive_batch(EpochMs finished_before, int batch) {
  return write([&](Conn& db) -> int {
    Transaction tx(db);
    db.exec(db.dialect() == Dialect::sqlite
                ? "CREATE TEMP TABLE IF NOT EXISTS archive_ids (id INTEGER PRIMARY KEY)"
                : "CREATE TEMPORARY TABLE IF NOT EXISTS archive_ids (id BIGINT NOT NULL PRIMARY "
                  "KEY)");
    db.prepare("DELETE FROM archive_ids").run();
    db.prepare(
          "INSERT INTO archive_ids (id) SELECT id FROM orders WHERE finished_at IS NOT NULL AND "
          "finished_at < ? ORDER BY finished_at LIMIT ?")
        .bind(1, finished_before)
        .bind(2, batch)
        .run();
    const int n = db.changes();
    if (n == 0) return 0;
    // Columns by name: orders_archive has archived_at before the columns added later.
    static const std::string copy = [] {
      std::string names(kOrderCols);
      for (std::size_t at; (at = names.find("o.")) != std::string::npos;) names.erase(at, 2);
      return fmt::format(
          "INSERT INTO orders_archive ({}, archived_at) SELECT {}, ? FROM orders o WHERE o.id IN "
          "(SELECT id FROM archive_ids)",
          names, kOrderCols);
    }();
    db.prepare(copy).bind(1, wall_ms()).run();
    db.prepare(
          "INSERT INTO order_events_archive SELECT * FROM order_events WHERE order_id IN (SELECT "
          "id "
          "FROM archive_ids)")
        .run();
    db.prepare(
          "INSERT INTO shipments_archive SELECT * FROM shipments WHERE order_id IN (SELECT id FROM "
          "archive_ids)")
        .run();
    db.prepare("DELETE FROM shipments WHERE order_id IN (SELECT id FROM archive_ids)").run();
    db.prepare("DELETE FROM order_events WHERE order_id IN (SELECT id FROM archive_ids)").run();
    db.prepare("DELETE FROM orders WHERE id IN (SELECT id FROM archive_ids)").run();
    tx.commit();
    return n;
  });
}

void SqlStore::import_orders(const std::vector<OrderRecord>& orders) {
  return write([&](Conn& db) -> void {
    Transaction tx(db);
    for (const auto& o : orders) {
      const auto id = insert_order_row(db, o, true);
      if (id == 0) continue;  // already there
      for (const auto& e : o.history) insert_event(db, kLive, id, e);
      for (const auto& sh : o.shipments) insert_shipment_row(db, id, o.created_at, sh);
    }
    tx.commit();
  });
}

std::int64_t SqlStore::count_orders(ArchiveScope scope) {
  return read([&](Conn& db) -> std::int64_t {
    std::int64_t n = 0;
    if (scope != ArchiveScope::kOnly) {
      auto s = db.prepare("SELECT COUNT(*) FROM orders");
      if (s.step()) n += s.i64(0);
    }
    if (scope != ArchiveScope::kExclude) {
      auto s = db.prepare("SELECT COUNT(*) FROM orders_archive");
      if (s.step()) n += s.i64(0);
    }
    return n;
  });
}

std::optional<MaskedFormsBatch> SqlStore::orders_without_masked_forms(bool archived, int limit) {
  const auto& t = archived ? kArchive : kLive;
  return read([&](Conn& db) -> std::optional<MaskedFormsBatch> {
    auto b = db.prepare("SELECT next_id, max_id FROM masked_forms_backlog WHERE tbl = ?");
    b.bind(1, t.orders);
    if (!b.step()) return std::nullopt;
    const auto next = b.i64(0), max = b.i64(1);
    if (next >= max) return std::nullopt;
    MaskedFormsBatch out;
    // By primary key from the saved position: one pass over the older rows in all.
    auto s = db.prepare(fmt::format(
        "SELECT id, name_sealed, phone_sealed FROM {} WHERE id > ? AND id <= ? AND (name_masked "
        "= '' OR phone_masked = '') ORDER BY id LIMIT ?",
        t.orders));
    s.bind(1, next).bind(2, max).bind(3, static_cast<std::int64_t>(limit));
    while (s.step()) out.rows.push_back({s.i64(0), s.text(1), s.text(2), {}, {}});
    out.more = static_cast<int>(out.rows.size()) == limit;
    out.done_to = out.more ? out.rows.back().id : max;
    return out;
  });
}

void SqlStore::set_masked_forms(bool archived, const std::vector<MaskedFormsRow>& rows,
                                std::int64_t done_to) {
  const auto& t = archived ? kArchive : kLive;
  write([&](Conn& db) -> void {
    Transaction tx(db);
    for (const auto& r : rows) {
      db.prepare(
            fmt::format("UPDATE {} SET name_masked = ?, phone_masked = ? WHERE id = ?", t.orders))
          .bind(1, r.name_masked)
          .bind(2, r.phone_masked)
          .bind(3, r.id)
          .run();
    }
    db.prepare("UPDATE masked_forms_backlog SET next_id = ? WHERE tbl = ? AND next_id < ?")
        .bind(1, done_to)
        .bind(2, t.orders)
        .bind(3, done_to)
        .run();
    tx.commit();
  });
}

std::vector<CarrierRecord> SqlStore::carriers() {
  return read([&](Conn& db) -> std::vector<CarrierRecord> {
    auto s = db.prepare(
        "SELECT code, name_zh, COALESCE(kdniao_code, ''), COALESCE(kuaidi100_code, ''), "
        "needs_phone, cold_chain, wechat_code FROM carriers ORDER BY cold_chain, code");
    std::vector<CarrierRecord> out;
    while (s.step())
      out.push_back(
          {s.text(0), s.text(1), s.text(2), s.text(3), s.i64(4) != 0, s.i64(5) != 0, s.text(6)});
    return out;
  });
}

bool SqlStore::upsert_carrier(const CarrierRecord& c, const AuditRecord& audit) {
  return write([&](Conn& db) -> bool {
    Transaction tx(db);
    bool existed;
    {
      auto s = db.prepare("SELECT 1 FROM carriers WHERE code = ?");
      s.bind(1, c.code);
      existed = s.step();
    }
    auto s = db.prepare(
        upsert(db.dialect(),
               "INSERT INTO carriers (code, name_zh, kdniao_code, kuaidi100_code, needs_phone, "
               "cold_chain, "
               "wechat_code) VALUES (?, ?, ?, ?, ?, ?, ?)",
               "(code)",
               "name_zh = excluded.name_zh, kdniao_code = excluded.kdniao_code, kuaidi100_code = "
               "excluded.kuaidi100_code, needs_phone = excluded.needs_phone, cold_chain = "
               "excluded.cold_chain, wechat_code = excluded.wechat_code"));
    s.bind(1, c.code).bind(2, c.name_zh);
    if (c.kdniao_code.empty())
      s.bind_null(3);
    else
      s.bind(3, c.kdniao_code);
    if (c.kuaidi100_code.empty())
      s.bind_null(4);
    else
      s.bind(4, c.kuaidi100_code);
    s.bind(5, c.needs_phone ? 1 : 0).bind(6, c.cold_chain ? 1 : 0).bind(7, c.wechat_code).run();
    insert_audit(db, audit);
    tx.commit();
    return !existed;
  });
}

std::vector<CategoryRecord> SqlStore::categories() {
  return read([&](Conn& db) -> std::vector<CategoryRecord> {
    auto s = db.prepare("SELECT code, name_zh, min_temp_c, max_temp_c FROM categories");
    std::vector<CategoryRecord> out;
    while (s.step()) {
      CategoryRecord c{s.text(0), s.text(1), std::nullopt, std::nullopt};
      if (!s.is_null(2)) c.min_temp_c = static_cast<int>(s.i64(2));
      if (!s.is_null(3)) c.max_temp_c = static_cast<int>(s.i64(3));
      out.push_back(std::move(c));
    }
    return out;
  });
}

void SqlStore::insert_api_key(const ApiKeyRecord& k, const AuditRecord& audit) {
  return write([&](Conn& db) -> void {
    Transaction tx(db);
    db.prepare(
          "INSERT INTO api_keys (\"key\", secret_sealed, role, name, created_at, revoked) VALUES "
          "(?, ?, ?, ?, ?, ?)")
        .bind(1, k.key)
        .bind_blob(2, k.secret_sealed)
        .bind(3, k.role)
        .bind(4, k.name)
        .bind(5, k.created_at)
        .bind(6, k.revoked ? 1 : 0)
        .run();
    insert_audit(db, audit);
    tx.commit();
  });
}

std::optional<ApiKeyRecord> SqlStore::find_api_key(std::string_view key) {
  return read([&](Conn& db) -> std::optional<ApiKeyRecord> {
    auto s = db.prepare(
        "SELECT \"key\", secret_sealed, role, name, created_at, revoked FROM api_keys WHERE "
        "\"key\" = ?");
    s.bind(1, key);
    if (!s.step()) return std::nullopt;
    return ApiKeyRecord{s.text(0), s.text(1), s.text(2), s.text(3), s.i64(4), s.i64(5) != 0};
  });
}

bool SqlStore::revoke_api_key(std::string_view key, const AuditRecord& audit) {
  return write([&](Conn& db) -> bool {
    Transaction tx(db);
    db.prepare("UPDATE api_keys SET revoked = 1 WHERE \"key\" = ?").bind(1, key).run();
    if (db.changes() == 0) return false;
    insert_audit(db, audit);
    tx.commit();
    return true;
  });
}

std::vector<ApiKeyRecord> SqlStore::list_api_keys() {
  return read([&](Conn& db) -> std::vector<ApiKeyRecord> {
    auto s = db.prepare(
        "SELECT \"key\", '', role, name, created_at, revoked FROM api_keys ORDER BY created_at");
    std::vector<ApiKeyRecord> out;
    while (s.step()) out.push_back({s.text(0), "", s.text(2), s.text(3), s.i64(4), s.i64(5) != 0});
    return out;
  });
}

void SqlStore::append_audit(const AuditRecord& record) {
  return write([&](Conn& db) -> void { insert_audit(db, record); });
}

AuditPage SqlStore::list_audit(const AuditFilter& f) {
  return read([&](Conn& db) -> AuditPage {
    std::string sql =
        "SELECT id, at, actor, role, action, target, request_id, client_addr, detail FROM "
        "audit_log WHERE 1";
    std::vector<std::variant<std::int64_t, std::string>> args;
    if (f.actor) sql += " AND actor = ?", args.emplace_back(*f.actor);
    if (f.target) sql += " AND target = ?", args.emplace_back(*f.target);
    if (f.action) sql += " AND action = ?", args.emplace_back(*f.action);
    if (f.from) sql += " AND at >= ?", args.emplace_back(*f.from);
    if (f.to) sql += " AND at < ?", args.emplace_back(*f.to);
    if (f.before_id) sql += " AND id < ?", args.emplace_back(*f.before_id);
    sql += " ORDER BY id DESC LIMIT ?";
    args.emplace_back(static_cast<std::int64_t>(f.limit + 1));
    auto s = db.prepare(sql);
    ListSql q{sql, args};
    bind_all(s, q);
    AuditPage page;
    while (s.step()) {
      page.items.push_back({s.i64(0), s.i64(1), s.text(2), s.text(3), s.text(4), s.text(5),
                            s.text(6), s.text(7), s.text(8)});
    }
    if (static_cast<int>(page.items.size()) > f.limit) {
      page.items.pop_back();
      page.next_before_id = page.items.back().id;
    }
    return page;
  });
}

std::optional<IdempotentResponse> SqlStore::find_idempotent(std::string_view scope_key) {
  return read([&](Conn& db) -> std::optional<IdempotentResponse> {
    auto s =
        db.prepare("SELECT request_hash, status, body FROM idempotency_keys WHERE \"key\" = ?");
    s.bind(1, scope_key);
    if (!s.step()) return std::nullopt;
    return IdempotentResponse{s.text(0), static_cast<int>(s.i64(1)), s.text(2)};
  });
}

void SqlStore::save_idempotent(std::string_view scope_key, const IdempotentResponse& r,
                               EpochMs now) {
  return write([&](Conn& db) -> void {
    db.prepare(insert_ignore(db.dialect(),
                             "INSERT INTO idempotency_keys (\"key\", request_hash, status, body, "
                             "created_at) VALUES (?, ?, ?, ?, ?)",
                             "(\"key\")"))
        .bind(1, scope_key)
        .bind(2, r.request_hash)
        .bind(3, r.status)
        .bind(4, r.body)
        .bind(5, now)
        .run();
  });
}

int SqlStore::purge_idempotent(EpochMs before) {
  return write([&](Conn& db) -> int {
    db.prepare("DELETE FROM idempotency_keys WHERE created_at < ?").bind(1, before).run();
    return db.changes();
  });
}

TrackingApplied SqlStore::apply_tracking(const TrackingUpdate& u) {
  return write([&](Conn& db) -> TrackingApplied {
    Transaction tx(db);
    struct Row {
      std::int64_t shipment_id, order_id;
      std::string order_no;
      OrderStatus order_status;
      EpochMs order_created_at;
      bool tracked;
      std::string status, reason;
      std::optional<EpochMs> last_event_at;
      std::int64_t trace_count;
    };
    std::vector<Row> rows;
    {
      auto s = db.prepare(
          "SELECT s.id, s.order_id, o.order_no, o.status, o.created_at, t.status, t.reason, "
          "t.last_event_at, t.trace_count FROM shipments s JOIN orders o ON o.id = s.order_id "
          "LEFT JOIN shipment_tracking t ON t.shipment_id = s.id "
          "WHERE s.waybill_no = ? AND (s.carrier = ? OR s.carrier IN (SELECT code FROM carriers "
          "WHERE (? = 'kdniao' AND kdniao_code = ?) OR (? = 'kuaidi100' AND kuaidi100_code = ?))) "
          "ORDER BY s.id");
      s.bind(1, u.waybill_no).bind(2, u.carrier).bind(3, u.provider).bind(4, u.provider_carrier);
      s.bind(5, u.provider).bind(6, u.provider_carrier);
      while (s.step()) {
        rows.push_back({s.i64(0), s.i64(1), s.text(2), status_of(s.text(3)), s.i64(4),
                        !s.is_null(5), s.text(5), s.text(6), s.opt_i64(7), s.i64(8)});
      }
    }
    TrackingApplied out;
    out.shipments = static_cast<int>(rows.size());
    for (const auto& r : rows)
      if (std::find(out.order_nos.begin(), out.order_nos.end(), r.order_no) == out.order_nos.end())
        out.order_nos.push_back(r.order_no);
    for (const auto& r : rows) {
      if (r.tracked &&
          !carriers::newer_than(u.newest_event_at, static_cast<std::size_t>(u.trace_count),
                                r.last_event_at, static_cast<std::size_t>(r.trace_count))) {
        // A duplicate or older snapshot: we still heard from the carrier.
        db.prepare("UPDATE shipment_tracking SET heard_at = ? WHERE shipment_id = ?")
            .bind(1, u.now)
            .bind(2, r.shipment_id)
            .run();
        continue;
      }
      ++out.applied;
      // An unknown provider code never invents progress: keep the previous unified status.
      const std::string status = !u.status.empty() ? u.status : r.tracked ? r.status : "NO_INFO";
      const std::string reason = !u.status.empty() ? u.reason : r.reason;
      // status_at first: MariaDB applies the assignments in order and it compares the old
      // status and reason.
      db
          .prepare(upsert(
              db.dialect(),
              "INSERT INTO shipment_tracking (shipment_id, provider, status, reason, raw_state, "
              "raw_substate, location, last_event_at, trace_count, traces_json, raw_payload, "
              "heard_at, "
              "updated_at, status_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
              "(shipment_id)",
              "status_at = CASE WHEN status != excluded.status OR reason "
              "!= excluded.reason THEN excluded.status_at ELSE status_at END, "
              "provider = excluded.provider, status = excluded.status, reason = "
              "excluded.reason, raw_state = excluded.raw_state, raw_substate = "
              "excluded.raw_substate, "
              "location = excluded.location, last_event_at = excluded.last_event_at, trace_count = "
              "excluded.trace_count, traces_json = excluded.traces_json, raw_payload = "
              "excluded.raw_payload, heard_at = excluded.heard_at, updated_at = "
              "excluded.updated_at"))
          .bind(1, r.shipment_id)
          .bind(2, u.provider)
          .bind(3, status)
          .bind(4, reason)
          .bind(5, u.raw_state)
          .bind(6, u.raw_substate)
          .bind(7, u.location)
          .bind(8, u.newest_event_at)
          .bind(9, u.trace_count)
          .bind(10, u.traces_json)
          .bind(11, u.raw_payload)
          .bind(12, u.now)
          .bind(13, u.now)
          .bind(14, std::max(u.newest_event_at.value_or(u.now), r.order_created_at))
          .run();
      out.shipment_ids.push_back(r.shipment_id);
      const EpochMs event_at = std::max(u.newest_event_at.value_or(u.now), r.order_created_at);
      if (!r.tracked || r.status != status || r.reason != reason) {
        auto ev = db.prepare(
            "INSERT INTO tracking_events (shipment_id, status, reason, from_status, at, "
            "recorded_at, provider) VALUES (?, ?, ?, ?, ?, ?, ?)");
        ev.bind(1, r.shipment_id).bind(2, status).bind(3, reason);
        if (r.tracked) {
          ev.bind(4, r.status);
        } else {
          ev.bind_null(4);
        }
        ev.bind(5, event_at).bind(6, u.now).bind(7, u.provider).run();
        const auto event_id = db.last_insert_id();
        ++out.status_changes;
        insert_outbox(
            db, "tracking.status_changed", fmt::format("tracking.status:{}", event_id),
            fmt::format(R"({{"order_no":"{}","carrier":"{}","waybill_no":"{}","status":"{}",)"
                        R"("reason":"{}","at":{}}})",
                        r.order_no, u.carrier, u.waybill_no, status, reason, event_at),
            u.now);
      }
      if (!u.order_target || u.status.empty()) continue;
      auto target = *u.order_target;
      if (target == OrderStatus::kDelivered) {
        // The order is delivered when every parcel is.
        auto s = db.prepare(
            "SELECT COUNT(*) FROM shipments s LEFT JOIN shipment_tracking t ON t.shipment_id = "
            "s.id "
            "WHERE s.order_id = ? AND (t.status IS NULL OR t.status != 'DELIVERED')");
        s.bind(1, r.order_id);
        if (s.step() && s.i64(0) > 0) target = OrderStatus::kInTransit;
      }
      auto current = find_in(db, kLive, r.order_no);  // re-read: an earlier row may have moved it
      if (current && domain::can_transition(current->status, target)) {
        apply_transition(db, *current, target, event_at, u.now, "carrier:" + u.provider,
                         fmt::format("{} {} {}", u.carrier, u.waybill_no, status));
        ++out.order_changes;
      }
    }
    tx.commit();
    return out;
  });
}

namespace {

constexpr std::string_view kPollTargetSelect =
    "SELECT s.id, o.order_no, s.carrier, COALESCE(c.kdniao_code, ''), "
    "COALESCE(c.kuaidi100_code, ''), s.waybill_no, o.phone_sealed, s.created_at, p.provider, "
    "p.subscribed, p.next_poll_at, p.last_query_at, p.failures, t.status, t.heard_at "
    "FROM shipment_polling p JOIN shipments s ON s.id = p.shipment_id "
    "JOIN orders o ON o.id = s.order_id LEFT JOIN carriers c ON c.code = s.carrier "
    "LEFT JOIN shipment_tracking t ON t.shipment_id = s.id ";

// Columns profile, readings, thaw_risk, worst, mkt_c, summary_json, updated_at from `first`.
std::optional<ColdChainRecord> read_cold_chain(const Stmt& s, int first, std::int64_t shipment_id) {
  if (s.is_null(first)) return std::nullopt;
  ColdChainRecord k;
  k.shipment_id = shipment_id;
  k.profile = s.text(first);
  k.readings = s.i64(first + 1);
  k.thaw_risk = s.text(first + 2);
  k.worst = s.text(first + 3);
  if (!s.is_null(first + 4)) k.mkt_c = s.f64(first + 4);
  k.summary_json = s.text(first + 5);
  k.updated_at = s.i64(first + 6);
  return k;
}

PollTarget read_poll_target(const Stmt& s) {
  PollTarget t;
  t.shipment_id = s.i64(0);
  t.order_no = s.text(1);
  t.carrier = s.text(2);
  t.kdniao_code = s.text(3);
  t.kuaidi100_code = s.text(4);
  t.waybill_no = s.text(5);
  t.phone_sealed = s.text(6);
  t.shipped_at = s.i64(7);
  t.provider = s.text(8);
  t.subscribed = s.i64(9) != 0;
  t.next_poll_at = s.opt_i64(10);
  t.last_query_at = s.opt_i64(11);
  t.failures = static_cast<int>(s.i64(12));
  t.tracked = !s.is_null(13);
  t.status = s.text(13);
  t.heard_at = s.opt_i64(14);
  return t;
}

}  // namespace

// How long a due shipment stays claimed by the replica that selected it: longer than a batch of
// polls takes, short against the polling intervals (hours), so a crashed poller costs little.
constexpr EpochMs kPollClaimMs = 5 * 60'000;

std::vector<PollTarget> SqlStore::due_shipments(EpochMs now, int limit) {
  const std::string select = std::string(kPollTargetSelect) +
                             "WHERE p.next_poll_at IS NOT NULL AND p.next_poll_at <= ? "
                             "ORDER BY p.next_poll_at LIMIT ?";
  // Most ticks find nothing due: answer those from a reader, without the write lock.
  const bool any_due = read([&](Conn& db) {
    auto s = db.prepare(select);
    s.bind(1, now).bind(2, 1);
    return s.step();
  });
  if (!any_due) return {};
  return write([&](Conn& db) -> std::vector<PollTarget> {
    // Select and claim in one write transaction, so two replicas never poll the same shipment.
    Transaction tx(db);
    std::vector<PollTarget> out;
    {
      auto s = db.prepare(select);
      s.bind(1, now).bind(2, limit);
      while (s.step()) out.push_back(read_poll_target(s));
    }
    for (const auto& t : out)
      db.prepare("UPDATE shipment_polling SET next_poll_at = ? WHERE shipment_id = ?")
          .bind(1, now + kPollClaimMs)
          .bind(2, t.shipment_id)
          .run();
    tx.commit();
    return out;
  });
}

std::optional<PollTarget> SqlStore::poll_target(std::string_view order_no, std::string_view carrier,
                                                std::string_view waybill_no) {
  return read([&](Conn& db) -> std::optional<PollTarget> {
    auto s = db.prepare(std::string(kPollTargetSelect) +
                        "WHERE o.order_no = ? AND s.carrier = ? AND s.waybill_no = ?");
    s.bind(1, order_no).bind(2, carrier).bind(3, waybill_no);
    if (!s.step()) return std::nullopt;
    return read_poll_target(s);
  });
}

void SqlStore::update_polling(std::int64_t shipment_id, const PollUpdate& u) {
  return write([&](Conn& db) -> void {
    db.prepare(
          "UPDATE shipment_polling SET provider = ?, subscribed = ?, next_poll_at = ?, "
          "last_query_at = ?, failures = ?, last_error = ?, last_response = ? WHERE shipment_id = "
          "?")
        .bind(1, u.provider)
        .bind(2, u.subscribed ? 1 : 0)
        .bind(3, u.next_poll_at)
        .bind(4, u.last_query_at)
        .bind(5, u.failures)
        .bind(6, u.last_error)
        .bind(7, u.last_response)
        .bind(8, shipment_id)
        .run();
  });
}

int SqlStore::reassign_carrier(std::string_view provider, std::string_view waybill_no,
                               std::string_view old_code, std::string_view new_code,
                               const AuditRecord& audit) {
  return write([&](Conn& db) -> int {
    std::string_view column;
    if (provider == "kdniao") {
      column = "kdniao_code";
    } else if (provider == "kuaidi100") {
      column = "kuaidi100_code";
    } else {
      return 0;
    }
    Transaction tx(db);
    std::string target;
    {
      auto s = db.prepare(fmt::format(
          "SELECT code FROM carriers WHERE {} = ? ORDER BY cold_chain LIMIT 1", column));
      s.bind(1, new_code);
      if (!s.step()) return 0;
      target = s.text(0);
    }
    db.prepare(fmt::format(
                   "UPDATE shipments SET carrier = ? WHERE waybill_no = ? AND carrier != ? AND "
                   "carrier IN (SELECT code FROM carriers WHERE {} = ?) AND order_id IN (SELECT id "
                   "FROM orders)",
                   column))
        .bind(1, target)
        .bind(2, waybill_no)
        .bind(3, target)
        .bind(4, old_code)
        .run();
    const int n = db.changes();
    if (n > 0) insert_audit(db, audit);
    tx.commit();
    return n;
  });
}

std::vector<OutboxMessage> SqlStore::claim_outbox(std::string_view topic, EpochMs now, int limit,
                                                  EpochMs lease_ms) {
  return claim_outbox_where(topic, now, std::nullopt, limit, lease_ms);
}

std::vector<OutboxMessage> SqlStore::claim_outbox_created_before(std::string_view topic,
                                                                 EpochMs now,
                                                                 EpochMs created_before, int limit,
                                                                 EpochMs lease_ms) {
  return claim_outbox_where(topic, now, created_before, limit, lease_ms);
}

std::vector<OutboxMessage> SqlStore::claim_outbox_where(std::string_view topic, EpochMs now,
                                                        std::optional<EpochMs> created_before,
                                                        int limit, EpochMs lease_ms) {
  return write([&](Conn& db) -> std::vector<OutboxMessage> {
    Transaction tx(db);
    std::vector<OutboxMessage> out;
    {
      auto s = db.prepare(
          created_before
              ? "SELECT id, topic, msg_key, payload, attempts FROM outbox WHERE done_at IS NULL "
                "AND available_at <= ? AND topic = ? AND created_at <= ? ORDER BY available_at "
                "LIMIT ?"
              : "SELECT id, topic, msg_key, payload, attempts FROM outbox WHERE done_at IS NULL "
                "AND available_at <= ? AND topic = ? ORDER BY available_at LIMIT ?");
      s.bind(1, now).bind(2, topic);
      if (created_before)
        s.bind(3, *created_before).bind(4, limit);
      else
        s.bind(3, limit);
      while (s.step())
        out.push_back({s.i64(0), s.text(1), s.text(2), s.text(3), static_cast<int>(s.i64(4))});
    }
    for (auto& m : out) {
      db.prepare("UPDATE outbox SET available_at = ?, attempts = attempts + 1 WHERE id = ?")
          .bind(1, now + lease_ms)
          .bind(2, m.id)
          .run();
      ++m.attempts;
    }
    tx.commit();
    return out;
  });
}

void SqlStore::complete_outbox(std::int64_t id, EpochMs now) {
  return write([&](Conn& db) -> void {
    db.prepare("UPDATE outbox SET done_at = ? WHERE id = ?").bind(1, now).bind(2, id).run();
  });
}

void SqlStore::retry_outbox(std::int64_t id, EpochMs available_at) {
  return write([&](Conn& db) -> void {
    db.prepare("UPDATE outbox SET available_at = ? WHERE id = ?")
        .bind(1, available_at)
        .bind(2, id)
        .run();
  });
}

std::optional<std::vector<TrackingRecord>> SqlStore::order_tracking(std::string_view order_no) {
  return read([&](Conn& db) -> std::optional<std::vector<TrackingRecord>> {
    auto o = find_any(db, order_no);
    if (!o) return std::nullopt;
    const Tables& t = o->archived ? kArchive : kLive;
    auto s = db.prepare(fmt::format(
        "SELECT s.id, s.carrier, COALESCE(c.name_zh, s.carrier), s.waybill_no, t.provider, "
        "t.status, t.reason, t.raw_state, t.raw_substate, t.location, t.last_event_at, "
        "t.trace_count, t.traces_json, t.raw_payload, t.heard_at, t.status_at, s.created_at, "
        "s.origin_city, s.service, s.temp_class, k.profile, k.readings, k.thaw_risk, k.worst, "
        "k.mkt_c, k.summary_json, k.updated_at FROM {} s LEFT JOIN carriers c ON c.code = "
        "s.carrier LEFT JOIN shipment_tracking t ON t.shipment_id = s.id LEFT JOIN "
        "shipment_coldchain k ON k.shipment_id = s.id WHERE s.order_id = ? ORDER BY s.id",
        t.shipments));
    s.bind(1, o->id);
    std::vector<TrackingRecord> out;
    while (s.step()) {
      TrackingRecord r;
      r.shipment_id = s.i64(0);
      r.order_no = o->order_no;
      r.carrier = s.text(1);
      r.carrier_name = s.text(2);
      r.waybill_no = s.text(3);
      r.tracked = !s.is_null(5);
      if (r.tracked) {
        r.provider = s.text(4);
        r.status = s.text(5);
        r.reason = s.text(6);
        r.raw_state = s.text(7);
        r.raw_substate = s.text(8);
        r.location = s.text(9);
        r.last_event_at = s.opt_i64(10);
        r.trace_count = s.i64(11);
        r.traces_json = s.text(12);
        r.raw_payload = s.text(13);
        r.heard_at = s.opt_i64(14);
        r.status_at = s.opt_i64(15);
      }
      r.shipped_at = s.i64(16);
      r.origin_city = s.text(17);
      r.service = s.text(18);
      r.temp_class = s.text(19);
      r.dest_city = o->city;
      r.archived = o->archived;
      r.cold_chain = read_cold_chain(s, 20, r.shipment_id);
      out.push_back(std::move(r));
    }
    return out;
  });
}

std::optional<std::string> SqlStore::carrier_for_provider_code(std::string_view provider,
                                                               std::string_view code) {
  return read([&](Conn& db) -> std::optional<std::string> {
    std::string_view column;
    if (provider == "kdniao") {
      column = "kdniao_code";
    } else if (provider == "kuaidi100") {
      column = "kuaidi100_code";
    } else if (provider == "cainiao") {
      column = "code";  // Cainiao's cpCode is the canonical code in the placeholder mapping
    } else {
      return std::nullopt;
    }
    auto s = db.prepare(
        fmt::format("SELECT code FROM carriers WHERE {} = ? ORDER BY cold_chain LIMIT 1", column));
    s.bind(1, code);
    if (!s.step()) return std::nullopt;
    return s.text(0);
  });
}

bool SqlStore::ping() {
  try {
    return engine_->ping();
  } catch (const std::exception& e) {
    spdlog::warn("store ping failed: {}", e.what());
    return false;
  }
}

std::vector<std::string> SqlStore::explain_list(const OrderFilter& f) {
  return read([&](Conn& db) {
    const auto q = build_list_sql(f, kLive, f.limit + 1);
    return explain(db, q.text, [&](Stmt& s) { bind_all(s, q); });
  });
}

}  // namespace coldtrack::store::sql

namespace coldtrack::store::sql {
namespace {

int applied_version(Conn& db) {
  auto s = db.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  return s.step() ? static_cast<int>(s.i64(0)) : 0;
}

void apply(Conn& db, const Migration& m) {
  db.exec(m.sql);
  db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
      .bind(1, m.version)
      .bind(2, m.name)
      .bind(3, wall_ms())
      .run();
  spdlog::info("applied migration {} ({})", m.version, m.name);
}

}  // namespace

SqlStore::~SqlStore() {
  close();
}

void SqlStore::close() {
  if (engine_) engine_->close();
}

void SqlStore::migrate(std::span<const Migration> steps) {
  if (dialect() == Dialect::sqlite) {
    write([&](Conn& db) {
      db.exec(
          "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT "
          "NOT NULL, applied_at INTEGER NOT NULL)");
      for (const auto& m : steps) {
        // The version is read inside the write transaction: another process starting on the
        // same file at the same moment may have applied this migration already.
        Transaction tx(db);
        if (m.version <= applied_version(db)) continue;
        apply(db, m);
        tx.commit();
      }
    });
    return;
  }
  // MariaDB commits every DDL statement implicitly, so a transaction cannot tie the version
  // check to the change: a named server lock makes replicas starting together take turns.
  write([&](Conn& db) {
    db.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INT PRIMARY KEY, name "
        "VARCHAR(100) NOT NULL, applied_at BIGINT NOT NULL) ENGINE=InnoDB");
    {
      auto s = db.prepare("SELECT GET_LOCK('coldtrack.migrate', 120)");
      if (!s.step() || s.is_null(0) || s.i64(0) != 1)
        throw Error("another process held the migration lock for 120 s", 0);
    }
    try {
      for (const auto& m : steps)
        if (m.version > applied_version(db)) apply(db, m);
    } catch (...) {
      db.prepare("SELECT RELEASE_LOCK('coldtrack.migrate')").run();
      throw;
    }
    db.prepare("SELECT RELEASE_LOCK('coldtrack.migrate')").run();
  });
}

int SqlStore::schema_version() {
  return read([](Conn& db) { return applied_version(db); });
}

std::vector<std::string> explain(Conn& db, const std::string& query,
                                 const std::function<void(Stmt&)>& bind) {
  std::vector<std::string> out;
  if (db.dialect() == Dialect::sqlite) {
    auto s = db.prepare("EXPLAIN QUERY PLAN " + query);
    bind(s);
    while (s.step()) out.push_back(s.text(3));
    return out;
  }
  // EXPLAIN columns: id, select_type, table, type, possible_keys, key, key_len, ref, rows, Extra.
  auto s = db.prepare("EXPLAIN " + query);
  bind(s);
  while (s.step())
    out.push_back(fmt::format("{} {} key={} {}", s.text(2), s.text(3), s.text(5), s.text(9)));
  return out;
}

}  // namespace coldtrack::store::sql
