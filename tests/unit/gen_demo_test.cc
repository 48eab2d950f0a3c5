// `coldtrack gen-demo`: the bulk generator writes what the store itself writes, readable through
// the store and the order service with the same data key, deterministic for a seed, and refuses
// a database that holds orders. SQLite in a temp file; one run on MariaDB (tests/mariadb_server.h).
#include "app/gen_demo.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "../mariadb_server.h"
#include "app/demo_catalogue.h"
#include "domain/status.h"
#include "security/crypto.h"
#include "service/order_service.h"
#include "service/pii.h"
#include "service/tracking_service.h"
#include "store/mysql/mysql_store.h"
#include "store/sqlite/db.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_store.h"

namespace coldtrack {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using app::GenDemoOptions;
using app::GenDemoRefused;
using app::GenDemoStats;
using domain::EpochMs;
using S = domain::OrderStatus;

constexpr EpochMs kDay = 24 * 3'600'000LL;
constexpr EpochMs kT0 = 1'795'583'100'000;                        // 2026-11-25T13:05:00+08:00
const std::string kDataKey = "0123456789abcdef0123456789ABCDEF";  // 32 bytes, tests only

class GenDemo : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() /
           ("coldtrack-gendemo-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::create_directories(dir_);
    log_level_ = spdlog::get_level();
    spdlog::set_level(spdlog::level::warn);  // migrations
  }
  void TearDown() override {
    spdlog::set_level(log_level_);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  app::Config config(const std::string& file) const {
    app::Config c;
    c.store.sqlite.path = (dir_ / file).string();
    c.security.data_key = security::hex_encode(kDataKey);
    return c;
  }
  static GenDemoOptions options(std::int64_t orders, std::uint64_t seed = 7) {
    GenDemoOptions o;
    o.orders = orders;
    o.seed = seed;
    o.days = 30;
    o.now_ms = kT0;
    o.batch = 700;  // several transactions
    o.threads = 2;
    return o;
  }

  fs::path dir_;
  service::PiiCodec pii_{kDataKey};
  spdlog::level::level_enum log_level_ = spdlog::level::info;
};

std::int64_t count(store::sqlite::Db& db, const std::string& query) {
  auto s = db.prepare(query);
  return s.step() ? s.i64(0) : -1;
}

// Every table the generator writes, as text with the sealed columns opened, in id order.
std::string dump(const std::string& path, const service::PiiCodec& pii) {
  store::sqlite::Db db(path, 1000, false, true);
  std::string out;
  {
    auto s = db.prepare(
        "SELECT id, order_no, status, name_sealed, phone_sealed, phone_index, phone_last4, "
        "province, city, district, detail_sealed, items_json, amount_fen, shipping_fen, "
        "discount_fen, remark, body_hash, created_at, updated_at, finished_at FROM orders ORDER "
        "BY id");
    while (s.step()) {
      for (int c = 0; c < 20; ++c) {
        if (c == 3 || c == 4 || c == 10) {
          const char* field = c == 3   ? "customer.name"
                              : c == 4 ? "customer.phone"
                                       : "address.detail";
          out += pii.open(s.text(c), field).value_or("?") + "|";
        } else {
          out += s.text(c) + "|";
        }
      }
      out += "\n";
    }
  }
  for (const char* q :
       {"SELECT * FROM order_events ORDER BY id", "SELECT * FROM shipments ORDER BY id",
        "SELECT * FROM shipment_polling ORDER BY shipment_id",
        "SELECT * FROM shipment_tracking ORDER BY shipment_id",
        "SELECT * FROM tracking_events ORDER BY id"}) {
    auto s = db.prepare(q);
    while (s.step()) {
      for (int c = 0; c < 16; ++c) out += (s.is_null(c) ? std::string("NULL") : s.text(c)) + "|";
      out += "\n";
    }
  }
  return out;
}

TEST_F(GenDemo, WritesOrdersHistoryShipmentsAndTrackingAsTheStoreDoes) {
  const auto cfg = config("shop.db");
  const GenDemoStats st = app::load_demo_data(cfg, pii_, options(2000));
  EXPECT_EQ(st.orders, 2000);
  EXPECT_FALSE(st.interrupted);

  store::sqlite::Db db(cfg.store.sqlite.path, 1000, false, true);
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM orders"), 2000);
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM order_events"), st.order_events);
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM shipments"), st.shipments);
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM shipment_polling"), st.shipments);
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM shipment_tracking"), st.tracking);
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM tracking_events"), st.tracking_events);
  EXPECT_EQ(count(db, "SELECT SUM(trace_count) FROM shipment_tracking"), st.traces);
  EXPECT_GT(st.order_events, 4 * 2000);
  EXPECT_GT(st.shipments, 1500);
  EXPECT_GT(st.tracking_events, 2 * st.tracking);
  // No outbox messages (the history is settled, nothing to announce), no audit rows.
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM outbox"), 0);
  // Ids ascend with created_at; everything in the window; order numbers per seed.
  EXPECT_EQ(count(db,
                  "SELECT COUNT(*) FROM orders a JOIN orders b ON b.id = a.id + 1 WHERE "
                  "b.created_at < a.created_at"),
            0);
  EXPECT_EQ(count(db, "SELECT MIN(created_at) >= " + std::to_string(kT0 - 30 * kDay) +
                          " AND MAX(updated_at) <= " + std::to_string(kT0) + " FROM orders"),
            1);
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM orders WHERE order_no NOT LIKE 'GD7-2026____-%'"), 0);
  // The file is an ordinary database again: WAL, intact, statistics gathered.
  {
    auto s = db.prepare("PRAGMA journal_mode");
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.text(0), "wal");
  }
  {
    auto s = db.prepare("PRAGMA integrity_check");
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.text(0), "ok");
  }
  EXPECT_GT(count(db, "SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'orders'"), 0);

  // A plausible status mix over 30 days: mostly settled, some on the road, a few problems.
  std::map<std::string, std::int64_t> mix;
  {
    auto s = db.prepare("SELECT status, COUNT(*) FROM orders GROUP BY status");
    while (s.step()) mix[s.text(0)] = s.i64(1);
  }
  EXPECT_GT(mix["COMPLETED"], 800) << "completed";
  EXPECT_GT(mix["DELIVERED"], 200);
  EXPECT_GT(mix["IN_TRANSIT"] + mix["SHIPPED"], 40);
  EXPECT_GT(mix["CANCELLED"], 50);
  EXPECT_GT(mix["REFUNDED"], 50);
  EXPECT_GT(mix["PAID"], 5);
  EXPECT_LT(mix["EXCEPTION"] + mix["REFUNDING"], 100);

  // Exactly the shipped orders have a shipment (one), with a polling row.
  EXPECT_EQ(count(db,
                  "SELECT COUNT(*) FROM orders o WHERE EXISTS (SELECT 1 FROM order_events e "
                  "WHERE e.order_id = o.id AND e.status = 'SHIPPED') != EXISTS (SELECT 1 "
                  "FROM shipments s WHERE s.order_id = o.id)"),
            0);
  EXPECT_EQ(count(db,
                  "SELECT COUNT(*) FROM (SELECT order_id FROM shipments GROUP BY order_id "
                  "HAVING COUNT(*) > 1)"),
            0);
  EXPECT_EQ(count(db,
                  "SELECT COUNT(*) FROM shipments s LEFT JOIN shipment_polling p ON "
                  "p.shipment_id = s.id WHERE p.shipment_id IS NULL"),
            0);
  // Picked-up parcels have a snapshot; delivered ones say so and are no longer polled; those on
  // the road are.
  EXPECT_EQ(count(db,
                  "SELECT COUNT(*) FROM orders o JOIN shipments s ON s.order_id = o.id LEFT "
                  "JOIN shipment_tracking t ON t.shipment_id = s.id WHERE o.status IN "
                  "('IN_TRANSIT', 'DELIVERED', 'COMPLETED', 'EXCEPTION') AND t.shipment_id IS "
                  "NULL"),
            0);
  EXPECT_EQ(count(db,
                  "SELECT COUNT(*) FROM orders o JOIN shipments s ON s.order_id = o.id JOIN "
                  "shipment_tracking t ON t.shipment_id = s.id WHERE o.status IN "
                  "('DELIVERED', 'COMPLETED') AND t.status != 'DELIVERED'"),
            0);
  EXPECT_EQ(count(db,
                  "SELECT COUNT(*) FROM shipment_tracking t JOIN shipment_polling p ON "
                  "p.shipment_id = t.shipment_id WHERE (t.status IN ('DELIVERED', 'RETURNED')) "
                  "= (p.next_poll_at IS NOT NULL)"),
            0);
  // Carriers scan parcels on the road every few hours: none is silent long enough to look lost.
  EXPECT_EQ(count(db,
                  "SELECT COUNT(*) FROM shipment_tracking WHERE status IN ('PICKED_UP', "
                  "'IN_TRANSIT', 'RETURNING') AND last_event_at < " +
                      std::to_string(kT0 - 9 * 3'600'000LL)),
            0);
  // temp_class is what insert_shipment_row derives from the items.
  EXPECT_EQ(count(db,
                  "SELECT COUNT(*) FROM shipments s JOIN orders o ON o.id = s.order_id WHERE "
                  "s.temp_class != CASE WHEN o.items_json LIKE '%\"category\":\"frozen\"%' "
                  "THEN 'frozen' WHEN o.items_json LIKE '%\"category\":\"chilled\"%' THEN "
                  "'chilled' ELSE 'ambient' END"),
            0);
  // The order's status is its last event's; the tracking status its last tracking event's.
  EXPECT_EQ(count(db,
                  "SELECT COUNT(*) FROM orders o WHERE o.status != (SELECT e.status FROM "
                  "order_events e WHERE e.order_id = o.id ORDER BY e.id DESC LIMIT 1)"),
            0);
  EXPECT_EQ(count(db,
                  "SELECT COUNT(*) FROM shipment_tracking t WHERE t.status != (SELECT "
                  "e.status FROM tracking_events e WHERE e.shipment_id = t.shipment_id ORDER "
                  "BY e.id DESC LIMIT 1) OR t.status_at != (SELECT MAX(e.at) FROM "
                  "tracking_events e WHERE e.shipment_id = t.shipment_id)"),
            0);
  // JSON columns are byte for byte what the store's own serializers write.
  {
    auto s = db.prepare("SELECT items_json FROM orders");
    while (s.step()) ASSERT_EQ(json::serialize(json::parse(s.text(0))), s.text(0));
  }
  {
    auto s = db.prepare("SELECT traces_json, trace_count FROM shipment_tracking");
    while (s.step()) {
      const auto traces = service::traces_from_json(s.text(0));
      ASSERT_EQ(service::traces_to_json(traces), s.text(0));
      ASSERT_EQ(static_cast<std::int64_t>(traces.size()), s.i64(1));
      ASSERT_TRUE(std::is_sorted(traces.begin(), traces.end(),
                                 [](const auto& a, const auto& b) { return a.time < b.time; }));
    }
  }

  // Every history is a legal path through the transition table, in time order.
  store::sqlite::SqliteStore store({cfg.store.sqlite.path, false, 1000, 2});
  EXPECT_EQ(store.schema_version(), static_cast<int>(store::sqlite::migrations().size()));
  std::vector<std::string> nos;
  {
    auto s = db.prepare("SELECT order_no FROM orders ORDER BY id");
    while (s.step()) nos.push_back(s.text(0));
  }
  for (const auto& no : nos) {
    const auto o = store.get_order(no);
    ASSERT_TRUE(o);
    ASSERT_FALSE(o->history.empty());
    EXPECT_EQ(o->history.front().status, S::kCreated);
    EXPECT_FALSE(o->history.front().from);
    for (std::size_t i = 1; i < o->history.size(); ++i) {
      const auto& e = o->history[i];
      ASSERT_EQ(e.from, o->history[i - 1].status) << no;
      ASSERT_TRUE(domain::can_transition(*e.from, e.status)) << no;
      ASSERT_GE(e.at, o->history[i - 1].at) << no;
    }
    EXPECT_EQ(o->finished_at.has_value(), domain::is_finished(o->status)) << no;
  }
}

