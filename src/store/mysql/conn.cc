#include "store/mysql/conn.h"

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <vector>

namespace coldtrack::store::mysql {
namespace {

constexpr std::size_t kSqlPrefix = 120;

// " [in: <first characters of the statement>]" with whitespace runs collapsed. Bound values are
// never part of a message (they may be personal data).
std::string in_sql(std::string_view sql) {
  std::string out;
  bool space = false;
  for (char c : sql) {
    if (out.size() >= kSqlPrefix) {
      out += "...";
      break;
    }
    const bool ws = c == ' ' || c == '\n' || c == '\r' || c == '\t';
    if (ws) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out.empty() ? std::string() : " [in: " + out + "]";
}

bool is_retryable(int code) {
  return code == ER_LOCK_DEADLOCK || code == ER_LOCK_WAIT_TIMEOUT || is_connection_error(code);
}

unsigned whole_seconds(int ms) {
  return ms <= 0 ? 0 : static_cast<unsigned>((ms + 999) / 1000);
}

void init_library_once() {
  // mysql_init() would do this too, but not thread-safely.
  static const int rc = mysql_library_init(0, nullptr, nullptr);
  if (rc != 0) throw sql::Error("cannot initialise the MariaDB client library", rc);
}

// The `n`th (0-based) non-empty statement of a ';'-separated script, aware of quotes and
// comments. Best effort, for error messages only: the server does the real parsing.
std::string_view nth_statement(std::string_view sql, int n) {
  enum { plain, quoted, line_comment, block_comment } state = plain;
  char quote = 0;
  std::size_t start = 0;
  auto blank = [&](std::size_t end) {
    return sql.substr(start, end - start).find_first_not_of(" \t\r\n") == std::string_view::npos;
  };
  for (std::size_t i = 0; i <= sql.size(); ++i) {
    const char c = i < sql.size() ? sql[i] : ';';
    const char next = i + 1 < sql.size() ? sql[i + 1] : 0;
    switch (state) {
      case quoted:
        if (c == quote) state = plain;
        break;
      case line_comment:
        if (c == '\n') state = plain;
        break;
      case block_comment:
        if (c == '*' && next == '/') state = plain, ++i;
        break;
      case plain:
        if (c == '\'' || c == '"' || c == '`') {
          state = quoted, quote = c;
        } else if (c == '#' || (c == '-' && next == '-')) {
          state = line_comment;
        } else if (c == '/' && next == '*') {
          state = block_comment, ++i;
        } else if (c == ';') {
          if (!blank(i) && n-- == 0) return sql.substr(start, i - start);
          start = i + 1;
        }
        break;
    }
  }
  return {};
}

// Truncates toward zero and saturates, as SQLite's CAST(x AS INTEGER).
std::int64_t double_to_i64(double d) {
  constexpr double kLimit = 9223372036854775808.0;  // 2^63
  if (std::isnan(d)) return 0;
  if (d >= kLimit) return std::numeric_limits<std::int64_t>::max();
  if (d < -kLimit) return std::numeric_limits<std::int64_t>::min();
  return static_cast<std::int64_t>(d);
}

// Integer text as SQLite reads it: the leading number, else 0 ("12.7" is 12).
std::int64_t text_to_i64(std::string_view s) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  const bool fraction = end != s.data() + s.size() && (*end == '.' || *end == 'e' || *end == 'E');
  if (ec == std::errc() && !fraction) return v;
  double d = 0;
  std::from_chars(s.data(), s.data() + s.size(), d);
  return double_to_i64(d);
}

double text_to_f64(std::string_view s) {
  double d = 0;
  std::from_chars(s.data(), s.data() + s.size(), d);
  return d;
}

}  // namespace

bool is_connection_error(int code) {
  switch (code) {
    case CR_SOCKET_CREATE_ERROR:
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case CR_IPSOCK_ERROR:
    case CR_UNKNOWN_HOST:
    case CR_SERVER_GONE_ERROR:
    case CR_TCP_CONNECTION:
    case CR_SERVER_HANDSHAKE_ERR:
    case CR_SERVER_LOST:
    case CR_SERVER_LOST_EXTENDED:
    case CR_ERR_NET_READ:
    case CR_ERR_NET_WRITE:
    case ER_SERVER_SHUTDOWN:    // the server is going down
    case ER_CONNECTION_KILLED:  // KILL CONNECTION
    case ER_NEW_ABORTING_CONNECTION:
      return true;
    default:
      return false;
  }
}

// ---- statements ---------------------------------------------------------------------------------

class MysqlStmt final : public sql::StmtImpl {
 public:
  MysqlStmt(MysqlConn& conn, std::string_view sql) : conn_(conn), sql_(sql) {
    stmt_ = mysql_stmt_init(conn_.db_);
    if (!stmt_) conn_.fail(mysql_errno(conn_.db_), mysql_error(conn_.db_), in_sql(sql_));
    if (mysql_stmt_prepare(stmt_, sql_.data(), sql_.size()) != 0) {
      const int code = mysql_stmt_errno(stmt_);
      const std::string message = mysql_stmt_error(stmt_);
      mysql_stmt_close(stmt_);
      conn_.fail(code, message, in_sql(sql_));
    }
    // Lets store_result() record each column's longest value, which sizes the row buffers.
    const my_bool on = 1;
    mysql_stmt_attr_set(stmt_, STMT_ATTR_UPDATE_MAX_LENGTH, &on);
    params_.resize(mysql_stmt_param_count(stmt_));
  }
  ~MysqlStmt() override { mysql_stmt_close(stmt_); }
  MysqlStmt(const MysqlStmt&) = delete;
  MysqlStmt& operator=(const MysqlStmt&) = delete;

