// Staff alerts to a group chat's incoming robot (WeCom / DingTalk style): POST
// {"msgtype":"text","text":{"content":...}} to the configured URL, success is
// {"errcode":0}. The URL carries the robot's key, so it is never logged.
#pragma once

#include <string>

#include "net/http_client.h"
#include "notify/channels/channel.h"

namespace coldtrack::notify {

// (unverified) WeCom's "too many messages" errcode; DingTalk uses 130101. Both mean slow down.
inline constexpr int kWebhookRateLimitCodes[] = {45009, 130101};

class WebhookChannel final : public Sender {
 public:
  WebhookChannel(std::string url, net::HttpClient& http);
  SendReport send(const Delivery& d) override;

 private:
  std::string url_;
  net::HttpClient& http_;
};

}  // namespace coldtrack::notify
