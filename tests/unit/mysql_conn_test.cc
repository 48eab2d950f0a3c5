// The MariaDB connection, URL and engine against a private mariadbd (tests/mariadb_server.h; the
// suite fails, never skips, when MariaDB is missing).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <latch>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../mariadb_server.h"
#include "store/mysql/conn.h"
#include "store/mysql/engine.h"
#include "store/mysql/url.h"

namespace coldtrack::store::mysql {
namespace {

using test_support::MariadbServer;

#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << (haystack)
#define EXPECT_NOT_CONTAINS(haystack, needle) \
  EXPECT_EQ(std::string(haystack).find(needle), std::string::npos) << (haystack)

// ---- URL ----------------------------------------------------------------------------------------

std::string url_error(const std::string& url) {
  try {
    parse_mysql_url(url);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "<parsed>";
}

TEST(MysqlUrl, ParsesAllPartsAndDecodesCredentials) {
  auto u = parse_mysql_url("mysql://app%40ops:p%40ss%3Aw%2Frd%25@db.internal:3307/coldtrack");
  EXPECT_EQ(u.user, "app@ops");
  EXPECT_EQ(u.password, "p@ss:w/rd%");
  EXPECT_EQ(u.host, "db.internal");
  EXPECT_EQ(u.port, 3307);
  EXPECT_EQ(u.database, "coldtrack");
  EXPECT_EQ(u.socket, "");
}

TEST(MysqlUrl, DefaultsAndSocket) {
  auto u = parse_mysql_url("mysql://10.0.0.5/ct_prod");
  EXPECT_EQ(u.user, "root");
  EXPECT_EQ(u.password, "");
  EXPECT_EQ(u.port, 3306);
  EXPECT_EQ(u.database, "ct_prod");

  auto s = parse_mysql_url("mysql://ct@localhost/ct?socket=%2Frun%2Fmysqld%2Fmysqld.sock");
  EXPECT_EQ(s.user, "ct");
  EXPECT_EQ(s.socket, "/run/mysqld/mysqld.sock");

  auto v6 = parse_mysql_url("mysql://root@[::1]:3306/ct");
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.redacted(), "mysql://root@[::1]:3306/ct");
}

TEST(MysqlUrl, RedactsThePassword) {
  auto u = parse_mysql_url("mysql://app:hunter2@db:3306/ct");
  EXPECT_EQ(u.redacted(), "mysql://app:***@db:3306/ct");
  EXPECT_EQ(parse_mysql_url("mysql://db/ct").redacted(), "mysql://root@db:3306/ct");
}

TEST(MysqlUrl, ErrorsNameTheProblemWithoutThePassword) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"postgres://u:hunter2@db/ct", "scheme"},
      {"mysql://u:hunter2@db:3306/", "database name is missing"},
      {"mysql://u:hunter2@db:3306", "database name is missing"},
      {"mysql://u:hunter2@db:99999/ct", "port"},
      {"mysql://u:hunter2@db/ct?sslmode=on", "unsupported query parameter 'sslmode'"},
      {"mysql://u:hunter2@db/ct/extra", "single database name"},
      {"mysql://u:hunter2@db/c.t", "database name may only contain"},
      {"mysql://u:hunter2 x@db/ct", "not a URL"},
      {"mysql://u:hunter2@/ct", "host is missing"},
  };
  for (const auto& [url, expected] : cases) {
    const std::string error = url_error(url);
    EXPECT_CONTAINS(error, expected);
    EXPECT_NOT_CONTAINS(error, "hunter2");
  }
}

// ---- connection ---------------------------------------------------------------------------------

class MysqlConnTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { database_ = MariadbServer::fresh_database("ct_conn"); }
  static void TearDownTestSuite() { MariadbServer::shared().drop_database(database_); }

  void SetUp() override { conn_ = std::make_unique<MysqlConn>(options()); }

  static MysqlOptions options() { return MariadbServer::shared().options(database_); }

  std::int64_t count(const std::string& table) {
    auto s = conn_->prepare("SELECT COUNT(*) FROM " + table);
    EXPECT_TRUE(s.step());
    return s.i64(0);
  }

  static inline std::string database_;
  std::unique_ptr<MysqlConn> conn_;
};