  void bind_i64(int i, std::int64_t v) override {
    auto& p = param(i);
    p.type = MYSQL_TYPE_LONGLONG;
    p.i = v;
  }
  void bind_f64(int i, double v) override {
    auto& p = param(i);
    p.type = MYSQL_TYPE_DOUBLE;
    p.d = v;
  }
  void bind_text(int i, std::string_view v) override { bind_bytes(i, MYSQL_TYPE_STRING, v); }
  void bind_blob(int i, std::string_view v) override { bind_bytes(i, MYSQL_TYPE_BLOB, v); }
  void bind_null(int i) override { param(i).type = MYSQL_TYPE_NULL; }

  bool step() override {
    switch (state_) {
      case State::ready:
        execute();
        return state_ == State::rows && fetch();
      case State::rows:
        return fetch();
      case State::done:
        break;
    }
    return false;
  }

  std::int64_t i64(int col) const override {
    const Column& c = column(col);
    if (c.null) return 0;
    switch (c.kind) {
      case Kind::integer:
        return c.i;
      case Kind::real:
        return double_to_i64(c.d);
      case Kind::bytes:
        return text_to_i64(bytes(c));
    }
    return 0;
  }

  double f64(int col) const override {
    const Column& c = column(col);
    if (c.null) return 0;
    switch (c.kind) {
      case Kind::integer:
        return c.is_unsigned ? static_cast<double>(static_cast<std::uint64_t>(c.i))
                             : static_cast<double>(c.i);
      case Kind::real:
        return c.d;
      case Kind::bytes:
        return text_to_f64(bytes(c));
    }
    return 0;
  }

  bool is_null(int col) const override { return column(col).null; }

  std::string text(int col) const override {
    const Column& c = column(col);
    if (c.null) return {};
    char buf[32];
    switch (c.kind) {
      case Kind::integer:
        return c.is_unsigned ? std::to_string(static_cast<std::uint64_t>(c.i))
                             : std::to_string(c.i);
      case Kind::real:
        return std::string(buf, std::to_chars(buf, buf + sizeof buf, c.d).ptr);
      case Kind::bytes:
        return std::string(bytes(c));
    }
    return {};
  }

