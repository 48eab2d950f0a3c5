// What a handler sees of one request, and the response helpers every handler uses.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "service/result.h"

namespace coldtrack::http {

namespace beast_http = boost::beast::http;
using Request = beast_http::request<beast_http::string_body>;
using Response = beast_http::response<beast_http::string_body>;

enum class Role { kViewer = 0, kOperator = 1, kAdmin = 2 };
std::string_view role_name(Role r);
std::optional<Role> parse_role(std::string_view s);

struct Principal {
  std::string actor;  // "apikey:<key>"
  Role role;
};

struct Context {
  const Request& req;
  std::string request_id;
  std::string client_addr;
  std::string_view path;                      // raw path, no query
  std::string_view raw_query;                 // raw query, no '?'
  std::map<std::string, std::string> params;  // from the route pattern
  std::optional<Principal> principal;

  // Query parameters, percent-decoded; the first value wins for repeated names.
  std::optional<std::string> query(std::string_view name) const;
  const std::map<std::string, std::string>& query_map() const;
  // False when the raw query is not valid percent-encoding.
  bool query_valid() const;

  // Filled on first use by query()/query_map(); public only so Context stays an aggregate.
  mutable std::optional<std::map<std::string, std::string>> query_cache_ = std::nullopt;
  mutable bool query_ok_ = true;
};

// Any body with its content type (no-store, X-Request-Id, the request's keep-alive).
Response body_response(const Context& ctx, beast_http::status status, std::string_view content_type,
                       std::string body);
// JSON responses.
Response json_response(const Context& ctx, beast_http::status status,
                       const boost::json::value& body);
// A body that is already JSON text (written without a DOM).
Response json_text_response(const Context& ctx, beast_http::status status, std::string text);
Response error_response(const Context& ctx, beast_http::status status, std::string_view code,
                        std::string_view message, std::string_view field = {});
Response error_response(const Context& ctx, const service::Error& error);
// {"error": {"code", "message"[, "field"]}, "request_id"}: every error body's shape.
boost::json::object error_body(std::string_view code, std::string_view message,
                               std::string_view field, std::string_view request_id);
// The token of `Authorization: Bearer <token>` (customer or staff sessions); empty without one.
std::string_view bearer_token(const Request& req);

// For failures before a Context exists (parse errors, limits).
Response bare_error(beast_http::status status, std::string_view code, std::string_view message,
                    std::string_view request_id, unsigned version, bool keep_alive);

using Handler = std::function<boost::asio::awaitable<Response>(Context&)>;

}  // namespace coldtrack::http
