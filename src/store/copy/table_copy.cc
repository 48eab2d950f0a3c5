#include "store/copy/table_copy.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <set>

namespace coldtrack::store::copy {
namespace {

using sql::Conn;
using sql::Dialect;
using sql::Stmt;

constexpr std::string_view kMigrationsTable = "schema_migrations";
// Rows per page when reading MariaDB (its client buffers a whole result).
constexpr int kPageRows = 2000;
// A multi-row INSERT is flushed early once its values pass this size (max_allowed_packet is
// 16 MiB by default).
constexpr std::size_t kMaxInsertBytes = 4u << 20;

std::string quote(std::string_view id) {
  std::string out = "\"";
  for (char c : id) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

// SQLite's column affinity rules (https://sqlite.org/datatype3.html, 3.1), in their order.
Kind sqlite_kind(const std::string& table, const std::string& column, const std::string& type) {
  const std::string t = upper(type);
  if (t.find("INT") != std::string::npos) return Kind::integer;
  if (t.find("CHAR") != std::string::npos || t.find("CLOB") != std::string::npos ||
      t.find("TEXT") != std::string::npos)
    return Kind::text;
  if (t.empty() || t.find("BLOB") != std::string::npos) return Kind::blob;
  if (t.find("REAL") != std::string::npos || t.find("FLOA") != std::string::npos ||
      t.find("DOUB") != std::string::npos)
    return Kind::real;
  throw CopyRefused("column " + table + "." + column + " has type " + type +
                    " (NUMERIC affinity), which the copier does not handle");
}

Kind mysql_kind(const std::string& table, const std::string& column, const std::string& type) {
  static const std::map<std::string, Kind> kinds = {
      {"tinyint", Kind::integer}, {"smallint", Kind::integer}, {"mediumint", Kind::integer},
      {"int", Kind::integer},     {"bigint", Kind::integer},   {"year", Kind::integer},
      {"float", Kind::real},      {"double", Kind::real},      {"char", Kind::text},
      {"varchar", Kind::text},    {"tinytext", Kind::text},    {"text", Kind::text},
      {"mediumtext", Kind::text}, {"longtext", Kind::text},    {"enum", Kind::text},
      {"set", Kind::text},        {"json", Kind::text},        {"binary", Kind::blob},
      {"varbinary", Kind::blob},  {"tinyblob", Kind::blob},    {"blob", Kind::blob},
      {"mediumblob", Kind::blob}, {"longblob", Kind::blob},
  };
  std::string t = type;
  for (auto& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (auto it = kinds.find(t); it != kinds.end()) return it->second;
  throw CopyRefused("column " + table + "." + column + " has type " + type +
                    ", which the copier does not handle");
}

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::integer:
      return "integer";
    case Kind::real:
      return "real";
    case Kind::text:
      return "text";
    case Kind::blob:
      return "blob";
  }
  return "?";
}

bool is_bytes(Kind k) {
  return k == Kind::text || k == Kind::blob;
}

// ---- schema -------------------------------------------------------------------------------------

std::vector<std::string> table_names(Conn& db) {
  std::vector<std::string> out;
  if (db.dialect() == Dialect::sqlite) {
    auto s = db.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, 7) <> 'sqlite_'");
    while (s.step()) out.push_back(s.text(0));
  } else {
    auto s = db.prepare(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND "
        "table_type = 'BASE TABLE'");
    while (s.step()) out.push_back(s.text(0));
  }
  std::erase(out, std::string(kMigrationsTable));
  std::sort(out.begin(), out.end());
  return out;
}

TableSchema describe_sqlite(Conn& db, const std::string& name) {
  TableSchema t;
  t.name = name;
  std::map<std::int64_t, std::string> key;
  // hidden: 0 normal, 1 hidden (virtual tables), 2/3 generated columns.
  auto s = db.prepare("SELECT name, type, pk, hidden FROM pragma_table_xinfo(?) ORDER BY cid");
  s.bind(1, name);
  while (s.step()) {
    if (s.i64(3) != 0) continue;
    Column c{s.text(0), Kind::text, s.text(1)};
    c.kind = sqlite_kind(name, c.name, c.declared);
    if (s.i64(2) > 0) key[s.i64(2)] = c.name;
    t.columns.push_back(std::move(c));
  }
  for (auto& [_, col] : key) t.key.push_back(col);
  return t;
}

TableSchema describe_mysql(Conn& db, const std::string& name) {
  TableSchema t;
  t.name = name;
  {
    auto s = db.prepare(
        "SELECT column_name, data_type, column_type, is_generated FROM information_schema.columns "
        "WHERE table_schema = DATABASE() AND table_name = ? ORDER BY ordinal_position");
    s.bind(1, name);
    while (s.step()) {
      if (s.text(3) != "NEVER") continue;  // generated (e.g. anomalies.open_kind)
      Column c{s.text(0), Kind::text, s.text(2)};
      c.kind = mysql_kind(name, c.name, s.text(1));
      t.columns.push_back(std::move(c));
    }
  }
  auto s = db.prepare(
      "SELECT column_name FROM information_schema.statistics WHERE table_schema = DATABASE() AND "
      "table_name = ? AND index_name = 'PRIMARY' ORDER BY seq_in_index");
  s.bind(1, name);
  while (s.step()) t.key.push_back(s.text(0));
  return t;
}

// ---- values and checksums -----------------------------------------------------------------------

struct Value {
  char tag = 'n';  // n(ull), i(nteger), r(eal), b(ytes)
  std::int64_t i = 0;
  double d = 0;
  std::string s;
};
using Row = std::vector<Value>;

void read_value(const Stmt& s, int col, Kind kind, Value& v) {
  if (s.is_null(col)) {
    v.tag = 'n';
    return;
  }
  switch (kind) {
    case Kind::integer:
      v.tag = 'i';
      v.i = s.i64(col);
      return;
    case Kind::real:
      v.tag = 'r';
      v.d = s.f64(col);
      return;
    case Kind::text:
    case Kind::blob:
      v.tag = 'b';
      v.s = s.text(col);
      return;
  }
}

void put_u64(std::string& out, std::uint64_t x) {
  for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((x >> shift) & 0xff);
}

class Hasher {
 public:
  explicit Hasher(const TableSchema& t) : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1)
      throw std::runtime_error("SHA-256 is not available");
    for (const auto& c : t.columns) buf_ += c.name + '\0';
    buf_ += '\n';
  }

  void add(const Row& row) {
    ++rows_;
    for (const auto& v : row) {
      buf_ += v.tag;
      switch (v.tag) {
        case 'i':
          put_u64(buf_, static_cast<std::uint64_t>(v.i));
          break;
        case 'r': {
          std::uint64_t bits = 0;
          std::memcpy(&bits, &v.d, sizeof bits);
          put_u64(buf_, bits);
          break;
        }
        case 'b':
          put_u64(buf_, v.s.size());
          buf_ += v.s;
          break;
        default:
          break;
      }
    }
    if (buf_.size() >= 64 * 1024) drain();
  }

  TableDigest finish() {
    drain();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    EVP_DigestFinal_ex(ctx_.get(), md, &n);
    static constexpr char kHex[] = "0123456789abcdef";
    TableDigest d;
    d.rows = rows_;
    for (unsigned k = 0; k < n; ++k) {
      d.sha256_hex += kHex[md[k] >> 4];
      d.sha256_hex += kHex[md[k] & 0xf];
    }
    return d;
  }

 private:
  void drain() {
    EVP_DigestUpdate(ctx_.get(), buf_.data(), buf_.size());
    buf_.clear();
  }

  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx_;
  std::string buf_;
  std::int64_t rows_ = 0;
};

