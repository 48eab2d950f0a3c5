// Replays one simulated day of carrier tracking for N shipments in a single process and sets
// ColdTrack's carrier traffic and freshness beside a naive poller measured in the same run:
//   ColdTrack: SqliteStore + OrderService + TrackingService + TrackingWorker (its clock is the
//              simulator's), the real push receivers (/api/callbacks/*) on an http::Server, and
//              the real Kdniao/Kuaidi100 adapters talking to a coldtrack::sim::Simulator whose
//              time moves only by advance().
//   naive:     a second Simulator (same seed, so the same scripts), queried for every waybill
//              not yet delivered, every 30 simulated minutes, through the same adapter.
// Every simulated minute: both simulators advance 60 s; staleness is sampled; new orders are
// created (spread over the first 4 simulated hours, SF/ZTO/YTO/JD); the worker runs passes until
// nothing is due; the bench waits until every push the simulator sent has been stored; the naive
// poller queries what is due.
//
// Staleness of a shipment in transit at time T = T - (scripted time of the oldest scripted
// change the poller has not reflected yet), 0 when it is up to date; sampled at the start of each
// simulated minute from the state stored by the end of the previous one, so a 1-minute sampling
// step is included. "In transit": the script has started and its last step is not yet reflected.
// "Silence" = T - heard_at (last push or query answer), for context only.
//
// Usage: tracking_bench [SHIPMENTS=10000] [PROVIDER=kdniao|kuaidi100]
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "cache/rate_limiter.h"
#include "carriers/kdniao/kdniao.h"
#include "carriers/kuaidi100/kuaidi100.h"
#include "http/api.h"
#include "http/metrics.h"
#include "http/router.h"
#include "http/server.h"
#include "net/http_client.h"
#include "security/crypto.h"
#include "service/order_service.h"
#include "service/pii.h"
#include "service/tracking_service.h"
#include "service/tracking_worker.h"
#include "sim/script.h"
#include "sim/simulator.h"
#include "store/sqlite/sqlite_store.h"

namespace {

namespace carriers = coldtrack::carriers;
namespace service = coldtrack::service;
namespace json = boost::json;
using coldtrack::domain::EpochMs;
using WallClock = std::chrono::steady_clock;

constexpr EpochMs kMinuteMs = 60'000;
constexpr int kSimMinutes = 24 * 60;  // one simulated day
constexpr int kShipMinutes = 4 * 60;  // orders ship during the first 4 simulated hours
constexpr EpochMs kNaiveEveryMs = 30 * kMinuteMs;
constexpr std::uint64_t kSeed = 1;
constexpr int kNaiveThreads = 2;
constexpr auto kPushWait = std::chrono::seconds(5);  // per minute, then counted as a timeout

struct CarrierPick {
  const char* code;       // canonical
  const char* kdniao;     // ShipperCode
  const char* kuaidi100;  // com
  const char* prefix;
  int digits;
};
constexpr std::array<CarrierPick, 4> kCarriers = {{{"SF", "SF", "shunfeng", "SF", 13},
                                                   {"ZTO", "ZTO", "zhongtong", "7", 11},
                                                   {"YTO", "YTO", "yuantong", "YT", 13},
                                                   {"JD", "JD", "jd", "JDV", 12}}};

// What one side (ColdTrack or the naive poller) knows about a shipment, on its own simulator's
// timeline.
struct View {
  std::optional<EpochMs> start;       // when that simulator first saw the waybill (script t=0)
  std::optional<EpochMs> last_event;  // newest trace time stored
  std::optional<EpochMs> heard;       // last push or query answer
};

struct Parcel {
  std::string order_no, waybill_no, phone;
  const CarrierPick* carrier = nullptr;
  int create_minute = 0;
  coldtrack::sim::Script script;  // timing depends on the number and the seed only
  View ct;                        // ColdTrack (from its database)
  bool subscribed = false;
  std::optional<EpochMs> ct_last_query;
  View naive;
  std::optional<EpochMs> naive_last_query;
  bool naive_done = false;
};

EpochMs step_time(const Parcel& p, EpochMs start, std::size_t i) {
  return start + p.script.steps[i].offset_s * 1000;
}

std::size_t steps_at(const Parcel& p, EpochMs start, EpochMs t) {
  std::size_t n = 0;
  for (const auto& s : p.script.steps)
    if (start + s.offset_s * 1000 <= t) ++n;
  return n;
}

// Staleness samples in whole seconds (histogram up to two days).
struct Histogram {
  std::vector<std::uint64_t> buckets = std::vector<std::uint64_t>(2 * 24 * 3600 + 1);
  std::uint64_t samples = 0;
  EpochMs max_ms = 0;
  void add(EpochMs ms) {
    ++samples;
    max_ms = std::max(max_ms, ms);
    buckets[static_cast<std::size_t>(std::clamp<EpochMs>(ms / 1000, 0, buckets.size() - 1))]++;
  }
  EpochMs percentile_ms(double q) const {
    if (samples == 0) return 0;
    const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(samples - 1));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < buckets.size(); ++i) {
      seen += buckets[i];
      if (seen > rank) return static_cast<EpochMs>(i) * 1000;
    }
    return max_ms;
  }
};

