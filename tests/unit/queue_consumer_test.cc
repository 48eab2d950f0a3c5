// Our own broker consumers against a real SQLite store and a real, private RabbitMQ broker: the
// queues and their dead-letter queues are declared (by the relay before anything is published,
// and by the consumer), a delivery is acked only after its work is committed, a redelivery or a
// duplicate is handled once, malformed messages are dead-lettered, a transient store failure
// requeues without losing anything, and the outbox catch-up path keeps off leased rows and rows
// younger than the grace period.
#include "service/queue_consumer.h"

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <set>

#include "../rabbitmq_server.h"
#include "app/consumers.h"
#include "queue/rabbitmq_consumer.h"
#include "queue/rabbitmq_publisher.h"
#include "service/notification_service.h"
#include "service/order_service.h"
#include "service/outbox_relay.h"
#include "service/pii.h"
#include "store/sql/conn.h"
#include "store/sqlite/sqlite_store.h"

namespace coldtrack {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using domain::EpochMs;
using service::ConsumeOutcome;

constexpr EpochMs kNoon = 1'795'583'100'000;
const std::string kDataKey = "0123456789abcdef0123456789ABCDEF";

// Broker-side checks and injections over a connection of its own (one per call, so a failed
// passive declare, which closes the channel, never spoils the next call).
class Admin {
 public:
  explicit Admin(int port) : port_(port) {}

  // Messages ready in `queue` (not counting those delivered and not yet acked); nullopt when
  // the queue does not exist.
  std::optional<std::uint32_t> ready(const std::string& queue) const {
    Conn c(port_);
    auto* ok =
        amqp_queue_declare(c.c, 1, amqp_cstring_bytes(queue.c_str()), 1, 0, 0, 0, amqp_empty_table);
    if (!ok) return std::nullopt;
    return ok->message_count;
  }

  void publish(const std::string& exchange, const std::string& routing_key,
               const std::string& message_id, const std::string& body) const {
    Conn c(port_);
    amqp_basic_properties_t props{};
    props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG;
    props.delivery_mode = AMQP_DELIVERY_PERSISTENT;
    if (!message_id.empty()) {
      props._flags |= AMQP_BASIC_MESSAGE_ID_FLAG;
      props.message_id = amqp_cstring_bytes(message_id.c_str());
    }
    amqp_bytes_t b{body.size(), const_cast<char*>(body.data())};
    ASSERT_EQ(amqp_basic_publish(c.c, 1, amqp_cstring_bytes(exchange.c_str()),
                                 amqp_cstring_bytes(routing_key.c_str()), 0, 0, &props, b),
              AMQP_STATUS_OK);
    // Conn's destructor closes the connection with a round trip: the broker has routed the
    // message by the time it returns.
  }

