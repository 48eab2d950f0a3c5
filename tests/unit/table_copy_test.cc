// store/copy: a shop's SQLite database, filled through the store API, copied into a fresh
// database on the private MariaDB (tests/mariadb_server.h) and back, then read through the
// store API on the other side.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "../mariadb_server.h"
#include "domain/order.h"
#include "service/order_service.h"
#include "service/pii.h"
#include "store/copy/table_copy.h"
#include "store/mysql/conn.h"
#include "store/mysql/mysql_store.h"
#include "store/sqlite/db.h"
#include "store/sqlite/sqlite_store.h"

namespace coldtrack {
namespace {

namespace fs = std::filesystem;
using domain::EpochMs;
using domain::NewOrder;
using domain::Order;
using S = domain::OrderStatus;
using service::Actor;
using service::OrderService;
using service::PiiCodec;
using store::copy::CopyRefused;
using store::copy::CopyReport;
using test_support::MariadbServer;

#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << (haystack)

constexpr EpochMs kMinute = 60'000;
constexpr EpochMs kDay = 24 * 60 * kMinute;
constexpr EpochMs kT0 = 1'795'583'100'000;  // 2026-11-25T13:05:00+08:00
const std::string kDataKey = "0123456789abcdef0123456789ABCDEF";
const Actor kActor{"apikey:ak_copy", "operator", "req-copy", "127.0.0.1"};

// Bytes that are not UTF-8, as a carrier's raw payload may hold.
const std::string kRawPayload =
    std::string("{\"state\":\"在途\",\"bytes\":\"") + "\xff\xfe\x00\x01" + "\"}";

fs::path TempPath(const std::string& what) {
  static std::atomic<int> counter{0};
  return fs::temp_directory_path() / ("coldtrack_copy_" + std::to_string(::getpid()) + "_" +
                                      std::to_string(counter++) + "_" + what + ".db");
}

void RemoveSqlite(const fs::path& p) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal", "-users"}) {
    std::error_code ec;
    fs::remove(p.string() + suffix, ec);
  }
}

NewOrder MakeOrder(const std::string& no, const std::string& name, const std::string& phone,
                   EpochMs created_at) {
  NewOrder o;
  o.order_no = no;
  o.customer = {name, phone, "oWx_" + no};
  o.address = {"浙江省", "杭州市", "西湖区", "文三路 90 号 冷库 B 区"};
  o.items = {{"DJ-SX-1KG", "三鲜水饺 1kg", "frozen", 2, 3990},
             {"SN-950ML", "鲜牛奶 950ml", "chilled", 1, 1890}};
  o.shipping_fen = 1200;
  o.discount_fen = 500;
  o.amount_fen = 10570;
  o.remark = "请放门口，谢谢 🙏";
  o.created_at = created_at;
  return o;
}

class TableCopyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { MariadbServer::shared(); }

  void SetUp() override {
    log_level_ = spdlog::get_level();
    spdlog::set_level(spdlog::level::warn);
    source_path_ = TempPath("source");
    database_ = MariadbServer::fresh_database("copy");
  }

  void TearDown() override {
    svc_.reset();
    if (source_) source_->close();
    source_.reset();
    RemoveSqlite(source_path_);
    for (const auto& p : extra_files_) RemoveSqlite(p);
    for (const auto& db : extra_databases_) MariadbServer::shared().drop_database(db);
    MariadbServer::shared().drop_database(database_);
    spdlog::set_level(log_level_);
  }

  store::mysql::MysqlOptions MysqlOptions(const std::string& db) const {
    return MariadbServer::shared().options(db);
  }

  void OpenSource() {
    source_ = std::make_unique<store::sqlite::SqliteStore>(
        store::sqlite::SqliteOptions{source_path_.string(), false, 5000, 2});
    svc_ = std::make_unique<OrderService>(*source_, pii_, [this] { return now_; });
  }

  void CloseSource() {
    svc_.reset();
    source_->close();
    source_.reset();
  }

  template <class T>
  static T Ok(service::Result<T> r, const std::string& what) {
    if (!r.ok()) throw std::runtime_error(what + ": " + r.error().message);
    return std::move(r.value());
  }

  // A shop's database with a bit of everything: orders through their lifecycle (one archived,
  // and it is the newest order, so its id is above every live one), shipments, tracking with a
  // raw payload that is not UTF-8, polling state, temperatures, a cold-chain assessment,
  // anomalies, a payment, notifications, an API key, a session, subscriptions, an idempotent
  // response, a lease, and an edited carrier.
  void BuildSource() {
    OpenSource();
    Ok(svc_->create(MakeOrder("CP-1", "张三丰", "13800000001", kT0 - 3 * kDay), kActor), "CP-1");
    Ok(svc_->change_status("CP-1", S::kPaid, kT0 - 3 * kDay + kMinute, "微信支付", kActor), "pay");
    Ok(svc_->add_shipment("CP-1", "SF", "SF1234567890", kActor), "ship CP-1");
    Ok(svc_->create(MakeOrder("CP-2", "李四", "13900000002", kT0 - 2 * kDay), kActor), "CP-2");
    Ok(svc_->create(MakeOrder("CP-3", "王五", "15000000003", kT0 - kDay), kActor), "CP-3");
    Ok(svc_->change_status("CP-3", S::kCancelled, kT0 - kDay + kMinute, "顾客取消", kActor),
       "cancel CP-3");

    store::TrackingUpdate u;
    u.provider = "kdniao";
    u.carrier = "SF";
    u.provider_carrier = "SF";
    u.waybill_no = "SF1234567890";
    u.status = "IN_TRANSIT";
    u.reason = "";
    u.raw_state = "2";
    u.location = "杭州转运中心";
    u.newest_event_at = now_ - 30 * kMinute;
    u.trace_count = 2;
    u.traces_json = R"([{"time":1,"description":"已揽收"},{"time":2,"description":"运输中"}])";
    u.raw_payload = kRawPayload;
    u.now = now_;
    u.order_target = S::kInTransit;
    ASSERT_EQ(source_->apply_tracking(u).applied, 1);
    const auto shipment = source_->get_order("CP-1")->shipments.at(0).id;

    store::PollUpdate poll;
    poll.provider = "kdniao";
    poll.next_poll_at = now_ + 30 * kMinute;
    poll.last_query_at = now_;
    poll.failures = 1;
    poll.last_error = "HTTP 502";
    poll.last_response = std::string("<html>\xe6\x9c\x8d", 9);  // cut inside a character
    source_->update_polling(shipment, poll);

    ASSERT_EQ(source_->insert_temperatures(shipment,
                                           {{"LOGGER-1", now_ - 20 * kMinute, -18.3},
                                            {"LOGGER-1", now_ - 10 * kMinute, -0.1 + 1e-12},
                                            {"LOGGER-2", now_ - 10 * kMinute, 3.0000000000000004}},
                                           now_),
              3);
    source_->save_cold_chain({shipment, "frozen", 3, "low", "warning", -12.345678901234567,
                              R"({"excursions":1})", now_});
    store::SubjectCheck check{"shipment:" + std::to_string(shipment),
                              {"no_update"},
                              {{"no_update", "shipment:" + std::to_string(shipment), "CP-1",
                                shipment, "SF", "warning", "NO_UPDATE", R"({"hours":12})"}}};
    ASSERT_EQ(source_->reconcile_anomalies({check}, now_).opened, 1);
    check.findings.clear();
    ASSERT_EQ(source_->reconcile_anomalies({check}, now_ + kMinute).resolved, 1);
    check.findings = {{"no_update", check.subject, "CP-1", shipment, "SF", "major", "NO_UPDATE",
                       R"({"hours":24})"}};
    ASSERT_EQ(source_->reconcile_anomalies({check}, now_ + 2 * kMinute).opened, 1);

    store::PaymentRecord p{"CP-2", "wechatpay", "4200000001",   "notify-1",
                           10570,  "oWx_CP-2",  now_ - kMinute, now_};
    ASSERT_TRUE(std::holds_alternative<store::PaymentApplied>(source_->record_payment(
        p, {0, now_, "payment:wechatpay", "system", "order.pay", "order:CP-2", "", "", "{}"})));

    store::NotificationJob job;
    job.idem_key = "order.SHIPPED:CP-1|oWx_CP-1|wechat";
    job.event_key = "order.SHIPPED:CP-1";
    job.event_kind = "order.SHIPPED";
    job.order_no = "CP-1";
    job.audience = "customer";
    job.channel = "wechat";
    job.recipient = "oWx_CP-1";
    job.payload = R"({"text":"您的订单已发货"})";
    job.event_at = now_;
    job.send_at = now_;
    ASSERT_EQ(source_->plan_notifications(0, {job}, false, now_), 1);

    source_->insert_api_key(
        {"ak_copytest", pii_.seal("secret-bytes", "apikey"), "admin", "迁移", now_, false},
        {0, now_, "system:cli", "system", "apikey.create", "apikey:ak_copytest", "", "", "{}"});
    source_->insert_session({"ab12cd", "oWx_CP-1", now_, now_ + kDay});
    source_->add_subscriptions("oWx_CP-1", {"TPL-1", "TPL-2"}, now_);
    source_->save_idempotent("apikey:ak_copytest\nkey-1", {"hash", 201, R"({"ok":true})"}, now_);
    ASSERT_TRUE(source_->try_lease("archive run", "host:1:abc", now_, kMinute).held);
    auto carriers = source_->carriers();
    auto sf =
        std::find_if(carriers.begin(), carriers.end(), [](auto& c) { return c.code == "SF"; });
    ASSERT_NE(sf, carriers.end());
    sf->name_zh = "顺丰速运（冷链）";
    source_->upsert_carrier(
        *sf, {0, now_, "system:cli", "system", "carrier.upsert", "carrier:SF", "", "", "{}"});

    // CP-3 (the newest order, cancelled a day before T0) moves to the archive.
    now_ = kT0 + 40 * kDay;
    ASSERT_EQ(svc_->archive(30, 100), 1);
    archived_id_ = source_->get_order("CP-3")->id;
    ASSERT_GT(archived_id_, source_->get_order("CP-2")->id);
    CloseSource();
  }

  // Migrates the MariaDB database and copies the source into it, as `coldtrack migrate-data`.
  CopyReport CopyToMysql(const std::string& db) {
    store::mysql::MysqlStore(MysqlOptions(db)).close();
    store::sqlite::Db src(source_path_.string(), 5000, false, false);
    store::mysql::MysqlConn dst(MysqlOptions(db));
    return store::copy::copy_tables(src, dst);
  }

  static void ExpectSameOrder(const Order& a, const Order& b) {
    SCOPED_TRACE(a.data.order_no);
    EXPECT_EQ(a.data.order_no, b.data.order_no);
    EXPECT_EQ(a.status, b.status);
    EXPECT_EQ(a.archived, b.archived);
    EXPECT_EQ(a.created_at, b.created_at);
    EXPECT_EQ(a.updated_at, b.updated_at);
    EXPECT_EQ(a.data.customer.name, b.data.customer.name);
    EXPECT_EQ(a.data.customer.phone, b.data.customer.phone);
    EXPECT_EQ(a.data.customer.openid, b.data.customer.openid);
    EXPECT_EQ(a.data.address.province, b.data.address.province);
    EXPECT_EQ(a.data.address.detail, b.data.address.detail);
    EXPECT_EQ(a.data.amount_fen, b.data.amount_fen);
    EXPECT_EQ(a.data.remark, b.data.remark);
    ASSERT_EQ(a.data.items.size(), b.data.items.size());
    for (std::size_t i = 0; i < a.data.items.size(); ++i)
      EXPECT_EQ(a.data.items[i].name, b.data.items[i].name);
    ASSERT_EQ(a.history.size(), b.history.size());
    for (std::size_t i = 0; i < a.history.size(); ++i) {
      EXPECT_EQ(a.history[i].status, b.history[i].status);
      EXPECT_EQ(a.history[i].from, b.history[i].from);
      EXPECT_EQ(a.history[i].at, b.history[i].at);
      EXPECT_EQ(a.history[i].recorded_at, b.history[i].recorded_at);
      EXPECT_EQ(a.history[i].actor, b.history[i].actor);
      EXPECT_EQ(a.history[i].note, b.history[i].note);
    }
    ASSERT_EQ(a.shipments.size(), b.shipments.size());
    for (std::size_t i = 0; i < a.shipments.size(); ++i) {
      EXPECT_EQ(a.shipments[i].id, b.shipments[i].id);
      EXPECT_EQ(a.shipments[i].carrier, b.shipments[i].carrier);
      EXPECT_EQ(a.shipments[i].carrier_name, b.shipments[i].carrier_name);
      EXPECT_EQ(a.shipments[i].waybill_no, b.shipments[i].waybill_no);
      EXPECT_EQ(a.shipments[i].temp_class, b.shipments[i].temp_class);
    }
  }

  // Every order of the source equals the one read through `other`.
  void ExpectSameOrders(store::Store& other) {
    OpenSource();
    OrderService there(other, pii_, [this] { return now_; });
    for (const std::string no : {"CP-1", "CP-2", "CP-3"}) {
      const Order a = Ok(svc_->get(no, false, kActor), "source " + no);
      const Order b = Ok(there.get(no, false, kActor), "copy " + no);
      ExpectSameOrder(a, b);
      const auto ra = source_->get_order(no);
      const auto rb = other.get_order(no);
      ASSERT_TRUE(ra && rb);
      EXPECT_EQ(ra->id, rb->id);
      EXPECT_EQ(ra->name_sealed, rb->name_sealed);  // sealed bytes, byte for byte
      EXPECT_EQ(ra->phone_sealed, rb->phone_sealed);
      EXPECT_EQ(ra->detail_sealed, rb->detail_sealed);
    }
    const auto ta = source_->order_tracking("CP-1");
    const auto tb = other.order_tracking("CP-1");
    ASSERT_TRUE(ta && tb);
    ASSERT_EQ(ta->size(), 1u);
    ASSERT_EQ(tb->size(), 1u);
    EXPECT_EQ((*tb)[0].raw_payload, kRawPayload);
    EXPECT_EQ((*tb)[0].status, "IN_TRANSIT");
    EXPECT_EQ((*tb)[0].location, "杭州转运中心");
    ASSERT_TRUE((*tb)[0].cold_chain);
    EXPECT_EQ((*tb)[0].cold_chain->mkt_c, -12.345678901234567);  // exactly: the same double
    const auto shipment = (*ta)[0].shipment_id;
    const auto temps_a = source_->temperatures(shipment);
    const auto temps_b = other.temperatures(shipment);
    ASSERT_EQ(temps_a.size(), 3u);
    ASSERT_EQ(temps_b.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(temps_a[i].device_id, temps_b[i].device_id);
      EXPECT_EQ(temps_a[i].at, temps_b[i].at);
      EXPECT_EQ(temps_a[i].temp_c, temps_b[i].temp_c);
    }
    const auto key_a = source_->find_api_key("ak_copytest");
    const auto key_b = other.find_api_key("ak_copytest");
    ASSERT_TRUE(key_a && key_b);
    EXPECT_EQ(key_a->secret_sealed, key_b->secret_sealed);
    EXPECT_EQ(pii_.open(key_b->secret_sealed, "apikey"), "secret-bytes");
    auto carriers = other.carriers();
    auto sf =
        std::find_if(carriers.begin(), carriers.end(), [](auto& c) { return c.code == "SF"; });
    ASSERT_NE(sf, carriers.end());
    EXPECT_EQ(sf->name_zh, "顺丰速运（冷链）");
    EXPECT_EQ(carriers.size(), source_->carriers().size());
    EXPECT_EQ(other.payment_for("CP-2")->transaction_id, "4200000001");
    EXPECT_EQ(other.list_notifications({}).items.size(), 1u);
    EXPECT_EQ(other.subscriptions("oWx_CP-1").size(), 2u);
    EXPECT_TRUE(other.find_session("ab12cd", kT0).has_value());
    EXPECT_EQ(other.find_idempotent("apikey:ak_copytest\nkey-1")->status, 201);
    store::AnomalyFilter f;
    f.order_no = "CP-1";
    EXPECT_EQ(other.list_anomalies(f).items.size(), 2u);
    EXPECT_EQ(other.count_orders(store::ArchiveScope::kOnly), 1);
    EXPECT_EQ(other.count_orders(store::ArchiveScope::kExclude), 2);
    CloseSource();
  }

  PiiCodec pii_{kDataKey};
  EpochMs now_ = kT0;
  spdlog::level::level_enum log_level_ = spdlog::level::info;
  fs::path source_path_;
  std::string database_;
  std::vector<fs::path> extra_files_;
  std::vector<std::string> extra_databases_;
  std::int64_t archived_id_ = 0;
  std::unique_ptr<store::sqlite::SqliteStore> source_;
  std::unique_ptr<OrderService> svc_;
};

