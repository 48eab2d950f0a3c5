#include "notify/channels/wechat_channel.h"

#include <fmt/format.h>

#include <algorithm>

namespace coldtrack::notify {

std::string order_page(std::string page, std::string_view order_no) {
  constexpr std::string_view kPlaceholder = "{order_no}";
  for (auto at = page.find(kPlaceholder); at != std::string::npos;
       at = page.find(kPlaceholder, at + order_no.size()))
    page.replace(at, kPlaceholder.size(), order_no);
  return page;
}

std::map<std::string, std::string, std::less<>> template_values(const Delivery& d,
                                                                int utc_offset_minutes) {
  return {{"order_no", d.order_no},
          {"status", d.status},
          {"text", d.text},
          {"time", time_value(d.at, utc_offset_minutes)},
          {"date", date_value(d.at, utc_offset_minutes)}};
}

WechatChannel::WechatChannel(wechat::ApiClient& api, store::SubscriptionStore& subscriptions,
                             WechatChannelOptions options, std::function<domain::EpochMs()> clock)
    : api_(api),
      subscriptions_(subscriptions),
      options_(std::move(options)),
      clock_(std::move(clock)) {}

SendReport WechatChannel::send(const Delivery& d) {
  const auto& tid = options_.template_def.template_id;
  // The count is taken after WeChat accepted the message: a refused or failed send used nothing.
  const auto subs = subscriptions_.subscriptions(d.recipient);
  const bool have = std::any_of(subs.begin(), subs.end(), [&](const store::Subscription& s) {
    return s.template_id == tid && s.remaining > 0;
  });
  if (!have) return {SendStatus::kRefused, "no subscription left for this template", {}, 0};

  const FilledData filled =
      fill(options_.template_def, template_values(d, options_.utc_offset_minutes));
  if (!filled.ok()) {
    const auto& p = filled.problems.front();
    return {SendStatus::kRefused, fmt::format("template value {}: {}", p.key, p.reason), {}, 0};
  }
  wechat::SubscribeMessage m;
  m.touser = d.recipient;
  m.template_id = tid;
  m.page = order_page(options_.page, d.order_no);
  m.state = options_.state;
  m.data = filled.data;
  const auto answer = api_.send_subscribe(m);
  if (const auto* ok = std::get_if<wechat::SendReceipt>(&answer.result)) {
    subscriptions_.consume_subscription(d.recipient, tid, clock_());
    return {SendStatus::kSent, "", ok->msgid, 0};
  }
  const auto& e = std::get<wechat::ApiError>(answer.result);
  const std::string why =
      fmt::format("WeChat {} {}: {}", wechat::to_string(e.kind), e.errcode, e.message);
  using K = wechat::ErrorKind;
  switch (e.kind) {
    case K::kQuotaSpent:
      subscriptions_.mark_subscription_spent(d.recipient, tid, clock_());
      return {SendStatus::kRefused, why, {}, 0};
    case K::kInvalidData:
    case K::kInvalidUser:
    case K::kConfig:
      return {SendStatus::kRefused, why, {}, 0};
    case K::kRateLimited:
      return {SendStatus::kRateLimited, why, {}, 60'000};
    case K::kRetryable:
      // -1 "busy" and 5xx are WeChat saying it did not take the message (wechat.md: retry);
      // a lost answer to a request that left us might have been delivered.
      if (e.http_status == 0 && answer.reached) return {SendStatus::kUncertain, why, {}, 0};
      return {SendStatus::kRetry, why, {}, 0};
    case K::kTokenInvalid:
      return {SendStatus::kRetry, why, {}, 0};
    case K::kInvalidCode:
    case K::kBlocked:
      return {SendStatus::kRefused, why, {}, 0};
  }
  return {SendStatus::kFailed, why, {}, 0};
}

}  // namespace coldtrack::notify
