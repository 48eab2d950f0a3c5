#include "store/mysql/engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <stdexcept>
#include <thread>

namespace coldtrack::store::mysql {
namespace {

// 2, 4, 8 ... ms capped at 100 ms, each drawn from [d/2, d] so that two transactions that
// deadlocked do not collide again in lockstep.
void backoff(int attempt) {
  thread_local std::mt19937 rng{std::random_device{}()};
  const int delay = std::min(100, 2 << std::min(attempt - 1, 6));
  std::uniform_int_distribution<int> jitter(delay / 2, delay);
  std::this_thread::sleep_for(std::chrono::milliseconds(jitter(rng)));
}

}  // namespace

// A pooled connection, returned to the pool (or discarded) when the lease ends.
class MysqlEngine::Lease {
 public:
  explicit Lease(MysqlEngine& engine) : engine_(engine), conn_(engine.acquire()) {}
  ~Lease() { engine_.release(std::move(conn_)); }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  MysqlConn& conn() { return *conn_; }

 private:
  MysqlEngine& engine_;
  std::unique_ptr<MysqlConn> conn_;
};

MysqlEngine::MysqlEngine(MysqlOptions options) : options_(std::move(options)) {
  if (options_.pool_size < 1) throw std::invalid_argument("the MariaDB pool size must be >= 1");
  idle_.push_back(std::make_unique<MysqlConn>(options_));
  open_ = 1;
}

MysqlEngine::~MysqlEngine() {
  close();
}

void MysqlEngine::write(const std::function<void(sql::Conn&)>& fn) {
  run(fn);
}

void MysqlEngine::read(const std::function<void(sql::Conn&)>& fn) {
  run(fn);
}

void MysqlEngine::run(const std::function<void(sql::Conn&)>& fn) {
  for (int attempt = 1;; ++attempt) {
    try {
      Lease lease(*this);
      fn(lease.conn());
      return;
    } catch (const sql::Error& e) {
      if (!e.retryable) throw;
      if (attempt == kMaxAttempts)
        throw sql::Error(std::string(e.what()) + " (gave up after " + std::to_string(kMaxAttempts) +
                             " attempts)",
                         e.code, e.retryable);
      if (is_connection_error(e.code))
        spdlog::warn("mysql: attempt {} failed, retrying: {}", attempt, e.what());
      else
        spdlog::debug("mysql: attempt {} rolled back, retrying: {}", attempt, e.what());
    }
    backoff(attempt);
  }
}

bool MysqlEngine::ping() {
  // A stale pooled connection fails once and is replaced; the second try uses a fresh one.
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      Lease lease(*this);
      if (lease.conn().ping()) return true;
    } catch (const sql::Error&) {
      return false;
    }
  }
  return false;
}

void MysqlEngine::close() {
  std::vector<std::unique_ptr<MysqlConn>> drop;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    drop.swap(idle_);
    open_ -= static_cast<int>(drop.size());
  }
  freed_.notify_all();
}

std::unique_ptr<sql::Conn> MysqlEngine::open_connection() {
  return std::make_unique<MysqlConn>(options_);
}

std::unique_ptr<MysqlConn> MysqlEngine::acquire() {
  std::unique_lock lock(mu_);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.rw_timeout_ms);
  for (;;) {
    if (closed_) throw sql::Error("store is closed", 0);
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());  // the most recently used one is the least stale
      idle_.pop_back();
      return conn;
    }
    if (open_ < options_.pool_size) break;
    if (freed_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= options_.pool_size)
      throw sql::Error("all " + std::to_string(options_.pool_size) +
                           " MariaDB connections stayed busy for " +
                           std::to_string(options_.rw_timeout_ms) + " ms",
                       0);
  }
  ++open_;
  lock.unlock();
  try {
    return std::make_unique<MysqlConn>(options_);
  } catch (...) {
    lock.lock();
    --open_;
    lock.unlock();
    freed_.notify_one();
    throw;
  }
}

void MysqlEngine::release(std::unique_ptr<MysqlConn> conn) {
  if (!conn) return;
  // fn should have committed or rolled back; never hand an open transaction to the next caller.
  if (!conn->broken() && conn->in_transaction()) {
    try {
      conn->rollback();
    } catch (const sql::Error&) {
    }
  }
  const bool keep = !conn->broken() && !conn->in_transaction();
  std::vector<std::unique_ptr<MysqlConn>> drop;  // closed outside the lock
  {
    std::lock_guard lock(mu_);
    if (keep && !closed_) {
      idle_.push_back(std::move(conn));
    } else {
      drop.push_back(std::move(conn));
      // A lost connection usually means a server restart or failover: the idle ones are dead
      // too, and each would cost a failed attempt.
      if (!keep) {
        for (auto& c : idle_) drop.push_back(std::move(c));
        idle_.clear();
      }
      open_ -= static_cast<int>(drop.size());
    }
  }
  freed_.notify_all();
}

}  // namespace coldtrack::store::mysql