struct Freshness {
  Histogram stale, silence;
  void sample(const Parcel& p, const View& v, EpochMs now) {
    if (!v.start || p.script.steps.empty()) return;
    const std::size_t due = steps_at(p, *v.start, now);
    const std::size_t known = v.last_event ? steps_at(p, *v.start, *v.last_event) : 0;
    if (due == 0 || known == p.script.steps.size()) return;  // not started / finished and known
    stale.add(known < due ? now - step_time(p, *v.start, known) : 0);
    silence.add(now - v.heard.value_or(*v.start));
  }
};

std::string minutes(EpochMs ms) {
  return fmt::format("{:.1f} min", static_cast<double>(ms) / kMinuteMs);
}

std::uint64_t stat(const json::object& stats, std::string_view provider, std::string_view name) {
  const auto* p = stats.if_contains(provider);
  if (!p || !p->is_object()) return 0;
  const auto* v = p->as_object().if_contains(name);
  return v && v->is_number() ? v->to_number<std::uint64_t>() : 0;
}

EpochMs floor_s(EpochMs t) {
  return t - t % 1000;
}

// A read-only view of ColdTrack's tables (its own connection; WAL lets it read beside the
// writer).
class DbView {
 public:
  explicit DbView(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
      throw std::runtime_error("cannot open " + path);
    prepare(scan_,
            "SELECT p.shipment_id, s.waybill_no, p.subscribed, p.last_query_at, t.last_event_at, "
            "t.heard_at, t.status FROM shipment_polling p JOIN shipments s ON s.id = p.shipment_id "
            "LEFT "
            "JOIN shipment_tracking t ON t.shipment_id = p.shipment_id");
    prepare(one_, "SELECT last_event_at, heard_at FROM shipment_tracking WHERE shipment_id = ?");
  }
  ~DbView() {
    sqlite3_finalize(scan_);
    sqlite3_finalize(one_);
    sqlite3_close(db_);
  }

  // Refreshes every parcel; a waybill first seen subscribed or queried started its script now.
  void scan(std::vector<Parcel>& parcels, const std::unordered_map<std::string, std::size_t>& by_no,
            EpochMs now) {
    while (sqlite3_step(scan_) == SQLITE_ROW) {
      const auto id = sqlite3_column_int64(scan_, 0);
      auto it = by_id_.find(id);
      if (it == by_id_.end()) {
        const std::string no(reinterpret_cast<const char*>(sqlite3_column_text(scan_, 1)));
        it = by_id_.emplace(id, by_no.at(no)).first;
        ids_.resize(parcels.size());
        ids_[it->second] = id;
      }
      Parcel& p = parcels[it->second];
      p.subscribed = sqlite3_column_int64(scan_, 2) != 0;
      const bool queried = sqlite3_column_type(scan_, 3) != SQLITE_NULL;
      if (!p.ct.start && (p.subscribed || queried)) p.ct.start = floor_s(now);
      p.ct.last_event = opt(scan_, 4);
      p.ct.heard = opt(scan_, 5);
      // At most one query per waybill per 30 minutes, so a changed last_query_at is one query.
      if (const auto q = opt(scan_, 3); q && q != p.ct_last_query) {
        p.ct_last_query = q;
        const auto* status = sqlite3_column_text(scan_, 6);
        ++queries_by_status_[status ? reinterpret_cast<const char*>(status) : "NONE"];
      }
    }
    sqlite3_reset(scan_);
  }

