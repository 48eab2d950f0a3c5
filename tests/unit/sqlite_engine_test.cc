// The SQLite engine under concurrent writers: group commit must give every body its own outcome
// (a failing body rolls back alone), keep last_insert_id/changes per body, and return only
// after the commit that made the body's writes durable.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <latch>
#include <map>
#include <random>
#include <stdexcept>
#include <thread>

#include "store/sqlite/db.h"
#include "store/sqlite/sqlite_store.h"

namespace coldtrack::store::sqlite {
namespace {

namespace fs = std::filesystem;

class SqliteEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("ct-engine-" + std::to_string(std::random_device{}()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    SqliteOptions o;
    o.path = (dir_ / "e.db").string();
    o.mmap_bytes = 64 << 20;
    engine_ = open_engine(o);
    engine_->write([](sql::Conn& db) {
      db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL UNIQUE)");
    });
  }
  void TearDown() override {
    engine_->close();
    fs::remove_all(dir_);
  }

  // Rows of t, read through a connection of its own (so only committed data).
  std::map<std::int64_t, std::int64_t> committed() {
    Db db((dir_ / "e.db").string(), 1000, false, true);
    std::map<std::int64_t, std::int64_t> rows;
    auto s = db.prepare("SELECT id, v FROM t");
    while (s.step()) rows[s.i64(0)] = s.i64(1);
    return rows;
  }

  // Inserts v in a transaction and returns the row id the body saw.
  std::int64_t insert(std::int64_t v) {
    std::int64_t id = 0;
    engine_->write([&](sql::Conn& db) {
      sql::Transaction tx(db);
      db.prepare("INSERT INTO t (v) VALUES (?)").bind(1, v).run();
      EXPECT_EQ(db.changes(), 1);
      id = db.last_insert_id();
      tx.commit();
    });
    return id;
  }

  fs::path dir_;
  std::unique_ptr<sql::Engine> engine_;
};

TEST_F(SqliteEngineTest, ConcurrentWritersEachSeeTheirOwnRowAndFailuresRollBackAlone) {
  constexpr int kThreads = 8, kPerThread = 150;
  std::vector<std::map<std::int64_t, std::int64_t>> acked(kThreads);  // id -> v, per thread
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::int64_t v = t * 100000 + i;
        if (i % 10 == 3) {
          // Writes, then fails: nothing of it may remain, whatever group it ran in.
          EXPECT_THROW(engine_->write([&](sql::Conn& db) {
            sql::Transaction tx(db);
            db.prepare("INSERT INTO t (v) VALUES (?)").bind(1, v).run();
            throw std::runtime_error("body failed");
          }),
                       std::runtime_error);
          ++failed;
          continue;
        }
        if (i % 10 == 7) {
          // A constraint error inside the body (duplicate v of the row just written).
          EXPECT_THROW(engine_->write([&](sql::Conn& db) {
            sql::Transaction tx(db);
            db.prepare("INSERT INTO t (v) VALUES (?)").bind(1, v).run();
            db.prepare("INSERT INTO t (v) VALUES (?)").bind(1, v).run();
            tx.commit();
          }),
                       sql::Error);
          ++failed;
          continue;
        }
        acked[t][insert(v)] = v;
      }
    });
  }
  for (auto& th : threads) th.join();
  std::map<std::int64_t, std::int64_t> expected;
  for (const auto& a : acked) expected.insert(a.begin(), a.end());
  EXPECT_EQ(failed.load(), kThreads * kPerThread / 5);
  EXPECT_EQ(expected.size(), static_cast<std::size_t>(kThreads * kPerThread) - failed.load());
  EXPECT_EQ(committed(), expected);  // every acknowledged row, with the id its body saw
}

TEST_F(SqliteEngineTest, BodiesQueuedBehindABusyWriterCommitTogetherAndAreDurableOnReturn) {
  std::latch queued(1), release(1);
  std::thread first([&] {
    engine_->write([&](sql::Conn& db) {
      sql::Transaction tx(db);
      db.prepare("INSERT INTO t (v) VALUES (-1)").run();
      queued.count_down();
      release.wait();  // the others queue up meanwhile
      tx.commit();
    });
  });
  queued.wait();
  constexpr int kWaiting = 6;
  std::vector<std::thread> others;
  std::vector<std::int64_t> ids(kWaiting);
  for (int i = 0; i < kWaiting; ++i)
    others.emplace_back([&, i] {
      ids[i] = insert(i);
      // Returned: the row must already be committed for any other connection.
      EXPECT_EQ(committed().count(ids[i]), 1u) << i;
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  release.count_down();
  first.join();
  for (auto& th : others) th.join();
  const auto rows = committed();
  EXPECT_EQ(rows.size(), static_cast<std::size_t>(kWaiting + 1));
  for (int i = 0; i < kWaiting; ++i) EXPECT_EQ(rows.at(ids[i]), i);
}

TEST_F(SqliteEngineTest, ABodyThatEndsTheGroupTransactionDoesNotLoseTheOthers) {
  // A body that kills the outer transaction (as a disk-full error would): the bodies already
  // written in the group lose their writes with it and must be run again, not reported done.
  std::latch queued(1), release(1);
  std::thread first([&] {
    engine_->write([&](sql::Conn&) {
      queued.count_down();
      release.wait();
    });
  });
  queued.wait();
  std::vector<std::thread> others;
  std::vector<std::int64_t> ids(4, 0);
  for (int i = 0; i < 4; ++i) others.emplace_back([&, i] { ids[i] = insert(100 + i); });
  std::thread killer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_ANY_THROW(engine_->write([](sql::Conn& db) {
      sql::Transaction tx(db);
      db.prepare("INSERT INTO t (v) VALUES (999)").run();
      db.exec("ROLLBACK");  // ends whatever transaction the connection is in
      throw std::runtime_error("lost");
    }));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  release.count_down();
  first.join();
  killer.join();
  for (auto& th : others) th.join();
  const auto rows = committed();
  for (int i = 0; i < 4; ++i) EXPECT_EQ(rows.at(ids[i]), 100 + i) << i;
  for (const auto& [id, v] : rows) EXPECT_NE(v, 999);
}

TEST_F(SqliteEngineTest, ReadsSeeOneSnapshotAndFailuresLeaveTheConnectionUsable) {
  insert(1);
  EXPECT_THROW(engine_->read([](sql::Conn& db) {
    auto s = db.prepare("SELECT count(*) FROM t");
    ASSERT_TRUE(s.step());
    throw std::runtime_error("reader failed");
  }),
               std::runtime_error);
  // Every reader connection is used again (pool of 4): none may be left inside a transaction
  // that would pin an old snapshot.
  for (int round = 0; round < 8; ++round) {
    insert(10 + round);
    std::int64_t n = 0;
    engine_->read([&](sql::Conn& db) {
      auto s = db.prepare("SELECT count(*) FROM t");
      ASSERT_TRUE(s.step());
      n = s.i64(0);
    });
    EXPECT_EQ(n, 2 + round);
  }
}

}  // namespace
}  // namespace coldtrack::store::sqlite
