// Monitoring at scale, each figure beside a baseline measured in the same run:
//   sweep:  MonitorService::sweep() over N active shipments (real SqliteStore, synchronous FULL,
//           WAL; real EtaService and RuleSet) vs the bare scan: the store's own active-shipments
//           SELECT stepped over every row, in pages of the same size, on a read connection,
//           doing nothing with the rows. Ratio = scan_ms / sweep_ms (1.0: the sweep costs no
//           more than reading its rows).
//   ingest: ColdChainService::ingest() with batches of 1,000 frozen readings (durable; each
//           batch also re-assesses the whole shipment, as the API does) vs a raw SQLite loop
//           inserting the same readings into a same-shaped table in another database file
//           (WAL, synchronous=FULL, one transaction per 1,000, prepared). Ratio = api / raw.
//           store.insert_temperatures() alone is timed too, so the cost of the re-assessment is
//           visible.
// Sweep 1 opens what the loaded data calls for; sweep 2 is the steady state (nothing new unless
// a shipment crossed a limit in between: the clock is the real one). The page query's plan is
// printed first; a plan that sorts per page makes every sweep quadratic in N.
// Load: orders built directly (as src/app/demo.cc does) through store.import_orders in chunks
// of 20,000, then ~85 % of shipments get a shipment_tracking row written on a second sqlite3
// connection to the same file. The temporary directory is removed at the end or on a signal.
//
// Usage: monitoring_bench [ACTIVE_SHIPMENTS=1000000] [READINGS=200000]
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "anomaly/rules.h"
#include "app/demo_catalogue.h"
#include "coldchain/readings.h"
#include "domain/status.h"
#include "domain/time.h"
#include "eta/eta.h"
#include "security/crypto.h"
#include "service/coldchain_service.h"
#include "service/eta_service.h"
#include "service/monitor_service.h"
#include "service/pii.h"
#include "store/sqlite/sqlite_store.h"

namespace {

namespace service = coldtrack::service;
namespace store = coldtrack::store;
using coldtrack::domain::EpochMs;
using coldtrack::domain::OrderStatus;
using Steady = std::chrono::steady_clock;

constexpr EpochMs kMinute = 60'000, kHour = 60 * kMinute, kDay = 24 * kHour;
constexpr int kImportChunk = 20'000;  // import_orders is one transaction per call
constexpr int kSweepPage = 2000;      // MonitorService's default page size
constexpr int kBatch = 1000;          // readings per ingest call
constexpr int kIngestShipments = 50;
constexpr const char* kOrigin = "上海市";

// The SELECT of SqliteStore::active_shipments (kWatchSelect + kActiveWhere), copied from
// src/store/sqlite/monitoring_store.cc. The bench prints this copy's query plan beside the
// store's own (explain_active_shipments) and warns when they differ: a stale copy.
constexpr const char* kActiveSql =
    "SELECT s.id, o.order_no, o.status, s.carrier, s.origin_city, o.city, s.service, "
    "s.temp_class, s.created_at, t.status, t.reason, t.status_at, t.last_event_at, t.heard_at, "
    "t.updated_at, "
    "(SELECT group_concat(a.kind) FROM anomalies a WHERE a.subject = 'shipment:' || s.id AND "
    "a.state != 'resolved') FROM shipments s CROSS JOIN orders o ON o.id = s.order_id "
    "LEFT JOIN shipment_tracking t ON t.shipment_id = s.id "
    "WHERE s.id > ? AND o.status IN ('SHIPPED', 'IN_TRANSIT', 'EXCEPTION') "
    "AND (t.status IS NULL OR t.status NOT IN ('DELIVERED', 'RETURNED')) "
    "ORDER BY s.id LIMIT ?";

EpochMs wall_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double ms_since(Steady::time_point t0) {
  return std::chrono::duration<double, std::milli>(Steady::now() - t0).count();
}

// ---- Thin sqlite3 helpers for the direct connections -------------------------------------------
void check(sqlite3* db, int rc, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
    throw std::runtime_error(fmt::format("{}: {}", what, sqlite3_errmsg(db)));
}

sqlite3* open_db(const std::string& path, bool read_only) {
  sqlite3* db = nullptr;
  const int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK)
    throw std::runtime_error("cannot open " + path);
  sqlite3_busy_timeout(db, 5000);
  return db;
}

void exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "";
    sqlite3_free(err);
    throw std::runtime_error(fmt::format("{}: {}", sql, msg));
  }
}

sqlite3_stmt* prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* s = nullptr;
  check(db, sqlite3_prepare_v2(db, sql, -1, &s, nullptr), sql);
  return s;
}

void bind_text(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}

// ---- Generated data
// ------------------------------------------------------------------------------
using coldtrack::app::demo::kPlaces;
using coldtrack::app::demo::Place;
using coldtrack::app::demo::kProducts;

