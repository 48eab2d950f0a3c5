// Health, readiness, metrics, public tracking, audit log and reference data.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "domain/validation.h"
#include "http/api.h"
#include "http/blocking.h"
#include "http/customer_view.h"
#include "http/json_fields.h"
#include "http/json_text.h"
#include "http/order_json.h"
#include "http/tracking_json.h"

namespace coldtrack::http {
namespace {

namespace json = boost::json;
namespace asio = boost::asio;
using beast_http::status;
using beast_http::verb;

asio::awaitable<Response> healthz(Api&, Context& ctx) {
  co_return json_response(ctx, status::ok, json::object{{"status", "ok"}});
}

asio::awaitable<Response> readyz(Api& api, Context& ctx) {
  auto work = [&api] { return api.ready(); };
  const bool ok = co_await on_pool(api.pool, std::move(work));
  co_return json_response(ctx, ok ? status::ok : status::service_unavailable,
                          json::object{{"status", ok ? "ready" : "unavailable"}});
}

asio::awaitable<Response> metrics(Api& api, Context& ctx) {
  co_return body_response(ctx, status::ok, "text/plain; version=0.0.4; charset=utf-8",
                          api.metrics.serialize());
}

// Public tracking: the same 404 for an unknown order and a wrong phone, so order numbers
// cannot be probed; rate limited per client address.
asio::awaitable<Response> track(Api& api, Context& ctx) {
  std::optional<int> retry;
  if (api.track_limiter.blocking()) {
    // A shared limiter answers over the network: never wait on an I/O thread.
    auto take = [&api, client = ctx.client_addr, now = api.orders.now()] {
      return api.track_limiter.acquire(client, now);
    };
    retry = co_await on_pool(api.pool, std::move(take));
  } else {
    retry = api.track_limiter.acquire(ctx.client_addr, api.orders.now());
  }
  if (retry) {
    auto res = error_response(ctx, status::too_many_requests, "rate_limited",
                              "too many tracking requests; retry later");
    res.set(beast_http::field::retry_after, std::to_string(*retry));
    co_return res;
  }
  const auto no = ctx.query("order_no");
  const auto last4 = ctx.query("phone_last4");
  if (!no || !domain::is_valid_order_no(*no))
    co_return error_response(ctx, status::bad_request, "invalid_argument",
                             "must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'", "order_no");
  if (!last4 || last4->size() != 4 ||
      !std::all_of(last4->begin(), last4->end(), [](char c) { return c >= '0' && c <= '9'; }))
    co_return error_response(ctx, status::bad_request, "invalid_argument",
                             "must be the last 4 digits of the phone number", "phone_last4");
  // The same answer for everyone who knows the order number and the digits; reading it has no
  // side effect (the rate limit above still counts every request).
  cache::ResponseCache* const hot = api.responses;
  cache::ResponseCache::Lookup looked;
  if (hot) {
    looked = hot->lookup(*no, cache::ResponseCache::View::kTrack, *last4);
    if (looked.body) co_return json_text_response(ctx, status::ok, *looked.body);
  }
  using Found = std::pair<std::optional<domain::Order>, CustomerTracking>;
  auto work = [&api, no = *no, l4 = *last4]() -> Found {
    auto order = api.orders.track(no, l4);
    if (!order) return {};
    return {std::move(order),
            load_customer_tracking(api.store, api.tracking.order_tracking(no).value_or(
                                                  std::vector<store::TrackingRecord>{}))};
  };
  auto found = co_await on_pool(api.pool, std::move(work));
  if (!found.first)
    co_return error_response(ctx, status::not_found, "not_found",
                             "no order matches this order number and phone");
  auto body = order_json(*found.first, View::kPublic, api.utc_offset_minutes);
  add_customer_tracking(body, found.second, /*mask_waybill=*/true, api.eta, api.orders.now(),
                        api.utc_offset_minutes);
  auto text = to_json_text(body);
  if (hot)
    hot->put(*no, looked.ticket, text, cache::ResponseCache::View::kTrack, std::string(*last4));
  co_return json_text_response(ctx, status::ok, std::move(text));
}

asio::awaitable<Response> audit(Api& api, Context& ctx) {
  store::AuditFilter f;
  auto fail = [&](std::string_view field, std::string_view message) {
    return error_response(ctx, status::bad_request, "invalid_argument", message, field);
  };
  for (const auto& [name, value] : ctx.query_map()) {
    if (name == "actor")
      f.actor = value;
    else if (name == "target")
      f.target = value;
    else if (name == "action")
      f.action = value;
    else if (name == "from" || name == "to") {
      auto t = domain::parse_rfc3339(value);
      if (!t) co_return fail(name, "must be an RFC 3339 time with offset");
      (name == "from" ? f.from : f.to) = *t;
    } else if (name == "limit") {
      int limit = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), limit);
      if (ec != std::errc() || end != value.data() + value.size() || limit < 1 || limit > 200)
        co_return fail("limit", "must be an integer in 1..200");
      f.limit = limit;
    } else if (name == "cursor") {
      std::int64_t id = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), id);
      if (ec != std::errc() || end != value.data() + value.size() || id < 1)
        co_return fail("cursor", "is not a cursor returned by this API");
      f.before_id = id;
    } else {
      co_return fail(name, "unknown query parameter");
    }
  }
  auto work = [&api, f] { return api.store.list_audit(f); };
  auto page = co_await on_pool(api.pool, std::move(work));
  json::array items;
  for (const auto& a : page.items) {
    boost::system::error_code ec;
    auto detail = json::parse(a.detail, ec);
    items.push_back(json::object{{"id", a.id},
                                 {"at", domain::format_rfc3339(a.at, api.utc_offset_minutes)},
                                 {"actor", a.actor},
                                 {"role", a.role},
                                 {"action", a.action},
                                 {"target", a.target},
                                 {"request_id", a.request_id},
                                 {"client_addr", a.client_addr},
                                 {"detail", ec ? json::value(a.detail) : detail}});
  }
  json::value next = nullptr;
  if (page.next_before_id) next = std::to_string(*page.next_before_id);
  co_return json_response(ctx, status::ok,
                          json::object{{"items", std::move(items)}, {"next_cursor", next}});
}

