#include "queue/rabbitmq_publisher.h"

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <spdlog/spdlog.h>
#include <sys/time.h>

#include <string_view>
#include <variant>
#include <vector>

#include "queue/amqp_support.h"
#include "queue/amqp_url.h"

namespace coldtrack::queue {
namespace {

constexpr amqp_channel_t kChannel = 1;

amqp_bytes_t bytes(std::string_view s) {
  return {s.size(), const_cast<char*>(s.data())};
}

}  // namespace

struct RabbitMqPublisher::Connection {
  amqp_connection_state_t state = amqp_new_connection();
  bool healthy = false;        // closed politely on disconnect only when it still works
  std::uint64_t next_tag = 1;  // delivery tags on a confirm channel count from 1

  ~Connection() {
    if (healthy) {
      amqp_channel_close(state, kChannel, AMQP_REPLY_SUCCESS);
      amqp_connection_close(state, AMQP_REPLY_SUCCESS);
    }
    amqp_destroy_connection(state);  // also closes the socket
  }
};

RabbitMqPublisher::RabbitMqPublisher(RabbitMqOptions options) : options_(std::move(options)) {}

RabbitMqPublisher::~RabbitMqPublisher() = default;

bool RabbitMqPublisher::fail(std::string what) {
  last_error_ = std::move(what);
  disconnect();
  return false;
}

void RabbitMqPublisher::disconnect() {
  if (conn_) conn_->healthy = false;
  conn_.reset();
}

bool RabbitMqPublisher::connect() {
  auto parsed = parse_amqp_url(options_.url);
  if (auto* e = std::get_if<std::string>(&parsed)) return fail("queue.rabbitmq.url: " + *e);
  const auto& url = std::get<AmqpUrl>(parsed);
  auto c = std::make_unique<Connection>();
  amqp_socket_t* socket = amqp_tcp_socket_new(c->state);
  if (!socket) return fail("cannot create an AMQP socket");
  timeval tv = amqp::to_timeval(options_.timeout);
  const std::string where = url.host + ":" + std::to_string(url.port);
  if (int rc = amqp_socket_open_noblock(socket, url.host.c_str(), url.port, &tv);
      rc != AMQP_STATUS_OK)
    return fail("cannot connect to " + where + ": " + amqp_error_string2(rc));
  // Bounds every synchronous round trip below, so a hung broker cannot stall the relay.
  amqp_set_rpc_timeout(c->state, &tv);
  amqp_set_handshake_timeout(c->state, &tv);
  auto r = amqp_login(c->state, url.vhost.c_str(), 0, 131072, 0, AMQP_SASL_METHOD_PLAIN,
                      url.user.c_str(), url.password.c_str());
  if (r.reply_type != AMQP_RESPONSE_NORMAL)
    return fail("login to " + where + " failed: " + amqp::describe(r));
  auto check = [&](const char* step) {
    auto reply = amqp_get_rpc_reply(c->state);
    if (reply.reply_type == AMQP_RESPONSE_NORMAL) return true;
    return fail(std::string(step) + " failed: " + amqp::describe(reply));
  };
  amqp_channel_open(c->state, kChannel);
  if (!check("channel.open")) return false;
  amqp_exchange_declare(c->state, kChannel, bytes(options_.exchange), bytes("topic"), 0, 1, 0, 0,
                        amqp_empty_table);
  if (!check("exchange.declare")) return false;
  amqp_exchange_declare(c->state, kChannel, bytes(options_.dead_letter_exchange), bytes("topic"), 0,
                        1, 0, 0, amqp_empty_table);
  if (!check("exchange.declare (dead letters)")) return false;
  amqp_queue_declare(c->state, kChannel, bytes(options_.dead_letter_queue), 0, 1, 0, 0,
                     amqp_empty_table);
  if (!check("queue.declare (dead letters)")) return false;
  amqp_queue_bind(c->state, kChannel, bytes(options_.dead_letter_queue),
                  bytes(options_.dead_letter_exchange), bytes("#"), amqp_empty_table);
  if (!check("queue.bind (dead letters)")) return false;
  // Our consumers' queues, on a channel of their own: one the broker refuses (declared elsewhere
  // with other arguments, no permission) must not stop the relay. Its messages are then not
  // queued for that consumer, and the outbox catch-up path handles them after its grace.
  constexpr amqp_channel_t kDeclareChannel = 2;
  for (const auto& q : options_.consumer_queues) {
    amqp_channel_open(c->state, kDeclareChannel);
    if (!check("channel.open (consumer queues)")) return false;
    const auto err = amqp::declare_consumer_queue(c->state, kDeclareChannel, options_.exchange,
                                                  options_.dead_letter_exchange, q);
    if (err.empty()) {
      amqp_channel_close(c->state, kDeclareChannel, AMQP_REPLY_SUCCESS);
      if (!check("channel.close (consumer queues)")) return false;
      continue;
    }
    if (!amqp::recover_channel(c->state, kDeclareChannel)) return fail(err);
    spdlog::warn(
        "outbox relay: cannot declare the consumer queue {} ({}); its messages are left "
        "to the outbox catch-up",
        q.name, err);
  }
  amqp_confirm_select(c->state, kChannel);
  if (!check("confirm.select")) return false;
  c->healthy = true;
  conn_ = std::move(c);
  return true;
}

std::size_t RabbitMqPublisher::publish(std::span<const OutgoingMessage> batch) {
  if (batch.empty()) return 0;
  if (!conn_ && !connect()) return 0;
  amqp_connection_state_t st = conn_->state;
  const std::uint64_t first = conn_->next_tag;
  for (const auto& m : batch) {
    amqp_basic_properties_t props{};
    props._flags =
        AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_MESSAGE_ID_FLAG;
    props.content_type = bytes("application/json");
    props.delivery_mode = AMQP_DELIVERY_PERSISTENT;
    props.message_id = bytes(m.message_id);
    const int rc = amqp_basic_publish(st, kChannel, bytes(options_.exchange), bytes(m.routing_key),
                                      0, 0, &props, bytes(m.body));
    if (rc != AMQP_STATUS_OK) {
      fail(std::string("publish failed: ") + amqp_error_string2(rc));
      return 0;  // unconfirmed: the relay publishes them again (consumers dedupe)
    }
    ++conn_->next_tag;
  }

  // 0 = waiting, 1 = acked, 2 = nacked. Acks may cover several tags at once (multiple).
  std::vector<int> state(batch.size(), 0);
  std::size_t waiting = batch.size();
  bool nacked = false;
  auto settle = [&](std::uint64_t tag, bool multiple, int value) {
    if (tag < first) return;
    const std::uint64_t from = multiple ? first : tag;
    for (std::uint64_t t = from; t <= tag && t - first < state.size(); ++t) {
      if (state[t - first] != 0) continue;
      state[t - first] = value;
      --waiting;
    }
  };
  const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
  while (waiting > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      fail("timed out waiting for the broker's publisher confirms");
      break;
    }
    timeval tv = amqp::to_timeval(left);
    amqp_frame_t frame;
    amqp_maybe_release_buffers(st);
    const int rc = amqp_simple_wait_frame_noblock(st, &frame, &tv);
    if (rc == AMQP_STATUS_TIMEOUT) continue;
    if (rc != AMQP_STATUS_OK) {
      fail(std::string("waiting for confirms failed: ") + amqp_error_string2(rc));
      break;
    }
    if (frame.frame_type != AMQP_FRAME_METHOD || frame.channel != kChannel) continue;
    const auto id = frame.payload.method.id;
    if (id == AMQP_BASIC_ACK_METHOD) {
      const auto* a = static_cast<const amqp_basic_ack_t*>(frame.payload.method.decoded);
      settle(a->delivery_tag, a->multiple, 1);
    } else if (id == AMQP_BASIC_NACK_METHOD) {
      const auto* n = static_cast<const amqp_basic_nack_t*>(frame.payload.method.decoded);
      settle(n->delivery_tag, n->multiple, 2);
      nacked = true;
    } else if (id == AMQP_CHANNEL_CLOSE_METHOD || id == AMQP_CONNECTION_CLOSE_METHOD) {
      fail("the broker closed the connection while publishing");
      break;
    }
  }
  std::size_t confirmed = 0;
  while (confirmed < state.size() && state[confirmed] == 1) ++confirmed;
  if (nacked && confirmed < state.size() && conn_)
    last_error_ = "the broker rejected (nacked) a message";
  return confirmed;
}

}  // namespace coldtrack::queue
