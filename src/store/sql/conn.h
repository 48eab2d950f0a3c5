// The narrow database interface the SQL store is written against: a connection with a cache of
// prepared statements, and a statement handle that binds, steps and reads columns. SQLite
// (store/sqlite) and MariaDB (store/mysql) implement it; the store itself never includes a
// client library's header. Errors throw sql::Error.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace coldtrack::store::sql {

enum class Dialect { sqlite, mysql };

struct Error : std::runtime_error {
  Error(const std::string& what, int code, bool retryable = false)
      : std::runtime_error(what), code(code), retryable(retryable) {}
  int code;
  // The transaction was rolled back by the server (deadlock, lock wait timeout, connection lost
  // before COMMIT was sent): running it again from the start is safe.
  bool retryable;
};

// One prepared statement of a connection. Parameters and columns count from 1 and 0, as in
// SQLite. The first step() executes; reset() makes the statement ready to run again.
class StmtImpl {
 public:
  virtual ~StmtImpl() = default;
  virtual void bind_i64(int i, std::int64_t v) = 0;
  virtual void bind_f64(int i, double v) = 0;
  virtual void bind_text(int i, std::string_view v) = 0;
  virtual void bind_blob(int i, std::string_view v) = 0;
  virtual void bind_null(int i) = 0;
  virtual bool step() = 0;
  virtual std::int64_t i64(int col) const = 0;
  virtual double f64(int col) const = 0;
  virtual bool is_null(int col) const = 0;
  virtual std::string text(int col) const = 0;
  // Clears results and bindings.
  virtual void reset() = 0;
};

// A borrowed statement: resets itself when it goes out of scope so the cached statement can be
// used again.
class Stmt {
 public:
  explicit Stmt(StmtImpl* s) : s_(s) {}
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() { s_->reset(); }

  Stmt& bind(int i, std::int64_t v) {
    s_->bind_i64(i, v);
    return *this;
  }
  Stmt& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  Stmt& bind(int i, std::string_view v) {
    s_->bind_text(i, v);
    return *this;
  }
  Stmt& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  Stmt& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Stmt& bind_f64(int i, double v) {
    s_->bind_f64(i, v);
    return *this;
  }
  Stmt& bind_blob(int i, std::string_view v) {
    s_->bind_blob(i, v);
    return *this;
  }
  Stmt& bind_null(int i) {
    s_->bind_null(i);
    return *this;
  }
  template <class T>
  Stmt& bind(int i, const std::optional<T>& v) {
    return v ? bind(i, *v) : bind_null(i);
  }

  // Steps once: true when a row is available.
  bool step() { return s_->step(); }
  // Steps to completion (for writes).
  void run() {
    while (step()) {
    }
  }
  // Ready to bind and run again (bindings are cleared).
  void reset() { s_->reset(); }

  std::int64_t i64(int col) const { return s_->i64(col); }
  double f64(int col) const { return s_->f64(col); }
  bool is_null(int col) const { return s_->is_null(col); }
  std::string text(int col) const { return s_->text(col); }
  std::optional<std::int64_t> opt_i64(int col) const {
    return is_null(col) ? std::nullopt : std::optional<std::int64_t>(i64(col));
  }
  std::optional<double> opt_f64(int col) const {
    return is_null(col) ? std::nullopt : std::optional<double>(f64(col));
  }

 private:
  StmtImpl* s_;
};

class Conn {
 public:
  virtual ~Conn() = default;
  virtual Dialect dialect() const = 0;
  // A cached prepared statement for `sql` (the text is the cache key). Only one borrowed
  // statement per text at a time; different statements may be interleaved (results are
  // buffered).
  virtual Stmt prepare(std::string_view sql) = 0;
  // Runs one or more statements that return no rows (DDL, pragmas).
  virtual void exec(std::string_view sql) = 0;
  virtual std::int64_t last_insert_id() const = 0;
  // Rows matched by the last INSERT/UPDATE/DELETE (matched, not only changed).
  virtual int changes() const = 0;
  // A write transaction: SQLite takes the write lock at once (BEGIN IMMEDIATE); MariaDB runs
  // it SERIALIZABLE.
  virtual void begin() = 0;
  virtual void commit() = 0;
  virtual void rollback() = 0;
};

// begin() ... commit(), rolled back unless commit() is called.
class Transaction {
 public:
  explicit Transaction(Conn& db) : db_(db) { db_.begin(); }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction() {
    if (done_) return;
    try {
      db_.rollback();
    } catch (...) {
      // A failed statement or a lost connection has rolled back already.
    }
  }
  void commit() {
    db_.commit();
    done_ = true;
  }

 private:
  Conn& db_;
  bool done_ = false;
};

}  // namespace coldtrack::store::sql