// ---- reading ------------------------------------------------------------------------------------

std::vector<std::string> quoted_columns(const TableSchema& t) {
  std::vector<std::string> out;
  for (const auto& c : t.columns) out.push_back(quote(c.name));
  return out;
}

std::vector<std::string> order_columns(const TableSchema& t) {
  std::vector<std::string> out;
  if (t.key.empty()) return quoted_columns(t);
  for (const auto& k : t.key) out.push_back(quote(k));
  return out;
}

void bind_value(Stmt& s, int index, Kind kind, const Value& v) {
  switch (v.tag) {
    case 'i':
      s.bind(index, v.i);
      return;
    case 'r':
      s.bind_f64(index, v.d);
      return;
    case 'b':
      if (kind == Kind::blob) {
        s.bind_blob(index, v.s);
      } else {
        s.bind(index, std::string_view(v.s));
      }
      return;
    default:
      s.bind_null(index);
  }
}

// Calls fn(row) for every row of `t` in key order. SQLite streams one statement; MariaDB reads
// pages of kPageRows rows, each continuing after the last key seen (the client buffers a whole
// result, so one statement over a large table would hold it all in memory).
void for_each_row(Conn& db, const TableSchema& t, const std::function<void(const Row&)>& fn) {
  const std::string select =
      "SELECT " + join(quoted_columns(t), ", ") + " FROM " + quote(t.name) + " ORDER BY ";
  const std::string order = join(order_columns(t), ", ");
  Row row(t.columns.size());
  auto read_row = [&](const Stmt& s) {
    for (std::size_t c = 0; c < t.columns.size(); ++c)
      read_value(s, static_cast<int>(c), t.columns[c].kind, row[c]);
  };
  if (db.dialect() == Dialect::sqlite || t.key.empty()) {
    auto s = db.prepare(select + order);
    while (s.step()) {
      read_row(s);
      fn(row);
    }
    return;
  }
  // Key positions among the columns; the keyset condition for key (k1, k2, ...) is
  // k1 > ? OR (k1 = ? AND k2 > ?) OR ..., which MariaDB turns into ranges on the primary key.
  std::vector<std::size_t> key_pos;
  for (const auto& k : t.key) {
    auto it = std::find_if(t.columns.begin(), t.columns.end(),
                           [&](const Column& c) { return c.name == k; });
    if (it == t.columns.end())
      throw CopyRefused("primary key column " + t.name + "." + k + " is not a copied column");
    key_pos.push_back(static_cast<std::size_t>(it - t.columns.begin()));
  }
  std::vector<std::string> ors;
  for (std::size_t i = 0; i < t.key.size(); ++i) {
    std::string term;
    for (std::size_t j = 0; j < i; ++j) term += quote(t.key[j]) + " = ? AND ";
    ors.push_back("(" + term + quote(t.key[i]) + " > ?)");
  }
  const std::string limit = " LIMIT " + std::to_string(kPageRows);
  const std::string first = select + order + limit;
  const std::string next = "SELECT " + join(quoted_columns(t), ", ") + " FROM " + quote(t.name) +
                           " WHERE " + join(ors, " OR ") + " ORDER BY " + order + limit;
  std::vector<Value> last_key;
  for (bool more = true; more;) {
    int n = 0;
    {
      auto s = db.prepare(last_key.empty() ? first : next);
      if (!last_key.empty()) {
        int p = 1;
        for (std::size_t i = 0; i < last_key.size(); ++i)
          for (std::size_t j = 0; j <= i; ++j)
            bind_value(s, p++, t.columns[key_pos[j]].kind, last_key[j]);
      }
      while (s.step()) {
        read_row(s);
        ++n;
        fn(row);
      }
    }
    more = n == kPageRows;
    if (more) {
      last_key.clear();
      for (auto pos : key_pos) last_key.push_back(row[pos]);
    }
  }
}

