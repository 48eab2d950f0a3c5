// The simulator's WeChat extras (sim/wechat_sim.h): URL Link, shipping-information upload and
// subscribe-send faults, driven by ColdTrack's own builders and parsers (wechat/miniprogram.h,
// wechat/shipping.h); the staff webhook sink (WebhookSink); and the WeChat Pay notify player
// (sim/wechatpay_sim.h), whose notifications are opened with the product's own receiver code.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <boost/json.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "sim/wechat_sim.h"
#include "sim/wechatpay_sim.h"
#include "wechat/miniprogram.h"
#include "wechat/pay_notify.h"
#include "wechat/shipping.h"

namespace coldtrack::sim {
namespace {

namespace json = boost::json;
using wechat::ApiError;
using wechat::ErrorKind;

constexpr std::int64_t kNowS = 1'795'000'000;  // 2026-11-18, a wall clock for expire_time

class SimWechatExtras : public ::testing::Test {
 protected:
  WechatLogin sim{"wxappid", "s3cret", [] { return std::int64_t{1'000'000}; }};
  wechat::AppConfig app{"http://sim/wechat", "wxappid", "s3cret"};
  std::string token;

  void SetUp() override {
    const wechat::Request req = std::get<wechat::Request>(wechat::build_stable_token(app, false));
    token =
        std::get<wechat::AccessToken>(wechat::parse_stable_token(200, sim.stable_token(req.body)))
            .access_token;
  }

  // ---- URL Link
  wechat::Result<std::string> Link(const wechat::UrlLinkSpec& spec, std::string t = "") {
    const auto built =
        wechat::build_generate_urllink(app, t.empty() ? token : t, spec, kNowS * 1000);
    const auto& req = std::get<wechat::Request>(built);
    return wechat::parse_generate_urllink(
        200, sim.generate_urllink(t.empty() ? token : t, req.body, kNowS));
  }
  int LinkErr(const std::string& body) {
    auto r = wechat::parse_generate_urllink(200, sim.generate_urllink(token, body, kNowS));
    EXPECT_TRUE(std::holds_alternative<ApiError>(r)) << body;
    return std::holds_alternative<ApiError>(r) ? std::get<ApiError>(r).errcode : 0;
  }

  // ---- Shipping
  static wechat::ShippingUpload Upload(std::string out_trade_no = "CT20261125001",
                                       std::int64_t at_ms = kNowS * 1000) {
    wechat::ShippingUpload u;
    u.order_key = wechat::OrderKey::merchant_order("1900000109", std::move(out_trade_no));
    u.shipping_list = {{"SF1400000000001", "SF", "速冻水饺*2", "13812345678"}};
    u.upload_time = at_ms;
    u.payer_openid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";
    return u;
  }
  // Sends with an empty ledger (the simulator, not the product's ledger, is under test here).
  wechat::UploadResult Ship(const wechat::ShippingUpload& u) {
    const auto built = wechat::build_upload_shipping_info(app, token, u, {});
    if (const auto* inv = std::get_if<wechat::Invalid>(&built)) {
      ADD_FAILURE() << inv->field << ": " << inv->reason;
      return {};
    }
    return wechat::parse_upload_shipping_info(
        200, sim.upload_shipping_info(token, std::get<wechat::Request>(built).body));
  }
  int ShipErr(json::object body) {
    return static_cast<int>(json::parse(sim.upload_shipping_info(token, json::serialize(body)))
                                .at("errcode")
                                .to_number<std::int64_t>());
  }
  static json::object UploadBody() {
    const auto built = wechat::build_upload_shipping_info(
        wechat::AppConfig{"http://sim/wechat", "wxappid", "s3cret"}, "t", Upload(), {});
    return json::parse(std::get<wechat::Request>(built).body).as_object();
  }

