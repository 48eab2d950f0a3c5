// The hot response cache (cache::ResponseCache): a fill can never store what a write it heard
// of after the lookup made stale; entries expire, are bounded in bytes, and are never served
// while (or after) another user of the database is around. SoleUseFile tells who else uses a
// SQLite file; the store decorator tells the cache of every write, also without Redis.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "cache/cached_store.h"
#include "cache/response_cache.h"
#include "service/order_service.h"
#include "service/pii.h"
#include "store/sqlite/sole_use.h"
#include "store/sqlite/sqlite_store.h"

namespace coldtrack {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using cache::ResponseCache;
using Clock = std::chrono::steady_clock;

class FakeSole final : public store::SoleUse {
 public:
  std::optional<std::uint64_t> value = 1;
  std::optional<std::uint64_t> epoch() const override { return value; }
};

class ResponseCacheTest : public ::testing::Test {
 protected:
  ResponseCache make(ResponseCache::Options o = {}) {
    if (!o.sole) o.sole = &sole_;
    return ResponseCache(o, [this] { return now_; });
  }
  // Looks up and fills `key` with `body`; returns whether the fill was kept.
  static bool fill(ResponseCache& c, const std::string& key, const std::string& body) {
    auto l = c.lookup(key);
    EXPECT_FALSE(l.body) << key << " was already cached";
    return c.put(key, l.ticket, body);
  }
  static std::string hit(ResponseCache& c, const std::string& key) {
    auto l = c.lookup(key);
    return l.body ? *l.body : std::string("<miss>");
  }