  // Waits (up to 5 s) until `queue` has `n` messages ready; returns the last count seen. Settling
  // and dead-lettering are asynchronous, so checks from another connection wait a little.
  std::optional<std::uint32_t> ready_soon(const std::string& queue, std::uint32_t n) const {
    std::optional<std::uint32_t> got;
    for (int i = 0; i < 100; ++i) {
      got = ready(queue);
      if (got == n) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return got;
  }

  // Declares a plain durable queue (no dead-letter arguments).
  void declare_plain(const std::string& queue) const {
    Conn c(port_);
    ASSERT_TRUE(amqp_queue_declare(c.c, 1, amqp_cstring_bytes(queue.c_str()), 0, 1, 0, 0,
                                   amqp_empty_table));
  }

  // Takes every message out of `queue`.
  std::vector<test_support::Received> take_all(const std::string& queue) const {
    Conn c(port_);
    std::vector<test_support::Received> out;
    for (;;) {
      amqp_maybe_release_buffers(c.c);
      auto r = amqp_basic_get(c.c, 1, amqp_cstring_bytes(queue.c_str()), /*no_ack=*/1);
      if (r.reply_type != AMQP_RESPONSE_NORMAL || r.reply.id == AMQP_BASIC_GET_EMPTY_METHOD)
        return out;
      test_support::Received m;
      m.routing_key = str(static_cast<amqp_basic_get_ok_t*>(r.reply.decoded)->routing_key);
      amqp_message_t msg;
      if (amqp_read_message(c.c, 1, &msg, 0).reply_type != AMQP_RESPONSE_NORMAL) return out;
      if (msg.properties._flags & AMQP_BASIC_MESSAGE_ID_FLAG)
        m.message_id = str(msg.properties.message_id);
      m.body = str(msg.body);
      amqp_destroy_message(&msg);
      out.push_back(std::move(m));
    }
  }

 private:
  struct Conn {
    amqp_connection_state_t c = amqp_new_connection();
    explicit Conn(int port) {
      amqp_socket_t* s = amqp_tcp_socket_new(c);
      timeval tv{5, 0};
      if (!s || amqp_socket_open_noblock(s, "127.0.0.1", port, &tv) != AMQP_STATUS_OK)
        throw std::runtime_error("admin cannot connect");
      amqp_set_rpc_timeout(c, &tv);
      if (amqp_login(c, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest").reply_type !=
          AMQP_RESPONSE_NORMAL)
        throw std::runtime_error("admin cannot log in");
      amqp_channel_open(c, 1);
      if (amqp_get_rpc_reply(c).reply_type != AMQP_RESPONSE_NORMAL)
        throw std::runtime_error("admin cannot open a channel");
    }
    ~Conn() {
      amqp_connection_close(c, AMQP_REPLY_SUCCESS);
      amqp_destroy_connection(c);
    }
  };
  static std::string str(amqp_bytes_t b) {
    return std::string(static_cast<const char*>(b.bytes), b.len);
  }
  int port_;
};

struct NullSender : notify::Sender {
  notify::SendReport send(const notify::Delivery&) override {
    return {notify::SendStatus::kSent, "", "ref", 0};
  }
};

// The relay's RelayStore with lookups that fail on demand (a store that is unreachable).
class FlakyRelayStore : public store::RelayStore {
 public:
  explicit FlakyRelayStore(store::RelayStore& inner) : inner_(inner) {}
  std::vector<store::OutboxMessage> unrelayed(std::int64_t after_id, int limit) override {
    return inner_.unrelayed(after_id, limit);
  }
  void mark_relayed(const std::vector<std::int64_t>& ids, EpochMs now) override {
    inner_.mark_relayed(ids, now);
  }
  std::optional<store::OutboxRow> outbox_message(std::string_view msg_key) override {
    if (failing_lookups > 0) {
      --failing_lookups;
      throw store::sql::Error("server has gone away", 2006, /*retryable=*/true);
    }
    return inner_.outbox_message(msg_key);
  }
  bool lease_outbox(std::int64_t id, EpochMs seen, EpochMs until) override {
    return inner_.lease_outbox(id, seen, until);
  }
  int failing_lookups = 0;

 private:
  store::RelayStore& inner_;
};

class QueueConsumerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    try {
      broker_ = new test_support::RabbitMqServer();
    } catch (const std::exception& e) {
      start_error_ = e.what();
    }
  }
  static void TearDownTestSuite() {
    delete broker_;
    broker_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(broker_) << "cannot start a private RabbitMQ broker: " << start_error_;
    spdlog::set_level(spdlog::level::off);  // dead letters and requeues log errors on purpose
    static std::atomic<int> counter{0};
    const int n = counter++;
    path_ = fs::temp_directory_path() /
            ("coldtrack_consume_" + std::to_string(::getpid()) + "_" + std::to_string(n) + ".db");
    exchange_ = "ct.consume." + std::to_string(::getpid()) + "." + std::to_string(n);
    queue_ = {exchange_ + ".notifications", service::NotificationService::outbox_topics()};
    store_ = std::make_unique<store::sqlite::SqliteStore>(store::sqlite::SqliteOptions{path_});
    flaky_ = std::make_unique<FlakyRelayStore>(*store_);
    pii_ = std::make_unique<service::PiiCodec>(kDataKey);
    orders_ = std::make_unique<service::OrderService>(*store_, *pii_, [this] { return now_; });
    service::NotificationOptions no;
    no.policy = notify::default_policy();
    no.outbox_grace_ms = 120'000;  // as with queue.backend rabbitmq
    notifications_ = std::make_unique<service::NotificationService>(
        *store_, *pii_, nullptr, service::NotificationChannels{&sender_, nullptr, nullptr, nullptr},
        std::move(no), [this] { return now_; });

    queue::RabbitMqOptions po;
    po.url = broker_->url();
    po.exchange = exchange_;
    po.dead_letter_exchange = exchange_ + ".dlx";
    po.dead_letter_queue = exchange_ + ".dead";
    po.consumer_queues = {queue_};
    publisher_ = std::make_unique<queue::RabbitMqPublisher>(po);
    relay_ = std::make_unique<service::OutboxRelay>(*store_, *publisher_, [this] { return now_; });

    queue::RabbitMqConsumerOptions co;
    co.url = broker_->url();
    co.exchange = exchange_;
    co.dead_letter_exchange = exchange_ + ".dlx";
    co.queue = queue_;
    co.prefetch = 10;
    consumer_ = std::make_unique<queue::RabbitMqConsumer>(co);
    service::OutboxHandler h;
    h.topics = queue_.routing_keys;
    h.handle = [this](const store::OutboxMessage& m) {
      ++handled_;
      if (throw_in_handler_ > 0) {
        --throw_in_handler_;
        throw store::sql::Error("database is locked", 5, /*retryable=*/true);
      }
      if (before_work_) std::exchange(before_work_, nullptr)();
      const bool understood = notifications_->handle_outbox(m).understood;
      if (after_work_) std::exchange(after_work_, nullptr)(m);
      return understood;
    };
    service::QueueConsumerOptions lo;
    lo.poll_wait = 200ms;
    lo.requeue_pause = 20ms;
    loop_ = std::make_unique<service::QueueConsumer>(*flaky_, *consumer_, std::move(h), lo,
                                                     [this] { return now_; });
    admin_ = std::make_unique<Admin>(broker_->port());
  }