struct CarrierPick {
  const char* code;  // seeded in the carriers table (migration 2)
  const char* prefix;
};
constexpr std::array<CarrierPick, 8> kCarriers = {{{"SF", "SF"},
                                                   {"SF_COLD", "SF"},
                                                   {"JD", "JDV"},
                                                   {"ZTO", "7"},
                                                   {"YTO", "YT"},
                                                   {"JIUYE", "JY"},
                                                   {"EMS", "98"},
                                                   {"YUNDA", "43"}}};

// Sealing is AES-256-GCM per field; sealing three fields for 1 M orders would dominate the load
// and measures nothing the sweep reads. So a pool of customers is sealed once and their sealed
// blobs (and blind indexes) are reused across all orders.
struct SealedCustomer {
  std::string name, phone, phone_index, last4, detail;
  const Place* place;
};

std::vector<SealedCustomer> seal_customers(const service::PiiCodec& pii, std::mt19937_64& rng,
                                           int count) {
  constexpr std::array kSurnames = {"张", "王", "李", "赵", "刘", "陈", "杨", "黄", "周", "吴"};
  constexpr std::array kGiven = {"伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军"};
  std::vector<SealedCustomer> out;
  for (int i = 0; i < count; ++i) {
    const std::string phone = fmt::format("1700000{:04}", i % 10000);
    const std::string name =
        std::string(kSurnames[rng() % kSurnames.size()]) + kGiven[rng() % kGiven.size()];
    const std::string detail =
        fmt::format("演示路{}号{}栋{}室", 1 + rng() % 999, 1 + rng() % 30, 101 + rng() % 2700);
    out.push_back({pii.seal(name, "customer.name"), pii.seal(phone, "customer.phone"),
                   pii.phone_index(phone), phone.substr(7), pii.seal(detail, "address.detail"),
                   &kPlaces[rng() % kPlaces.size()]});
  }
  return out;
}

struct Loaded {
  std::int64_t orders = 0;
  double orders_ms = 0, tracking_ms = 0;
  std::int64_t tracked = 0;
  std::array<std::int64_t, 5> by_status{};  // IN_TRANSIT, OUT_FOR_DELIVERY, AT_PICKUP_POINT,
                                            // EXCEPTION, NO_INFO
};