  // Never throws (runs in ~Stmt). free_result() is enough to execute again: unlike
  // mysql_stmt_reset() it costs no round trip.
  void reset() noexcept override {
    if (state_ != State::ready) mysql_stmt_free_result(stmt_);
    state_ = State::ready;
    for (auto& p : params_) {
      p.type = MYSQL_TYPE_NULL;  // an unbound parameter is NULL
      if (p.bytes.capacity() > kKeepBytes) std::string().swap(p.bytes);
    }
    for (auto& c : columns_) {
      if (c.buf.capacity() > kKeepBytes) std::string().swap(c.buf);
      if (c.overflow.capacity() > kKeepBytes) std::string().swap(c.overflow);
    }
  }

 private:
  static constexpr std::size_t kKeepBytes = 64 * 1024;  // larger buffers are freed on reset

  struct Param {
    enum_field_types type = MYSQL_TYPE_NULL;
    std::int64_t i = 0;
    double d = 0;
    std::string bytes;  // a copy: the caller's view may not outlive the bind
    unsigned long length = 0;
  };
  enum class Kind { integer, real, bytes };
  struct Column {
    Kind kind = Kind::bytes;
    bool is_unsigned = false;
    std::int64_t i = 0;
    double d = 0;
    std::string buf;
    unsigned long length = 0;
    my_bool null = 0;
    my_bool error = 0;
    std::string overflow;  // a value longer than buf, fetched separately
    bool long_value = false;
  };
  enum class State { ready, rows, done };

  Param& param(int i) {
    if (i < 1 || static_cast<std::size_t>(i) > params_.size())
      throw sql::Error("parameter " + std::to_string(i) + " out of range 1.." +
                           std::to_string(params_.size()) + in_sql(sql_),
                       CR_INVALID_PARAMETER_NO);
    return params_[i - 1];
  }

  void bind_bytes(int i, enum_field_types type, std::string_view v) {
    auto& p = param(i);
    p.type = type;
    p.bytes.assign(v.data(), v.size());
  }

  const Column& column(int col) const {
    if (state_ != State::rows || col < 0 || static_cast<std::size_t>(col) >= columns_.size())
      throw sql::Error("no column " + std::to_string(col) + " in the current row" + in_sql(sql_),
                       CR_NO_DATA);
    return columns_[col];
  }

  static std::string_view bytes(const Column& c) {
    return c.long_value ? std::string_view(c.overflow) : std::string_view(c.buf.data(), c.length);
  }

  [[noreturn]] void fail() {
    conn_.fail(mysql_stmt_errno(stmt_), mysql_stmt_error(stmt_), in_sql(sql_));
  }

  void execute() {
    conn_.check_usable();
    bind_params();
    if (mysql_stmt_execute(stmt_) != 0) fail();
    if (mysql_stmt_field_count(stmt_) == 0) {
      conn_.record_write(mysql_stmt_affected_rows(stmt_), mysql_stmt_insert_id(stmt_));
      state_ = State::done;
      return;
    }
    // Buffers all rows so that other statements can run on the connection meanwhile.
    if (mysql_stmt_store_result(stmt_) != 0) fail();
    state_ = State::rows;
    bind_columns();
  }

  void bind_params() {
    if (params_.empty()) return;
    param_binds_.assign(params_.size(), MYSQL_BIND{});
    for (std::size_t k = 0; k < params_.size(); ++k) {
      Param& p = params_[k];
      MYSQL_BIND& b = param_binds_[k];
      b.buffer_type = p.type;
      if (p.type == MYSQL_TYPE_LONGLONG) {
        b.buffer = &p.i;
      } else if (p.type == MYSQL_TYPE_DOUBLE) {
        b.buffer = &p.d;
      } else if (p.type != MYSQL_TYPE_NULL) {
        p.length = p.bytes.size();
        b.buffer = p.bytes.data();
        b.buffer_length = p.length;
        b.length = &p.length;
      }
    }
    if (mysql_stmt_bind_param(stmt_, param_binds_.data()) != 0) fail();
  }

