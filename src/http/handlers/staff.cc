// Staff console sessions: POST /api/auth/login (username + password → bearer token),
// GET /api/auth/me, POST /api/auth/logout. The console then calls the staff API with
// `Authorization: Bearer <token>`; it never holds an integration API secret.
#include <fmt/format.h>

#include "http/api.h"
#include "http/blocking.h"
#include "http/json_fields.h"

namespace coldtrack::http {
namespace {

namespace json = boost::json;
namespace asio = boost::asio;
using beast_http::status;
using beast_http::verb;

Response not_configured(const Context& ctx) {
  return error_response(ctx, status::service_unavailable, "unavailable",
                        "staff accounts are not enabled on this server");
}

asio::awaitable<Response> login(Api& api, Context& ctx) {
  if (!api.staff) co_return not_configured(ctx);
  if (api.login_limiter) {
    // In-process (memory reads): fine on the I/O thread.
    if (auto retry = api.login_limiter->acquire(ctx.client_addr, api.orders.now())) {
      auto res = error_response(ctx, status::too_many_requests, "rate_limited",
                                "too many login attempts from this address; retry later");
      res.set(beast_http::field::retry_after, std::to_string(*retry));
      co_return res;
    }
  }
  auto body = parse_object(ctx.req.body());
  if (!body.ok()) co_return error_response(ctx, body.error());
  FieldReader r(body.value(), "");
  std::string username, password;
  if (!(r.only({"username", "password"}) && r.str("username", username, true) &&
        r.str("password", password, true)))
    co_return error_response(ctx, r.error());
  if (username.empty() || username.size() > 64)
    co_return error_response(ctx, status::bad_request, "invalid_argument",
                             "must be 1-64 characters", "username");
  if (password.empty() || password.size() > 256)
    co_return error_response(ctx, status::bad_request, "invalid_argument",
                             "must be 1-256 characters", "password");
  auto work = [&api, username, password, client = ctx.client_addr, rid = ctx.request_id] {
    return api.staff->login(username, password, client, rid);
  };
  auto out = co_await on_pool(api.pool, std::move(work));
  using F = service::LoginOutcome::Failure;
  if (out.failure == F::kLocked) {
    auto res = error_response(
        ctx, status::locked, "account_locked",
        fmt::format("too many failed logins; the account is locked for {} more seconds",
                    out.retry_after_s));
    res.set(beast_http::field::retry_after, std::to_string(out.retry_after_s));
    co_return res;
  }
  if (out.failure == F::kBadCredentials || !out.login)
    co_return error_response(ctx, status::unauthorized, "unauthenticated",
                             "wrong username or password");
  const auto& l = *out.login;
  co_return json_response(
      ctx, status::ok,
      json::object{{"token", l.token},
                   {"username", l.username},
                   {"role", l.role},
                   {"expires_at", domain::format_rfc3339(l.expires_at, api.utc_offset_minutes)}});
}

asio::awaitable<Response> me(Api& api, Context& ctx) {
  if (!api.staff) co_return not_configured(ctx);
  auto work = [&api, token = std::string(bearer_token(ctx.req))] {
    return api.staff->authenticate(token);
  };
  auto who = co_await on_pool(api.pool, std::move(work));
  if (!who)
    co_return error_response(ctx, status::unauthorized, "unauthenticated",
                             "log in with POST /api/auth/login");
  co_return json_response(
      ctx, status::ok,
      json::object{
          {"username", who->username},
          {"role", who->role},
          {"expires_at", domain::format_rfc3339(who->expires_at, api.utc_offset_minutes)}});
}

asio::awaitable<Response> logout(Api& api, Context& ctx) {
  if (!api.staff) co_return not_configured(ctx);
  auto work = [&api, token = std::string(bearer_token(ctx.req))] {
    api.staff->logout(token);
    return true;
  };
  co_await on_pool(api.pool, std::move(work));
  co_return json_response(ctx, status::ok, json::object{{"logged_out", true}});
}

}  // namespace

void add_staff_routes(Router& router, Api& api) {
  router.add(verb::post, "/api/auth/login", Access::kPublic, Role::kViewer, bind(api, login));
  router.add(verb::get, "/api/auth/me", Access::kPublic, Role::kViewer, bind(api, me));
  router.add(verb::post, "/api/auth/logout", Access::kPublic, Role::kViewer, bind(api, logout));
}

}  // namespace coldtrack::http
