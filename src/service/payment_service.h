// Payment confirmation from WeChat Pay's v3 notification: verify, decrypt, check against the
// order, and move it to PAID with the payment's own time, exactly once. Blocking (worker pool).
#pragma once

#include <string>
#include <string_view>

#include "service/order_service.h"
#include "store/store.h"
#include "wechat/pay_notify.h"

namespace coldtrack::service {

struct WechatPayOptions {
  std::string appid;  // the mini-program the payments belong to
  std::string mchid;  // our merchant id
  wechat::NotifyConfig notify;
};

class PaymentService {
 public:
  PaymentService(store::Store& store, WechatPayOptions options, Clock clock);

  // The reply WeChat Pay expects: 204 when the payment is recorded (or was already), otherwise
  // a FAIL body with a status that makes WeChat Pay retry. Never throws for bad input.
  wechat::NotifyReply wechatpay_notify(const wechat::NotifyHeaders& headers, std::string_view body);

 private:
  store::Store& store_;
  WechatPayOptions options_;
  Clock clock_;
};

}  // namespace coldtrack::service