TEST_F(TableCopyTest, CopiesEveryTableAndTheStoreReadsTheSameData) {
  BuildSource();
  const CopyReport report = CopyToMysql(database_);
  ASSERT_TRUE(report.ok());
  EXPECT_GT(report.rows, 40);
  std::set<std::string> tables;
  for (const auto& t : report.tables) {
    tables.insert(t.table);
    EXPECT_EQ(t.source.rows, t.destination.rows) << t.table;
    EXPECT_EQ(t.source.sha256_hex, t.destination.sha256_hex) << t.table;
    EXPECT_EQ(t.source.sha256_hex.size(), 64u);
  }
  for (const char* t : {"orders", "orders_archive", "order_events_archive", "shipments",
                        "shipment_tracking", "temperature_readings", "anomalies", "carriers",
                        "notifications", "api_keys", "audit_log", "outbox", "leases"})
    EXPECT_TRUE(tables.contains(t)) << t;
  EXPECT_FALSE(tables.contains("schema_migrations"));
  for (const auto& t : report.tables)
    if (t.table == "orders") {
      ASSERT_TRUE(t.next_id);
      EXPECT_GT(*t.next_id, archived_id_);
    }

  store::mysql::MysqlStore copy(MysqlOptions(database_));
  ExpectSameOrders(copy);

  // A new order on MariaDB never takes the id of the archived (newest) order.
  OrderService there(copy, pii_, [this] { return now_; });
  Ok(there.create(MakeOrder("CP-4", "赵六", "13700000004", now_), kActor), "CP-4");
  EXPECT_GT(copy.get_order("CP-4")->id, archived_id_);
  copy.close();
}

