#include "app/caches.h"

#include <spdlog/spdlog.h>

#include <mutex>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "cache/cached_store.h"
#include "cache/failover.h"
#include "cache/redis_cache.h"
#include "cache/redis_client.h"
#include "cache/response_cache.h"
#include "cache/view_cache.h"
#include "http/metrics.h"

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

// The view cache has its own client: its callers are the worker pool and the background jobs
// (every store write invalidates), not the I/O threads, and they must not queue behind each other
// for a connection (a connection not free within the timeout counts as an outage).
struct Caches::Views {
  explicit Views(const Config& config)
      : client(options(config)),
        cache(client, config.cache.redis.key_prefix + "view:",
              std::chrono::seconds(config.cache.views.ttl_s)) {}

  static cache::RedisClient::Options options(const Config& config) {
    auto o = Redis::options(config);
    // The worker pool, plus the background jobs and the view cache's own debt collector.
    o.pool_size = static_cast<std::size_t>(config.server.worker_threads) + 8;
    return o;
  }

  cache::RedisClient client;
  cache::RedisViewCache cache;
};

Caches::Caches(const Config& config)
    : memory_track_limiter_(config.track.rate_limit_per_minute),
      nonces_(&memory_nonces_),
      track_limiter_(&memory_track_limiter_) {
  response_options_.max_age = std::chrono::milliseconds(0);
  if (const int age = config.cache.responses.effective_max_age_ms(config.store.backend); age > 0) {
    response_options_.max_age = std::chrono::milliseconds(age);
    response_options_.max_bytes = static_cast<std::size_t>(config.cache.responses.max_mb) << 20;
  }
  if (config.cache.backend != "redis") return;
  redis_ = std::make_unique<Redis>(config, memory_nonces_, memory_track_limiter_);
  nonces_ = &redis_->failover_nonces;
  track_limiter_ = &redis_->failover_limiter;
  if (config.cache.views.enabled) views_ = std::make_unique<Views>(config);
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

std::unique_ptr<store::Store> Caches::with_views(std::unique_ptr<store::Store> store) {
  if (response_options_.max_age.count() > 0) {
    response_options_.sole = store->sole_use();
    responses_ = std::make_unique<cache::ResponseCache>(response_options_);
    spdlog::info(
        "cache: hot order responses in this process ({} ms), invalidated on every write made "
        "here{}",
        response_options_.max_age.count(),
        response_options_.sole ? ", unused while another process uses the database"
                               : "; other replicas' writes are seen within that time");
  }
  if (!views_) {
    if (!responses_) return store;
    return std::make_unique<cache::CachedStore>(std::move(store), *responses_);
  }
  auto cached = std::make_unique<cache::CachedStore>(std::move(store), views_->cache);
  cached->set_listener(responses_.get());
  cached_store_ = cached.get();
  spdlog::info("cache: hot order and tracking views in Redis, invalidated on every write");
  return cached;
}

void Caches::count_views(http::Metrics& metrics) {
  auto& registry = metrics.registry();
  if (responses_) {
    auto& family =
        prometheus::BuildCounter()
            .Name("coldtrack_response_cache_total")
            .Help(
                "Hot order responses: hit (answered from this process), miss, kept "
                "(a fill stored), refused (a fill voided by a write), evicted, shared (not "
                "used: another process uses the database)")
            .Register(registry);
    struct Series {
      prometheus::Counter* counter;
      std::uint64_t cache::ResponseCache::Stats::*field;
    };
    std::vector<Series> series;
    for (auto [name, field] : {std::pair{"hit", &cache::ResponseCache::Stats::hits},
                               std::pair{"miss", &cache::ResponseCache::Stats::misses},
                               std::pair{"kept", &cache::ResponseCache::Stats::kept},
                               std::pair{"refused", &cache::ResponseCache::Stats::refused},
                               std::pair{"evicted", &cache::ResponseCache::Stats::evicted},
                               std::pair{"shared", &cache::ResponseCache::Stats::shared}})
      series.push_back({&family.Add({{"result", name}}), field});
    auto* bytes = &prometheus::BuildGauge()
                       .Name("coldtrack_response_cache_bytes")
                       .Help("Memory held by hot order responses (bodies, keys, overhead)")
                       .Register(registry)
                       .Add({});
    // The cache counts with relaxed atomics; the counters catch up at each scrape.
    auto mu = std::make_shared<std::mutex>();  // two scrapes at once must not both add a delta
    metrics.on_scrape([this, series, bytes, mu] {
      std::lock_guard lock(*mu);
      const auto st = responses_->stats();
      for (const auto& s : series) {
        const double now = static_cast<double>(st.*s.field);
        if (now > s.counter->Value()) s.counter->Increment(now - s.counter->Value());
      }
      bytes->Set(static_cast<double>(st.bytes));
    });
  }
  if (!cached_store_) return;
  auto& family = prometheus::BuildCounter()
                     .Name("coldtrack_view_cache_total")
                     .Help(
                         "Order and tracking view reads by result: hit, miss (read the store "
                         "and cached), bypass (Redis unavailable: read the store)")
                     .Register(registry);
  auto* hit = &family.Add({{"result", "hit"}});
  auto* miss = &family.Add({{"result", "miss"}});
  auto* bypass = &family.Add({{"result", "bypass"}});
  cached_store_->set_observer([hit, miss, bypass](cache::ViewResult r) {
    switch (r) {
      case cache::ViewResult::kHit:
        hit->Increment();
        break;
      case cache::ViewResult::kMiss:
        miss->Increment();
        break;
      case cache::ViewResult::kBypass:
        bypass->Increment();
        break;
    }
  });
}

}  // namespace coldtrack::app