  void TearDown() override {
    loop_.reset();
    consumer_.reset();
    relay_.reset();
    publisher_.reset();
    notifications_.reset();
    orders_.reset();
    flaky_.reset();
    store_.reset();
    for (const char* suffix : {"", "-wal", "-shm", "-users"}) fs::remove(path_.string() + suffix);
  }

  // A PAID, then SHIPPED order: two "order.status_changed" rows for the notifications queue (the
  // SHIPPED one plans one WeChat job) and an "order.shipment_added" row it does not take.
  void shipped(const std::string& no) {
    domain::NewOrder o;
    o.order_no = no;
    o.customer = {"张三", "13800000001", "oOpenid1"};
    o.address = {"上海市", "上海市", "浦东新区", "世纪大道100号"};
    o.items = {{"DJ-1", "三鲜水饺 1kg", "frozen", 1, 3990}};
    o.amount_fen = 3990;
    ASSERT_TRUE(orders_->create(o, actor_).ok());
    ASSERT_TRUE(orders_->change_status(no, domain::OrderStatus::kPaid, now_, "", actor_).ok());
    ASSERT_TRUE(orders_->add_shipment(no, "SF", "SF" + no, actor_).ok());
  }

  // The order's "order.status_changed" rows (the ones the queue carries).
  std::vector<store::OutboxRow> status_rows() {
    std::vector<store::OutboxRow> out;
    for (const auto& m : store_->unrelayed(0, 1000))
      if (m.topic == "order.status_changed") out.push_back(*store_->outbox_message(m.key));
    return out;
  }
  std::vector<store::OutboxRow> rows_by_key(const std::vector<std::string>& keys) {
    std::vector<store::OutboxRow> out;
    for (const auto& k : keys) out.push_back(*store_->outbox_message(k));
    return out;
  }

  std::size_t jobs(const std::string& no) {
    store::NotificationFilter f;
    f.order_no = no;
    return store_->list_notifications(f).items.size();
  }

  // Runs the consumer until `n` deliveries were settled (or 20 s passed).
  std::map<ConsumeOutcome, int> consume(int n) {
    std::map<ConsumeOutcome, int> out;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    for (int got = 0; got < n && std::chrono::steady_clock::now() < deadline;) {
      if (auto o = loop_->run_once()) {
        ++out[*o];
        ++got;
      }
    }
    return out;
  }

  // Nothing ready and nothing held: after the consumer lets go, nothing comes back.
  void expect_drained() {
    EXPECT_EQ(admin_->ready(queue_.name), 0u);
    consumer_->disconnect();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_EQ(admin_->ready(queue_.name), 0u) << "deliveries were left unacked";
  }

