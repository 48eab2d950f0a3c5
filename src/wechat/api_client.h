// The mini-program's server API as one object: the access-token holder for the appid plus the
// HTTP calls that need a token (subscribe send, URL Link, shipping upload). Blocking: call it
// on the worker pool. Every answer keeps the transport facts the caller needs to decide
// whether a non-idempotent call may be retried.
#pragma once

#include <functional>
#include <string>

#include "net/http_client.h"
#include "wechat/miniprogram.h"
#include "wechat/shipping.h"
#include "wechat/token_holder.h"

namespace coldtrack::wechat {

// A call's result and whether the request may have reached WeChat (false only when it certainly
// did not: refused before sending, or no connection).
template <class T>
struct Answer {
  Result<T> result;
  bool reached = true;
};

class ApiClient {
 public:
  ApiClient(AppConfig app, net::HttpClient& http, std::function<EpochMs()> clock,
            std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

  const AppConfig& app() const { return app_; }

  Answer<SendReceipt> send_subscribe(const SubscribeMessage& message);
  Answer<std::string> generate_urllink(const UrlLinkSpec& spec);
  // One upload; the ledger decides whether it may be sent (build refuses otherwise).
  struct UploadAnswer {
    UploadResult result;
    bool reached = true;
    std::string refused;  // why it was not sent ("" when it was)
  };
  UploadAnswer upload_shipping(const ShippingUpload& upload, const UploadLedger& ledger);

 private:
  net::HttpResponse post(const Request& r);

  AppConfig app_;
  net::HttpClient& http_;
  std::function<EpochMs()> clock_;
  std::chrono::milliseconds timeout_;
  AccessTokenHolder tokens_;
};

}  // namespace coldtrack::wechat
