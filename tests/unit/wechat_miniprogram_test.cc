#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <string>
#include <variant>

#include "notify/template.h"
#include "wechat/miniprogram.h"
#include "wechat/shipping.h"

namespace coldtrack {
namespace {

namespace json = boost::json;
using namespace std::string_literals;

// 2026-11-25 13:00:00 and 13:05:00 China time (UTC+8) as UTC epoch ms.
constexpr wechat::EpochMs k1300 = 1795582800000;
constexpr wechat::EpochMs k1305 = 1795583100000;
constexpr int kChina = 8 * 60;

wechat::AppConfig DocApp() {
  wechat::AppConfig app;
  app.appid = "APPID";
  app.secret = "SECRET";
  return app;
}

// The request, or a test failure naming the refused field.
wechat::Request Req(const wechat::Built& b) {
  if (const auto* inv = std::get_if<wechat::Invalid>(&b)) {
    ADD_FAILURE() << "refused " << inv->field << ": " << inv->reason;
    return {};
  }
  return std::get<wechat::Request>(b);
}

// The refused field, or "" (and a failure) when the builder accepted.
std::string RefusedField(const wechat::Built& b) {
  if (const auto* inv = std::get_if<wechat::Invalid>(&b)) return inv->field;
  ADD_FAILURE() << "accepted: " << std::get<wechat::Request>(b).body;
  return "";
}

template <class T>
T Ok(const wechat::Result<T>& r) {
  if (const auto* e = std::get_if<wechat::ApiError>(&r)) {
    ADD_FAILURE() << "error " << e->errcode << ": " << e->message;
    return T{};
  }
  return std::get<T>(r);
}

template <class T>
wechat::ApiError Err(const wechat::Result<T>& r) {
  if (const auto* e = std::get_if<wechat::ApiError>(&r)) return *e;
  ADD_FAILURE() << "unexpected success";
  return {};
}

std::string ErrorBody(int errcode) {
  return R"({"errcode":)" + std::to_string(errcode) + R"(,"errmsg":"some text"})";
}

// A pretty-printed JSON document from the protocol doc, in compact form with its key order kept.
std::string Compact(std::string_view doc) {
  return json::serialize(json::parse(doc));
}

std::string Repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

// ================================== WechatMiniProgram ==========================================

TEST(WechatMiniProgram, Code2SessionUrlMatchesDoc) {
  auto r = Req(wechat::build_code2session(DocApp(), "CODE"));
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.url,
            "https://api.weixin.qq.com/sns/jscode2session?appid=APPID&secret=SECRET&js_code=CODE"
            "&grant_type=authorization_code");
  EXPECT_EQ(r.log_url,
            "https://api.weixin.qq.com/sns/jscode2session?appid=APPID&secret=***&js_code=***"
            "&grant_type=authorization_code");
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(r.content_type, "");
}

TEST(WechatMiniProgram, QueryValuesArePercentEncodedAndBasePathKept) {
  wechat::AppConfig app = DocApp();
  app.base_url = "http://127.0.0.1:9100/wechat/";
  app.secret = "s+e/c=r&e t";
  auto r = Req(wechat::build_code2session(app, "0a1B~_.-"));
  EXPECT_EQ(
      r.url,
      "http://127.0.0.1:9100/wechat/sns/jscode2session?appid=APPID&secret=s%2Be%2Fc%3Dr%26e%20t"
      "&js_code=0a1B~_.-&grant_type=authorization_code");
}

TEST(WechatMiniProgram, Code2SessionRefusesBadInput) {
  EXPECT_EQ(RefusedField(wechat::build_code2session(DocApp(), "")), "js_code");
  EXPECT_EQ(RefusedField(wechat::build_code2session(DocApp(), std::string(257, 'a'))), "js_code");
  wechat::AppConfig app = DocApp();
  app.base_url = "api.weixin.qq.com";
  EXPECT_EQ(RefusedField(wechat::build_code2session(app, "CODE")), "base_url");
  app.base_url = "ftp://api.weixin.qq.com";
  EXPECT_EQ(RefusedField(wechat::build_code2session(app, "CODE")), "base_url");
}

TEST(WechatMiniProgram, Code2SessionParsesSuccess) {
  auto s = Ok(wechat::parse_code2session(
      200, R"({"openid":"oUser1","session_key":"KEY==","unionid":"uUnion1"})"));
  EXPECT_EQ(s.openid, "oUser1");
  EXPECT_EQ(s.session_key, "KEY==");
  EXPECT_EQ(s.unionid, "uUnion1");
  EXPECT_EQ(s.identity().openid, "oUser1");
  EXPECT_EQ(s.identity().unionid, "uUnion1");
  // unionid only when bound to an Open Platform account; errcode 0 is success too.
  auto t = Ok(wechat::parse_code2session(
      200, R"({"errcode":0,"errmsg":"ok","openid":"oUser2","session_key":"K2"})"));
  EXPECT_EQ(t.openid, "oUser2");
  EXPECT_EQ(t.unionid, "");
}

TEST(WechatMiniProgram, Code2SessionClassifiesEveryDocumentedErrcode) {
  using K = wechat::ErrorKind;
  const std::pair<int, K> cases[] = {{-1, K::kRetryable},      {40029, K::kInvalidCode},
                                     {40163, K::kInvalidCode}, {45011, K::kRateLimited},
                                     {40226, K::kBlocked},     {40125, K::kConfig},
                                     {40001, K::kConfig}};  // no access_token on this call
  for (const auto& [code, kind] : cases) {
    auto e = Err(wechat::parse_code2session(200, ErrorBody(code)));
    EXPECT_EQ(e.kind, kind) << code;
    EXPECT_EQ(e.errcode, code);
    EXPECT_EQ(e.message, "some text");
  }
}

TEST(WechatMiniProgram, TransportAndMalformedReplies) {
  using K = wechat::ErrorKind;
  EXPECT_EQ(Err(wechat::parse_code2session(500, "")).kind, K::kRetryable);
  EXPECT_EQ(Err(wechat::parse_code2session(0, "")).kind, K::kRetryable);
  EXPECT_EQ(Err(wechat::parse_code2session(429, "")).kind, K::kRateLimited);
  EXPECT_EQ(Err(wechat::parse_code2session(404, "")).kind, K::kConfig);
  EXPECT_EQ(Err(wechat::parse_code2session(200, "<html>")).kind, K::kRetryable);
  EXPECT_EQ(Err(wechat::parse_code2session(200, "[]")).kind, K::kRetryable);
  EXPECT_EQ(Err(wechat::parse_code2session(200, R"({"errcode":"x"})")).kind, K::kRetryable);
  EXPECT_EQ(Err(wechat::parse_code2session(200, R"({"session_key":"k"})")).kind, K::kRetryable);
  EXPECT_EQ(Err(wechat::parse_code2session(200, R"({"openid":"o"})")).kind, K::kRetryable);
  auto e = Err(wechat::parse_code2session(503, "busy"));
  EXPECT_EQ(e.http_status, 503);
  EXPECT_EQ(e.errcode, 0);
}

TEST(WechatMiniProgram, StableTokenBodyMatchesDoc) {
  auto r = Req(wechat::build_stable_token(DocApp(), false));
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://api.weixin.qq.com/cgi-bin/stable_token");
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, R"({"grant_type":"client_credential","appid":"APPID",)"
                    R"("secret":"SECRET","force_refresh":false})");
  EXPECT_EQ(Req(wechat::build_stable_token(DocApp(), true)).body,
            R"({"grant_type":"client_credential","appid":"APPID",)"
            R"("secret":"SECRET","force_refresh":true})");
  wechat::AppConfig app = DocApp();
  app.secret.clear();
  EXPECT_EQ(RefusedField(wechat::build_stable_token(app, false)), "secret");
}