TEST_F(GenDemo, TheStoreAndTheOrderServiceReadItBackWithTheDataKey) {
  const auto cfg = config("shop.db");
  app::load_demo_data(cfg, pii_, options(2000));
  store::sqlite::SqliteStore store({cfg.store.sqlite.path, false, 1000, 2});
  service::OrderService orders(store, pii_, [] { return kT0; });
  const service::Actor actor{"system:test", "admin", "", "local"};

  // The newest order on the road.
  store::OrderFilter f;
  f.statuses = {S::kInTransit};
  f.limit = 1;
  const auto page = store.list_orders(f);
  ASSERT_EQ(page.items.size(), 1u);
  const auto no = page.items[0].order_no;
  auto got = orders.get(no, true, actor);
  ASSERT_TRUE(got.ok()) << no;
  const auto& o = got.value();
  const auto& name = o.data.customer.name;
  EXPECT_TRUE(std::any_of(app::demo::kSurnames.begin(), app::demo::kSurnames.end(),
                          [&](const char* s) { return name.starts_with(s); }))
      << name;
  const auto& phone = o.data.customer.phone;
  ASSERT_EQ(phone.size(), 11u);
  EXPECT_TRUE(phone.starts_with("170")) << phone;
  EXPECT_EQ(page.items[0].phone_last4, phone.substr(7));
  EXPECT_TRUE(o.data.address.detail.starts_with("演示路")) << o.data.address.detail;
  EXPECT_FALSE(o.data.items.empty());
  ASSERT_EQ(o.shipments.size(), 1u);
  EXPECT_FALSE(o.shipments[0].carrier_name.empty());
  EXPECT_EQ(o.shipments[0].origin_city, "上海市");

  // A phone finds a handful of orders, all of that phone, newest first.
  service::ListQuery byphone;
  byphone.phone = phone;
  byphone.limit = 200;
  auto list = orders.list(byphone);
  ASSERT_TRUE(list.ok());
  EXPECT_GE(list.value().items.size(), 1u);
  EXPECT_LE(list.value().items.size(), 60u);
  EXPECT_TRUE(std::any_of(list.value().items.begin(), list.value().items.end(),
                          [&](const auto& x) { return x.data.order_no == no; }));
  for (const auto& x : list.value().items) EXPECT_EQ(x.data.customer.phone, phone);
  // Across the population: a few phones per customer, a few orders per phone.
  store::sqlite::Db db(cfg.store.sqlite.path, 1000, false, true);
  const auto phones = count(db, "SELECT COUNT(DISTINCT phone_index) FROM orders");
  EXPECT_GT(phones, 200);
  EXPECT_LT(phones, 1500);
  EXPECT_LE(count(db,
                  "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM orders GROUP BY "
                  "phone_index)"),
            60);

  // A date range pages through exactly the orders created in it.
  const EpochMs from = kT0 - 10 * kDay, to = kT0 - 9 * kDay;
  const auto expected =
      count(db, "SELECT COUNT(*) FROM orders WHERE created_at >= " + std::to_string(from) +
                    " AND created_at < " + std::to_string(to));
  EXPECT_GT(expected, 20);
  std::int64_t seen = 0;
  service::ListQuery range;
  range.from = from;
  range.to = to;
  range.limit = 25;
  for (;;) {
    auto r = orders.list(range);
    ASSERT_TRUE(r.ok());
    for (const auto& x : r.value().items) {
      EXPECT_GE(x.created_at, from);
      EXPECT_LT(x.created_at, to);
      ++seen;
    }
    if (!r.value().next_cursor) break;
    range.cursor = r.value().next_cursor;
  }
  EXPECT_EQ(seen, expected);

  // Carrier tracking with traces, as order_tracking serves it.
  const auto tracking = store.order_tracking(no);
  ASSERT_TRUE(tracking);
  ASSERT_EQ(tracking->size(), 1u);
  const auto& t = (*tracking)[0];
  EXPECT_TRUE(t.tracked);
  EXPECT_EQ(t.provider, "demo");
  const std::set<std::string> on_road = {"PICKED_UP", "IN_TRANSIT", "OUT_FOR_DELIVERY"};
  EXPECT_TRUE(on_road.contains(t.status)) << t.status;
  EXPECT_GE(t.trace_count, 1);
  EXPECT_EQ(static_cast<std::int64_t>(service::traces_from_json(t.traces_json).size()),
            t.trace_count);
  EXPECT_FALSE(t.temp_class.empty());
  EXPECT_EQ(t.dest_city, o.data.address.city);
  ASSERT_TRUE(t.heard_at);
  EXPECT_LE(*t.heard_at, kT0);
}

