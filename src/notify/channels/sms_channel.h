// Customer messages by SMS, through Aliyun or Tencent Cloud (protocols/sms.md). Neither SendSms
// is idempotent: a request is retried only when it certainly never reached the provider (or
// Tencent says it did not process it), every other doubt is reported as kUncertain. The text
// links into the mini-program with a URL Link when one can be made.
#pragma once

#include <functional>
#include <string>

#include "net/http_client.h"
#include "notify/channels/channel.h"
#include "notify/sms/aliyun.h"
#include "notify/sms/tencent.h"

namespace coldtrack::notify {

// The code of a URL Link (the "AbCdEf" of https://wxaurl.cn/AbCdEf) that opens the order in the
// mini-program; "" if none. Only the code: providers refuse URLs inside template variables, so
// the approved template text carries "https://wxaurl.cn/${link}" itself.
using LinkMaker = std::function<std::string(const std::string& order_no)>;

// Template variables, both providers: order_no, status (the message text) and link. Aliyun
// gets them as the TemplateParam object {"order_no","status","link"}; Tencent, whose templates
// number their variables, as TemplateParamSet [order_no, status, link].
class AliyunSmsChannel final : public Sender {
 public:
  AliyunSmsChannel(sms::aliyun::Config config, std::string template_code, net::HttpClient& http,
                   LinkMaker link, std::function<domain::EpochMs()> clock);
  SendReport send(const Delivery& d) override;

 private:
  sms::aliyun::Config config_;
  std::string template_code_;
  net::HttpClient& http_;
  LinkMaker link_;
  std::function<domain::EpochMs()> clock_;
};

class TencentSmsChannel final : public Sender {
 public:
  TencentSmsChannel(sms::tencent::Config config, std::string template_id, net::HttpClient& http,
                    LinkMaker link, std::function<domain::EpochMs()> clock);
  SendReport send(const Delivery& d) override;

 private:
  sms::tencent::Config config_;
  std::string template_id_;
  net::HttpClient& http_;
  LinkMaker link_;
  std::function<domain::EpochMs()> clock_;
};

}  // namespace coldtrack::notify
