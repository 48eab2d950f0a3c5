// What the API bench asks for, read from the benchmark database: shared by sign_requests (which
// signs HTTP requests for wrk) and api_bench (which runs the same queries raw), so both sides
// of every ratio use the same order numbers, phones and date windows.
#pragma once

#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "domain/time.h"
#include "service/pii.h"

namespace coldtrack::bench {

inline sqlite3* open_readonly(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
    throw std::runtime_error("cannot open " + path);
  return db;
}

// The first column of every row of `sql` as text.
inline std::vector<std::string> column(sqlite3* db, const std::string& sql) {
  std::vector<std::string> out;
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK)
    throw std::runtime_error(std::string("prepare: ") + sqlite3_errmsg(db));
  while (sqlite3_step(s) == SQLITE_ROW) {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(s, 0));
    out.emplace_back(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(s, 0)));
  }
  sqlite3_finalize(s);
  return out;
}

// The hot set for GET: up to `n` order numbers spread evenly over the table (by rowid, so
// picking them costs no sort of a million rows).
inline std::vector<std::string> hot_order_nos(sqlite3* db, int n) {
  const auto max_id = column(db, "SELECT COALESCE(MAX(id), 0) FROM orders");
  const long long top = max_id.empty() ? 0 : std::stoll(max_id[0]);
  const long long step = std::max(1LL, top / n);
  auto out = column(db, "SELECT order_no FROM orders WHERE id % " + std::to_string(step) +
                            " = 0 LIMIT " + std::to_string(n));
  std::shuffle(out.begin(), out.end(), std::mt19937_64(7));
  return out;
}

// Up to `n` distinct phone numbers of existing orders (opened with the data key, so this works
// whatever generator filled the database).
inline std::vector<std::string> phones(sqlite3* db, const service::PiiCodec& pii, int n) {
  std::vector<std::string> out;
  for (const auto& sealed : column(db, "SELECT phone_sealed FROM orders ORDER BY id LIMIT " +
                                           std::to_string(n * 20))) {
    auto p = pii.open(sealed, "customer.phone");
    if (p && std::find(out.begin(), out.end(), *p) == out.end()) out.push_back(*p);
    if (static_cast<int>(out.size()) >= n) break;
  }
  if (out.empty()) throw std::runtime_error("no phone could be opened: wrong data key?");
  return out;
}

// `n` one-day windows [from, to) at random whole seconds inside the span of created_at, as
// epoch milliseconds.
struct Window {
  std::int64_t from, to;
};
inline std::vector<Window> day_windows(sqlite3* db, int n) {
  const auto lo = std::stoll(column(db, "SELECT COALESCE(MIN(created_at), 0) FROM orders")[0]);
  const auto hi = std::stoll(column(db, "SELECT COALESCE(MAX(created_at), 0) FROM orders")[0]);
  constexpr std::int64_t kDay = 86'400'000;
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<std::int64_t> at(lo / 1000, std::max(lo, hi - kDay) / 1000);
  std::vector<Window> out;
  for (int i = 0; i < n; ++i) {
    const auto from = at(rng) * 1000;
    out.push_back({from, from + kDay});
  }
  return out;
}

// RFC 3339 in UTC with "Z", safe in a query string without escaping.
inline std::string utc(std::int64_t ms) {
  auto s = domain::format_rfc3339(ms, 0);
  if (s.size() > 6 && s.compare(s.size() - 6, 6, "+00:00") == 0) s.replace(s.size() - 6, 6, "Z");
  return s;
}

}  // namespace coldtrack::bench
