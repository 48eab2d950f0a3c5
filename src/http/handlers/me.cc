// The mini-program's customer routes: WeChat login and the customer's own orders. Customers
// carry `Authorization: Bearer <token>` from POST /api/auth/wechat instead of a signed API key.
#include <fmt/format.h>

#include <charconv>

#include "domain/validation.h"
#include "http/api.h"
#include "http/blocking.h"
#include "http/customer_view.h"
#include "http/handlers/common.h"
#include "http/json_fields.h"
#include "http/order_json.h"
#include "http/tracking_json.h"

namespace coldtrack::http {
namespace {

namespace json = boost::json;
namespace asio = boost::asio;
using beast_http::status;
using beast_http::verb;

Response unavailable(const Context& ctx) {
  return error_response(ctx, status::service_unavailable, "unavailable",
                        "WeChat login is not configured");
}

Response unauthenticated(const Context& ctx) {
  auto r =
      error_response(ctx, status::unauthorized, "unauthenticated",
                     "log in with POST /api/auth/wechat and send Authorization: Bearer <token>");
  r.set(beast_http::field::www_authenticate, "Bearer");
  return r;
}

asio::awaitable<Response> login(Api& api, Context& ctx) {
  if (!api.customers) co_return unavailable(ctx);
  auto body = parse_object(ctx.req.body());
  if (!body.ok()) co_return error_response(ctx, body.error());
  FieldReader r(body.value(), "");
  std::string code;
  if (!(r.only({"code"}) && r.str("code", code, true))) co_return error_response(ctx, r.error());
  if (code.empty() || code.size() > 128)
    co_return error_response(ctx, status::bad_request, "invalid_argument",
                             "must be the code from wx.login()", "code");
  auto work = [&api, code] { return api.customers->login(code); };
  auto result = co_await on_pool(api.pool, std::move(work));
  if (!result.ok()) co_return error_response(ctx, result.error());
  const auto& l = result.value();
  co_return json_response(
      ctx, status::ok,
      json::object{{"token", l.token},
                   {"openid", l.openid},
                   {"expires_at", domain::format_rfc3339(l.expires_at, api.utc_offset_minutes)}});
}

asio::awaitable<Response> my_orders(Api& api, Context& ctx) {
  if (!api.customers) co_return unavailable(ctx);
  if (auto bad = check_query_names(ctx, {"limit", "cursor", "status", "order_no", "from", "to"}))
    co_return *bad;
  // The mini-program's tabs and search: statuses, one order number, a date range.
  service::ListQuery q;
  if (auto bad = read_order_filters(ctx, q)) co_return *bad;
  q.limit = 20;
  if (auto v = ctx.query("limit")) {
    int n = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || p != v->data() + v->size() || n < 1 || n > 100)
      co_return error_response(ctx, status::bad_request, "invalid_argument",
                               "must be an integer from 1 to 100", "limit");
    q.limit = n;
  }
  q.cursor = ctx.query("cursor");
  auto work = [&api, token = std::string(bearer_token(ctx.req)), q = std::move(q)] {
    struct Out {
      bool authenticated = false;
      service::Result<service::OrderList> list;
    } out;
    auto openid = api.customers->authenticate(token);
    if (!openid) return out;
    out.authenticated = true;
    out.list = api.customers->my_orders(*openid, q);
    return out;
  };
  auto out = co_await on_pool(api.pool, std::move(work));
  if (!out.authenticated) co_return unauthenticated(ctx);
  if (!out.list.ok()) co_return error_response(ctx, out.list.error());
  co_return json_text_response(
      ctx, status::ok, order_page_json(out.list.value(), View::kMasked, api.utc_offset_minutes));
}

asio::awaitable<Response> my_order(Api& api, Context& ctx) {
  if (!api.customers) co_return unavailable(ctx);
  const auto& no = ctx.params.at("order_no");
  if (auto bad = bad_order_no(ctx, no)) co_return *bad;
  // One request gives the detail page everything: order, parcels, ETA, temperature charts and
  // the notice (no waterfall of calls from the phone).
  auto work = [&api, token = std::string(bearer_token(ctx.req)), no] {
    struct Out {
      bool authenticated = false;
      service::Result<domain::Order> order;
      CustomerTracking tracking;
      std::optional<anomaly::CustomerNotice> notice;
    } out;
    auto openid = api.customers->authenticate(token);
    if (!openid) return out;
    out.authenticated = true;
    out.order = api.customers->my_order(*openid, no);
    if (!out.order.ok()) return out;
    out.tracking = load_customer_tracking(
        api.store, api.tracking.order_tracking(no).value_or(std::vector<store::TrackingRecord>{}));
    out.notice = load_customer_notice(api.store, no);
    return out;
  };
  auto out = co_await on_pool(api.pool, std::move(work));
  if (!out.authenticated) co_return unauthenticated(ctx);
  if (!out.order.ok()) co_return error_response(ctx, out.order.error());
  auto j = order_json(out.order.value(), View::kMasked, api.utc_offset_minutes);
  // The waybill in full: it is the customer's own parcel, and they copy it into the carrier's app.
  add_customer_tracking(j, out.tracking, /*mask_waybill=*/false, api.eta, api.orders.now(),
                        api.utc_offset_minutes);
  j["notice"] = notice_json(out.notice);
  co_return json_response(ctx, status::ok, j);
}

// The customer's acceptances, and the templates the shop sends with (the mini-program asks for
// those; WeChat wants the ids at the moment of the tap).
json::value subscriptions_json(const Api& api, const std::vector<store::Subscription>& subs) {
  json::array items;
  for (const auto& s : subs)
    items.push_back(
        json::object{{"template_id", s.template_id},
                     {"remaining", s.remaining},
                     {"accepted_total", s.accepted_total},
                     {"updated_at", domain::format_rfc3339(s.updated_at, api.utc_offset_minutes)}});
  json::array templates;
  for (const auto& t : api.subscribe_templates) templates.emplace_back(t);
  return json::object{{"items", std::move(items)}, {"templates", std::move(templates)}};
}

asio::awaitable<Response> subscribe(Api& api, Context& ctx) {
  if (!api.customers) co_return unavailable(ctx);
  auto body = parse_object(ctx.req.body());
  if (!body.ok()) co_return error_response(ctx, body.error());
  FieldReader r(body.value(), "");
  const json::array* list = nullptr;
  if (!(r.only({"template_ids"}) && r.array("template_ids", list, true)))
    co_return error_response(ctx, r.error());
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < list->size(); ++i) {
    if (!(*list)[i].is_string())
      co_return error_response(ctx, status::bad_request, "invalid_argument", "must be a string",
                               fmt::format("template_ids[{}]", i));
    ids.emplace_back((*list)[i].as_string());
  }
  auto work = [&api, token = std::string(bearer_token(ctx.req)), ids] {
    struct Out {
      bool authenticated = false;
      service::Result<std::vector<store::Subscription>> subs;
    } out;
    auto openid = api.customers->authenticate(token);
    if (!openid) return out;
    out.authenticated = true;
    out.subs = api.customers->subscribe(*openid, ids);
    return out;
  };
  auto out = co_await on_pool(api.pool, std::move(work));
  if (!out.authenticated) co_return unauthenticated(ctx);
  if (!out.subs.ok()) co_return error_response(ctx, out.subs.error());
  co_return json_response(ctx, status::ok, subscriptions_json(api, out.subs.value()));
}

