#include "app/notifications.h"

#include <spdlog/spdlog.h>

#include "app/app.h"
#include "app/consumers.h"
#include "notify/channels/sms_channel.h"
#include "notify/channels/webhook_channel.h"
#include "notify/channels/wechat_channel.h"
#include "service/shipping_uploader.h"

namespace coldtrack::app {
namespace {

wechat::MiniProgramState program_state(const std::string& s) {
  if (s == "trial") return wechat::MiniProgramState::kTrial;
  if (s == "developer") return wechat::MiniProgramState::kDeveloper;
  return wechat::MiniProgramState::kFormal;
}

// The order page path without its query: URL Links take the query separately.
std::pair<std::string, std::string> split_page(const std::string& page,
                                               const std::string& order_no) {
  const std::string p = notify::order_page(page, order_no);
  const auto q = p.find('?');
  if (q == std::string::npos) return {p, ""};
  return {p.substr(0, q), p.substr(q + 1)};
}

}  // namespace

notify::Policy notification_policy(const Config& config) {
  const auto& n = config.notify;
  notify::Policy p = notify::default_policy();
  if (!n.rules.empty()) {
    auto rules = notify::parse_rules(n.rules);
    if (auto* e = std::get_if<std::string>(&rules)) throw ConfigError("notify.rules", *e);
    p.rules = std::move(std::get<std::vector<notify::Rule>>(rules));
  }
  p.utc_offset_minutes = config.display.utc_offset_minutes;
  p.quiet_start_hour = n.quiet_start_hour;
  p.quiet_end_hour = n.quiet_end_hour;
  p.max_per_recipient_per_hour = n.max_per_recipient_per_hour;
  p.digest_window_ms = n.digest_window_s * 1000LL;
  p.reminder_lead_ms = n.reminder_lead_min * 60'000LL;
  p.max_event_age_ms = n.max_event_age_h * 3'600'000LL;
  return p;
}

std::unique_ptr<NotificationStack> make_notifications(const Config& config, store::Store& store,
                                                      const service::PiiCodec& pii,
                                                      const service::EtaService& eta) {
  const auto& n = config.notify;
  if (!n.enabled) return nullptr;
  auto s = std::make_unique<NotificationStack>();
  s->http = std::make_unique<net::HttpClient>(net::HttpClient::Options{});
  const auto timeout = std::chrono::milliseconds(n.send_timeout_ms);

  if (!config.wechat.appid.empty() && !config.wechat.secret.empty()) {
    wechat::AppConfig app;
    app.base_url = config.wechat.api_base_url;
    app.appid = config.wechat.appid;
    app.secret = config.wechat.secret;
    s->wechat = std::make_unique<wechat::ApiClient>(std::move(app), *s->http, now_ms, timeout);
  }
  if (s->wechat && !n.wechat.template_id.empty()) {
    auto fields = parse_template_fields(n.wechat.template_fields);
    if (auto* e = std::get_if<std::string>(&fields))
      throw ConfigError("notify.wechat.template_fields", *e);
    auto def = notify::define_template(
        n.wechat.template_id, std::get<std::vector<std::pair<std::string, std::string>>>(fields));
    if (auto* e = std::get_if<std::string>(&def))
      throw ConfigError("notify.wechat.template_fields", *e);
    notify::WechatChannelOptions wo;
    wo.template_def = std::get<notify::TemplateDef>(def);
    wo.page = n.wechat.page;
    wo.state = program_state(n.wechat.state);
    wo.utc_offset_minutes = config.display.utc_offset_minutes;
    s->wechat_sender =
        std::make_unique<notify::WechatChannel>(*s->wechat, store, std::move(wo), now_ms);
  }

  // SMS opens the order in the mini-program through a URL Link, when WeChat is configured.
  notify::LinkMaker link;
  if (s->wechat) {
    link = [api = s->wechat.get(), page = n.wechat.page](const std::string& order_no) {
      wechat::UrlLinkSpec spec;
      std::tie(spec.path, spec.query) = split_page(page, order_no);
      auto answer = api->generate_urllink(spec);
      // Providers refuse URLs inside variables (isv.PARAM_NOT_SUPPORT_URL): the approved
      // template holds "https://wxaurl.cn/${link}" and the variable only the link's code.
      if (auto* url = std::get_if<std::string>(&answer.result))
        return url->substr(url->rfind('/') + 1);
      return std::string();
    };
  }
  if (n.sms.provider == "aliyun") {
    const auto& a = n.sms.aliyun;
    if (a.access_key_id.empty() || a.access_key_secret.empty() || a.sign_name.empty() ||
        a.template_code.empty())
      throw ConfigError("notify.sms.aliyun",
                        "access_key_id, access_key_secret, sign_name and template_code are all "
                        "needed for Aliyun SMS");
    notify::sms::aliyun::Config c;
    c.endpoint = a.endpoint;
    c.access_key_id = a.access_key_id;
    c.access_key_secret = a.access_key_secret;
    c.sign_name = a.sign_name;
    s->sms_sender = std::make_unique<notify::AliyunSmsChannel>(std::move(c), a.template_code,
                                                               *s->http, link, now_ms);
  } else if (n.sms.provider == "tencent") {
    const auto& t = n.sms.tencent;
    if (t.secret_id.empty() || t.secret_key.empty() || t.sms_sdk_app_id.empty() ||
        t.sign_name.empty() || t.template_id.empty())
      throw ConfigError("notify.sms.tencent",
                        "secret_id, secret_key, sms_sdk_app_id, sign_name and template_id are "
                        "all needed for Tencent SMS");
    notify::sms::tencent::Config c;
    c.endpoint = t.endpoint;
    c.secret_id = t.secret_id;
    c.secret_key = t.secret_key;
    c.region = t.region;
    c.sms_sdk_app_id = t.sms_sdk_app_id;
    c.sign_name = t.sign_name;
    s->sms_sender = std::make_unique<notify::TencentSmsChannel>(std::move(c), t.template_id,
                                                                *s->http, link, now_ms);
  }
  // WeChat holds WeChat Pay money until the shipment is uploaded: do it for every such order.
  if (s->wechat && n.wechat.upload_shipping && !config.wechatpay.apiv3_key.empty())
    s->shipping_uploader = std::make_unique<service::ShippingUploader>(
        store, pii, *s->wechat, config.display.utc_offset_minutes, now_ms);
  if (!n.staff_webhook_url.empty())
    s->webhook_sender = std::make_unique<notify::WebhookChannel>(n.staff_webhook_url, *s->http);

  service::NotificationOptions o;
  o.policy = notification_policy(config);
  o.lease_ms = n.lease_s * 1000LL;
  o.max_attempts = n.max_attempts;
  o.backoff_base_ms = n.backoff_base_s * 1000LL;
  o.outbox_grace_ms = outbox_grace_ms(config);  // broker consumers plan first (app/consumers.h)
  s->service = std::make_unique<service::NotificationService>(
      store, pii, &eta,
      service::NotificationChannels{s->wechat_sender.get(), s->sms_sender.get(),
                                    s->webhook_sender.get(), s->shipping_uploader.get()},
      std::move(o), now_ms);
  spdlog::info("notifications: WeChat {}, SMS {}, staff webhook {}, shipping-info upload {}",
               s->wechat_sender ? "on" : "off", n.sms.provider, s->webhook_sender ? "on" : "off",
               s->shipping_uploader ? "on" : "off");
  return s;
}

}  // namespace coldtrack::app
