// Copies a shop's data between two SQL databases (SQLite <-> MariaDB, either way) table by
// table, and proves the copy: row counts and a SHA-256 over every row on both sides.
//
// Both databases must already be at the same schema version (open them through their Store
// classes first, which migrates them). The copier then works on two raw sql::Conn:
// - tables: every user table of the source except schema_migrations and SQLite internals;
//   columns from the schema (SQLite: pragma_table_xinfo, MariaDB: information_schema, generated
//   columns skipped). Both sides must have the same tables with the same column names in the
//   same order, else CopyRefused lists every difference.
// - the destination must hold no data: every table empty except the reference tables seeded by
//   the migrations (carriers, categories), whose rows are replaced by the source's.
// - rows are read in primary-key order from one snapshot of the source (a read transaction held
//   for the whole copy) and inserted with explicit column lists, each value bound with its
//   column's type (integer, double, text, blob, NULL), in transactions of `batch_rows` rows.
// - id counters: the destination's AUTO_INCREMENT / AUTOINCREMENT counters continue after
//   max(source counter, largest id), so ids of archived rows are never handed out again.
// - verification: each destination table is read back and its count and checksum compared with
//   the source's.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "store/sql/conn.h"

namespace coldtrack::store::copy {

// How a column's values are read and bound.
enum class Kind { integer, real, text, blob };

struct Column {
  std::string name;
  Kind kind = Kind::text;
  std::string declared;  // the type as the schema states it, for messages
};

struct TableSchema {
  std::string name;
  std::vector<Column> columns;   // in table order, generated columns left out
  std::vector<std::string> key;  // primary key columns in key order (empty: none)
};

// The user tables of a database (see above), by name.
std::vector<TableSchema> describe_tables(sql::Conn& db);

// The highest applied migration (0 when there is none).
int schema_version(sql::Conn& db);

// The copier refuses before writing anything (schema differs, destination not empty, a source
// value not of its column's type). what() says why and what to do.
struct CopyRefused : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Row count and SHA-256 of one table on one side. The checksum covers the column names and,
// row by row in primary-key order, each value as a type tag and its bytes: NULL 'n'; integer
// 'i' + 8 bytes big-endian; double 'r' + the 8 bytes of its IEEE 754 bit pattern big-endian;
// text and blob 'b' + 8-byte big-endian length + the bytes (one tag for both, because a few
// columns are TEXT in SQLite and BLOB in MariaDB: tracking payloads kept byte for byte).
struct TableDigest {
  std::int64_t rows = 0;
  std::string sha256_hex;
};

struct TableCheck {
  std::string table;
  TableDigest source, destination;
  std::optional<std::int64_t> next_id;  // the destination's id counter, when it has one
  bool ok() const {
    return source.rows == destination.rows && source.sha256_hex == destination.sha256_hex;
  }
};

struct CopyReport {
  std::vector<TableCheck> tables;  // by table name
  std::int64_t rows = 0;           // rows copied
  double seconds = 0;              // wall time of copy and verification
  bool ok() const;
  // The first table whose count or checksum differs, nullptr when all match.
  const TableCheck* first_mismatch() const;
};

struct CopyOptions {
  int batch_rows = 2000;  // rows per destination transaction
  // Called after every `progress_every` rows of a table and at its end.
  std::int64_t progress_every = 20'000;
  std::function<void(std::string_view table, std::int64_t done, std::int64_t total)> progress;
  // Tables the migrations fill with reference data: their destination rows are replaced.
  std::vector<std::string> replace_tables = {"carriers", "categories", "masked_forms_backlog"};
};

// Copies every table from `src` to `dst` and verifies the result. Throws CopyRefused when a
// precondition does not hold (nothing has been written then) and sql::Error on a database error
// (the tables written so far are emptied again, best effort, so that the copy can be repeated).
// A verification mismatch is not an exception: see CopyReport::ok().
CopyReport copy_tables(sql::Conn& src, sql::Conn& dst, const CopyOptions& options = {});

// Reads both sides again and compares every table's count and checksum (the tables of the
// source; a table missing on the destination throws CopyRefused).
std::vector<TableCheck> verify_tables(sql::Conn& src, sql::Conn& dst);

// The count and checksum of one table: `table`'s columns read with their kinds, rows in the
// order of `table.key` (all columns when it has no key).
TableDigest table_digest(sql::Conn& db, const TableSchema& table);

}  // namespace coldtrack::store::copy
