// The simulator's SMS gateways (sim/sms_sim.h), called directly with requests from ColdTrack's own
// builders (notify/sms/aliyun.h, tencent.h) and answers read by its own parsers.
#include "sim/sms_sim.h"

#include <gtest/gtest.h>

#include <chrono>
#include <ctime>

#include <boost/json.hpp>
#include <cctype>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "http/client.h"
#include "notify/sms/aliyun.h"
#include "notify/sms/tencent.h"
#include "sim/simulator.h"

namespace coldtrack::sim {
namespace {

namespace json = boost::json;
namespace sms = notify::sms;
namespace aliyun = notify::sms::aliyun;
namespace tencent = notify::sms::tencent;
using sms::Outcome;

constexpr std::int64_t kNow = 1'764'043'200;  // 2025-11-25T04:00:00Z

sms::HttpRequest Built(const sms::BuildResult& r) {
  if (const auto* e = std::get_if<sms::BuildError>(&r)) {
    ADD_FAILURE() << "build error: " << e->field << " " << e->message;
    return {};
  }
  return std::get<sms::HttpRequest>(r);
}

class SimSms : public ::testing::Test {
 protected:
  std::shared_ptr<std::int64_t> now_ms = std::make_shared<std::int64_t>(kNow * 1000);
  SmsGateway sim{SmsGateway::Keys{"sim-aliyun-id", "sim-aliyun-secret", "sim-tencent-id",
                                  "sim-tencent-key", "1400000001"},
                 [n = now_ms] { return *n; }};
  int nonce = 0;

  static aliyun::Config AliyunConfig(std::string secret = "sim-aliyun-secret") {
    aliyun::Config c;
    c.endpoint = "http://127.0.0.1:8090/aliyun-sms/";
    c.access_key_id = "sim-aliyun-id";
    c.access_key_secret = std::move(secret);
    c.sign_name = "冷链小店";
    return c;
  }
  static aliyun::Message AliyunMessage(std::string phone = "13800138000") {
    aliyun::Message m;
    m.phone_numbers = {std::move(phone)};
    m.template_code = "SMS_71390007";
    m.template_param = R"({"order_no":"CT20261125001","status":"派送中"})";
    m.out_id = "notif-1";
    return m;
  }

  // Sends what the product built, as the HTTP route does.
  SmsGateway::Answer SendAliyun(const sms::HttpRequest& req) {
    const auto q = req.url.find('?');
    const std::string query = q == std::string::npos ? "" : req.url.substr(q + 1);
    return sim.aliyun(req.method, query, req.body);
  }
  SmsGateway::Answer Aliyun(const aliyun::Message& m, std::int64_t ts = kNow,
                            aliyun::Method method = aliyun::Method::kPost,
                            const aliyun::Config& c = AliyunConfig()) {
    return SendAliyun(
        Built(aliyun::build_send_sms(c, m, "nonce-" + std::to_string(++nonce), ts, method)));
  }
  static aliyun::SendResult Parse(const SmsGateway::Answer& a) {
    return aliyun::parse_send_sms_response(a.status, a.body);
  }

  static tencent::Config TencentConfig(std::string key = "sim-tencent-key") {
    tencent::Config c;
    c.endpoint = "http://127.0.0.1:8090/tencent-sms/";
    c.secret_id = "sim-tencent-id";
    c.secret_key = std::move(key);
    c.sms_sdk_app_id = "1400000001";
    c.sign_name = "冷链小店";
    return c;
  }
  static tencent::Message TencentMessage(std::vector<std::string> phones = {"13800138000"}) {
    tencent::Message m;
    m.phone_numbers = std::move(phones);
    m.template_id = "1110";
    m.template_params = {"CT20261125001", "2"};
    m.session_context = "notif-7";
    return m;
  }
  static std::map<std::string, std::string> Headers(const sms::HttpRequest& req) {
    std::map<std::string, std::string> h;
    for (const auto& [name, value] : req.headers) {
      std::string lower;
      for (char c : name) lower.push_back(static_cast<char>(std::tolower(c)));
      h[lower] = value;
    }
    return h;
  }
  SmsGateway::Answer Tencent(const tencent::Message& m, std::int64_t ts = kNow,
                             const tencent::Config& c = TencentConfig()) {
    const auto req = Built(tencent::build_send_sms(c, m, ts));
    return sim.tencent("/tencent-sms/", Headers(req), req.body);
  }
  static tencent::SendResult Parse(const SmsGateway::Answer& a, const tencent::Message& m) {
    return tencent::parse_send_sms_response(a.status, a.body, m.phone_numbers);
  }
};

// ---- Aliyun -----------------------------------------------------------------------------------

TEST_F(SimSms, AliyunPostAndGetFromTheProductBuilderAreSentAndRecorded) {
  const auto post = Parse(Aliyun(AliyunMessage()));
  EXPECT_EQ(post.disposition.outcome, Outcome::kSent) << post.code << " " << post.message;
  EXPECT_EQ(post.code, "OK");
  EXPECT_FALSE(post.biz_id.empty());
  EXPECT_FALSE(post.request_id.empty());
  const auto get = Parse(Aliyun(AliyunMessage("+8613900139000"), kNow, aliyun::Method::kGet));
  EXPECT_EQ(get.disposition.outcome, Outcome::kSent) << get.code << " " << get.message;

  const auto msgs = sim.messages();
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].phone, "13800138000");
  EXPECT_EQ(msgs[0].sign_name, "冷链小店");
  EXPECT_EQ(msgs[0].template_id, "SMS_71390007");
  EXPECT_EQ(msgs[0].reference, "notif-1");
  EXPECT_EQ(msgs[0].id, post.biz_id);
  EXPECT_EQ(msgs[1].phone, "13900139000");  // the builder normalizes