  Clock::time_point now_ = Clock::time_point(100s);
  FakeSole sole_;
};

TEST_F(ResponseCacheTest, ServesAFillUntilItIsOlderThanMaxAge) {
  ResponseCache::Options o;
  o.max_age = 1000ms;
  auto c = make(o);
  EXPECT_EQ(hit(c, "A"), "<miss>");
  auto l = c.lookup("A");
  now_ += 300ms;  // the store read takes a while: age counts from the lookup
  ASSERT_TRUE(c.put("A", l.ticket, "body-A"));
  EXPECT_EQ(hit(c, "A"), "body-A");
  EXPECT_EQ(hit(c, "B"), "<miss>");
  now_ += 700ms;
  EXPECT_EQ(hit(c, "A"), "body-A");
  now_ += 1ms;
  EXPECT_EQ(hit(c, "A"), "<miss>");
  const auto st = c.stats();
  EXPECT_EQ(st.hits, 2u);
  EXPECT_EQ(st.kept, 1u);
  EXPECT_EQ(st.entries, 0u);  // the expired entry went at the lookup that found it old
}

TEST_F(ResponseCacheTest, AChangeHeardAfterTheLookupVoidsTheFill) {
  auto c = make();
  auto a = c.lookup("A");
  auto b = c.lookup("B");
  c.orders_changed({"A"});  // a write committed while both were reading the store
  EXPECT_FALSE(c.put("A", a.ticket, "old-A"));
  EXPECT_TRUE(c.put("B", b.ticket, "B"));
  EXPECT_EQ(hit(c, "A"), "<miss>");
  EXPECT_EQ(hit(c, "B"), "B");

  // An entry already kept goes at the change.
  c.orders_changed({"B"});
  EXPECT_EQ(hit(c, "B"), "<miss>");

  // Everything changed: every fill in flight and every entry.
  ASSERT_TRUE(fill(c, "C", "C"));
  auto d = c.lookup("D");
  c.all_changed();
  EXPECT_FALSE(c.put("D", d.ticket, "D"));
  EXPECT_EQ(hit(c, "C"), "<miss>");
  EXPECT_EQ(c.stats().refused, 2u);
}

TEST_F(ResponseCacheTest, OnlyTheNewestLookupMayFill) {
  auto c = make();
  auto first = c.lookup("A");
  auto second = c.lookup("A");
  EXPECT_NE(first.ticket, second.ticket);
  EXPECT_FALSE(c.put("A", first.ticket, "first"));
  EXPECT_TRUE(c.put("A", second.ticket, "second"));
  EXPECT_FALSE(c.put("A", second.ticket, "again"));  // a ticket is used once
  EXPECT_EQ(hit(c, "A"), "second");
  EXPECT_FALSE(c.put("B", 12345, "never looked up"));
}

TEST_F(ResponseCacheTest, ViewsOfOneOrderAreKeptApartAndGoTogether) {
  using View = ResponseCache::View;
  auto c = make();
  auto o = c.lookup("A");
  ASSERT_TRUE(c.put("A", o.ticket, "order-view"));
  auto t = c.lookup("A", View::kTrack, "1234");
  ASSERT_FALSE(t.body) << "the order view is not the tracking view";
  ASSERT_TRUE(c.put("A", t.ticket, "track-view", View::kTrack, "1234"));
  EXPECT_EQ(hit(c, "A"), "order-view");
  auto right = c.lookup("A", View::kTrack, "1234");
  ASSERT_TRUE(right.body);
  EXPECT_EQ(*right.body, "track-view");
  EXPECT_FALSE(c.lookup("A", View::kTrack, "9999").body) << "other digits are never answered";
  EXPECT_FALSE(c.lookup("A", View::kTrack, "").body);
  EXPECT_TRUE(c.lookup("A", View::kTrack, "1234").body) << "and do not evict the right ones";
  c.orders_changed({"A"});
  EXPECT_EQ(hit(c, "A"), "<miss>");
  EXPECT_FALSE(c.lookup("A", View::kTrack, "1234").body) << "a change drops every view";

  // Keys longer than any valid order number still work; a change to one drops everything.
  const std::string long_no(100, 'L');
  ASSERT_TRUE(fill(c, long_no, "long"));
  ASSERT_TRUE(fill(c, "B", "B"));
  EXPECT_EQ(hit(c, long_no), "long");
  c.orders_changed({long_no});
  EXPECT_EQ(hit(c, long_no), "<miss>");
  EXPECT_EQ(hit(c, "B"), "<miss>");
}

TEST_F(ResponseCacheTest, StaysWithinMaxBytesDroppingTheOldestFirst) {
  ResponseCache::Options o;
  o.max_bytes = 16 * 64 * 1024;  // 64 KiB per shard
  auto c = make(o);
  const std::string body(1000, 'x');
  for (int i = 0; i < 5000; ++i) fill(c, "K" + std::to_string(i), body);
  const auto st = c.stats();
  EXPECT_LE(st.bytes, o.max_bytes);
  EXPECT_GT(st.evicted, 0u);
  EXPECT_GT(st.entries, 500u);  // the budget is used, not thrown away
  EXPECT_EQ(hit(c, "K4999"), body);
  EXPECT_EQ(hit(c, "K0"), "<miss>");
  // A body bigger than a shard's budget is not kept at all.
  auto l = c.lookup("big");
  EXPECT_FALSE(c.put("big", l.ticket, std::string(70 * 1024, 'y')));
}

TEST_F(ResponseCacheTest, NothingIsServedOrKeptWhileOthersUseTheDatabase) {
  auto c = make();
  ASSERT_TRUE(fill(c, "A", "A"));
  auto b = c.lookup("B");

  sole_.value = std::nullopt;  // another process opened the database
  EXPECT_EQ(hit(c, "A"), "<miss>");
  EXPECT_FALSE(c.put("B", b.ticket, "B"));  // read before its writes, maybe
  auto shared = c.lookup("C");
  EXPECT_EQ(shared.ticket, 0u);
  EXPECT_FALSE(c.put("C", shared.ticket, "C"));
  EXPECT_GE(c.stats().shared, 2u);

  // It left: alone again, but under a new epoch: nothing from before comes back.
  sole_.value = 2;
  EXPECT_EQ(hit(c, "A"), "<miss>");
  ASSERT_TRUE(fill(c, "A", "A2"));
  EXPECT_EQ(hit(c, "A"), "A2");
  // The epoch moves between a lookup and its fill: refused.
  auto d = c.lookup("D");
  sole_.value = 3;
  EXPECT_FALSE(c.put("D", d.ticket, "D"));
}

TEST_F(ResponseCacheTest, ConcurrentFillsAndChangesNeverLeaveAStaleEntry) {
  // A writer bumps a per-key version, then tells the cache; readers fill with the version they
  // read after their lookup. Whatever the interleaving, a hit never shows a version older than
  // one the cache had been told of before the hit's lookup.
  ResponseCache::Options o;
  o.max_age = 3600s;
  auto c = make(o);
  constexpr int kKeys = 8;
  std::array<std::atomic<int>, kKeys> version{}, told{};
  std::atomic<bool> stop{false};
  std::atomic<int> stale{0}, hits{0};
  std::thread writer([&] {
    for (int n = 0; !stop; ++n) {
      const int k = n % kKeys;
      const int v = version[k].fetch_add(1) + 1;
      c.orders_changed({"K" + std::to_string(k)});
      told[k].store(v);
      if (n % 64 == 0) std::this_thread::yield();  // let fills through now and then
    }
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&, r] {
      for (int n = r; n < 60'000; ++n) {
        const int k = n % kKeys;
        const auto key = "K" + std::to_string(k);
        const int heard = told[k].load();  // the cache was told of every change up to here
        auto l = c.lookup(key);
        if (l.body) {
          ++hits;
          if (std::stoi(*l.body) < heard) ++stale;
          continue;
        }
        const int read = version[k].load();  // "the store read", after the lookup
        c.put(key, l.ticket, std::to_string(read));
      }
    });
  }
  for (auto& t : readers) t.join();
  stop = true;
  writer.join();
  EXPECT_EQ(stale.load(), 0);
  EXPECT_GT(hits.load(), 0);
}

