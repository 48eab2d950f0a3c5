// Our own consumers through the real binary, a private RabbitMQ broker and the simulator (SMS
// gateway and Kdniao): with queue.backend rabbitmq a status change is planned and a shipment
// subscribed via the broker queues, long before the outbox catch-up would (its grace is set far
// out), the queues drain, and changes made while the broker is down are handled once each after
// it comes back. Fails, never skips, when rabbitmq-server is missing.
#include <amqp.h>
#include <amqp_tcp_socket.h>

#include <memory>

#include "../rabbitmq_server.h"
#include "fixtures.h"
#include "sim/simulator.h"

namespace coldtrack::it {
namespace {

using namespace std::chrono_literals;
constexpr const char* kEbusinessId = "1299088";
constexpr const char* kKdniaoKey = "queue-it-kdniao-key";
const std::string kNotifications = "coldtrack.events.notifications";
const std::string kShipments = "coldtrack.events.shipments";

// Messages ready in `queue` (nullopt when it does not exist or the broker cannot be reached).
std::optional<std::uint32_t> ready(int port, const std::string& queue) {
  amqp_connection_state_t c = amqp_new_connection();
  amqp_socket_t* s = amqp_tcp_socket_new(c);
  timeval tv{5, 0};
  std::optional<std::uint32_t> out;
  if (s && amqp_socket_open_noblock(s, "127.0.0.1", port, &tv) == AMQP_STATUS_OK) {
    amqp_set_rpc_timeout(c, &tv);
    if (amqp_login(c, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest").reply_type ==
            AMQP_RESPONSE_NORMAL &&
        amqp_channel_open(c, 1)) {
      if (auto* ok = amqp_queue_declare(c, 1, amqp_cstring_bytes(queue.c_str()), /*passive=*/1, 0,
                                        0, 0, amqp_empty_table))
        out = ok->message_count;
    }
    amqp_connection_close(c, AMQP_REPLY_SUCCESS);
  }
  amqp_destroy_connection(c);
  return out;
}

class QueueConsumers : public ::testing::Test {
 public:
  static void SetUpTestSuite() {
    try {
      broker_ = std::make_unique<test_support::RabbitMqServer>();
    } catch (const std::exception& e) {
      setup_error_ = std::string("cannot run the RabbitMQ tests: ") + e.what();
      return;
    }
    sim::SimOptions so;
    so.port = 0;
    so.kdniao_ebusiness_id = kEbusinessId;
    so.kdniao_api_key = kKdniaoKey;
    sim_ = std::make_unique<sim::Simulator>(so);
    sim_->start();
    const auto base = sim_->base_url();
    server_ = std::make_unique<ServerProcess>(std::map<std::string, std::string>{
        {"COLDTRACK_QUEUE_BACKEND", "rabbitmq"},
        {"COLDTRACK_QUEUE_RABBITMQ_URL", broker_->url()},
        {"COLDTRACK_QUEUE_RABBITMQ_EXCHANGE", "coldtrack.events"},
        {"COLDTRACK_QUEUE_RELAY_INTERVAL_MS", "100"},
        // The outbox catch-up would only act after ten minutes: whatever happens within this
        // test came through the broker.
        {"COLDTRACK_QUEUE_CONSUMER_GRACE_S", "600"},
        {"COLDTRACK_NOTIFY_SMS_PROVIDER", "aliyun"},
        {"COLDTRACK_NOTIFY_SMS_ALIYUN_ENDPOINT", base + "/aliyun-sms/"},
        {"COLDTRACK_NOTIFY_SMS_ALIYUN_ACCESS_KEY_ID", "sim-aliyun-id"},
        {"COLDTRACK_NOTIFY_SMS_ALIYUN_ACCESS_KEY_SECRET", "sim-aliyun-secret"},
        {"COLDTRACK_NOTIFY_SMS_ALIYUN_SIGN_NAME", "冷链小店"},
        {"COLDTRACK_NOTIFY_SMS_ALIYUN_TEMPLATE_CODE", "SMS_100001"},
        {"COLDTRACK_NOTIFY_TICK_MS", "100"},
        {"COLDTRACK_NOTIFY_DIGEST_WINDOW_S", "0"},
        {"COLDTRACK_NOTIFY_QUIET_START_HOUR", "0"},
        {"COLDTRACK_NOTIFY_QUIET_END_HOUR", "0"},
        {"COLDTRACK_NOTIFY_MAX_PER_RECIPIENT_PER_HOUR", "0"},
        {"COLDTRACK_CARRIERS_KDNIAO_EBUSINESS_ID", kEbusinessId},
        {"COLDTRACK_CARRIERS_KDNIAO_API_KEY", kKdniaoKey},
        {"COLDTRACK_CARRIERS_KDNIAO_QUERY_URL",
         base + "/kdniao/Ebusiness/EbusinessOrderHandle.aspx"},
        {"COLDTRACK_CARRIERS_KDNIAO_SUBSCRIBE_URL", base + "/kdniao/api/dist"},
        {"COLDTRACK_TRACKING_ENABLED", "true"},
        {"COLDTRACK_TRACKING_TICK_MS", "100"},
        {"COLDTRACK_TRACKING_FALLBACK_PROVIDER", "none"},
        {"COLDTRACK_ANOMALIES_ENABLED", "false"}});
    try {
      server_->start();
    } catch (const std::exception& e) {
      setup_error_ = e.what();
      server_.reset();
    }
  }
  static void TearDownTestSuite() {
    server_.reset();
    if (sim_) sim_->stop();
    sim_.reset();
    broker_.reset();
  }

 protected:
  void SetUp() override {
    if (!server_) FAIL() << setup_error_;
  }
  void TearDown() override {
    if (HasFailure() && server_)
      std::cerr << "---- coldtrack stderr ----\n" << server_->stderr_text() << std::endl;
  }

  ServerProcess& s() { return *server_; }

  // A PAID order (without an openid: the customer is told by SMS) that is then shipped.
  std::string shipped_order() {
    const auto no = unique_order_no("MQC");
    must_create(s(), order_body(no, unique_phone()));
    EXPECT_EQ(change_status(s(), no, "PAID").status, 200);
    auto r = add_shipment(s(), no, "SF", unique_waybill("SF"));
    EXPECT_EQ(r.status, 200) << r.body;
    return no;
  }

  std::size_t notifications(const std::string& no) {
    auto r = s().get("/api/notifications?order_no=" + no, s().viewer());
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? r.json().as_object().at("items").as_array().size() : 0;
  }

  std::uint64_t subscriptions() const {
    return sim_->stats().at("kdniao").as_object().at("subscriptions").to_number<std::uint64_t>();
  }

  // coldtrack_queue_consumed_total for `queue` and `outcome` on /metrics.
  double consumed(const std::string& queue, const std::string& outcome) {
    auto r = s().get("/metrics", std::nullopt);
    EXPECT_EQ(r.status, 200);
    std::istringstream lines(r.body);
    for (std::string line; std::getline(lines, line);) {
      if (!line.starts_with("coldtrack_queue_consumed_total{")) continue;
      if (line.find("queue=\"" + queue + "\"") == std::string::npos) continue;
      if (line.find("outcome=\"" + outcome + "\"") == std::string::npos) continue;
      return std::stod(line.substr(line.rfind(' ') + 1));
    }
    return -1;
  }

  bool drained() {
    return ready(broker_->port(), kNotifications) == 0u && ready(broker_->port(), kShipments) == 0u;
  }

  static inline std::unique_ptr<test_support::RabbitMqServer> broker_;
  static inline std::unique_ptr<sim::Simulator> sim_;
  static inline std::unique_ptr<ServerProcess> server_;
  static inline std::string setup_error_;
};

TEST_F(QueueConsumers, ChangesArePlannedAndSubscribedViaTheQueuesLongBeforeTheCatchUp) {
  const auto subscribed_before = subscriptions();
  const auto acked_before = std::max(0.0, consumed(kNotifications, "acked"));
  const auto started = std::chrono::steady_clock::now();
  const auto no = shipped_order();
  ASSERT_TRUE(eventually([&] { return notifications(no) == 1; }, 15s));
  ASSERT_TRUE(eventually([&] { return subscriptions() == subscribed_before + 1; }, 15s));
  // Well inside the 600 s grace: the consumers did it.
  EXPECT_LT(std::chrono::steady_clock::now() - started, 30s);
  ASSERT_TRUE(eventually([&] { return drained(); }, 10s));
  EXPECT_EQ(ready(broker_->port(), kNotifications + ".dead"), 0u);
  EXPECT_EQ(ready(broker_->port(), kShipments + ".dead"), 0u);
  // Both status changes (PAID, SHIPPED) went through the notifications queue and were acked.
  EXPECT_TRUE(eventually([&] { return consumed(kNotifications, "acked") >= acked_before + 2; }, 5s))
      << consumed(kNotifications, "acked");
  EXPECT_GE(consumed(kShipments, "acked"), 1.0);
  EXPECT_EQ(consumed(kNotifications, "dead"), 0.0);
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(notifications(no), 1u);
  EXPECT_EQ(subscriptions(), subscribed_before + 1);
}

TEST_F(QueueConsumers, ChangesMadeWhileTheBrokerIsDownAreHandledOnceWhenItIsBack) {
  const auto subscribed_before = subscriptions();
  broker_->stop();  // SIGKILL: as abrupt as a crash
  std::vector<std::string> orders;
  for (int i = 0; i < 3; ++i) orders.push_back(shipped_order());  // the API keeps working
  std::this_thread::sleep_for(1500ms);
  for (const auto& no : orders)
    EXPECT_EQ(notifications(no), 0u) << "waiting in the outbox: the catch-up's grace is 600 s";

  broker_->start();
  ASSERT_TRUE(eventually(
      [&] {
        for (const auto& no : orders)
          if (notifications(no) != 1) return false;
        return subscriptions() == subscribed_before + orders.size();
      },
      40s))
      << "subscriptions " << subscriptions() - subscribed_before;
  ASSERT_TRUE(eventually([&] { return drained(); }, 10s));
  std::this_thread::sleep_for(1500ms);  // nothing twice
  for (const auto& no : orders) EXPECT_EQ(notifications(no), 1u) << no;
  EXPECT_EQ(subscriptions(), subscribed_before + orders.size());
  EXPECT_EQ(ready(broker_->port(), kNotifications + ".dead"), 0u);
  EXPECT_TRUE(s().healthy());
}

// Last in the suite: it stops the shared server.
TEST_F(QueueConsumers, SigtermStopsTheConsumersCleanly) {
  EXPECT_EQ(s().stop(), 0) << s().stderr_text();
  EXPECT_NE(s().stderr_text().find("stopped cleanly"), std::string::npos);
  // Whatever they held was acked or went back: nothing is left unacked in the queues.
  EXPECT_EQ(ready(broker_->port(), kNotifications), 0u);
  EXPECT_EQ(ready(broker_->port(), kShipments), 0u);
}

}  // namespace
}  // namespace coldtrack::it