TEST_F(MysqlConnTest, RoundTripsNumbersNullAndText) {
  MysqlConn& db = *conn_;
  db.exec(
      "CREATE TABLE vals (id INT PRIMARY KEY, i BIGINT, d DOUBLE, t TEXT, b LONGBLOB, "
      "n BIGINT)");
  const std::string chinese = "冷链追踪：温度 2–8 °C ✓ 张三";
  const std::string blob("a\0b\0\0c\xff", 7);
  auto insert = db.prepare("INSERT INTO vals (id, i, d, t, b, n) VALUES (?, ?, ?, ?, ?, ?)");
  insert.bind(1, 1)
      .bind(2, std::numeric_limits<std::int64_t>::min())
      .bind_f64(3, 0.1)
      .bind(4, chinese)
      .bind_blob(5, blob)
      .bind_null(6)
      .run();
  insert.reset();
  insert.bind(1, 2).bind(2, std::numeric_limits<std::int64_t>::max()).bind_f64(3, -1.5e300);
  insert.bind(4, "").bind_blob(5, std::string_view()).bind(6, 7).run();

  auto s = db.prepare("SELECT i, d, t, b, n FROM vals ORDER BY id");
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.i64(0), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(s.text(0), "-9223372036854775808");
  EXPECT_EQ(s.f64(1), 0.1);
  EXPECT_EQ(s.text(1), "0.1");
  EXPECT_EQ(s.text(2), chinese);
  EXPECT_EQ(s.text(3), blob);
  EXPECT_TRUE(s.is_null(4));
  EXPECT_EQ(s.opt_i64(4), std::nullopt);
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.i64(0), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(s.f64(1), -1.5e300);
  EXPECT_EQ(s.text(2), "");
  EXPECT_FALSE(s.is_null(2));
  EXPECT_EQ(s.text(3), "");
  EXPECT_EQ(s.i64(4), 7);
  EXPECT_FALSE(s.step());
}

TEST_F(MysqlConnTest, ConvertsBetweenColumnTypes) {
  auto s = conn_->prepare(
      "SELECT '42', 12345678901234567890.125, TIMESTAMP '2026-11-25 13:05:00', 7, 2.5, "
      "CAST(18446744073709551615 AS UNSIGNED), ?, '12.7', '-1e30'");
  s.bind(1, std::string_view("x\0y", 3));
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.i64(0), 42);
  EXPECT_EQ(s.text(1), "12345678901234567890.125");
  EXPECT_EQ(s.f64(1), 12345678901234567890.125);
  EXPECT_EQ(s.text(2), "2026-11-25 13:05:00");
  EXPECT_EQ(s.text(3), "7");
  EXPECT_EQ(s.f64(3), 7.0);
  EXPECT_EQ(s.i64(4), 2);
  EXPECT_EQ(s.text(5), "18446744073709551615");
  EXPECT_EQ(s.text(6), std::string("x\0y", 3));
  EXPECT_EQ(s.i64(7), 12);  // as SQLite's CAST: truncated, saturated
  EXPECT_EQ(s.i64(8), std::numeric_limits<std::int64_t>::min());
}

TEST_F(MysqlConnTest, LongValuesComeBackExactly) {
  MysqlConn& db = *conn_;
  db.exec("CREATE TABLE docs (id INT PRIMARY KEY, body LONGTEXT)");
  std::string big(2 * 1024 * 1024, '\0');
  for (std::size_t k = 0; k < big.size(); ++k) big[k] = static_cast<char>('a' + k % 23);
  big.replace(1000, 6, "\"温度\"");
  auto insert = db.prepare("INSERT INTO docs (id, body) VALUES (?, ?)");
  insert.bind(1, 1).bind(2, "short").run();
  insert.reset();
  insert.bind(1, 2).bind(2, big).run();
  insert.reset();
  insert.bind(1, 3).bind(2, "after").run();

  auto s = db.prepare("SELECT body, LENGTH(body) FROM docs ORDER BY id");
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.text(0), "short");
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.i64(1), static_cast<std::int64_t>(big.size()));
  EXPECT_TRUE(s.text(0) == big);
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.text(0), "after");
}