  const auto listed = json::parse(sim.messages_json()).at("messages").as_array();
  ASSERT_EQ(listed.size(), 2u);
  const auto& first = listed[0].as_object();
  EXPECT_EQ(first.at("provider").as_string(), "aliyun");
  EXPECT_EQ(first.at("template_param").at("status").as_string(), "派送中");
  EXPECT_EQ(first.at("out_id").as_string(), "notif-1");
  EXPECT_EQ(first.at("received_at_ms").to_number<std::int64_t>(), kNow * 1000);
}

TEST_F(SimSms, AliyunWrongSecretIsSignatureDoesNotMatch) {
  const auto a = Aliyun(AliyunMessage(), kNow, aliyun::Method::kPost, AliyunConfig("wrong"));
  EXPECT_EQ(a.status, 400);
  const auto r = Parse(a);
  EXPECT_EQ(r.code, "SignatureDoesNotMatch");
  EXPECT_EQ(r.disposition.outcome, Outcome::kPermanent);
  EXPECT_TRUE(r.disposition.alert);
  EXPECT_TRUE(sim.messages().empty());
}

TEST_F(SimSms, AliyunTamperedParameterIsSignatureDoesNotMatch) {
  auto req = Built(aliyun::build_send_sms(AliyunConfig(), AliyunMessage(), "n-1", kNow));
  const auto pos = req.body.find("13800138000");
  ASSERT_NE(pos, std::string::npos);
  req.body.replace(pos, 11, "13800138001");
  EXPECT_EQ(Parse(SendAliyun(req)).code, "SignatureDoesNotMatch");
  // A POST signature does not verify as GET: the method is signed.
  auto post = Built(aliyun::build_send_sms(AliyunConfig(), AliyunMessage(), "n-2", kNow));
  EXPECT_EQ(Parse(sim.aliyun("GET", post.body, "")).code, "SignatureDoesNotMatch");
}

TEST_F(SimSms, AliyunUnknownKeyIsRefused) {
  auto c = AliyunConfig();
  c.access_key_id = "someone-else";
  const auto a = Aliyun(AliyunMessage(), kNow, aliyun::Method::kPost, c);
  EXPECT_EQ(a.status, 404);
  EXPECT_EQ(Parse(a).code, "InvalidAccessKeyId.NotFound");
}

TEST_F(SimSms, AliyunStaleTimestampIsRefused) {
  const std::int64_t w = SmsGateway::kAliyunTimestampWindowS;
  EXPECT_EQ(Parse(Aliyun(AliyunMessage(), kNow - w - 1)).code, "InvalidTimeStamp.Expired");
  EXPECT_EQ(Parse(Aliyun(AliyunMessage(), kNow + w + 1)).code, "InvalidTimeStamp.Expired");
  EXPECT_EQ(Parse(Aliyun(AliyunMessage(), kNow - w + 1)).code, "OK");
}

TEST_F(SimSms, AliyunReusedNonceIsRefused) {
  const auto req = Built(aliyun::build_send_sms(AliyunConfig(), AliyunMessage(), "same", kNow));
  EXPECT_EQ(Parse(SendAliyun(req)).code, "OK");
  const auto again = SendAliyun(req);
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(Parse(again).code, "SignatureNonceUsed");
  EXPECT_EQ(sim.messages().size(), 1u);
}

