// Builds the notification worker and its channels from configuration.
#pragma once

#include <memory>

#include "app/config.h"
#include "net/http_client.h"
#include "notify/channels/channel.h"
#include "service/notification_service.h"
#include "wechat/api_client.h"

namespace coldtrack::app {

struct NotificationStack {
  std::unique_ptr<net::HttpClient> http;
  std::unique_ptr<wechat::ApiClient> wechat;
  std::unique_ptr<notify::Sender> wechat_sender, sms_sender, webhook_sender, shipping_uploader;
  std::unique_ptr<service::NotificationService> service;
};

// The policy the configuration asks for (rules, quiet hours, limits, digest, reminder lead).
// Throws ConfigError for a setting that cannot be used.
notify::Policy notification_policy(const Config& config);

// Null when notify.enabled is false. Channels without credentials are left out (their messages
// fall back or are dead-lettered with the reason).
std::unique_ptr<NotificationStack> make_notifications(const Config& config, store::Store& store,
                                                      const service::PiiCodec& pii,
                                                      const service::EtaService& eta);

}  // namespace coldtrack::app