  // Integers and floating point columns are fetched as such; everything else (strings, blobs,
  // decimals, dates) as bytes in a buffer of the column's longest value.
  void bind_columns() {
    MYSQL_RES* meta = mysql_stmt_result_metadata(stmt_);
    if (!meta) fail();
    const unsigned n = mysql_num_fields(meta);
    const MYSQL_FIELD* fields = mysql_fetch_fields(meta);
    columns_.resize(n);
    column_binds_.assign(n, MYSQL_BIND{});
    for (unsigned k = 0; k < n; ++k) bind_column(fields[k], columns_[k], column_binds_[k]);
    mysql_free_result(meta);
    if (mysql_stmt_bind_result(stmt_, column_binds_.data()) != 0) fail();
  }

  static void bind_column(const MYSQL_FIELD& f, Column& c, MYSQL_BIND& b) {
    switch (f.type) {
      case MYSQL_TYPE_TINY:
      case MYSQL_TYPE_SHORT:
      case MYSQL_TYPE_INT24:
      case MYSQL_TYPE_LONG:
      case MYSQL_TYPE_LONGLONG:
      case MYSQL_TYPE_YEAR:
        c.kind = Kind::integer;
        c.is_unsigned = (f.flags & UNSIGNED_FLAG) != 0;
        b.buffer_type = MYSQL_TYPE_LONGLONG;
        b.buffer = &c.i;
        b.is_unsigned = c.is_unsigned;
        break;
      case MYSQL_TYPE_FLOAT:
      case MYSQL_TYPE_DOUBLE:
        c.kind = Kind::real;
        b.buffer_type = MYSQL_TYPE_DOUBLE;
        b.buffer = &c.d;
        break;
      default:
        c.kind = Kind::bytes;
        c.buf.resize(std::max<std::size_t>(f.max_length, 16) + 1);
        b.buffer_type = MYSQL_TYPE_STRING;
        b.buffer = c.buf.data();
        b.buffer_length = c.buf.size();
        b.length = &c.length;
        break;
    }
    b.is_null = &c.null;
    b.error = &c.error;
  }

  bool fetch() {
    const int rc = mysql_stmt_fetch(stmt_);
    if (rc == MYSQL_NO_DATA) {
      state_ = State::done;
      return false;
    }
    if (rc != 0 && rc != MYSQL_DATA_TRUNCATED) fail();
    for (unsigned k = 0; k < columns_.size(); ++k) fetch_long_value(k);
    return true;
  }

  // A safety net: max_length covers every value in practice (also decimals and dates), but a
  // value that did not fit its buffer is fetched again whole rather than cut.
  void fetch_long_value(unsigned k) {
    Column& c = columns_[k];
    c.long_value = false;
    if (c.kind != Kind::bytes || c.null || c.length <= c.buf.size()) return;
    c.overflow.resize(c.length);
    unsigned long length = 0;
    MYSQL_BIND b{};
    b.buffer_type = MYSQL_TYPE_STRING;
    b.buffer = c.overflow.data();
    b.buffer_length = c.overflow.size();
    b.length = &length;
    if (mysql_stmt_fetch_column(stmt_, &b, k, 0) != 0) fail();
    c.long_value = true;
  }