// ---- writing ------------------------------------------------------------------------------------

// Buffers rows and inserts them with multi-row INSERTs of power-of-two sizes (at most 8
// statement shapes per table, each prepared once).
class Inserter {
 public:
  Inserter(Conn& db, const TableSchema& t) : db_(db), t_(t) {
    const int cols = static_cast<int>(t.columns.size());
    // SQLite allows 32766 parameters, MariaDB 65535; fewer rows per statement gain nothing.
    const int cap = db.dialect() == Dialect::sqlite ? 32 : 128;
    max_chunk_ = 1;
    while (max_chunk_ * 2 <= cap && max_chunk_ * 2 * cols <= 30000) max_chunk_ *= 2;
    prefix_ = "INSERT INTO " + quote(t.name) + " (" + join(quoted_columns(t), ", ") + ") VALUES ";
    row_ = "(";
    for (int c = 0; c < cols; ++c) row_ += c ? ", ?" : "?";
    row_ += ")";
  }

  void add(const Row& row) {
    rows_.push_back(row);
    for (const auto& v : row) bytes_ += v.tag == 'b' ? v.s.size() : 8;
    if (static_cast<int>(rows_.size()) >= max_chunk_ || bytes_ >= kMaxInsertBytes) flush();
  }

  void flush() {
    std::size_t done = 0;
    while (done < rows_.size()) {
      int n = max_chunk_;
      while (static_cast<std::size_t>(n) > rows_.size() - done) n /= 2;
      auto s = db_.prepare(statement(n));
      int p = 1;
      for (int r = 0; r < n; ++r) {
        const Row& row = rows_[done + r];
        for (std::size_t c = 0; c < row.size(); ++c) bind_value(s, p++, t_.columns[c].kind, row[c]);
      }
      s.run();
      done += n;
    }
    rows_.clear();
    bytes_ = 0;
  }