asio::awaitable<Response> carriers(Api& api, Context& ctx) {
  auto work = [&api] { return api.store.carriers(); };
  auto rows = co_await on_pool(api.pool, std::move(work));
  json::array items;
  for (const auto& c : rows) {
    items.push_back(json::object{
        {"code", c.code},
        {"name", c.name_zh},
        {"kdniao_code", c.kdniao_code.empty() ? json::value(nullptr) : json::value(c.kdniao_code)},
        {"kuaidi100_code",
         c.kuaidi100_code.empty() ? json::value(nullptr) : json::value(c.kuaidi100_code)},
        {"wechat_code", c.wechat_code.empty() ? json::value(nullptr) : json::value(c.wechat_code)},
        {"needs_phone", c.needs_phone},
        {"cold_chain", c.cold_chain}});
  }
  co_return json_response(ctx, status::ok, json::object{{"items", std::move(items)}});
}

// PUT /api/carriers/{code}: admins correct or add a carrier's names and provider codes (several
// provider codes in the seed table are unverified).
asio::awaitable<Response> put_carrier(Api& api, Context& ctx) {
  const auto& code = ctx.params.at("code");
  const bool code_ok =
      !code.empty() && code.size() <= 32 && std::all_of(code.begin(), code.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
      });
  if (!code_ok)
    co_return error_response(ctx, status::bad_request, "invalid_argument",
                             "must be 1-32 characters of A-Z, 0-9 or '_'", "code");
  auto body = parse_object(ctx.req.body());
  if (!body.ok()) co_return error_response(ctx, body.error());
  FieldReader r(body.value(), "");
  store::CarrierRecord c;
  c.code = code;
  bool needs_phone = false, cold_chain = false;
  auto flag = [&](std::string_view name, bool& out) {
    auto* v = body.value().if_contains(name);
    if (!v || v->is_null()) return true;
    if (!v->is_bool()) return r.fail(std::string(name), "must be true or false");
    out = v->as_bool();
    return true;
  };
  if (!(r.only({"name", "kdniao_code", "kuaidi100_code", "wechat_code", "needs_phone",
                "cold_chain"}) &&
        r.str("name", c.name_zh, true) && r.str("kdniao_code", c.kdniao_code, false) &&
        r.str("kuaidi100_code", c.kuaidi100_code, false) &&
        r.str("wechat_code", c.wechat_code, false) && flag("needs_phone", needs_phone) &&
        flag("cold_chain", cold_chain)))
    co_return error_response(ctx, r.error());
  if (!domain::is_clean_text(c.name_zh, 32))
    co_return error_response(ctx, status::bad_request, "invalid_argument",
                             "must be 1-32 characters of text", "name");
  for (auto [field, value] :
       {std::pair{"kdniao_code", &c.kdniao_code}, std::pair{"kuaidi100_code", &c.kuaidi100_code},
        std::pair{"wechat_code", &c.wechat_code}}) {
    if (!value->empty() && !domain::is_valid_order_no(*value))  // same alphabet, 1-64
      co_return error_response(ctx, status::bad_request, "invalid_argument",
                               "must be empty or 1-64 characters of A-Z, a-z, 0-9, '_' or '-'",
                               field);
  }
  c.needs_phone = needs_phone;
  c.cold_chain = cold_chain;
  store::AuditRecord audit{0,
                           api.orders.now(),
                           ctx.principal->actor,
                           std::string(role_name(ctx.principal->role)),
                           "carrier.update",
                           "carrier:" + code,
                           ctx.request_id,
                           ctx.client_addr,
                           json::serialize(json::object{{"kdniao_code", c.kdniao_code},
                                                        {"kuaidi100_code", c.kuaidi100_code}})};
  auto work = [&api, c, audit] { return api.store.upsert_carrier(c, audit); };
  const bool created = co_await on_pool(api.pool, std::move(work));
  co_return json_response(
      ctx, created ? status::created : status::ok,
      json::object{{"code", c.code},
                   {"name", c.name_zh},
                   {"kdniao_code",
                    c.kdniao_code.empty() ? json::value(nullptr) : json::value(c.kdniao_code)},
                   {"kuaidi100_code", c.kuaidi100_code.empty() ? json::value(nullptr)
                                                               : json::value(c.kuaidi100_code)},
                   {"wechat_code",
                    c.wechat_code.empty() ? json::value(nullptr) : json::value(c.wechat_code)},
                   {"needs_phone", c.needs_phone},
                   {"cold_chain", c.cold_chain}});
}

