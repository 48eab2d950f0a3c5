// Builds the caches shared between replicas (replay nonces, the public tracking rate limit, hot
// order and tracking views) from `cache.*`: in-process for `memory` (no view cache), Redis behind
// failover decorators for `redis`.
#pragma once

#include <memory>

#include "app/config.h"
#include "cache/nonce_cache.h"
#include "cache/rate_limiter.h"
#include "store/store.h"

namespace prometheus {
class Registry;
}

namespace coldtrack::cache {
class CachedStore;
}

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

  // With `cache.backend: redis` and `cache.views.enabled`: `store` wrapped in the hot-view cache
  // (cache::CachedStore), which uses this object's Redis client, so this object must outlive
  // it. Otherwise `store` itself.
  std::unique_ptr<store::Store> with_views(std::unique_ptr<store::Store> store);
  // Counts view lookups as coldtrack_view_cache_total{result="hit|miss|bypass"} (when views are
  // cached). Call before serving.
  void count_views(prometheus::Registry& registry);

 private:
  struct Redis;  // the client, the Redis stores and their decorators
  cache::MemoryNonceStore memory_nonces_;
  cache::MemoryRateLimiter memory_track_limiter_;
  std::unique_ptr<Redis> redis_;
  cache::NonceStore* nonces_;
  cache::RateLimiter* track_limiter_;
  struct Views;  // the view cache's own client and adapter
  std::unique_ptr<Views> views_;
  cache::CachedStore* cached_store_ = nullptr;
};

}  // namespace coldtrack::app
