// Leases and due-shipment claims on one real SQLite file opened by two SqliteStore instances: the
// view of two `coldtrack serve` processes sharing a database.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "app/leased.h"
#include "service/order_service.h"
#include "service/pii.h"
#include "store/sqlite/sqlite_store.h"

namespace coldtrack {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using domain::EpochMs;
using store::sqlite::SqliteOptions;
using store::sqlite::SqliteStore;

constexpr EpochMs kT0 = 1'795'583'100'000;
constexpr EpochMs kTtl = 10'000;

class LeaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log_level_ = spdlog::get_level();
    spdlog::set_level(spdlog::level::warn);
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() / ("coldtrack_lease_" + std::to_string(::getpid()) + "_" +
                                         std::to_string(counter++) + ".db");
    a_ = open();
    b_ = open();
  }
  void TearDown() override {
    for (auto* s : {&a_, &b_}) {
      if (*s) (*s)->close();
      s->reset();
    }
    spdlog::set_level(log_level_);
    for (const char* suffix : {"", "-wal", "-shm", "-journal", "-users"}) {
      std::error_code ec;
      fs::remove(path_.string() + suffix, ec);
    }
  }
  std::unique_ptr<SqliteStore> open() {
    return std::make_unique<SqliteStore>(SqliteOptions{path_.string(), false, 5000, 2});
  }

  fs::path path_;
  std::unique_ptr<SqliteStore> a_, b_;  // two processes' views of one database
  spdlog::level::level_enum log_level_ = spdlog::level::info;
};

TEST_F(LeaseTest, OnlyOneOwnerAtATime) {
  EXPECT_TRUE(a_->try_lease("anomaly sweep", "A", kT0, kTtl).held);
  EXPECT_FALSE(b_->try_lease("anomaly sweep", "B", kT0 + 1, kTtl).held);
  EXPECT_FALSE(b_->try_lease("anomaly sweep", "B", kT0 + kTtl - 1, kTtl).held);
  // Leases are per name.
  EXPECT_TRUE(b_->try_lease("archive run", "B", kT0, kTtl).held);
  EXPECT_FALSE(a_->try_lease("archive run", "A", kT0 + 1, kTtl).held);
}

