// /api/orders: create, read, list, batch-get, status changes and shipments.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "cache/response_cache.h"
#include "domain/validation.h"
#include "http/api.h"
#include "http/blocking.h"
#include "http/handlers/common.h"
#include "http/json_fields.h"
#include "http/json_text.h"
#include "http/notification_json.h"
#include "http/order_json.h"
#include "http/tracking_json.h"

namespace coldtrack::http {
namespace {

namespace json = boost::json;
namespace asio = boost::asio;
using beast_http::status;
using beast_http::verb;

asio::awaitable<Response> create_order(Api& api, Context& ctx) {
  auto body = parse_object(ctx.req.body());
  if (!body.ok()) co_return error_response(ctx, body.error());
  auto order = parse_new_order(body.value());
  if (!order.ok()) co_return error_response(ctx, order.error());
  auto work = [&api, o = std::move(order.value()), a = actor_of(ctx)] {
    return api.orders.create(o, a);
  };
  auto result = co_await on_pool(api.pool, std::move(work));
  if (!result.ok()) co_return error_response(ctx, result.error());
  auto& out = result.value();
  co_return json_response(ctx, out.created ? status::created : status::ok,
                          order_json(out.order, View::kMasked, api.utc_offset_minutes));
}

bool upload_in_flight(const std::optional<store::NotificationJob>& upload) {
  return upload && (upload->state == "pending" || upload->state == "sending");
}

asio::awaitable<Response> get_order(Api& api, Context& ctx) {
  const auto& no = ctx.params.at("order_no");
  if (auto bad = bad_order_no(ctx, no)) co_return *bad;
  if (auto bad = check_query_names(ctx, {"reveal"})) co_return *bad;
  const auto reveal_param = ctx.query("reveal").value_or("false");
  if (reveal_param != "true" && reveal_param != "false")
    co_return error_response(ctx, status::bad_request, "invalid_argument", "must be true or false",
                             "reveal");
  const bool reveal = reveal_param == "true";
  if (reveal && ctx.principal->role != Role::kAdmin)
    co_return error_response(ctx, status::forbidden, "permission_denied",
                             "revealing personal data needs the admin role");
  // The masked view is the same for every caller, and reading it has no side effect.
  cache::ResponseCache* const hot = reveal ? nullptr : api.responses;
  cache::ResponseCache::Lookup looked;
  if (hot) {
    looked = hot->lookup(no);
    if (looked.body) co_return json_text_response(ctx, status::ok, *looked.body);
  }
  struct Found {
    service::Result<domain::Order> order;
    std::optional<std::vector<store::TrackingRecord>> tracking;
    std::optional<store::NotificationJob> shipping_upload;
  };
  auto work = [&api, no, reveal, a = actor_of(ctx)] {
    Found f{api.orders.get(no, reveal, a), std::nullopt, std::nullopt};
    if (f.order.ok()) f.tracking = api.tracking.order_tracking(no);
    if (f.order.ok() && api.notifications) {
      store::NotificationFilter nf;
      nf.order_no = no;
      nf.channel = std::string(store::kWechatShippingChannel);
      nf.limit = 1;
      auto page = api.store.list_notifications(nf);
      if (!page.items.empty()) f.shipping_upload = std::move(page.items.front());
    }
    return f;
  };
  // A reveal writes its audit record: the write pool; the masked view only reads.
  auto found = co_await on_pool(reveal ? api.pool : api.reads(), std::move(work));
  if (!found.order.ok()) co_return error_response(ctx, found.order.error());
  auto j = order_json(found.order.value(), reveal ? View::kRevealed : View::kMasked,
                      api.utc_offset_minutes);
  // The delivery prediction and cold-chain state, from the shipments' tracking.
  const auto tracking = found.tracking.value_or(std::vector<store::TrackingRecord>{});
  j["eta"] = api.eta ? order_eta_json(tracking, *api.eta, api.orders.now(), api.utc_offset_minutes)
                     : json::value(nullptr);
  j["thaw_risk"] = order_thaw_risk(tracking);
  // 微信发货信息: WeChat holds the payment until the waybill is uploaded there.
  j["wechat_shipping"] = wechat_shipping_json(found.shipping_upload, api.utc_offset_minutes);
  auto text = to_json_text(j);
  // An upload still on its way changes without a store write the cache hears of (claims,
  // attempts): such a response is not kept.
  if (hot && !upload_in_flight(found.shipping_upload)) hot->put(no, looked.ticket, text);
  co_return json_text_response(ctx, status::ok, std::move(text));
}

asio::awaitable<Response> list_orders(Api& api, Context& ctx) {
  if (auto bad = check_query_names(ctx, {"order_no", "phone", "from", "to", "status", "carrier",
                                         "waybill_no", "archived", "limit", "cursor", "sort"}))
    co_return *bad;
  service::ListQuery q;
  auto fail = [&](std::string_view field, std::string_view message) {
    return error_response(ctx, status::bad_request, "invalid_argument", message, field);
  };
  if (auto bad = read_order_filters(ctx, q)) co_return *bad;
  if (auto v = ctx.query("phone")) q.phone = *v;
  if (auto v = ctx.query("carrier")) {
    if (v->empty() || v->size() > 32) co_return fail("carrier", "must be a carrier code");
    q.carrier = *v;
  }
  if (auto v = ctx.query("waybill_no")) {
    if (!domain::is_valid_waybill_no(*v))
      co_return fail("waybill_no", "must be 4-40 characters of A-Z, a-z, 0-9 or '-'");
    q.waybill_no = *v;
  }
  if (auto v = ctx.query("archived")) {
    if (*v == "exclude")
      q.archived = store::ArchiveScope::kExclude;
    else if (*v == "include")
      q.archived = store::ArchiveScope::kInclude;
    else if (*v == "only")
      q.archived = store::ArchiveScope::kOnly;
    else
      co_return fail("archived", "must be exclude, include or only");
  }
  if (auto v = ctx.query("limit")) {
    int limit = 0;
    auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), limit);
    if (ec != std::errc() || end != v->data() + v->size() || limit < 1 || limit > 200)
      co_return fail("limit", "must be an integer in 1..200");
    q.limit = limit;
  }
  if (auto v = ctx.query("cursor")) q.cursor = *v;
  if (auto v = ctx.query("sort")) {
    if (*v != "newest" && *v != "oldest") co_return fail("sort", "must be newest or oldest");
    q.oldest_first = *v == "oldest";
  }
  q.masked = true;  // the page is shown masked
  auto work = [&api, q] { return api.orders.list(q); };
  auto result = co_await on_pool(api.reads(), std::move(work));
  if (!result.ok()) co_return error_response(ctx, result.error());
  // Written as text: a page of orders is the biggest answer the API gives.
  co_return json_text_response(
      ctx, status::ok, order_page_json(result.value(), View::kMasked, api.utc_offset_minutes));
}

