// `coldtrack migrate-data`: a shop served on SQLite moves to MariaDB (tests/mariadb_server.h)
// with the real binary, and the service started on MariaDB serves the same orders. The source
// is SQLite even when the suite runs with COLDTRACK_IT_BACKENDS=mysql.
#include <unistd.h>

#include <atomic>
#include <filesystem>

#include "../mariadb_server.h"
#include "fixtures.h"

namespace coldtrack::it {
namespace {

namespace fs = std::filesystem;
using test_support::MariadbServer;

#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << (haystack)
#define EXPECT_NOT_CONTAINS(haystack, needle) \
  EXPECT_EQ(std::string(haystack).find(needle), std::string::npos) << (haystack)

class MigrateData : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() /
           ("coldtrack-it-migrate-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::create_directories(dir_);
    sqlite_path_ = (dir_ / "shop.db").string();
    database_ = MariadbServer::fresh_database("itmigrate");
    shop_ = std::make_unique<ServerProcess>(std::map<std::string, std::string>{
        {"COLDTRACK_STORE_BACKEND", "sqlite"}, {"COLDTRACK_STORE_SQLITE_PATH", sqlite_path_}});
  }

  void TearDown() override {
    moved_.reset();
    shop_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
    try {
      MariadbServer::shared().drop_database(database_);
    } catch (const std::exception&) {
    }
  }

  CliResult migrate(const std::string& from, const std::string& to) {
    return shop_->cli({"migrate-data", "--from", from, "--to", to}, 60s);
  }

  json::object get(ServerProcess& s, const std::string& no, const Credentials& creds) {
    auto r = s.get("/api/orders/" + no, creds);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? r.json().as_object() : json::object{};
  }

