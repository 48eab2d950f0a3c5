// The embedded default store: one SQLite database in WAL mode. Writes are serialized on one
// connection (SQLite allows one writer), and concurrent ones share a commit (group commit);
// reads use a small pool of read-only connections, one read transaction per read().
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "store/sql/engine.h"
#include "store/sql/sql_store.h"
#include "store/sqlite/sole_use.h"

namespace coldtrack::store::sqlite {

struct SqliteOptions {
  std::string path;
  bool synchronous_full = true;
  int busy_timeout_ms = 5000;
  int readers = 4;
  // Reads through a memory map of up to this many bytes (0: read() calls into each
  // connection's own page cache). SQLite caps it at 2 GiB in the Debian build.
  std::int64_t mmap_bytes = 0;
  // Concurrent write transactions committed together, with one fsync (group commit).
  int max_group = 64;
};

// The connections alone (no schema): what SqliteStore runs on.
std::unique_ptr<sql::Engine> open_engine(const SqliteOptions& options);

class SqliteStore final : public sql::SqlStore {
 public:
  // Opens (creating the file and its folder), joins the database's users (sole_use.h) and
  // applies pending migrations.
  explicit SqliteStore(const SqliteOptions& options);
  ~SqliteStore() override;

  // Null for an in-memory or URI database.
  const SoleUse* sole_use() const override;

 private:
  std::unique_ptr<SoleUseFile> sole_;
};

}  // namespace coldtrack::store::sqlite
