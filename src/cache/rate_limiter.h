// Fixed-rate limiter per client (token bucket). In-process default; a shared backend can
// implement the same interface so replicas share counters.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace coldtrack::cache {

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // nullopt: allowed. Otherwise: seconds until the next request would be allowed.
  virtual std::optional<int> acquire(std::string_view client, std::int64_t now_ms) = 0;
  // True when acquire() may wait on the network (see NonceStore::blocking).
  virtual bool blocking() const { return false; }
};

class MemoryRateLimiter final : public RateLimiter {
 public:
  // `per_minute` requests per minute with a burst of the same size.
  explicit MemoryRateLimiter(int per_minute) : per_minute_(per_minute) {}
  std::optional<int> acquire(std::string_view client, std::int64_t now_ms) override;

 private:
  struct Bucket {
    double tokens;
    std::int64_t updated_ms;
  };
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
  int per_minute_;
  std::int64_t next_prune_ms_ = 0;
};

}  // namespace coldtrack::cache