// N orders, each SHIPPED or IN_TRANSIT with one shipment handed over 1-5 days before `now`.
void load_orders(store::sqlite::SqliteStore& st, const std::vector<SealedCustomer>& customers,
                 int n, EpochMs now, std::mt19937_64& rng, Loaded& out) {
  auto uniform = [&](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  };
  const auto t0 = Steady::now();
  std::vector<store::OrderRecord> chunk;
  chunk.reserve(kImportChunk);
  for (int i = 0; i < n; ++i) {
    const auto& c = customers[static_cast<std::size_t>(uniform(0, customers.size() - 1))];
    store::OrderRecord o;
    o.name_sealed = c.name;
    o.phone_sealed = c.phone;
    o.phone_index = c.phone_index;
    o.phone_last4 = c.last4;
    o.province = c.place->province;
    o.city = c.place->city;
    o.district = c.place->district;
    o.detail_sealed = c.detail;
    // Items as our own serializer writes them (no spaces), so shipments.temp_class is derived.
    std::string items = "[";
    std::int64_t total = 0;
    const int lines = static_cast<int>(uniform(1, 3));
    for (int l = 0; l < lines; ++l) {
      const auto& p = kProducts[static_cast<std::size_t>(uniform(0, kProducts.size() - 1))];
      const auto qty = uniform(1, 4);
      total += qty * p.price_fen;
      items += fmt::format(
          R"({}{{"sku":"{}","name":"{}","category":"{}","quantity":{},"unit_price_fen":{}}})",
          l ? "," : "", p.sku, p.name, p.category, qty, p.price_fen);
    }
    o.items_json = items + "]";
    o.shipping_fen = total >= 9900 ? 0 : 1200;
    o.amount_fen = total + o.shipping_fen;
    o.remark = "bench";

    const EpochMs shipped = now - uniform(kDay, 5 * kDay);
    const EpochMs paid = shipped - uniform(2 * kHour, 30 * kHour);
    const EpochMs created = paid - uniform(kMinute, 30 * kMinute);
    const EpochMs in_transit = std::min(now - kMinute, shipped + uniform(2 * kHour, 10 * kHour));
    const bool moving = uniform(0, 99) < 85;  // the carrier has picked it up
    o.created_at = created;
    o.order_no = fmt::format("BENCH{:08}", i);
    o.body_hash = "bench:" + o.order_no;
    const auto& cp = kCarriers[static_cast<std::size_t>(uniform(0, kCarriers.size() - 1))];
    store::ShipmentRecord sh;
    sh.origin_city = kOrigin;
    sh.carrier = cp.code;
    sh.waybill_no = fmt::format("{}{:012}", cp.prefix, uniform(0, 999'999'999'999));
    sh.created_at = shipped;
    o.history.push_back(
        {OrderStatus::kCreated, std::nullopt, created, created, "system:bench", ""});
    o.history.push_back(
        {OrderStatus::kPaid, OrderStatus::kCreated, paid, paid, "system:bench", ""});
    o.history.push_back({OrderStatus::kShipped, OrderStatus::kPaid, shipped, shipped,
                         "system:bench", sh.carrier + " " + sh.waybill_no});
    if (moving)
      o.history.push_back({OrderStatus::kInTransit, OrderStatus::kShipped, in_transit, in_transit,
                           "system:carrier", ""});
    o.shipments.push_back(std::move(sh));
    o.status = moving ? OrderStatus::kInTransit : OrderStatus::kShipped;
    o.updated_at = o.history.back().at;
    chunk.push_back(std::move(o));
    if (static_cast<int>(chunk.size()) == kImportChunk || i + 1 == n) {
      st.import_orders(chunk);
      out.orders += static_cast<std::int64_t>(chunk.size());
      chunk.clear();
      if (out.orders % 200'000 == 0)
        std::fprintf(stderr, "  loaded %lld orders, %.0f s\n", static_cast<long long>(out.orders),
                     ms_since(t0) / 1000);
    }
  }
  out.orders_ms = ms_since(t0);
}

std::string kdniao_time(EpochMs t) {
  auto s = coldtrack::domain::format_rfc3339(t - t % 1000, 480);  // "2026-11-25T13:05:00+08:00"
  return s.substr(0, 10) + " " + s.substr(11, 8);
}

// ~85 % of shipments get a carrier snapshot, written straight into shipment_tracking on a
// second connection to the same file, in one transaction.
void load_tracking(const std::string& db_path, EpochMs now, std::mt19937_64& rng, Loaded& out) {
  auto uniform = [&](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  };
  const auto t0 = Steady::now();
  sqlite3* db = open_db(db_path, false);
  exec(db, "PRAGMA synchronous=FULL");
  struct Ship {
    std::int64_t id;
    EpochMs shipped;
    bool moving;
    std::string carrier, city;
  };
  std::vector<Ship> ships;
  {
    auto* s = prepare(db,
                      "SELECT s.id, s.created_at, o.status, s.carrier, o.city FROM shipments s "
                      "JOIN orders o ON o.id = s.order_id ORDER BY s.id");
    while (sqlite3_step(s) == SQLITE_ROW)
      ships.push_back({sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1),
                       std::string_view(reinterpret_cast<const char*>(sqlite3_column_text(s, 2))) ==
                           "IN_TRANSIT",
                       reinterpret_cast<const char*>(sqlite3_column_text(s, 3)),
                       reinterpret_cast<const char*>(sqlite3_column_text(s, 4))});
    sqlite3_finalize(s);
  }
  auto* ins = prepare(
      db,
      "INSERT INTO shipment_tracking (shipment_id, provider, status, reason, raw_state, "
      "raw_substate, location, last_event_at, trace_count, traces_json, raw_payload, heard_at, "
      "updated_at, status_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  constexpr std::array kHubs = {"上海浦东转运中心", "杭州转运中心", "广州白云转运中心",
                                "北京顺义集散中心", "武汉分拨中心", "成都双流转运中心"};
  // Exception reasons with the Kdniao StateEx that maps to them (carriers/mapping.cc).
  struct ReasonCode {
    const char* reason;
    const char* state_ex;
  };
  constexpr std::array<ReasonCode, 8> kReasons = {{{"DELAYED", "417"},
                                                   {"DELIVERY_FAILED", "405"},
                                                   {"UNREACHABLE", "416"},
                                                   {"REJECTED", "404"},
                                                   {"NO_UPDATE", "403"},
                                                   {"ADDRESS_PROBLEM", "419"},
                                                   {"HELD", "418"},
                                                   {"LOST", "422"}}};
  exec(db, "BEGIN IMMEDIATE");
  for (const auto& sh : ships) {
    // 85 % tracked: every shipment the carrier has picked up (order IN_TRANSIT), none of the
    // rest.
    if (!sh.moving) continue;
    const auto roll = uniform(0, 999);
    // Of the tracked: IN_TRANSIT 76 %, OUT_FOR_DELIVERY 10 %, AT_PICKUP_POINT 6 %,
    // EXCEPTION 5 % (with a reason), NO_INFO 3 %.
    int kind = roll < 760 ? 0 : roll < 860 ? 1 : roll < 920 ? 2 : roll < 970 ? 3 : 4;
    const char* status = std::array{"IN_TRANSIT", "OUT_FOR_DELIVERY", "AT_PICKUP_POINT",
                                    "EXCEPTION", "NO_INFO"}[static_cast<std::size_t>(kind)];
    std::string reason, raw_state, raw_substate;
    switch (kind) {
      case 0:
        raw_state = "2";
        raw_substate =
            std::array{"2", "201", "204", "205", "206"}[static_cast<std::size_t>(uniform(0, 4))];
        break;
      case 1:
        raw_state = "2";
        raw_substate = "202";
        break;
      case 2:
        raw_state = "2";
        raw_substate = "211";
        break;
      case 3: {
        // LOST is rare: one draw in eight among the reasons, then kept one time in four.
        auto pick = static_cast<std::size_t>(uniform(0, kReasons.size() - 1));
        if (pick == kReasons.size() - 1 && uniform(0, 3) != 0) pick = 0;
        reason = kReasons[pick].reason;
        raw_state = "4";
        raw_substate = kReasons[pick].state_ex;
      } break;
      default:
        raw_state = "0";
        raw_substate = "0";
        break;
    }
    const EpochMs age = now - sh.shipped;
    std::optional<EpochMs> last_event;
    EpochMs status_at;
    int traces = 0;
    if (kind != 4) {
      last_event = now - uniform(0, std::min(40 * kHour, age - 10 * kMinute));
      status_at = kind == 0 ? uniform(sh.shipped + 10 * kMinute, *last_event) : *last_event;
      traces = static_cast<int>(uniform(2, 12));
    } else {
      status_at = sh.shipped + uniform(30 * kMinute, std::min(age, 6 * kHour));
    }
    const EpochMs updated =
        last_event ? std::min(now, *last_event + uniform(kMinute, 30 * kMinute)) : status_at;
    const EpochMs heard = std::max(updated, now - uniform(0, 6 * kHour));
    // Traces from the hand-over to the newest event, as the tracking service stores them
    // (traces_to_json: oldest first), and the provider's raw answer (kept for diagnosis).
    std::string traces_json = "[", payload_traces;
    std::string location;
    for (int k = 0; k < traces; ++k) {
      const EpochMs at =
          traces == 1 ? *last_event : sh.shipped + (*last_event - sh.shipped) * k / (traces - 1);
      const bool last = k + 1 == traces;
      location = last && kind > 0 ? sh.city : kHubs[static_cast<std::size_t>(uniform(0, 5))];
      const std::string desc =
          k == 0
              ? fmt::format("【{}】已揽收，揽收员: 王师傅 1700000{:04}", kOrigin, uniform(0, 9999))
              : fmt::format("【{}】快件已到达 {}，准备发往下一站", location, location);
      const std::string code = k == 0 ? "1" : last ? raw_substate : "2";
      traces_json +=
          fmt::format(R"({}{{"time":{},"description":"{}","location":"{}","raw_code":"{}"}})",
                      k ? "," : "", at, desc, location, code);
      payload_traces += fmt::format(
          R"({}{{"AcceptTime":"{}","AcceptStation":"{}","Location":"{}","Action":"{}"}})",
          k ? "," : "", kdniao_time(at), desc, location, code);
    }
    traces_json += "]";
    const std::string provider = uniform(0, 9) < 7 ? "kdniao" : "kuaidi100";
    const std::string payload = fmt::format(
        R"({{"EBusinessID":"1237100","ShipperCode":"{}","LogisticCode":"{}{:010}","Success":true,)"
        R"("State":"{}","StateEx":"{}","Location":"{}","Traces":[{}]}})",
        sh.carrier, sh.carrier, sh.id, raw_state, raw_substate, location, payload_traces);
    sqlite3_bind_int64(ins, 1, sh.id);
    bind_text(ins, 2, provider);
    sqlite3_bind_text(ins, 3, status, -1, SQLITE_STATIC);
    bind_text(ins, 4, reason);
    bind_text(ins, 5, raw_state);
    bind_text(ins, 6, raw_substate);
    bind_text(ins, 7, location);
    if (last_event)
      sqlite3_bind_int64(ins, 8, *last_event);
    else
      sqlite3_bind_null(ins, 8);
    sqlite3_bind_int64(ins, 9, traces);
    bind_text(ins, 10, traces_json);
    bind_text(ins, 11, payload);
    sqlite3_bind_int64(ins, 12, heard);
    sqlite3_bind_int64(ins, 13, updated);
    sqlite3_bind_int64(ins, 14, status_at);
    check(db, sqlite3_step(ins), "insert shipment_tracking");
    sqlite3_reset(ins);
    ++out.tracked;
    ++out.by_status[static_cast<std::size_t>(kind)];
  }
  exec(db, "COMMIT");
  sqlite3_finalize(ins);
  sqlite3_close(db);
  out.tracking_ms = ms_since(t0);
}

// The baseline of a sweep: the same SELECT over every active row in pages of kSweepPage,
// keeping only the id for the next page.
struct Scan {
  std::int64_t rows = 0;
  double ms = 0;
};
Scan bare_scan(const std::string& db_path, const std::string& sql = kActiveSql) {
  sqlite3* db = open_db(db_path, true);
  exec(db, "PRAGMA temp_store=MEMORY");  // as the store's connections
  auto* s = prepare(db, sql.c_str());
  Scan out;
  const auto t0 = Steady::now();
  for (std::int64_t after = 0;;) {
    sqlite3_bind_int64(s, 1, after);
    sqlite3_bind_int(s, 2, kSweepPage);
    int n = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
      after = sqlite3_column_int64(s, 0);
      ++n;
    }
    sqlite3_reset(s);
    out.rows += n;
    if (n < kSweepPage) break;
  }
  out.ms = ms_since(t0);
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

// EXPLAIN QUERY PLAN of the active-shipments SELECT, one step per line.
std::vector<std::string> scan_plan(const std::string& db_path) {
  sqlite3* db = open_db(db_path, true);
  auto* s = prepare(db, (std::string("EXPLAIN QUERY PLAN ") + kActiveSql).c_str());
  sqlite3_bind_int64(s, 1, 0);
  sqlite3_bind_int(s, 2, kSweepPage);
  std::vector<std::string> out;
  while (sqlite3_step(s) == SQLITE_ROW)
    out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s, 3)));
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

