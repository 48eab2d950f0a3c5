// librabbitmq helpers shared by the RabbitMQ adapters, and the one place that says how a
// consumer queue is declared (the relay and the consumer both declare it, with these exact
// arguments: RabbitMQ refuses a redeclaration with different ones).
#pragma once

#include <amqp.h>
#include <sys/time.h>

#include <chrono>
#include <string>
#include <string_view>

#include "queue/consumer.h"

namespace coldtrack::queue::amqp {

inline amqp_bytes_t bytes(std::string_view s) {
  return {s.size(), const_cast<char*>(s.data())};
}

inline std::string str(amqp_bytes_t b) {
  return b.bytes ? std::string(static_cast<const char*>(b.bytes), b.len) : std::string();
}

inline timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

// A readable account of an RPC reply (never contains credentials).
std::string describe(const amqp_rpc_reply_t& r);

// Declares, idempotently, on an open channel:
//   - `exchange` (topic, durable) and `dead_letter_exchange` (topic, durable);
//   - the queue `q.name` (durable, x-dead-letter-exchange = dead_letter_exchange,
//     x-dead-letter-routing-key = q.name) bound to `exchange` with each of `q.routing_keys`;
//   - `<q.name>.dead` (durable) bound to `dead_letter_exchange` with routing key `q.name`, so it
//     keeps exactly this queue's rejected messages (their original routing key is in the
//     x-death header).
// Returns "" on success, else what failed (the channel is then unusable).
std::string declare_consumer_queue(amqp_connection_state_t state, amqp_channel_t channel,
                                   std::string_view exchange, std::string_view dead_letter_exchange,
                                   const ConsumerQueue& q);

// After a failed call on `channel`: when the broker closed just that channel (a channel error
// such as 406 PRECONDITION_FAILED or 403 ACCESS_REFUSED), acknowledges the close so the channel
// number can be opened again and returns true; false when the connection itself is unusable.
bool recover_channel(amqp_connection_state_t state, amqp_channel_t channel);

}  // namespace coldtrack::queue::amqp
