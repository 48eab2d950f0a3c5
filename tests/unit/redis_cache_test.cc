// Redis-backed nonces and rate limits against a real redis-server (started per test; the suite
// fails, never skips, when redis-server is missing), and the failover to the in-process caches.
#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "../redis_server.h"
#include "app/config.h"
#include "cache/failover.h"
#include "cache/redis_cache.h"
#include "cache/redis_client.h"

namespace coldtrack::cache {

// For readable assertion failures (found by ADL, so not in the unnamed namespace).
void PrintTo(const CacheError& e, std::ostream* os) {
  *os << "CacheError{" << e.message << "}";
}

namespace {

using namespace std::chrono_literals;
using test_support::RedisServer;

constexpr std::int64_t kT0 = 1'795'583'100'000;  // 2026-11-25T05:05:00Z
constexpr std::int64_t kWindow = 5 * 60 * 1000;

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ---- URL parsing --------------------------------------------------------------------------------

RedisUrl must_parse(const std::string& text) {
  auto r = parse_redis_url(text);
  if (auto* e = std::get_if<std::string>(&r)) {
    ADD_FAILURE() << text << ": " << *e;
    return {};
  }
  return std::get<RedisUrl>(r);
}

std::string parse_error(const std::string& text) {
  auto r = parse_redis_url(text);
  auto* e = std::get_if<std::string>(&r);
  return e ? *e : "<parsed>";
}

TEST(RedisUrl, ParsesHostPortDbAndCredentials) {
  auto u = must_parse("redis://127.0.0.1:6379/0");
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, 6379);
  EXPECT_EQ(u.db, 0);
  EXPECT_EQ(u.password, "");

  u = must_parse("redis://cache.internal");
  EXPECT_EQ(u.host, "cache.internal");
  EXPECT_EQ(u.port, 6379);
  EXPECT_EQ(u.db, 0);

  u = must_parse("redis://:s3cret@10.0.0.5:7000/3");
  EXPECT_EQ(u.username, "");
  EXPECT_EQ(u.password, "s3cret");
  EXPECT_EQ(u.port, 7000);
  EXPECT_EQ(u.db, 3);

  u = must_parse("redis://app:p%40ss@h/1");  // percent-encoded '@'
  EXPECT_EQ(u.username, "app");
  EXPECT_EQ(u.password, "p@ss");

  u = must_parse("redis://[::1]:6380/2");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 6380);
}

TEST(RedisUrl, RejectsWithClearMessages) {
  EXPECT_NE(parse_error("http://h:6379/0").find("redis://"), std::string::npos);
  EXPECT_NE(parse_error("rediss://h/0").find("TLS"), std::string::npos);
  EXPECT_NE(parse_error("redis:///0").find("host"), std::string::npos);
  EXPECT_NE(parse_error("redis://h:0/0").find("port"), std::string::npos);
  EXPECT_NE(parse_error("redis://h:99999/0").find("port"), std::string::npos);
  EXPECT_NE(parse_error("redis://h/db1").find("database"), std::string::npos);
  EXPECT_NE(parse_error("redis://h/1?timeout=1").find("query"), std::string::npos);
  EXPECT_NE(parse_error("redis://user@h/1").find("password"), std::string::npos);
  EXPECT_NE(parse_error("not a url").find("URL"), std::string::npos);
}

TEST(RedisUrl, ConfigErrorNamesKeyButNotPassword) {
  try {
    app::load_config(std::nullopt, {{"COLDTRACK_CACHE_REDIS_URL", "redis://:hunter2@h/abc"}});
    FAIL() << "a bad URL must be a configuration error";
  } catch (const app::ConfigError& e) {
    EXPECT_EQ(e.key, "cache.redis.url");
    EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
  }
  auto c = app::load_config(std::nullopt, {{"COLDTRACK_CACHE_BACKEND", "redis"}});
  EXPECT_EQ(c.cache.backend, "redis");
  EXPECT_EQ(c.cache.redis.url, "redis://127.0.0.1:6379/0");
  EXPECT_EQ(c.cache.redis.key_prefix, "coldtrack:");
}

// ---- Against a real server ----------------------------------------------------------------------

class RedisCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    try {
      server_ = std::make_unique<RedisServer>();
    } catch (const std::exception& e) {
      FAIL() << "cannot run the Redis tests: " << e.what();
    }
  }

  // One client per "replica".
  std::unique_ptr<RedisClient> client(std::chrono::milliseconds timeout = 200ms) {
    RedisClient::Options o;
    o.url = must_parse(server_->url());
    o.timeout = timeout;
    return std::make_unique<RedisClient>(o);
  }

  std::unique_ptr<RedisServer> server_;
};

TEST_F(RedisCacheTest, NonceRememberedOnceAcrossReplicas) {
  auto c1 = client(), c2 = client();
  RedisNonceStore a(*c1, "coldtrack:nonce:"), b(*c2, "coldtrack:nonce:");
  EXPECT_EQ(a.try_remember("ak_1", "n-1", kT0, kT0 + kWindow), CacheResult<bool>(true));
  EXPECT_EQ(b.try_remember("ak_1", "n-1", kT0, kT0 + kWindow), CacheResult<bool>(false));
  EXPECT_EQ(a.try_remember("ak_1", "n-1", kT0, kT0 + kWindow), CacheResult<bool>(false));
  // Independent per key and per nonce, and the separator cannot be forged.
  EXPECT_EQ(b.try_remember("ak_2", "n-1", kT0, kT0 + kWindow), CacheResult<bool>(true));
  EXPECT_EQ(b.try_remember("ak_1", "n-2", kT0, kT0 + kWindow), CacheResult<bool>(true));
  EXPECT_EQ(a.try_remember("a:b", "c", kT0, kT0 + kWindow), CacheResult<bool>(true));
  EXPECT_EQ(a.try_remember("a", "b:c", kT0, kT0 + kWindow), CacheResult<bool>(true));
  // Another prefix (another deployment on the same Redis) does not see them.
  RedisNonceStore other(*c2, "other:nonce:");
  EXPECT_EQ(other.try_remember("ak_1", "n-1", kT0, kT0 + kWindow), CacheResult<bool>(true));
}

TEST_F(RedisCacheTest, NonceExpiresAfterItsWindow) {
  auto c = client();
  RedisNonceStore store(*c, "coldtrack:nonce:");
  const auto now = wall_ms();
  EXPECT_EQ(store.try_remember("ak_1", "n-short", now, now + 150), CacheResult<bool>(true));
  EXPECT_EQ(store.try_remember("ak_1", "n-short", now, now + 150), CacheResult<bool>(false));
  // The key carries its TTL; Redis drops it, so nothing piles up.
  auto ttl = c->command({"PTTL", "coldtrack:nonce:4:ak_1:n-short"});
  ASSERT_TRUE(std::holds_alternative<RedisReply>(ttl));
  EXPECT_GT(std::get<RedisReply>(ttl).integer, 0);
  EXPECT_LE(std::get<RedisReply>(ttl).integer, 150);
  std::this_thread::sleep_for(250ms);
  EXPECT_EQ(store.try_remember("ak_1", "n-short", now + 250, now + 400), CacheResult<bool>(true));
  // Already expired on arrival: accepted without storing, as in memory.
  EXPECT_EQ(store.try_remember("ak_1", "n-old", now, now), CacheResult<bool>(true));
}