// ---- SoleUseFile

fs::path TempDb(const std::string& name) {
  return fs::temp_directory_path() /
         ("coldtrack_sole_" + std::to_string(::getpid()) + "_" + name + ".db");
}

TEST(SoleUseFileTest, SeesAnotherUserJoinAtOnceAndLeaveAtTheNextCheck) {
  const auto db = TempDb("join");
  {
    store::sqlite::SoleUseFile a(db.string(), 1h);  // no background poll: checks by hand
    const auto first = a.epoch();
    ASSERT_TRUE(first.has_value());
    {
      store::sqlite::SoleUseFile b(db.string(), 1h);
      EXPECT_FALSE(a.epoch().has_value()) << "the join is seen without a check";
      EXPECT_FALSE(b.epoch().has_value());
      a.check();
      EXPECT_FALSE(a.epoch().has_value()) << "b still holds its lock";
    }
    EXPECT_FALSE(a.epoch().has_value()) << "leaving is only seen at a check";
    a.check();
    const auto again = a.epoch();
    ASSERT_TRUE(again.has_value());
    EXPECT_NE(*again, *first);
  }
  fs::remove(store::sqlite::SoleUseFile::path_for(db.string()));
}

TEST(SoleUseFileTest, TheBackgroundPollNoticesThatOthersLeft) {
  const auto db = TempDb("poll");
  {
    store::sqlite::SoleUseFile a(db.string(), 10ms);
    auto b = std::make_unique<store::sqlite::SoleUseFile>(db.string(), 10ms);
    EXPECT_FALSE(a.epoch().has_value());
    b.reset();
    bool alone = false;
    for (int i = 0; i < 500 && !alone; ++i) {
      std::this_thread::sleep_for(10ms);
      alone = a.epoch().has_value();
    }
    EXPECT_TRUE(alone);
  }
  fs::remove(store::sqlite::SoleUseFile::path_for(db.string()));
}

// ---- the store decorator without a shared cache

class Recorder final : public cache::ViewListener {
 public:
  void orders_changed(const std::vector<std::string>& nos) noexcept override {
    std::lock_guard lock(mu);
    for (const auto& n : nos) heard.push_back(n);
  }
  void all_changed() noexcept override {
    std::lock_guard lock(mu);
    heard.push_back("*");
  }
  std::vector<std::string> take() {
    std::lock_guard lock(mu);
    return std::exchange(heard, {});
  }
  std::mutex mu;
  std::vector<std::string> heard;
};

