// /api/notifications: what was sent to whom, when, and why not; re-sending a dead letter.
#include <fmt/format.h>

#include <charconv>

#include "domain/time.h"
#include "domain/validation.h"
#include "http/api.h"
#include "http/blocking.h"
#include "http/handlers/common.h"
#include "http/notification_json.h"

namespace coldtrack::http {

namespace json = boost::json;

std::string_view notification_state_label_zh(std::string_view s) {
  if (s == "pending") return "待发送";
  if (s == "sending") return "发送中";
  if (s == "sent") return "已发送";
  if (s == "merged") return "已合并";
  if (s == "fallback") return "已改用其他渠道";
  if (s == "skipped") return "无需发送";
  if (s == "dead") return "发送失败";
  if (s == "uncertain") return "结果未知";
  return "";
}

std::string_view channel_label_zh(std::string_view c) {
  if (c == "wechat") return "微信订阅消息";
  if (c == "sms") return "短信";
  if (c == "webhook") return "员工群机器人";
  if (c == "wechat_shipping") return "微信发货信息";
  return "";
}

namespace {
json::value time_or_null(domain::EpochMs t, int tz) {
  return t ? json::value(domain::format_rfc3339(t, tz)) : json::value(nullptr);
}

json::value id_or_null(std::int64_t id) {
  return id ? json::value(id) : json::value(nullptr);
}
}  // namespace

json::object notification_json(const store::NotificationJob& j, int tz) {
  std::string text;
  boost::system::error_code ec;
  const auto payload = json::parse(j.payload, ec);
  if (!ec && payload.is_object()) {
    if (const auto* t = payload.as_object().if_contains("text"); t && t->is_string())
      text = t->get_string();
  }
  return json::object{
      {"id", j.id},
      {"order_no", j.order_no},
      {"event", j.event_kind},
      {"audience", j.audience},
      {"channel", j.channel},
      {"channel_label", channel_label_zh(j.channel)},
      {"recipient", j.recipient},
      {"state", j.state},
      {"state_label", notification_state_label_zh(j.state)},
      {"urgent", j.urgent},
      {"text", text},
      {"attempts", j.attempts},
      {"send_at", time_or_null(j.send_at, tz)},
      {"sent_at", time_or_null(j.sent_at, tz)},
      {"error", j.last_error.empty() ? json::value(nullptr) : json::value(j.last_error)},
      {"provider_ref", j.provider_ref.empty() ? json::value(nullptr) : json::value(j.provider_ref)},
      {"merged_into", id_or_null(j.merged_into)},
      {"fallback_of", id_or_null(j.fallback_of)},
      {"created_at", time_or_null(j.created_at, tz)},
      {"updated_at", time_or_null(j.updated_at, tz)},
  };
}

json::value wechat_shipping_json(const std::optional<store::NotificationJob>& upload, int tz) {
  if (!upload) return nullptr;
  return json::object{
      {"state", upload->state},
      {"state_label", notification_state_label_zh(upload->state)},
      {"attempts", upload->attempts},
      {"uploaded_at", time_or_null(upload->sent_at, tz)},
      {"error",
       upload->last_error.empty() ? json::value(nullptr) : json::value(upload->last_error)},
  };
}

namespace {

namespace json = boost::json;
namespace asio = boost::asio;
using beast_http::status;
using beast_http::verb;

Response unavailable(const Context& ctx) {
  return error_response(ctx, status::service_unavailable, "unavailable",
                        "notifications are not enabled on this server");
}

asio::awaitable<Response> list_notifications(Api& api, Context& ctx) {
  if (!api.notifications) co_return unavailable(ctx);
  if (auto bad = check_query_names(
          ctx, {"order_no", "recipient", "channel", "state", "audience", "limit", "cursor"}))
    co_return *bad;
  store::NotificationFilter f;
  auto fail = [&](std::string_view field, std::string_view message) {
    return error_response(ctx, status::bad_request, "invalid_argument", message, field);
  };
  if (auto v = ctx.query("order_no")) {
    if (!domain::is_valid_order_no(*v))
      co_return fail("order_no", "must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'");
    f.order_no = *v;
  }
  if (auto v = ctx.query("recipient")) {
    if (v->empty() || v->size() > 128) co_return fail("recipient", "must be 1-128 characters");
    f.recipient = *v;
  }
  if (auto v = ctx.query("channel")) {
    if (channel_label_zh(*v).empty())
      co_return fail("channel", "must be wechat, sms, webhook or wechat_shipping");
    f.channel = *v;
  }
  if (auto v = ctx.query("state")) {
    if (notification_state_label_zh(*v).empty())
      co_return fail("state",
                     "must be pending, sending, sent, merged, fallback, skipped, dead or "
                     "uncertain");
    f.state = *v;
  }
  if (auto v = ctx.query("audience")) {
    if (*v != "customer" && *v != "staff" && *v != "wechat")
      co_return fail("audience", "must be customer, staff or wechat");
    f.audience = *v;
  }
  if (auto bad = read_id_page(ctx, f.limit, f.before_id)) co_return *bad;
  auto work = [&api, f] { return api.notifications->list(f); };
  auto result = co_await on_pool(api.pool, std::move(work));
  if (!result.ok()) co_return error_response(ctx, result.error());
  json::array items;
  for (const auto& j : result.value().items)
    items.push_back(notification_json(j, api.utc_offset_minutes));
  const auto& next = result.value().next_before_id;
  co_return json_response(
      ctx, status::ok,
      json::object{{"items", std::move(items)},
                   {"next_cursor", next ? json::value(std::to_string(*next)) : nullptr}});
}

asio::awaitable<Response> get_notification(Api& api, Context& ctx) {
  if (!api.notifications) co_return unavailable(ctx);
  auto id = parse_positive_id(ctx.params.at("id"));
  if (!id)
    co_return error_response(ctx, status::bad_request, "invalid_argument",
                             "must be a positive integer", "id");
  auto work = [&api, id = *id] { return api.notifications->get(id); };
  auto result = co_await on_pool(api.pool, std::move(work));
  if (!result.ok()) co_return error_response(ctx, result.error());
  co_return json_response(ctx, status::ok,
                          notification_json(result.value(), api.utc_offset_minutes));
}

asio::awaitable<Response> resend_notification(Api& api, Context& ctx) {
  if (!api.notifications) co_return unavailable(ctx);
  auto id = parse_positive_id(ctx.params.at("id"));
  if (!id)
    co_return error_response(ctx, status::bad_request, "invalid_argument",
                             "must be a positive integer", "id");
  auto work = [&api, id = *id, a = actor_of(ctx)] { return api.notifications->resend(id, a); };
  auto result = co_await on_pool(api.pool, std::move(work));
  if (!result.ok()) co_return error_response(ctx, result.error());
  co_return json_response(ctx, status::ok,
                          notification_json(result.value(), api.utc_offset_minutes));
}

}  // namespace

void add_notification_routes(Router& router, Api& api) {
  router.add(verb::get, "/api/notifications", Access::kSigned, Role::kViewer,
             bind(api, list_notifications));
  router.add(verb::get, "/api/notifications/{id}", Access::kSigned, Role::kViewer,
             bind(api, get_notification));
  router.add(verb::post, "/api/notifications/{id}/resend", Access::kSigned, Role::kAdmin,
             bind(api, resend_notification));
}

}  // namespace coldtrack::http
