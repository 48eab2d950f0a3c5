#include "app/migrate_data.h"

#include <fmt/format.h>

#include <cctype>
#include <filesystem>
#include <iostream>
#include <memory>

#include "app/cli_text.h"
#include "store/copy/table_copy.h"
#include "store/mysql/conn.h"
#include "store/mysql/mysql_store.h"
#include "store/sqlite/db.h"
#include "store/sqlite/sqlite_store.h"

namespace coldtrack::app {
namespace {

namespace fs = std::filesystem;
using store::copy::CopyRefused;

store::mysql::MysqlOptions mysql_options(const Config& config, const DataEndpoint& e) {
  store::mysql::MysqlOptions o;
  o.url = e.url;
  o.connect_timeout_ms = config.store.mysql.connect_timeout_ms;
  o.rw_timeout_ms = config.store.mysql.rw_timeout_ms;
  o.pool_size = 1;
  return o;
}

// Opens the side through its Store (which applies pending migrations) and returns its schema
// version.
int migrate_side(const Config& config, const DataEndpoint& e) {
  std::unique_ptr<store::sql::SqlStore> s;
  if (e.mysql) {
    s = std::make_unique<store::mysql::MysqlStore>(mysql_options(config, e));
  } else {
    store::sqlite::SqliteOptions o;
    o.path = e.sqlite_path;
    o.busy_timeout_ms = config.store.sqlite.busy_timeout_ms;
    o.readers = 1;
    s = std::make_unique<store::sqlite::SqliteStore>(o);
  }
  const int version = s->schema_version();
  s->close();
  return version;
}

std::unique_ptr<store::sql::Conn> connect(const Config& config, const DataEndpoint& e) {
  if (e.mysql) return std::make_unique<store::mysql::MysqlConn>(mysql_options(config, e));
  return std::make_unique<store::sqlite::Db>(e.sqlite_path, config.store.sqlite.busy_timeout_ms,
                                             true, false);
}

// Whether the MariaDB database exists (MysqlConn and MysqlStore create a missing one).
bool mysql_database_exists(const Config& config, const DataEndpoint& e) {
  DataEndpoint server = e;
  server.url.database = "information_schema";
  store::mysql::MysqlConn conn(mysql_options(config, server));
  auto s = conn.prepare("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = ?");
  s.bind(1, e.url.database);
  return s.step() && s.i64(0) > 0;
}

bool same_endpoint(const DataEndpoint& a, const DataEndpoint& b) {
  if (a.mysql != b.mysql) return false;
  if (a.mysql)
    return a.url.host == b.url.host && a.url.port == b.url.port && a.url.socket == b.url.socket &&
           a.url.database == b.url.database;
  std::error_code ec;
  return fs::weakly_canonical(a.sqlite_path, ec) == fs::weakly_canonical(b.sqlite_path, ec);
}

}  // namespace

std::string DataEndpoint::display() const {
  return mysql ? url.redacted() : "sqlite:" + sqlite_path;
}

DataEndpoint parse_data_endpoint(std::string_view text) {
  DataEndpoint e;
  if (text.empty()) throw std::invalid_argument("is empty");
  if (text.starts_with("mysql://")) {
    e.mysql = true;
    e.url = store::mysql::parse_mysql_url(text);
    return e;
  }
  if (text.starts_with("sqlite:")) {
    text.remove_prefix(7);
    if (text.starts_with("//")) text.remove_prefix(2);  // sqlite:///abs/path
    if (text.empty()) throw std::invalid_argument("sqlite: needs a file path (sqlite:PATH)");
    e.sqlite_path = std::string(text);
    return e;
  }
  // Any other "scheme:" (postgres://..., mariadb://...) is a mistake, not a file name. Only the
  // scheme is repeated: the rest may hold a password.
  const auto colon = text.find(':');
  if (colon != std::string_view::npos && colon > 0) {
    const auto scheme = text.substr(0, colon);
    const bool is_scheme =
        std::isalpha(static_cast<unsigned char>(scheme[0])) &&
        scheme.find_first_not_of(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.") ==
            std::string_view::npos;
    std::string lower(scheme);
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    // "mysql:host/db" and "MySQL://..." would otherwise become SQLite file names.
    if (is_scheme && (text.substr(colon).starts_with("://") || lower == "mysql" ||
                      lower == "mariadb" || lower == "sqlite"))
      throw std::invalid_argument("unsupported scheme '" + std::string(scheme) +
                                  "' (expected sqlite:PATH or mysql://user:password@host:port/db)");
  }
  e.sqlite_path = std::string(text);
  return e;
}

int migrate_data(const Config& config, const MigrateDataOptions& options) {
  DataEndpoint from, to;
  try {
    from = parse_data_endpoint(options.from);
  } catch (const std::invalid_argument& e) {
    std::cerr << "migrate-data: --from " << e.what() << "\n";
    return 2;
  }
  try {
    to = parse_data_endpoint(options.to);
  } catch (const std::invalid_argument& e) {
    std::cerr << "migrate-data: --to " << e.what() << "\n";
    return 2;
  }
  // Opening a missing source would create an empty database and "copy" nothing.
  if (!from.mysql) {
    std::error_code ec;
    if (!fs::is_regular_file(from.sqlite_path, ec)) {
      std::cerr << "migrate-data: --from: no SQLite database at " << from.sqlite_path << "\n";
      return 2;
    }
  }
  if (same_endpoint(from, to)) {
    std::cerr << "migrate-data: --from and --to name the same database (" << from.display()
              << ")\n";
    return 2;
  }

  std::cerr << "migrate-data: " << from.display() << " -> " << to.display()
            << " (the source must not change meanwhile: stop the service first)\n";
  try {
    if (from.mysql && !mysql_database_exists(config, from)) {
      std::cerr << "migrate-data: --from: no database " << from.url.database << " on "
                << from.display() << "\n";
      return 2;
    }
    const int from_version = migrate_side(config, from);
    const int to_version = migrate_side(config, to);
    if (from_version != to_version) {
      std::cerr << fmt::format(
          "migrate-data: refused: schema versions differ after migrating (source {}, destination "
          "{}); run the newer coldtrack's migrate-data\n",
          from_version, to_version);
      return 1;
    }
    auto src = connect(config, from);
    auto dst = connect(config, to);

    store::copy::CopyOptions copy;
    copy.batch_rows = options.batch_rows;
    copy.progress_every = 20'000;
    // Progress for large tables only (every 20,000 rows and at their end), on stderr.
    copy.progress = [every = copy.progress_every](std::string_view table, std::int64_t done,
                                                  std::int64_t total) {
      if (total >= every)
        std::cerr << fmt::format("migrate-data: {} {}/{} rows ({}%)\n", table, thousands(done),
                                 thousands(total), total ? done * 100 / total : 100);
    };
    const auto report = store::copy::copy_tables(*src, *dst, copy);

    std::cout << fmt::format("{:<26} {:>12}  {:<16}  {}\n", "table", "rows", "sha256", "next id");
    for (const auto& t : report.tables)
      std::cout << fmt::format(
          "{:<26} {:>12}  {:<16}  {}\n", t.table, thousands(t.destination.rows),
          t.destination.sha256_hex.substr(0, 16), t.next_id ? std::to_string(*t.next_id) : "-");
    const double rate = report.seconds > 0 ? static_cast<double>(report.rows) / report.seconds : 0;
    if (!report.ok()) {
      for (const auto& t : report.tables) {
        if (t.ok()) continue;
        std::cerr << fmt::format(
            "migrate-data: verification FAILED for table {}: source {} rows sha256 {}, destination "
            "{} rows sha256 {}\n",
            t.table, t.source.rows, t.source.sha256_hex, t.destination.rows,
            t.destination.sha256_hex);
      }
      std::cerr << "migrate-data: the destination does not match the source; do not use it\n";
      return 1;
    }
    std::cout << fmt::format(
                     "migrate-data: OK: {} rows in {} tables copied to {} and verified (row counts "
                     "and SHA-256 checksums match) in {:.2f} s, {} rows/s",
                     thousands(report.rows), report.tables.size(), to.display(), report.seconds,
                     thousands(static_cast<std::int64_t>(rate)))
              << std::endl;
    return 0;
  } catch (const CopyRefused& e) {
    std::cerr << "migrate-data: refused: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "migrate-data: failed: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace coldtrack::app