TEST_F(GenDemo, IsDeterministicForASeedWhateverTheThreadsAndBatches) {
  auto a = options(2000);
  app::load_demo_data(config("a.db"), pii_, a);
  auto b = options(2000);
  b.threads = 1;
  b.batch = 100'000;
  app::load_demo_data(config("b.db"), pii_, b);
  const auto da = dump(config("a.db").store.sqlite.path, pii_);
  EXPECT_EQ(da, dump(config("b.db").store.sqlite.path, pii_));
  EXPECT_EQ(da.find("|?|"), std::string::npos);  // every sealed field opened

  app::load_demo_data(config("c.db"), pii_, options(2000, 8));
  EXPECT_NE(da, dump(config("c.db").store.sqlite.path, pii_));
}

TEST_F(GenDemo, RefusesADatabaseWithOrdersUnlessAppendingAnotherSeed) {
  const auto cfg = config("shop.db");
  app::load_demo_data(cfg, pii_, options(1500));
  EXPECT_THROW(app::load_demo_data(cfg, pii_, options(10, 9)), GenDemoRefused);
  auto same = options(10);
  same.append = true;
  EXPECT_THROW(app::load_demo_data(cfg, pii_, same), GenDemoRefused);
  {
    store::sqlite::Db db(cfg.store.sqlite.path, 1000, false, true);
    EXPECT_EQ(count(db, "SELECT COUNT(*) FROM orders"), 1500);
  }
  auto other = options(600, 9);
  other.append = true;
  EXPECT_EQ(app::load_demo_data(cfg, pii_, other).orders, 600);
  store::sqlite::Db db(cfg.store.sqlite.path, 1000, false, true);
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM orders"), 2100);
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM orders WHERE order_no LIKE 'GD9-%'"), 600);
  EXPECT_EQ(count(db, "SELECT MIN(id) FROM orders WHERE order_no LIKE 'GD9-%'"), 1501);
  auto s = db.prepare("PRAGMA integrity_check");
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.text(0), "ok");
  // The refusal as the CLI reports it.
  EXPECT_EQ(app::gen_demo(cfg, options(10, 10)), 1);
}