  // ColdTrack's queries by the shipment's stored tracking status after the answer.
  const std::map<std::string, std::uint64_t>& queries_by_status() const {
    return queries_by_status_;
  }

  void refresh(Parcel& p, std::size_t index) {
    sqlite3_bind_int64(one_, 1, ids_[index]);
    if (sqlite3_step(one_) == SQLITE_ROW) {
      p.ct.last_event = opt(one_, 0);
      p.ct.heard = opt(one_, 1);
    }
    sqlite3_reset(one_);
  }

 private:
  void prepare(sqlite3_stmt*& s, const char* sql) {
    if (sqlite3_prepare_v2(db_, sql, -1, &s, nullptr) != SQLITE_OK)
      throw std::runtime_error(sqlite3_errmsg(db_));
  }
  static std::optional<EpochMs> opt(sqlite3_stmt* s, int col) {
    if (sqlite3_column_type(s, col) == SQLITE_NULL) return std::nullopt;
    return sqlite3_column_int64(s, col);
  }

  sqlite3* db_ = nullptr;
  sqlite3_stmt* scan_ = nullptr;
  sqlite3_stmt* one_ = nullptr;
  std::unordered_map<std::int64_t, std::size_t> by_id_;
  std::vector<std::int64_t> ids_;
  std::map<std::string, std::uint64_t> queries_by_status_;
};

// The adapters of one simulator.
struct Adapters {
  carriers::kdniao::Protocol kdniao;
  carriers::kuaidi100::Protocol kuaidi100;
};

Adapters adapters_for(const coldtrack::sim::SimOptions& so, const std::string& base,
                      const std::string& callback_base) {
  carriers::kuaidi100::Config kc;
  kc.customer = so.kuaidi100_customer;
  kc.key = so.kuaidi100_key;
  kc.salt = so.kuaidi100_salt;
  kc.query_url = base + "/kuaidi100/poll/query.do";
  kc.subscribe_url = base + "/kuaidi100/poll";
  kc.callback_url = callback_base + "/api/callbacks/kuaidi100";
  return Adapters{
      carriers::kdniao::Protocol(carriers::kdniao::Config{
          so.kdniao_ebusiness_id, so.kdniao_api_key,
          base + "/kdniao/Ebusiness/EbusinessOrderHandle.aspx", base + "/kdniao/api/dist", "8002",
          "8008", callback_base + "/api/callbacks/kdniao"}),
      carriers::kuaidi100::Protocol(std::move(kc))};
}