 private:
  const std::string& statement(int n) {
    auto it = sql_.find(n);
    if (it != sql_.end()) return it->second;
    std::string text = prefix_;
    for (int r = 0; r < n; ++r) {
      if (r) text += ", ";
      text += row_;
    }
    return sql_.emplace(n, std::move(text)).first->second;
  }

  Conn& db_;
  const TableSchema& t_;
  int max_chunk_ = 1;
  std::string prefix_, row_;
  std::map<int, std::string> sql_;
  std::vector<Row> rows_;
  std::size_t bytes_ = 0;
};

// ---- planning -----------------------------------------------------------------------------------

struct Plan {
  TableSchema src, dst;  // same column names in the same order; both ordered by src.key
  bool replace = false;
};

std::string side(Conn& db) {
  return db.dialect() == Dialect::sqlite ? "SQLite" : "MariaDB";
}

std::vector<Plan> plan_tables(Conn& src, Conn& dst, const std::vector<std::string>& replace) {
  const auto from = describe_tables(src);
  const auto to = describe_tables(dst);
  std::map<std::string, const TableSchema*> to_by_name;
  for (const auto& t : to) to_by_name[t.name] = &t;
  std::vector<std::string> problems;
  std::vector<Plan> plans;
  std::set<std::string> seen;
  for (const auto& s : from) {
    seen.insert(s.name);
    auto it = to_by_name.find(s.name);
    if (it == to_by_name.end()) {
      problems.push_back("table " + s.name + " is missing in the destination");
      continue;
    }
    const TableSchema& d = *it->second;
    std::vector<std::string> names_s, names_d;
    for (const auto& c : s.columns) names_s.push_back(c.name);
    for (const auto& c : d.columns) names_d.push_back(c.name);
    if (names_s != names_d) {
      problems.push_back("table " + s.name + " has columns (" + join(names_s, ", ") +
                         ") in the source but (" + join(names_d, ", ") + ") in the destination");
      continue;
    }
    bool types_ok = true;
    for (std::size_t c = 0; c < s.columns.size(); ++c) {
      const Kind a = s.columns[c].kind, b = d.columns[c].kind;
      if (a == b || (is_bytes(a) && is_bytes(b))) continue;
      types_ok = false;
      problems.push_back("column " + s.name + "." + s.columns[c].name + " is " +
                         s.columns[c].declared + " (" + kind_name(a) + ") in the source but " +
                         d.columns[c].declared + " (" + kind_name(b) + ") in the destination");
    }
    if (!types_ok) continue;
    Plan p{s, d, std::find(replace.begin(), replace.end(), s.name) != replace.end()};
    p.dst.key = p.src.key;  // one row order for both checksums
    plans.push_back(std::move(p));
  }
  for (const auto& d : to)
    if (!seen.contains(d.name))
      problems.push_back("table " + d.name + " exists only in the destination");
  if (!problems.empty())
    throw CopyRefused("the source (" + side(src) + ") and destination (" + side(dst) +
                      ") schemas differ: " + join(problems, "; "));
  return plans;
}

