// How the SQL store gets connections: SQLite serializes writers on one connection and reads on a
// small pool; MariaDB takes any pooled connection and runs a transaction again when the server
// rolled it back (deadlock, lock wait timeout).
#pragma once

#include <functional>

#include "store/sql/conn.h"

namespace coldtrack::store::sql {

class Engine {
 public:
  virtual ~Engine() = default;
  virtual Dialect dialect() const = 0;
  // Runs fn with a connection that may write; fn opens its own Transaction when it needs one.
  // fn may run more than once (after a retryable Error), so it must not have effects outside
  // the database before it returns.
  virtual void write(const std::function<void(Conn&)>& fn) = 0;
  // Runs fn with a connection for reading (no transaction).
  virtual void read(const std::function<void(Conn&)>& fn) = 0;
  virtual bool ping() = 0;
  // Closes all connections; later calls throw Error("store is closed").
  virtual void close() = 0;
};

// One versioned schema step. Each dialect has its own list with the same versions and names.
struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

}  // namespace coldtrack::store::sql