  MysqlConn& conn_;
  const std::string sql_;
  MYSQL_STMT* stmt_ = nullptr;
  State state_ = State::ready;
  std::vector<Param> params_;
  std::vector<MYSQL_BIND> param_binds_;
  std::vector<Column> columns_;
  std::vector<MYSQL_BIND> column_binds_;
};

// ---- connection ---------------------------------------------------------------------------------

namespace {

MYSQL* open_handle(const MysqlOptions& o, const char* database, int& code, std::string& message) {
  MYSQL* h = mysql_init(nullptr);
  if (!h) {
    code = CR_OUT_OF_MEMORY;
    message = "out of memory";
    return nullptr;
  }
  const unsigned connect_timeout = whole_seconds(o.connect_timeout_ms);
  const unsigned rw_timeout = whole_seconds(o.rw_timeout_ms);
  const my_bool no = 0;
  const unsigned off = 0;
  const unsigned protocol = o.url.socket.empty() ? MYSQL_PROTOCOL_TCP : MYSQL_PROTOCOL_SOCKET;
  mysql_optionsv(h, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
  mysql_optionsv(h, MYSQL_OPT_READ_TIMEOUT, &rw_timeout);
  mysql_optionsv(h, MYSQL_OPT_WRITE_TIMEOUT, &rw_timeout);
  // A silent reconnect would lose the session settings and any open transaction.
  mysql_optionsv(h, MYSQL_OPT_RECONNECT, &no);
  mysql_optionsv(h, MYSQL_OPT_LOCAL_INFILE, &off);
  mysql_optionsv(h, MYSQL_OPT_PROTOCOL, &protocol);
  mysql_optionsv(h, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  // FOUND_ROWS: an UPDATE reports matched rows, as SQLite does. MULTI_STATEMENTS: exec().
  const unsigned long flags = CLIENT_FOUND_ROWS | CLIENT_MULTI_STATEMENTS;
  const MysqlUrl& u = o.url;
  if (mysql_real_connect(h, u.host.c_str(), u.user.c_str(), u.password.c_str(), database,
                         static_cast<unsigned>(u.port),
                         u.socket.empty() ? nullptr : u.socket.c_str(), flags)) {
    return h;
  }
  code = static_cast<int>(mysql_errno(h));
  message = mysql_error(h);
  mysql_close(h);
  return nullptr;
}

// A fresh server (tests, first run) has no database yet.
bool create_database(MYSQL* h, const std::string& name, int& code, std::string& message) {
  std::string quoted;
  for (char c : name) quoted += c == '`' ? std::string("``") : std::string(1, c);
  const std::string ddl = "CREATE DATABASE IF NOT EXISTS `" + quoted +
                          "` CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin";
  if (mysql_real_query(h, ddl.data(), ddl.size()) == 0 && mysql_select_db(h, name.c_str()) == 0)
    return true;
  code = static_cast<int>(mysql_errno(h));
  message = mysql_error(h);
  return false;
}

}  // namespace

MysqlConn::MysqlConn(const MysqlOptions& options) : where_(options.url.redacted()) {
  init_library_once();
  connect(options);
  try {
    configure_session(options);
  } catch (...) {
    mysql_close(db_);
    throw;
  }
}

MysqlConn::~MysqlConn() {
  cache_.clear();  // statements close before their connection
  mysql_close(db_);
}

void MysqlConn::connect(const MysqlOptions& options) {
  const std::string& database = options.url.database;
  int code = 0;
  std::string message;
  db_ = open_handle(options, database.empty() ? nullptr : database.c_str(), code, message);
  if (!db_ && code == ER_BAD_DB_ERROR) {
    db_ = open_handle(options, nullptr, code, message);
    if (db_ && !create_database(db_, database, code, message)) {
      mysql_close(db_);
      db_ = nullptr;
    }
  }
  if (db_) return;
  // Too many connections is as passing as an unreachable server.
  const bool retryable = is_connection_error(code) || code == ER_CON_COUNT_ERROR;
  throw sql::Error("cannot connect to MariaDB at " + where_ + ": " + message + " (error " +
                       std::to_string(code) + ")",
                   code, retryable);
}

void MysqlConn::configure_session(const MysqlOptions& options) {
  // Lock waits must end (error 1205, retryable, connection kept) before the client's read
  // timeout gives up on the connection.
  const unsigned lock_wait = std::max(1u, whole_seconds(options.rw_timeout_ms) / 2);
  exec(
      "SET NAMES utf8mb4 COLLATE utf8mb4_nopad_bin;"
      "SET SESSION sql_mode='ANSI_QUOTES,PIPES_AS_CONCAT,STRICT_ALL_TABLES,"
      "NO_ENGINE_SUBSTITUTION,NO_BACKSLASH_ESCAPES,NO_AUTO_VALUE_ON_ZERO';"
      "SET SESSION TRANSACTION ISOLATION LEVEL SERIALIZABLE;"
      "SET time_zone='+00:00';"
      "SET autocommit=1;"
      "SET SESSION innodb_lock_wait_timeout=" +
      std::to_string(lock_wait));
}

sql::Stmt MysqlConn::prepare(std::string_view sql) {
  check_usable();
  auto it = cache_.find(std::string(sql));
  if (it == cache_.end())
    it = cache_.emplace(std::string(sql), std::make_unique<MysqlStmt>(*this, sql)).first;
  return sql::Stmt(it->second.get());
}

void MysqlConn::exec(std::string_view sql) {
  check_usable();
  int index = 0;
  auto failed = [&] {
    const std::string statement = "statement " + std::to_string(index + 1);
    const std::string_view text = nth_statement(sql, index);
    fail(mysql_errno(db_), mysql_error(db_), " (" + statement + ")" + in_sql(text));
  };
  if (mysql_real_query(db_, sql.data(), sql.size()) != 0) failed();
  // Every statement's result must be consumed before the connection can be used again.
  for (;;) {
    if (MYSQL_RES* rows = mysql_store_result(db_)) {
      mysql_free_result(rows);
    } else if (mysql_field_count(db_) != 0) {
      failed();
    }
    const int status = mysql_next_result(db_);
    if (status < 0) return;
    ++index;
    if (status > 0) failed();
  }
}

void MysqlConn::query(std::string_view sql, bool is_commit) {
  check_usable();
  if (mysql_real_query(db_, sql.data(), sql.size()) != 0)
    fail(mysql_errno(db_), mysql_error(db_), in_sql(sql), is_commit);
}

void MysqlConn::begin() {
  query("START TRANSACTION");
}
void MysqlConn::commit() {
  query("COMMIT", true);
}
void MysqlConn::rollback() {
  query("ROLLBACK");
}

bool MysqlConn::in_transaction() const {
  if (broken_) return false;
  unsigned status = 0;
  mariadb_get_infov(db_, MARIADB_CONNECTION_SERVER_STATUS, &status);
  return (status & SERVER_STATUS_IN_TRANS) != 0;
}

bool MysqlConn::ping() {
  if (broken_) return false;
  if (mysql_ping(db_) == 0) return true;
  broken_ = true;
  return false;
}

void MysqlConn::fail(int code, const std::string& message, const std::string& context,
                     bool during_commit) {
  const bool lost = is_connection_error(code);
  if (lost || code == CR_COMMANDS_OUT_OF_SYNC) broken_ = true;
  const std::string detail = "(error " + std::to_string(code) + ": " + message + ")";
  if (lost && during_commit)
    throw sql::Error("MariaDB connection to " + where_ +
                         " lost during COMMIT; the outcome of the transaction is unknown " + detail,
                     code, false);
  if (lost)
    throw sql::Error("MariaDB connection to " + where_ + " lost " + detail + context, code, true);
  throw sql::Error("MariaDB error " + std::to_string(code) + ": " + message + context, code,
                   is_retryable(code));
}

void MysqlConn::check_usable() const {
  if (broken_)
    throw sql::Error("MariaDB connection to " + where_ + " is broken by an earlier error",
                     CR_SERVER_GONE_ERROR, true);
}

void MysqlConn::record_write(std::uint64_t affected, std::uint64_t insert_id) {
  changes_ = affected == static_cast<std::uint64_t>(-1) ? 0 : static_cast<int>(affected);
  if (insert_id != 0) last_insert_id_ = static_cast<std::int64_t>(insert_id);
}

}  // namespace coldtrack::store::mysql