TEST_F(SimSms, AliyunFiftyPerSignTemplateNumberInARolling24Hours) {
  for (int i = 0; i < SmsGateway::kAliyunDailyLimit; ++i)
    ASSERT_EQ(Parse(Aliyun(AliyunMessage())).code, "OK") << i;
  const auto over = Parse(Aliyun(AliyunMessage()));
  EXPECT_EQ(over.code, "isv.BUSINESS_LIMIT_CONTROL");
  EXPECT_EQ(over.disposition.outcome, Outcome::kRateLimited);
  // Another template to the same number is a separate counter.
  auto other = AliyunMessage();
  other.template_code = "SMS_2";
  EXPECT_EQ(Parse(Aliyun(other)).code, "OK");
  // Rolling: a day after the first sends the number is free again.
  *now_ms += 24LL * 3600 * 1000;
  EXPECT_EQ(Parse(Aliyun(AliyunMessage(), kNow + 24 * 3600)).code, "OK");
}

TEST_F(SimSms, AliyunBusinessParametersAreChecked) {
  // The builder refuses bad numbers, so sign a hand-made parameter set.
  auto params = std::get<aliyun::Params>(
      aliyun::build_params(AliyunConfig(), AliyunMessage(), "n-bad", kNow));
  params["PhoneNumbers"] = "12345";
  params["Signature"] = aliyun::signature("POST", params, "sim-aliyun-secret");
  std::string form;
  for (const auto& [k, v] : params)
    form += (form.empty() ? "" : "&") + aliyun::percent_encode(k) + "=" + aliyun::percent_encode(v);
  const auto bad = Parse(sim.aliyun("POST", "", form));
  EXPECT_EQ(bad.code, "isv.MOBILE_NUMBER_ILLEGAL");
  EXPECT_EQ(bad.disposition.outcome, Outcome::kPermanent);

  auto url = AliyunMessage();
  url.template_param = R"({"link":"https://evil.example"})";
  EXPECT_EQ(Parse(Aliyun(url)).code, "isv.PARAM_NOT_SUPPORT_URL");
  EXPECT_TRUE(sim.messages().empty());
}

TEST_F(SimSms, AliyunFaultsAreClassifiedByTheProductParser) {
  using F = SmsGateway::Fault;
  ASSERT_TRUE(sim.add_fault(SmsGateway::Provider::kAliyun, F::kRateLimit, 1));
  ASSERT_TRUE(sim.add_fault(SmsGateway::Provider::kAliyun, F::kPermanent, 1));
  ASSERT_TRUE(sim.add_fault(SmsGateway::Provider::kAliyun, F::kInternalError, 1));
  ASSERT_TRUE(sim.add_fault(SmsGateway::Provider::kAliyun, F::kTimeout, 1));
  EXPECT_FALSE(sim.add_fault(SmsGateway::Provider::kAliyun, F::kSignatureExpire, 1));
  EXPECT_EQ(sim.pending_faults(SmsGateway::Provider::kAliyun), 4);
  // A refused signature does not use a fault up.
  EXPECT_EQ(Parse(Aliyun(AliyunMessage(), kNow, aliyun::Method::kPost, AliyunConfig("x"))).code,
            "SignatureDoesNotMatch");

  EXPECT_EQ(Parse(Aliyun(AliyunMessage())).disposition.outcome, Outcome::kRateLimited);
  EXPECT_EQ(Parse(Aliyun(AliyunMessage())).disposition.outcome, Outcome::kPermanent);
  const auto internal = Aliyun(AliyunMessage());
  EXPECT_GE(internal.status, 500);
  EXPECT_EQ(Parse(internal).disposition.outcome, Outcome::kUncertain);
  const auto timeout = Aliyun(AliyunMessage());
  EXPECT_TRUE(timeout.hold);
  EXPECT_EQ(timeout.status, 504);
  EXPECT_EQ(Parse(Aliyun(AliyunMessage())).code, "OK");
  EXPECT_EQ(sim.messages().size(), 1u);
}

// ---- Tencent ----------------------------------------------------------------------------------