  // ---- Subscribe send
  wechat::Result<wechat::SendReceipt> Send(std::int64_t* hold_ms = nullptr) {
    wechat::SubscribeMessage m;
    m.touser = "ouser1";
    m.template_id = "TPL-shipping";
    m.data = {{"character_string1", "CT20261125001"}, {"thing2", "速冻水饺 2 袋"}};
    const wechat::Request req =
        std::get<wechat::Request>(wechat::build_subscribe_send(app, token, m));
    return wechat::parse_subscribe_send(200, sim.subscribe_send(token, req.body, hold_ms));
  }
};

// ---- URL Link -----------------------------------------------------------------------------------

TEST_F(SimWechatExtras, UrlLinkFromTheProductBuilderIsAWxaurlLinkAndRecorded) {
  wechat::UrlLinkSpec spec;
  spec.path = "pages/order/detail";
  spec.query = "id=CT20261125001";
  spec.expire_interval_days = 7;
  const auto r = Link(spec);
  ASSERT_TRUE(std::holds_alternative<std::string>(r));
  const std::string link = std::get<std::string>(r);
  ASSERT_EQ(link.size(), std::string("https://wxaurl.cn/").size() + 12) << link;
  EXPECT_TRUE(link.starts_with("https://wxaurl.cn/"));

  spec.expire_time_s = kNowS + 3600;
  const auto second = Link(spec);
  ASSERT_TRUE(std::holds_alternative<std::string>(second));
  EXPECT_NE(std::get<std::string>(second), link);

  const auto links = json::parse(sim.urllinks_json()).at("links").as_array();
  ASSERT_EQ(links.size(), 2u);
  EXPECT_EQ(links[0].at("url_link").as_string(), link);
  EXPECT_EQ(links[0].at("query").as_string(), "id=CT20261125001");
  EXPECT_EQ(links[0].at("expire_at_s").to_number<std::int64_t>(), kNowS + 7 * 86'400);
  EXPECT_EQ(links[1].at("expire_at_s").to_number<std::int64_t>(), kNowS + 3600);
}

TEST_F(SimWechatExtras, UrlLinkChecksTokenAndTheDocumentedRules) {
  auto bad_token = Link({}, "not-a-token");
  ASSERT_TRUE(std::holds_alternative<ApiError>(bad_token));
  EXPECT_EQ(std::get<ApiError>(bad_token).kind, ErrorKind::kTokenInvalid);

  EXPECT_EQ(LinkErr(R"({"path":"pages/a?x=1","query":""})"), 40165);
  EXPECT_EQ(LinkErr(R"({"path":"","query":"id=a b"})"), 40212);
  EXPECT_EQ(LinkErr(R"({"query":")" + std::string(1025, 'a') + R"("})"), 40212);
  EXPECT_EQ(LinkErr(R"({"expire_type":1,"expire_interval":31})"), 85401);
  EXPECT_EQ(LinkErr(R"({"expire_type":1,"expire_interval":0})"), 85401);
  EXPECT_EQ(LinkErr(R"({"expire_type":0,"expire_time":)" + std::to_string(kNowS - 1) + "}"), 85401);
  EXPECT_EQ(
      LinkErr(R"({"expire_type":0,"expire_time":)" + std::to_string(kNowS + 31 * 86'400) + "}"),
      85401);
  EXPECT_EQ(LinkErr(R"({"env_version":"beta"})"), 85402);
  EXPECT_EQ(json::parse(sim.urllinks_json()).at("links").as_array().size(), 0u);
}

// ---- Shipping -----------------------------------------------------------------------------------

TEST_F(SimWechatExtras, OneUploadAndOneReuploadPerPaymentThenRefused) {
  EXPECT_EQ(Ship(Upload()).outcome, wechat::UploadOutcome::kApplied);
  EXPECT_EQ(Ship(Upload("CT20261125001", kNowS * 1000 + 60'000)).outcome,
            wechat::UploadOutcome::kApplied);
  const auto third = Ship(Upload("CT20261125001", kNowS * 1000 + 120'000));
  EXPECT_EQ(third.outcome, wechat::UploadOutcome::kRejected);
  EXPECT_EQ(third.errcode, WechatLogin::kShippingReuploadUsed);
  // Another payment is counted on its own.
  EXPECT_EQ(Ship(Upload("CT20261125002")).outcome, wechat::UploadOutcome::kApplied);

  const auto uploads = json::parse(sim.shipping_json()).at("uploads").as_array();
  ASSERT_EQ(uploads.size(), 3u);
  EXPECT_EQ(uploads[0].at("order_key").at("out_trade_no").as_string(), "CT20261125001");
  EXPECT_EQ(uploads[0].at("upload_no").to_number<int>(), 1);
  EXPECT_EQ(uploads[1].at("upload_no").to_number<int>(), 2);
  EXPECT_EQ(uploads[0].at("shipping_list").at(0).at("contact").at("receiver_contact").as_string(),
            "138****5678");
  sim.reset();
  EXPECT_EQ(json::parse(sim.shipping_json()).at("uploads").as_array().size(), 0u);
  EXPECT_EQ(Ship(Upload()).outcome, wechat::UploadOutcome::kApplied);
}

TEST_F(SimWechatExtras, ReuploadMustBeLaterThanTheFirst) {
  EXPECT_EQ(Ship(Upload()).outcome, wechat::UploadOutcome::kApplied);
  const auto same = Ship(Upload());
  EXPECT_EQ(same.errcode, WechatLogin::kShippingBadUploadTime);
}

TEST_F(SimWechatExtras, UploadBodyRulesAreChecked) {
  auto b = UploadBody();
  b["logistics_type"] = 2;
  b["delivery_mode"] = 2;
  EXPECT_EQ(ShipErr(b), WechatLogin::kShippingSplitNotExpress);
  b = UploadBody();
  b["logistics_type"] = 9;
  EXPECT_EQ(ShipErr(b), WechatLogin::kShippingBadLogisticsType);
  b = UploadBody();
  b["shipping_list"].as_array().push_back(b["shipping_list"].as_array()[0]);
  EXPECT_EQ(ShipErr(b), WechatLogin::kShippingUnifiedNeedsOne);
  b = UploadBody();
  b["delivery_mode"] = 2;
  json::array many;
  for (int i = 0; i < 11; ++i) many.push_back(b["shipping_list"].as_array()[0]);
  b["shipping_list"] = many;
  EXPECT_EQ(ShipErr(b), WechatLogin::kShippingListTooLong);
  b = UploadBody();
  b["shipping_list"].as_array()[0].as_object()["item_desc"] = "";
  EXPECT_EQ(ShipErr(b), WechatLogin::kShippingItemDescEmpty);
  b = UploadBody();
  b["shipping_list"].as_array()[0].as_object().erase("contact");
  EXPECT_EQ(ShipErr(b), WechatLogin::kShippingParamError);  // SF needs the contact
  b = UploadBody();
  b["upload_time"] = "2026-11-25 13:05";
  EXPECT_EQ(ShipErr(b), WechatLogin::kShippingBadUploadTime);
  b = UploadBody();
  b["order_key"].as_object()["out_trade_no"] = "missing-1";
  EXPECT_EQ(ShipErr(b), WechatLogin::kShippingNoSuchPayment);
  b = UploadBody();
  b["payer"].as_object()["openid"] = "";
  EXPECT_EQ(ShipErr(b), WechatLogin::kShippingParamError);
  EXPECT_EQ(json::parse(sim.upload_shipping_info("bad", json::serialize(UploadBody())))
                .at("errcode")
                .to_number<int>(),
            40001);
  EXPECT_EQ(json::parse(sim.shipping_json()).at("uploads").as_array().size(), 0u);
}

TEST_F(SimWechatExtras, IsTradeManagedFromTheProductBuilder) {
  const wechat::Request req = std::get<wechat::Request>(wechat::build_is_trade_managed(app, token));
  const auto r = wechat::parse_is_trade_managed(200, sim.is_trade_managed(token, req.body));
  ASSERT_TRUE(std::holds_alternative<bool>(r));
  EXPECT_TRUE(std::get<bool>(r));
  EXPECT_EQ(json::parse(sim.is_trade_managed(token, R"({"appid":"other"})"))
                .at("errcode")
                .to_number<int>(),
            40013);
}

// ---- Subscribe-send faults
// ------------------------------------------------------------------------

TEST_F(SimWechatExtras, SendFaultsAnswerTheirErrcodeInOrder) {
  using F = WechatLogin::SendFault;
  sim.add_send_fault(F::k43101, 1);
  sim.add_send_fault(F::k45011, 1);
  sim.add_send_fault(F::k47003, 1);
  sim.add_send_fault(F::kSystemError, 1);
  sim.add_send_fault(F::k40001, 2);
  EXPECT_EQ(sim.pending_send_faults(), 6);
  const auto kind = [](const wechat::Result<wechat::SendReceipt>& r) {
    EXPECT_TRUE(std::holds_alternative<ApiError>(r));
    return std::holds_alternative<ApiError>(r) ? std::get<ApiError>(r).kind : ErrorKind::kConfig;
  };
  EXPECT_EQ(kind(Send()), ErrorKind::kQuotaSpent);
  EXPECT_EQ(kind(Send()), ErrorKind::kRateLimited);
  EXPECT_EQ(kind(Send()), ErrorKind::kInvalidData);
  EXPECT_EQ(kind(Send()), ErrorKind::kRetryable);
  EXPECT_EQ(kind(Send()), ErrorKind::kTokenInvalid);
  EXPECT_EQ(kind(Send()), ErrorKind::kTokenInvalid);
  EXPECT_TRUE(std::holds_alternative<wechat::SendReceipt>(Send()));
  EXPECT_EQ(sim.messages().size(), 1u);
}

TEST_F(SimWechatExtras, SlowSendIsRecordedAndAsksToHoldTheAnswer) {
  sim.add_send_fault(WechatLogin::SendFault::kSlow, 1, 3000);
  std::int64_t hold = -1;
  EXPECT_TRUE(std::holds_alternative<wechat::SendReceipt>(Send(&hold)));
  EXPECT_EQ(hold, 3000);
  EXPECT_EQ(sim.messages().size(), 1u);
  EXPECT_TRUE(std::holds_alternative<wechat::SendReceipt>(Send(&hold)));
  EXPECT_EQ(hold, 0);
  sim.add_send_fault(WechatLogin::SendFault::k43101, 5);
  sim.reset();
  EXPECT_EQ(sim.pending_send_faults(), 0);
}

// ---- Webhook sink -------------------------------------------------------------------------------

TEST(SimWebhook, TextAndMarkdownAreAcceptedAndRecorded) {
  WebhookSink sink;
  const auto ok = R"({"errcode":0,"errmsg":"ok"})";
  EXPECT_EQ(sink.post("ops", R"({"msgtype":"text","text":{"content":"冷链异常 CT1",)"
                             R"("mentioned_mobile_list":["13800138000","@all"]}})")
                .body,
            ok);
  EXPECT_EQ(
      sink.post("ops", R"({"msgtype":"markdown","markdown":{"content":"# 温度 <font>"}})").body,
      ok);
  const auto msgs = sink.messages();
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].robot, "ops");
  EXPECT_EQ(msgs[0].content, "冷链异常 CT1");
  ASSERT_EQ(msgs[0].mentioned_mobile_list.size(), 2u);
  EXPECT_EQ(msgs[1].msgtype, "markdown");
  const auto listed = json::parse(sink.messages_json()).at("messages").as_array();
  EXPECT_EQ(listed[0].at("mentioned_mobile_list").at(0).as_string(), "13800138000");
}

TEST(SimWebhook, MalformedMessagesAreRefused) {
  WebhookSink sink;
  const auto code = [&sink](std::string_view body) {
    return json::parse(sink.post("ops", body).body).at("errcode").to_number<int>();
  };
  EXPECT_EQ(code("not json"), 40008);
  EXPECT_EQ(code(R"({"msgtype":"image","image":{}})"), 40008);
  EXPECT_EQ(code(R"({"msgtype":"text","markdown":{"content":"x"}})"), 40008);
  EXPECT_EQ(code(R"({"msgtype":"text","text":{"content":""}})"), 44004);
  EXPECT_EQ(code(R"({"msgtype":"text","text":{"content":")" + std::string(2049, 'x') + "\"}}"),
            40058);
  EXPECT_TRUE(sink.messages().empty());
}

TEST(SimWebhook, FaultsAreUsedUpInOrder) {
  WebhookSink sink;
  sink.add_fault(WebhookSink::Fault::kError, 1);
  sink.add_fault(WebhookSink::Fault::kRateLimit, 1);
  sink.add_fault(WebhookSink::Fault::kTimeout, 1);
  const std::string msg = R"({"msgtype":"text","text":{"content":"hi"}})";
  EXPECT_EQ(json::parse(sink.post("a", msg).body).at("errcode").to_number<int>(), -1);
  EXPECT_EQ(json::parse(sink.post("a", msg).body).at("errcode").to_number<int>(), 45009);
  const auto t = sink.post("a", msg);
  EXPECT_TRUE(t.hold);
  EXPECT_EQ(t.status, 504);
  EXPECT_EQ(json::parse(sink.post("a", msg).body).at("errcode").to_number<int>(), 0);
  EXPECT_EQ(sink.messages().size(), 1u);
  sink.reset();
  EXPECT_TRUE(sink.messages().empty());
}

// ---- WeChat Pay notify player -------------------------------------------------------------------

// A throw-away RSA-2048 platform key as PEM (private, public).
std::pair<std::string, std::string> RsaKey() {
  static const auto key = [] {
    EVP_PKEY* k = EVP_RSA_gen(2048);
    auto pem = [k](bool priv) {
      BIO* bio = BIO_new(BIO_s_mem());
      if (priv)
        PEM_write_bio_PrivateKey(bio, k, nullptr, nullptr, 0, nullptr, nullptr);
      else
        PEM_write_bio_PUBKEY(bio, k);
      char* data = nullptr;
      const long n = BIO_get_mem_data(bio, &data);
      std::string out(data, static_cast<std::size_t>(n));
      BIO_free(bio);
      return out;
    };
    std::pair<std::string, std::string> p{pem(true), pem(false)};
    EVP_PKEY_free(k);
    return p;
  }();
  return key;
}

class SimWechatPay : public ::testing::Test {
 protected:
  static constexpr char kKey[] = "0123456789abcdef0123456789abcdef";
  WechatPayNotifier pay{kKey, RsaKey().first, "SIM-SERIAL-1"};
  std::int64_t now_s = 1'795'000'000;
  std::vector<int> answers;         // statuses the fake receiver gives, in order (then 204)
  std::vector<std::string> opened;  // per attempt: "ok", a NotifyError name or a check failure

  WechatPayNotifier::Request Req(std::string_view mode = "normal") {
    const std::string body = R"({"notify_url":"http://127.0.0.1:1/api/callbacks/wechatpay",)"
                             R"("out_trade_no":"CT20261125001","amount_fen":4990,)"
                             R"("appid":"wx0000000000000001","mchid":"1900000001",)"
                             R"("payer_openid":"oTEST","mode":")" +
                             std::string(mode) + R"(","attempts":3})";
    auto parsed = WechatPayNotifier::parse_request(body);
    EXPECT_TRUE(std::holds_alternative<WechatPayNotifier::Request>(parsed));
    return std::get<WechatPayNotifier::Request>(parsed);
  }

  // Plays ColdTrack's callback with the product's receiver code.
  json::object Deliver(const WechatPayNotifier::Request& r) {
    wechat::NotifyConfig cfg{kKey, {{"SIM-SERIAL-1", RsaKey().second}}};
    std::size_t calls = 0;
    return pay.deliver(
        r, [this] { return now_s; },
        [&](const std::string& url, const WechatPayNotifier::Signed& n) {
          EXPECT_EQ(url, "http://127.0.0.1:1/api/callbacks/wechatpay");
          wechat::NotifyHeaders h;
          for (const auto& [name, value] : n.headers) {
            if (name == "Wechatpay-Timestamp") h.timestamp = value;
            if (name == "Wechatpay-Nonce") h.nonce = value;
            if (name == "Wechatpay-Signature") h.signature = value;
            if (name == "Wechatpay-Serial") h.serial = value;
            if (name == "Wechatpay-Signature-Type") h.signature_type = value;
          }
          const auto r = wechat::open_notification(cfg, h, n.body, now_s * 1000);
          if (const auto* f = std::get_if<wechat::NotifyFailure>(&r)) {
            opened.emplace_back(f->error == wechat::NotifyError::kBadSignature ? "bad_signature"
                                : f->error == wechat::NotifyError::kStaleTimestamp
                                    ? "stale_timestamp"
                                    : f->reason);
            return WechatPayNotifier::PostResult{401, ""};
          }
          const auto& tx = *std::get<wechat::Notification>(r).transaction;
          const auto bad = wechat::check_transaction(tx, "wx0000000000000001", "1900000001", 4990);
          opened.push_back(bad.empty() ? "ok" : bad.front());
          const int status = calls < answers.size() ? answers[calls] : 204;
          ++calls;
          return WechatPayNotifier::PostResult{bad.empty() ? status : 400, ""};
        },
        [](std::chrono::milliseconds) {});
  }
};

TEST_F(SimWechatPay, NotificationOpensWithTheProductCodeAndIsRetriedUntil2xx) {
  ASSERT_TRUE(pay.enabled());
  EXPECT_NE(pay.public_key_pem().find("BEGIN PUBLIC KEY"), std::string::npos);
  answers = {500};
  const auto report = Deliver(Req());
  EXPECT_TRUE(report.at("delivered").as_bool());
  const auto& attempts = report.at("attempts").as_array();
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_EQ(attempts[0].at("status").to_number<int>(), 500);
  EXPECT_EQ(attempts[1].at("status").to_number<int>(), 204);
  EXPECT_EQ(opened, (std::vector<std::string>{"ok", "ok"}));
  EXPECT_EQ(report.at("transaction_id").as_string().size(), 28u);
  EXPECT_EQ(report.at("notification_id").as_string(),
            "EV-" + std::string(report.at("transaction_id").as_string()));
}

TEST_F(SimWechatPay, TamperModesAreRejectedByTheProductAndRetriesAreRight) {
  Deliver(Req("bad_signature"));
  EXPECT_EQ(opened, (std::vector<std::string>{"bad_signature", "ok"}));
  opened.clear();
  Deliver(Req("stale_timestamp"));
  EXPECT_EQ(opened, (std::vector<std::string>{"stale_timestamp", "ok"}));
  opened.clear();
  const auto wrong = Deliver(Req("wrong_amount"));
  EXPECT_FALSE(wrong.at("delivered").as_bool());
  EXPECT_EQ(opened.size(), 3u);
  EXPECT_NE(opened[0].find("amount"), std::string::npos) << opened[0];
  opened.clear();
  const auto dup = Deliver(Req("duplicate"));
  EXPECT_EQ(dup.at("attempts").as_array().size(), 2u);
  EXPECT_TRUE(dup.at("attempts").as_array()[1].at("duplicate").as_bool());
}

TEST_F(SimWechatPay, BadRequestsNameTheField) {
  const auto field = [](std::string_view body) {
    auto r = WechatPayNotifier::parse_request(body);
    return std::holds_alternative<WechatPayNotifier::RequestError>(r)
               ? std::get<WechatPayNotifier::RequestError>(r).field
               : std::string("<ok>");
  };
  EXPECT_EQ(field("[]"), "body");
  EXPECT_EQ(field(R"({"notify_url":"ftp://x"})"), "notify_url");
  EXPECT_EQ(field(R"({"notify_url":"http://x/","out_trade_no":"A","appid":"w","mchid":"m",)"
                  R"("payer_openid":"o","amount_fen":0})"),
            "amount_fen");
  EXPECT_FALSE(WechatPayNotifier("short", RsaKey().first, "S").enabled());
}

}  // namespace
}  // namespace coldtrack::sim
