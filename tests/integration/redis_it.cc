// cache.backend: redis with the real binary and a real redis-server: replay nonces and the
// tracking rate limit outlive the server process, and signed requests keep working (from the
// in-process fallback) while Redis is down. Fails, never skips, when redis-server is missing.
#include "../redis_server.h"
#include "cache/redis_client.h"
#include "fixtures.h"

namespace coldtrack::it {
namespace {

class RedisIt : public ::testing::Test {
 protected:
  void SetUp() override {
    try {
      redis_ = std::make_unique<test_support::RedisServer>();
    } catch (const std::exception& e) {
      FAIL() << "cannot run the Redis tests: " << e.what();
    }
  }

  std::map<std::string, std::string> redis_env() const {
    return {{"COLDTRACK_CACHE_BACKEND", "redis"},
            {"COLDTRACK_CACHE_REDIS_URL", redis_->url()},
            {"COLDTRACK_CACHE_REDIS_KEY_PREFIX", "coldtrack:"},
            {"COLDTRACK_TRACK_RATE_LIMIT_PER_MINUTE", "3"}};
  }

  // How many keys match `pattern` in the test's Redis.
  std::size_t redis_keys(const std::string& pattern) const {
    cache::RedisClient::Options o;
    o.url.port = redis_->port();
    cache::RedisClient c(o);
    auto r = c.command({"KEYS", pattern});
    if (auto* e = std::get_if<cache::RedisError>(&r)) throw std::runtime_error(e->message);
    return std::get<cache::RedisReply>(r).elements.size();
  }

  static std::map<std::string, std::string> sign_now(const Credentials& creds) {
    return coldtrack::http::signed_headers(creds, "GET", "/api/categories", "", now_ms() / 1000);
  }
  static Response send(ServerProcess& s, const std::map<std::string, std::string>& headers) {
    return s.request("GET", "/api/categories", "", std::nullopt, headers);
  }
  static void expect_replay_refused(const Response& r) {
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_NE(r.body.find("nonce already used"), std::string::npos) << r.body;
  }

  std::unique_ptr<test_support::RedisServer> redis_;
};

TEST_F(RedisIt, ReplayRefusedAfterServerRestart) {
  ServerProcess s(redis_env());
  s.start();
  const auto h = sign_now(s.viewer());
  EXPECT_EQ(send(s, h).status, 200);
  expect_replay_refused(send(s, h));
  EXPECT_EQ(redis_keys("coldtrack:nonce:*"), 1u) << "the nonce lives in Redis";
  EXPECT_EQ(s.stop(), 0);
  s.restart();
  expect_replay_refused(send(s, h));
}

// Two replicas on one database share the nonces through Redis: a request captured on its way to
// one replica cannot be replayed to the other. With in-process nonces (the control) it could.
TEST_F(RedisIt, ReplayToAnotherReplicaIsRefused) {
  for (const bool shared : {true, false}) {
    SCOPED_TRACE(shared ? "redis" : "memory");
    const std::map<std::string, std::string> memory{{"COLDTRACK_CACHE_BACKEND", "memory"}};
    ServerProcess a(shared ? redis_env() : memory);
    a.start();
    auto env = shared ? redis_env() : memory;
    for (const auto& [k, v] : a.shared_state_env())
      if (k.starts_with("COLDTRACK_STORE_")) env[k] = v;
    env["COLDTRACK_SECURITY_DATA_KEY"] = a.env().at("COLDTRACK_SECURITY_DATA_KEY");
    ServerProcess b(env);
    b.start();
    const auto h = sign_now(a.viewer());  // the key lives in the shared database
    EXPECT_EQ(send(a, h).status, 200);
    if (shared) {
      expect_replay_refused(send(b, h));
    } else {
      EXPECT_EQ(send(b, h).status, 200) << "in-process nonces are per replica";
    }
  }
}

// The control for the test above: in-process nonces are lost with the process.
TEST_F(RedisIt, MemoryBackendForgetsNoncesOnRestart) {
  ServerProcess s(std::map<std::string, std::string>{{"COLDTRACK_CACHE_BACKEND", "memory"}});
  s.start();
  const auto h = sign_now(s.viewer());
  EXPECT_EQ(send(s, h).status, 200);
  expect_replay_refused(send(s, h));
  EXPECT_EQ(s.stop(), 0);
  s.restart();
  EXPECT_EQ(send(s, h).status, 200);
}

TEST_F(RedisIt, TrackRateLimitOutlivesServerRestart) {
  ServerProcess s(redis_env());
  s.start();
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(s.get("/api/track?order_no=NOPE1&phone_last4=5678", std::nullopt).status, 404);
  EXPECT_EQ(s.stop(), 0);
  s.restart();
  auto r = s.get("/api/track?order_no=NOPE1&phone_last4=5678", std::nullopt);
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_FALSE(r.header("retry-after").empty());
}

TEST_F(RedisIt, SignedRequestsWorkWhileRedisIsDown) {
  ServerProcess s(redis_env());
  s.start();
  EXPECT_EQ(send(s, sign_now(s.viewer())).status, 200);

  redis_->stop();
  std::map<std::string, std::string> during;
  for (int i = 0; i < 5; ++i) {
    during = sign_now(s.viewer());
    EXPECT_EQ(send(s, during).status, 200) << "request " << i << " during the outage";
  }
  expect_replay_refused(send(s, during));
  EXPECT_EQ(s.get("/api/track?order_no=NOPE1&phone_last4=5678", std::nullopt).status, 404);

  redis_->start();  // same port, empty
  // Within the retry interval (3 s) the server goes back to Redis: new nonces land there.
  EXPECT_TRUE(eventually(
      [&] {
        return send(s, sign_now(s.viewer())).status == 200 && redis_keys("coldtrack:nonce:*") > 0;
      },
      10s));
  expect_replay_refused(send(s, during));  // the fallback still remembers the outage's nonces
  const auto log = s.stderr_text();
  std::size_t warnings = 0;
  for (auto pos = log.find("replay nonces: Redis unavailable"); pos != std::string::npos;
       pos = log.find("replay nonces: Redis unavailable", pos + 1))
    ++warnings;
  EXPECT_EQ(warnings, 1u) << log;
}

}  // namespace
}  // namespace coldtrack::it
