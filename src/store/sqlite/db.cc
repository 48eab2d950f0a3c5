#include "store/sqlite/db.h"

#include <fmt/format.h>

namespace coldtrack::store::sqlite {
namespace {

[[noreturn]] void fail(sqlite3* db, int rc, std::string_view what) {
  // SQLITE_BUSY after the busy timeout: another process held the lock; nothing was written.
  const bool busy = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
  throw sql::Error(fmt::format("sqlite {}: {} ({})", what, db ? sqlite3_errmsg(db) : "", rc), rc,
                   busy);
}

}  // namespace

class Db::Statement final : public sql::StmtImpl {
 public:
  explicit Statement(sqlite3_stmt* s) : s_(s) {}
  ~Statement() override { sqlite3_finalize(s_); }

  void bind_i64(int i, std::int64_t v) override { sqlite3_bind_int64(s_, i, v); }
  void bind_f64(int i, double v) override { sqlite3_bind_double(s_, i, v); }
  void bind_text(int i, std::string_view v) override {
    sqlite3_bind_text64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  }
  void bind_blob(int i, std::string_view v) override {
    sqlite3_bind_blob64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT);
  }
  void bind_null(int i) override { sqlite3_bind_null(s_, i); }
  bool step() override {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(sqlite3_db_handle(s_), rc, "step");
  }
  std::int64_t i64(int col) const override { return sqlite3_column_int64(s_, col); }
  double f64(int col) const override { return sqlite3_column_double(s_, col); }
  bool is_null(int col) const override { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  std::string text(int col) const override {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(s_, col));
    const int n = sqlite3_column_bytes(s_, col);
    return p ? std::string(p, static_cast<std::size_t>(n)) : std::string();
  }
  void reset() override {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }

 private:
  sqlite3_stmt* s_;
};

Db::Db(const std::string& path, int busy_timeout_ms, bool synchronous_full, bool read_only,
       std::int64_t mmap_bytes) {
  const int flags =
      (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
      SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw sql::Error(fmt::format("cannot open database {}: {}", path, msg), rc);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, busy_timeout_ms);
  if (!read_only) exec("PRAGMA journal_mode=WAL");
  exec(synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
  exec("PRAGMA foreign_keys=ON");
  exec("PRAGMA temp_store=MEMORY");
  if (mmap_bytes > 0) exec(fmt::format("PRAGMA mmap_size={}", mmap_bytes));
}

Db::~Db() {
  cache_.clear();  // finalize every statement before closing
  if (db_) sqlite3_close_v2(db_);
}

sql::Stmt Db::prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return sql::Stmt(it->second.get());
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) fail(db_, rc, "prepare");
  auto [pos, _] = cache_.emplace(std::string(sql), std::make_unique<Statement>(stmt));
  return sql::Stmt(pos->second.get());
}

void Db::exec(std::string_view sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : "";
    sqlite3_free(err);
    throw sql::Error(fmt::format("sqlite exec: {} ({})", msg, rc), rc);
  }
}

void Db::begin() {
  prepare("BEGIN IMMEDIATE").run();
}
void Db::commit() {
  prepare("COMMIT").run();
}
void Db::rollback() {
  prepare("ROLLBACK").run();
}

}  // namespace coldtrack::store::sqlite
