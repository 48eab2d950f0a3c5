// `coldtrack migrate-data --from sqlite:PATH --to mysql://...`: moves a shop's data to another
// backend (or back: --from mysql://... --to sqlite:PATH) with store/copy, and prints what was
// copied and verified.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "app/config.h"
#include "store/mysql/url.h"

namespace coldtrack::app {

// One side of a migration: a SQLite file or a MariaDB database.
struct DataEndpoint {
  bool mysql = false;
  std::string sqlite_path;
  store::mysql::MysqlUrl url;
  // For messages: "sqlite:PATH" or the URL with its password replaced by ***.
  std::string display() const;
};

// "sqlite:PATH", "sqlite:///abs/path", a bare path, or "mysql://user:pw@host:port/db". Throws
// std::invalid_argument naming the problem; the message never contains a password.
DataEndpoint parse_data_endpoint(std::string_view text);

struct MigrateDataOptions {
  std::string from, to;
  int batch_rows = 2000;
};

// Migrates both sides to the current schema, copies, verifies and prints a summary. Returns the
// exit code: 0 copied and verified; 1 refused, failed or a mismatch; 2 a bad --from/--to.
int migrate_data(const Config& config, const MigrateDataOptions& options);

}  // namespace coldtrack::app
