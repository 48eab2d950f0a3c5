// Load generator and baselines for the order API. Each HTTP figure is printed beside a baseline
// measured in the same run on the same database, as a ratio:
//   get:    signed GET /api/orders/{order_no}      vs  the same point lookup straight on SQLite
//   list:   signed GET /api/orders?phone=...       vs  the same indexed query straight on SQLite
//   create: signed POST /api/orders (durable)      vs  a raw SQLite insert transaction loop with
//                                                      the same durability (WAL, synchronous=FULL)
// Usage: api_bench URL DB_PATH DATA_KEY_HEX SECONDS THREADS (key/secret in COLDTRACK_API_KEY/SECRET)
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fmt/format.h>
#include <string>
#include <thread>
#include <vector>

#include "http/client.h"
#include "security/crypto.h"
#include "service/pii.h"

namespace {

using Clock = std::chrono::steady_clock;
using coldtrack::http::Client;
using coldtrack::http::Credentials;

struct Result {
  double per_second = 0;
  double p50_ms = 0, p99_ms = 0;
  long errors = 0;
};

template <class F>
Result run_threads(int threads, double seconds, F make_op) {
  std::vector<std::vector<double>> lat(static_cast<std::size_t>(threads));
  std::atomic<long> errors{0};
  std::vector<std::thread> ts;
  const auto until = Clock::now() + std::chrono::duration<double>(seconds);
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      auto op = make_op(t);
      while (Clock::now() < until) {
        const auto a = Clock::now();
        if (!op()) ++errors;
        lat[t].push_back(std::chrono::duration<double, std::milli>(Clock::now() - a).count());
      }
    });
  }
  for (auto& th : ts) th.join();
  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  Result r;
  r.per_second = all.size() / seconds;
  if (!all.empty()) {
    r.p50_ms = all[all.size() / 2];
    r.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  }
  r.errors = errors;
  return r;
}

std::vector<std::string> sample(sqlite3* db, const char* sql, int n) {
  std::vector<std::string> out;
  sqlite3_stmt* s;
  sqlite3_prepare_v2(db, sql, -1, &s, nullptr);
  sqlite3_bind_int(s, 1, n);
  while (sqlite3_step(s) == SQLITE_ROW)
    out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
  sqlite3_finalize(s);
  return out;
}

std::string order_json(const std::string& no, int i) {
  return fmt::format(
      R"({{"order_no":"{}","customer":{{"name":"压测","phone":"1700001{:04}"}},"address":{{"province":"上海市","city":"上海市","district":"浦东新区","detail":"演示路1号"}},"items":[{{"sku":"DJ","name":"水饺","category":"frozen","quantity":1,"unit_price_fen":3990}}],"amount_fen":3990}})",
      no, i % 10000);
}

