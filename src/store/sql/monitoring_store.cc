// SqlStore: anomalies, temperature readings and the inputs of the monitoring rules.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <variant>

#include "store/sql/conn.h"
#include "store/sql/dialect.h"
#include "store/sql/sql_store.h"
#include "store/sql/writes.h"

namespace coldtrack::store::sql {
namespace {

std::vector<std::string> split_kinds(const std::string& csv) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < csv.size()) {
    auto end = csv.find(',', start);
    if (end == std::string::npos) end = csv.size();
    if (end > start) out.push_back(csv.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// CROSS JOIN (SQLite) and STRAIGHT_JOIN (MariaDB) fix the join order: a sweep pages through
// shipments by id in one pass. Left to the planner, it drives from orders_by_status and sorts every
// page, which is quadratic over a million active shipments.
std::string watch_select(Dialect d) {
  return std::string(
             "SELECT s.id, o.order_no, o.status, s.carrier, s.origin_city, o.city, s.service, "
             "s.temp_class, s.created_at, t.status, t.reason, t.status_at, t.last_event_at, "
             "t.heard_at, t.updated_at, (SELECT group_concat(a.kind || ':' || a.severity || ':' "
             "|| a.reason) FROM anomalies a WHERE a.subject = 'shipment:' || s.id AND a.state != "
             "'resolved') FROM shipments s ") +
         (d == Dialect::sqlite ? "CROSS JOIN" : "STRAIGHT_JOIN") +
         " orders o ON o.id = s.order_id LEFT JOIN shipment_tracking t ON t.shipment_id = s.id ";
}

ShipmentWatch read_watch(const Stmt& s) {
  ShipmentWatch w;
  w.shipment_id = s.i64(0);
  w.order_no = s.text(1);
  w.order_status = domain::parse_status(s.text(2)).value_or(domain::OrderStatus::kShipped);
  w.carrier = s.text(3);
  w.origin_city = s.text(4);
  w.dest_city = s.text(5);
  w.service = s.text(6);
  w.temp_class = s.text(7);
  w.shipped_at = s.i64(8);
  w.tracked = !s.is_null(9);
  w.status = s.text(9);
  w.reason = s.text(10);
  w.status_at = s.opt_i64(11);
  w.last_event_at = s.opt_i64(12);
  w.heard_at = s.opt_i64(13);
  w.received_at = s.opt_i64(14);
  w.open_states = split_kinds(s.text(15));
  for (const auto& state : w.open_states) w.open_kinds.push_back(state.substr(0, state.find(':')));
  return w;
}

constexpr std::string_view kAnomalyCols =
    "id, kind, subject, order_no, shipment_id, carrier, severity, reason, evidence, state, "
    "opened_at, updated_at, acknowledged_at, acknowledged_by, resolved_at, resolved_by, "
    "resolution";

AnomalyRecord read_anomaly(const Stmt& s) {
  AnomalyRecord a;
  a.id = s.i64(0);
  a.kind = s.text(1);
  a.subject = s.text(2);
  a.order_no = s.text(3);
  a.shipment_id = s.opt_i64(4);
  a.carrier = s.text(5);
  a.severity = s.text(6);
  a.reason = s.text(7);
  a.evidence = s.text(8);
  a.state = s.text(9);
  a.opened_at = s.i64(10);
  a.updated_at = s.i64(11);
  a.acknowledged_at = s.opt_i64(12);
  a.acknowledged_by = s.text(13);
  a.resolved_at = s.opt_i64(14);
  a.resolved_by = s.text(15);
  a.resolution = s.text(16);
  return a;
}

std::optional<AnomalyRecord> find_anomaly(Conn& db, std::int64_t id) {
  auto s = db.prepare(fmt::format("SELECT {} FROM anomalies WHERE id = ?", kAnomalyCols));
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_anomaly(s);
}

// Kinds, severities and reasons are fixed codes and order numbers are [A-Za-z0-9_-]: no
// escaping needed.
int severity_rank(std::string_view s) {
  if (s == "warning") return 1;
  if (s == "major") return 2;
  if (s == "critical") return 3;
  return 0;
}

// True when staff resolved this subject's anomaly of the finding's kind recently, for the same
// reason at the same or a higher severity.
bool quieted_by_staff(Conn& db, const SubjectCheck& c, const AnomalyFinding& f, EpochMs now) {
  auto s = db.prepare(
      "SELECT severity, reason, resolved_at, resolved_by FROM anomalies WHERE subject = ? AND "
      "kind = ? AND state = 'resolved' ORDER BY id DESC LIMIT 1");
  s.bind(1, c.subject).bind(2, f.kind);
  if (!s.step()) return false;
  if (s.text(3) == "system:monitor") return false;  // cleared by itself: raise again
  return s.text(1) == f.reason && severity_rank(f.severity) <= severity_rank(s.text(0)) &&
         s.i64(2) + c.quiet_after_manual_ms > now;
}

std::string anomaly_payload(const AnomalyRecord& a) {
  return fmt::format(
      R"({{"id":{},"kind":"{}","order_no":"{}","shipment_id":{},"carrier":"{}","severity":"{}",)"
      R"("reason":"{}","state":"{}"}})",
      a.id, a.kind, a.order_no, a.shipment_id ? std::to_string(*a.shipment_id) : "null", a.carrier,
      a.severity, a.reason, a.state);
}

}  // namespace

namespace {
constexpr std::string_view kActiveWhere =
    "WHERE s.id > ? AND o.status IN ('SHIPPED', 'IN_TRANSIT', 'EXCEPTION') "
    "AND (t.status IS NULL OR t.status NOT IN ('DELIVERED', 'RETURNED')) "
    "ORDER BY s.id LIMIT ?";
}  // namespace

std::vector<std::string> SqlStore::explain_active_shipments() {
  return read([&](Conn& db) {
    return explain(db, watch_select(db.dialect()) + std::string(kActiveWhere),
                   [](Stmt& s) { s.bind(1, 0).bind(2, 1000); });
  });
}

std::vector<ShipmentWatch> SqlStore::active_shipments(std::int64_t after_id, int limit) {
  return read([&](Conn& db) -> std::vector<ShipmentWatch> {
    auto s = db.prepare(watch_select(db.dialect()) + std::string(kActiveWhere));
    s.bind(1, after_id).bind(2, limit);
    std::vector<ShipmentWatch> out;
    while (s.step()) out.push_back(read_watch(s));
    return out;
  });
}

std::vector<ShipmentWatch> SqlStore::watch_shipments(const std::vector<std::int64_t>& ids) {
  return read([&](Conn& db) -> std::vector<ShipmentWatch> {
    std::vector<ShipmentWatch> out;
    if (ids.empty()) return out;
    auto s = db.prepare(watch_select(db.dialect()) + "WHERE s.id = ?");
    for (auto id : ids) {
      s.bind(1, id);
      if (s.step()) out.push_back(read_watch(s));
      s.reset();
    }
    return out;
  });
}

std::vector<UnshippedOrder> SqlStore::unshipped_orders(EpochMs paid_before, std::int64_t& after_id,
                                                       int limit) {
  return read([&](Conn& db) -> std::vector<UnshippedOrder> {
    auto s = db.prepare(
        "SELECT o.id, o.order_no, (SELECT MAX(e.at) FROM order_events e WHERE e.order_id = o.id "
        "AND e.status = 'PAID') AS paid_at, (SELECT group_concat(a.kind) FROM anomalies a WHERE "
        "a.subject = 'order:' || o.order_no AND a.state != 'resolved'), CASE "
        "WHEN o.items_json LIKE '%\"category\":\"frozen\"%' THEN 'frozen' "
        "WHEN o.items_json LIKE '%\"category\":\"chilled\"%' THEN 'chilled' ELSE 'ambient' END "
        "FROM orders o "
        "WHERE o.status = 'PAID' AND o.id > ? ORDER BY o.id LIMIT ?");
    s.bind(1, after_id).bind(2, limit);
    std::vector<UnshippedOrder> out;
    while (s.step()) {
      after_id = s.i64(0);
      const auto paid_at = s.opt_i64(2).value_or(0);
      auto kinds = split_kinds(s.text(3));
      if (paid_at >= paid_before && kinds.empty()) continue;
      out.push_back(UnshippedOrder{s.text(1), paid_at, std::move(kinds), s.text(4)});
    }
    return out;
  });
}

namespace {

struct HistoryTables {
  const char* orders;
  const char* events;
  const char* shipments;
};
// Live first: an order archived while the scan runs is then read twice rather than missed.
constexpr HistoryTables kHistoryTables[] = {
    {"orders", "order_events", "shipments"},
    {"orders_archive", "order_events_archive", "shipments_archive"},
};

// The last shipment id of the chunk of `chunk` shipments after the one bound at ?1.
std::string chunk_end_query(const HistoryTables& t) {
  return fmt::format("SELECT MAX(id) FROM (SELECT id FROM {} WHERE id > ? ORDER BY id LIMIT ?) c",
                     t.shipments);
}

// Delivered shipments with ids in (?1, ?2], their order's DELIVERED event in [?3, ?4). The
// join order is fixed (as in watch_select) so a chunk is a primary-key range of shipments,
// never a scan of all events. The carrier's delivery time when we tracked it, else the
// order's DELIVERED time.
std::string delivered_chunk_query(Dialect d, const HistoryTables& t) {
  const char* join = d == Dialect::sqlite ? "CROSS JOIN" : "STRAIGHT_JOIN";
  return fmt::format(
      "SELECT s.origin_city, o.city, s.carrier, s.service, s.created_at, COALESCE((SELECT "
      "MIN(d.at) FROM tracking_events d WHERE d.shipment_id = s.id AND d.status = 'DELIVERED'), "
      "ev.at), (SELECT MIN(f.at) FROM tracking_events f WHERE f.shipment_id = s.id AND f.status "
      "= 'OUT_FOR_DELIVERY') FROM {} s {} {} o ON o.id = s.order_id {} {} ev ON ev.order_id = "
      "o.id WHERE s.id > ? AND s.id <= ? AND ev.status = 'DELIVERED' AND ev.at >= ? AND ev.at < ?",
      t.shipments, join, t.orders, join, t.events);
}

}  // namespace

std::vector<std::string> SqlStore::explain_delivered_chunk() {
  return read([&](Conn& db) {
    return explain(db, delivered_chunk_query(db.dialect(), kHistoryTables[0]), [](Stmt& s) {
      s.bind(1, 0).bind(2, 10'000).bind(3, 0).bind(4, std::int64_t{1} << 62);
    });
  });
}

void SqlStore::scan_delivered_shipments(const DeliveredScan& scan,
                                        const std::function<void(const DeliveredShipment&)>& fn) {
  const int chunk = std::max(scan.chunk, 1);
  std::vector<DeliveredShipment> rows;  // one chunk, reused
  for (const auto& tables : kHistoryTables) {
    std::int64_t after = 0;
    bool more = true;
    while (more) {
      read([&](Conn& db) {
        rows.clear();  // a retried read starts over
        auto end = db.prepare(chunk_end_query(tables));
        end.bind(1, after).bind(2, chunk);
        if (!end.step() || end.is_null(0)) {
          more = false;
          return;
        }
        const std::int64_t last = end.i64(0);
        auto s = db.prepare(delivered_chunk_query(db.dialect(), tables));
        s.bind(1, after).bind(2, last).bind(3, scan.since).bind(4, scan.until);
        while (s.step()) {
          DeliveredShipment d;
          d.origin_city = s.text(0);
          d.dest_city = s.text(1);
          d.carrier = s.text(2);
          d.service = s.text(3);
          d.shipped_at = s.i64(4);
          d.delivered_at = s.i64(5);
          d.out_for_delivery_at = s.opt_i64(6);
          if (d.delivered_at > d.shipped_at) rows.push_back(std::move(d));
        }
        after = last;
      });
      // Outside the read: the caller's work never holds a store connection.
      for (const auto& d : rows) fn(d);
    }
  }
}

namespace {

// The subject's anomalies that are not resolved, by kind (at most one per kind).
std::map<std::string, AnomalyRecord> unresolved_anomalies(Conn& db, const std::string& subject) {
  std::map<std::string, AnomalyRecord> open;
  auto s = db.prepare(fmt::format(
      "SELECT {} FROM anomalies WHERE subject = ? AND state != 'resolved'", kAnomalyCols));
  s.bind(1, subject);
  while (s.step()) {
    auto a = read_anomaly(s);
    open.emplace(a.kind, std::move(a));
  }
  return open;
}

// True when reconciling `c` against the subject's unresolved anomalies `open` (by kind) would
// change nothing: every finding is already open with the same severity and reason, and no open
// anomaly of a checked kind is left to resolve. A finding without an open anomaly counts as a
// change (whether staff quieted it is decided inside the write).
bool unchanged(const SubjectCheck& c, std::map<std::string, AnomalyRecord> open) {
  for (const auto& f : c.findings) {  // the same walk as the write below
    auto it = open.find(f.kind);
    if (it == open.end() || it->second.severity != f.severity || it->second.reason != f.reason)
      return false;
    open.erase(it);
  }
  for (const auto& [kind, a] : open)
    if (std::find(c.kinds.begin(), c.kinds.end(), kind) != c.kinds.end()) return false;
  return true;
}

}  // namespace

ReconcileResult SqlStore::reconcile_anomalies(const std::vector<SubjectCheck>& checks,
                                              EpochMs now) {
  if (checks.empty()) return {};
  // Most checks find what is already recorded (a parcel in transit, still fine). Sorting those
  // out with a read keeps them off the single writer: the check after every carrier snapshot
  // was a third of the ingest CPU when it always entered a write transaction. The write reads
  // again for the subjects it takes; an anomaly another replica records in between for a
  // subject left out is reconciled by that subject's next check, as if it had come a moment
  // later.
  std::vector<const SubjectCheck*> changed;
  read([&](Conn& db) {
    changed.clear();
    for (const auto& c : checks)
      if (!unchanged(c, unresolved_anomalies(db, c.subject))) changed.push_back(&c);
  });
  if (changed.empty()) return {};
  return write([&](Conn& db) -> ReconcileResult {
    ReconcileResult out;
    Transaction tx(db);
    for (const SubjectCheck* check : changed) {
      const auto& c = *check;
      auto open = unresolved_anomalies(db, c.subject);
      for (const auto& f : c.findings) {
        auto it = open.find(f.kind);
        if (it == open.end()) {
          if (quieted_by_staff(db, c, f, now)) continue;
          db.prepare(
                "INSERT INTO anomalies (kind, subject, order_no, shipment_id, carrier, severity, "
                "reason, evidence, state, opened_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                "'open', ?, ?)")
              .bind(1, f.kind)
              .bind(2, c.subject)
              .bind(3, f.order_no)
              .bind(4, f.shipment_id)
              .bind(5, f.carrier)
              .bind(6, f.severity)
              .bind(7, f.reason)
              .bind(8, f.evidence.empty() ? std::string("{}") : f.evidence)
              .bind(9, now)
              .bind(10, now)
              .run();
          auto stored = find_anomaly(db, db.last_insert_id());
          insert_outbox(db, "anomaly.opened", fmt::format("anomaly.opened:{}", stored->id),
                        anomaly_payload(*stored), now);
          ++out.opened;
          continue;
        }
        // Raised once: an unresolved anomaly only changes when it gets worse or its reason
        // changes (evidence alone, e.g. hours elapsed, would rewrite it on every sweep).
        auto& a = it->second;
        if (a.severity != f.severity || a.reason != f.reason) {
          db.prepare(
                "UPDATE anomalies SET severity = ?, reason = ?, evidence = ?, updated_at = ? "
                "WHERE id = ?")
              .bind(1, f.severity)
              .bind(2, f.reason)
              .bind(3, f.evidence.empty() ? std::string("{}") : f.evidence)
              .bind(4, now)
              .bind(5, a.id)
              .run();
          a.severity = f.severity;
          a.reason = f.reason;
          insert_outbox(db, "anomaly.updated", fmt::format("anomaly.updated:{}:{}", a.id, now),
                        anomaly_payload(a), now);
          ++out.updated;
        }
        open.erase(it);
      }
      for (auto& [kind, a] : open) {
        if (std::find(c.kinds.begin(), c.kinds.end(), kind) == c.kinds.end()) continue;
        db.prepare(
              "UPDATE anomalies SET state = 'resolved', resolved_at = ?, resolved_by = "
              "'system:monitor', resolution = 'auto: condition cleared', updated_at = ? WHERE id = "
              "?")
            .bind(1, now)
            .bind(2, now)
            .bind(3, a.id)
            .run();
        a.state = "resolved";
        insert_outbox(db, "anomaly.resolved", fmt::format("anomaly.resolved:{}", a.id),
                      anomaly_payload(a), now);
        ++out.resolved;
      }
    }
    tx.commit();
    return out;
  });
}

AnomalyPage SqlStore::list_anomalies(const AnomalyFilter& f) {
  return read([&](Conn& db) -> AnomalyPage {
    std::string sql = fmt::format("SELECT {} FROM anomalies WHERE 1", kAnomalyCols);
    std::vector<std::variant<std::int64_t, std::string>> args;
    auto add = [&](const char* cond, const auto& v) {
      sql += cond;
      args.emplace_back(v);
    };
    if (f.state) add(" AND state = ?", *f.state);
    if (f.kind) add(" AND kind = ?", *f.kind);
    if (f.severity) add(" AND severity = ?", *f.severity);
    if (f.carrier) add(" AND carrier = ?", *f.carrier);
    if (f.order_no) add(" AND order_no = ?", *f.order_no);
    if (f.shipment_id) add(" AND subject = ?", fmt::format("shipment:{}", *f.shipment_id));
    if (f.from) add(" AND opened_at >= ?", *f.from);
    if (f.to) add(" AND opened_at < ?", *f.to);
    if (f.before_id) add(" AND id < ?", *f.before_id);
    sql += " ORDER BY id DESC LIMIT ?";
    args.emplace_back(static_cast<std::int64_t>(f.limit + 1));
    auto s = db.prepare(sql);
    int i = 1;
    for (const auto& a : args) {
      if (const auto* v = std::get_if<std::int64_t>(&a)) {
        s.bind(i++, *v);
      } else {
        s.bind(i++, std::get<std::string>(a));
      }
    }
    AnomalyPage page;
    while (s.step()) page.items.push_back(read_anomaly(s));
    if (static_cast<int>(page.items.size()) > f.limit) {
      page.items.resize(static_cast<std::size_t>(f.limit));
      page.next_before_id = page.items.back().id;
    }
    return page;
  });
}

std::optional<AnomalyRecord> SqlStore::get_anomaly(std::int64_t id) {
  return read([&](Conn& db) -> std::optional<AnomalyRecord> { return find_anomaly(db, id); });
}

AnomalyChangeResult SqlStore::transition_anomaly(const AnomalyTransition& t,
                                                 const AuditRecord& audit) {
  return write([&](Conn& db) -> AnomalyChangeResult {
    Transaction tx(db);
    auto a = find_anomaly(db, t.id);
    if (!a) return NotFound{};
    if (a->state == t.to) return AnomalyChanged{std::move(*a)};  // repeated request: no-op
    if (a->state == "resolved")
      return AnomalyConflict{*a, fmt::format("the anomaly is already resolved, it cannot be {}",
                                             t.to == "acknowledged" ? "acknowledged" : t.to)};
    if (t.to == "acknowledged") {
      db.prepare(
            "UPDATE anomalies SET state = 'acknowledged', acknowledged_at = ?, acknowledged_by = "
            "?, updated_at = ? WHERE id = ?")
          .bind(1, t.now)
          .bind(2, t.actor)
          .bind(3, t.now)
          .bind(4, t.id)
          .run();
    } else {
      db.prepare(
            "UPDATE anomalies SET state = 'resolved', resolved_at = ?, resolved_by = ?, "
            "resolution = ?, updated_at = ? WHERE id = ?")
          .bind(1, t.now)
          .bind(2, t.actor)
          .bind(3, t.note)
          .bind(4, t.now)
          .bind(5, t.id)
          .run();
    }
    auto stored = find_anomaly(db, t.id);
    if (t.to == "resolved")
      insert_outbox(db, "anomaly.resolved", fmt::format("anomaly.resolved:{}", t.id),
                    anomaly_payload(*stored), t.now);
    insert_audit(db, audit);
    tx.commit();
    return AnomalyChanged{std::move(*stored)};
  });
}

std::optional<TrackingRecord> SqlStore::find_shipment(std::int64_t shipment_id) {
  return read([&](Conn& db) -> std::optional<TrackingRecord> {
    std::string order_no;
    {
      for (const char* sql :
           {"SELECT o.order_no FROM shipments s JOIN orders o ON o.id = s.order_id WHERE s.id = ?",
            "SELECT o.order_no FROM shipments_archive s JOIN orders_archive o ON o.id = s.order_id "
            "WHERE s.id = ?"}) {
        auto s = db.prepare(sql);
        s.bind(1, shipment_id);
        if (s.step()) {
          order_no = s.text(0);
          break;
        }
      }
    }
    if (order_no.empty()) return std::nullopt;
    auto all = order_tracking(order_no);
    if (!all) return std::nullopt;
    for (auto& r : *all)
      if (r.shipment_id == shipment_id) return std::move(r);
    return std::nullopt;
  });
}

int SqlStore::insert_temperatures(std::int64_t shipment_id,
                                  const std::vector<TemperatureRecord>& readings, EpochMs now) {
  return write([&](Conn& db) -> int {
    Transaction tx(db);
    int inserted = 0;
    auto s = db.prepare(insert_ignore(db.dialect(),
                                      "INSERT INTO temperature_readings (shipment_id, device_id, "
                                      "at, temp_c, received_at) VALUES (?, ?, ?, ?, ?)",
                                      "(shipment_id, device_id, at)"));
    for (const auto& r : readings) {
      s.bind(1, shipment_id).bind(2, r.device_id).bind(3, r.at);
      s.bind_f64(4, r.temp_c);
      s.bind(5, now);
      s.run();
      inserted += db.changes();
      s.reset();
    }
    tx.commit();
    return inserted;
  });
}

std::vector<TemperatureRecord> SqlStore::temperatures(std::int64_t shipment_id) {
  return read([&](Conn& db) -> std::vector<TemperatureRecord> {
    auto s = db.prepare(
        "SELECT device_id, at, temp_c FROM temperature_readings WHERE shipment_id = ? "
        "ORDER BY device_id, at");
    s.bind(1, shipment_id);
    std::vector<TemperatureRecord> out;
    while (s.step()) out.push_back({s.text(0), s.i64(1), s.f64(2)});
    return out;
  });
}

void SqlStore::save_cold_chain(const ColdChainRecord& k) {
  return write([&](Conn& db) -> void {
    auto s = db.prepare(upsert(
        db.dialect(),
        "INSERT INTO shipment_coldchain (shipment_id, profile, readings, thaw_risk, worst, mkt_c, "
        "summary_json, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        "(shipment_id)",
        "profile = excluded.profile, readings = excluded.readings, thaw_risk = "
        "excluded.thaw_risk, worst = excluded.worst, mkt_c = excluded.mkt_c, summary_json = "
        "excluded.summary_json, updated_at = excluded.updated_at"));
    s.bind(1, k.shipment_id).bind(2, k.profile).bind(3, k.readings).bind(4, k.thaw_risk);
    s.bind(5, k.worst);
    if (k.mkt_c) {
      s.bind_f64(6, *k.mkt_c);
    } else {
      s.bind_null(6);
    }
    s.bind(7, k.summary_json).bind(8, k.updated_at).run();
  });
}

}  // namespace coldtrack::store::sql