TEST_F(TableCopyTest, ExportsBackToSqliteWithTheSameChecksums) {
  BuildSource();
  ASSERT_TRUE(CopyToMysql(database_).ok());
  const fs::path back = TempPath("export");
  extra_files_.push_back(back);
  store::sqlite::SqliteStore(store::sqlite::SqliteOptions{back.string(), false, 5000, 1}).close();
  {
    store::mysql::MysqlConn src(MysqlOptions(database_));
    store::sqlite::Db dst(back.string(), 5000, false, false);
    const auto report = store::copy::copy_tables(src, dst);
    ASSERT_TRUE(report.ok());
    for (const auto& t : report.tables)
      if (t.table == "orders") {
        ASSERT_TRUE(t.next_id);
        EXPECT_GT(*t.next_id, archived_id_);
      }
  }
  {
    // The round trip changed no byte: the original and the exported file have equal checksums.
    store::sqlite::Db a(source_path_.string(), 5000, false, false);
    store::sqlite::Db b(back.string(), 5000, false, false);
    for (const auto& t : store::copy::verify_tables(a, b)) EXPECT_TRUE(t.ok()) << t.table;
  }
  store::sqlite::SqliteStore exported(store::sqlite::SqliteOptions{back.string(), false, 5000, 1});
  ExpectSameOrders(exported);
  OrderService there(exported, pii_, [this] { return now_; });
  Ok(there.create(MakeOrder("CP-5", "钱七", "13600000005", now_), kActor), "CP-5");
  EXPECT_GT(exported.get_order("CP-5")->id, archived_id_);
  exported.close();
}