TEST_F(GenDemo, StopsCleanlyWhenCancelled) {
  const auto cfg = config("shop.db");
  std::atomic<bool> cancel{false};
  auto o = options(5000);
  o.batch = 1;  // a commit (and a progress call) per chunk of 1,024
  o.cancel = &cancel;
  const auto st = app::load_demo_data(cfg, pii_, o, [&](const GenDemoStats&) { cancel = true; });
  EXPECT_TRUE(st.interrupted);
  EXPECT_EQ(st.orders, 1024);
  store::sqlite::Db db(cfg.store.sqlite.path, 1000, false, true);
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM orders"), 1024);
  auto s = db.prepare("PRAGMA integrity_check");
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.text(0), "ok");
}

TEST_F(GenDemo, LoadsMariadbThroughTheSameCode) {
  using test_support::MariadbServer;
  const auto database = MariadbServer::fresh_database("gendemo");
  app::Config cfg;
  cfg.store.backend = "mysql";
  cfg.store.mysql.url = MariadbServer::shared().url(database);
  cfg.security.data_key = security::hex_encode(kDataKey);
  const service::PiiCodec pii(kDataKey);
  GenDemoOptions o;
  o.orders = 1500;
  o.days = 30;
  o.now_ms = kT0;
  o.batch = 600;
  const auto st = app::load_demo_data(cfg, pii, o);
  EXPECT_EQ(st.orders, 1500);
  EXPECT_THROW(app::load_demo_data(cfg, pii, o), GenDemoRefused);
  {
    store::mysql::MysqlStore store(MariadbServer::shared().options(database));
    EXPECT_EQ(store.count_orders(store::ArchiveScope::kInclude), 1500);
    service::OrderService orders(store, pii, [] { return kT0; });
    store::OrderFilter f;
    f.statuses = {S::kInTransit};
    f.limit = 1;
    const auto page = store.list_orders(f);
    ASSERT_EQ(page.items.size(), 1u);
    auto got = orders.get(page.items[0].order_no, true, {"system:test", "admin", "", "local"});
    ASSERT_TRUE(got.ok());
    EXPECT_TRUE(got.value().data.customer.phone.starts_with("170"));
    ASSERT_EQ(got.value().shipments.size(), 1u);
    service::ListQuery byphone;
    byphone.phone = got.value().data.customer.phone;
    auto list = orders.list(byphone);
    ASSERT_TRUE(list.ok());
    EXPECT_GE(list.value().items.size(), 1u);
    const auto tracking = store.order_tracking(page.items[0].order_no);
    ASSERT_TRUE(tracking && tracking->size() == 1);
    EXPECT_TRUE((*tracking)[0].tracked);
    EXPECT_GE((*tracking)[0].trace_count, 1);
    // A later write through the store gets the next id (AUTO_INCREMENT moved past ours).
    store::OrderRecord r = *store.get_order(page.items[0].order_no);
    r.order_no = "AFTER-GEN";
    r.body_hash = "x";
    const auto created = store.create_order(r, "system:test", {});
    ASSERT_TRUE(std::holds_alternative<store::Created>(created));
    EXPECT_EQ(std::get<store::Created>(created).order.id, 1501);
  }
  MariadbServer::shared().drop_database(database);
}