std::int64_t count(const std::string& db_path, const char* sql) {
  sqlite3* db = open_db(db_path, true);
  auto* s = prepare(db, sql);
  std::int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
  sqlite3_finalize(s);
  sqlite3_close(db);
  return n;
}

// ---- Temperature readings
// -------------------------------------------------------------------------
struct Batch {
  std::size_t shipment;  // index into the chosen shipments
  std::vector<coldtrack::coldchain::Reading> readings;
};

// `total` readings in batches of kBatch, round-robin over kIngestShipments shipments (batch b
// goes to shipment b % 50, continuing its logger's series), one reading a minute per logger,
// each series ending before `now`. Frozen goods around -20 °C with sensor noise and a short
// door-open spike every 6 hours (shorter than any excursion delay).
std::vector<Batch> make_batches(int total, EpochMs now, std::mt19937_64& rng) {
  std::normal_distribution<double> noise(0.0, 0.5);
  const int batches = (total + kBatch - 1) / kBatch;
  const int per_shipment = (batches + kIngestShipments - 1) / kIngestShipments;
  const EpochMs start = now - (static_cast<EpochMs>(per_shipment) * kBatch + 5) * kMinute;
  std::vector<Batch> out;
  for (int b = 0; b < batches; ++b) {
    Batch batch;
    batch.shipment = static_cast<std::size_t>(b % kIngestShipments);
    const int j = b / kIngestShipments;
    const int n = std::min(kBatch, total - b * kBatch);
    for (int i = 0; i < n; ++i) {
      const int minute = j * kBatch + i;
      double t = -20.0 + noise(rng);
      if (minute % 360 < 3) t += 4.0;
      batch.readings.push_back({fmt::format("LOG-{}", batch.shipment), start + minute * kMinute,
                                std::round(t * 10.0) / 10.0});
    }
    out.push_back(std::move(batch));
  }
  return out;
}

