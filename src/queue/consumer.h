// The port our own broker consumers read through; RabbitMqConsumer is the adapter. A consumer
// owns one durable queue bound to the events exchange with the routing keys (outbox topics) it
// takes; messages it rejects without requeueing go to the dead-letter exchange and are kept in
// `<queue>.dead`. Acknowledgements are manual: a delivery is acked only after its work has been
// committed, so a crash or an outage in between makes the broker deliver it again
// (at-least-once; handlers dedupe by message_id, the outbox msg_key).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace coldtrack::queue {

// A consumer queue and what it is bound to. Its dead letters go to `<name>.dead`.
struct ConsumerQueue {
  std::string name;                       // e.g. "coldtrack.events.notifications"
  std::vector<std::string> routing_keys;  // the outbox topics, e.g. "order.status_changed"
};

inline std::string dead_letter_queue_of(const std::string& queue) {
  return queue + ".dead";
}

struct Delivery {
  std::uint64_t tag = 0;         // the broker's delivery tag (valid on `connection` only)
  std::uint64_t connection = 0;  // which of the consumer's connections delivered it
  std::string routing_key;
  std::string message_id;  // the outbox msg_key
  std::string body;
  bool redelivered = false;  // the broker delivered it before (to us or to another consumer)
};

class Consumer {
 public:
  virtual ~Consumer() = default;
  // The next delivery, waiting up to `timeout`; nullopt when none arrived in time or the broker
  // is unreachable. Connects (and declares the queues) first when not connected; after a
  // failure it waits out a growing backoff before the next attempt, spending it inside poll(),
  // so a caller looping on poll() never spins. Never throws on broker or network errors:
  // `last_error()` says what went wrong.
  virtual std::optional<Delivery> poll(std::chrono::milliseconds timeout) = 0;
  // Settle a delivery. False when that could not be sent (e.g. the connection that delivered it
  // is gone: the broker then delivers the message again, to us or to another consumer).
  virtual bool ack(const Delivery& d) = 0;
  virtual bool reject(const Delivery& d, bool requeue) = 0;
  virtual std::string last_error() const = 0;
  // False after a failure until a reconnect succeeds (or before the first poll()).
  virtual bool connected() const = 0;
  virtual const ConsumerQueue& queue() const = 0;
};

}  // namespace coldtrack::queue
