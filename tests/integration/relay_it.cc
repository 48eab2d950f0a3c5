// queue.backend: rabbitmq through the real binary and a private RabbitMQ broker: the changes an
// API client makes reach a queue bound to the relay's exchange, once each, identified by their
// outbox key. Fails, never skips, when rabbitmq-server is missing.
#include <set>

#include "../rabbitmq_server.h"
#include "fixtures.h"

namespace coldtrack::it {
namespace {

using namespace std::chrono_literals;

TEST(Relay, OrderChangesReachTheExchangeOncePerOutboxRow) {
  std::unique_ptr<test_support::RabbitMqServer> broker;
  try {
    broker = std::make_unique<test_support::RabbitMqServer>();
  } catch (const std::exception& e) {
    FAIL() << "cannot run the RabbitMQ tests: " << e.what();
  }
  // Bound before anything is published, as a downstream service would be.
  test_support::TestConsumer consumer(broker->port(), "coldtrack.events", "relay-it");
  ServerProcess s({{"COLDTRACK_QUEUE_BACKEND", "rabbitmq"},
                   {"COLDTRACK_QUEUE_RABBITMQ_URL", broker->url()},
                   {"COLDTRACK_QUEUE_RABBITMQ_EXCHANGE", "coldtrack.events"},
                   {"COLDTRACK_QUEUE_RELAY_INTERVAL_MS", "100"}});
  s.start();
  const auto no = unique_order_no("MQ");
  must_create(s, order_body(no, "13812345678"));
  ASSERT_EQ(change_status(s, no, "PAID").status, 200);

  std::vector<test_support::Received> got;
  ASSERT_TRUE(eventually(
      [&] {
        for (auto& m : consumer.drain()) got.push_back(std::move(m));
        std::size_t mine = 0;
        for (const auto& m : got) mine += m.body.find(no) != std::string::npos;
        return mine >= 2;
      },
      15s));
  std::this_thread::sleep_for(500ms);
  for (auto& m : consumer.drain()) got.push_back(std::move(m));
  std::multiset<std::string> routing;
  for (const auto& m : got) {
    if (m.body.find(no) == std::string::npos) continue;
    routing.insert(m.routing_key);
    EXPECT_EQ(m.content_type, "application/json");
    EXPECT_EQ(m.delivery_mode, 2);  // persistent
    EXPECT_FALSE(m.message_id.empty());
  }
  EXPECT_EQ(routing, (std::multiset<std::string>{"order.created", "order.status_changed"}));
}

}  // namespace
}  // namespace coldtrack::it