TEST_F(TableCopyTest, RefusesADestinationThatHoldsData) {
  BuildSource();
  {
    store::mysql::MysqlStore dst(MysqlOptions(database_));
    ASSERT_TRUE(dst.try_lease("anomaly sweep", "someone", now_, kMinute).held);
    dst.close();
  }
  try {
    CopyToMysql(database_);
    FAIL() << "copied into a database that holds data";
  } catch (const CopyRefused& e) {
    EXPECT_CONTAINS(e.what(), "not empty: table leases");
  }
  store::mysql::MysqlConn dst(MysqlOptions(database_));
  auto s = dst.prepare("SELECT COUNT(*) FROM orders");
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.i64(0), 0) << "nothing is written when the copy is refused";
}

TEST_F(TableCopyTest, ACopyIntoTheSameDatabaseAgainIsRefused) {
  BuildSource();
  ASSERT_TRUE(CopyToMysql(database_).ok());
  EXPECT_THROW(CopyToMysql(database_), CopyRefused);
}

TEST_F(TableCopyTest, VerificationFindsOneChangedByte) {
  BuildSource();
  ASSERT_TRUE(CopyToMysql(database_).ok());
  store::sqlite::Db src(source_path_.string(), 5000, false, false);
  store::mysql::MysqlConn dst(MysqlOptions(database_));
  for (const auto& t : store::copy::verify_tables(src, dst)) EXPECT_TRUE(t.ok()) << t.table;

  // One bit of one byte of one sealed name.
  dst.exec(
      "UPDATE orders SET name_sealed = INSERT(name_sealed, 5, 1, "
      "CHAR(ASCII(SUBSTRING(name_sealed, 5, 1)) ^ 1)) WHERE order_no = 'CP-2'");
  int bad = 0;
  for (const auto& t : store::copy::verify_tables(src, dst)) {
    if (t.ok()) continue;
    ++bad;
    EXPECT_EQ(t.table, "orders");
    EXPECT_EQ(t.source.rows, t.destination.rows);
    EXPECT_NE(t.source.sha256_hex, t.destination.sha256_hex);
  }
  EXPECT_EQ(bad, 1);

  // A missing row shows in the count.
  dst.exec("DELETE FROM order_events ORDER BY id DESC LIMIT 1");
  for (const auto& t : store::copy::verify_tables(src, dst))
    if (t.table == "order_events") {
      EXPECT_EQ(t.destination.rows, t.source.rows - 1);
    }
}