void row(const char* name, const Result& api, const Result& base, const char* unit) {
  std::printf("| %-7s | %10.0f %s | %7.2f | %7.2f | %10.0f %s | %5.2f |\n", name, api.per_second, unit,
              api.p50_ms, api.p99_ms, base.per_second, unit, api.per_second / base.per_second);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: api_bench URL DB_PATH DATA_KEY_HEX SECONDS THREADS\n");
    return 2;
  }
  const std::string url = argv[1], db_path = argv[2];
  const auto key = coldtrack::security::hex_decode(argv[3]);
  const double seconds = std::atof(argv[4]);
  const int threads = std::atoi(argv[5]);
  const Credentials creds{std::getenv("COLDTRACK_API_KEY"), std::getenv("COLDTRACK_API_SECRET")};
  const auto colon = url.rfind(':');
  const auto host = url.substr(7, colon - 7);
  const auto port = static_cast<unsigned short>(std::stoi(url.substr(colon + 1)));
  coldtrack::service::PiiCodec pii(*key);

  sqlite3* db;
  sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  const auto nos = sample(db, "SELECT order_no FROM orders ORDER BY random() LIMIT ?", 5000);
  const auto phones = sample(db, "SELECT DISTINCT phone_index FROM orders LIMIT ?", 500);
  sqlite3_close(db);

  // GET one order.
  auto api_get = run_threads(threads, seconds, [&](int t) {
    return [&, t, c = std::make_shared<Client>(host, port), i = std::size_t(t)]() mutable {
      auto r = c->request("GET", "/api/orders/" + nos[i++ % nos.size()], {}, creds);
      return r.status == 200;
    };
  });
  auto raw_get = run_threads(threads, seconds, [&](int t) {
    sqlite3* conn;
    sqlite3_open_v2(db_path.c_str(), &conn, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* s;
    sqlite3_prepare_v2(conn, "SELECT * FROM orders WHERE order_no = ?", -1, &s, nullptr);
    return [&, s, i = std::size_t(t)]() mutable {
      sqlite3_bind_text(s, 1, nos[i++ % nos.size()].c_str(), -1, SQLITE_TRANSIENT);
      bool ok = sqlite3_step(s) == SQLITE_ROW;
      sqlite3_reset(s);
      return ok;
    };
  });

  // List by phone: the API takes the phone, the raw query takes the blind index directly.
  std::vector<std::string> phone_numbers;
  for (int i = 0; i < 500; ++i) phone_numbers.push_back(fmt::format("1700000{:04}", i));
  auto api_list = run_threads(threads, seconds, [&](int t) {
    return [&, t, c = std::make_shared<Client>(host, port), i = std::size_t(t)]() mutable {
      auto r = c->request("GET", "/api/orders?limit=20&phone=" + phone_numbers[i++ % 500], {}, creds);
      return r.status == 200;
    };
  });
  auto raw_list = run_threads(threads, seconds, [&](int t) {
    sqlite3* conn;
    sqlite3_open_v2(db_path.c_str(), &conn, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* s;
    sqlite3_prepare_v2(conn,
                       "SELECT * FROM orders WHERE phone_index = ? ORDER BY created_at DESC, id "
                       "DESC LIMIT 21",
                       -1, &s, nullptr);
    return [&, s, i = std::size_t(t)]() mutable {
      const auto idx = pii.phone_index(phone_numbers[i++ % 500]);
      sqlite3_bind_text(s, 1, idx.c_str(), -1, SQLITE_TRANSIENT);
      while (sqlite3_step(s) == SQLITE_ROW) {
      }
      sqlite3_reset(s);
      return true;
    };
  });

  // Durable creates.
  std::atomic<int> seq{0};
  const auto run_id = coldtrack::security::random_hex(3);
  auto api_create = run_threads(threads, seconds, [&](int) {
    return [&, c = std::make_shared<Client>(host, port)]() mutable {
      const int n = seq++;
      auto r = c->request("POST", "/api/orders", order_json(fmt::format("B{}{}", run_id, n), n), creds);
      return r.status == 201;
    };
  });
  const std::string raw_path = db_path + ".rawbench";
  std::remove(raw_path.c_str());
  sqlite3* raw;
  sqlite3_open(raw_path.c_str(), &raw);
  sqlite3_exec(raw,
               "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE o (id INTEGER "
               "PRIMARY KEY, order_no TEXT UNIQUE, body TEXT, created_at INTEGER); CREATE TABLE e "
               "(id INTEGER PRIMARY KEY, order_id INTEGER, status TEXT, at INTEGER)",
               nullptr, nullptr, nullptr);
  sqlite3_stmt *ins_o, *ins_e;
  sqlite3_prepare_v2(raw, "INSERT INTO o (order_no, body, created_at) VALUES (?, ?, ?)", -1, &ins_o, nullptr);
  sqlite3_prepare_v2(raw, "INSERT INTO e (order_id, status, at) VALUES (?, 'CREATED', ?)", -1, &ins_e, nullptr);
  int raw_seq = 0;
  auto raw_create = run_threads(1, seconds, [&](int) {
    return [&]() {
      const int n = raw_seq++;
      const auto no = fmt::format("R{}", n);
      const auto body = order_json(no, n);
      sqlite3_exec(raw, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
      sqlite3_bind_text(ins_o, 1, no.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(ins_o, 2, body.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(ins_o, 3, n);
      sqlite3_step(ins_o);
      sqlite3_reset(ins_o);
      sqlite3_bind_int64(ins_e, 1, sqlite3_last_insert_rowid(raw));
      sqlite3_bind_int64(ins_e, 2, n);
      sqlite3_step(ins_e);
      sqlite3_reset(ins_e);
      return sqlite3_exec(raw, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK;
    };
  });
  sqlite3_close(raw);
  std::remove(raw_path.c_str());

  std::printf("| path    | API              | p50 ms  | p99 ms  | baseline         | ratio |\n");
  std::printf("|---------|------------------|---------|---------|------------------|-------|\n");
  row("get", api_get, raw_get, "req/s");
  row("list", api_list, raw_list, "req/s");
  row("create", api_create, raw_create, "ord/s");
  const long errors = api_get.errors + api_list.errors + api_create.errors;
  std::printf("\nerrors: %ld (threads=%d, %.0f s per figure)\n", errors, threads, seconds);
  return errors == 0 ? 0 : 1;
}
