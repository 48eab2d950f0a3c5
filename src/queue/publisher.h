// The port the outbox relay publishes through; RabbitMqPublisher is the adapter.
#pragma once

#include <cstddef>
#include <span>
#include <string>

namespace coldtrack::queue {

struct OutgoingMessage {
  std::string routing_key;  // the outbox topic, e.g. "order.status_changed"
  std::string message_id;   // the outbox msg_key: consumers dedupe by it (at-least-once)
  std::string body;         // JSON
};

class Publisher {
 public:
  virtual ~Publisher() = default;
  // Publishes `batch` in order and waits for the broker to take responsibility for it. Returns
  // how many messages from the front are confirmed (batch.size() on success). Never throws on
  // network or broker errors; `last_error()` says what went wrong.
  virtual std::size_t publish(std::span<const OutgoingMessage> batch) = 0;
  virtual std::string last_error() const = 0;
};

}  // namespace coldtrack::queue