TEST(WechatMiniProgram, StableTokenParse) {
  auto t =
      Ok(wechat::parse_stable_token(200, R"({"access_token":"ACCESS_TOKEN","expires_in":7200})"));
  EXPECT_EQ(t.access_token, "ACCESS_TOKEN");
  EXPECT_EQ(t.expires_in_s, 7200);
  using K = wechat::ErrorKind;
  EXPECT_EQ(Err(wechat::parse_stable_token(200, R"({"access_token":"T"})")).kind, K::kRetryable);
  EXPECT_EQ(Err(wechat::parse_stable_token(200, R"({"access_token":"T","expires_in":0})")).kind,
            K::kRetryable);
  EXPECT_EQ(Err(wechat::parse_stable_token(200, ErrorBody(-1))).kind, K::kRetryable);
  EXPECT_EQ(Err(wechat::parse_stable_token(200, ErrorBody(45011))).kind, K::kRateLimited);
  EXPECT_EQ(Err(wechat::parse_stable_token(200, ErrorBody(40013))).kind, K::kConfig);
  EXPECT_EQ(Err(wechat::parse_stable_token(200, ErrorBody(40001))).kind, K::kConfig);
}

TEST(WechatMiniProgram, RefreshDueBeforeExpiryByMargin) {
  const wechat::EpochMs t = k1300;
  EXPECT_EQ(wechat::refresh_due(t, 7200), t + 6600'000);  // 10 minutes before expiry
  EXPECT_EQ(wechat::refresh_due(t, 7200, 5 * 60'000), t + 6900'000);
  // Same token handed out late in its life: ask again when WeChat starts renewing.
  EXPECT_EQ(wechat::refresh_due(t, 500), t + 200'000);
  EXPECT_EQ(wechat::refresh_due(t, 600), t + 300'000);
  EXPECT_EQ(wechat::refresh_due(t, 601), t + 1'000);
  // Below the documented minimum: 30 s later, never past expiry, never a busy loop.
  EXPECT_EQ(wechat::refresh_due(t, 300), t + 30'000);
  EXPECT_EQ(wechat::refresh_due(t, 20), t + 20'000);
  EXPECT_EQ(wechat::refresh_due(t, 0), t);
}

TEST(WechatMiniProgram, ForceRefreshOnlyWhenTheFailedTokenComesBack) {
  EXPECT_TRUE(wechat::should_force_refresh("T1", {"T1", 300}));
  EXPECT_FALSE(wechat::should_force_refresh("T1", {"T2", 7200}));
  EXPECT_FALSE(wechat::should_force_refresh("", {"", 7200}));
  EXPECT_EQ(wechat::kForceRefreshPerDay, 20);
  EXPECT_EQ(wechat::kForceRefreshGapMs, 30'000);
}

// wechat.md §3 request example, verbatim.
constexpr std::string_view kDocSubscribeBody = R"({
  "touser": "<openid>",
  "template_id": "<template id>",
  "page": "pages/order/detail?id=CT20261125001",
  "miniprogram_state": "formal",
  "lang": "zh_CN",
  "data": {
    "character_string1": {"value": "CT20261125001"},
    "thing2":            {"value": "速冻水饺 2 袋"},
    "phrase3":           {"value": "派送中"},
    "time4":             {"value": "2026-11-25 13:00"},
    "amount5":           {"value": "¥12.50"}
  }
})";

wechat::SubscribeMessage DocMessage() {
  wechat::SubscribeMessage m;
  m.touser = "<openid>";
  m.template_id = "<template id>";
  m.page = "pages/order/detail?id=CT20261125001";
  m.data = {{"character_string1", "CT20261125001"},
            {"thing2", "速冻水饺 2 袋"},
            {"phrase3", "派送中"},
            {"time4", "2026-11-25 13:00"},
            {"amount5", "¥12.50"}};
  return m;
}

TEST(WechatMiniProgram, SubscribeSendMatchesDoc) {
  auto r = Req(wechat::build_subscribe_send(DocApp(), "TOKEN", DocMessage()));
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://api.weixin.qq.com/cgi-bin/message/subscribe/send?access_token=TOKEN");
  EXPECT_EQ(r.log_url, "https://api.weixin.qq.com/cgi-bin/message/subscribe/send?access_token=***");
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, Compact(kDocSubscribeBody));
}

TEST(WechatMiniProgram, SubscribeSendOptions) {
  auto m = DocMessage();
  m.page.clear();
  m.state = wechat::MiniProgramState::kTrial;
  m.lang = wechat::Lang::kEnUS;
  m.data = {{"thing2", "x"}};
  EXPECT_EQ(Req(wechat::build_subscribe_send(DocApp(), "TOKEN", m)).body,
            R"({"touser":"<openid>","template_id":"<template id>","miniprogram_state":"trial",)"
            R"("lang":"en_US","data":{"thing2":{"value":"x"}}})");
  m.state = wechat::MiniProgramState::kDeveloper;
  m.lang = wechat::Lang::kZhHK;
  auto body = json::parse(Req(wechat::build_subscribe_send(DocApp(), "TOKEN", m)).body);
  EXPECT_EQ(body.at("miniprogram_state"), "developer");
  EXPECT_EQ(body.at("lang"), "zh_HK");
  m.lang = wechat::Lang::kZhTW;
  body = json::parse(Req(wechat::build_subscribe_send(DocApp(), "TOKEN", m)).body);
  EXPECT_EQ(body.at("lang"), "zh_TW");
}

TEST(WechatMiniProgram, SubscribeSendRefusesBadInput) {
  auto m = DocMessage();
  m.touser.clear();
  EXPECT_EQ(RefusedField(wechat::build_subscribe_send(DocApp(), "TOKEN", m)), "touser");
  m = DocMessage();
  m.template_id.clear();
  EXPECT_EQ(RefusedField(wechat::build_subscribe_send(DocApp(), "TOKEN", m)), "template_id");
  m = DocMessage();
  m.data.clear();
  EXPECT_EQ(RefusedField(wechat::build_subscribe_send(DocApp(), "TOKEN", m)), "data");
  m = DocMessage();
  m.data.push_back({"thing2", "again"});
  EXPECT_EQ(RefusedField(wechat::build_subscribe_send(DocApp(), "TOKEN", m)), "data.thing2");
  EXPECT_EQ(RefusedField(wechat::build_subscribe_send(DocApp(), "", DocMessage())), "access_token");
}

TEST(WechatMiniProgram, SubscribeSendParsesReceipt) {
  EXPECT_EQ(
      Ok(wechat::parse_subscribe_send(200, R"({"errcode":0,"errmsg":"ok","msgid":1234567})")).msgid,
      "1234567");
  EXPECT_EQ(Ok(wechat::parse_subscribe_send(
                   200, R"({"errcode":0,"errmsg":"ok","msgid":18446744073709551615})"))
                .msgid,
            "18446744073709551615");
}

TEST(WechatMiniProgram, SubscribeSendClassifiesEveryDocumentedErrcode) {
  using K = wechat::ErrorKind;
  const std::pair<int, K> cases[] = {
      {40003, K::kInvalidUser},  {40037, K::kConfig}, {43101, K::kQuotaSpent},
      {47003, K::kInvalidData},  {41030, K::kConfig}, {40001, K::kTokenInvalid},
      {42001, K::kTokenInvalid}, {-1, K::kRetryable}, {45011, K::kRateLimited},
      {45109, K::kConfig},       {99999, K::kConfig}};
  for (const auto& [code, kind] : cases) {
    auto e = Err(wechat::parse_subscribe_send(200, ErrorBody(code)));
    EXPECT_EQ(e.kind, kind) << code;
    EXPECT_EQ(e.errcode, code);
  }
  // 47003's errmsg names the field: kept for the operator.
  auto e = Err(wechat::parse_subscribe_send(
      200, R"({"errcode":47003,"errmsg":"argument invalid! data.thing2.value invalid"})"));
  EXPECT_EQ(e.message, "argument invalid! data.thing2.value invalid");
  EXPECT_EQ(Err(wechat::parse_subscribe_send(200, R"({"errcode":43101})")).message,
            "errcode 43101");
}

TEST(WechatMiniProgram, ErrorKindNames) {
  using K = wechat::ErrorKind;
  EXPECT_EQ(wechat::to_string(K::kInvalidCode), "invalid_code");
  EXPECT_EQ(wechat::to_string(K::kRateLimited), "rate_limited");
  EXPECT_EQ(wechat::to_string(K::kBlocked), "blocked");
  EXPECT_EQ(wechat::to_string(K::kRetryable), "retryable");
  EXPECT_EQ(wechat::to_string(K::kConfig), "config");
  EXPECT_EQ(wechat::to_string(K::kTokenInvalid), "token_invalid");
  EXPECT_EQ(wechat::to_string(K::kQuotaSpent), "quota_spent");
  EXPECT_EQ(wechat::to_string(K::kInvalidData), "invalid_data");
  EXPECT_EQ(wechat::to_string(K::kInvalidUser), "invalid_user");
}

wechat::UrlLinkSpec DocLink() {
  wechat::UrlLinkSpec s;
  s.path = "pages/order/detail";
  s.query = "id=CT20261125001";
  return s;
}

TEST(WechatMiniProgram, UrlLinkMatchesDoc) {
  auto r = Req(wechat::build_generate_urllink(DocApp(), "TOKEN", DocLink(), k1300));
  EXPECT_EQ(r.url, "https://api.weixin.qq.com/wxa/generate_urllink?access_token=TOKEN");
  EXPECT_EQ(r.log_url, "https://api.weixin.qq.com/wxa/generate_urllink?access_token=***");
  EXPECT_EQ(r.body, R"({"path":"pages/order/detail","query":"id=CT20261125001",)"
                    R"("expire_type":1,"expire_interval":30,"env_version":"release"})");
}

TEST(WechatMiniProgram, UrlLinkExpireTime) {
  auto s = DocLink();
  const std::int64_t now_s = k1300 / 1000;
  s.expire_time_s = now_s + 30 * 86'400;
  s.env_version = "trial";
  EXPECT_EQ(
      Req(wechat::build_generate_urllink(DocApp(), "TOKEN", s, k1300)).body,
      R"({"path":"pages/order/detail","query":"id=CT20261125001","expire_type":0,"expire_time":)" +
          std::to_string(now_s + 30 * 86'400) + R"(,"env_version":"trial"})");
  s.expire_time_s = now_s + 30 * 86'400 + 1;
  EXPECT_EQ(RefusedField(wechat::build_generate_urllink(DocApp(), "TOKEN", s, k1300)),
            "expire_time");
  s.expire_time_s = now_s;
  EXPECT_EQ(RefusedField(wechat::build_generate_urllink(DocApp(), "TOKEN", s, k1300)),
            "expire_time");
}

TEST(WechatMiniProgram, UrlLinkValidation) {
  auto s = DocLink();
  s.query = std::string(1024, 'a');
  EXPECT_TRUE(std::holds_alternative<wechat::Request>(
      wechat::build_generate_urllink(DocApp(), "TOKEN", s, k1300)));
  s.query = std::string(1025, 'a');
  EXPECT_EQ(RefusedField(wechat::build_generate_urllink(DocApp(), "TOKEN", s, k1300)), "query");
  s.query = "a=1&b=!#$&'()*+,/:;=?@-._~%20";
  EXPECT_TRUE(std::holds_alternative<wechat::Request>(
      wechat::build_generate_urllink(DocApp(), "TOKEN", s, k1300)));
  for (std::string bad : {"a=b c", "name=张三", "a=<b>", "a=\"b\""}) {
    s.query = bad;
    EXPECT_EQ(RefusedField(wechat::build_generate_urllink(DocApp(), "TOKEN", s, k1300)), "query")
        << bad;
  }
  s = DocLink();
  s.path = "pages/order/detail?id=1";
  EXPECT_EQ(RefusedField(wechat::build_generate_urllink(DocApp(), "TOKEN", s, k1300)), "path");
  s = DocLink();
  s.path.clear();  // home page
  EXPECT_TRUE(std::holds_alternative<wechat::Request>(
      wechat::build_generate_urllink(DocApp(), "TOKEN", s, k1300)));
  for (int days : {0, 31}) {
    s = DocLink();
    s.expire_interval_days = days;
    EXPECT_EQ(RefusedField(wechat::build_generate_urllink(DocApp(), "TOKEN", s, k1300)),
              "expire_interval");
  }
  s = DocLink();
  s.env_version = "beta";
  EXPECT_EQ(RefusedField(wechat::build_generate_urllink(DocApp(), "TOKEN", s, k1300)),
            "env_version");
}

TEST(WechatMiniProgram, UrlLinkParse) {
  EXPECT_EQ(Ok(wechat::parse_generate_urllink(
                200, R"({"errcode":0,"errmsg":"ok","url_link":"https://wxaurl.cn/abc"})")),
            "https://wxaurl.cn/abc");
  EXPECT_EQ(Ok(wechat::parse_generate_urllink(200, R"({"errcode":0,"url_link":"https://x/y"})")),
            "https://x/y");
  using K = wechat::ErrorKind;
  EXPECT_EQ(Err(wechat::parse_generate_urllink(200, R"({"errcode":0})")).kind, K::kRetryable);
  EXPECT_EQ(Err(wechat::parse_generate_urllink(200, ErrorBody(42001))).kind, K::kTokenInvalid);
  EXPECT_EQ(Err(wechat::parse_generate_urllink(200, ErrorBody(40001))).kind, K::kTokenInvalid);
  EXPECT_EQ(Err(wechat::parse_generate_urllink(200, ErrorBody(-1))).kind, K::kRetryable);
  EXPECT_EQ(Err(wechat::parse_generate_urllink(200, ErrorBody(85401))).kind, K::kConfig);
}

// ================================== WechatShipping =============================================

// wechat-shipping.md example body, with its placeholders, order key by out_trade_no + mchid.
constexpr std::string_view kDocShippingBody = R"({
  "order_key": { "order_number_type": 1, "mchid": "...", "out_trade_no": "..." },
  "logistics_type": 1,
  "delivery_mode": 1,
  "is_all_delivered": true,
  "shipping_list": [
    { "tracking_no": "SF1400000000001",
      "express_company": "SF",
      "item_desc": "速冻水饺*2",
      "contact": { "receiver_contact": "138****5678" } }
  ],
  "upload_time": "2026-11-25T13:05:00+08:00",
  "payer": { "openid": "..." }
})";

wechat::ShippingUpload DocUpload() {
  wechat::ShippingUpload u;
  u.order_key = wechat::OrderKey::merchant_order("...", "...");
  u.shipping_list = {{"SF1400000000001", "SF", "速冻水饺*2", "13812345678"}};
  u.upload_time = k1305;
  u.payer_openid = "...";
  return u;
}

TEST(WechatShipping, UploadMatchesDoc) {
  auto r = Req(wechat::build_upload_shipping_info(DocApp(), "TOKEN", DocUpload(), {}));
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url,
            "https://api.weixin.qq.com/wxa/sec/order/upload_shipping_info?access_token=TOKEN");
  EXPECT_EQ(r.log_url,
            "https://api.weixin.qq.com/wxa/sec/order/upload_shipping_info?access_token=***");
  EXPECT_EQ(r.body, Compact(kDocShippingBody));
  EXPECT_EQ(r.body.find("13812345678"), std::string::npos);  // the full phone never leaves
}

TEST(WechatShipping, OrderKeyByTransactionIdAndSplitDelivery) {
  auto u = DocUpload();
  u.order_key = wechat::OrderKey::transaction("4200001234202611250000000001");
  u.delivery_mode = wechat::DeliveryMode::kSplit;
  u.is_all_delivered = false;
  u.shipping_list = {{"YT0000000000001", "YTO", "速冻水饺*1", "13812345678"},
                     {"SF1400000000002", "SF", "速冻汤圆*1", "138****5678"}};
  auto r = Req(wechat::build_upload_shipping_info(DocApp(), "TOKEN", u, {}));
  EXPECT_EQ(
      r.body,
      R"({"order_key":{"order_number_type":2,"transaction_id":"4200001234202611250000000001"},)"
      R"("logistics_type":1,"delivery_mode":2,"is_all_delivered":false,"shipping_list":[)"
      R"({"tracking_no":"YT0000000000001","express_company":"YTO","item_desc":"速冻水饺*1"},)"
      R"({"tracking_no":"SF1400000000002","express_company":"SF","item_desc":"速冻汤圆*1",)"
      R"("contact":{"receiver_contact":"138****5678"}}],)"
      R"("upload_time":"2026-11-25T13:05:00+08:00","payer":{"openid":"..."}})");
}

TEST(WechatShipping, NonExpressNeedsNoWaybill) {
  auto u = DocUpload();
  u.logistics_type = wechat::LogisticsType::kBuyerPickup;
  u.shipping_list = {{"", "", "速冻水饺*2", ""}};
  auto body = json::parse(Req(wechat::build_upload_shipping_info(DocApp(), "TOKEN", u, {})).body);
  EXPECT_EQ(body.at("logistics_type"), 4);
  EXPECT_EQ(json::serialize(body.at("shipping_list")), R"([{"item_desc":"速冻水饺*2"}])");
}

TEST(WechatShipping, DocumentedRulesRefused) {
  auto u = DocUpload();
  u.delivery_mode = wechat::DeliveryMode::kSplit;
  u.logistics_type = wechat::LogisticsType::kSameCity;
  EXPECT_EQ(RefusedField(wechat::build_upload_shipping_info(DocApp(), "T", u, {})),
            "delivery_mode");

  u = DocUpload();
  u.delivery_mode = wechat::DeliveryMode::kSplit;
  u.shipping_list.clear();
  for (int i = 0; i < 10; ++i)
    u.shipping_list.push_back({"SF14000000000" + std::to_string(10 + i), "SF", "x", "13812345678"});
  EXPECT_TRUE(std::holds_alternative<wechat::Request>(
      wechat::build_upload_shipping_info(DocApp(), "T", u, {})));
  u.shipping_list.push_back({"SF1400000000099", "SF", "x", "13812345678"});
  EXPECT_EQ(RefusedField(wechat::build_upload_shipping_info(DocApp(), "T", u, {})),
            "shipping_list");

  u = DocUpload();
  u.shipping_list.push_back(u.shipping_list[0]);  // unified: one waybill
  EXPECT_EQ(RefusedField(wechat::build_upload_shipping_info(DocApp(), "T", u, {})),
            "shipping_list");
  u.delivery_mode = wechat::DeliveryMode::kSplit;  // split: tracking numbers must differ
  EXPECT_EQ(RefusedField(wechat::build_upload_shipping_info(DocApp(), "T", u, {})),
            "shipping_list[1].tracking_no");

  u = DocUpload();
  u.shipping_list.clear();
  EXPECT_EQ(RefusedField(wechat::build_upload_shipping_info(DocApp(), "T", u, {})),
            "shipping_list");

  u = DocUpload();
  u.shipping_list[0].tracking_no.clear();
  EXPECT_EQ(RefusedField(wechat::build_upload_shipping_info(DocApp(), "T", u, {})),
            "shipping_list[0].tracking_no");
  u = DocUpload();
  u.shipping_list[0].express_company.clear();
  EXPECT_EQ(RefusedField(wechat::build_upload_shipping_info(DocApp(), "T", u, {})),
            "shipping_list[0].express_company");
  u = DocUpload();
  u.shipping_list[0].item_desc.clear();
  EXPECT_EQ(RefusedField(wechat::build_upload_shipping_info(DocApp(), "T", u, {})),
            "shipping_list[0].item_desc");
  u = DocUpload();
  u.shipping_list[0].receiver_phone.clear();  // SF needs the contact
  EXPECT_EQ(RefusedField(wechat::build_upload_shipping_info(DocApp(), "T", u, {})),
            "shipping_list[0].contact.receiver_contact");
  u = DocUpload();
  u.order_key.mchid.clear();
  EXPECT_EQ(RefusedField(wechat::build_upload_shipping_info(DocApp(), "T", u, {})),
            "order_key.mchid");
  u = DocUpload();
  u.order_key.out_trade_no.clear();
  EXPECT_EQ(RefusedField(wechat::build_upload_shipping_info(DocApp(), "T", u, {})),
            "order_key.out_trade_no");
  u = DocUpload();
  u.order_key = wechat::OrderKey::transaction("");
  EXPECT_EQ(RefusedField(wechat::build_upload_shipping_info(DocApp(), "T", u, {})),
            "order_key.transaction_id");
  u = DocUpload();
  u.payer_openid.clear();
  EXPECT_EQ(RefusedField(wechat::build_upload_shipping_info(DocApp(), "T", u, {})), "payer.openid");
}

TEST(WechatShipping, UnverifiedContactRuleLivesInOneTable) {
  EXPECT_EQ(wechat::kUnverifiedShipping.contact_required_for[0], "SF");
  EXPECT_FALSE(wechat::kUnverifiedShipping.rejected_upload_counts);
  EXPECT_EQ(wechat::mask_contact("13812345678"), "138****5678");
  EXPECT_EQ(wechat::mask_contact("138****5678"), "138****5678");
  EXPECT_EQ(wechat::mask_contact("02112345678"), "021****5678");
  EXPECT_EQ(wechat::mask_contact("1234567"), std::nullopt);  // nothing left to hide
  EXPECT_EQ(wechat::mask_contact("+8613812345678"), std::nullopt);
  EXPECT_EQ(wechat::mask_contact("138***5678"), std::nullopt);
  EXPECT_EQ(wechat::mask_contact(""), std::nullopt);
}

TEST(WechatShipping, OneReuploadRule) {
  using P = wechat::UploadLedger::Permission;
  using O = wechat::UploadOutcome;
  wechat::UploadLedger l;
  EXPECT_EQ(l.permission(), P::kFirstUpload);
  l = wechat::record(l, k1305, {O::kApplied, 0, 200, ""});
  EXPECT_EQ(l.permission(), P::kLastReupload);
  EXPECT_EQ(l.last_upload_time, k1305);

  auto u = DocUpload();  // same upload_time again: refused
  EXPECT_EQ(RefusedField(wechat::build_upload_shipping_info(DocApp(), "T", u, l)), "upload_time");
  u.upload_time = k1305 + 1000;
  auto body = json::parse(Req(wechat::build_upload_shipping_info(DocApp(), "T", u, l)).body);
  EXPECT_EQ(body.at("upload_time"), "2026-11-25T13:05:01+08:00");

  l = wechat::record(l, k1305 + 1000, {O::kApplied, 0, 200, ""});
  EXPECT_EQ(l.permission(), P::kExhausted);
  u.upload_time = k1305 + 2000;
  EXPECT_EQ(RefusedField(wechat::build_upload_shipping_info(DocApp(), "T", u, l)), "order_key");
}

TEST(WechatShipping, LedgerAfterEachOutcome) {
  using P = wechat::UploadLedger::Permission;
  using O = wechat::UploadOutcome;
  const wechat::UploadLedger fresh;
  // Refused before processing: nothing changes, the same upload may be sent again.
  for (O o : {O::kRefreshToken, O::kRetryLater, O::kRejected}) {
    auto l = wechat::record(fresh, k1305, {o, 1, 200, ""});
    EXPECT_EQ(l.permission(), P::kFirstUpload);
    EXPECT_FALSE(l.last_upload_time.has_value());
  }
  // Unknown: no upload until someone has checked what happened.
  auto l = wechat::record(fresh, k1305, {O::kUnknown, -1, 200, ""});
  EXPECT_EQ(l.permission(), P::kUnresolved);
  auto u = DocUpload();
  u.upload_time = k1305 + 60'000;
  EXPECT_EQ(RefusedField(wechat::build_upload_shipping_info(DocApp(), "T", u, l)), "order_key");
  EXPECT_EQ(wechat::resolve(l, true).permission(), P::kLastReupload);
  EXPECT_EQ(wechat::resolve(l, false).permission(), P::kFirstUpload);
  EXPECT_EQ(wechat::resolve(l, false).last_upload_time, k1305);           // still strictly later
  EXPECT_EQ(wechat::resolve(fresh, true).permission(), P::kFirstUpload);  // nothing to resolve
}

TEST(WechatShipping, ResponseClassification) {
  using O = wechat::UploadOutcome;
  EXPECT_EQ(wechat::parse_upload_shipping_info(200, R"({"errcode":0,"errmsg":"ok"})").outcome,
            O::kApplied);
  EXPECT_EQ(wechat::parse_upload_shipping_info(200, ErrorBody(40001)).outcome, O::kRefreshToken);
  EXPECT_EQ(wechat::parse_upload_shipping_info(200, ErrorBody(42001)).outcome, O::kRefreshToken);
  EXPECT_EQ(wechat::parse_upload_shipping_info(200, ErrorBody(45011)).outcome, O::kRetryLater);
  EXPECT_EQ(wechat::parse_upload_shipping_info(429, "").outcome, O::kRetryLater);
  EXPECT_EQ(wechat::parse_upload_shipping_info(200, ErrorBody(-1)).outcome, O::kUnknown);
  EXPECT_EQ(wechat::parse_upload_shipping_info(502, "").outcome, O::kUnknown);
  EXPECT_EQ(wechat::parse_upload_shipping_info(0, "").outcome, O::kUnknown);
  EXPECT_EQ(wechat::parse_upload_shipping_info(200, "not json").outcome, O::kUnknown);
  EXPECT_EQ(wechat::parse_upload_shipping_info(404, "").outcome, O::kRejected);
  auto r = wechat::parse_upload_shipping_info(200, ErrorBody(10060001));
  EXPECT_EQ(r.outcome, O::kRejected);
  EXPECT_EQ(r.errcode, 10060001);
  EXPECT_EQ(r.message, "some text");
}

TEST(WechatShipping, IsTradeManaged) {
  auto r = Req(wechat::build_is_trade_managed(DocApp(), "TOKEN"));
  EXPECT_EQ(r.url, "https://api.weixin.qq.com/wxa/sec/order/is_trade_managed?access_token=TOKEN");
  EXPECT_EQ(r.body, R"({"appid":"APPID"})");
  EXPECT_TRUE(Ok(
      wechat::parse_is_trade_managed(200, R"({"errcode":0,"errmsg":"ok","is_trade_managed":1})")));
  EXPECT_FALSE(Ok(
      wechat::parse_is_trade_managed(200, R"({"errcode":0,"errmsg":"ok","is_trade_managed":0})")));
  using K = wechat::ErrorKind;
  EXPECT_EQ(Err(wechat::parse_is_trade_managed(200, R"({"errcode":0})")).kind, K::kRetryable);
  EXPECT_EQ(Err(wechat::parse_is_trade_managed(200, ErrorBody(42001))).kind, K::kTokenInvalid);
}

// ================================== NotifyTemplate =============================================

using notify::KeywordType;
using T = notify::KeywordType;

void ExpectKept(KeywordType t, const std::string& v) {
  auto r = notify::try_fit(t, v);
  EXPECT_TRUE(r.ok()) << v << ": " << r.error;
  EXPECT_EQ(r.value, v);
  EXPECT_FALSE(r.truncated) << v;
  EXPECT_EQ(notify::validate(t, v), std::nullopt) << v;
}

void ExpectRefused(KeywordType t, const std::string& v) {
  auto r = notify::try_fit(t, v);
  EXPECT_FALSE(r.ok()) << notify::to_string(t) << " accepted " << v;
  EXPECT_EQ(r.value, "");
  EXPECT_EQ(notify::fit(t, v), "");
  EXPECT_NE(notify::validate(t, v), std::nullopt);
}

void ExpectCut(KeywordType t, const std::string& v, const std::string& want) {
  auto r = notify::try_fit(t, v);
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_TRUE(r.truncated);
  EXPECT_EQ(r.value, want);
  EXPECT_EQ(notify::fit(t, v), want);
  EXPECT_NE(notify::validate(t, v), std::nullopt);  // as is, too long
}

TEST(NotifyTemplate, TypeFromKeyPrefix) {
  EXPECT_EQ(notify::keyword_type_from_key("thing1"), T::kThing);
  EXPECT_EQ(notify::keyword_type_from_key("thing12"), T::kThing);
  EXPECT_EQ(notify::keyword_type_from_key("character_string1"), T::kCharacterString);
  EXPECT_EQ(notify::keyword_type_from_key("phrase3"), T::kPhrase);
  EXPECT_EQ(notify::keyword_type_from_key("time4"), T::kTime);
  EXPECT_EQ(notify::keyword_type_from_key("date2"), T::kDate);
  EXPECT_EQ(notify::keyword_type_from_key("amount5"), T::kAmount);
  EXPECT_EQ(notify::keyword_type_from_key("name1"), T::kName);
  EXPECT_EQ(notify::keyword_type_from_key("number7"), T::kNumber);
  EXPECT_EQ(notify::keyword_type_from_key("letter1"), T::kLetter);
  EXPECT_EQ(notify::keyword_type_from_key("symbol1"), T::kSymbol);
  EXPECT_EQ(notify::keyword_type_from_key("phone_number3"), T::kPhoneNumber);
  EXPECT_EQ(notify::keyword_type_from_key("car_number1"), T::kCarNumber);
  for (const char* bad : {"thing", "1", "", "things1", "Thing1", "thing1a", "phone1", "_number1"})
    EXPECT_EQ(notify::keyword_type_from_key(bad), std::nullopt) << bad;
  for (const auto& r : notify::kKeywordRules)
    EXPECT_EQ(notify::keyword_type_from_key(std::string(r.prefix) + "1"), r.type) << r.prefix;
}

TEST(NotifyTemplate, DocumentedLimits) {
  EXPECT_EQ(notify::rule_of(T::kThing).max_chars, 20u);
  EXPECT_EQ(notify::rule_of(T::kCharacterString).max_chars, 32u);
  EXPECT_EQ(notify::rule_of(T::kPhrase).max_chars, 5u);
  EXPECT_EQ(notify::rule_of(T::kAmount).max_chars, 10u);
  EXPECT_EQ(notify::rule_of(T::kName).max_chars, 10u);
  EXPECT_EQ(notify::kNameMaxLetters, 20u);
  EXPECT_EQ(notify::rule_of(T::kNumber).max_chars, 32u);
  EXPECT_EQ(notify::rule_of(T::kLetter).max_chars, 32u);
  EXPECT_EQ(notify::rule_of(T::kSymbol).max_chars, 5u);
  EXPECT_EQ(notify::rule_of(T::kPhoneNumber).max_chars, 17u);
  EXPECT_EQ(notify::rule_of(T::kCarNumber).max_chars, 8u);
}

TEST(NotifyTemplate, ThingAsciiAtBelowAboveLimit) {
  ExpectKept(T::kThing, std::string(19, 'a'));
  ExpectKept(T::kThing, std::string(20, 'a'));
  ExpectCut(T::kThing, std::string(21, 'a'), std::string(20, 'a'));
  ExpectCut(T::kThing, std::string(100, 'b'), std::string(20, 'b'));
  ExpectKept(T::kThing, "速冻水饺 2 袋");
  ExpectKept(T::kThing, "a");
}

TEST(NotifyTemplate, ThingChineseCountsCodePointsNotBytes) {
  const std::string c19 = Repeat("冻", 19), c20 = Repeat("冻", 20), c21 = Repeat("冻", 21);
  ASSERT_EQ(c20.size(), 60u);
  ExpectKept(T::kThing, c19);
  ExpectKept(T::kThing, c20);
  ExpectCut(T::kThing, c21, c20);
  ExpectCut(T::kThing, Repeat("速冻水饺", 6), Repeat("速冻水饺", 5));
  // Mixed widths: 18 ASCII + 3 Chinese = 21 code points, 27 bytes.
  ExpectCut(T::kThing, std::string(18, 'x') + "水饺袋", std::string(18, 'x') + "水饺");
}

TEST(NotifyTemplate, ThingEmojiNeverSplit) {
  const std::string smile = "\xF0\x9F\x98\x80";  // U+1F600, 4 bytes
  ExpectKept(T::kThing, Repeat(smile, 20));
  ExpectCut(T::kThing, Repeat(smile, 21), Repeat(smile, 20));
  ExpectCut(T::kThing, std::string(19, 'a') + smile + smile, std::string(19, 'a') + smile);
  ExpectCut(T::kThing, std::string(19, 'a') + smile + "b", std::string(19, 'a') + smile);
  // Each byte length at the cut: 2 (é), 3 (冻), 4 (😀) bytes as the 20th and 21st code point.
  for (const std::string& ch : {"\xC3\xA9"s, "冻"s, smile}) {
    const std::string in = std::string(19, 'a') + ch + ch;
    ExpectCut(T::kThing, in, std::string(19, 'a') + ch);
  }
  // A joiner left dangling by the cut is dropped: 👨‍👩 is U+1F468 U+200D U+1F469.
  const std::string family = "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9";
  ExpectCut(T::kThing, std::string(18, 'a') + family, std::string(18, 'a') + "\xF0\x9F\x91\xA8");
  ExpectCut(T::kThing, std::string(18, 'a') + "\xE2\x9D\xA4\xEF\xB8\x8F" + "z",  // ❤️ + z
            std::string(18, 'a') + "\xE2\x9D\xA4");
}

TEST(NotifyTemplate, InvalidUtf8Refused) {
  for (const std::string& bad :
       {"\xE4\xB8"s, "abc\xE4"s, "\xC0\xAF"s, "\xE0\x80\xAF"s, "\xED\xA0\x80"s, "\xF4\x90\x80\x80"s,
        "\x80"s, "a\xBF"s, "\xFF"s, "\xF8\x88\x80\x80\x80"s, "\xC3\x28"s}) {
    for (KeywordType t : {T::kThing, T::kName, T::kPhrase, T::kCharacterString}) {
      auto r = notify::try_fit(t, bad);
      EXPECT_FALSE(r.ok());
      EXPECT_NE(r.error.find("not valid UTF-8"), std::string::npos) << r.error;
    }
  }
  // Too long AND invalid: refused, never cut into something that looks valid.
  ExpectRefused(T::kThing, std::string(25, 'a') + "\xE4\xB8");
}

TEST(NotifyTemplate, EmptyAndControlCharactersRefused) {
  for (const auto& r : notify::kKeywordRules) ExpectRefused(r.type, "");
  ExpectRefused(T::kThing, "a\nb");
  ExpectRefused(T::kThing, "tab\there");
  ExpectRefused(T::kThing, "del\x7F");
  ExpectRefused(T::kThing, "c1\xC2\x85");  // U+0085
  ExpectRefused(T::kThing, std::string("nul\0x", 5));
}

TEST(NotifyTemplate, CharacterString) {
  ExpectKept(T::kCharacterString, "CT20261125001");
  ExpectKept(T::kCharacterString, "SF-1234_5678/#9");
  ExpectKept(T::kCharacterString, std::string(32, '7'));
  ExpectRefused(T::kCharacterString, std::string(33, '7'));  // an identifier is never cut
  ExpectRefused(T::kCharacterString, "订单123");
  ExpectRefused(T::kCharacterString, "CT 2026");
}

TEST(NotifyTemplate, PhraseIsAtMostFiveChineseCharacters) {
  ExpectKept(T::kPhrase, "派送中");
  ExpectKept(T::kPhrase, "已签收");
  ExpectKept(T::kPhrase, "运输途中了");       // 5
  ExpectRefused(T::kPhrase, "运输途中了吗");  // 6: never cut (meaning would change)
  ExpectRefused(T::kPhrase, "派送中!");
  ExpectRefused(T::kPhrase, "派送 中");
  ExpectRefused(T::kPhrase, "OK");
  ExpectRefused(T::kPhrase, "派送1");
  auto why = notify::validate(T::kPhrase, "运输途中了吗");
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("≤ 5 Chinese characters only"), std::string::npos) << *why;
  why = notify::validate(T::kPhrase, "ok");
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("not all Chinese"), std::string::npos) << *why;
}

TEST(NotifyTemplate, NumberFormats) {
  ExpectKept(T::kNumber, "12");
  ExpectKept(T::kNumber, "0.75");
  ExpectKept(T::kNumber, "12.5");
  ExpectKept(T::kNumber, std::string(32, '9'));
  ExpectKept(T::kNumber, std::string(16, '9') + "." + std::string(16, '9'));
  ExpectRefused(T::kNumber, std::string(33, '9'));
  for (const char* bad : {"1e5", "-1", "+1", "1.", ".5", "1.2.3", "1,000", "12kg", "一"})
    ExpectRefused(T::kNumber, bad);
  auto why = notify::validate(T::kNumber, "12kg");
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("number: ≤ 32 digits"), std::string::npos) << *why;
}

TEST(NotifyTemplate, AmountFormats) {
  ExpectKept(T::kAmount, "¥12.50");
  ExpectKept(T::kAmount, "￥12.50");
  ExpectKept(T::kAmount, "$3");
  ExpectKept(T::kAmount, "¥12.50元");
  ExpectKept(T::kAmount, "¥1234567890");   // 10 digits
  ExpectKept(T::kAmount, "¥12345678.90");  // 10 digits
  for (const char* bad : {"12.50", "12.50元", "¥", "¥元", "¥12345678901", "¥123456789.01", "¥¥12",
                          "-¥1", "¥-1", "¥1,000", "¥12.", "¥ 12", "元12", "¥12元元"})
    ExpectRefused(T::kAmount, bad);
}

TEST(NotifyTemplate, AmountFromFen) {
  EXPECT_EQ(notify::amount_value(1250), "¥12.50");
  EXPECT_EQ(notify::amount_value(0), "¥0.00");
  EXPECT_EQ(notify::amount_value(5), "¥0.05");
  EXPECT_EQ(notify::amount_value(100000), "¥1000.00");
  EXPECT_EQ(notify::amount_value(-1), std::nullopt);
  ExpectKept(T::kAmount, *notify::amount_value(99999999'99));
}

TEST(NotifyTemplate, TimeAndDateFormats) {
  ExpectKept(T::kTime, "2026-11-25 13:00");
  ExpectKept(T::kTime, "15:01");
  ExpectKept(T::kTime, "15:01:59");
  ExpectKept(T::kTime, "2026-11-25 13:00:05");
  ExpectKept(T::kTime, "2026年11月25日 13:00");
  ExpectKept(T::kTime, "00:00");
  for (const char* bad : {"24:00", "13:60", "2026-11-25", "1:05", "13:00 PM", "2026-02-30 13:00",
                          "2026-11-25T13:00", "13:00:60", " 13:00"})
    ExpectRefused(T::kTime, bad);

  ExpectKept(T::kDate, "2026-11-25");
  ExpectKept(T::kDate, "2026年11月25日");
  ExpectKept(T::kDate, "2026-11-25 13:00");
  ExpectKept(T::kDate, "2024-02-29");  // leap year
  ExpectKept(T::kDate, "2000-02-29");
  for (const char* bad : {"2026-02-29", "1900-02-29", "2026-13-01", "2026-00-10", "2026-11-31",
                          "2026-11-00", "13:00", "2026/11/25", "26-11-25", "2026-11-25 25:00"})
    ExpectRefused(T::kDate, bad);

  EXPECT_EQ(notify::time_value(k1300, kChina), "2026-11-25 13:00");
  EXPECT_EQ(notify::time_value(k1300, 0), "2026-11-25 05:00");
  EXPECT_EQ(notify::date_value(k1300, kChina), "2026-11-25");
  ExpectKept(T::kTime, notify::time_value(k1305, kChina));
  ExpectKept(T::kDate, notify::date_value(k1305, kChina));
}

TEST(NotifyTemplate, Name) {
  ExpectKept(T::kName, "张三");
  ExpectKept(T::kName, "阿卜杜·热合曼");
  ExpectKept(T::kName, Repeat("欧", 10));
  ExpectCut(T::kName, Repeat("欧", 11), Repeat("欧", 10));
  ExpectKept(T::kName, "Li Lei");
  ExpectKept(T::kName, std::string(20, 'a'));
  ExpectCut(T::kName, std::string(21, 'a'), std::string(20, 'a'));
  // A cut never leaves a separator at the end.
  ExpectCut(T::kName, "Alexandra Maximilia Johnson", "Alexandra Maximilia");
  ExpectRefused(T::kName, "张San");
  ExpectRefused(T::kName, "O'Neil");
  ExpectRefused(T::kName, " ");
}

TEST(NotifyTemplate, LetterSymbolPhoneCar) {
  ExpectKept(T::kLetter, "ABCxyz");
  ExpectKept(T::kLetter, std::string(32, 'Q'));
  ExpectRefused(T::kLetter, std::string(33, 'Q'));
  ExpectRefused(T::kLetter, "AB1");

  ExpectKept(T::kSymbol, "*#");
  ExpectKept(T::kSymbol, "!?!?!");
  ExpectRefused(T::kSymbol, "!?!?!?");
  ExpectRefused(T::kSymbol, "a");

  ExpectKept(T::kPhoneNumber, "13800138000");
  ExpectKept(T::kPhoneNumber, "+86 13800138000");
  ExpectKept(T::kPhoneNumber, "021-6666-8888");
  ExpectKept(T::kPhoneNumber, "(021)12345678-901");      // 17
  ExpectRefused(T::kPhoneNumber, "(021)12345678-9012");  // 18
  ExpectRefused(T::kPhoneNumber, "138abc");
  ExpectRefused(T::kPhoneNumber, "+-");

  ExpectKept(T::kCarNumber, "沪A12345");
  ExpectKept(T::kCarNumber, "粤B123456");  // 8: new-energy plate
  ExpectRefused(T::kCarNumber, "粤B1234567");
  ExpectRefused(T::kCarNumber, "沪a12345");
  ExpectRefused(T::kCarNumber, "沪A-12345");
}

TEST(NotifyTemplate, DefineTemplate) {
  auto def = notify::define_template("TMPL", {{"character_string1", "order_no"},
                                              {"thing2", "items"},
                                              {"phrase3", "status"},
                                              {"time4", "at"},
                                              {"amount5", ""}});
  ASSERT_TRUE(std::holds_alternative<notify::TemplateDef>(def));
  const auto& d = std::get<notify::TemplateDef>(def);
  EXPECT_EQ(d.template_id, "TMPL");
  ASSERT_EQ(d.fields.size(), 5u);
  EXPECT_EQ(d.fields[1].type, T::kThing);
  EXPECT_EQ(d.fields[1].source, "items");
  EXPECT_EQ(d.fields[4].source, "amount5");  // empty source: the key itself

  auto err = [](const std::variant<notify::TemplateDef, std::string>& v) {
    return std::holds_alternative<std::string>(v) ? std::get<std::string>(v) : "";
  };
  EXPECT_NE(err(notify::define_template("", {{"thing1", "a"}})), "");
  EXPECT_NE(err(notify::define_template("T", {})), "");
  EXPECT_NE(err(notify::define_template("T", {{"widget1", "a"}})), "");
  EXPECT_NE(err(notify::define_template("T", {{"thing", "a"}})), "");
  EXPECT_NE(err(notify::define_template("T", {{"thing1", "a"}, {"thing1", "b"}})), "");
}

notify::TemplateDef DocTemplate() {
  return std::get<notify::TemplateDef>(
      notify::define_template("<template id>", {{"character_string1", "order_no"},
                                                {"thing2", "items"},
                                                {"phrase3", "status"},
                                                {"time4", "at"},
                                                {"amount5", "amount"}}));
}

TEST(NotifyTemplate, FillReproducesDocMessage) {
  const std::map<std::string, std::string, std::less<>> values{
      {"order_no", "CT20261125001"},
      {"items", "速冻水饺 2 袋"},
      {"status", "派送中"},
      {"at", notify::time_value(k1300, kChina)},
      {"amount", *notify::amount_value(1250)},
      {"unused", "ignored"}};
  auto filled = notify::fill(DocTemplate(), values);
  ASSERT_TRUE(filled.ok());
  EXPECT_TRUE(filled.truncated.empty());
  wechat::SubscribeMessage m;
  m.touser = "<openid>";
  m.template_id = DocTemplate().template_id;
  m.page = "pages/order/detail?id=CT20261125001";
  m.data = filled.data;
  EXPECT_EQ(Req(wechat::build_subscribe_send(DocApp(), "TOKEN", m)).body,
            Compact(kDocSubscribeBody));
}

TEST(NotifyTemplate, FillTruncatesAndReportsProblems) {
  std::map<std::string, std::string, std::less<>> values{
      {"order_no", "CT20261125001"},
      {"items", "速冻水饺 2 袋、速冻汤圆 3 袋、冷冻牛排 1 份"},
      {"status", "派送中"},
      {"at", "2026-11-25 13:00"},
      {"amount", "¥12.50"}};
  auto filled = notify::fill(DocTemplate(), values);
  ASSERT_TRUE(filled.ok());
  ASSERT_EQ(filled.truncated, std::vector<std::string>{"thing2"});
  EXPECT_EQ(filled.data[1].second, "速冻水饺 2 袋、速冻汤圆 3 袋、冷冻");

  values["status"] = "正在派送途中";
  values.erase("amount");
  filled = notify::fill(DocTemplate(), values);
  EXPECT_FALSE(filled.ok());
  EXPECT_TRUE(filled.data.empty());  // all or nothing
  ASSERT_EQ(filled.problems.size(), 2u);
  EXPECT_EQ(filled.problems[0].key, "phrase3");
  EXPECT_EQ(filled.problems[1].key, "amount5");
  EXPECT_NE(filled.problems[1].reason.find("amount"), std::string::npos);
}

TEST(NotifyTemplate, UnverifiedRulesLiveInOneTable) {
  const auto& u = notify::kUnverifiedValueRules;
  EXPECT_EQ(u.currency_signs[0], "¥");
  EXPECT_EQ(u.amount_suffix, "元");
  EXPECT_EQ(u.time_layouts[0], "hh:mm");
  EXPECT_EQ(u.date_layouts[0], "YYYY-MM-DD");
}

}  // namespace
}  // namespace coldtrack
