#include "service/customer_service.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "security/crypto.h"

namespace coldtrack::service {

CustomerService::CustomerService(store::Store& store, OrderService& orders, net::HttpClient& http,
                                 wechat::AppConfig app, domain::EpochMs session_ttl_ms, Clock clock)
    : store_(store),
      orders_(orders),
      http_(http),
      app_(std::move(app)),
      ttl_ms_(session_ttl_ms),
      clock_(std::move(clock)) {}

Result<CustomerLogin> CustomerService::login(const std::string& js_code) {
  auto built = wechat::build_code2session(app_, js_code);
  if (auto* bad = std::get_if<wechat::Invalid>(&built)) return invalid("code", bad->reason);
  const auto& req = std::get<wechat::Request>(built);
  net::HttpRequest r;
  r.method = req.method;
  r.url = req.url;
  const auto res = http_.send(r);
  auto parsed = wechat::parse_code2session(res.status, res.body);
  if (auto* e = std::get_if<wechat::ApiError>(&parsed)) {
    using K = wechat::ErrorKind;
    spdlog::warn("wechat login refused: {} {} {} ({})", wechat::to_string(e->kind), e->errcode,
                 e->message, req.log_url);
    switch (e->kind) {
      case K::kInvalidCode:
        return invalid("code", "is invalid or already used; call wx.login() again");
      case K::kBlocked:
        return Error{ErrorCode::kPermissionDenied, "WeChat refused this account", {}, std::nullopt};
      case K::kRateLimited:
        return Error{
            ErrorCode::kUnavailable, "too many logins; retry in a minute", {}, std::nullopt};
      default:
        return Error{
            ErrorCode::kUnavailable, "WeChat login is unavailable; retry later", {}, std::nullopt};
    }
  }
  // The session_key stays here: it is neither stored nor returned.
  const auto identity = std::get<wechat::Session>(parsed).identity();
  CustomerLogin out;
  out.token = security::random_hex(32);
  out.openid = identity.openid;
  const auto now = clock_();
  out.expires_at = now + ttl_ms_;
  store_.insert_session({security::sha256_hex(out.token), out.openid, now, out.expires_at});
  return out;
}

std::optional<std::string> CustomerService::authenticate(const std::string& token) {
  if (token.size() != 64) return std::nullopt;
  auto s = store_.find_session(security::sha256_hex(token), clock_());
  if (!s) return std::nullopt;
  return s->openid;
}

Result<OrderList> CustomerService::my_orders(const std::string& openid, ListQuery q) {
  // Only the filters a customer may use; the openid is always theirs, history always included.
  q.openid = openid;
  q.phone.reset();
  q.carrier.reset();
  q.waybill_no.reset();
  q.archived = store::ArchiveScope::kInclude;
  q.masked = true;
  return orders_.list(q);
}

Result<domain::Order> CustomerService::my_order(const std::string& openid,
                                                const std::string& order_no) {
  Actor self{"customer:" + openid, "customer", "", ""};
  auto r = orders_.get(order_no, false, self);
  if (!r.ok()) return r;
  if (r.value().data.customer.openid != openid) return not_found("order not found");
  return r;
}

Result<std::vector<store::Subscription>> CustomerService::subscribe(
    const std::string& openid, const std::vector<std::string>& template_ids) {
  if (template_ids.empty() || template_ids.size() > 20)
    return invalid("template_ids", "must list 1 to 20 template ids");
  for (std::size_t i = 0; i < template_ids.size(); ++i) {
    const auto& t = template_ids[i];
    const bool ok = !t.empty() && t.size() <= 64 && std::all_of(t.begin(), t.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
    });
    if (!ok)
      return invalid(fmt::format("template_ids[{}]", i),
                     "must be a template id of letters, digits, '_' or '-'");
  }
  return store_.add_subscriptions(openid, template_ids, clock_());
}

std::vector<store::Subscription> CustomerService::subscriptions(const std::string& openid) {
  return store_.subscriptions(openid);
}

}  // namespace coldtrack::service
