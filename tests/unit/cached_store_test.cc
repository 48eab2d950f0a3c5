// cache::CachedStore against a real redis-server and real SQLite stores: two decorators on one
// database file and one Redis stand for two replicas. Every write through one replica must be
// visible to the other's very next read, whatever the cache held, also across Redis outages.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/pfr.hpp>

#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include "../redis_server.h"
#include "cache/cached_store.h"
#include "cache/redis_client.h"
#include "cache/view_cache.h"
#include "cache/view_codec.h"
#include "service/order_service.h"
#include "service/pii.h"
#include "store/sqlite/sqlite_store.h"

namespace coldtrack {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using cache::CachedStore;
using cache::ViewKind;
using cache::ViewResult;
using domain::EpochMs;
using domain::OrderStatus;
using S = OrderStatus;

constexpr EpochMs kT0 = 1'795'583'100'000;  // 2026-11-25T13:05:00+08:00
constexpr EpochMs kDay = 86'400'000;
const std::string kDataKey = "0123456789abcdef0123456789ABCDEF";
const service::Actor kActor{"apikey:ak_test", "operator", "req-1", "127.0.0.1"};

// A ViewCache that fails every call while `down`: one replica cut off from a Redis that keeps
// its data (and that the other replica still reaches).
class PartitionableViewCache final : public cache::ViewCache {
 public:
  explicit PartitionableViewCache(cache::ViewCache& real) : real_(real) {}
  std::atomic<bool> down{false};

  cache::CacheResult<cache::ViewLookup> lookup(ViewKind kind, std::string_view no) override {
    if (down) return cut();
    return real_.lookup(kind, no);
  }
  cache::CacheResult<cache::Done> put(ViewKind kind, std::string_view no, std::string_view tag,
                                      std::string_view value) override {
    if (down) return cut();
    return real_.put(kind, no, tag, value);
  }
  cache::CacheResult<cache::Done> invalidate(const std::vector<std::string>& nos) override {
    if (down) return cut();
    return real_.invalidate(nos);
  }
  cache::CacheResult<cache::Done> invalidate_all() override {
    if (down) return cut();
    return real_.invalidate_all();
  }

 private:
  static cache::CacheError cut() { return cache::CacheError{"partitioned (test)"}; }
  cache::ViewCache& real_;
};

// One replica: its own SQLite connections on the shared file, its own Redis client.
struct Replica {
  Replica(const fs::path& db, int redis_port, const std::function<EpochMs()>& clock)
      : client(options(redis_port)),
        redis(client, "t:view:", 300s),
        partition(redis),
        store(std::make_unique<store::sqlite::SqliteStore>(
                  store::sqlite::SqliteOptions{db.string(), false, 5000, 2}),
              partition, 150ms),
        orders(store, pii, clock) {
    store.set_observer([this](ViewResult r) {
      (r == ViewResult::kHit ? hits : r == ViewResult::kMiss ? misses : bypasses)++;
    });
  }
  static cache::RedisClient::Options options(int port) {
    cache::RedisClient::Options o;
    o.url.port = port;
    o.timeout = 100ms;
    o.pool_size = 8;
    return o;
  }