TEST_F(MysqlConnTest, OtherStatementsRunWhileRowsAreRead) {
  MysqlConn& db = *conn_;
  db.exec("CREATE TABLE items (id INT PRIMARY KEY, v INT NOT NULL)");
  db.prepare("INSERT INTO items VALUES (1, 10), (2, 20), (3, 30)").run();

  std::vector<std::int64_t> seen;
  auto rows = db.prepare("SELECT id, v FROM items ORDER BY id");
  while (rows.step()) {
    seen.push_back(rows.i64(0));
    db.prepare("UPDATE items SET v = v + 1 WHERE id = ?").bind(1, rows.i64(0)).run();
    auto check = db.prepare("SELECT v FROM items WHERE id = ?");
    check.bind(1, rows.i64(0));
    ASSERT_TRUE(check.step());
    EXPECT_EQ(check.i64(0), rows.i64(1) + 1);
  }
  EXPECT_EQ(seen, (std::vector<std::int64_t>{1, 2, 3}));
}

TEST_F(MysqlConnTest, ChangesCountsMatchedRows) {
  MysqlConn& db = *conn_;
  db.exec("CREATE TABLE ch (id INT PRIMARY KEY, v INT NOT NULL)");
  db.prepare("INSERT INTO ch VALUES (1, 5), (2, 5), (3, 6)").run();
  EXPECT_EQ(db.changes(), 3);
  db.prepare("UPDATE ch SET v = 5 WHERE id = ?").bind(1, 1).run();
  EXPECT_EQ(db.changes(), 1);  // matched though unchanged, as in SQLite
  db.prepare("UPDATE ch SET v = ? WHERE v = ?").bind(1, 5).bind(2, 5).run();
  EXPECT_EQ(db.changes(), 2);
  db.prepare("UPDATE ch SET v = 7 WHERE id = ?").bind(1, 99).run();
  EXPECT_EQ(db.changes(), 0);
  db.prepare("DELETE FROM ch WHERE v = ?").bind(1, 5).run();
  EXPECT_EQ(db.changes(), 2);
  EXPECT_EQ(count("ch"), 1);
  EXPECT_EQ(db.changes(), 2);  // a SELECT leaves it alone
}

TEST_F(MysqlConnTest, LastInsertIdOfAutoIncrement) {
  MysqlConn& db = *conn_;
  db.exec("CREATE TABLE ai (id BIGINT PRIMARY KEY AUTO_INCREMENT, s TEXT)");
  db.prepare("INSERT INTO ai (s) VALUES (?)").bind(1, "a").run();
  const std::int64_t first = db.last_insert_id();
  EXPECT_GT(first, 0);
  db.prepare("INSERT INTO ai (s) VALUES (?)").bind(1, "b").run();
  EXPECT_EQ(db.last_insert_id(), first + 1);
  db.prepare("UPDATE ai SET s = 'c'").run();
  EXPECT_EQ(db.last_insert_id(), first + 1);  // kept, as SQLite keeps the last rowid
}

TEST_F(MysqlConnTest, StatementsAreCachedAndRebound) {
  MysqlConn& db = *conn_;
  auto server_prepares = [&] {
    auto s = db.prepare(
        "SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS "
        "WHERE VARIABLE_NAME = 'COM_STMT_PREPARE'");
    EXPECT_TRUE(s.step());
    return s.i64(0);
  };
  const std::int64_t before = server_prepares();
  for (int k = 1; k <= 3; ++k) {
    auto s = db.prepare("SELECT ? * 2");
    s.bind(1, k);
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.i64(0), 2 * k);
  }
  {
    auto s = db.prepare("SELECT ? * 2");
    s.bind(1, 21);
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.i64(0), 42);
    s.reset();
    ASSERT_TRUE(s.step());  // bindings were cleared: NULL
    EXPECT_TRUE(s.is_null(0));
    s.reset();
    s.bind(1, 5);
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.i64(0), 10);
  }
  EXPECT_EQ(server_prepares() - before, 1);
}