std::vector<std::int64_t> frozen_shipments(const std::string& db_path, int n) {
  // The oldest frozen hand-overs, so each logger's series starts after the parcel left.
  sqlite3* db = open_db(db_path, true);
  auto* s = prepare(db,
                    "SELECT id FROM shipments WHERE temp_class = 'frozen' ORDER BY created_at "
                    "LIMIT ?");
  sqlite3_bind_int(s, 1, n);
  std::vector<std::int64_t> out;
  while (sqlite3_step(s) == SQLITE_ROW) out.push_back(sqlite3_column_int64(s, 0));
  sqlite3_finalize(s);
  sqlite3_close(db);
  if (static_cast<int>(out.size()) < n) throw std::runtime_error("not enough frozen shipments");
  return out;
}

std::int64_t total_readings(const std::vector<Batch>& batches) {
  std::int64_t n = 0;
  for (const auto& b : batches) n += static_cast<std::int64_t>(b.readings.size());
  return n;
}

double raw_ingest(const std::string& path, const std::vector<Batch>& batches,
                  const std::vector<std::int64_t>& ids, EpochMs now) {
  sqlite3* db = open_db(path, false);
  exec(db, "PRAGMA journal_mode=WAL");
  exec(db, "PRAGMA synchronous=FULL");
  exec(db,
       "CREATE TABLE raw_readings (shipment_id INTEGER, device_id TEXT, at INTEGER, temp_c REAL, "
       "received_at INTEGER, PRIMARY KEY (shipment_id, device_id, at)) WITHOUT ROWID");
  auto* begin = prepare(db, "BEGIN IMMEDIATE");
  auto* commit = prepare(db, "COMMIT");
  auto* ins = prepare(db,
                      "INSERT OR IGNORE INTO raw_readings (shipment_id, device_id, at, temp_c, "
                      "received_at) VALUES (?, ?, ?, ?, ?)");
  const auto t0 = Steady::now();
  for (const auto& b : batches) {
    check(db, sqlite3_step(begin), "begin");
    sqlite3_reset(begin);
    for (const auto& r : b.readings) {
      sqlite3_bind_int64(ins, 1, ids[b.shipment]);
      bind_text(ins, 2, r.device_id);
      sqlite3_bind_int64(ins, 3, r.at);
      sqlite3_bind_double(ins, 4, r.temp_c);
      sqlite3_bind_int64(ins, 5, now);
      check(db, sqlite3_step(ins), "insert raw_readings");
      sqlite3_reset(ins);
    }
    check(db, sqlite3_step(commit), "commit");
    sqlite3_reset(commit);
  }
  const double ms = ms_since(t0);
  sqlite3_finalize(begin);
  sqlite3_finalize(commit);
  sqlite3_finalize(ins);
  sqlite3_close(db);
  return ms;
}