// The ETA model's history scan is one SQL text per dialect: on generated data (live and
// archived, read in small chunks) MariaDB returns exactly what SQLite returns.
TEST_F(GenDemo, TheDeliveredScanReadsTheSameHistoryOnSqliteAndMariadb) {
  using test_support::MariadbServer;
  using Row = std::tuple<std::string, std::string, std::string, std::string, EpochMs, EpochMs,
                         std::optional<EpochMs>>;
  auto scan = [](store::Store& st, const store::DeliveredScan& range) {
    std::vector<Row> rows;
    st.scan_delivered_shipments(range, [&](const store::DeliveredShipment& d) {
      rows.emplace_back(d.origin_city, d.dest_city, d.carrier, d.service, d.shipped_at,
                        d.delivered_at, d.out_for_delivery_at);
    });
    std::sort(rows.begin(), rows.end());
    return rows;
  };
  store::DeliveredScan all, window;
  all.chunk = 97;
  window.since = kT0 - 20 * kDay;
  window.until = kT0 - 5 * kDay;
  window.chunk = 10'000;

  const auto cfg = config("scan.db");
  app::load_demo_data(cfg, pii_, options(1500));
  store::sqlite::SqliteStore lite({cfg.store.sqlite.path, false, 1000, 2});
  ASSERT_GT(lite.archive_batch(kT0 - 15 * kDay, 300), 0);
  const auto lite_all = scan(lite, all);
  const auto lite_window = scan(lite, window);
  ASSERT_GT(lite_all.size(), 1000u);
  ASSERT_GT(lite_window.size(), 100u);
  ASSERT_LT(lite_window.size(), lite_all.size());
  lite.close();

  const auto database = MariadbServer::fresh_database("etascan");
  app::Config my;
  my.store.backend = "mysql";
  my.store.mysql.url = MariadbServer::shared().url(database);
  my.security.data_key = security::hex_encode(kDataKey);
  app::load_demo_data(my, pii_, options(1500));
  {
    store::mysql::MysqlStore maria(MariadbServer::shared().options(database));
    ASSERT_GT(maria.archive_batch(kT0 - 15 * kDay, 300), 0);
    EXPECT_EQ(scan(maria, all), lite_all);
    EXPECT_EQ(scan(maria, window), lite_window);
    // A chunk is a primary-key range of shipments here too, never a scan or a sort.
    const auto plan = maria.explain_delivered_chunk();
    ASSERT_FALSE(plan.empty());
    EXPECT_EQ(plan[0].rfind("s range key=PRIMARY", 0), 0u) << plan[0];
    for (const auto& step : plan) {
      EXPECT_EQ(step.find(" ALL "), std::string::npos) << step;
      EXPECT_EQ(step.find("filesort"), std::string::npos) << step;
      EXPECT_EQ(step.find("temporary"), std::string::npos) << step;
    }
  }
  MariadbServer::shared().drop_database(database);
}

}  // namespace
}  // namespace coldtrack