TEST_F(MysqlConnTest, ExecRunsScriptsAndNamesTheFailingStatement) {
  MysqlConn& db = *conn_;
  db.exec(
      "CREATE TABLE ex_a (id INT PRIMARY KEY);\n"
      "CREATE TABLE ex_b (id INT PRIMARY KEY, s TEXT);  -- a comment; with a semicolon\n"
      "INSERT INTO ex_a VALUES (1);");
  EXPECT_EQ(count("ex_a"), 1);
  try {
    db.exec(
        "INSERT INTO ex_b VALUES (1, 'a;b');\n"
        "INSERT INTO ex_missing VALUES (2);\n"
        "INSERT INTO ex_b VALUES (3, 'c');");
    FAIL() << "no error";
  } catch (const sql::Error& e) {
    EXPECT_EQ(e.code, 1146);
    EXPECT_FALSE(e.retryable);
    EXPECT_CONTAINS(e.what(), "statement 2");
    EXPECT_CONTAINS(e.what(), "[in: INSERT INTO ex_missing VALUES (2)]");
    EXPECT_CONTAINS(e.what(), "doesn't exist");
  }
  EXPECT_EQ(count("ex_b"), 1);  // the first ran, the third did not
  try {
    db.prepare("SELEC 1");
    FAIL() << "no error";
  } catch (const sql::Error& e) {
    EXPECT_EQ(e.code, 1064);
    EXPECT_CONTAINS(e.what(), "MariaDB error 1064");
    EXPECT_CONTAINS(e.what(), "[in: SELEC 1]");
  }
}

TEST_F(MysqlConnTest, TransactionsRollBackUnlessCommitted) {
  MysqlConn& db = *conn_;
  db.exec("CREATE TABLE tx (id INT PRIMARY KEY)");
  {
    sql::Transaction tx(db);
    db.prepare("INSERT INTO tx VALUES (1)").run();
    EXPECT_TRUE(db.in_transaction());
  }
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(count("tx"), 0);
  {
    sql::Transaction tx(db);
    db.prepare("INSERT INTO tx VALUES (2)").run();
    tx.commit();
  }
  MysqlConn other(options());
  auto s = other.prepare("SELECT id FROM tx");
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.i64(0), 2);
  EXPECT_FALSE(s.step());
}

TEST_F(MysqlConnTest, SessionSpeaksTheSqliteDialect) {
  MysqlConn& db = *conn_;
  db.exec("CREATE TABLE \"quoted\" (\"order\" VARCHAR(4) NOT NULL)");
  db.prepare("INSERT INTO \"quoted\" (\"order\") VALUES (?)").bind(1, "ab").run();
  auto s = db.prepare(
      "SELECT \"order\" || '-' || 'x', LENGTH('a\\b'), @@session.time_zone, "
      "@@session.tx_isolation, @@autocommit, @@collation_connection FROM \"quoted\"");
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.text(0), "ab-x");
  EXPECT_EQ(s.i64(1), 3);  // no backslash escapes
  EXPECT_EQ(s.text(2), "+00:00");
  EXPECT_EQ(s.text(3), "SERIALIZABLE");
  EXPECT_EQ(s.i64(4), 1);
  EXPECT_EQ(s.text(5), "utf8mb4_nopad_bin");
  // Strict mode: too long is an error, not a truncation.
  try {
    db.prepare("INSERT INTO \"quoted\" VALUES (?)").bind(1, "too long").run();
    FAIL() << "no error";
  } catch (const sql::Error& e) {
    EXPECT_EQ(e.code, 1406);
  }
}

TEST_F(MysqlConnTest, MissingDatabaseIsCreated) {
  auto& server = MariadbServer::shared();
  const std::string name = MariadbServer::fresh_database("ct_created");
  {
    MysqlConn db(server.options(name));
    auto s = db.prepare(
        "SELECT DATABASE(), DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA "
        "WHERE SCHEMA_NAME = DATABASE()");
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.text(0), name);
    EXPECT_EQ(s.text(1), "utf8mb4_nopad_bin");
  }
  server.drop_database(name);
}

