#include "sim/push_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

#include <exception>
#include <optional>

namespace coldtrack::sim {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using asio::ip::tcp;

PostResult post(const std::string& url, const std::string& content_type, const std::string& body,
                std::chrono::milliseconds timeout) {
  PostResult out;
  try {
    auto parsed = boost::urls::parse_uri(url);
    if (!parsed) {
      out.error = "bad callback URL";
      return out;
    }
    if (parsed->scheme() != "http") {
      out.error = "only http callback URLs are supported by the simulator";
      return out;
    }
    const std::string authority_host(parsed->encoded_host());
    std::string host = authority_host;  // "[::1]" -> "::1" for the resolver
    if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    const std::string port = parsed->has_port() ? std::string(parsed->port()) : "80";
    std::string target(parsed->encoded_path());
    if (target.empty()) target = "/";
    if (parsed->has_query()) target += "?" + std::string(parsed->encoded_query());

    bhttp::request<bhttp::string_body> req{bhttp::verb::post, target, 11};
    req.set(bhttp::field::host, parsed->has_port() ? authority_host + ":" + port : authority_host);
    req.set(bhttp::field::user_agent, "coldtrack-sim");
    req.set(bhttp::field::content_type, content_type);
    req.keep_alive(false);
    req.body() = body;
    req.prepare_payload();

    asio::io_context ioc;
    tcp::resolver resolver(ioc);
    const auto endpoints = resolver.resolve(host, port);
    beast::tcp_stream stream(ioc);
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(8 << 20);
    boost::system::error_code result;

    stream.expires_after(timeout);  // one deadline for connect + write + read
    stream.async_connect(endpoints, [&](boost::system::error_code ec, const tcp::endpoint&) {
      if (ec) {
        result = ec;
        return;
      }
      bhttp::async_write(stream, req, [&](boost::system::error_code wec, std::size_t) {
        if (wec) {
          result = wec;
          return;
        }
        bhttp::async_read(stream, buffer, parser,
                          [&](boost::system::error_code rec, std::size_t) { result = rec; });
      });
    });
    ioc.run();
    boost::system::error_code ignore;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignore);
    if (result) {
      out.error = result == beast::error::timeout ? "timed out" : result.message();
      return out;
    }
    out.status = static_cast<int>(parser.get().result_int());
    out.body = std::move(parser.get().body());
  } catch (const std::exception& e) {
    out.status = 0;
    out.error = e.what();
  }
  return out;
}

}  // namespace coldtrack::sim