TEST_F(SimSms, TencentFromTheProductBuilderIsSentPerNumberAndRecorded) {
  const auto m = TencentMessage({"13800138000", "+8613900139000"});
  const auto a = Tencent(m);
  EXPECT_EQ(a.status, 200);
  const auto r = Parse(a, m);
  EXPECT_EQ(r.request.outcome, Outcome::kSent) << a.body;
  EXPECT_TRUE(r.all_sent()) << a.body;
  ASSERT_EQ(r.numbers.size(), 2u);
  EXPECT_EQ(r.numbers[0].phone_number, "+8613800138000");
  EXPECT_EQ(r.numbers[0].code, "Ok");
  EXPECT_EQ(r.numbers[0].fee, 1);
  EXPECT_EQ(r.numbers[0].iso_code, "CN");
  EXPECT_FALSE(r.numbers[0].serial_no.empty());
  const auto entry = json::parse(a.body).at("Response").at("SendStatusSet").at(0).as_object();
  EXPECT_EQ(entry.at("SessionContext").as_string(), "notif-7");

  const auto listed = json::parse(sim.messages_json()).at("messages").as_array();
  ASSERT_EQ(listed.size(), 2u);
  const auto& first = listed[0].as_object();
  EXPECT_EQ(first.at("provider").as_string(), "tencent");
  EXPECT_EQ(first.at("phone").as_string(), "+8613800138000");
  EXPECT_EQ(first.at("template_id").as_string(), "1110");
  EXPECT_EQ(first.at("template_params").as_array().size(), 2u);
  EXPECT_EQ(first.at("session_context").as_string(), "notif-7");
  EXPECT_EQ(first.at("serial_no").as_string(), r.numbers[0].serial_no);
}

TEST_F(SimSms, TencentWrongKeyOrTamperedBodyIsSignatureFailure) {
  const auto m = TencentMessage();
  const auto r = Parse(Tencent(m, kNow, TencentConfig("wrong")), m);
  EXPECT_EQ(r.error_code, "AuthFailure.SignatureFailure");
  EXPECT_EQ(r.request.outcome, Outcome::kPermanent);

  auto req = Built(tencent::build_send_sms(TencentConfig(), m, kNow));
  auto headers = Headers(req);
  req.body.replace(req.body.find("1110"), 4, "1111");
  EXPECT_EQ(Parse(sim.tencent("/tencent-sms/", headers, req.body), m).error_code,
            "AuthFailure.SignatureFailure");
  // A rewritten charset fails as it does at Tencent (sms.md B.1).
  auto req2 = Built(tencent::build_send_sms(TencentConfig(), m, kNow));
  auto h2 = Headers(req2);
  h2["content-type"] = "application/json";
  EXPECT_EQ(Parse(sim.tencent("/tencent-sms/", h2, req2.body), m).error_code,
            "AuthFailure.SignatureFailure");
  EXPECT_TRUE(sim.messages().empty());
}

TEST_F(SimSms, TencentTimestampOutsideFiveMinutesIsSignatureExpire) {
  const auto m = TencentMessage();
  const auto r = Parse(Tencent(m, kNow - 301), m);
  EXPECT_EQ(r.error_code, "AuthFailure.SignatureExpire");
  EXPECT_EQ(r.request.outcome, Outcome::kRetryable);
  EXPECT_EQ(Parse(Tencent(m, kNow + 301), m).error_code, "AuthFailure.SignatureExpire");
  EXPECT_TRUE(Parse(Tencent(m, kNow - 299), m).all_sent());
}

TEST_F(SimSms, TencentDailyLimitAndBadNumbersFailPerNumber) {
  for (int i = 0; i < SmsGateway::kTencentDailyLimit; ++i)
    ASSERT_TRUE(Parse(Tencent(TencentMessage()), TencentMessage()).all_sent()) << i;
  const auto m = TencentMessage({"13800138000", "13900139000"});
  const auto r = Parse(Tencent(m), m);
  EXPECT_EQ(r.request.outcome, Outcome::kSent);
  ASSERT_EQ(r.numbers.size(), 2u);
  EXPECT_EQ(r.numbers[0].code, "LimitExceeded.PhoneNumberDailyLimit");
  EXPECT_EQ(r.numbers[0].disposition.outcome, Outcome::kRateLimited);
  EXPECT_EQ(r.numbers[1].code, "Ok");

  // The builder refuses bad numbers, so sign a hand-made body.
  tencent::Tc3Input in;
  in.secret_id = "sim-tencent-id";
  in.secret_key = "sim-tencent-key";
  in.service = "sms";
  in.host = "127.0.0.1:8090";
  in.payload = R"({"PhoneNumberSet":["+8612345"],"SmsSdkAppId":"1400000001","SignName":"冷链小店",)"
               R"("TemplateId":"1110","TemplateParamSet":[]})";
  in.timestamp = kNow;
  std::map<std::string, std::string> h{{"content-type", std::string(tencent::kContentType)},
                                       {"host", in.host},
                                       {"x-tc-action", "SendSms"},
                                       {"x-tc-version", "2021-01-11"},
                                       {"x-tc-timestamp", std::to_string(kNow)},
                                       {"x-tc-region", "ap-guangzhou"},
                                       {"authorization", tencent::tc3_sign(in).authorization}};
  const auto bad = tencent::parse_send_sms_response(200, sim.tencent("/", h, in.payload).body);
  ASSERT_EQ(bad.numbers.size(), 1u);
  EXPECT_EQ(bad.numbers[0].code, "InvalidParameterValue.IncorrectPhoneNumber");
  EXPECT_EQ(bad.numbers[0].disposition.outcome, Outcome::kPermanent);
}

