// Hot order and tracking views cached in Redis (cache.backend: redis): two `coldtrack serve`
// replicas on one database and one redis-server. A status change acknowledged by one replica is
// what the other shows on its very next read (order view and public tracking), every time, and
// the cache is really used. Fails, never skips, when redis-server is missing.
#include <regex>

#include "../redis_server.h"
#include "cache/redis_client.h"
#include "fixtures.h"

namespace coldtrack::it {
namespace {

class ViewsCacheIt : public ::testing::Test {
 protected:
  void SetUp() override {
    try {
      redis_ = std::make_unique<test_support::RedisServer>();
    } catch (const std::exception& e) {
      FAIL() << "cannot run the Redis tests: " << e.what();
    }
    std::map<std::string, std::string> env{{"COLDTRACK_CACHE_BACKEND", "redis"},
                                           {"COLDTRACK_CACHE_REDIS_URL", redis_->url()},
                                           {"COLDTRACK_CACHE_REDIS_KEY_PREFIX", "coldtrack:"},
                                           {"COLDTRACK_TRACK_RATE_LIMIT_PER_MINUTE", "100000"},
                                           {"COLDTRACK_TRACKING_ENABLED", "false"}};
    a_ = std::make_unique<ServerProcess>(env);
    a_->start();
    for (const auto& [k, v] : a_->shared_state_env()) env[k] = v;
    env["COLDTRACK_SECURITY_DATA_KEY"] = a_->env().at("COLDTRACK_SECURITY_DATA_KEY");
    b_ = std::make_unique<ServerProcess>(env);
    b_->start();
  }

  std::size_t redis_keys(const std::string& pattern) const {
    cache::RedisClient::Options o;
    o.url.port = redis_->port();
    cache::RedisClient c(o);
    auto r = c.command({"KEYS", pattern});
    if (auto* e = std::get_if<cache::RedisError>(&r)) throw std::runtime_error(e->message);
    return std::get<cache::RedisReply>(r).elements.size();
  }

  // coldtrack_view_cache_total{result="<result>"} on `s` (-1 when absent).
  static double view_cache(ServerProcess& s, const std::string& result) {
    const auto body = s.get("/metrics", std::nullopt).body;
    const std::regex line("coldtrack_view_cache_total\\{result=\"" + result + "\"\\} ([0-9.e+]+)");
    std::smatch m;
    return std::regex_search(body, m, line) ? std::stod(m[1]) : -1;
  }

  std::unique_ptr<test_support::RedisServer> redis_;
  std::unique_ptr<ServerProcess> a_, b_;
};

TEST_F(ViewsCacheIt, StatusWrittenOnOneReplicaIsReadOnTheOtherAtOnce) {
  const auto& op = a_->operator_key();
  const auto& viewer = a_->viewer();  // keys live in the shared database
  const std::vector<std::string> steps{"PAID", "SHIPPED", "IN_TRANSIT", "DELIVERED"};
  int checks = 0;
  for (int n = 0; checks < 52; ++n) {
    const auto no = unique_order_no("VC");
    const auto phone = unique_phone();
    must_create(*a_, order_body(no, phone));
    const std::string order_path = "/api/orders/" + no;
    const std::string track_path =
        "/api/track?order_no=" + no + "&phone_last4=" + phone.substr(phone.size() - 4);
    auto status_on_b = [&](const std::string& path, const std::optional<Credentials>& creds) {
      auto r = b_->get(path, creds);
      EXPECT_EQ(r.status, 200) << path << ": " << r.body;
      return r.status == 200 ? str(r.json().as_object(), "status") : "<" + r.body + ">";
    };
    // B caches the order as CREATED (the second read is a hit).
    for (int i = 0; i < 2; ++i) {
      ASSERT_EQ(status_on_b(order_path, viewer), "CREATED");
      ASSERT_EQ(status_on_b(track_path, std::nullopt), "CREATED");
    }
    for (const auto& step : steps) {
      const auto r =
          step == "SHIPPED"
              ? a_->post(
                    order_path + "/shipments",
                    to_string(json::object{{"carrier", "SF"}, {"waybill_no", unique_waybill()}}),
                    op)
              : change_status(*a_, no, step);
      ASSERT_EQ(r.status, 200) << step << ": " << r.body;
      ASSERT_EQ(str(r.json().as_object(), "status"), step);
      // Acknowledged by A: B's very next reads show it.
      EXPECT_EQ(status_on_b(order_path, viewer), step) << no << " order view, check " << checks;
      EXPECT_EQ(status_on_b(track_path, std::nullopt), step) << no << " public tracking";
      EXPECT_EQ(status_on_b(order_path, viewer), step) << no << " order view again (cached)";
      ++checks;
    }
  }
  // The views really came from Redis.
  EXPECT_GT(view_cache(*b_, "hit"), 2.0 * checks) << b_->get("/metrics", std::nullopt).body;
  EXPECT_GT(view_cache(*b_, "miss"), 0.0);
  EXPECT_EQ(view_cache(*b_, "bypass"), 0.0);
  EXPECT_GT(redis_keys("coldtrack:view:1:order:*"), 0u);
  EXPECT_GT(redis_keys("coldtrack:view:1:tracking:*"), 0u);
}

// Redis down: both replicas keep answering from the database, and a status changed meanwhile is
// what each shows once Redis is back (the writer's owed invalidation was paid).
TEST_F(ViewsCacheIt, ViewsStayCorrectAcrossARedisOutage) {
  const auto no = unique_order_no("VCD");
  must_create(*a_, order_body(no, unique_phone()));
  auto status_on = [&](ServerProcess& s) {
    auto r = s.get("/api/orders/" + no, a_->viewer());
    EXPECT_EQ(r.status, 200) << r.body;
    return str(r.json().as_object(), "status");
  };
  EXPECT_EQ(status_on(*b_), "CREATED");
  EXPECT_EQ(status_on(*b_), "CREATED");
  redis_->stop();
  EXPECT_EQ(change_status(*a_, no, "PAID").status, 200);
  EXPECT_EQ(status_on(*b_), "PAID");
  EXPECT_EQ(status_on(*a_), "PAID");
  redis_->start();
  EXPECT_TRUE(
      eventually([&] { return view_cache(*b_, "hit") >= 2 && status_on(*b_) == "PAID"; }, 10s));
  EXPECT_EQ(status_on(*a_), "PAID");
  EXPECT_EQ(change_status(*a_, no, "REFUNDING").status, 200);
  EXPECT_EQ(status_on(*b_), "REFUNDING");
  const auto log = a_->stderr_text();
  EXPECT_NE(log.find("hot views: Redis unavailable"), std::string::npos) << log;
}

}  // namespace
}  // namespace coldtrack::it