  fs::path dir_;
  std::string sqlite_path_;
  std::string database_;
  std::unique_ptr<ServerProcess> shop_;
  std::unique_ptr<ServerProcess> moved_;
};

TEST_F(MigrateData, ASqliteShopMovesToMariadbAndIsServedFromThere) {
  ASSERT_NO_THROW(shop_->start());
  const auto viewer = shop_->viewer();
  std::vector<std::string> nos;
  auto body = order_body(unique_order_no("MIG"), "13812345678");
  body["customer"].as_object()["name"] = "欧阳娜娜";
  nos.push_back(str(must_create(*shop_, body), "order_no"));
  nos.push_back(
      str(must_create(*shop_, order_body(unique_order_no("MIG"), unique_phone())), "order_no"));
  ASSERT_EQ(change_status(*shop_, nos[1], "PAID").status, 200);
  ASSERT_EQ(add_shipment(*shop_, nos[1], "SF", unique_waybill()).status, 200);
  nos.push_back(
      str(must_create(*shop_, order_body(unique_order_no("MIG"), unique_phone())), "order_no"));
  ASSERT_EQ(change_status(*shop_, nos[2], "CANCELLED").status, 200);
  std::vector<json::object> before;
  for (const auto& no : nos) before.push_back(get(*shop_, no, viewer));
  ASSERT_EQ(shop_->stop(), 0) << shop_->stderr_text();

  const std::string url = MariadbServer::shared().url(database_);
  const auto r = migrate("sqlite:" + sqlite_path_, url);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_CONTAINS(r.out, "migrate-data: OK:");
  EXPECT_CONTAINS(r.out, "SHA-256 checksums match");
  EXPECT_CONTAINS(r.out, "rows/s");
  EXPECT_CONTAINS(r.out, "\norders ");
  EXPECT_CONTAINS(r.out, "\norder_events ");
  EXPECT_CONTAINS(r.err, "stop the service first");

  // The service on MariaDB, with the same data key, serves the same orders to the same API key.
  moved_ = std::make_unique<ServerProcess>(std::map<std::string, std::string>{
      {"COLDTRACK_STORE_BACKEND", "mysql"},
      {"COLDTRACK_STORE_MYSQL_URL", url},
      {"COLDTRACK_SECURITY_DATA_KEY", shop_->env().at("COLDTRACK_SECURITY_DATA_KEY")}});
  ASSERT_NO_THROW(moved_->start());
  for (std::size_t i = 0; i < nos.size(); ++i) {
    SCOPED_TRACE(nos[i]);
    const auto after = get(*moved_, nos[i], viewer);
    EXPECT_EQ(str(after, "status"), str(before[i], "status"));
    EXPECT_EQ(after.at("history"), before[i].at("history"));
    EXPECT_EQ(after.at("customer"), before[i].at("customer"));
    EXPECT_EQ(after.at("address"), before[i].at("address"));
    EXPECT_EQ(after.at("shipments").as_array().size(), before[i].at("shipments").as_array().size());
  }
  EXPECT_EQ(str(get(*moved_, nos[0], viewer).at("customer").as_object(), "phone"), "138****5678");
  EXPECT_EQ(str(get(*moved_, nos[0], viewer).at("customer").as_object(), "name"), "欧***");
  // Writes work there too, and the copied operator key still signs.
  EXPECT_EQ(moved_
                ->post("/api/orders", to_string(order_body(unique_order_no("MIG"), unique_phone())),
                       shop_->operator_key())
                .status,
            201);
  EXPECT_EQ(change_status(*moved_, nos[0], "PAID").status, 200);
  EXPECT_EQ(moved_->stop(), 0) << moved_->stderr_text();

  // The destination now holds data: a second run is refused and changes nothing.
  const auto again = migrate("sqlite:" + sqlite_path_, url);
  EXPECT_EQ(again.exit_code, 1) << again.out << again.err;
  EXPECT_CONTAINS(again.err, "not empty");
}

TEST_F(MigrateData, BadArgumentsExitTwoWithoutEchoingThePassword) {
  // A SQLite database for the source.
  const auto made = shop_->cli({"migrate"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const std::string from = "sqlite:" + sqlite_path_;
  struct Case {
    std::string from, to, message;
  };
  for (const auto& c : std::vector<Case>{
           {from, "postgres://app:hunter2@db:5432/ct", "unsupported scheme 'postgres'"},
           {from, "mysql://app:hunter2@db:99999/ct", "--to"},
           {from, "mysql://app:hunter2@db:3306/", "database name is missing"},
           {"sqlite:" + (dir_ / "missing.db").string(), "mysql://app:hunter2@db:3306/ct",
            "no SQLite database"},
           {"redis://:hunter2@127.0.0.1:6379", "sqlite:/tmp/x.db", "unsupported scheme 'redis'"},
           {from, "mysql:app:hunter2@db/ct", "unsupported scheme 'mysql'"},
           {from, from, "name the same database"},
       }) {
    SCOPED_TRACE(c.from + " -> " + c.to);
    const auto r = migrate(c.from, c.to);
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_CONTAINS(r.err, c.message);
    EXPECT_NOT_CONTAINS(r.out + r.err, "hunter2");
  }
  // A MariaDB source that does not exist is not created (and "exported" empty).
  const auto missing = migrate(MariadbServer::shared().url(database_ + "_missing"),
                               "sqlite:" + (dir_ / "export.db").string());
  EXPECT_EQ(missing.exit_code, 2) << missing.out << missing.err;
  EXPECT_CONTAINS(missing.err, "no database " + database_ + "_missing");
  EXPECT_FALSE(fs::exists(dir_ / "export.db"));
  // A server that does not answer: exit 1, the URL redacted.
  const auto r = migrate(from, "mysql://app:hunter2@127.0.0.1:1/ct");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_CONTAINS(r.err, "cannot connect to MariaDB at mysql://app:***@127.0.0.1:1/ct");
  EXPECT_NOT_CONTAINS(r.out + r.err, "hunter2");
}

}  // namespace
}  // namespace coldtrack::it