TEST_F(SimSms, TencentWrongAppIdIsARequestError) {
  auto c = TencentConfig();
  c.sms_sdk_app_id = "1400999999";
  const auto m = TencentMessage();
  EXPECT_EQ(Parse(Tencent(m, kNow, c), m).error_code, "InvalidParameterValue.SdkAppIdNotExist");
}

TEST_F(SimSms, TencentFaultsAreClassifiedByTheProductParser) {
  using F = SmsGateway::Fault;
  const auto p = SmsGateway::Provider::kTencent;
  for (F f : {F::kRateLimit, F::kPermanent, F::kInternalError, F::kSignatureExpire, F::kTimeout})
    ASSERT_TRUE(sim.add_fault(p, f, 1));
  const auto m = TencentMessage();
  const auto limited = Parse(Tencent(m), m);
  ASSERT_EQ(limited.numbers.size(), 1u);
  EXPECT_EQ(limited.numbers[0].disposition.outcome, Outcome::kRateLimited);
  const auto permanent = Parse(Tencent(m), m);
  ASSERT_EQ(permanent.numbers.size(), 1u);
  EXPECT_EQ(permanent.numbers[0].disposition.outcome, Outcome::kPermanent);
  EXPECT_EQ(Parse(Tencent(m), m).request.outcome, Outcome::kUncertain);
  EXPECT_EQ(Parse(Tencent(m), m).request.outcome, Outcome::kRetryable);
  const auto timeout = Tencent(m);
  EXPECT_TRUE(timeout.hold);
  EXPECT_EQ(timeout.status, 504);
  EXPECT_TRUE(Parse(Tencent(m), m).all_sent());
  EXPECT_EQ(sim.messages().size(), 1u);
}

TEST_F(SimSms, ResetForgetsMessagesLimitsNoncesAndFaults) {
  const auto req = Built(aliyun::build_send_sms(AliyunConfig(), AliyunMessage(), "same", kNow));
  EXPECT_EQ(Parse(SendAliyun(req)).code, "OK");
  sim.add_fault(SmsGateway::Provider::kTencent, SmsGateway::Fault::kPermanent, 3);
  sim.reset();
  EXPECT_TRUE(sim.messages().empty());
  EXPECT_EQ(sim.pending_faults(SmsGateway::Provider::kTencent), 0);
  EXPECT_EQ(Parse(SendAliyun(req)).code, "OK");
}

// ---- Over HTTP, through the Simulator's routes -------------------------------------------------

class SimSmsHttp : public ::testing::Test {
 protected:
  void SetUp() override {
    SimOptions o;
    o.time_scale = 0;
    o.fault_delay = std::chrono::milliseconds(50);
    sim_ = std::make_unique<Simulator>(o);
    port_ = sim_->start();
    client_ = std::make_unique<http::Client>("127.0.0.1", port_);
  }
  std::string Base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  http::ClientResponse Send(const sms::HttpRequest& req) {
    const auto path = req.url.substr(Base().size());
    std::map<std::string, std::string> headers(req.headers.begin(), req.headers.end());
    return client_->request(req.method, path, req.body, std::nullopt, headers);
  }
  json::value Control(const std::string& method, const std::string& target,
                      const std::string& body = "") {
    const auto res = client_->request(method, target, body);
    EXPECT_EQ(res.status, 200) << target << " " << res.body;
    return json::parse(res.body);
  }

