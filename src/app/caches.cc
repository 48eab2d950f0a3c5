#include "app/caches.h"

#include <spdlog/spdlog.h>

#include "cache/failover.h"
#include "cache/redis_cache.h"
#include "cache/redis_client.h"

namespace coldtrack::app {

struct Caches::Redis {
  Redis(const Config& config, cache::MemoryNonceStore& memory_nonces,
        cache::MemoryRateLimiter& memory_limiter)
      : client(options(config)),
        nonces(client, config.cache.redis.key_prefix + "nonce:"),
        limiter(client,
                config.cache.redis.key_prefix + "rate:track:", config.track.rate_limit_per_minute),
        failover_nonces(nonces, memory_nonces),
        failover_limiter(limiter, memory_limiter) {}

  static cache::RedisClient::Options options(const Config& config) {
    cache::RedisClient::Options o;
    // Validated when the configuration was loaded.
    o.url = std::get<cache::RedisUrl>(cache::parse_redis_url(config.cache.redis.url));
    o.timeout = std::chrono::milliseconds(config.cache.redis.timeout_ms);
    // Callers run on the I/O threads: one connection each, plus one spare.
    o.pool_size = static_cast<std::size_t>(config.server.io_threads) + 1;
    return o;
  }

  cache::RedisClient client;
  cache::RedisNonceStore nonces;
  cache::RedisRateLimiter limiter;
  cache::FailoverNonceStore failover_nonces;
  cache::FailoverRateLimiter failover_limiter;
};

Caches::Caches(const Config& config)
    : memory_track_limiter_(config.track.rate_limit_per_minute),
      nonces_(&memory_nonces_),
      track_limiter_(&memory_track_limiter_) {
  if (config.cache.backend != "redis") return;
  redis_ = std::make_unique<Redis>(config, memory_nonces_, memory_track_limiter_);
  nonces_ = &redis_->failover_nonces;
  track_limiter_ = &redis_->failover_limiter;
  auto ping = redis_->client.command({"PING"});
  if (auto* e = std::get_if<cache::RedisError>(&ping)) {
    spdlog::warn("cache: {}; nonces and rate limits stay in-process until Redis answers",
                 e->message);
  } else {
    spdlog::info("cache: nonces and rate limits in Redis at {} (prefix \"{}\")",
                 redis_->client.describe(), config.cache.redis.key_prefix);
  }
}

Caches::~Caches() = default;

}  // namespace coldtrack::app
