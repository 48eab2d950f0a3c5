#include "queue/amqp_support.h"

namespace coldtrack::queue::amqp {

std::string describe(const amqp_rpc_reply_t& r) {
  switch (r.reply_type) {
    case AMQP_RESPONSE_NORMAL:
      return "ok";
    case AMQP_RESPONSE_NONE:
      return "no reply from the broker";
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      return amqp_error_string2(r.library_error);
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
        const auto* c = static_cast<const amqp_connection_close_t*>(r.reply.decoded);
        return "connection closed by the broker: " + std::to_string(c->reply_code) + " " +
               str(c->reply_text);
      }
      if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
        const auto* c = static_cast<const amqp_channel_close_t*>(r.reply.decoded);
        return "channel closed by the broker: " + std::to_string(c->reply_code) + " " +
               str(c->reply_text);
      }
      return "broker error";
  }
  return "unknown reply";
}

std::string declare_consumer_queue(amqp_connection_state_t state, amqp_channel_t channel,
                                   std::string_view exchange, std::string_view dead_letter_exchange,
                                   const ConsumerQueue& q) {
  auto check = [&](const std::string& step) -> std::string {
    const auto reply = amqp_get_rpc_reply(state);
    if (reply.reply_type == AMQP_RESPONSE_NORMAL) return "";
    return step + " failed: " + describe(reply);
  };
  std::string err;
  amqp_exchange_declare(state, channel, bytes(exchange), bytes("topic"), 0, 1, 0, 0,
                        amqp_empty_table);
  if (!(err = check("exchange.declare " + std::string(exchange))).empty()) return err;
  amqp_exchange_declare(state, channel, bytes(dead_letter_exchange), bytes("topic"), 0, 1, 0, 0,
                        amqp_empty_table);
  if (!(err = check("exchange.declare " + std::string(dead_letter_exchange))).empty()) return err;

  const std::string dead = dead_letter_queue_of(q.name);
  amqp_queue_declare(state, channel, bytes(dead), 0, 1, 0, 0, amqp_empty_table);
  if (!(err = check("queue.declare " + dead)).empty()) return err;
  amqp_queue_bind(state, channel, bytes(dead), bytes(dead_letter_exchange), bytes(q.name),
                  amqp_empty_table);
  if (!(err = check("queue.bind " + dead)).empty()) return err;

  amqp_table_entry_t entries[2];
  entries[0].key = amqp_cstring_bytes("x-dead-letter-exchange");
  entries[0].value.kind = AMQP_FIELD_KIND_UTF8;
  entries[0].value.value.bytes = bytes(dead_letter_exchange);
  entries[1].key = amqp_cstring_bytes("x-dead-letter-routing-key");
  entries[1].value.kind = AMQP_FIELD_KIND_UTF8;
  entries[1].value.value.bytes = bytes(q.name);
  const amqp_table_t args{2, entries};
  amqp_queue_declare(state, channel, bytes(q.name), 0, 1, 0, 0, args);
  if (!(err = check("queue.declare " + q.name)).empty()) return err;
  for (const auto& key : q.routing_keys) {
    amqp_queue_bind(state, channel, bytes(q.name), bytes(exchange), bytes(key), amqp_empty_table);
    if (!(err = check("queue.bind " + q.name + " to " + key)).empty()) return err;
  }
  return "";
}

bool recover_channel(amqp_connection_state_t state, amqp_channel_t channel) {
  const auto r = amqp_get_rpc_reply(state);
  if (r.reply_type != AMQP_RESPONSE_SERVER_EXCEPTION || r.reply.id != AMQP_CHANNEL_CLOSE_METHOD)
    return false;
  amqp_channel_close_ok_t ok{};
  return amqp_send_method(state, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok) == AMQP_STATUS_OK;
}

}  // namespace coldtrack::queue::amqp
