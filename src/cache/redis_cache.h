// Replay nonces and rate limits in Redis, so every replica sees the same ones. Both are single
// atomic server-side operations; errors come back as CacheError for the failover decorators.
#pragma once

#include <string>

#include "cache/failover.h"
#include "cache/redis_client.h"

namespace coldtrack::cache {

// One `SET <prefix><key>:<nonce> 1 NX PX <ttl>` per call: the first caller wins, on any replica.
class RedisNonceStore final : public RemoteNonceStore {
 public:
  // `prefix` e.g. "coldtrack:nonce:".
  RedisNonceStore(RedisClient& client, std::string prefix)
      : client_(client), prefix_(std::move(prefix)) {}
  CacheResult<bool> try_remember(std::string_view key, std::string_view nonce, std::int64_t now_ms,
                                 std::int64_t expires_ms) override;

 private:
  RedisClient& client_;
  std::string prefix_;
};

// The token bucket of MemoryRateLimiter (per_minute tokens, refilled at per_minute per minute),
// run as a Lua script so read-refill-take is atomic across replicas. Chosen over an INCR fixed
// window, which would allow up to twice the rate around a window boundary and change the
// Retry-After values. Time is the caller's now_ms (as in memory); a replica whose clock lags
// never moves a bucket back in time.
class RedisRateLimiter final : public RemoteRateLimiter {
 public:
  // `prefix` e.g. "coldtrack:rate:track:"; one hash per client, expiring once refilled.
  RedisRateLimiter(RedisClient& client, std::string prefix, int per_minute);
  CacheResult<std::optional<int>> try_acquire(std::string_view client,
                                              std::int64_t now_ms) override;

 private:
  RedisClient& client_;
  std::string prefix_;
  std::string per_minute_;
  std::string sha1_;  // of the script, for EVALSHA
};

}  // namespace coldtrack::cache
