// `coldtrack backup` and `coldtrack restore` for the embedded SQLite store. A backup is a
// consistent copy taken while the service serves (SQLite's online backup API in one read
// transaction: in WAL mode writers go on meanwhile) and verified before it is kept. A restore
// verifies the file, refuses while a coldtrack process uses the database, and replaces it in
// one transaction. MariaDB stores are backed up with mariadb-dump (README "Deploying").
#pragma once

#include <string>

#include "app/config.h"

namespace coldtrack::app {

struct BackupOptions {
  std::string file;    // --to (backup) or --from (restore)
  bool force = false;  // backup: overwrite the file; restore: replace a database with orders
};

// Both print one JSON line on success ({"backup"|"restored", "orders", ...}) and return 0; on
// failure a message on stderr and a non-zero exit code.
int backup_database(const Config& config, const BackupOptions& options);
int restore_database(const Config& config, const BackupOptions& options);

}  // namespace coldtrack::app