asio::awaitable<Response> my_subscriptions(Api& api, Context& ctx) {
  if (!api.customers) co_return unavailable(ctx);
  auto work = [&api, token = std::string(bearer_token(ctx.req))] {
    std::optional<std::vector<store::Subscription>> out;
    if (auto openid = api.customers->authenticate(token))
      out = api.customers->subscriptions(*openid);
    return out;
  };
  auto out = co_await on_pool(api.pool, std::move(work));
  if (!out) co_return unauthenticated(ctx);
  co_return json_response(ctx, status::ok, subscriptions_json(api, *out));
}

}  // namespace

void add_customer_routes(Router& router, Api& api) {
  router.add(verb::post, "/api/me/subscriptions", Access::kPublic, Role::kViewer,
             bind(api, subscribe));
  router.add(verb::get, "/api/me/subscriptions", Access::kPublic, Role::kViewer,
             bind(api, my_subscriptions));
  router.add(verb::post, "/api/auth/wechat", Access::kPublic, Role::kViewer, bind(api, login));
  router.add(verb::get, "/api/me/orders", Access::kPublic, Role::kViewer, bind(api, my_orders));
  router.add(verb::get, "/api/me/orders/{order_no}", Access::kPublic, Role::kViewer,
             bind(api, my_order));
}

}  // namespace coldtrack::http
