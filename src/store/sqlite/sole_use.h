// Who else uses a SQLite database file: every SqliteStore joins a small shared file beside the
// database ("<db>-users") for as long as it is open. Joining takes a read lock on it (an open
// file description lock, so two stores in one process count as two users and the kernel drops
// the lock of a process that dies) and increments a counter kept in the shared mapping.
//
// A user sees another one join at once (the counter moved: one memory read) and sees that the
// others have all gone at its next poll (every `poll`, a lock test on a background thread).
// The advisory lock only covers coldtrack's own processes: an edit of the database by another
// program (the sqlite3 shell) is not seen.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "store/store.h"

namespace coldtrack::store::sqlite {

class SoleUseFile final : public SoleUse {
 public:
  // Joins; throws std::runtime_error when the file cannot be created, locked or mapped.
  explicit SoleUseFile(const std::string& db_path,
                       std::chrono::milliseconds poll = std::chrono::milliseconds(50));
  ~SoleUseFile() override;
  SoleUseFile(const SoleUseFile&) = delete;
  SoleUseFile& operator=(const SoleUseFile&) = delete;

  std::optional<std::uint64_t> epoch() const override;
  // Checks now (what the poll does): tests and start-up.
  void check();

  static std::string path_for(const std::string& db_path) { return db_path + "-users"; }

 private:
  bool others_hold_lock() const;
  void poll_loop(std::stop_token stop);

  int fd_ = -1;
  void* map_ = nullptr;
  std::uint64_t* joins_ = nullptr;  // in the shared mapping; only touched through atomic_ref
  std::atomic<bool> others_{true};
  std::atomic<std::uint64_t> alone_at_{0};  // the join count when last found alone
  const std::chrono::milliseconds poll_;
  std::mutex mu_;
  std::condition_variable_any cv_;
  std::jthread poller_;
};

}  // namespace coldtrack::store::sqlite
