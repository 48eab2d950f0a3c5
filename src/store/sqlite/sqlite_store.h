// The embedded default store: one SQLite database in WAL mode. Writes are serialized on one
// connection (SQLite allows one writer); reads use a small pool of read-only connections.
#pragma once

#include <string>
#include <vector>

#include "store/sql/sql_store.h"

namespace coldtrack::store::sqlite {

struct SqliteOptions {
  std::string path;
  bool synchronous_full = true;
  int busy_timeout_ms = 5000;
  int readers = 4;
};

class SqliteStore final : public sql::SqlStore {
 public:
  // Opens (creating the file and its folder) and applies pending migrations.
  explicit SqliteStore(const SqliteOptions& options);
};

}  // namespace coldtrack::store::sqlite