  service::PiiCodec pii{kDataKey};
  cache::RedisClient client;
  cache::RedisViewCache redis;
  PartitionableViewCache partition;
  CachedStore store;
  service::OrderService orders;
  std::atomic<int> hits{0}, misses{0}, bypasses{0};
};

domain::NewOrder MakeOrder(const std::string& no) {
  domain::NewOrder o;
  o.order_no = no;
  o.customer = {"张三", "13800000001", "oWx_openid-1"};
  o.address = {"上海市", "上海市", "浦东新区", "世纪大道100号3栋502室"};
  o.items = {{"DJ-SX-1KG", "三鲜水饺 1kg", "frozen", 2, 3990}};
  o.shipping_fen = 1200;
  o.amount_fen = 9180;
  return o;
}

class CachedStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log_level_ = spdlog::get_level();
    spdlog::set_level(spdlog::level::err);  // migrations and outage warnings
    try {
      redis_ = std::make_unique<test_support::RedisServer>();
    } catch (const std::exception& e) {
      FAIL() << "cannot run the Redis tests: " << e.what();
    }
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() / ("coldtrack_views_" + std::to_string(::getpid()) + "_" +
                                         std::to_string(counter++) + ".db");
    auto clock = [this] { return now_.load(); };
    a_ = std::make_unique<Replica>(path_, redis_->port(), clock);
    b_ = std::make_unique<Replica>(path_, redis_->port(), clock);
  }

  void TearDown() override {
    for (auto* r : {a_.get(), b_.get()})
      if (r) r->store.close();
    a_.reset();
    b_.reset();
    redis_.reset();
    for (const char* suffix : {"", "-wal", "-shm", "-journal", "-users"}) {
      std::error_code ec;
      fs::remove(path_.string() + suffix, ec);
    }
    spdlog::set_level(log_level_);
  }

  void Create(Replica& r, const std::string& no) {
    auto out = r.orders.create(MakeOrder(no), kActor);
    ASSERT_TRUE(out.ok()) << out.error().message;
  }
  void Move(Replica& r, const std::string& no, S to) {
    auto out = r.orders.change_status(no, to, std::nullopt, "", kActor);
    ASSERT_TRUE(out.ok()) << no << " -> " << domain::to_string(to) << ": " << out.error().message;
  }
  void Ship(Replica& r, const std::string& no, const std::string& waybill,
            const std::string& carrier = "SF") {
    auto out = r.orders.add_shipment(no, carrier, waybill, kActor);
    ASSERT_TRUE(out.ok()) << out.error().message;
  }
  // Reads the order and its tracking twice through `r`: the second read is a cache hit.
  void Prime(Replica& r, const std::string& no) {
    for (int i = 0; i < 2; ++i) {
      ASSERT_TRUE(r.store.get_order(no)) << no;
      ASSERT_TRUE(r.store.order_tracking(no)) << no;
    }
    const int hits = r.hits;
    r.store.get_order(no);
    r.store.order_tracking(no);
    ASSERT_EQ(r.hits, hits + 2) << "the views of " << no << " are not cached";
  }
  static OrderStatus StatusOf(Replica& r, const std::string& no) {
    auto o = r.store.get_order(no);
    if (!o) throw std::runtime_error("no order " + no);
    return o->status;
  }
  // The record as the store has it (no cache), encoded: equal encodings = equal records.
  static std::string Fresh(Replica& r, const std::string& no) {
    return cache::encode_order(*r.store.inner().get_order(no));
  }
  static std::string FreshTracking(Replica& r, const std::string& no) {
    return cache::encode_tracking(*r.store.inner().order_tracking(no));
  }
  void ExpectCurrent(Replica& r, const std::string& no) {
    EXPECT_EQ(cache::encode_order(*r.store.get_order(no)), Fresh(r, no)) << no;
    EXPECT_EQ(cache::encode_tracking(*r.store.order_tracking(no)), FreshTracking(r, no)) << no;
  }
  static bool Eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(10ms);
    }
    return true;
  }
  std::size_t RedisKeys(const std::string& pattern) {
    auto r = a_->client.command({"KEYS", pattern});
    return std::get<cache::RedisReply>(r).elements.size();
  }

  std::unique_ptr<test_support::RedisServer> redis_;
  fs::path path_;
  std::atomic<EpochMs> now_{kT0};
  std::unique_ptr<Replica> a_, b_;
  spdlog::level::level_enum log_level_ = spdlog::level::info;
};

// ---- reads ---------------------------------------------------------------------------------