TEST_F(LeaseTest, TheOwnerRenewsAndKeepsIt) {
  ASSERT_TRUE(a_->try_lease("anomaly sweep", "A", kT0, kTtl).held);
  const auto renewed = a_->try_lease("anomaly sweep", "A", kT0 + 8'000, kTtl);
  EXPECT_TRUE(renewed.held);
  EXPECT_TRUE(renewed.taken_from.empty());
  // Past the first term, but within the renewed one.
  EXPECT_FALSE(b_->try_lease("anomaly sweep", "B", kT0 + 15'000, kTtl).held);
  EXPECT_TRUE(a_->try_lease("anomaly sweep", "A", kT0 + 16'000, kTtl).held);
}

TEST_F(LeaseTest, AnExpiredLeaseIsTakenOverAndTheOldOwnerIsOut) {
  ASSERT_TRUE(a_->try_lease("anomaly sweep", "A", kT0, kTtl).held);
  // A died: nobody renews. At expiry B takes over and learns from whom.
  const auto taken = b_->try_lease("anomaly sweep", "B", kT0 + kTtl, kTtl);
  EXPECT_TRUE(taken.held);
  EXPECT_EQ(taken.taken_from, "A");
  // A comes back (a stalled process): it does not run alongside B.
  EXPECT_FALSE(a_->try_lease("anomaly sweep", "A", kT0 + kTtl + 1, kTtl).held);
  EXPECT_TRUE(b_->try_lease("anomaly sweep", "B", kT0 + kTtl + 2, kTtl).held);
}

TEST_F(LeaseTest, ReleaseFreesItAtOnceButOnlyForTheOwner) {
  ASSERT_TRUE(a_->try_lease("anomaly sweep", "A", kT0, kTtl).held);
  b_->release_lease("anomaly sweep", "B");  // not B's: no effect
  EXPECT_FALSE(b_->try_lease("anomaly sweep", "B", kT0 + 1, kTtl).held);
  a_->release_lease("anomaly sweep", "A");
  const auto r = b_->try_lease("anomaly sweep", "B", kT0 + 2, kTtl);
  EXPECT_TRUE(r.held);
  EXPECT_TRUE(r.taken_from.empty());  // a handover, not a takeover
}

TEST_F(LeaseTest, RacingContendersGetExactlyOneWinnerPerTerm) {
  // Eight threads over two connections ask at once, term after term.
  for (int term = 0; term < 20; ++term) {
    const EpochMs now = kT0 + term * kTtl;  // each term starts as the previous one expires
    std::atomic<int> winners{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i)
      threads.emplace_back([&, i] {
        auto& s = i % 2 ? *a_ : *b_;
        if (s.try_lease("race", "owner-" + std::to_string(i), now, kTtl).held) ++winners;
      });
    for (auto& t : threads) t.join();
    EXPECT_EQ(winners.load(), 1) << "term " << term;
  }
}

// ---- LeasedPeriodic ------------------------------------------------------------------------

EpochMs wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

TEST_F(LeaseTest, LeasedPeriodicRunsOnOneReplicaAndHandsOverOnStop) {
  std::atomic<int> runs_a{0}, runs_b{0}, overlap{0}, inside{0};
  auto job = [&](std::atomic<int>& runs) {
    return [&] {
      if (++inside > 1) ++overlap;
      std::this_thread::sleep_for(2ms);
      --inside;
      ++runs;
    };
  };
  auto a = std::make_unique<app::LeasedPeriodic>(*a_, "sweep", "A", 20ms, job(runs_a), wall_ms);
  ASSERT_TRUE(eventually([&] { return runs_a > 0; }, 2s));
  app::LeasedPeriodic b(*b_, "sweep", "B", 20ms, job(runs_b), wall_ms);
  std::this_thread::sleep_for(200ms);
  EXPECT_GE(runs_a.load(), 5);
  EXPECT_EQ(runs_b.load(), 0);
  EXPECT_TRUE(a->held());
  EXPECT_FALSE(b.held());
  EXPECT_GE(a->ttl_ms(), 2 * 20 + 1'000);

  a.reset();  // stops and releases: B takes over at its next run, not after the TTL
  ASSERT_TRUE(eventually([&] { return runs_b > 0; }, 2s));
  EXPECT_TRUE(b.held());
  EXPECT_EQ(overlap.load(), 0);
}

// ---- due shipments are claimed -------------------------------------------------------------

TEST_F(LeaseTest, TwoReplicasNeverGetTheSameDueShipment) {
  service::PiiCodec pii("0123456789abcdef0123456789ABCDEF");
  EpochMs now = kT0;
  service::OrderService svc(*a_, pii, [&] { return now; });
  const service::Actor actor{"apikey:ak_test", "operator", "req-1", "127.0.0.1"};
  constexpr int kShipments = 30;
  for (int i = 0; i < kShipments; ++i) {
    domain::NewOrder o;
    o.order_no = "LEASE-" + std::to_string(i);
    o.customer = {"张三", "13800000001", "oWx_openid-1"};
    o.address = {"上海市", "上海市", "浦东新区", "世纪大道100号"};
    o.items = {{"DJ-SX-1KG", "三鲜水饺 1kg", "frozen", 1, 3990}};
    o.amount_fen = 3990;
    ASSERT_TRUE(svc.create(o, actor).ok()) << i;
    ASSERT_TRUE(
        svc.change_status(o.order_no, domain::OrderStatus::kPaid, std::nullopt, "", actor).ok());
    ASSERT_TRUE(
        svc.add_shipment(o.order_no, "SF", "SF10000000" + std::to_string(10 + i), actor).ok());
  }
  now += 1'000;
  // Both replicas' workers ask at once, in small batches, until nothing is due.
  std::vector<std::int64_t> got_a, got_b;
  std::thread ta([&] {
    for (int guard = 0; guard < 100; ++guard) {  // bounded: an unclaimed row would repeat
      const auto batch = a_->due_shipments(now, 4);
      if (batch.empty()) break;
      for (const auto& t : batch) got_a.push_back(t.shipment_id);
    }
  });
  std::thread tb([&] {
    for (int guard = 0; guard < 100; ++guard) {
      const auto batch = b_->due_shipments(now, 4);
      if (batch.empty()) break;
      for (const auto& t : batch) got_b.push_back(t.shipment_id);
    }
  });
  ta.join();
  tb.join();
  std::set<std::int64_t> all(got_a.begin(), got_a.end());
  for (auto id : got_b) EXPECT_TRUE(all.insert(id).second) << "shipment " << id << " twice";
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kShipments));

  // A claim is a lease: a poller that died leaves them due again a few minutes later.
  EXPECT_TRUE(b_->due_shipments(now + 60'000, 100).empty());
  EXPECT_EQ(b_->due_shipments(now + 10 * 60'000, 100).size(), static_cast<std::size_t>(kShipments));
  // update_polling sets the real next time.
  store::PollUpdate u;
  u.next_poll_at = now + 3'600'000;
  a_->update_polling(*all.begin(), u);
  EXPECT_EQ(a_->due_shipments(now + 30 * 60'000, 100).size(),
            static_cast<std::size_t>(kShipments - 1));
}

}  // namespace
}  // namespace coldtrack