TEST_F(MysqlConnTest, ConnectErrorsAreClearAndNeverShowThePassword) {
  MysqlOptions o = options();
  o.url.password = "Wr0ng-Secret-Pw";
  try {
    MysqlConn db(o);
    FAIL() << "connected with a wrong password";
  } catch (const sql::Error& e) {
    EXPECT_EQ(e.code, 1045);
    EXPECT_FALSE(e.retryable);
    EXPECT_CONTAINS(e.what(), ":***@");
    EXPECT_NOT_CONTAINS(e.what(), "Wr0ng-Secret-Pw");
  }
  o.url.host = "127.0.0.1";
  o.url.port = 1;  // nothing listens there
  try {
    MysqlConn db(o);
    FAIL() << "connected to port 1";
  } catch (const sql::Error& e) {
    EXPECT_TRUE(e.retryable);
    EXPECT_CONTAINS(e.what(), "cannot connect to MariaDB at mysql://");
    EXPECT_NOT_CONTAINS(e.what(), "Wr0ng-Secret-Pw");
  }
}

std::int64_t connection_id(sql::Conn& db) {
  auto s = db.prepare("SELECT CONNECTION_ID()");
  EXPECT_TRUE(s.step());
  return s.i64(0);
}

TEST_F(MysqlConnTest, LostConnectionIsRetryableExceptDuringCommit) {
  conn_->exec("CREATE TABLE lost (id INT PRIMARY KEY)");
  MysqlConn in_tx(options()), idle(options());
  in_tx.begin();
  in_tx.prepare("INSERT INTO lost VALUES (1)").run();
  conn_->exec("KILL CONNECTION " + std::to_string(connection_id(in_tx)));
  conn_->exec("KILL CONNECTION " + std::to_string(connection_id(idle)));
  try {
    in_tx.commit();
    FAIL() << "committed on a killed connection";
  } catch (const sql::Error& e) {
    EXPECT_TRUE(is_connection_error(e.code)) << e.code;
    EXPECT_FALSE(e.retryable);  // the COMMIT may or may not have been applied
    EXPECT_CONTAINS(e.what(), "outcome of the transaction is unknown");
  }
  EXPECT_TRUE(in_tx.broken());
  try {
    idle.begin();
    FAIL() << "began on a killed connection";
  } catch (const sql::Error& e) {
    EXPECT_TRUE(e.retryable);
    EXPECT_CONTAINS(e.what(), "lost");
  }
  EXPECT_TRUE(idle.broken());
  EXPECT_THROW(idle.prepare("SELECT 1"), sql::Error);  // never used again
  EXPECT_EQ(count("lost"), 0);
}

// Each worker locks one row, waits for the other, then wants the other's row.
std::vector<int> deadlock(sql::Conn& a, sql::Conn& b) {
  std::latch both_locked(2);
  std::vector<int> outcome(2, -1);
  auto work = [&](sql::Conn& db, int first, int second, int& result) {
    try {
      sql::Transaction tx(db);
      db.prepare("UPDATE dl SET v = v + 1 WHERE id = ?").bind(1, first).run();
      both_locked.arrive_and_wait();
      db.prepare("UPDATE dl SET v = v + 1 WHERE id = ?").bind(1, second).run();
      tx.commit();
      result = 0;
    } catch (const sql::Error& e) {
      result = e.retryable ? e.code : -e.code;
    }
  };
  std::thread t1(work, std::ref(a), 1, 2, std::ref(outcome[0]));
  std::thread t2(work, std::ref(b), 2, 1, std::ref(outcome[1]));
  t1.join();
  t2.join();
  return outcome;
}

TEST_F(MysqlConnTest, DeadlockIsRetryable) {
  conn_->exec(
      "CREATE TABLE dl (id INT PRIMARY KEY, v INT NOT NULL); INSERT INTO dl VALUES (1, 0), (2, 0)");
  MysqlConn other(options());
  auto outcome = deadlock(*conn_, other);
  std::sort(outcome.begin(), outcome.end());
  EXPECT_EQ(outcome, (std::vector<int>{0, 1213}));  // one wins, one is the retryable victim
}

// ---- engine -------------------------------------------------------------------------------------

class MysqlEngineTest : public MysqlConnTest {};