asio::awaitable<Response> batch_get(Api& api, Context& ctx) {
  auto body = parse_object(ctx.req.body());
  if (!body.ok()) co_return error_response(ctx, body.error());
  FieldReader r(body.value(), "");
  const json::array* nos = nullptr;
  if (!r.only({"order_nos"}) || !r.array("order_nos", nos, true))
    co_return error_response(ctx, r.error());
  if (nos->empty() || nos->size() > 200)
    co_return error_response(ctx, status::bad_request, "invalid_argument",
                             "must contain 1-200 order numbers", "order_nos");
  std::vector<std::string> list;
  for (std::size_t i = 0; i < nos->size(); ++i) {
    const auto& v = (*nos)[i];
    if (!v.is_string() || !domain::is_valid_order_no(v.as_string()))
      co_return error_response(ctx, status::bad_request, "invalid_argument",
                               "must be an order number (1-64 characters of A-Z, a-z, 0-9, '_' "
                               "or '-')",
                               fmt::format("order_nos[{}]", i));
    list.emplace_back(v.as_string());
  }
  auto work = [&api, list] { return api.orders.batch_get(list); };
  auto result = co_await on_pool(api.reads(), std::move(work));
  if (!result.ok()) co_return error_response(ctx, result.error());
  json::array items, missing;
  for (const auto& e : result.value().found) {
    items.push_back(
        json::object{{"order_no", e.order_no},
                     {"status", domain::to_string(e.status)},
                     {"status_label", domain::label_zh(e.status)},
                     {"updated_at", domain::format_rfc3339(e.updated_at, api.utc_offset_minutes)},
                     {"archived", e.archived}});
  }
  for (const auto& n : result.value().not_found) missing.push_back(json::value(n));
  co_return json_response(
      ctx, status::ok,
      json::object{{"items", std::move(items)}, {"not_found", std::move(missing)}});
}

