#include "app/backup.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "store/sqlite/migrations.h"
#include "store/sqlite/sole_use.h"

namespace coldtrack::app {
namespace {

namespace fs = std::filesystem;

struct Closer {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, Closer>;

struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

DbPtr open(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK)
    throw Failure(fmt::format("cannot open {}: {}", path, raw ? sqlite3_errmsg(raw) : "no memory"));
  sqlite3_busy_timeout(raw, 10'000);
  return db;
}

std::int64_t scalar(sqlite3* db, const char* sql) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK)
    throw Failure(fmt::format("{}: {}", sql, sqlite3_errmsg(db)));
  std::int64_t v = 0;
  if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

// What a database holds, for the verification and the printed summary.
struct Census {
  std::int64_t orders = 0, archived_orders = 0, shipments = 0, events = 0;
  int schema_version = 0;
  bool operator==(const Census&) const = default;
};

Census census(sqlite3* db, const std::string& what) {
  // integrity_check reads every page: a torn or truncated file is caught here, not at the
  // first query after a restore.
  sqlite3_stmt* st = nullptr;
  std::string verdict;
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check(1)", -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    verdict = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  if (verdict != "ok")
    throw Failure(fmt::format("{} failed its integrity check: {}", what,
                              verdict.empty() ? sqlite3_errmsg(db) : verdict));
  if (scalar(db,
             "SELECT count(*) FROM sqlite_master WHERE name IN ('orders', "
             "'schema_migrations', 'orders_archive')") != 3)
    throw Failure(what + " is not a coldtrack database");
  Census c;
  c.orders = scalar(db, "SELECT count(*) FROM orders");
  c.archived_orders = scalar(db, "SELECT count(*) FROM orders_archive");
  c.shipments = scalar(db, "SELECT count(*) FROM shipments");
  c.events = scalar(db, "SELECT count(*) FROM order_events");
  c.schema_version = static_cast<int>(scalar(db, "SELECT max(version) FROM schema_migrations"));
  return c;
}

// Copies every page of `from` into `to` in one step: one read transaction on the source (a
// consistent snapshot) and one write transaction on the destination (all or nothing).
void copy(sqlite3* from, sqlite3* to) {
  sqlite3_backup* b = sqlite3_backup_init(to, "main", from, "main");
  if (!b) throw Failure(fmt::format("cannot start the copy: {}", sqlite3_errmsg(to)));
  int rc = SQLITE_OK;
  do {
    rc = sqlite3_backup_step(b, -1);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(50);
  } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) throw Failure(fmt::format("copy failed: {}", sqlite3_errstr(rc)));
}

void fsync_path(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) throw Failure("cannot open " + path + " to sync it");
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) throw Failure("cannot sync " + path);
}

std::string json_census(const Census& c) {
  return fmt::format(
      R"("orders":{},"archived_orders":{},"shipments":{},"order_events":{},"schema_version":{})",
      c.orders, c.archived_orders, c.shipments, c.events, c.schema_version);
}

int sqlite_only(const Config& config, std::string_view command) {
  std::cerr << command << ": the store is MariaDB (store.backend mysql); back it up with "
            << "mariadb-dump --single-transaction and restore with the mariadb client "
            << "(README \"Deploying\")\n";
  return 2;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int backup_database(const Config& config, const BackupOptions& options) {
  if (config.store.backend != "sqlite") return sqlite_only(config, "backup");
  const auto t0 = std::chrono::steady_clock::now();
  const std::string& source = config.store.sqlite.path;
  const std::string partial = options.file + ".partial";
  try {
    if (!fs::exists(source)) throw Failure("no database at " + source + " (store.sqlite.path)");
    if (fs::exists(options.file) && !options.force)
      throw Failure(options.file + " exists; pass --force to overwrite it");
    fs::remove(partial);
    Census taken;
    {
      auto from = open(source, SQLITE_OPEN_READONLY);
      auto to = open(partial, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
      copy(from.get(), to.get());
      // A backup is one self-contained file: no -wal beside it.
      sqlite3_exec(to.get(), "PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr);
      taken = census(to.get(), "the backup");
    }
    fsync_path(partial, false);
    fs::rename(partial, options.file);
    fsync_path(fs::absolute(options.file).parent_path().string(), true);
    std::cout << fmt::format(R"({{"backup":"{}","bytes":{},{},"seconds":{:.2f}}})", options.file,
                             fs::file_size(options.file), json_census(taken), seconds_since(t0))
              << std::endl;
    return 0;
  } catch (const std::exception& e) {
    std::error_code ignore;
    fs::remove(partial, ignore);
    std::cerr << "backup failed: " << e.what() << "\n";
    return 1;
  }
}

int restore_database(const Config& config, const BackupOptions& options) {
  if (config.store.backend != "sqlite") return sqlite_only(config, "restore");
  const auto t0 = std::chrono::steady_clock::now();
  const std::string& target = config.store.sqlite.path;
  try {
    if (!fs::exists(options.file)) throw Failure("no backup at " + options.file);
    auto from = open(options.file, SQLITE_OPEN_READONLY);
    const auto want = census(from.get(), "the backup " + options.file);
    const int known = static_cast<int>(store::sqlite::migrations().size());
    if (want.schema_version > known)
      throw Failure(fmt::format(
          "the backup has schema version {}, newer than this coldtrack's {}; restore it with "
          "the version that made it",
          want.schema_version, known));
    if (const auto dir = fs::path(target).parent_path(); !dir.empty()) fs::create_directories(dir);
    // Joining the users of the target tells whether a coldtrack process has it open; while
    // joined, a server starting on it would see a second user, but it must not start meanwhile.
    store::sqlite::SoleUseFile users(target);
    users.check();
    if (!users.epoch())
      throw Failure("a coldtrack process is using " + target + "; stop it before restoring");
    auto to = open(target, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (fs::file_size(target) > 0 && !options.force &&
        scalar(to.get(), "SELECT count(*) FROM sqlite_master WHERE name = 'orders'") > 0 &&
        scalar(to.get(), "SELECT count(*) FROM orders") > 0)
      throw Failure(target + " already holds orders; pass --force to replace them");
    copy(from.get(), to.get());
    sqlite3_exec(to.get(), "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
    const auto got = census(to.get(), "the restored database");
    if (!(got == want))
      throw Failure(fmt::format("the restored database differs from the backup: {{{}}} vs {{{}}}",
                                json_census(got), json_census(want)));
    std::cout << fmt::format(R"({{"restored":"{}","from":"{}",{},"seconds":{:.2f}}})", target,
                             options.file, json_census(got), seconds_since(t0))
              << std::endl;
    std::cerr << "restore: the database needs the data key it was made with "
                 "(security.data_key) to read its sealed personal data\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "restore failed: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace coldtrack::app