TEST_F(CachedStoreTest, HitAfterMiss) {
  Create(*a_, "V-HIT");
  auto first = b_->store.get_order("V-HIT");
  ASSERT_TRUE(first);
  EXPECT_EQ(b_->misses, 1);
  auto second = b_->store.get_order("V-HIT");
  EXPECT_EQ(b_->hits, 1);
  EXPECT_EQ(cache::encode_order(*second), cache::encode_order(*first));
  EXPECT_EQ(cache::encode_order(*second), Fresh(*b_, "V-HIT"));

  ASSERT_TRUE(b_->store.order_tracking("V-HIT"));
  ASSERT_TRUE(b_->store.order_tracking("V-HIT"));
  EXPECT_EQ(b_->misses, 2);
  EXPECT_EQ(b_->hits, 2);
  // The other replica reads the same entries.
  a_->store.get_order("V-HIT");
  EXPECT_EQ(a_->hits, 1);
  EXPECT_EQ(RedisKeys("t:view:" + std::string(cache::kViewFormat) + ":order:V-HIT"), 1u);
  EXPECT_EQ(RedisKeys("t:view:ver:V-HIT"), 1u);
}

TEST_F(CachedStoreTest, UnknownOrdersAndInvalidNumbersAreNotCached) {
  EXPECT_FALSE(b_->store.get_order("NOPE-1"));
  EXPECT_FALSE(b_->store.order_tracking("NOPE-1"));
  EXPECT_EQ(RedisKeys("t:view:1:*"), 0u);
  Create(*a_, "NOPE-1");
  EXPECT_TRUE(b_->store.get_order("NOPE-1"));
  EXPECT_FALSE(b_->store.get_order("bad no/with:colon"));
  EXPECT_EQ(b_->bypasses, 1);
}

// ---- every kind of write invalidates ---------------------------------------------------------

TEST_F(CachedStoreTest, StatusChangeInvalidates) {
  Create(*a_, "V-ST");
  Prime(*b_, "V-ST");
  Move(*a_, "V-ST", S::kPaid);
  EXPECT_EQ(StatusOf(*b_, "V-ST"), S::kPaid);
  ExpectCurrent(*b_, "V-ST");
}

TEST_F(CachedStoreTest, ShipmentAddedInvalidates) {
  Create(*a_, "V-SH");
  Move(*a_, "V-SH", S::kPaid);
  Prime(*b_, "V-SH");
  EXPECT_TRUE(b_->store.order_tracking("V-SH")->empty());
  Ship(*a_, "V-SH", "SF100000001");
  auto o = b_->store.get_order("V-SH");
  EXPECT_EQ(o->status, S::kShipped);
  ASSERT_EQ(o->shipments.size(), 1u);
  EXPECT_EQ(b_->store.order_tracking("V-SH")->size(), 1u);
  ExpectCurrent(*b_, "V-SH");
}