asio::awaitable<Response> categories(Api& api, Context& ctx) {
  auto work = [&api] { return api.store.categories(); };
  auto rows = co_await on_pool(api.pool, std::move(work));
  json::array items;
  for (const auto& c : rows) {
    items.push_back(json::object{
        {"code", c.code},
        {"name", c.name_zh},
        {"min_temp_c", c.min_temp_c ? json::value(*c.min_temp_c) : json::value(nullptr)},
        {"max_temp_c", c.max_temp_c ? json::value(*c.max_temp_c) : json::value(nullptr)}});
  }
  co_return json_response(ctx, status::ok, json::object{{"items", std::move(items)}});
}

}  // namespace

void add_system_routes(Router& router, Api& api) {
  router.add(verb::get, "/healthz", Access::kPublic, Role::kViewer, bind(api, healthz));
  router.add(verb::get, "/readyz", Access::kPublic, Role::kViewer, bind(api, readyz));
  if (api.metrics_on_main_listener)
    router.add(verb::get, "/metrics", Access::kPublic, Role::kViewer, bind(api, metrics));
  router.add(verb::get, "/api/track", Access::kPublic, Role::kViewer, bind(api, track));
  router.add(verb::get, "/api/audit", Access::kSigned, Role::kAdmin, bind(api, audit));
  router.add(verb::get, "/api/carriers", Access::kSigned, Role::kViewer, bind(api, carriers));
  router.add(verb::put, "/api/carriers/{code}", Access::kSigned, Role::kAdmin,
             bind(api, put_carrier));
  router.add(verb::get, "/api/categories", Access::kSigned, Role::kViewer, bind(api, categories));
}

void add_metrics_routes(Router& router, Api& api) {
  router.add(verb::get, "/healthz", Access::kPublic, Role::kViewer, bind(api, healthz));
  router.add(verb::get, "/metrics", Access::kPublic, Role::kViewer, bind(api, metrics));
}

}  // namespace coldtrack::http
