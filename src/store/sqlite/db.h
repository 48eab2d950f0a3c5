// Minimal RAII over the SQLite C API: a connection with a prepared-statement cache, behind the
// store's sql::Conn interface. Errors throw sql::Error.
#pragma once

#include "common/string_hash.h"

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/sql/conn.h"

namespace coldtrack::store::sqlite {

class Db final : public sql::Conn {
 public:
  // `mmap_bytes` > 0 reads the file through a memory map of up to that size (SQLite caps it at
  // 2 GiB here): pages then come from the OS page cache without a copy or a read() call, and
  // every connection shares them instead of each keeping its own page cache.
  Db(const std::string& path, int busy_timeout_ms, bool synchronous_full, bool read_only,
     std::int64_t mmap_bytes = 0);
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db() override;

  sql::Dialect dialect() const override { return sql::Dialect::sqlite; }
  sql::Stmt prepare(std::string_view sql) override;
  void exec(std::string_view sql) override;
  std::int64_t last_insert_id() const override { return sqlite3_last_insert_rowid(db_); }
  int changes() const override { return sqlite3_changes(db_); }
  // BEGIN IMMEDIATE: takes the write lock at once, so a transaction never fails half-way
  // because another process wrote first.
  void begin() override;
  void commit() override;
  void rollback() override;
  sqlite3* raw() const { return db_; }

 private:
  class Statement;
  sqlite3* db_ = nullptr;
  // Keyed by SQL text; transparent so a lookup does not build a std::string each time.
  std::unordered_map<std::string, std::unique_ptr<Statement>, StringHash, std::equal_to<>> cache_;
};

}  // namespace coldtrack::store::sqlite
