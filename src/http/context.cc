#include "http/context.h"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include "domain/status.h"
#include "http/json_text.h"

namespace coldtrack::http {

namespace json = boost::json;

std::string_view role_name(Role r) {
  switch (r) {
    case Role::kViewer:
      return "viewer";
    case Role::kOperator:
      return "operator";
    case Role::kAdmin:
      return "admin";
  }
  return "viewer";
}

std::optional<Role> parse_role(std::string_view s) {
  if (s == "viewer") return Role::kViewer;
  if (s == "operator") return Role::kOperator;
  if (s == "admin") return Role::kAdmin;
  return std::nullopt;
}

const std::map<std::string, std::string>& Context::query_map() const {
  if (!query_cache_) {
    query_cache_.emplace();
    if (!raw_query.empty()) {
      const std::string target = "/?" + std::string(raw_query);
      auto url = boost::urls::parse_origin_form(target);
      query_ok_ = url.has_value();
      if (url) {
        for (auto p : url->params()) {                  // percent-decoded
          if (p.key.empty() && !p.has_value) continue;  // "a=1&&b=2" has an empty piece
          query_cache_->emplace(std::string(p.key), p.has_value ? std::string(p.value) : "");
        }
      }
    }
  }
  return *query_cache_;
}

bool Context::query_valid() const {
  query_map();
  return query_ok_;
}

std::optional<std::string> Context::query(std::string_view name) const {
  const auto& m = query_map();
  auto it = m.find(std::string(name));
  if (it == m.end()) return std::nullopt;
  return it->second;
}

namespace {

constexpr std::string_view kJson = "application/json; charset=utf-8";

Response make(beast_http::status status, unsigned version, bool keep_alive, std::string body,
              std::string_view request_id, std::string_view content_type = kJson) {
  Response res{status, version};
  res.set(beast_http::field::content_type, content_type);
  res.set(beast_http::field::cache_control, "no-store");
  if (!request_id.empty()) res.set("X-Request-Id", request_id);
  res.keep_alive(keep_alive);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

}  // namespace

std::string_view bearer_token(const Request& req) {
  const auto v = req[beast_http::field::authorization];
  const std::string_view s(v.data(), v.size());
  return s.starts_with("Bearer ") ? s.substr(7) : std::string_view();
}

json::object error_body(std::string_view code, std::string_view message, std::string_view field,
                        std::string_view request_id) {
  json::object err{{"code", code}, {"message", message}};
  if (!field.empty()) err["field"] = field;
  return json::object{{"error", std::move(err)}, {"request_id", request_id}};
}

Response body_response(const Context& ctx, beast_http::status status, std::string_view content_type,
                       std::string body) {
  return make(status, ctx.req.version(), ctx.req.keep_alive(), std::move(body), ctx.request_id,
              content_type);
}

Response json_response(const Context& ctx, beast_http::status status, const json::value& body) {
  return json_text_response(ctx, status, to_json_text(body));
}

Response json_text_response(const Context& ctx, beast_http::status status, std::string text) {
  return make(status, ctx.req.version(), ctx.req.keep_alive(), std::move(text), ctx.request_id);
}

Response error_response(const Context& ctx, beast_http::status status, std::string_view code,
                        std::string_view message, std::string_view field) {
  return json_response(ctx, status, error_body(code, message, field, ctx.request_id));
}

Response error_response(const Context& ctx, const service::Error& e) {
  using service::ErrorCode;
  switch (e.code) {
    case ErrorCode::kInvalidArgument:
      return error_response(ctx, beast_http::status::bad_request, "invalid_argument", e.message,
                            e.field);
    case ErrorCode::kNotFound:
      return error_response(ctx, beast_http::status::not_found, "not_found", e.message);
    case ErrorCode::kPermissionDenied:
      return error_response(ctx, beast_http::status::forbidden, "permission_denied", e.message);
    case ErrorCode::kUnavailable:
      return error_response(ctx, beast_http::status::service_unavailable, "unavailable", e.message);
    case ErrorCode::kConflict: {
      auto body = error_body("conflict", e.message, e.field, ctx.request_id);
      if (e.current_status) {
        body["current_status"] = domain::to_string(*e.current_status);
        body["error"].as_object()["current_status"] = domain::to_string(*e.current_status);
      }
      return json_response(ctx, beast_http::status::conflict, body);
    }
  }
  return error_response(ctx, beast_http::status::internal_server_error, "internal", e.message);
}

Response bare_error(beast_http::status status, std::string_view code, std::string_view message,
                    std::string_view request_id, unsigned version, bool keep_alive) {
  return make(status, version, keep_alive,
              json::serialize(error_body(code, message, {}, request_id)), request_id);
}

}  // namespace coldtrack::http
