// Builds the caches shared between replicas (replay nonces, the public tracking rate limit, hot
// order and tracking views) from `cache.*`: in-process for `memory` (no view cache), Redis behind
// failover decorators for `redis`.
#pragma once

#include <memory>

#include "app/config.h"
#include "cache/nonce_cache.h"
#include "cache/rate_limiter.h"
#include "cache/response_cache.h"
#include "store/store.h"

namespace prometheus {
class Registry;
}

namespace coldtrack::cache {
class CachedStore;
}  // namespace coldtrack::cache

namespace coldtrack::http {
class Metrics;
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

  // `store` wrapped in cache::CachedStore when anything is cached: with `cache.backend: redis` and
  // `cache.views.enabled` the hot views in Redis (through this object's client), and the hot
  // response cache (cache.responses) hears of every write. This object must outlive it.
  // Otherwise `store` itself.
  std::unique_ptr<store::Store> with_views(std::unique_ptr<store::Store> store);
  // The hot response cache; null when cache.responses is off.
  cache::ResponseCache* responses() { return responses_.get(); }
  // Counts view lookups as coldtrack_view_cache_total{result="hit|miss|bypass"} (when views are
  // cached) and response cache lookups as coldtrack_response_cache_total{result}. Call before
  // serving.
  void count_views(http::Metrics& metrics);

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
  cache::ResponseCache::Options response_options_;  // max_age 0: no response cache
  std::unique_ptr<cache::ResponseCache> responses_;
};

}  // namespace coldtrack::app
