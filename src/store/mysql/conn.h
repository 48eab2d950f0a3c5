// sql::Conn over the MariaDB C client (libmariadb) with server-side prepared statements. Results
// are buffered client side, so other statements can run while rows of one are read. A session
// is configured so that SQL written for SQLite means the same here (ANSI_QUOTES, || concatenates,
// no backslash escapes), runs SERIALIZABLE and in UTC.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/mysql/url.h"
#include "store/sql/conn.h"

struct st_mysql;  // MYSQL from <mysql.h>, kept out of this header

namespace coldtrack::store::mysql {

struct MysqlOptions {
  MysqlUrl url;
  int connect_timeout_ms = 3000;
  // Read and write timeout of one network operation (the client library counts whole seconds).
  int rw_timeout_ms = 30000;
  int pool_size = 8;  // used by MysqlEngine
};

class MysqlStmt;

class MysqlConn final : public sql::Conn {
 public:
  // Connects and configures the session; creates the database (utf8mb4_bin) when it does not
  // exist. Throws sql::Error, retryable when the server could not be reached.
  explicit MysqlConn(const MysqlOptions& options);
  ~MysqlConn() override;
  MysqlConn(const MysqlConn&) = delete;
  MysqlConn& operator=(const MysqlConn&) = delete;

  sql::Dialect dialect() const override { return sql::Dialect::mysql; }
  sql::Stmt prepare(std::string_view sql) override;
  // Runs one or more ';'-separated statements; the error names the statement that failed.
  void exec(std::string_view sql) override;
  // Both reflect the last prepared statement that returned no rows (exec() leaves them alone);
  // last_insert_id() keeps its value across statements that generate no id, as in SQLite.
  std::int64_t last_insert_id() const override { return last_insert_id_; }
  int changes() const override { return changes_; }
  void begin() override;
  // A connection lost during COMMIT throws a non-retryable Error: the outcome is unknown.
  void commit() override;
  void rollback() override;

  // True after a connection error: every later call throws, and the pool discards it.
  bool broken() const { return broken_; }
  // True while a transaction is open on the server.
  bool in_transaction() const;
  // A round trip to the server; false (and broken) when the connection is lost.
  bool ping();

 private:
  friend class MysqlStmt;

  void connect(const MysqlOptions& options);
  void configure_session(const MysqlOptions& options);
  void query(std::string_view sql, bool is_commit = false);
  // Throws sql::Error for a client error; marks the connection broken when it is lost.
  // `context` names the statement.
  [[noreturn]] void fail(int code, const std::string& message, const std::string& context,
                         bool during_commit = false);
  void check_usable() const;
  void record_write(std::uint64_t affected, std::uint64_t insert_id);

  st_mysql* db_ = nullptr;
  std::string where_;  // redacted URL for error messages
  bool broken_ = false;
  std::int64_t last_insert_id_ = 0;
  int changes_ = 0;
  std::unordered_map<std::string, std::unique_ptr<MysqlStmt>> cache_;
};

// Whether `code` means the connection is gone (also lost during a query); the server then rolls
// back any open transaction.
bool is_connection_error(int code);

}  // namespace coldtrack::store::mysql