double per_second(std::int64_t n, double ms) {
  return ms > 0 ? static_cast<double>(n) * 1000.0 / ms : 0;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 1'000'000;
  const int readings = argc > 2 ? std::atoi(argv[2]) : 200'000;
  if (n < 1000 || readings < kBatch) {
    std::fprintf(stderr,
                 "usage: monitoring_bench [ACTIVE_SHIPMENTS=1000000] [READINGS=200000]\n"
                 "(at least 1000 shipments and 1000 readings)\n");
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);
  const auto wall_start = Steady::now();

  const auto dir = std::filesystem::temp_directory_path() /
                   fmt::format("coldtrack-mbench-{}", coldtrack::security::random_hex(4));
  std::filesystem::create_directories(dir);
  // An interrupted run (Ctrl-C, SIGTERM) still removes its database (~4 GiB at 1 M shipments):
  // the signals are blocked everywhere and one thread waits for them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  std::thread([stop, dir] {
    int sig = 0;
    sigwait(&stop, &sig);
    std::fprintf(stderr, "monitoring_bench: signal %d, removing %s\n", sig, dir.c_str());
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    std::_Exit(128 + sig);
  }).detach();
  const std::string db_path = (dir / "coldtrack.sqlite").string();
  const std::string raw_path = (dir / "raw.sqlite").string();
  const std::string raw2_path = (dir / "raw2.sqlite").string();
  int rc = 0;
  try {
    store::sqlite::SqliteOptions options;
    options.path = db_path;
    options.synchronous_full = true;  // durable, as in production
    options.readers = 4;
    store::sqlite::SqliteStore st(options);
    service::PiiCodec pii(coldtrack::security::random_bytes(32));
    std::mt19937_64 rng(20261125);

    // ---- 1. Load ------------------------------------------------------------------------------
    const EpochMs load_now = wall_now();
    const auto customers = seal_customers(pii, rng, 1000);
    Loaded loaded;
    std::fprintf(stderr, "loading %d active shipments into %s\n", n, db_path.c_str());
    load_orders(st, customers, n, load_now, rng, loaded);
    load_tracking(db_path, load_now, rng, loaded);
    const double db_mib =
        static_cast<double>(std::filesystem::file_size(db_path)) / (1024.0 * 1024.0);
    std::printf(
        "load: %lld orders/shipments via import_orders (chunks of %d) in %.1f s; %lld "
        "shipment_tracking rows in %.1f s (IN_TRANSIT %lld, OUT_FOR_DELIVERY %lld, "
        "AT_PICKUP_POINT %lld, EXCEPTION %lld, NO_INFO %lld); database %.0f MiB\n",
        static_cast<long long>(loaded.orders), kImportChunk, loaded.orders_ms / 1000,
        static_cast<long long>(loaded.tracked), loaded.tracking_ms / 1000,
        static_cast<long long>(loaded.by_status[0]), static_cast<long long>(loaded.by_status[1]),
        static_cast<long long>(loaded.by_status[2]), static_cast<long long>(loaded.by_status[3]),
        static_cast<long long>(loaded.by_status[4]), db_mib);
    std::printf("temp classes: frozen %lld, chilled %lld, ambient %lld\n",
                static_cast<long long>(
                    count(db_path, "SELECT COUNT(*) FROM shipments WHERE temp_class = 'frozen'")),
                static_cast<long long>(
                    count(db_path, "SELECT COUNT(*) FROM shipments WHERE temp_class = 'chilled'")),
                static_cast<long long>(
                    count(db_path, "SELECT COUNT(*) FROM shipments WHERE temp_class = 'ambient'")));
    std::fflush(stdout);

    // ---- 2. Sweep -----------------------------------------------------------------------------
    const service::Clock clock = wall_now;
    service::EtaService eta(st, coldtrack::eta::Options{}, kOrigin);
    auto t0 = Steady::now();
    const auto samples = eta.refresh();
    const double eta_ms = ms_since(t0);
    service::MonitorService monitor(st, coldtrack::anomaly::RuleSet{}, eta, clock, kSweepPage);
    std::printf("eta.refresh(): %zu delivered samples, %.0f ms (nominal service levels)\n", samples,
                eta_ms);
    auto sweep_line = [](const char* name, const service::SweepStats& s) {
      std::printf(
          "%s: %lld shipments evaluated, %lld orders, rows_read %lld, subjects_written %lld, "
          "opened %d, updated %d, resolved %d, %lld ms (%.1f µs/shipment)\n",
          name, static_cast<long long>(s.shipments), static_cast<long long>(s.orders),
          static_cast<long long>(s.rows_read), static_cast<long long>(s.subjects_written),
          s.changes.opened, s.changes.updated, s.changes.resolved,
          static_cast<long long>(s.took_ms),
          s.shipments ? static_cast<double>(s.took_ms) * 1000.0 / static_cast<double>(s.shipments)
                      : 0.0);
    };

    // The store's page query must walk shipments by id: a plan that sorts (TEMP B-TREE) redoes
    // the whole join for every page, quadratic in the number of active shipments.
    const auto store_plan = st.explain_active_shipments();
    const auto copy_plan = scan_plan(db_path);
    std::printf("query plan of the sweep's page query (store.explain_active_shipments()):\n");
    for (const auto& step : store_plan) std::printf("  %s\n", step.c_str());
    if (copy_plan != store_plan)
      std::printf(
          "WARNING: the baseline's copy of the SELECT plans differently; update "
          "kActiveSql from src/store/sqlite/monitoring_store.cc\n");
    std::fflush(stdout);
    // Brings the database into the OS cache before anything is timed against it (not counted).
    const Scan warm = bare_scan(db_path);
    std::printf("bare scan, warm-up: %lld rows %.0f ms\n", static_cast<long long>(warm.rows),
                warm.ms);
    std::fflush(stdout);
    const Scan scan1 = bare_scan(db_path);
    std::printf("bare scan before sweep 1: %lld rows %.0f ms\n", static_cast<long long>(scan1.rows),
                scan1.ms);
    std::fflush(stdout);
    const auto sweep1 = monitor.sweep();
    sweep_line("sweep 1 (opens)", sweep1);
    const auto open_after1 =
        count(db_path, "SELECT COUNT(*) FROM anomalies WHERE state != 'resolved'");
    std::fflush(stdout);
    const Scan scan2 = bare_scan(db_path);
    std::printf("bare scan before sweep 2: %lld rows %.0f ms\n", static_cast<long long>(scan2.rows),
                scan2.ms);
    std::fflush(stdout);
    const auto sweep2 = monitor.sweep();
    const auto open_after2 =
        count(db_path, "SELECT COUNT(*) FROM anomalies WHERE state != 'resolved'");
    std::string by_kind;
    {
      sqlite3* db = open_db(db_path, true);
      auto* s = prepare(db,
                        "SELECT kind, severity, COUNT(*) FROM anomalies WHERE state != "
                        "'resolved' GROUP BY kind, severity ORDER BY kind, severity");
      while (sqlite3_step(s) == SQLITE_ROW)
        by_kind += fmt::format("{}{} {} {}", by_kind.empty() ? "" : ", ",
                               reinterpret_cast<const char*>(sqlite3_column_text(s, 0)),
                               reinterpret_cast<const char*>(sqlite3_column_text(s, 1)),
                               sqlite3_column_int64(s, 2));
      sqlite3_finalize(s);
      sqlite3_close(db);
    }
    sweep_line("sweep 2 (steady)", sweep2);
    std::printf("unresolved anomalies: %lld after sweep 1, %lld after sweep 2 (%s)\n",
                static_cast<long long>(open_after1), static_cast<long long>(open_after2),
                by_kind.c_str());
    std::fflush(stdout);

    // ---- 3. Temperature ingest ------------------------------------------------------------------
    service::ColdChainService cold_chain(st, monitor, clock);
    const auto frozen = frozen_shipments(db_path, 2 * kIngestShipments);
    const std::vector<std::int64_t> api_ids(frozen.begin(), frozen.begin() + kIngestShipments);
    const std::vector<std::int64_t> store_ids(frozen.begin() + kIngestShipments, frozen.end());
    const EpochMs ingest_now = wall_now();
    const auto batches = make_batches(readings, ingest_now, rng);
    const auto total = total_readings(batches);

    // The raw loop runs before and after the two ColdTrack runs (fresh files each time) and the
    // ratios use the mean: one fsync per batch is short here, so the order should not favour
    // either side.
    const double raw_before_ms = raw_ingest(raw_path, batches, api_ids, ingest_now);
    std::int64_t inserted = 0;
    t0 = Steady::now();
    for (const auto& b : batches) {
      auto r = cold_chain.ingest(api_ids[b.shipment], b.readings, {});
      if (!r.ok()) throw std::runtime_error("ingest refused: " + r.error().message);
      if (!r.value().problems.empty())
        throw std::runtime_error("ingest refused: " + r.value().problems.front().message);
      inserted += r.value().inserted;
    }
    const double api_ms = ms_since(t0);

    // The insert alone, through the store, into 50 other frozen shipments (same series).
    std::int64_t store_inserted = 0;
    t0 = Steady::now();
    for (const auto& b : batches) {
      std::vector<store::TemperatureRecord> rows;
      rows.reserve(b.readings.size());
      for (const auto& r : b.readings) rows.push_back({r.device_id, r.at, r.temp_c});
      store_inserted += st.insert_temperatures(store_ids[b.shipment], rows, ingest_now);
    }
    const double store_ms = ms_since(t0);

    const double raw_after_ms = raw_ingest(raw2_path, batches, api_ids, ingest_now);
    const double raw_ms = (raw_before_ms + raw_after_ms) / 2;
    const int used = std::min(kIngestShipments, static_cast<int>(batches.size()));
    const double api_rps = per_second(total, api_ms), store_rps = per_second(total, store_ms),
                 raw_rps = per_second(total, raw_ms);
    std::printf(
        "ingest: %lld readings in %zu batches of %d over %d frozen shipments (%lld per shipment); "
        "api inserted %lld in %.0f ms (%.2f ms/batch); store.insert_temperatures inserted %lld in "
        "%.0f ms (%.2f ms/batch); raw loop %.0f ms before, %.0f ms after, mean %.2f ms/batch\n",
        static_cast<long long>(total), batches.size(), kBatch, used,
        static_cast<long long>(total / used), static_cast<long long>(inserted), api_ms,
        api_ms / static_cast<double>(batches.size()), static_cast<long long>(store_inserted),
        store_ms, store_ms / static_cast<double>(batches.size()), raw_before_ms, raw_after_ms,
        raw_ms / static_cast<double>(batches.size()));
    {
      const auto a = st.find_shipment(api_ids[0]);
      if (a && a->cold_chain)
        std::printf(
            "cold chain of shipment %lld after ingest: %lld readings, thaw_risk %s, "
            "worst '%s'\n",
            static_cast<long long>(api_ids[0]), static_cast<long long>(a->cold_chain->readings),
            a->cold_chain->thaw_risk.c_str(), a->cold_chain->worst.c_str());
    }
    std::printf("\n");

    // ---- 4. Report ----------------------------------------------------------------------------
    auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
    std::printf("| figure | ColdTrack | baseline (same run) | ratio |\n");
    std::printf("|---|---:|---:|---:|\n");
    std::printf(
        "| sweep 1, opens anomalies (%lld shipments, %d opened, %lld subjects written) | "
        "%lld ms (%.1f µs/shipment) | bare scan %.0f ms | %.3f |\n",
        static_cast<long long>(sweep1.shipments), sweep1.changes.opened,
        static_cast<long long>(sweep1.subjects_written), static_cast<long long>(sweep1.took_ms),
        static_cast<double>(sweep1.took_ms) * 1000.0 /
            static_cast<double>(std::max<std::int64_t>(1, sweep1.shipments)),
        scan1.ms, ratio(scan1.ms, static_cast<double>(sweep1.took_ms)));
    std::printf(
        "| sweep 2, steady state (%lld shipments, %d opened, %d updated, %lld subjects "
        "written) | %lld ms (%.1f µs/shipment) | bare scan %.0f ms | %.3f |\n",
        static_cast<long long>(sweep2.shipments), sweep2.changes.opened, sweep2.changes.updated,
        static_cast<long long>(sweep2.subjects_written), static_cast<long long>(sweep2.took_ms),
        static_cast<double>(sweep2.took_ms) * 1000.0 /
            static_cast<double>(std::max<std::int64_t>(1, sweep2.shipments)),
        scan2.ms, ratio(scan2.ms, static_cast<double>(sweep2.took_ms)));
    std::printf(
        "| temperature ingest, durable, batches of %d (ColdChainService::ingest) | %.0f "
        "readings/s | raw SQLite %.0f readings/s | %.3f |\n",
        kBatch, api_rps, raw_rps, ratio(api_rps, raw_rps));
    std::printf(
        "| temperature insert only (store.insert_temperatures) | %.0f readings/s | raw "
        "SQLite %.0f readings/s | %.3f |\n\n",
        store_rps, raw_rps, ratio(store_rps, raw_rps));
    std::printf("%d active shipments, %lld readings; real seconds %.0f\n", n,
                static_cast<long long>(total), ms_since(wall_start) / 1000);
    st.close();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "monitoring_bench: %s\n", e.what());
    rc = 1;
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return rc;
}