  static inline test_support::RabbitMqServer* broker_ = nullptr;
  static inline std::string start_error_;
  fs::path path_;
  std::string exchange_;
  queue::ConsumerQueue queue_;
  EpochMs now_ = kNoon;
  service::Actor actor_{"apikey:test", "operator", "r", "127.0.0.1"};
  NullSender sender_;
  std::unique_ptr<store::sqlite::SqliteStore> store_;
  std::unique_ptr<FlakyRelayStore> flaky_;
  std::unique_ptr<service::PiiCodec> pii_;
  std::unique_ptr<service::OrderService> orders_;
  std::unique_ptr<service::NotificationService> notifications_;
  std::unique_ptr<queue::RabbitMqPublisher> publisher_;
  std::unique_ptr<service::OutboxRelay> relay_;
  std::unique_ptr<queue::RabbitMqConsumer> consumer_;
  std::unique_ptr<service::QueueConsumer> loop_;
  std::unique_ptr<Admin> admin_;
  int handled_ = 0;
  int throw_in_handler_ = 0;
  std::function<void()> before_work_;
  std::function<void(const store::OutboxMessage&)> after_work_;
};

TEST_F(QueueConsumerTest, TheRelayDeclaresTheQueuesSoNothingPublishedBeforeAConsumerIsLost) {
  shipped("CQ100");
  EXPECT_EQ(admin_->ready(queue_.name), std::nullopt);
  ASSERT_GT(relay_->relay_once(), 0);  // no consumer has ever connected
  EXPECT_EQ(admin_->ready(queue_.name), 2u) << "the two status changes, queued for the consumer";
  EXPECT_EQ(admin_->ready(queue_.name + ".dead"), 0u);

  auto outcomes = consume(2);
  EXPECT_EQ(outcomes[ConsumeOutcome::kAcked], 2);
  EXPECT_EQ(jobs("CQ100"), 1u);
  for (const auto& r : status_rows()) EXPECT_TRUE(r.done_at) << r.message.key;
  expect_drained();
}

TEST_F(QueueConsumerTest, AConsumerQueueTheBrokerRefusesDoesNotStopTheRelay) {
  // Someone declared the queue with other arguments: redeclaring it fails (406).
  admin_->declare_plain(queue_.name);
  shipped("CQ150");
  const auto rows = store_->unrelayed(0, 1000).size();
  EXPECT_EQ(relay_->relay_once(), static_cast<int>(rows)) << publisher_->last_error();
  EXPECT_TRUE(store_->unrelayed(0, 1000).empty());
  // The consumer cannot declare it either: it reports that and keeps retrying, without throwing.
  EXPECT_FALSE(loop_->run_once().has_value());
  EXPECT_FALSE(consumer_->connected());
  EXPECT_NE(consumer_->last_error().find("PRECONDITION_FAILED"), std::string::npos)
      << consumer_->last_error();
}

TEST_F(QueueConsumerTest, TheConsumerDeclaresItsQueueAndDeadLetterQueueAtConnect) {
  queue::RabbitMqConsumerOptions co;
  co.url = broker_->url();
  co.exchange = exchange_ + ".own";
  co.dead_letter_exchange = exchange_ + ".own.dlx";
  co.queue = {exchange_ + ".own.q", {"order.status_changed", "anomaly.*"}};
  queue::RabbitMqConsumer c(co);
  EXPECT_FALSE(c.poll(300ms).has_value());
  ASSERT_TRUE(c.connected()) << c.last_error();
  EXPECT_EQ(admin_->ready(co.queue.name), 0u);
  EXPECT_EQ(admin_->ready(co.queue.name + ".dead"), 0u);
  // Bound with the routing keys it asked for, and only those.
  admin_->publish(co.exchange, "anomaly.opened", "m1", "{}");
  admin_->publish(co.exchange, "order.created", "m2", "{}");
  auto d = c.poll(5s);
  ASSERT_TRUE(d.has_value()) << c.last_error();
  EXPECT_EQ(d->message_id, "m1");
  EXPECT_EQ(d->routing_key, "anomaly.opened");
  EXPECT_FALSE(d->redelivered);
  // Rejected without requeue: kept in the dead-letter queue.
  ASSERT_TRUE(c.reject(*d, false));
  EXPECT_FALSE(c.poll(300ms).has_value());
  EXPECT_EQ(admin_->ready_soon(co.queue.name + ".dead", 1), 1u);
  const auto dead = admin_->take_all(co.queue.name + ".dead");
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].message_id, "m1");
}