// Naive calls, computed from the scripts: a query at the first sighting and every 30 minutes
// after, until one comes back delivered or the day ends (cross-checks the measured count).
std::uint64_t naive_analytic(const std::vector<Parcel>& parcels) {
  std::uint64_t calls = 0;
  for (const auto& p : parcels) {
    const EpochMs first = p.create_minute * kMinuteMs, end = kSimMinutes * kMinuteMs;
    const bool delivers = p.script.scenario == coldtrack::sim::Scenario::kDelivered ||
                          p.script.scenario == coldtrack::sim::Scenario::kDelayed;
    const EpochMs delivered_at =
        delivers ? first + p.script.steps.back().offset_s * 1000 : end + kNaiveEveryMs;
    for (EpochMs t = first; t <= end; t += kNaiveEveryMs) {
      ++calls;
      if (t >= delivered_at) break;
    }
  }
  return calls;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 10000;
  const std::string provider = argc > 2 ? argv[2] : "kdniao";
  if (n <= 0 || (provider != "kdniao" && provider != "kuaidi100")) {
    std::fprintf(stderr, "usage: tracking_bench [SHIPMENTS=10000] [PROVIDER=kdniao|kuaidi100]\n");
    return 2;
  }
  const bool via_kdniao = provider == "kdniao";
  spdlog::set_level(spdlog::level::warn);
  const auto wall_start = WallClock::now();

  // ---- ColdTrack ------------------------------------------------------------------------------
  const auto dir = std::filesystem::temp_directory_path() /
                   fmt::format("coldtrack-tbench-{}", coldtrack::security::random_hex(4));
  std::filesystem::create_directories(dir);
  const std::string db_path = (dir / "coldtrack.sqlite").string();
  coldtrack::store::sqlite::SqliteOptions sqlite_options;
  sqlite_options.path = db_path;
  sqlite_options.synchronous_full = false;
  sqlite_options.readers = 4;
  coldtrack::store::sqlite::SqliteStore store(sqlite_options);
  service::PiiCodec pii(coldtrack::security::random_bytes(32));

  coldtrack::sim::SimOptions so;
  so.kdniao_ebusiness_id = "BENCH1237100";
  so.kdniao_api_key = coldtrack::security::random_hex(16);
  so.kuaidi100_customer = "BENCHCUSTOMER";
  so.kuaidi100_key = coldtrack::security::random_hex(16);
  so.kuaidi100_salt = coldtrack::security::random_hex(8);
  so.time_scale = 0;  // time moves only by advance()
  so.seed = kSeed;
  so.io_threads = 1;
  coldtrack::sim::SimOptions naive_so = so;  // same keys and seed: the same scripts

  // The simulator's clock drives everything; it exists only once the receiver's port is known,
  // so the services read it through a pointer set just below.
  coldtrack::sim::Simulator* sim_ptr = nullptr;
  const service::Clock clock = [&sim_ptr] { return sim_ptr->now(); };
  service::OrderService orders(store, pii, clock);
  service::TrackingService tracking(store, clock);

  // The push receivers: ColdTrack's own callback routes on an http::Server.
  boost::asio::thread_pool pool(2);
  coldtrack::cache::MemoryRateLimiter track_limiter(600);
  coldtrack::http::Metrics metrics;
  coldtrack::http::Api api{.orders = orders,
                           .tracking = tracking,
                           .store = store,
                           .track_limiter = track_limiter,
                           .pool = pool,
                           .metrics = metrics,
                           .utc_offset_minutes = 480,
                           .ready = [] { return true; }};
  coldtrack::http::Router router;
  coldtrack::http::add_callback_routes(router, api);
  coldtrack::http::ServerOptions server_options;
  server_options.host = "127.0.0.1";
  server_options.port = 0;
  coldtrack::http::Server server(server_options, router, nullptr, nullptr, pool, metrics, [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  });
  const std::string receiver = fmt::format("http://127.0.0.1:{}", server.start());

  so.kdniao_callback_url = receiver + "/api/callbacks/kdniao";
  coldtrack::sim::Simulator sim(so);
  sim.start();
  sim_ptr = &sim;
  const Adapters adapters = adapters_for(so, sim.base_url(), receiver);
  api.kdniao = &adapters.kdniao;
  api.kuaidi100 = &adapters.kuaidi100;

  coldtrack::net::HttpClient carrier_http(coldtrack::net::HttpClient::Options{});
  service::TrackingWorkerOptions wo;  // production defaults
  wo.provider = provider;
  wo.fallback_provider = via_kdniao ? "kuaidi100" : "kdniao";
  service::TrackingWorker worker(store, tracking, pii, carrier_http, &adapters.kdniao,
                                 &adapters.kuaidi100, wo, clock);

  // ---- The naive poller's own simulator --------------------------------------------------------
  naive_so.io_threads = 2;
  coldtrack::sim::Simulator naive_sim(naive_so);
  naive_sim.start();
  const Adapters naive_adapters = adapters_for(naive_so, naive_sim.base_url(), receiver);
  std::vector<std::unique_ptr<coldtrack::net::HttpClient>> naive_http;
  for (int i = 0; i < kNaiveThreads; ++i)
    naive_http.push_back(
        std::make_unique<coldtrack::net::HttpClient>(coldtrack::net::HttpClient::Options{}));
  std::atomic<std::uint64_t> naive_failed{0};

  // ---- Shipments --------------------------------------------------------------------------------
  std::vector<Parcel> parcels(static_cast<std::size_t>(n));
  std::unordered_map<std::string, std::size_t> by_no;
  {
    std::mt19937_64 rng(kSeed);
    std::unordered_set<std::string> seen;
    for (int i = 0; i < n; ++i) {
      Parcel& p = parcels[static_cast<std::size_t>(i)];
      p.carrier = &kCarriers[static_cast<std::size_t>(i) % kCarriers.size()];
      do {
        std::string digits;
        for (int d = 0; d < p.carrier->digits; ++d) digits += static_cast<char>('0' + rng() % 10);
        p.waybill_no = p.carrier->prefix + digits;
      } while (!seen.insert(p.waybill_no).second);
      p.order_no = fmt::format("TB{:08}", i);
      p.phone = fmt::format("1700002{:04}", i % 10000);
      p.create_minute = static_cast<int>(static_cast<std::int64_t>(i) * kShipMinutes / n);
      p.script = coldtrack::sim::make_script(p.carrier->kdniao, p.waybill_no, kSeed);
      by_no.emplace(p.waybill_no, static_cast<std::size_t>(i));
    }
  }
  const service::Actor actor{"system:tracking-bench", "system", "", "local"};
  auto create = [&](const Parcel& p) {
    coldtrack::domain::NewOrder o;
    o.order_no = p.order_no;
    o.customer = {"压测", p.phone, ""};
    o.address = {"浙江省", "杭州市", "西湖区", "演示路1号"};
    o.items = {{"DJ-SX-1KG", "三鲜水饺 1kg", "frozen", 1, 3990}};
    o.amount_fen = 3990;
    auto c = orders.create(o, actor);
    if (!c.ok()) throw std::runtime_error("create " + p.order_no + ": " + c.error().message);
    auto paid = orders.change_status(p.order_no, coldtrack::domain::OrderStatus::kPaid,
                                     std::nullopt, "", actor);
    if (!paid.ok()) throw std::runtime_error("pay " + p.order_no + ": " + paid.error().message);
    auto s = orders.add_shipment(p.order_no, p.carrier->code, p.waybill_no, actor);
    if (!s.ok()) throw std::runtime_error("ship " + p.order_no + ": " + s.error().message);
  };

  DbView db(db_path);
  Freshness ct_fresh, naive_fresh;
  std::uint64_t passes = 0, push_wait_timeouts = 0;
  service::PassResult totals;
  double naive_seconds = 0;
  std::size_t created = 0;

  auto drain_worker = [&] {
    for (int pass = 0; pass < 10'000; ++pass) {
      const auto r = worker.run_once();
      ++passes;
      totals.subscribed += r.subscribed;
      totals.subscribe_failed += r.subscribe_failed;
      totals.queried += r.queried;
      totals.query_failed += r.query_failed;
      totals.saved_by_push += r.saved_by_push;
      totals.deferred += r.deferred;
      const int activity = r.subscribed + r.subscribe_failed + r.queried + r.query_failed +
                           r.saved_by_push + r.deferred;
      if (activity == 0 && store.due_shipments(sim.now(), 1).empty()) break;
    }
  };

  // Waits until every subscribed waybill shows the newest scripted step the simulator has pushed.
  auto wait_for_pushes = [&](EpochMs now) {
    std::vector<std::size_t> pending;
    for (std::size_t i = 0; i < parcels.size(); ++i) {
      const Parcel& p = parcels[i];
      if (!p.subscribed || !p.ct.start) continue;
      const std::size_t due = steps_at(p, *p.ct.start, now);
      if (due > 0 && p.ct.last_event.value_or(-1) < step_time(p, *p.ct.start, due - 1))
        pending.push_back(i);
    }
    const auto deadline = WallClock::now() + kPushWait;
    while (!pending.empty()) {
      std::erase_if(pending, [&](std::size_t i) {
        Parcel& p = parcels[i];
        db.refresh(p, i);
        const std::size_t due = steps_at(p, *p.ct.start, now);
        return p.ct.last_event.value_or(-1) >= step_time(p, *p.ct.start, due - 1);
      });
      if (pending.empty()) break;
      if (WallClock::now() > deadline) {
        ++push_wait_timeouts;
        break;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
  };

  auto naive_round = [&](EpochMs now) {
    std::vector<std::size_t> due;
    for (std::size_t i = 0; i < created; ++i) {
      const Parcel& p = parcels[i];
      if (!p.naive_done && (!p.naive_last_query || now - *p.naive_last_query >= kNaiveEveryMs))
        due.push_back(i);
    }
    if (due.empty()) return;
    const auto t0 = WallClock::now();
    std::atomic<std::size_t> next{0};
    auto work = [&](coldtrack::net::HttpClient& http) {
      for (std::size_t k; (k = next++) < due.size();) {
        Parcel& p = parcels[due[k]];
        const carriers::WaybillRef ref{p.carrier->code,
                                       via_kdniao ? p.carrier->kdniao : p.carrier->kuaidi100,
                                       p.waybill_no, p.phone, p.order_no};
        const auto out = via_kdniao ? naive_adapters.kdniao.build_query(ref)
                                    : naive_adapters.kuaidi100.build_query(ref);
        coldtrack::net::HttpRequest req;
        req.method = out.method;
        req.url = out.url;
        req.headers = out.headers;
        req.body = out.body;
        const auto resp = http.send(req);
        const auto result =
            via_kdniao ? naive_adapters.kdniao.parse_query_response(resp.status, resp.body, ref)
                       : naive_adapters.kuaidi100.parse_query_response(resp.status, resp.body, ref);
        p.naive_last_query = now;
        if (!p.naive.start) p.naive.start = floor_s(now);
        if (const auto* snap = std::get_if<carriers::Snapshot>(&result)) {
          p.naive.heard = now;
          if (const auto t = carriers::newest_trace_time(*snap))
            p.naive.last_event = std::max(p.naive.last_event.value_or(*t), *t);
          if (snap->mapped && carriers::is_terminal(snap->unified.status)) p.naive_done = true;
        } else {
          ++naive_failed;
        }
      }
    };
    std::vector<std::thread> threads;
    for (int t = 1; t < kNaiveThreads; ++t) threads.emplace_back(work, std::ref(*naive_http[t]));
    work(*naive_http[0]);
    for (auto& t : threads) t.join();
    naive_seconds += std::chrono::duration<double>(WallClock::now() - t0).count();
  };

  // ---- The day ----------------------------------------------------------------------------------
  const EpochMs day_start = sim.now(), naive_day_start = naive_sim.now();
  for (int m = 0; m <= kSimMinutes; ++m) {
    if (m > 0) {
      sim.advance(std::chrono::seconds(60));
      naive_sim.advance(std::chrono::seconds(60));
    }
    const EpochMs now = sim.now(), naive_now = naive_sim.now();
    // What each side knew as the minute began.
    for (std::size_t i = 0; i < created; ++i) {
      ct_fresh.sample(parcels[i], parcels[i].ct, now);
      naive_fresh.sample(parcels[i], parcels[i].naive, naive_now);
    }
    while (created < parcels.size() && parcels[created].create_minute <= m)
      create(parcels[created++]);
    drain_worker();
    db.scan(parcels, by_no, now);
    wait_for_pushes(now);
    naive_round(naive_now);
    if (m % 120 == 0)
      std::fprintf(stderr, "  simulated %2dh: %zu shipments, %.0f s real\n", m / 60, created,
                   std::chrono::duration<double>(WallClock::now() - wall_start).count());
  }
  const double simulated_hours = static_cast<double>(sim.now() - day_start) / (60.0 * kMinuteMs);
  const double naive_hours =
      static_cast<double>(naive_sim.now() - naive_day_start) / (60.0 * kMinuteMs);

  // ---- Report
  // -------------------------------------------------------------------------------------
  const auto st = sim.stats();
  const auto naive_st = naive_sim.stats();
  const std::uint64_t ct_queries = stat(st, "kdniao", "queries") + stat(st, "kuaidi100", "queries");
  const std::uint64_t ct_subs =
      stat(st, "kdniao", "subscriptions") + stat(st, "kuaidi100", "subscriptions");
  const std::uint64_t naive_calls =
      stat(naive_st, "kdniao", "queries") + stat(naive_st, "kuaidi100", "queries");
  const std::uint64_t pushes = stat(st, "kdniao", "pushes") + stat(st, "kuaidi100", "pushes");
  const std::uint64_t pushes_failed =
      stat(st, "kdniao", "pushes_failed") + stat(st, "kuaidi100", "pushes_failed");
  const double ratio =
      naive_calls ? static_cast<double>(ct_queries + ct_subs) / static_cast<double>(naive_calls)
                  : 0;
  std::size_t delivered = 0, exceptions = 0, no_info = 0;
  for (const auto& p : parcels) {
    using coldtrack::sim::Scenario;
    if (p.script.scenario == Scenario::kNoInfo)
      ++no_info;
    else if (p.script.scenario == Scenario::kDelivered || p.script.scenario == Scenario::kDelayed)
      ++delivered;
    else
      ++exceptions;
  }

  sim.stop();
  naive_sim.stop();
  server.drain(std::chrono::milliseconds(0));
  server.stop();
  pool.join();
  const double real_seconds = std::chrono::duration<double>(WallClock::now() - wall_start).count();

  std::printf(
      "| shipments | simulated hours | ColdTrack calls (queries + subscriptions) | naive calls | "
      "ratio (target ≤ 0.2) | worst staleness in transit (target ≤ 30 min) | real seconds |\n");
  std::printf("|---:|---:|---:|---:|---:|---:|---:|\n");
  std::printf("| %d | %.0f | %llu (%llu + %llu) | %llu | %.3f | %s | %.0f |\n\n", n,
              simulated_hours, static_cast<unsigned long long>(ct_queries + ct_subs),
              static_cast<unsigned long long>(ct_queries), static_cast<unsigned long long>(ct_subs),
              static_cast<unsigned long long>(naive_calls), ratio,
              minutes(ct_fresh.stale.max_ms).c_str(), real_seconds);
  std::printf("| in transit, sampled each simulated minute | ColdTrack | naive poller |\n");
  std::printf("|---|---:|---:|\n");
  std::printf("| carrier calls | %llu | %llu |\n",
              static_cast<unsigned long long>(ct_queries + ct_subs),
              static_cast<unsigned long long>(naive_calls));
  std::printf("| staleness max | %s | %s |\n", minutes(ct_fresh.stale.max_ms).c_str(),
              minutes(naive_fresh.stale.max_ms).c_str());
  std::printf("| staleness p99 | %s | %s |\n", minutes(ct_fresh.stale.percentile_ms(0.99)).c_str(),
              minutes(naive_fresh.stale.percentile_ms(0.99)).c_str());
  std::printf("| silence (now − heard_at) max | %s | %s |\n",
              minutes(ct_fresh.silence.max_ms).c_str(),
              minutes(naive_fresh.silence.max_ms).c_str());
  std::printf("| samples (shipment-minutes) | %llu | %llu |\n\n",
              static_cast<unsigned long long>(ct_fresh.stale.samples),
              static_cast<unsigned long long>(naive_fresh.stale.samples));
  std::printf(
      "provider %s (fallback %s); scripts: %zu delivered, %zu ending in a problem state, %zu no "
      "info;\n",
      provider.c_str(), wo.fallback_provider.c_str(), delivered, exceptions, no_info);
  std::printf(
      "ColdTrack worker: %d subscribed (%d failed), %d queried (%d failed), %d polls saved by "
      "push, "
      "%d deferred, %llu passes; %llu pushes sent (%llu failed), %llu push waits timed out;\n",
      totals.subscribed, totals.subscribe_failed, totals.queried, totals.query_failed,
      totals.saved_by_push, totals.deferred, static_cast<unsigned long long>(passes),
      static_cast<unsigned long long>(pushes), static_cast<unsigned long long>(pushes_failed),
      static_cast<unsigned long long>(push_wait_timeouts));
  std::string by_status;
  for (const auto& [status, count] : db.queries_by_status())
    by_status += fmt::format("{}{} {}", by_status.empty() ? "" : ", ", status, count);
  std::printf("ColdTrack queries by stored status after the answer: %s;\n", by_status.c_str());
  std::printf(
      "naive: %llu failed calls, analytic count %llu, %.0f s real spent querying, %.0f simulated "
      "hours.\n",
      static_cast<unsigned long long>(naive_failed.load()),
      static_cast<unsigned long long>(naive_analytic(parcels)), naive_seconds, naive_hours);

  store.close();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}
