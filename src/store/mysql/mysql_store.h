// The production store: MariaDB through the C client, a connection pool and the same SQL
// store code as SQLite (store/sql). Transactions run SERIALIZABLE and are run again when the
// server rolls one back (deadlock), so they mean what they mean on SQLite's single writer.
#pragma once

#include "store/mysql/conn.h"
#include "store/sql/sql_store.h"

namespace coldtrack::store::mysql {

class MysqlStore final : public sql::SqlStore {
 public:
  // Connects (creating the database when it is missing and the user may) and applies pending
  // migrations. Throws sql::Error when the server cannot be reached.
  explicit MysqlStore(const MysqlOptions& options);
};

}  // namespace coldtrack::store::mysql