TEST_F(MysqlEngineTest, WriteRetriesDeadlockedTransactions) {
  conn_->exec(
      "CREATE TABLE edl (id INT PRIMARY KEY, v INT NOT NULL); INSERT INTO edl VALUES (1, 0), (2, "
      "0)");
  MysqlEngine engine(options());
  std::latch both_locked(2);
  std::atomic<int> attempts{0};
  auto work = [&](int first, int second) {
    int mine = 0;
    engine.write([&](sql::Conn& db) {
      ++attempts;
      sql::Transaction tx(db);
      db.prepare("UPDATE edl SET v = v + 1 WHERE id = ?").bind(1, first).run();
      if (mine++ == 0) both_locked.arrive_and_wait();
      db.prepare("UPDATE edl SET v = v + 1 WHERE id = ?").bind(1, second).run();
      tx.commit();
    });
  };
  std::thread t1(work, 1, 2);
  std::thread t2(work, 2, 1);
  t1.join();
  t2.join();
  EXPECT_EQ(attempts.load(), 3);
  auto s = conn_->prepare("SELECT SUM(v) FROM edl");
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.i64(0), 4);  // both transactions applied, each once
}

TEST_F(MysqlEngineTest, PoolBoundsConnectionsAndCleansUpLeases) {
  conn_->exec("CREATE TABLE pool (id INT PRIMARY KEY AUTO_INCREMENT, t INT NOT NULL)");
  MysqlOptions o = options();
  o.pool_size = 2;
  MysqlEngine engine(o);
  EXPECT_EQ(engine.dialect(), sql::Dialect::mysql);
  EXPECT_TRUE(engine.ping());

  std::atomic<int> busy{0}, max_busy{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t)
    threads.emplace_back([&, t] {
      engine.write([&](sql::Conn& db) {
        const int now = ++busy;
        for (int seen = max_busy; now > seen && !max_busy.compare_exchange_weak(seen, now);) {
        }
        db.prepare("INSERT INTO pool (t) SELECT ? FROM DUAL WHERE SLEEP(0.02) = 0")
            .bind(1, t)
            .run();
        --busy;
      });
    });
  for (auto& t : threads) t.join();
  EXPECT_LE(max_busy.load(), 2);
  EXPECT_EQ(count("pool"), 6);

  // A body that forgets to commit leaves nothing behind for the next user of the connection.
  engine.write([](sql::Conn& db) {
    db.begin();
    db.prepare("INSERT INTO pool (t) VALUES (99)").run();
  });
  EXPECT_EQ(count("pool"), 6);

  engine.close();
  try {
    engine.read([](sql::Conn&) {});
    FAIL() << "closed engine ran a read";
  } catch (const sql::Error& e) {
    EXPECT_STREQ(e.what(), "store is closed");
  }
  EXPECT_FALSE(engine.ping());
}

// Restarts the shared server even when an assertion fails midway.
struct RestartAtExit {
  ~RestartAtExit() { MariadbServer::shared().start(); }
};

TEST_F(MysqlEngineTest, SurvivesServerRestarts) {
  auto& server = MariadbServer::shared();
  if (server.external()) GTEST_SKIP() << "cannot restart an external server";
  conn_->exec("CREATE TABLE outage (id INT PRIMARY KEY)");
  MysqlEngine engine(options());
  auto insert = [&](int id) {
    engine.write(
        [&](sql::Conn& db) { db.prepare("INSERT INTO outage VALUES (?)").bind(1, id).run(); });
  };
  insert(1);

  for (bool crash : {false, true}) {
    RestartAtExit restart;
    crash ? server.kill9() : server.stop();
    try {
      insert(100);
      FAIL() << "wrote while the server was down";
    } catch (const sql::Error& e) {
      EXPECT_TRUE(e.retryable);
      EXPECT_CONTAINS(e.what(), "cannot connect to MariaDB at mysql://root@127.0.0.1:");
      EXPECT_CONTAINS(e.what(), "gave up after 10 attempts");
    }
    EXPECT_FALSE(engine.ping());
    server.start();
    EXPECT_TRUE(engine.ping());
    insert(crash ? 3 : 2);
  }
  MysqlConn db(options());
  auto s = db.prepare("SELECT COUNT(*), SUM(id) FROM outage");
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.i64(0), 3);
  EXPECT_EQ(s.i64(1), 6);
}

}  // namespace
}  // namespace coldtrack::store::mysql