TEST_F(TableCopyTest, RefusesDifferentSchemaVersions) {
  BuildSource();
  {
    // As if a newer coldtrack had migrated the source.
    store::sqlite::Db src(source_path_.string(), 5000, false, false);
    src.exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', 0)");
  }
  try {
    CopyToMysql(database_);
    FAIL() << "copied between different schema versions";
  } catch (const CopyRefused& e) {
    EXPECT_CONTAINS(e.what(), "schema versions differ");
    EXPECT_CONTAINS(e.what(), "99");
  }
}

TEST_F(TableCopyTest, RefusesDifferentColumnsListingThem) {
  BuildSource();
  store::mysql::MysqlStore(MysqlOptions(database_)).close();
  store::mysql::MysqlConn dst(MysqlOptions(database_));
  dst.exec("ALTER TABLE leases ADD COLUMN note TEXT");
  store::sqlite::Db src(source_path_.string(), 5000, false, false);
  try {
    store::copy::copy_tables(src, dst);
    FAIL() << "copied between different columns";
  } catch (const CopyRefused& e) {
    EXPECT_CONTAINS(e.what(),
                    "table leases has columns (name, owner, until, acquired_at) in the "
                    "source but (name, owner, until, acquired_at, note)");
  }
}

TEST_F(TableCopyTest, RefusesSqliteValuesOfAnotherType) {
  BuildSource();
  {
    store::sqlite::Db src(source_path_.string(), 5000, false, false);
    src.exec("UPDATE orders SET amount_fen = 'about 100' WHERE order_no = 'CP-1'");
  }
  try {
    CopyToMysql(database_);
    FAIL() << "copied a text value of an INTEGER column";
  } catch (const CopyRefused& e) {
    EXPECT_CONTAINS(e.what(), "orders.amount_fen: 1 value(s) not of its type INTEGER");
  }
}

