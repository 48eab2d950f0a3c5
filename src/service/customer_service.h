// Customers of the mini-program: WeChat login (code2session) to our own session token, and
// reading only their own orders. Blocking (worker pool): login calls WeChat.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "net/http_client.h"
#include "service/order_service.h"
#include "service/result.h"
#include "store/store.h"
#include "wechat/miniprogram.h"

namespace coldtrack::service {

struct CustomerLogin {
  std::string token;  // bearer token for /api/me/*; only its hash is stored
  std::string openid;
  domain::EpochMs expires_at = 0;
};

class CustomerService {
 public:
  CustomerService(store::Store& store, OrderService& orders, net::HttpClient& http,
                  wechat::AppConfig app, domain::EpochMs session_ttl_ms, Clock clock);

  // Exchanges a wx.login() code for a session. WeChat's refusals become clear errors: an
  // invalid or used code is the field "code", rate limits and outages are kUnavailable.
  Result<CustomerLogin> login(const std::string& js_code);
  // The openid behind a bearer token, when the session is valid.
  std::optional<std::string> authenticate(const std::string& token);

  // Only the customer's own orders, newest first, filtered by the query's statuses, order
  // number and time range (its phone, carrier and waybill filters are ignored).
  Result<OrderList> my_orders(const std::string& openid, ListQuery q);
  // One of the customer's orders; another customer's order is "not found", never "forbidden",
  // so order numbers cannot be probed.
  Result<domain::Order> my_order(const std::string& openid, const std::string& order_no);

  // The templates the customer just accepted in wx.requestSubscribeMessage (one message each);
  // returns the customer's counts afterwards.
  Result<std::vector<store::Subscription>> subscribe(const std::string& openid,
                                                     const std::vector<std::string>& template_ids);
  std::vector<store::Subscription> subscriptions(const std::string& openid);

 private:
  store::Store& store_;
  OrderService& orders_;
  net::HttpClient& http_;
  wechat::AppConfig app_;
  domain::EpochMs ttl_ms_;
  Clock clock_;
};

}  // namespace coldtrack::service
