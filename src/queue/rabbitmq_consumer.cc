#include "queue/rabbitmq_consumer.h"

#include <amqp.h>
#include <amqp_tcp_socket.h>

#include <algorithm>
#include <thread>
#include <variant>

#include "queue/amqp_support.h"
#include "queue/amqp_url.h"

namespace coldtrack::queue {
namespace {

constexpr amqp_channel_t kChannel = 1;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

// Rounded up, so that sleeping it really reaches `t`.
milliseconds until(steady_clock::time_point t) {
  return std::max(milliseconds(0), std::chrono::ceil<milliseconds>(t - steady_clock::now()));
}

}  // namespace

struct RabbitMqConsumer::Connection {
  amqp_connection_state_t state = amqp_new_connection();
  bool healthy = false;  // closed politely on disconnect only when it still works

  ~Connection() {
    if (healthy) {
      amqp_channel_close(state, kChannel, AMQP_REPLY_SUCCESS);
      amqp_connection_close(state, AMQP_REPLY_SUCCESS);
    }
    amqp_destroy_connection(state);  // also closes the socket
  }
};

RabbitMqConsumer::RabbitMqConsumer(RabbitMqConsumerOptions options)
    : options_(std::move(options)) {}

RabbitMqConsumer::~RabbitMqConsumer() = default;

void RabbitMqConsumer::fail(std::string what) {
  last_error_ = std::move(what);
  if (conn_) conn_->healthy = false;
  conn_.reset();
  backoff_ =
      backoff_.count() == 0 ? options_.backoff_min : std::min(backoff_ * 2, options_.backoff_max);
  next_attempt_ = steady_clock::now() + backoff_;
}

void RabbitMqConsumer::disconnect() {
  conn_.reset();
  next_attempt_ = steady_clock::now();
}

bool RabbitMqConsumer::connect() {
  auto parsed = parse_amqp_url(options_.url);
  if (auto* e = std::get_if<std::string>(&parsed)) {
    fail("queue.rabbitmq.url: " + *e);
    return false;
  }
  const auto& url = std::get<AmqpUrl>(parsed);
  auto c = std::make_unique<Connection>();
  amqp_socket_t* socket = amqp_tcp_socket_new(c->state);
  if (!socket) {
    fail("cannot create an AMQP socket");
    return false;
  }
  timeval tv = amqp::to_timeval(options_.timeout);
  const std::string where = url.host + ":" + std::to_string(url.port);
  if (int rc = amqp_socket_open_noblock(socket, url.host.c_str(), url.port, &tv);
      rc != AMQP_STATUS_OK) {
    fail("cannot connect to " + where + ": " + amqp_error_string2(rc));
    return false;
  }
  // Bounds every synchronous round trip below, so a hung broker cannot stall the consumer.
  amqp_set_rpc_timeout(c->state, &tv);
  amqp_set_handshake_timeout(c->state, &tv);
  auto r = amqp_login(c->state, url.vhost.c_str(), 0, 131072, options_.heartbeat_s,
                      AMQP_SASL_METHOD_PLAIN, url.user.c_str(), url.password.c_str());
  if (r.reply_type != AMQP_RESPONSE_NORMAL) {
    fail("login to " + where + " failed: " + amqp::describe(r));
    return false;
  }
  auto check = [&](const char* step) {
    auto reply = amqp_get_rpc_reply(c->state);
    if (reply.reply_type == AMQP_RESPONSE_NORMAL) return true;
    fail(std::string(step) + " failed: " + amqp::describe(reply));
    return false;
  };
  amqp_channel_open(c->state, kChannel);
  if (!check("channel.open")) return false;
  if (auto err = amqp::declare_consumer_queue(c->state, kChannel, options_.exchange,
                                              options_.dead_letter_exchange, options_.queue);
      !err.empty()) {
    fail(err);
    return false;
  }
  amqp_basic_qos(c->state, kChannel, 0,
                 static_cast<std::uint16_t>(std::clamp(options_.prefetch, 1, 65535)), 0);
  if (!check("basic.qos")) return false;
  amqp_basic_consume(c->state, kChannel, amqp::bytes(options_.queue.name), amqp_empty_bytes,
                     /*no_local=*/0, /*no_ack=*/0, /*exclusive=*/0, amqp_empty_table);
  if (!check("basic.consume")) return false;
  c->healthy = true;
  conn_ = std::move(c);
  ++connections_;
  return true;
}

std::optional<Delivery> RabbitMqConsumer::poll(std::chrono::milliseconds timeout) {
  const auto deadline = steady_clock::now() + timeout;
  // Not connected: (re)connect when the backoff allows, spending the waits here, so a caller
  // looping on poll() never spins while the broker is away.
  while (!conn_) {
    if (steady_clock::now() >= deadline) return std::nullopt;
    if (steady_clock::now() < next_attempt_) {
      std::this_thread::sleep_for(std::min(until(deadline), until(next_attempt_)));
      continue;
    }
    connect();
  }
  amqp_connection_state_t st = conn_->state;
  amqp_maybe_release_buffers(st);
  amqp_envelope_t env;
  timeval tv = amqp::to_timeval(until(deadline));
  const auto r = amqp_consume_message(st, &env, &tv, 0);
  if (r.reply_type == AMQP_RESPONSE_NORMAL) {
    Delivery d;
    d.tag = env.delivery_tag;
    d.connection = connections_;
    d.routing_key = amqp::str(env.routing_key);
    d.redelivered = env.redelivered != 0;
    if (env.message.properties._flags & AMQP_BASIC_MESSAGE_ID_FLAG)
      d.message_id = amqp::str(env.message.properties.message_id);
    d.body = amqp::str(env.message.body);
    amqp_destroy_envelope(&env);
    backoff_ = milliseconds(0);  // the connection works
    return d;
  }
  if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && r.library_error == AMQP_STATUS_TIMEOUT) {
    backoff_ = milliseconds(0);
    return std::nullopt;
  }
  if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
      r.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
    // Something other than a delivery: read it and see whether it ends the consumer.
    amqp_frame_t frame;
    timeval ftv = amqp::to_timeval(options_.timeout);
    const int rc = amqp_simple_wait_frame_noblock(st, &frame, &ftv);
    if (rc != AMQP_STATUS_OK) {
      fail(std::string("reading from the broker failed: ") + amqp_error_string2(rc));
      return std::nullopt;
    }
    if (frame.frame_type == AMQP_FRAME_METHOD) {
      switch (frame.payload.method.id) {
        case AMQP_CHANNEL_CLOSE_METHOD: {
          const auto* c = static_cast<const amqp_channel_close_t*>(frame.payload.method.decoded);
          fail("channel closed by the broker: " + std::to_string(c->reply_code) + " " +
               amqp::str(c->reply_text));
          return std::nullopt;
        }
        case AMQP_CONNECTION_CLOSE_METHOD: {
          const auto* c = static_cast<const amqp_connection_close_t*>(frame.payload.method.decoded);
          fail("connection closed by the broker: " + std::to_string(c->reply_code) + " " +
               amqp::str(c->reply_text));
          return std::nullopt;
        }
        case AMQP_BASIC_CANCEL_METHOD:
          fail("the broker cancelled the consumer of " + options_.queue.name +
               " (was the queue deleted?)");
          return std::nullopt;
        default:
          break;
      }
    }
    return std::nullopt;
  }
  fail("consuming from " + options_.queue.name + " failed: " + amqp::describe(r));
  return std::nullopt;
}

bool RabbitMqConsumer::ack(const Delivery& d) {
  if (!conn_ || d.connection != connections_) {
    last_error_ = "the connection that delivered it is gone; the broker delivers it again";
    return false;
  }
  if (int rc = amqp_basic_ack(conn_->state, kChannel, d.tag, 0); rc != AMQP_STATUS_OK) {
    fail(std::string("basic.ack failed: ") + amqp_error_string2(rc));
    return false;
  }
  return true;
}

bool RabbitMqConsumer::reject(const Delivery& d, bool requeue) {
  if (!conn_ || d.connection != connections_) {
    last_error_ = "the connection that delivered it is gone; the broker delivers it again";
    return false;
  }
  if (int rc = amqp_basic_reject(conn_->state, kChannel, d.tag, requeue ? 1 : 0);
      rc != AMQP_STATUS_OK) {
    fail(std::string("basic.reject failed: ") + amqp_error_string2(rc));
    return false;
  }
  return true;
}

}  // namespace coldtrack::queue