void check_versions(Conn& src, Conn& dst) {
  const int a = schema_version(src), b = schema_version(dst);
  if (a != b)
    throw CopyRefused("schema versions differ: the source is at migration " + std::to_string(a) +
                      ", the destination at " + std::to_string(b) +
                      "; run the same coldtrack version (the newer one) against both first");
}

// A SQLite column may hold any type whatever its declared type; a value of another type would be
// read converted, silently. Refuses when any is found.
void check_sqlite_types(Conn& db, const std::vector<Plan>& plans) {
  std::vector<std::string> problems;
  for (const auto& p : plans) {
    const auto& cols = p.src.columns;
    if (cols.empty()) continue;
    std::vector<std::string> sums;
    for (const auto& c : cols) {
      const char* allowed = c.kind == Kind::integer ? "'integer'"
                            : c.kind == Kind::real  ? "'real', 'integer'"
                                                    : "'text', 'blob'";
      sums.push_back("COALESCE(SUM(typeof(" + quote(c.name) + ") NOT IN ('null', " + allowed +
                     ")), 0)");
    }
    auto s = db.prepare("SELECT " + join(sums, ", ") + " FROM " + quote(p.src.name));
    if (!s.step()) continue;
    for (std::size_t c = 0; c < cols.size(); ++c)
      if (const auto n = s.i64(static_cast<int>(c)); n > 0)
        problems.push_back(p.src.name + "." + cols[c].name + ": " + std::to_string(n) +
                           " value(s) not of its type " + cols[c].declared);
  }
  if (!problems.empty())
    throw CopyRefused("the source holds values of the wrong type (SQLite typeof): " +
                      join(problems, "; "));
}

void check_empty(Conn& dst, const std::vector<Plan>& plans) {
  for (const auto& p : plans) {
    if (p.replace) continue;
    auto s = dst.prepare("SELECT 1 FROM " + quote(p.dst.name) + " LIMIT 1");
    if (s.step())
      throw CopyRefused("the destination is not empty: table " + p.dst.name +
                        " has rows; migrate-data only copies into an empty database (create a new "
                        "one, or drop and recreate this one)");
  }
}

std::int64_t count_rows(Conn& db, const std::string& table) {
  auto s = db.prepare("SELECT COUNT(*) FROM " + quote(table));
  return s.step() ? s.i64(0) : 0;
}

// ---- snapshots and sessions ---------------------------------------------------------------------

// A read transaction on the source for the whole copy: every table comes from one snapshot.
class SourceSnapshot {
 public:
  explicit SourceSnapshot(Conn& db) : db_(db) {
    if (db_.dialect() == Dialect::sqlite) {
      db_.exec("BEGIN");
      auto s = db_.prepare("SELECT COUNT(*) FROM sqlite_master");  // the snapshot starts here
      s.step();
    } else {
      db_.exec(
          "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ;"
          "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
    }
  }
  ~SourceSnapshot() {
    try {
      db_.exec("ROLLBACK");
      if (db_.dialect() == Dialect::mysql)
        db_.exec("SET SESSION TRANSACTION ISOLATION LEVEL SERIALIZABLE");
    } catch (...) {
    }
  }
  SourceSnapshot(const SourceSnapshot&) = delete;
  SourceSnapshot& operator=(const SourceSnapshot&) = delete;

 private:
  Conn& db_;
};

// No foreign keys exist today; checks are off during the copy anyway, so that a future one does
// not depend on the order tables are copied in.
class ForeignKeysOff {
 public:
  explicit ForeignKeysOff(Conn& db) : db_(db) { set(false); }
  ~ForeignKeysOff() {
    try {
      set(true);
    } catch (...) {
    }
  }
  ForeignKeysOff(const ForeignKeysOff&) = delete;
  ForeignKeysOff& operator=(const ForeignKeysOff&) = delete;

