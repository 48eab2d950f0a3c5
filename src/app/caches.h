// Builds the caches shared between replicas (replay nonces, the public tracking rate limit)
// from `cache.*`: in-process for `memory`, Redis behind failover decorators for `redis`.
#pragma once

#include <memory>

#include "app/config.h"
#include "cache/nonce_cache.h"
#include "cache/rate_limiter.h"

namespace coldtrack::app {

class Caches {
 public:
  // Never fails on an unreachable Redis (the decorators fall back); only logs it.
  explicit Caches(const Config& config);
  ~Caches();
  Caches(const Caches&) = delete;
  Caches& operator=(const Caches&) = delete;

  cache::NonceStore& nonces() { return *nonces_; }
  cache::RateLimiter& track_limiter() { return *track_limiter_; }

 private:
  struct Redis;  // the client, the Redis stores and their decorators
  cache::MemoryNonceStore memory_nonces_;
  cache::MemoryRateLimiter memory_track_limiter_;
  std::unique_ptr<Redis> redis_;
  cache::NonceStore* nonces_;
  cache::RateLimiter* track_limiter_;
};

}  // namespace coldtrack::app