TEST_F(CachedStoreTest, TrackingAppliedInvalidates) {
  Create(*a_, "V-TR");
  Move(*a_, "V-TR", S::kPaid);
  Ship(*a_, "V-TR", "SF100000002");
  Prime(*b_, "V-TR");
  store::TrackingUpdate u;
  u.provider = "kdniao";
  u.carrier = "SF";
  u.provider_carrier = "SF";
  u.waybill_no = "SF100000002";
  u.status = "IN_TRANSIT";
  u.newest_event_at = kT0 + 60'000;
  u.trace_count = 1;
  u.traces_json = "[]";
  u.now = kT0 + 61'000;
  u.order_target = S::kInTransit;
  ASSERT_EQ(a_->store.apply_tracking(u).applied, 1);
  auto t = b_->store.order_tracking("V-TR");
  ASSERT_EQ(t->size(), 1u);
  EXPECT_TRUE((*t)[0].tracked);
  EXPECT_EQ((*t)[0].status, "IN_TRANSIT");
  EXPECT_EQ(StatusOf(*b_, "V-TR"), S::kInTransit);

  // The same snapshot again is not applied, but the carrier was heard from: heard_at moves.
  Prime(*b_, "V-TR");
  u.now = kT0 + 120'000;
  ASSERT_EQ(a_->store.apply_tracking(u).applied, 0);
  EXPECT_EQ((*b_->store.order_tracking("V-TR"))[0].heard_at, kT0 + 120'000);
  ExpectCurrent(*b_, "V-TR");
}

TEST_F(CachedStoreTest, PaymentInvalidates) {
  Create(*a_, "V-PAY");
  Prime(*b_, "V-PAY");
  store::PaymentRecord p;
  p.order_no = "V-PAY";
  p.provider = "wechatpay";
  p.transaction_id = "4200000001";
  p.notify_id = "n-1";
  p.amount_fen = 9180;
  p.payer_openid = "oWx_openid-1";
  p.success_time = kT0 + 1000;
  p.received_at = kT0 + 2000;
  ASSERT_TRUE(std::holds_alternative<store::PaymentApplied>(
      a_->store.record_payment(p, store::AuditRecord{0, kT0, "payment:wechatpay", "system",
                                                     "order.pay", "order:V-PAY", "", "", "{}"})));
  EXPECT_EQ(StatusOf(*b_, "V-PAY"), S::kPaid);
  ExpectCurrent(*b_, "V-PAY");
}

TEST_F(CachedStoreTest, ArchiveInvalidates) {
  Create(*a_, "V-AR");
  Move(*a_, "V-AR", S::kCancelled);
  Prime(*b_, "V-AR");
  EXPECT_FALSE(b_->store.get_order("V-AR")->archived);
  now_ = kT0 + 200 * kDay;
  ASSERT_EQ(a_->orders.archive(180, 100), 1);
  EXPECT_TRUE(b_->store.get_order("V-AR")->archived);
  ExpectCurrent(*b_, "V-AR");
}

TEST_F(CachedStoreTest, CarrierRenameInvalidates) {
  Create(*a_, "V-CR");
  Move(*a_, "V-CR", S::kPaid);
  Ship(*a_, "V-CR", "SF100000003");
  Prime(*b_, "V-CR");
  auto carriers = a_->store.carriers();
  auto sf = std::find_if(carriers.begin(), carriers.end(), [](auto& c) { return c.code == "SF"; });
  ASSERT_NE(sf, carriers.end());
  sf->name_zh = "顺丰速运";
  a_->store.upsert_carrier(*sf, store::AuditRecord{0, kT0, "system:cli", "system", "carrier.upsert",
                                                   "carrier:SF", "", "", "{}"});
  EXPECT_EQ(b_->store.get_order("V-CR")->shipments.at(0).carrier_name, "顺丰速运");
  EXPECT_EQ(b_->store.order_tracking("V-CR")->at(0).carrier_name, "顺丰速运");
}

TEST_F(CachedStoreTest, CarrierReassignmentInvalidates) {
  Create(*a_, "V-RA");
  Move(*a_, "V-RA", S::kPaid);
  Ship(*a_, "V-RA", "SF100000004");
  Prime(*b_, "V-RA");
  ASSERT_EQ(a_->store.reassign_carrier("kuaidi100", "SF100000004", "shunfeng", "zhongtong",
                                       store::AuditRecord{}),
            1);
  EXPECT_EQ(b_->store.get_order("V-RA")->shipments.at(0).carrier, "ZTO");
  EXPECT_EQ(b_->store.order_tracking("V-RA")->at(0).carrier, "ZTO");
}

TEST_F(CachedStoreTest, ColdChainAssessmentInvalidates) {
  Create(*a_, "V-CC");
  Move(*a_, "V-CC", S::kPaid);
  Ship(*a_, "V-CC", "SF100000005");
  Prime(*b_, "V-CC");
  const auto id = b_->store.order_tracking("V-CC")->at(0).shipment_id;
  store::ColdChainRecord k{id, "frozen", 12, "medium", "warning", -12.25, "{}", kT0 + 5000};
  a_->store.save_cold_chain(k);
  auto t = b_->store.order_tracking("V-CC");
  ASSERT_TRUE(t->at(0).cold_chain);
  EXPECT_EQ(t->at(0).cold_chain->thaw_risk, "medium");
  EXPECT_EQ(t->at(0).cold_chain->mkt_c, -12.25);
}

// ---- two replicas ----------------------------------------------------------------------------

TEST_F(CachedStoreTest, WriteThroughOneReplicaIsSeenByTheOthersNextRead) {
  for (int i = 0; i < 10; ++i) {
    const std::string no = "V-2R-" + std::to_string(i);
    // Alternate which replica writes.
    Replica& w = i % 2 ? *a_ : *b_;
    Replica& r = i % 2 ? *b_ : *a_;
    Create(w, no);
    Prime(r, no);
    Move(w, no, S::kPaid);
    EXPECT_EQ(StatusOf(r, no), S::kPaid);
    Prime(r, no);
    Ship(w, no, "SF2" + std::to_string(100000 + i));
    EXPECT_EQ(StatusOf(r, no), S::kShipped);
    EXPECT_EQ(r.store.order_tracking(no)->size(), 1u);
    Prime(r, no);
    Move(w, no, S::kInTransit);
    EXPECT_EQ(StatusOf(r, no), S::kInTransit);
    Move(w, no, S::kDelivered);
    EXPECT_EQ(StatusOf(r, no), S::kDelivered);
  }
}

// A reader on B looks up (tokens T), reads the old row, is delayed; A writes and invalidates;
// B then stores the old row under T. Nobody reads T any more: B's next read sees the write.
TEST_F(CachedStoreTest, StalePutAfterAWriteCannotSurvive) {
  Create(*a_, "V-RACE");
  auto looked = b_->redis.lookup(ViewKind::kOrder, "V-RACE");
  ASSERT_TRUE(std::holds_alternative<cache::ViewLookup>(looked));
  const auto tag = std::get<cache::ViewLookup>(looked).tag;
  const auto old = b_->store.inner().get_order("V-RACE");
  ASSERT_EQ(old->status, S::kCreated);

  Move(*a_, "V-RACE", S::kPaid);
  ASSERT_TRUE(std::holds_alternative<cache::Done>(
      b_->redis.put(ViewKind::kOrder, "V-RACE", tag, cache::encode_order(*old))));

  EXPECT_EQ(StatusOf(*b_, "V-RACE"), S::kPaid);
  EXPECT_EQ(StatusOf(*b_, "V-RACE"), S::kPaid);  // and the entry now cached is the new one
  EXPECT_EQ(StatusOf(*a_, "V-RACE"), S::kPaid);
}

// Tokens that vanish (expiry, eviction, FLUSHALL) are replaced by new ones, never by old values:
// an entry written under the old tokens does not come back.
TEST_F(CachedStoreTest, LostTokensNeverRevalidateOldEntries) {
  Create(*a_, "V-LOST");
  Prime(*b_, "V-LOST");
  const std::string entry = "t:view:" + std::string(cache::kViewFormat) + ":order:V-LOST";
  auto saved = std::get<cache::RedisReply>(a_->client.command({"GET", entry})).str;
  Move(*a_, "V-LOST", S::kPaid);
  a_->client.command({"DEL", "t:view:epoch", "t:view:ver:V-LOST"});
  a_->client.command({"SET", entry, saved});  // the pre-write entry, as if it had survived
  EXPECT_EQ(StatusOf(*b_, "V-LOST"), S::kPaid);
}

// Writers and readers at full speed: a read that starts after a write returned never sees the
// state before that write.
TEST_F(CachedStoreTest, ConcurrentReadersNeverSeeAnAcknowledgedWriteUndone) {
  const std::vector<S> path{S::kCreated, S::kPaid, S::kShipped, S::kInTransit, S::kDelivered};
  auto rank = [&](S s) { return std::find(path.begin(), path.end(), s) - path.begin(); };
  for (int n = 0; n < 4; ++n) {
    const std::string no = "V-CONC-" + std::to_string(n);
    Create(*a_, no);
    std::atomic<long> acked{0};
    std::atomic<bool> stop{false};
    std::atomic<int> violations{0}, reads{0};
    std::vector<std::thread> readers;
    for (int t = 0; t < 3; ++t) {
      readers.emplace_back([&] {
        while (!stop) {
          const long floor = acked.load();
          auto o = b_->store.get_order(no);
          if (!o || rank(o->status) < floor) ++violations;
          ++reads;
        }
      });
    }
    for (std::size_t i = 1; i < path.size(); ++i) {
      std::this_thread::sleep_for(5ms);
      if (path[i] == S::kShipped) {
        Ship(*a_, no, "SF3" + std::to_string(100000 + n));
      } else {
        Move(*a_, no, path[i]);
      }
      acked = static_cast<long>(i);
    }
    std::this_thread::sleep_for(5ms);
    stop = true;
    for (auto& t : readers) t.join();
    EXPECT_EQ(violations, 0) << no << " after " << reads << " reads";
  }
  EXPECT_GT(b_->hits, 0);
}

// ---- Redis unavailable ----------------------------------------------------------------------

TEST_F(CachedStoreTest, RedisDownReadsComeFromTheStoreAndWritesSucceed) {
  Create(*a_, "V-DOWN");
  Prime(*b_, "V-DOWN");
  redis_->stop();
  EXPECT_EQ(StatusOf(*b_, "V-DOWN"), S::kCreated);
  EXPECT_TRUE(b_->store.on_fallback());
  Move(*a_, "V-DOWN", S::kPaid);  // succeeds; its invalidation is owed
  EXPECT_TRUE(a_->store.owes_invalidation());
  const int bypassed = b_->bypasses;
  EXPECT_EQ(StatusOf(*b_, "V-DOWN"), S::kPaid);
  EXPECT_EQ(b_->store.order_tracking("V-DOWN")->size(), 0u);
  EXPECT_GE(b_->bypasses, bypassed + 2);

  redis_->start();  // same port, empty
  ASSERT_TRUE(Eventually(
      [&] {
        const int hits = b_->hits;
        b_->store.get_order("V-DOWN");
        return b_->hits > hits;
      },
      3s))
      << "B never went back to the cache";
  EXPECT_EQ(StatusOf(*b_, "V-DOWN"), S::kPaid);
  EXPECT_TRUE(Eventually([&] { return !a_->store.owes_invalidation(); }, 3s));
}

// A is cut off from a Redis that keeps its data (B still reaches it, with the order cached). A's
// write succeeds, its invalidation fails and is owed; once A reaches Redis again it pays (a
// global invalidation) without waiting for traffic, and B does not serve the pre-write entry.
TEST_F(CachedStoreTest, InvalidationOwedDuringAnOutageIsPaidWhenRedisAnswers) {
  Create(*a_, "V-OWED");
  Create(*a_, "V-OTHER");
  Prime(*b_, "V-OWED");
  Prime(*b_, "V-OTHER");
  a_->partition.down = true;
  Move(*a_, "V-OWED", S::kPaid);
  EXPECT_TRUE(a_->store.owes_invalidation());
  EXPECT_TRUE(a_->store.on_fallback());
  EXPECT_EQ(StatusOf(*a_, "V-OWED"), S::kPaid);  // A reads the store meanwhile
  Move(*a_, "V-OTHER", S::kCancelled);           // skipped while the gate is closed: owed too

  a_->partition.down = false;
  ASSERT_TRUE(Eventually([&] { return !a_->store.owes_invalidation(); }, 3s));
  EXPECT_EQ(StatusOf(*b_, "V-OWED"), S::kPaid);
  EXPECT_EQ(StatusOf(*b_, "V-OTHER"), S::kCancelled);
  EXPECT_FALSE(a_->store.on_fallback());
  EXPECT_EQ(StatusOf(*a_, "V-OWED"), S::kPaid);
}

// ---- the decision table ---------------------------------------------------------------------

// Every method of store::Store says what it does to the cached views (cache::view_rules()); a
// new method in store.h without a decision fails here.
TEST(ViewRules, EveryStoreMethodHasADecision) {
  const fs::path header = fs::path(__FILE__).parent_path() / "../../src/store/store.h";
  std::ifstream in(header);
  ASSERT_TRUE(in) << "cannot read " << header;
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::set<std::string> methods;
  const std::regex decl(R"(virtual\s+[^;{}()]*?\b(\w+)\s*\([^;]*?\)\s*(const\s*)?=\s*0\s*;)");
  for (std::sregex_iterator it(text.begin(), text.end(), decl), end; it != end; ++it)
    methods.insert((*it)[1]);
  ASSERT_GT(methods.size(), 60u) << "the parser lost the declarations";
  std::set<std::string> decided;
  for (const auto& rule : cache::view_rules()) {
    EXPECT_TRUE(decided.insert(std::string(rule.method)).second) << "twice: " << rule.method;
    EXPECT_TRUE(methods.count(std::string(rule.method)))
        << rule.method << " is in view_rules() but not in store.h";
  }
  for (const auto& m : methods)
    EXPECT_TRUE(decided.count(m))
        << "store::Store::" << m
        << " has no entry in cache::view_rules() (src/cache/cached_store.cc): decide whether it "
           "changes what get_order/order_tracking return, and invalidate in CachedStore if so";
}

// ---- serialization ---------------------------------------------------------------------------

// Every byte value, in a string (sealed personal data is binary).
std::string AllBytes(char salt) {
  std::string s;
  for (int i = 0; i < 256; ++i) s.push_back(static_cast<char>(i ^ salt));
  return s + "\xe4\xb8\xad\xff\xfe\"\\";
}

// Field-by-field equality of records (doubles bitwise, NaN equal to NaN).
template <class T>
bool Same(const T& a, const T& b);
template <class T>
bool SameValue(const T& a, const T& b) {
  if constexpr (std::is_same_v<T, double>) {
    return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof a) == 0;
  } else if constexpr (std::is_aggregate_v<T> && !std::is_array_v<T>) {
    return Same(a, b);
  } else {
    return a == b;
  }
}
template <class T>
bool SameValue(const std::optional<T>& a, const std::optional<T>& b) {
  return a.has_value() == b.has_value() && (!a || SameValue(*a, *b));
}
template <class T>
bool SameValue(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!SameValue(a[i], b[i])) return false;
  return true;
}
template <class T>
bool Same(const T& a, const T& b) {
  const auto ta = boost::pfr::structure_tie(a);
  const auto tb = boost::pfr::structure_tie(b);
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    bool same = true;
    auto check = [&](bool ok, std::size_t i) {
      if (!ok) {
        ADD_FAILURE() << typeid(T).name() << " field #" << i << " differs after the round trip";
        same = false;
      }
    };
    (check(SameValue(std::get<I>(ta), std::get<I>(tb)), I), ...);
    return same;
  }
  (std::make_index_sequence<boost::pfr::tuple_size_v<T>>{});
}