  std::unique_ptr<Simulator> sim_;
  unsigned short port_ = 0;
  std::unique_ptr<http::Client> client_;
};

TEST_F(SimSmsHttp, ProductRequestsAreAcceptedFaultsApplyAndResetClears) {
  const std::int64_t now = std::time(nullptr);
  aliyun::Config ac;
  ac.endpoint = Base() + "/aliyun-sms/";
  ac.access_key_id = "sim-aliyun-id";
  ac.access_key_secret = "sim-aliyun-secret";
  ac.sign_name = "冷链小店";
  aliyun::Message am;
  am.phone_numbers = {"13800138000"};
  am.template_code = "SMS_1";
  am.template_param = R"({"a":"b c+d"})";
  for (auto method : {aliyun::Method::kGet, aliyun::Method::kPost}) {
    const auto res =
        Send(Built(aliyun::build_send_sms(ac, am, "n" + std::to_string(int(method)), now, method)));
    EXPECT_EQ(aliyun::parse_send_sms_response(res.status, res.body).code, "OK") << res.body;
  }

  tencent::Config tc;
  tc.endpoint = Base() + "/tencent-sms/";
  tc.secret_id = "sim-tencent-id";
  tc.secret_key = "sim-tencent-key";
  tc.sms_sdk_app_id = "1400000001";
  tc.sign_name = "冷链小店";
  tencent::Message tm;
  tm.phone_numbers = {"13800138000"};
  tm.template_id = "1110";
  tm.template_params = {"CT1"};
  const auto treq = Built(tencent::build_send_sms(tc, tm, now));
  auto res = Send(treq);
  EXPECT_TRUE(tencent::parse_send_sms_response(res.status, res.body, tm.phone_numbers).all_sent())
      << res.body;

  const auto msgs = Control("GET", "/sim/sms/messages").at("messages").as_array();
  ASSERT_EQ(msgs.size(), 3u);
  EXPECT_EQ(msgs[0].at("template_param").at("a").as_string(), "b c+d");
  EXPECT_EQ(msgs[2].at("provider").as_string(), "tencent");

  const auto f =
      Control("POST", "/sim/sms/faults", R"({"provider":"tencent","fault":"timeout","count":1})");
  EXPECT_EQ(f.at("pending").to_number<int>(), 1);
  const auto started = std::chrono::steady_clock::now();
  res = Send(Built(tencent::build_send_sms(tc, tm, now)));
  EXPECT_EQ(res.status, 504);
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(50));
  EXPECT_EQ(client_
                ->request("POST", "/sim/sms/faults",
                          R"({"provider":"aliyun","fault":"signature_expire"})")
                .status,
            400);
  EXPECT_EQ(
      client_->request("POST", "/sim/sms/faults", R"({"provider":"x","fault":"timeout"})").status,
      400);

  Control("POST", "/sim/reset", "{}");
  EXPECT_EQ(Control("GET", "/sim/sms/messages").at("messages").as_array().size(), 0u);
}

TEST_F(SimSmsHttp, WebhookAndWechatControlRoutes) {
  const std::string text = R"({"msgtype":"text","text":{"content":"hi"}})";
  EXPECT_EQ(Control("POST", "/sim/webhook/ops", text).at("errcode").to_number<int>(), 0);
  EXPECT_EQ(
      Control("POST", "/wecom/cgi-bin/webhook/send?key=night", text).at("errcode").to_number<int>(),
      0);
  Control("POST", "/sim/webhook/faults", R"({"fault":"error"})");
  EXPECT_EQ(Control("POST", "/sim/webhook/ops", text).at("errcode").to_number<int>(), -1);
  const auto msgs = Control("GET", "/sim/webhook/messages").at("messages").as_array();
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[1].at("robot").as_string(), "night");
  EXPECT_EQ(client_->request("POST", "/sim/webhook/faults", R"({"fault":"nope"})").status, 400);

  EXPECT_EQ(Control("POST", "/sim/wechat/faults", R"({"fault":"-1","count":2})")
                .at("pending")
                .to_number<int>(),
            2);
  EXPECT_EQ(
      client_->request("POST", "/sim/wechat/faults", R"({"fault":"slow","delay_ms":-1})").status,
      400);
  EXPECT_EQ(Control("GET", "/sim/wechat/shipping").at("uploads").as_array().size(), 0u);
  EXPECT_EQ(Control("GET", "/sim/wechat/urllinks").at("links").as_array().size(), 0u);
}

}  // namespace
}  // namespace coldtrack::sim
