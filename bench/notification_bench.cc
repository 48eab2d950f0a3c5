// Notification throughput on a fresh temporary database (SQLite, WAL, synchronous=FULL):
//   plan     outbox events -> jobs (one transaction per event: jobs inserted + event completed)
//   deliver  due jobs claimed one at a time, sent through a sender that only counts, outcome
//            recorded (two durable transactions per message: claim, then finish)
// Baseline, in the same run: a raw SQLite loop doing the least any exactly-once sender must
// do per message, two prepared single-row transactions (insert + update) on the same file
// settings. Ratio = ColdTrack / raw (1.0 = as fast as the bare commits).
// Usage: notification_bench [ORDERS=5000]
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <unistd.h>

#include <fmt/format.h>
#include <chrono>
#include <filesystem>
#include <string>

#include "notify/policy.h"
#include "service/notification_service.h"
#include "service/order_service.h"
#include "service/pii.h"
#include "store/sqlite/sqlite_store.h"

namespace ct = coldtrack;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

class CountingSender final : public ct::notify::Sender {
 public:
  ct::notify::SendReport send(const ct::notify::Delivery&) override {
    ++sent;
    return {ct::notify::SendStatus::kSent, "", "bench", 0};
  }
  long sent = 0;
};

// Two durable single-row transactions per message, prepared once.
double raw_commits(const fs::path& path, int n) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db,
               "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE j (id INTEGER "
               "PRIMARY KEY, k TEXT UNIQUE, state TEXT, at INTEGER);",
               nullptr, nullptr, nullptr);
  sqlite3_stmt *ins = nullptr, *upd = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO j (k, state, at) VALUES (?, 'sending', ?)", -1, &ins,
                     nullptr);
  sqlite3_prepare_v2(db, "UPDATE j SET state = 'sent', at = ? WHERE id = ?", -1, &upd, nullptr);
  const auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    const std::string key = fmt::format("k{}", i);
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    sqlite3_bind_text(ins, 1, key.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(ins, 2, i);
    sqlite3_step(ins);
    sqlite3_reset(ins);
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    sqlite3_bind_int64(upd, 1, i);
    sqlite3_bind_int64(upd, 2, sqlite3_last_insert_rowid(db));
    sqlite3_step(upd);
    sqlite3_reset(upd);
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
  const double s = seconds_since(t0);
  sqlite3_finalize(ins);
  sqlite3_finalize(upd);
  sqlite3_close(db);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const int orders = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5000;
  spdlog::set_level(spdlog::level::warn);
  const auto dir = fs::temp_directory_path() / fmt::format("coldtrack_nbench_{}", ::getpid());
  fs::create_directories(dir);
  ct::domain::EpochMs now = 1'795'583'100'000;  // 13:05 in Shanghai: no quiet hours
  {
    ct::store::sqlite::SqliteStore store(
        ct::store::sqlite::SqliteOptions{(dir / "ct.db").string()});
    ct::service::PiiCodec pii("0123456789abcdef0123456789ABCDEF");
    ct::service::OrderService svc(store, pii, [&] { return now; });
    const ct::service::Actor actor{"bench", "operator", "", ""};
    const auto t_setup = Clock::now();
    for (int i = 0; i < orders; ++i) {
      ct::domain::NewOrder o;
      o.order_no = fmt::format("NB{:08}", i);
      o.customer = {"张三", fmt::format("139{:08}", i), fmt::format("oBench{:022}", i)};
      o.address = {"上海市", "上海市", "浦东新区", "世纪大道100号"};
      o.items = {{"DJ-1", "三鲜水饺 1kg", "frozen", 1, 3990}};
      o.amount_fen = 3990;
      svc.create(o, actor);
      svc.change_status(o.order_no, ct::domain::OrderStatus::kPaid, now, "", actor);
      svc.add_shipment(o.order_no, "SF", fmt::format("SF{:013}", i), actor);
    }
    fmt::print("setup: {} orders paid and shipped in {:.1f} s\n", orders, seconds_since(t_setup));

    CountingSender wechat;
    ct::service::NotificationOptions options;
    options.policy = ct::notify::default_policy();
    options.policy.digest_window_ms = 0;
    options.policy.max_per_recipient_per_hour = 0;
    options.batch = 500;
    ct::service::NotificationService worker(
        store, pii, nullptr, {&wechat, nullptr, nullptr, nullptr}, options, [&] { return now; });
    const auto t_plan = Clock::now();
    int planned = 0;
    for (int n; (n = worker.plan_pending()) > 0;) planned += n;
    const double plan_s = seconds_since(t_plan);
    const auto t_send = Clock::now();
    for (;;) {
      const auto p = worker.deliver_due();
      if (p.sent == 0) break;
    }
    const double send_s = seconds_since(t_send);
    const double raw_s = raw_commits(dir / "raw.db", static_cast<int>(wechat.sent));
    fmt::print("plan:    {} jobs from {} events in {:.2f} s = {:.0f} jobs/s\n", planned, orders * 2,
               plan_s, planned / plan_s);
    fmt::print("deliver: {} messages in {:.2f} s = {:.0f} messages/s\n", wechat.sent, send_s,
               wechat.sent / send_s);
    fmt::print(
        "raw:     {} x (insert + update), two durable commits each, in {:.2f} s = {:.0f}/s\n",
        wechat.sent, raw_s, wechat.sent / raw_s);
    fmt::print("ratio deliver / raw = {:.2f}\n", raw_s / send_s);
  }
  fs::remove_all(dir);
  return 0;
}
