// A blocking RabbitMQ consumer (librabbitmq) with manual acknowledgements and a prefetch window
// (basic.qos). At every connect it declares its queue, the queue's bindings and its dead-letter
// queue (queue/amqp_support.h), then consumes. One connection, used by one thread only
// (librabbitmq connections are not thread-safe): give every consumer thread its own object.
// After any failure it drops the connection and reconnects on a later poll(), with a backoff
// that doubles from backoff_min to backoff_max and resets once a connection works again.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "queue/consumer.h"

namespace coldtrack::queue {

struct RabbitMqConsumerOptions {
  std::string url = "amqp://guest:guest@127.0.0.1:5672/";
  std::string exchange = "coldtrack.events";
  std::string dead_letter_exchange = "coldtrack.events.dlx";
  ConsumerQueue queue;
  int prefetch = 50;  // unacked deliveries the broker lets us hold (basic.qos prefetch_count)
  // Bounds connecting and every broker round trip.
  std::chrono::milliseconds timeout{5000};
  std::chrono::milliseconds backoff_min{200};
  std::chrono::milliseconds backoff_max{5000};
  // AMQP heartbeat: a silently dead peer is noticed after about twice this. 0 = none.
  int heartbeat_s = 60;
};

class RabbitMqConsumer final : public Consumer {
 public:
  explicit RabbitMqConsumer(RabbitMqConsumerOptions options);
  ~RabbitMqConsumer() override;
  RabbitMqConsumer(const RabbitMqConsumer&) = delete;
  RabbitMqConsumer& operator=(const RabbitMqConsumer&) = delete;

  std::optional<Delivery> poll(std::chrono::milliseconds timeout) override;
  bool ack(const Delivery& d) override;
  bool reject(const Delivery& d, bool requeue) override;
  std::string last_error() const override { return last_error_; }
  const ConsumerQueue& queue() const override { return options_.queue; }

  bool connected() const override { return conn_ != nullptr; }
  // Closes the connection now (the broker puts every unacked delivery back in the queue); the
  // next poll() connects again without a backoff. For shutdown and tests.
  void disconnect();

 private:
  struct Connection;
  bool connect();
  void fail(std::string what);

  RabbitMqConsumerOptions options_;
  std::unique_ptr<Connection> conn_;
  std::uint64_t connections_ = 0;  // connections made so far; the current one's number
  std::string last_error_;
  std::chrono::milliseconds backoff_{0};
  std::chrono::steady_clock::time_point next_attempt_{};
};

}  // namespace coldtrack::queue