// More rows than one MariaDB read page (2,000) and one transaction, in a table with a
// three-column key: pages continue after the last key, batches commit, multi-row INSERTs of
// every size are used, and progress is reported.
TEST_F(TableCopyTest, LargeTablesArePagedBatchedAndReported) {
  BuildSource();
  {
    OpenSource();
    const auto shipment = source_->get_order("CP-1")->shipments.at(0).id;
    std::vector<store::TemperatureRecord> readings;
    for (int i = 0; i < 2601; ++i)
      for (const char* device : {"A", "B"})
        readings.push_back({device, kT0 + i * kMinute, -18.0 + (i % 97) / 7.0});
    ASSERT_EQ(source_->insert_temperatures(shipment, readings, now_), 5202);
    CloseSource();
  }
  store::mysql::MysqlStore(MysqlOptions(database_)).close();
  std::vector<std::int64_t> progress;
  {
    store::sqlite::Db src(source_path_.string(), 5000, false, false);
    store::mysql::MysqlConn dst(MysqlOptions(database_));
    store::copy::CopyOptions o;
    o.batch_rows = 333;
    o.progress_every = 1000;
    o.progress = [&](std::string_view table, std::int64_t done, std::int64_t total) {
      if (table == "temperature_readings") {
        EXPECT_EQ(total, 5205);
        progress.push_back(done);
      }
    };
    const auto report = store::copy::copy_tables(src, dst, o);
    ASSERT_TRUE(report.ok());
  }
  EXPECT_EQ(progress, (std::vector<std::int64_t>{1000, 2000, 3000, 4000, 5000, 5205}));

  // Back to SQLite: read from MariaDB page by page, and the same bytes as the original.
  const fs::path back = TempPath("export");
  extra_files_.push_back(back);
  store::sqlite::SqliteStore(store::sqlite::SqliteOptions{back.string(), false, 5000, 1}).close();
  {
    store::mysql::MysqlConn src(MysqlOptions(database_));
    store::sqlite::Db dst(back.string(), 5000, false, false);
    store::copy::CopyOptions o;
    o.batch_rows = 1000;
    ASSERT_TRUE(store::copy::copy_tables(src, dst, o).ok());
  }
  store::sqlite::Db a(source_path_.string(), 5000, false, false);
  store::sqlite::Db b(back.string(), 5000, false, false);
  for (const auto& t : store::copy::verify_tables(a, b)) {
    EXPECT_TRUE(t.ok()) << t.table;
    if (t.table == "temperature_readings") {
      EXPECT_EQ(t.destination.rows, 5205);
    }
  }
}

// A copy that fails half-way empties the tables it wrote, so that it can simply run again.
TEST_F(TableCopyTest, AFailedCopyLeavesTheDestinationEmptyForTheNextRun) {
  BuildSource();
  store::mysql::MysqlStore(MysqlOptions(database_)).close();
  {
    store::mysql::MysqlConn dst(MysqlOptions(database_));
    dst.exec("ALTER TABLE orders MODIFY remark VARCHAR(2) NOT NULL");  // too short for a remark
  }
  try {
    CopyToMysql(database_);
    FAIL() << "the copy did not fail";
  } catch (const store::sql::Error& e) {
    EXPECT_CONTAINS(e.what(), "remark");
    EXPECT_CONTAINS(e.what(), "the destination tables written so far were emptied again");
  }
  {
    store::mysql::MysqlConn dst(MysqlOptions(database_));
    for (const char* t : {"anomalies", "audit_log", "order_events", "orders"}) {
      auto s = dst.prepare(std::string("SELECT COUNT(*) FROM ") + t);
      ASSERT_TRUE(s.step());
      EXPECT_EQ(s.i64(0), 0) << t;
    }
    dst.exec("ALTER TABLE orders MODIFY remark TEXT NOT NULL");
  }
  EXPECT_TRUE(CopyToMysql(database_).ok());
}

TEST_F(TableCopyTest, TheMariadbSchemaSkipsTheGeneratedColumn) {
  store::mysql::MysqlStore(MysqlOptions(database_)).close();
  store::mysql::MysqlConn db(MysqlOptions(database_));
  for (const auto& t : store::copy::describe_tables(db)) {
    if (t.name != "anomalies") continue;
    for (const auto& c : t.columns) EXPECT_NE(c.name, "open_kind");
    EXPECT_EQ(t.key, std::vector<std::string>{"id"});
    return;
  }
  FAIL() << "no anomalies table";
}

}  // namespace
}  // namespace coldtrack
