#include "queue/amqp_url.h"

#include <boost/url/parse.hpp>
#include <charconv>

namespace coldtrack::queue {

std::variant<AmqpUrl, std::string> parse_amqp_url(std::string_view text) {
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) return std::string("not a URL; expected amqp://user:password@host[:port][/vhost]");
  const auto& u = *parsed;
  if (u.scheme() == "amqps") return std::string("TLS (amqps://) is not supported");
  if (u.scheme() != "amqp") return std::string("the scheme must be amqp://");
  AmqpUrl out;
  out.host = u.host_address();
  if (out.host.empty()) return std::string("the host is missing");
  if (u.has_port()) {
    const std::string_view p = u.port();
    int port = 0;
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
    if (ec != std::errc() || end != p.data() + p.size() || port < 1 || port > 65535)
      return std::string("the port is not in 1..65535");
    out.port = port;
  }
  if (u.has_userinfo()) {
    out.user = u.user();
    out.password = u.password();
  }
  std::string_view path = u.encoded_path();
  if (path.starts_with('/')) path.remove_prefix(1);
  if (!path.empty()) {
    if (path.find('/') != std::string_view::npos)
      return std::string("the path must be one vhost segment (use %2F for a slash)");
    auto vhost = boost::urls::make_pct_string_view(path);
    if (!vhost) return std::string("the vhost is not validly percent-encoded");
    out.vhost = vhost->decode();
  }
  if (u.has_query() || u.has_fragment())
    return std::string("query parameters and fragments are not supported");
  return out;
}

}  // namespace coldtrack::queue