TEST(CachedStoreListenerTest, EveryWriteToAnOrderViewIsHeard) {
  const auto level = spdlog::get_level();
  spdlog::set_level(spdlog::level::warn);
  const auto db = TempDb("listener");
  {
    Recorder rec;
    cache::CachedStore store(std::make_unique<store::sqlite::SqliteStore>(
                                 store::sqlite::SqliteOptions{db.string(), false, 5000, 2}),
                             rec);
    ASSERT_NE(store.sole_use(), nullptr) << "forwarded from the SQLite store";
    service::PiiCodec pii("0123456789abcdef0123456789ABCDEF");
    constexpr domain::EpochMs kT0 = 1'795'583'100'000;
    service::OrderService orders(store, pii, [] { return kT0; });
    const service::Actor actor{"apikey:ak_test", "operator", "req-1", "127.0.0.1"};
    domain::NewOrder o;
    o.order_no = "L-1";
    o.customer = {"张三", "13800138000", "oWx_openid-1"};
    o.address = {"上海市", "上海市", "浦东新区", "世纪大道100号"};
    o.items = {{"DJ-SX-1KG", "三鲜水饺 1kg", "frozen", 1, 3990}};
    o.amount_fen = 3990;
    ASSERT_TRUE(orders.create(o, actor).ok());
    EXPECT_EQ(rec.take(), std::vector<std::string>{"L-1"});
    ASSERT_TRUE(
        orders.change_status("L-1", domain::OrderStatus::kPaid, std::nullopt, "", actor).ok());
    EXPECT_EQ(rec.take(), std::vector<std::string>{"L-1"});
    ASSERT_TRUE(orders.add_shipment("L-1", "SF", "SF100000009", actor).ok());
    EXPECT_EQ(rec.take(), std::vector<std::string>{"L-1"});

    store::TrackingUpdate u;
    u.provider = "kdniao";
    u.carrier = "SF";
    u.provider_carrier = "SF";
    u.waybill_no = "SF100000009";
    u.status = "IN_TRANSIT";
    u.newest_event_at = kT0 + 60'000;
    u.trace_count = 1;
    u.traces_json = "[]";
    u.now = kT0 + 61'000;
    const auto applied = store.apply_tracking(u);
    ASSERT_EQ(applied.applied, 1);
    EXPECT_EQ(applied.order_nos, std::vector<std::string>{"L-1"}) << "the store names the orders";
    EXPECT_EQ(rec.take(), std::vector<std::string>{"L-1"});
    // A repeated snapshot is not applied, but heard_at moves: the order is told again.
    u.now += 1000;
    EXPECT_EQ(store.apply_tracking(u).applied, 0);
    EXPECT_EQ(rec.take(), std::vector<std::string>{"L-1"});

    // Notification jobs: only WeChat shipping uploads appear in the order view.
    store::NotificationJob sms;
    sms.idem_key = "e1|phone:x|sms";
    sms.event_key = "e1";
    sms.event_kind = "order.SHIPPED";
    sms.order_no = "L-1";
    sms.audience = "customer";
    sms.channel = "sms";
    sms.recipient = "phone:x";
    sms.payload = "{}";
    store.plan_notifications(0, {sms}, false, kT0);
    EXPECT_TRUE(rec.take().empty());
    auto upload = sms;
    upload.idem_key = "e1|tx|wechat_shipping";
    upload.channel = std::string(store::kWechatShippingChannel);
    upload.audience = "wechat";
    upload.recipient = "tx";
    store.plan_notifications(0, {upload}, false, kT0);
    EXPECT_EQ(rec.take(), std::vector<std::string>{"L-1"});

    store::CarrierRecord sf{"SF", "顺丰速运(新名)", "SF", "shunfeng", false, true, "SF"};
    store.upsert_carrier(sf, store::AuditRecord{});
    EXPECT_EQ(rec.take(), std::vector<std::string>{"*"});

    // Reads are forwarded untouched.
    EXPECT_TRUE(store.get_order("L-1").has_value());
    EXPECT_TRUE(rec.take().empty());
    store.close();
  }
  for (const char* suffix : {"", "-wal", "-shm", "-users"}) fs::remove(db.string() + suffix);
  spdlog::set_level(level);
}

}  // namespace
}  // namespace coldtrack
