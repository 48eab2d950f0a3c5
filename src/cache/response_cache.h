// Hot per-order responses kept in this process, answered on the I/O thread without the worker
// pool or the store (GET /api/orders/{order_no}, masked; GET /api/track).
//
// Exact for writes made through this process: the store decorator (cache/cached_store.h) tells
// the cache, after each commit, which orders a write can have changed (or that all may have).
// A fill is guarded by a ticket taken at the lookup, before the store is read: a change heard
// after the lookup voids the ticket, so a response read before a write can never be stored
// after it. Writes by other users of the database are excluded with `sole` (store::SoleUse,
// SQLite): while anyone else uses the database nothing is served or kept, and entries from
// before another user came are never served again. Without `sole` (a database server shared by
// replicas) other processes' writes are bounded by `max_age` only. The clock-dependent parts of
// a response (the ETA) are always bounded by `max_age`: an entry is served at most that long
// after the lookup that filled it.
//
// Memory is bounded by `max_bytes` (bodies and keys); the oldest entries go first.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cache/view_cache.h"
#include "store/store.h"

namespace coldtrack::cache {

class ResponseCache final : public ViewListener {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  struct Options {
    std::chrono::milliseconds max_age{1000};
    std::size_t max_bytes = 64u << 20;
    const store::SoleUse* sole = nullptr;  // must outlive the cache
  };
  explicit ResponseCache(Options options, Clock clock = {});
  ~ResponseCache() override;
  ResponseCache(const ResponseCache&) = delete;
  ResponseCache& operator=(const ResponseCache&) = delete;

  // The answers kept per order: the order view, and the public tracking view (kept with the
  // phone's last four digits it was checked against: served only for the same digits).
  enum class View : char { kOrder = 'o', kTrack = 't' };

  struct Lookup {
    std::shared_ptr<const std::string> body;  // set: a fresh entry
    // Otherwise what a fill must present to put(); 0 while others use the database (a fill
    // would be refused).
    std::uint64_t ticket = 0;
  };
  Lookup lookup(std::string_view order_no, View view = View::kOrder, std::string_view guard = {});
  // Keeps `body` unless the order changed (or everything did) since the lookup that gave
  // `ticket`. Returns whether it was kept.
  bool put(std::string_view order_no, std::uint64_t ticket, std::string body,
           View view = View::kOrder, std::string guard = {});

  void orders_changed(const std::vector<std::string>& order_nos) noexcept override;
  void all_changed() noexcept override;

  struct Stats {
    std::uint64_t hits = 0, misses = 0, kept = 0, refused = 0, evicted = 0;
    std::uint64_t shared = 0;  // lookups while others used the database
    std::size_t entries = 0, bytes = 0;
  };
  Stats stats() const;

 private:
  struct Shard;
  Shard& shard_for(std::string_view key);
  std::optional<std::uint64_t> epoch() const;

  const Options options_;
  const Clock clock_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<std::uint64_t> next_ticket_{1};
  std::atomic<std::uint64_t> hits_{0}, misses_{0}, kept_{0}, refused_{0}, evicted_{0}, shared_{0};
};

}  // namespace coldtrack::cache