// Adding a field to a cached record must come with its encoding (view_codec.cc) and a value
// below; these counts are the reminder.
static_assert(boost::pfr::tuple_size_v<store::OrderRecord> == 26, "update view_codec.cc");
static_assert(boost::pfr::tuple_size_v<store::EventRecord> == 6, "update view_codec.cc");
static_assert(boost::pfr::tuple_size_v<store::ShipmentRecord> == 8, "update view_codec.cc");
static_assert(boost::pfr::tuple_size_v<store::TrackingRecord> == 25, "update view_codec.cc");
static_assert(boost::pfr::tuple_size_v<store::ColdChainRecord> == 8, "update view_codec.cc");

store::OrderRecord FullOrder() {
  store::OrderRecord o;
  o.id = 9'007'199'254'740'993;  // not representable as a double
  o.order_no = "O-1";
  o.status = S::kInTransit;
  o.name_sealed = AllBytes(1);
  o.phone_sealed = AllBytes(2);
  o.phone_index = "ab12";
  o.phone_last4 = "5678";
  o.name_masked = "张*";
  o.phone_masked = "138****5678";
  o.openid = "oWx";
  o.province = "上海市";
  o.city = "上海";
  o.district = "浦东新区";
  o.detail_sealed = AllBytes(3);
  o.items_json = R"([{"sku":"X","name":"水饺\n"}])";
  o.amount_fen = -1;
  o.shipping_fen = std::numeric_limits<std::int64_t>::max();
  o.discount_fen = std::numeric_limits<std::int64_t>::min();
  o.remark = std::string("nul\0inside", 10);
  o.body_hash = "h";
  o.created_at = kT0;
  o.updated_at = kT0 + 1;
  o.finished_at = kT0 + 2;
  o.archived = true;
  o.history = {{S::kCreated, std::nullopt, kT0, kT0 + 3, "apikey:a", ""},
               {S::kPaid, S::kCreated, kT0 + 4, kT0 + 5, "payment:wechatpay", "note\t"}};
  o.shipments = {{7, "SF", "顺丰", "SF123", kT0 + 6, "杭州", "express", "frozen"},
                 {8, "ZTO", "中通", "ZT9", kT0 + 7, "", "standard", "chilled"}};
  return o;
}