 private:
  void set(bool on) {
    if (db_.dialect() == Dialect::sqlite) {
      db_.exec(on ? "PRAGMA foreign_keys=ON" : "PRAGMA foreign_keys=OFF");
    } else {
      db_.exec(on ? "SET SESSION foreign_key_checks=1" : "SET SESSION foreign_key_checks=0");
    }
  }
  Conn& db_;
};

// ---- id counters --------------------------------------------------------------------------------

// The last id handed out per table, as the source's counters know it (SQLite: sqlite_sequence;
// MariaDB: AUTO_INCREMENT - 1).
std::map<std::string, std::int64_t> source_counters(Conn& db) {
  std::map<std::string, std::int64_t> out;
  if (db.dialect() == Dialect::sqlite) {
    {
      auto s = db.prepare(
          "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'");
      if (!s.step() || s.i64(0) == 0) return out;
    }
    auto s = db.prepare("SELECT name, seq FROM sqlite_sequence");
    while (s.step()) out[s.text(0)] = std::max(out[s.text(0)], s.i64(1));
    return out;
  }
  auto s = db.prepare(
      "SELECT table_name, auto_increment FROM information_schema.tables WHERE table_schema = "
      "DATABASE() AND auto_increment IS NOT NULL");
  while (s.step()) out[s.text(0)] = s.i64(1) - 1;
  return out;
}

// Sets the destination's counters to continue after max(source counter, largest id); returns
// the next id per table that has a counter.
std::map<std::string, std::int64_t> set_counters(Conn& dst, const std::vector<Plan>& plans,
                                                 const std::map<std::string, std::int64_t>& seq) {
  std::map<std::string, std::string> id_column;  // table -> its counter column
  if (dst.dialect() == Dialect::sqlite) {
    auto s = dst.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND upper(sql) LIKE "
        "'%AUTOINCREMENT%'");
    std::vector<std::string> names;
    while (s.step()) names.push_back(s.text(0));
    for (const auto& p : plans)
      if (std::find(names.begin(), names.end(), p.dst.name) != names.end() && p.src.key.size() == 1)
        id_column[p.dst.name] = p.src.key[0];
  } else {
    auto s = dst.prepare(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = "
        "DATABASE() AND extra LIKE '%auto_increment%'");
    while (s.step()) id_column[s.text(0)] = s.text(1);
  }
  std::map<std::string, std::int64_t> next;
  for (const auto& p : plans) {
    auto it = id_column.find(p.dst.name);
    if (it == id_column.end()) continue;
    std::int64_t last = 0;
    {
      auto s = dst.prepare("SELECT COALESCE(MAX(" + quote(it->second) + "), 0) FROM " +
                           quote(p.dst.name));
      if (s.step()) last = s.i64(0);
    }
    if (auto q = seq.find(p.dst.name); q != seq.end()) last = std::max(last, q->second);
    if (dst.dialect() == Dialect::sqlite) {
      sql::Transaction tx(dst);
      dst.prepare("UPDATE sqlite_sequence SET seq = ? WHERE name = ?")
          .bind(1, last)
          .bind(2, p.dst.name)
          .run();
      if (dst.changes() == 0)
        dst.prepare("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)")
            .bind(1, p.dst.name)
            .bind(2, last)
            .run();
      tx.commit();
      next[p.dst.name] = last + 1;
    } else {
      dst.exec("ALTER TABLE " + quote(p.dst.name) +
               " AUTO_INCREMENT = " + std::to_string(last + 1));
      auto s = dst.prepare(
          "SELECT auto_increment FROM information_schema.tables WHERE table_schema = DATABASE() "
          "AND table_name = ?");
      s.bind(1, p.dst.name);
      next[p.dst.name] = s.step() && !s.is_null(0) ? s.i64(0) : last + 1;
    }
  }
  return next;
}

// ---- copying one table --------------------------------------------------------------------------

