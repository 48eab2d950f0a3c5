#include "notify/channels/webhook_channel.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>

namespace coldtrack::notify {

WebhookChannel::WebhookChannel(std::string url, net::HttpClient& http)
    : url_(std::move(url)), http_(http) {}

SendReport WebhookChannel::send(const Delivery& d) {
  net::HttpRequest r;
  r.method = "POST";
  r.url = url_;
  r.headers["Content-Type"] = "application/json";
  r.body = boost::json::serialize(
      boost::json::object{{"msgtype", "text"}, {"text", {{"content", d.text}}}});
  const auto res = http_.send(r);
  if (res.transport_failed()) {
    if (res.request_sent) return {SendStatus::kUncertain, "no answer: " + res.error, {}, 0};
    return {SendStatus::kRetry, "unreachable: " + res.error, {}, 0};
  }
  if (res.status >= 500) return {SendStatus::kRetry, fmt::format("HTTP {}", res.status), {}, 0};
  boost::system::error_code ec;
  const auto v = boost::json::parse(res.body, ec);
  const auto* o = !ec ? v.if_object() : nullptr;
  const auto* code = o ? o->if_contains("errcode") : nullptr;
  if (res.status != 200 || !code || !code->is_int64())
    return {SendStatus::kFailed, fmt::format("HTTP {}: not a robot answer", res.status), {}, 0};
  const auto errcode = code->get_int64();
  if (errcode == 0) return {SendStatus::kSent, "", "", 0};
  std::string msg;
  if (const auto* m = o->if_contains("errmsg"); m && m->is_string()) msg = m->get_string();
  const std::string why = fmt::format("robot errcode {}: {}", errcode, msg);
  if (std::find(std::begin(kWebhookRateLimitCodes), std::end(kWebhookRateLimitCodes), errcode) !=
      std::end(kWebhookRateLimitCodes))
    return {SendStatus::kRateLimited, why, {}, 60'000};
  return {SendStatus::kFailed, why, {}, 0};
}

}  // namespace coldtrack::notify
