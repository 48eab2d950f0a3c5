// sql::Engine over MariaDB: a pool of MysqlConn (opened lazily up to pool_size; callers wait when
// all are busy) and the retry of work the server rolled back (deadlock, lock wait timeout,
// connection lost before COMMIT) with a short randomized exponential backoff.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "store/mysql/conn.h"
#include "store/sql/engine.h"

namespace coldtrack::store::mysql {

class MysqlEngine final : public sql::Engine {
 public:
  // Opens one connection at once so that a wrong address or password fails here (sql::Error).
  explicit MysqlEngine(MysqlOptions options);
  ~MysqlEngine() override;
  MysqlEngine(const MysqlEngine&) = delete;
  MysqlEngine& operator=(const MysqlEngine&) = delete;

  sql::Dialect dialect() const override { return sql::Dialect::mysql; }
  // Runs fn again (up to kMaxAttempts in all) after a retryable sql::Error.
  void write(const std::function<void(sql::Conn&)>& fn) override;
  // Retries the same way; read bodies must keep their state inside, like write bodies.
  void read(const std::function<void(sql::Conn&)>& fn) override;
  bool ping() override;
  void close() override;

  // A connection outside the pool (for tools such as migrations or dumps).
  std::unique_ptr<sql::Conn> open_connection();

  static constexpr int kMaxAttempts = 10;

 private:
  class Lease;

  void run(const std::function<void(sql::Conn&)>& fn);
  std::unique_ptr<MysqlConn> acquire();
  void release(std::unique_ptr<MysqlConn> conn);

  const MysqlOptions options_;
  std::mutex mu_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<MysqlConn>> idle_;
  int open_ = 0;  // idle + leased
  bool closed_ = false;
};

}  // namespace coldtrack::store::mysql
