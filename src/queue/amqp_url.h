// amqp://user:password@host[:port][/vhost] as RabbitMQ documents it: an empty path or "/" is the
// default vhost "/", any other path is one percent-decoded segment ("/%2F" is "/" too).
#pragma once

#include <string>
#include <string_view>
#include <variant>

namespace coldtrack::queue {

struct AmqpUrl {
  std::string host = "127.0.0.1";
  int port = 5672;
  std::string vhost = "/";
  std::string user = "guest";
  std::string password = "guest";
};

// The error message never contains the password, so it can be logged.
std::variant<AmqpUrl, std::string> parse_amqp_url(std::string_view url);

}  // namespace coldtrack::queue