asio::awaitable<Response> change_status(Api& api, Context& ctx) {
  const auto& no = ctx.params.at("order_no");
  if (auto bad = bad_order_no(ctx, no)) co_return *bad;
  auto body = parse_object(ctx.req.body());
  if (!body.ok()) co_return error_response(ctx, body.error());
  FieldReader r(body.value(), "");
  std::string status_text, note;
  std::optional<std::int64_t> at;
  if (!(r.only({"status", "at", "note"}) && r.str("status", status_text, true) &&
        r.time("at", at) && r.str("note", note, false)))
    co_return error_response(ctx, r.error());
  auto to = domain::parse_status(status_text);
  if (!to)
    co_return error_response(ctx, status::bad_request, "invalid_argument",
                             "is not a known order status", "status");
  auto work = [&api, no, to, at, note, a = actor_of(ctx)] {
    return api.orders.change_status(no, *to, at, note, a);
  };
  auto result = co_await on_pool(api.pool, std::move(work));
  if (!result.ok()) co_return error_response(ctx, result.error());
  co_return json_response(ctx, status::ok,
                          order_json(result.value(), View::kMasked, api.utc_offset_minutes));
}

asio::awaitable<Response> add_shipment(Api& api, Context& ctx) {
  const auto& no = ctx.params.at("order_no");
  if (auto bad = bad_order_no(ctx, no)) co_return *bad;
  auto body = parse_object(ctx.req.body());
  if (!body.ok()) co_return error_response(ctx, body.error());
  FieldReader r(body.value(), "");
  std::string carrier, waybill, origin, service = "standard";
  std::optional<std::int64_t> shipped_at;
  if (!(r.only({"carrier", "waybill_no", "origin_city", "service", "shipped_at"}) &&
        r.str("carrier", carrier, true) && r.str("waybill_no", waybill, true) &&
        r.str("origin_city", origin, false) && r.str("service", service, false) &&
        r.time("shipped_at", shipped_at)))
    co_return error_response(ctx, r.error());
  if (carrier.empty() || carrier.size() > 32)
    co_return error_response(ctx, status::bad_request, "invalid_argument",
                             "must be a carrier code such as SF", "carrier");
  if (origin.size() > 64)
    co_return error_response(ctx, status::bad_request, "invalid_argument",
                             "must be a city name of at most 64 bytes", "origin_city");
  if (service.empty() || service.size() > 32 ||
      !std::all_of(service.begin(), service.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
      }))
    co_return error_response(ctx, status::bad_request, "invalid_argument",
                             "must be a service code of a-z, 0-9 and '_' such as standard",
                             "service");
  auto work = [&api, no, carrier, waybill, origin, service, shipped_at, a = actor_of(ctx)] {
    return api.orders.add_shipment(no, carrier, waybill, a, origin, service, shipped_at);
  };
  auto result = co_await on_pool(api.pool, std::move(work));
  if (!result.ok()) co_return error_response(ctx, result.error());
  co_return json_response(ctx, status::ok,
                          order_json(result.value(), View::kMasked, api.utc_offset_minutes));
}

asio::awaitable<Response> get_tracking(Api& api, Context& ctx) {
  const auto& no = ctx.params.at("order_no");
  if (auto bad = bad_order_no(ctx, no)) co_return *bad;
  if (auto bad = check_query_names(ctx, {})) co_return *bad;
  auto work = [&api, no] { return api.tracking.order_tracking(no); };
  auto shipments = co_await on_pool(api.reads(), std::move(work));
  if (!shipments) co_return error_response(ctx, status::not_found, "not_found", "order not found");
  // Viewers see waybills masked; operators and admins work with them.
  const bool mask = ctx.principal->role == Role::kViewer;
  co_return json_response(
      ctx, status::ok,
      json::object{{"order_no", no},
                   {"shipments", tracking_json(*shipments, mask, api.utc_offset_minutes, api.eta,
                                               api.orders.now())}});
}

}  // namespace

void add_order_routes(Router& router, Api& api) {
  router.add(verb::post, "/api/orders", Access::kSigned, Role::kOperator, bind(api, create_order));
  router.add(verb::get, "/api/orders", Access::kSigned, Role::kViewer, bind(api, list_orders));
  router.add(verb::post, "/api/orders/batch-get", Access::kSigned, Role::kViewer,
             bind(api, batch_get));
  router.add(verb::get, "/api/orders/{order_no}", Access::kSigned, Role::kViewer,
             bind(api, get_order));
  router.add(verb::get, "/api/orders/{order_no}/tracking", Access::kSigned, Role::kViewer,
             bind(api, get_tracking));
  router.add(verb::post, "/api/orders/{order_no}/status", Access::kSigned, Role::kOperator,
             bind(api, change_status));
  router.add(verb::post, "/api/orders/{order_no}/shipments", Access::kSigned, Role::kOperator,
             bind(api, add_shipment));
}

}  // namespace coldtrack::http