TEST_F(RedisCacheTest, RateLimitSharedByReplicas) {
  auto c1 = client(), c2 = client();
  RedisRateLimiter a(*c1, "coldtrack:rate:track:", 60), b(*c2, "coldtrack:rate:track:", 60);
  using R = CacheResult<std::optional<int>>;
  for (int i = 0; i < 60; ++i) {
    auto& limiter = i % 2 ? a : b;
    ASSERT_EQ(limiter.try_acquire("1.2.3.4", kT0), R(std::nullopt)) << "request " << i + 1;
  }
  EXPECT_EQ(a.try_acquire("1.2.3.4", kT0), R(1)) << "the 61st request in a minute";
  EXPECT_EQ(b.try_acquire("1.2.3.4", kT0 + 500), R(1));
  EXPECT_EQ(a.try_acquire("5.6.7.8", kT0), R(std::nullopt)) << "another client is independent";
  // One token per second comes back.
  EXPECT_EQ(b.try_acquire("1.2.3.4", kT0 + 1000), R(std::nullopt));
  EXPECT_EQ(a.try_acquire("1.2.3.4", kT0 + 1000), R(1));
  // A replica whose clock lags does not move the bucket back in time.
  EXPECT_EQ(a.try_acquire("1.2.3.4", kT0 - 30'000), R(1));
  EXPECT_EQ(b.try_acquire("1.2.3.4", kT0 + 61'000), R(std::nullopt));
  // The bucket expires once it would be full again.
  auto ttl = c1->command({"PTTL", "coldtrack:rate:track:1.2.3.4"});
  ASSERT_TRUE(std::holds_alternative<RedisReply>(ttl));
  EXPECT_GT(std::get<RedisReply>(ttl).integer, 0);
  EXPECT_LE(std::get<RedisReply>(ttl).integer, 62'000);
}

TEST_F(RedisCacheTest, RateLimitMatchesMemoryLimiter) {
  auto c = client();
  RedisRateLimiter redis(*c, "coldtrack:rate:cmp:", 7);
  MemoryRateLimiter memory(7);
  std::mt19937 rng(42);
  std::int64_t t = kT0;
  for (int i = 0; i < 400; ++i) {
    t += rng() % 4000;
    const std::string client = "c" + std::to_string(rng() % 3);
    auto r = redis.try_acquire(client, t);
    ASSERT_TRUE(std::holds_alternative<std::optional<int>>(r));
    ASSERT_EQ(std::get<std::optional<int>>(r), memory.acquire(client, t)) << "step " << i;
  }
}

TEST_F(RedisCacheTest, ScriptIsReloadedAfterFlush) {
  auto c = client();
  RedisRateLimiter limiter(*c, "coldtrack:rate:track:", 60);
  using R = CacheResult<std::optional<int>>;
  EXPECT_EQ(limiter.try_acquire("x", kT0), R(std::nullopt));
  ASSERT_TRUE(std::holds_alternative<RedisReply>(c->command({"SCRIPT", "FLUSH"})));
  EXPECT_EQ(limiter.try_acquire("x", kT0), R(std::nullopt));
}

TEST_F(RedisCacheTest, ClientIsSharedByThreads) {
  auto c = client();
  RedisNonceStore store(*c, "coldtrack:nonce:");
  std::atomic<int> accepted{0}, errors{0};
  std::vector<std::thread> threads;
  const auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      // Every thread offers the same 300 nonces: each must be accepted exactly once.
      for (int i = 0; i < 300; ++i) {
        auto r = store.try_remember("ak", "n" + std::to_string(i), kT0, kT0 + kWindow);
        if (auto* ok = std::get_if<bool>(&r)) {
          accepted += *ok;
        } else {
          ++errors;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(accepted.load(), 300);
  std::printf("[ info     ] 1800 SET NX from 6 threads over 2 connections: %.1f us each\n",
              double(us) / 1800);
}

TEST_F(RedisCacheTest, UnreachableServerIsAnErrorNotAnException) {
  auto c = client(100ms);
  server_->stop();
  RedisNonceStore store(*c, "coldtrack:nonce:");
  const auto start = std::chrono::steady_clock::now();
  auto r = store.try_remember("ak", "n", kT0, kT0 + kWindow);
  ASSERT_TRUE(std::holds_alternative<CacheError>(r));
  EXPECT_NE(std::get<CacheError>(r).message.find("127.0.0.1:" + std::to_string(server_->port())),
            std::string::npos)
      << std::get<CacheError>(r).message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

TEST_F(RedisCacheTest, PasswordAndDatabaseFromUrl) {
  auto admin = client();
  ASSERT_TRUE(std::holds_alternative<RedisReply>(
      admin->command({"CONFIG", "SET", "requirepass", "s3cret"})));
  RedisClient::Options o;
  o.url = must_parse("redis://:s3cret@127.0.0.1:" + std::to_string(server_->port()) + "/2");
  RedisClient with_password(o);
  RedisNonceStore store(with_password, "p:");
  EXPECT_EQ(store.try_remember("k", "n", kT0, kT0 + kWindow), CacheResult<bool>(true));
  auto keys = with_password.command({"DBSIZE"});
  ASSERT_TRUE(std::holds_alternative<RedisReply>(keys));
  EXPECT_EQ(std::get<RedisReply>(keys).integer, 1);  // in db 2
  o.url.password = "not-the-pw-42";
  RedisClient wrong(o);
  auto r = wrong.command({"PING"});
  ASSERT_TRUE(std::holds_alternative<RedisError>(r));
  EXPECT_NE(std::get<RedisError>(r).message.find("AUTH"), std::string::npos);
  EXPECT_EQ(std::get<RedisError>(r).message.find("not-the-pw-42"), std::string::npos);
}

// ---- Failover -----------------------------------------------------------------------------------

// Captures log lines at warn and above.
class LogCapture {
 public:
  LogCapture() : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(100)) {
    previous_ = spdlog::default_logger();
    auto logger = std::make_shared<spdlog::logger>("capture", sink_);
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  int count(const std::string& text) const {
    int n = 0;
    for (const auto& line : sink_->last_formatted()) n += line.find(text) != std::string::npos;
    return n;
  }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST_F(RedisCacheTest, FailsOverToMemoryAndBack) {
  LogCapture log;
  auto c = client(100ms);
  RedisNonceStore redis_nonces(*c, "coldtrack:nonce:");
  RedisRateLimiter redis_limiter(*c, "coldtrack:rate:track:", 60);
  MemoryNonceStore memory_nonces;
  MemoryRateLimiter memory_limiter(60);
  FailoverNonceStore nonces(redis_nonces, memory_nonces, 100ms);
  FailoverRateLimiter limiter(redis_limiter, memory_limiter, 100ms);

  EXPECT_TRUE(nonces.remember("ak", "before", kT0, kT0 + kWindow));
  EXPECT_FALSE(nonces.on_fallback());
  EXPECT_EQ(limiter.acquire("1.2.3.4", kT0), std::nullopt);

  server_->stop();
  EXPECT_TRUE(nonces.remember("ak", "during", kT0, kT0 + kWindow)) << "answers from memory";
  EXPECT_TRUE(nonces.on_fallback());
  EXPECT_FALSE(nonces.remember("ak", "during", kT0, kT0 + kWindow)) << "replay in the outage";
  EXPECT_FALSE(nonces.remember("ak", "before", kT0, kT0 + kWindow)) << "replay of an earlier one";
  for (int i = 0; i < 20; ++i)
    nonces.remember("ak", "more" + std::to_string(i), kT0, kT0 + kWindow);
  EXPECT_EQ(limiter.acquire("1.2.3.4", kT0), std::nullopt);
  EXPECT_TRUE(limiter.on_fallback());
  EXPECT_EQ(log.count("replay nonces: Redis unavailable"), 1) << "one warning per outage";
  EXPECT_EQ(log.count("rate limits: Redis unavailable"), 1);

  server_->start();                    // same port, empty
  std::this_thread::sleep_for(150ms);  // past the retry interval
  EXPECT_TRUE(nonces.remember("ak", "after", kT0, kT0 + kWindow));
  EXPECT_FALSE(nonces.on_fallback()) << "back on Redis";
  auto other_client = client();
  RedisNonceStore other_replica(*other_client, "coldtrack:nonce:");
  EXPECT_EQ(other_replica.try_remember("ak", "after", kT0, kT0 + kWindow), CacheResult<bool>(false))
      << "the nonce went to Redis";
  EXPECT_EQ(limiter.acquire("1.2.3.4", kT0), std::nullopt);
  EXPECT_FALSE(limiter.on_fallback());
  EXPECT_EQ(log.count("Redis answers again"), 2);
}

TEST_F(RedisCacheTest, OutageCostsOneProbePerInterval) {
  auto c = client(100ms);
  RedisNonceStore redis_nonces(*c, "coldtrack:nonce:");
  MemoryNonceStore memory;
  FailoverNonceStore nonces(redis_nonces, memory, 10s);
  server_->stop();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 1000; ++i)
    EXPECT_TRUE(nonces.remember("ak", "n" + std::to_string(i), kT0, kT0 + kWindow));
  // Refused connections fail fast, but only the first call even tries.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms);
}

}  // namespace
}  // namespace coldtrack::cache