TableDigest copy_table(Conn& src, Conn& dst, const Plan& p, const CopyOptions& o,
                       std::int64_t total) {
  Hasher hash(p.src);
  Inserter insert(dst, p.dst);
  std::int64_t done = 0, in_batch = 0;
  const int batch = std::max(1, o.batch_rows);
  std::optional<sql::Transaction> tx;
  tx.emplace(dst);
  if (p.replace) dst.exec("DELETE FROM " + quote(p.dst.name));
  for_each_row(src, p.src, [&](const Row& row) {
    hash.add(row);
    insert.add(row);
    ++done;
    // Reference tables (replaced) are copied in one transaction: never half replaced.
    if (++in_batch >= batch && !p.replace) {
      insert.flush();
      tx->commit();
      tx.reset();
      tx.emplace(dst);
      in_batch = 0;
    }
    if (o.progress && o.progress_every > 0 && done % o.progress_every == 0 && done < total)
      o.progress(p.src.name, done, total);
  });
  insert.flush();
  tx->commit();
  if (o.progress) o.progress(p.src.name, done, total);
  return hash.finish();
}

// Empties the tables written so far (not the replaced reference tables, which are written in
// one transaction and hold the source's rows). Returns "" or why it failed.
std::string undo(Conn& dst, const std::vector<std::string>& tables) {
  try {
    for (const auto& t : tables)
      dst.exec((dst.dialect() == Dialect::sqlite ? "DELETE FROM " : "TRUNCATE TABLE ") + quote(t));
    return {};
  } catch (const std::exception& e) {
    return e.what();
  }
}

}  // namespace

std::vector<TableSchema> describe_tables(Conn& db) {
  std::vector<TableSchema> out;
  for (const auto& name : table_names(db))
    out.push_back(db.dialect() == Dialect::sqlite ? describe_sqlite(db, name)
                                                  : describe_mysql(db, name));
  return out;
}

int schema_version(Conn& db) {
  try {
    auto s = db.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    return s.step() ? static_cast<int>(s.i64(0)) : 0;
  } catch (const sql::Error&) {
    return 0;  // no migrations table
  }
}

bool CopyReport::ok() const {
  return first_mismatch() == nullptr;
}

const TableCheck* CopyReport::first_mismatch() const {
  for (const auto& t : tables)
    if (!t.ok()) return &t;
  return nullptr;
}

TableDigest table_digest(Conn& db, const TableSchema& table) {
  Hasher hash(table);
  for_each_row(db, table, [&](const Row& row) { hash.add(row); });
  return hash.finish();
}

CopyReport copy_tables(Conn& src, Conn& dst, const CopyOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  SourceSnapshot snapshot(src);
  check_versions(src, dst);
  const auto plans = plan_tables(src, dst, options.replace_tables);
  if (src.dialect() == Dialect::sqlite) check_sqlite_types(src, plans);
  check_empty(dst, plans);
  const auto counters = source_counters(src);

  CopyReport report;
  std::map<std::string, std::int64_t> next_ids;
  {
    ForeignKeysOff fk(dst);
    std::vector<std::string> written;
    try {
      for (const auto& p : plans) {
        if (!p.replace) written.push_back(p.dst.name);
        TableCheck check;
        check.table = p.src.name;
        check.source = copy_table(src, dst, p, options, count_rows(src, p.src.name));
        report.rows += check.source.rows;
        report.tables.push_back(std::move(check));
      }
      next_ids = set_counters(dst, plans, counters);
    } catch (const std::exception& e) {
      const std::string failed = undo(dst, written);
      const std::string what =
          std::string(e.what()) +
          (failed.empty() ? "; the destination tables written so far were emptied again"
                          : "; emptying the destination again failed too (" + failed +
                                "): drop and recreate the destination database before retrying");
      const auto* db_error = dynamic_cast<const sql::Error*>(&e);
      throw sql::Error(what, db_error ? db_error->code : 0, false);
    }
  }
  for (std::size_t i = 0; i < plans.size(); ++i) {
    auto& check = report.tables[i];
    check.destination = table_digest(dst, plans[i].dst);
    if (auto it = next_ids.find(check.table); it != next_ids.end()) check.next_id = it->second;
  }
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

std::vector<TableCheck> verify_tables(Conn& src, Conn& dst) {
  const auto plans = plan_tables(src, dst, {});
  std::vector<TableCheck> out;
  for (const auto& p : plans) {
    TableCheck c;
    c.table = p.src.name;
    c.source = table_digest(src, p.src);
    c.destination = table_digest(dst, p.dst);
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace coldtrack::store::copy