std::vector<store::TrackingRecord> FullTracking() {
  store::TrackingRecord r;
  r.shipment_id = 7;
  r.order_no = "O-1";
  r.carrier = "SF";
  r.carrier_name = "顺丰";
  r.waybill_no = "SF123";
  r.tracked = true;
  r.provider = "kdniao";
  r.status = "IN_TRANSIT";
  r.reason = "DELAYED";
  r.raw_state = "2";
  r.raw_substate = "201";
  r.location = "杭州转运中心";
  r.last_event_at = kT0 + 10;
  r.trace_count = 3;
  r.traces_json = R"([{"time":1,"description":"已揽收"}])";
  r.raw_payload = AllBytes(4);
  r.heard_at = kT0 + 11;
  r.status_at = kT0 + 12;
  r.shipped_at = kT0 + 13;
  r.origin_city = "杭州";
  r.dest_city = "上海";
  r.service = "express";
  r.temp_class = "frozen";
  r.cold_chain =
      store::ColdChainRecord{7, "frozen", 42, "high", "critical", 0.1 + 0.2, "{}", kT0 + 14};
  r.archived = true;
  store::TrackingRecord untracked;  // defaults: every optional empty
  untracked.shipment_id = 8;
  untracked.order_no = "O-1";
  auto with = [&](double mkt) {
    auto x = r;
    x.cold_chain->mkt_c = mkt;
    return x;
  };
  return {r,
          untracked,
          with(-1e-300),
          with(std::numeric_limits<double>::infinity()),
          with(std::numeric_limits<double>::quiet_NaN()),
          with(-18.333333333333332)};
}

