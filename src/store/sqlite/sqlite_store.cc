#include "store/sqlite/sqlite_store.h"

#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>

#include "store/sqlite/db.h"
#include "store/sqlite/migrations.h"

namespace coldtrack::store::sqlite {
namespace {

// One writer connection behind a mutex (BEGIN IMMEDIATE also serializes other processes on the
// file) and up to `readers` read-only connections, opened on demand.
class SqliteEngine final : public sql::Engine {
 public:
  explicit SqliteEngine(const SqliteOptions& options) : options_(options) {
    const auto parent = std::filesystem::path(options_.path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
    writer_ = open(false);
  }
  ~SqliteEngine() override { close(); }

  sql::Dialect dialect() const override { return sql::Dialect::sqlite; }

  void write(const std::function<void(sql::Conn&)>& fn) override {
    std::lock_guard lock(write_mu_);
    if (!writer_) throw sql::Error("store is closed", 0);
    fn(*writer_);
  }

  void read(const std::function<void(sql::Conn&)>& fn) override {
    auto db = lease();
    try {
      fn(*db);
    } catch (...) {
      give_back(std::move(db));
      throw;
    }
    give_back(std::move(db));
  }

  bool ping() override {
    bool ok = false;
    read([&](sql::Conn& db) {
      auto s = db.prepare("SELECT 1");
      ok = s.step() && s.i64(0) == 1;
    });
    return ok;
  }

  void close() override {
    std::scoped_lock lock(write_mu_, readers_mu_);
    if (closed_) return;
    closed_ = true;
    idle_.clear();
    readers_cv_.notify_all();
    if (writer_) {
      try {
        writer_->exec("PRAGMA optimize");
      } catch (const std::exception&) {
      }
      writer_.reset();  // sqlite3_close_v2 checkpoints the WAL on last close
    }
  }

 private:
  std::unique_ptr<Db> open(bool read_only) const {
    return std::make_unique<Db>(options_.path, options_.busy_timeout_ms, options_.synchronous_full,
                                read_only);
  }

  std::unique_ptr<Db> lease() {
    std::unique_lock lock(readers_mu_);
    if (closed_) throw sql::Error("store is closed", 0);
    if (idle_.empty() && open_readers_ < options_.readers) {
      ++open_readers_;
      lock.unlock();
      try {
        return open(true);
      } catch (...) {
        std::lock_guard relock(readers_mu_);
        --open_readers_;
        throw;
      }
    }
    readers_cv_.wait(lock, [&] { return !idle_.empty() || closed_; });
    if (closed_) throw sql::Error("store is closed", 0);
    auto db = std::move(idle_.back());
    idle_.pop_back();
    return db;
  }

  void give_back(std::unique_ptr<Db> db) {
    std::lock_guard lock(readers_mu_);
    if (closed_) return;
    idle_.push_back(std::move(db));
    readers_cv_.notify_one();
  }

  SqliteOptions options_;
  std::mutex write_mu_;
  std::unique_ptr<Db> writer_;
  std::mutex readers_mu_;
  std::condition_variable readers_cv_;
  std::vector<std::unique_ptr<Db>> idle_;
  int open_readers_ = 0;
  bool closed_ = false;
};

}  // namespace

SqliteStore::SqliteStore(const SqliteOptions& options)
    : SqlStore(std::make_unique<SqliteEngine>(options)) {
  migrate(migrations());
}

}  // namespace coldtrack::store::sqlite