TEST_F(QueueConsumerTest, ADeliveryIsAckedOnlyAfterTheWorkAndARedeliveryIsHandledOnce) {
  shipped("CQ200");
  ASSERT_GT(relay_->relay_once(), 0);
  std::optional<std::uint32_t> ready_during, ready_after_drop;
  bool done_before_ack = false;
  after_work_ = [&](const store::OutboxMessage& m) {
    // The work is committed; the delivery is still held, unacked.
    done_before_ack = store_->outbox_message(m.key)->done_at.has_value();
    ready_during = admin_->ready(queue_.name);
    consumer_->disconnect();  // the connection is lost before the ack
    ready_after_drop = admin_->ready_soon(queue_.name, 2);
  };
  ASSERT_EQ(consume(1)[ConsumeOutcome::kUnsettled], 1) << "the ack could not be sent";
  EXPECT_TRUE(done_before_ack);
  EXPECT_EQ(ready_during, 0u) << "both deliveries held by the consumer";
  EXPECT_EQ(ready_after_drop, 2u) << "not acked: both went back to the queue";

  // Delivered again (redelivered): the one already done is skipped, the other handled.
  const int before = handled_;
  auto outcomes = consume(2);
  EXPECT_EQ(outcomes[ConsumeOutcome::kDuplicate], 1);
  EXPECT_EQ(outcomes[ConsumeOutcome::kAcked], 1);
  EXPECT_EQ(handled_ - before, 1) << "the done one is not worked on again";
  EXPECT_EQ(jobs("CQ200"), 1u);
  for (const auto& r : status_rows()) EXPECT_TRUE(r.done_at) << r.message.key;
  expect_drained();
}

TEST_F(QueueConsumerTest, MalformedMessagesLandInTheDeadLetterQueue) {
  EXPECT_FALSE(loop_->run_once().has_value());  // connects: the queue exists from here on
  ASSERT_TRUE(consumer_->connected()) << consumer_->last_error();
  admin_->publish(exchange_, "order.status_changed", "bad-json", "not json {");
  admin_->publish(exchange_, "order.status_changed", "", R"({"order_no":"CQ300"})");
  admin_->publish(exchange_, "anomaly.opened", "no-such-key", R"({"order_no":"CQ300"})");
  auto outcomes = consume(3);
  EXPECT_EQ(outcomes[ConsumeOutcome::kDead], 3);
  EXPECT_EQ(handled_, 0);
  EXPECT_EQ(admin_->ready_soon(queue_.name + ".dead", 3), 3u);
  std::multiset<std::string> ids;
  for (const auto& m : admin_->take_all(queue_.name + ".dead")) ids.insert(m.message_id);
  EXPECT_EQ(ids, (std::multiset<std::string>{"bad-json", "", "no-such-key"}));
  expect_drained();
}

TEST_F(QueueConsumerTest, ATransientStoreFailureRequeuesAndTheMessageIsHandledLater) {
  shipped("CQ400");
  ASSERT_GT(relay_->relay_once(), 0);
  flaky_->failing_lookups = 1;  // the store is unreachable for the first lookup
  throw_in_handler_ = 1;        // and fails again once the row is leased
  auto outcomes = consume(4);
  EXPECT_EQ(outcomes[ConsumeOutcome::kRequeued], 2);
  // The requeued delivery whose row this consumer had leased is taken up again at once, not
  // left to wait out its own lease.
  EXPECT_EQ(outcomes[ConsumeOutcome::kAcked], 2);
  EXPECT_EQ(outcomes[ConsumeOutcome::kDuplicate], 0);
  EXPECT_EQ(jobs("CQ400"), 1u);
  for (const auto& r : status_rows()) EXPECT_TRUE(r.done_at) << r.message.key;
  EXPECT_EQ(admin_->ready(queue_.name + ".dead"), 0u);
  expect_drained();
}

TEST_F(QueueConsumerTest, DuplicateDeliveriesAreHandledOnce) {
  shipped("CQ500");
  const auto rows = status_rows();
  ASSERT_EQ(rows.size(), 2u);
  ASSERT_GT(relay_->relay_once(), 0);
  // At-least-once: the same messages published a second time (a relay batch sent again).
  for (const auto& r : rows)
    admin_->publish(exchange_, r.message.topic, r.message.key, r.message.payload);
  auto outcomes = consume(4);
  EXPECT_EQ(outcomes[ConsumeOutcome::kAcked], 2);
  EXPECT_EQ(outcomes[ConsumeOutcome::kDuplicate], 2);
  EXPECT_EQ(handled_, 2);
  EXPECT_EQ(jobs("CQ500"), 1u);
  expect_drained();
}