TEST(ViewCodec, OrderRoundTripIsLossless) {
  const auto o = FullOrder();
  auto back = cache::decode_order(cache::encode_order(o));
  ASSERT_TRUE(back);
  EXPECT_TRUE(Same(o, *back));
  store::OrderRecord empty;  // every optional unset, no history or shipments
  back = cache::decode_order(cache::encode_order(empty));
  ASSERT_TRUE(back);
  EXPECT_TRUE(Same(empty, *back));
  EXPECT_FALSE(back->finished_at);
  EXPECT_FALSE(back->archived);
}

TEST(ViewCodec, TrackingRoundTripIsLossless) {
  const auto t = FullTracking();
  auto back = cache::decode_tracking(cache::encode_tracking(t));
  ASSERT_TRUE(back);
  EXPECT_TRUE(SameValue(t, *back));
  EXPECT_TRUE(std::isnan(*back->at(4).cold_chain->mkt_c));
  back = cache::decode_tracking(cache::encode_tracking({}));
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->empty());
}

TEST(ViewCodec, DamagedEntriesAreRejected) {
  EXPECT_FALSE(cache::decode_order(""));
  EXPECT_FALSE(cache::decode_order("{\"id\":1}"));
  EXPECT_FALSE(cache::decode_tracking("[1,2]"));
  auto text = cache::encode_order(FullOrder());
  EXPECT_FALSE(cache::decode_order(text.substr(0, text.size() / 2)));
  auto bad_status = cache::encode_order(FullOrder());
  bad_status.replace(bad_status.find("IN_TRANSIT"), 10, "IN_TRANSIX");
  EXPECT_FALSE(cache::decode_order(bad_status));
}

}  // namespace
}  // namespace coldtrack
