#include "store/sqlite/sqlite_store.h"

#include <algorithm>
#include <condition_variable>
#include <exception>
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

  // Group commit: a writer that finds the connection busy queues its transaction; whoever
  // takes the connection next runs everything queued inside one outer transaction, each body
  // in its own savepoint, and commits once. Every caller returns only after the commit that
  // made its own writes durable, so an acknowledged write still survives kill -9, but N
  // concurrent writes cost one fsync instead of N. A body that throws rolls back to its
  // savepoint and gets its own error; the others are not affected. Alone, a body runs exactly
  // as before, on the plain connection.
  void write(const std::function<void(sql::Conn&)>& fn) override {
    Job job{&fn, nullptr, false};
    std::unique_lock lock(queue_mu_);
    queue_.push_back(&job);
    while (!job.done) {
      if (leading_) {
        queue_cv_.wait(lock);
        continue;
      }
      leading_ = true;
      const auto n = std::min(queue_.size(), static_cast<std::size_t>(options_.max_group));
      std::vector<Job*> batch(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
      lock.unlock();
      run_batch(batch);
      lock.lock();
      for (auto* j : batch) j->done = true;  // run_batch gave each its outcome
      leading_ = false;
      queue_cv_.notify_all();
    }
    if (job.error) std::rethrow_exception(job.error);
  }

  // One read transaction per call: one snapshot for every statement of fn, and the WAL read
  // lock is taken once instead of once per statement.
  void read(const std::function<void(sql::Conn&)>& fn) override {
    auto db = lease();
    try {
      db->prepare("BEGIN").run();
      fn(*db);
      db->prepare("COMMIT").run();
    } catch (...) {
      if (!sqlite3_get_autocommit(db->raw())) {
        try {
          db->prepare("ROLLBACK").run();
        } catch (...) {
        }
      }
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
  struct Job {
    const std::function<void(sql::Conn&)>* fn;
    std::exception_ptr error;
    bool done = false;  // guarded by queue_mu_
  };

  // The writer as a group member sees it: its transactions become savepoints of the group's
  // outer transaction.
  class Member final : public sql::Conn {
   public:
    explicit Member(Db& db) : db_(db) {}
    sql::Dialect dialect() const override { return db_.dialect(); }
    sql::Stmt prepare(std::string_view sql) override { return db_.prepare(sql); }
    void exec(std::string_view sql) override { db_.exec(sql); }
    std::int64_t last_insert_id() const override { return db_.last_insert_id(); }
    int changes() const override { return db_.changes(); }
    void begin() override { db_.prepare("SAVEPOINT tx").run(); }
    void commit() override { db_.prepare("RELEASE tx").run(); }
    void rollback() override {
      db_.prepare("ROLLBACK TO tx").run();
      db_.prepare("RELEASE tx").run();
    }

   private:
    Db& db_;
  };

  // The owner reads `error` only after it sees `done`, which is set under queue_mu_.
  static void finish(Job* job, std::exception_ptr error = nullptr) {
    job->error = std::move(error);
  }

  void run_alone(Job* job) {
    try {
      (*job->fn)(*writer_);
      finish(job);
    } catch (...) {
      finish(job, std::current_exception());
    }
  }

  void run_batch(const std::vector<Job*>& batch) {
    std::lock_guard lock(write_mu_);
    if (!writer_) {
      for (auto* job : batch)
        finish(job, std::make_exception_ptr(sql::Error("store is closed", 0)));
      return;
    }
    if (batch.size() == 1) return run_alone(batch.front());
    Db& db = *writer_;
    try {
      db.begin();
    } catch (...) {
      for (auto* job : batch) finish(job, std::current_exception());
      return;
    }
    Member member(db);
    std::vector<Job*> written;  // bodies whose writes wait for the commit
    std::size_t next = 0;
    bool lost = false;  // SQLite rolled the whole outer transaction back
    for (; next < batch.size() && !lost; ++next) {
      Job* job = batch[next];
      try {
        db.prepare("SAVEPOINT job").run();
        (*job->fn)(member);
        db.prepare("RELEASE job").run();
        written.push_back(job);
      } catch (...) {
        finish(job, std::current_exception());
        if (sqlite3_get_autocommit(db.raw())) {
          lost = true;  // e.g. disk full or I/O error: nothing of the group is left
        } else {
          try {
            db.prepare("ROLLBACK TO job").run();
            db.prepare("RELEASE job").run();
          } catch (...) {
            lost = true;
          }
        }
      }
    }
    if (!lost) {
      try {
        db.commit();
        for (auto* job : written) finish(job);
        return;
      } catch (...) {
        lost = true;
      }
    }
    if (!sqlite3_get_autocommit(db.raw())) {
      try {
        db.rollback();
      } catch (...) {
      }
    }
    // Nothing of the group was committed: the bodies that had succeeded and those not yet run
    // run again alone (Engine::write allows a body to run more than once), each with its own
    // outcome.
    for (auto* job : written) run_alone(job);
    for (; next < batch.size(); ++next) run_alone(batch[next]);
  }

  std::unique_ptr<Db> open(bool read_only) const {
    return std::make_unique<Db>(options_.path, options_.busy_timeout_ms, options_.synchronous_full,
                                read_only, options_.mmap_bytes);
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
  std::mutex queue_mu_;  // guards queue_, leading_ and every queued Job
  std::condition_variable queue_cv_;
  std::vector<Job*> queue_;
  bool leading_ = false;
  std::mutex write_mu_;
  std::unique_ptr<Db> writer_;
  std::mutex readers_mu_;
  std::condition_variable readers_cv_;
  std::vector<std::unique_ptr<Db>> idle_;
  int open_readers_ = 0;
  bool closed_ = false;
};

}  // namespace

std::unique_ptr<sql::Engine> open_engine(const SqliteOptions& options) {
  return std::make_unique<SqliteEngine>(options);
}

namespace {

std::unique_ptr<SoleUseFile> join_users(const std::string& path) {
  if (path.empty() || path.starts_with(":memory:") || path.starts_with("file:")) return nullptr;
  return std::make_unique<SoleUseFile>(path);
}

}  // namespace

SqliteStore::SqliteStore(const SqliteOptions& options)
    : SqlStore(open_engine(options)), sole_(join_users(options.path)) {
  migrate(migrations());
}

SqliteStore::~SqliteStore() = default;

const SoleUse* SqliteStore::sole_use() const {
  return sole_.get();
}

}  // namespace coldtrack::store::sqlite