TEST_F(QueueConsumerTest, TheOutboxCatchUpWaitsOutTheGraceAndKeepsOffLeasedRows) {
  shipped("CQ600");
  const auto rows = status_rows();
  ASSERT_EQ(rows.size(), 2u);
  // Young rows are the consumers': the catch-up path leaves them.
  notifications_->plan_pending();
  for (const auto& r : rows_by_key({rows[0].message.key, rows[1].message.key}))
    EXPECT_FALSE(r.done_at);
  EXPECT_EQ(jobs("CQ600"), 0u);

  // Past the grace period (the broker was late), while the consumer works on the first one.
  ASSERT_GT(relay_->relay_once(), 0);
  now_ = kNoon + 125'000;
  before_work_ = [&] { notifications_->plan_pending(); };
  auto outcomes = consume(2);
  // The catch-up took the row nobody held and left the leased one; the consumer then found the
  // other one done: each handled once.
  EXPECT_EQ(outcomes[ConsumeOutcome::kAcked], 1);
  EXPECT_EQ(outcomes[ConsumeOutcome::kDuplicate], 1);
  EXPECT_EQ(jobs("CQ600"), 1u);
  for (const auto& r : rows_by_key({rows[0].message.key, rows[1].message.key}))
    EXPECT_TRUE(r.done_at);
  expect_drained();
}

TEST_F(QueueConsumerTest, TheCatchUpTakesWhatTheBrokerNeverDelivered) {
  shipped("CQ700");  // never relayed: the broker lost it, or was down throughout
  now_ = kNoon + 121'000;
  EXPECT_EQ(notifications_->plan_pending(), 1);
  EXPECT_EQ(jobs("CQ700"), 1u);
  // Relayed late after all: the consumer finds both done and only acks.
  ASSERT_GT(relay_->relay_once(), 0);
  auto outcomes = consume(2);
  EXPECT_EQ(outcomes[ConsumeOutcome::kDuplicate], 2);
  EXPECT_EQ(jobs("CQ700"), 1u);
  expect_drained();
}

TEST(QueueConsumersConfig, QueuesAndTheDeadLetterExchangeFollowTheExchange) {
  app::Config c;
  EXPECT_FALSE(app::queue_consumers_on(c));  // backend memory: the outbox workers, as ever
  EXPECT_EQ(app::outbox_grace_ms(c), 0);
  EXPECT_TRUE(app::consumer_queues(c, true, true).empty());
  c.queue.backend = "rabbitmq";
  c.queue.rabbitmq.exchange = "shop7.events";
  EXPECT_TRUE(app::queue_consumers_on(c));
  EXPECT_EQ(app::outbox_grace_ms(c), 120'000);
  // The relay and the consumers must agree on the queues' dead-letter exchange.
  EXPECT_EQ(app::dead_letter_exchange(c), "shop7.events.dlx");
  const auto qs = app::consumer_queues(c, true, true);
  ASSERT_EQ(qs.size(), 2u);
  EXPECT_EQ(qs[0].name, "shop7.events.notifications");
  EXPECT_EQ(qs[0].routing_keys, service::NotificationService::outbox_topics());
  EXPECT_EQ(qs[1].name, "shop7.events.shipments");
  EXPECT_EQ(qs[1].routing_keys, std::vector<std::string>{"order.shipment_added"});
  EXPECT_EQ(app::consumer_queues(c, false, true).size(), 1u);  // notify.enabled false
  c.queue.consumers.enabled = false;
  EXPECT_EQ(app::outbox_grace_ms(c), 0);
  EXPECT_TRUE(app::consumer_queues(c, true, true).empty());
}

TEST(RabbitMqConsumer, AnUnreachableBrokerIsReportedAndPollingItNeverSpins) {
  // A port nobody listens on.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ::close(fd);
  queue::RabbitMqConsumerOptions o;
  o.url = "amqp://guest:guest@127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/";
  o.queue = {"q", {"order.status_changed"}};
  o.backoff_min = 100ms;
  queue::RabbitMqConsumer c(o);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(c.poll(100ms).has_value());
  EXPECT_GE(std::chrono::steady_clock::now() - start, 450ms) << "poll() must wait, not spin";
  EXPECT_FALSE(c.connected());
  EXPECT_NE(c.last_error().find("cannot connect"), std::string::npos) << c.last_error();
}

}  // namespace
}  // namespace coldtrack
