// A blocking RabbitMQ publisher (librabbitmq) with publisher confirms. Declares a durable topic
// exchange for the events and a dead-letter exchange with a durable queue, so consumer queues
// can set x-dead-letter-exchange to it and rejected messages are kept; also declares our own
// consumers' queues (consumer_queues below). One connection, used by one thread (the relay);
// reconnects on the next call after any failure.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "queue/consumer.h"
#include "queue/publisher.h"

namespace coldtrack::queue {

struct RabbitMqOptions {
  std::string url = "amqp://guest:guest@127.0.0.1:5672/";
  std::string exchange = "coldtrack.events";
  std::string dead_letter_exchange = "coldtrack.events.dlx";
  std::string dead_letter_queue = "coldtrack.events.dead";
  // Bounds connecting, every broker round trip and the wait for a batch's confirms.
  std::chrono::milliseconds timeout{5000};
  // Our own consumers' queues, declared (with their bindings and dead-letter queues) at every
  // connect before anything is published, so messages published before a consumer first
  // connects are queued for it rather than dropped as unroutable.
  std::vector<ConsumerQueue> consumer_queues{};
};

class RabbitMqPublisher final : public Publisher {
 public:
  explicit RabbitMqPublisher(RabbitMqOptions options);
  ~RabbitMqPublisher() override;
  RabbitMqPublisher(const RabbitMqPublisher&) = delete;
  RabbitMqPublisher& operator=(const RabbitMqPublisher&) = delete;

  std::size_t publish(std::span<const OutgoingMessage> batch) override;
  std::string last_error() const override { return last_error_; }
  bool connected() const { return conn_ != nullptr; }

 private:
  struct Connection;
  bool connect();
  void disconnect();
  bool fail(std::string what);

  RabbitMqOptions options_;
  std::unique_ptr<Connection> conn_;
  std::string last_error_;
};

}  // namespace coldtrack::queue
