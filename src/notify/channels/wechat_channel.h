// Customer messages as WeChat subscribe messages (protocols/wechat.md §3): one template, its
// fields filled from the message (notify/template.h fits every value), a page that opens the
// order. A message needs a subscription the customer accepted: without one, or when WeChat
// refuses (43101 spent, 40003 user, 47003 data, configuration), the channel reports kRefused so
// the message carries on by SMS.
#pragma once

#include <functional>
#include <string>

#include "notify/channels/channel.h"
#include "notify/template.h"
#include "store/store.h"
#include "wechat/api_client.h"

namespace coldtrack::notify {

struct WechatChannelOptions {
  TemplateDef template_def;
  // The order page; "{order_no}" is replaced. Opened from the message card.
  std::string page = "pages/order/detail?order_no={order_no}";
  wechat::MiniProgramState state = wechat::MiniProgramState::kFormal;
  int utc_offset_minutes = 480;
};

class WechatChannel final : public Sender {
 public:
  WechatChannel(wechat::ApiClient& api, store::SubscriptionStore& subscriptions,
                WechatChannelOptions options, std::function<domain::EpochMs()> clock);
  SendReport send(const Delivery& d) override;

 private:
  wechat::ApiClient& api_;
  store::SubscriptionStore& subscriptions_;
  WechatChannelOptions options_;
  std::function<domain::EpochMs()> clock_;
};

// The mini-program page of an order: `page` with every "{order_no}" replaced.
std::string order_page(std::string page, std::string_view order_no);

// The named values a template field may use: order_no, status, text, time, date.
std::map<std::string, std::string, std::less<>> template_values(const Delivery& d,
                                                                int utc_offset_minutes);

}  // namespace coldtrack::notify
