#include "http/client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <chrono>

#include "security/crypto.h"
#include "security/signing.h"

namespace coldtrack::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using asio::ip::tcp;

struct Client::Impl {
  std::string host;
  unsigned short port;
  asio::io_context ioc;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;

  void connect() {
    tcp::resolver resolver(ioc);
    stream.emplace(ioc);
    stream->expires_after(std::chrono::seconds(30));
    stream->connect(resolver.resolve(host, std::to_string(port)));
    buffer.clear();
  }
};

Client::Client(std::string host, unsigned short port)
    : impl_(new Impl{std::move(host), port, {}, {}, {}}) {}
Client::~Client() {
  delete impl_;
}

std::map<std::string, std::string> signed_headers(const Credentials& creds,
                                                  const std::string& method,
                                                  const std::string& target,
                                                  const std::string& body, long long unix_seconds) {
  const auto q = target.find('?');
  const std::string path = target.substr(0, q);
  const std::string query = q == std::string::npos ? "" : target.substr(q + 1);
  const std::string ts = std::to_string(unix_seconds);
  const std::string nonce = security::random_hex(12);
  return {
      {"X-Api-Key", creds.key},
      {"X-Timestamp", ts},
      {"X-Nonce", nonce},
      {"X-Signature", security::sign_request(creds.secret, method, path, query, ts, nonce, body)}};
}

ClientResponse Client::request(const std::string& method, const std::string& target,
                               const std::string& body, const std::optional<Credentials>& creds,
                               const std::map<std::string, std::string>& extra_headers) {
  bhttp::request<bhttp::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(bhttp::field::host, impl_->host);
  req.set(bhttp::field::user_agent, "coldtrack-client");
  if (!body.empty()) req.set(bhttp::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  if (creds) {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    for (const auto& [k, v] : signed_headers(*creds, method, target, body, now)) req.set(k, v);
  }
  for (const auto& [k, v] : extra_headers) req.set(k, v);

  for (int attempt = 0;; ++attempt) {
    try {
      if (!impl_->stream) impl_->connect();
      impl_->stream->expires_after(std::chrono::seconds(60));
      bhttp::write(*impl_->stream, req);
      bhttp::response_parser<bhttp::string_body> parser;
      parser.body_limit(64 * 1024 * 1024);
      bhttp::read(*impl_->stream, impl_->buffer, parser);
      auto res = parser.release();
      ClientResponse out;
      out.status = res.result_int();
      out.body = std::move(res.body());
      for (const auto& f : res) {
        std::string name(f.name_string());
        std::transform(name.begin(), name.end(), name.begin(), ::tolower);
        out.headers[name] = std::string(f.value());
      }
      if (!res.keep_alive()) impl_->stream.reset();
      return out;
    } catch (const boost::system::system_error&) {
      impl_->stream.reset();
      // A kept-alive connection the server has closed: retry once on a fresh one.
      if (attempt > 0) throw;
    }
  }
}

}  // namespace coldtrack::http
