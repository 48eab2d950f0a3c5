// Redis and RabbitMQ stopped in the middle of a load through the real binary: the service keeps
// acknowledging requests (nonces and rate limits fall back to the process, changes wait in the
// outbox), and once both are back every acknowledged change reaches the broker; nothing is lost.
// Fails, never skips, when redis-server or rabbitmq-server is missing.
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "../rabbitmq_server.h"
#include "../redis_server.h"
#include "fixtures.h"

namespace coldtrack::it {
namespace {

using namespace std::chrono_literals;

struct Load {
  std::mutex mu;
  std::vector<std::string> acknowledged;  // orders created and paid, both answered 2xx
  std::map<int, int> statuses;            // every answer's HTTP status, counted
  std::vector<std::string> failures;      // the bodies of non-2xx answers
};

void load_until(ServerProcess& s, const std::atomic<bool>& stop, Load& load) {
  while (!stop) {
    const auto no = unique_order_no("OUT");
    const auto created = create_order(s, order_body(no, "13812345678"));
    auto paid = created.status == 201 ? change_status(s, no, "PAID") : created;
    std::lock_guard lock(load.mu);
    ++load.statuses[created.status];
    if (created.status == 201) ++load.statuses[paid.status];
    if (created.status == 201 && paid.status == 200) {
      load.acknowledged.push_back(no);
    } else {
      load.failures.push_back(created.status == 201 ? paid.body : created.body);
    }
  }
}

std::size_t acknowledged(Load& load) {
  std::lock_guard lock(load.mu);
  return load.acknowledged.size();
}

TEST(Outage, RedisAndRabbitMqStoppedMidLoadLoseNothing) {
  std::unique_ptr<test_support::RedisServer> redis;
  std::unique_ptr<test_support::RabbitMqServer> broker;
  try {
    redis = std::make_unique<test_support::RedisServer>();
    broker = std::make_unique<test_support::RabbitMqServer>();
  } catch (const std::exception& e) {
    FAIL() << "cannot run the outage test: " << e.what();
  }
  // Bound before anything is published; its durable queue outlives the broker's crash.
  auto consumer =
      std::make_unique<test_support::TestConsumer>(broker->port(), "outage.events", "outage-it");
  ServerProcess s({{"COLDTRACK_CACHE_BACKEND", "redis"},
                   {"COLDTRACK_CACHE_REDIS_URL", redis->url()},
                   {"COLDTRACK_CACHE_REDIS_TIMEOUT_MS", "200"},
                   {"COLDTRACK_CACHE_REDIS_KEY_PREFIX", "outage:"},
                   {"COLDTRACK_QUEUE_BACKEND", "rabbitmq"},
                   {"COLDTRACK_QUEUE_RABBITMQ_URL", broker->url()},
                   {"COLDTRACK_QUEUE_RABBITMQ_EXCHANGE", "outage.events"},
                   {"COLDTRACK_QUEUE_RELAY_INTERVAL_MS", "100"}});
  s.start();
  s.operator_key();  // created before the load threads share the server handle

  Load load;
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int i = 0; i < 2; ++i) clients.emplace_back([&] { load_until(s, stop, load); });

  // Healthy, then both down while requests keep coming, then both back.
  ASSERT_TRUE(eventually([&] { return acknowledged(load) >= 10; }, 20s));
  redis->stop();
  broker->stop();
  const auto before_outage = acknowledged(load);
  ASSERT_TRUE(eventually([&] { return acknowledged(load) >= before_outage + 20; }, 30s))
      << "the service stopped acknowledging while Redis and RabbitMQ were down";
  const auto during_outage = acknowledged(load) - before_outage;
  redis->start();
  broker->start();
  consumer =
      std::make_unique<test_support::TestConsumer>(broker->port(), "outage.events", "outage-it");
  const auto after_outage = acknowledged(load);
  ASSERT_TRUE(eventually([&] { return acknowledged(load) >= after_outage + 10; }, 20s));
  stop = true;
  for (auto& t : clients) t.join();

  // Every request was answered with success: no 5xx, no refusals.
  {
    std::lock_guard lock(load.mu);
    for (const auto& [status, n] : load.statuses)
      EXPECT_TRUE(status == 200 || status == 201) << n << " answers with status " << status;
    EXPECT_TRUE(load.failures.empty()) << load.failures.front();
  }
  EXPECT_GE(during_outage, 20u);

  // Every acknowledged order is stored and paid.
  for (const auto& no : load.acknowledged) EXPECT_EQ(order_status(s, no), "PAID") << no;

  // Every acknowledged change reaches the broker once the outage is over (the relay may publish
  // a message twice when a confirm was lost with the broker; consumers dedupe by message id).
  std::set<std::string> wanted;
  for (const auto& no : load.acknowledged) {
    wanted.insert("order.created " + no);
    wanted.insert("order.status_changed " + no);
  }
  std::set<std::string> seen;
  auto missing = [&] {
    for (auto& m : consumer->drain())
      for (const auto& no : load.acknowledged)
        if (m.body.find("\"" + no + "\"") != std::string::npos)
          seen.insert(m.routing_key + " " + no);
    std::size_t n = 0;
    for (const auto& w : wanted) n += !seen.count(w);
    return n;
  };
  EXPECT_TRUE(eventually([&] { return missing() == 0; }, 60s))
      << missing() << " of " << wanted.size() << " acknowledged changes never reached the broker";

  // Both outages were noticed and survived, as the log says.
  const auto log = s.stderr_text();
  EXPECT_NE(log.find("Redis unavailable"), std::string::npos);
  EXPECT_NE(log.find("Redis answers again"), std::string::npos);
  EXPECT_NE(log.find("broker unavailable"), std::string::npos);
}

}  // namespace
}  // namespace coldtrack::it
