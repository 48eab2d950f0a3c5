// WeChat Pay payment notifications through the real binary: the test plays WeChat Pay with its
// own RSA key (the server is configured with the public half), encrypts the transaction with
// the APIv3 key and signs exactly as the protocol says.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "fixtures.h"
#include "wechat/pay_notify.h"

namespace coldtrack::it {
namespace {

constexpr const char* kAppId = "wx0000000000000001";
constexpr const char* kMchId = "1900000001";
constexpr const char* kApiV3Key = "0123456789abcdef0123456789abcdef";
constexpr const char* kSerial = "IT-SERIAL-0001";

const KeyPair& platform_key() {
  static const KeyPair k = generate_key();
  return k;
}

class WechatPay : public SharedServerTest<WechatPay> {
 public:
  static std::map<std::string, std::string> extra_env() {
    static const std::string path = [] {
      auto p = std::filesystem::temp_directory_path() /
               ("coldtrack_it_wechatpay_" + std::to_string(::getpid()) + ".pem");
      std::ofstream(p) << platform_key().public_pem;
      return p.string();
    }();
    return {{"COLDTRACK_WECHAT_APPID", kAppId},
            {"COLDTRACK_WECHATPAY_MCHID", kMchId},
            {"COLDTRACK_WECHATPAY_APIV3_KEY", kApiV3Key},
            {"COLDTRACK_WECHATPAY_PLATFORM_SERIAL", kSerial},
            {"COLDTRACK_WECHATPAY_PLATFORM_PUBLIC_KEY_FILE", path}};
  }

 protected:
  struct Notice {
    std::string out_trade_no;
    std::string transaction_id = "42000000002026112500" + security::random_hex(4);
    std::int64_t amount = 4000;  // order_body's total
    std::string appid = kAppId;
    std::string event = "TRANSACTION.SUCCESS";
    std::string success_time = "2026-11-25T13:00:05+08:00";
    std::string key = kApiV3Key;
    std::int64_t skew_s = 0;
  };

  // A signed notification for `n`; returns {headers, body}.
  std::pair<std::map<std::string, std::string>, std::string> build(const Notice& n) {
    json::object tx{{"appid", n.appid},
                    {"mchid", kMchId},
                    {"out_trade_no", n.out_trade_no},
                    {"transaction_id", n.transaction_id},
                    {"trade_type", "JSAPI"},
                    {"trade_state", "SUCCESS"},
                    {"trade_state_desc", "支付成功"},
                    {"bank_type", "OTHERS"},
                    {"success_time", n.success_time},
                    {"payer", json::object{{"openid", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}}},
                    {"amount", json::object{{"total", n.amount},
                                            {"payer_total", n.amount},
                                            {"currency", "CNY"},
                                            {"payer_currency", "CNY"}}}};
    const std::string nonce = "fGHz9k3Lq2Wx";
    const auto ciphertext =
        wechat::encrypt_resource(n.key, nonce, "transaction", json::serialize(tx));
    if (!ciphertext) throw std::runtime_error("encrypt_resource failed");
    json::object body{{"id", "EV-" + n.transaction_id},
                      {"create_time", "2026-11-25T13:00:06+08:00"},
                      {"resource_type", "encrypt-resource"},
                      {"event_type", n.event},
                      {"summary", "支付成功"},
                      {"resource", json::object{{"original_type", "transaction"},
                                                {"algorithm", "AEAD_AES_256_GCM"},
                                                {"ciphertext", *ciphertext},
                                                {"associated_data", "transaction"},
                                                {"nonce", nonce}}}};
    const auto text = json::serialize(body);
    const auto ts = std::to_string(now_ms() / 1000 + n.skew_s);
    const auto sig_nonce = security::random_hex(16);
    const auto sig = wechat::sign_message(platform_key().private_pem,
                                          wechat::signing_message(ts, sig_nonce, text));
    if (!sig) throw std::runtime_error("sign_message failed");
    return {{{"Wechatpay-Timestamp", ts},
             {"Wechatpay-Nonce", sig_nonce},
             {"Wechatpay-Signature", *sig},
             {"Wechatpay-Serial", kSerial},
             {"Wechatpay-Signature-Type", "WECHATPAY2-SHA256-RSA2048"},
             {"Content-Type", "application/json"}},
            text};
  }

  Response notify(const Notice& n) {
    auto [headers, body] = build(n);
    return s().request("POST", "/api/callbacks/wechatpay", body, std::nullopt, headers);
  }

  std::string created_order() {
    const auto no = unique_order_no("PAY");
    must_create(s(), order_body(no, "13812345678"));
    return no;
  }

  json::array history(const std::string& no) {
    auto r = s().get("/api/orders/" + no, s().viewer());
    return r.json().as_object().at("history").as_array();
  }
};

TEST_F(WechatPay, AVerifiedPaymentMarksTheOrderPaidOnceAtItsSuccessTime) {
  const auto no = created_order();
  Notice n;
  n.out_trade_no = no;
  const auto paid_at = (now_ms() / 1000 + 2) * 1000;  // whole seconds, after the order
  n.success_time = domain::format_rfc3339(paid_at, 480);
  auto r = notify(n);
  ASSERT_EQ(r.status, 204) << r.body;
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(order_status(s(), no), "PAID");
  auto h = history(no);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(str(h[1].as_object(), "status"), "PAID");
  EXPECT_EQ(str(h[1].as_object(), "at"), n.success_time);
  // WeChat Pay delivers the same notification again: acknowledged, nothing changes.
  r = notify(n);
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(history(no).size(), 2u);
  // The audit log names the payment.
  auto audit = s().get("/api/audit?target=order:" + no + "&action=order.paid", s().admin());
  ASSERT_EQ(audit.status, 200);
  const auto items = audit.json().as_object().at("items").as_array();
  ASSERT_EQ(items.size(), 1u) << audit.body;
  EXPECT_NE(audit.body.find(n.transaction_id), std::string::npos);
}

TEST_F(WechatPay, ForgedOrAlteredNotificationsAreRefusedAndChangeNothing) {
  const auto no = created_order();
  Notice n;
  n.out_trade_no = no;

  // Body altered after signing.
  auto [headers, body] = build(n);
  auto altered = body;
  altered.replace(altered.find("支付成功"), std::string("支付成功").size(), "支付失败");
  auto r = s().request("POST", "/api/callbacks/wechatpay", altered, std::nullopt, headers);
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(str(r.json().as_object(), "code"), "FAIL");

  // Replayed long after (outside the 300 s window).
  Notice stale = n;
  stale.skew_s = -301;
  EXPECT_EQ(notify(stale).status, 401);

  // Encrypted with another APIv3 key: the GCM tag does not verify; never parsed as JSON.
  Notice wrong_key = n;
  wrong_key.key = "ffffffffffffffffffffffffffffffff";
  r = notify(wrong_key);
  EXPECT_GE(r.status, 400) << r.body;
  EXPECT_EQ(str(r.json().as_object(), "code"), "FAIL");

  // Authentic, but the amount or the appid does not match the order.
  Notice amount = n;
  amount.amount = 1;
  r = notify(amount);
  EXPECT_EQ(r.status, 400) << r.body;
  Notice appid = n;
  appid.appid = "wx9999999999999999";
  EXPECT_EQ(notify(appid).status, 400);

  // Unknown order: a failure, so WeChat Pay retries.
  Notice unknown = n;
  unknown.out_trade_no = "NO-SUCH-ORDER-1";
  EXPECT_EQ(notify(unknown).status, 404);

  // Missing headers.
  r = s().request("POST", "/api/callbacks/wechatpay", body, std::nullopt,
                  {{"Content-Type", "application/json"}});
  EXPECT_EQ(r.status, 401) << r.body;

  EXPECT_EQ(order_status(s(), no), "CREATED");
  EXPECT_EQ(history(no).size(), 1u);

  // Other event types are authentic but not payments: acknowledged, ignored.
  Notice refund = n;
  refund.event = "REFUND.SUCCESS";
  EXPECT_EQ(notify(refund).status, 204);
  EXPECT_EQ(order_status(s(), no), "CREATED");
}

TEST_F(WechatPay, MoneyForACancelledOrderIsNotSilentlyAccepted) {
  const auto no = created_order();
  ASSERT_EQ(change_status(s(), no, "CANCELLED").status, 200);
  Notice n;
  n.out_trade_no = no;
  auto r = notify(n);
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(order_status(s(), no), "CANCELLED");
}

// A WeChat Pay key that cannot be used stops start-up naming the setting, instead of refusing
// every payment later.
TEST(WechatPayConfig, AnUnreadableOrInvalidPlatformKeyStopsStartUp) {
  auto env = WechatPay::extra_env();
  env["COLDTRACK_WECHATPAY_PLATFORM_PUBLIC_KEY_FILE"] = "/nonexistent/wechatpay.pem";
  env["COLDTRACK_SERVER_PORT"] = "0";
  ServerProcess missing(env);
  auto r = missing.cli({"serve"}, std::chrono::seconds(20));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("wechatpay.platform_public_key_file"), std::string::npos) << r.err;

  const auto garbage = std::filesystem::temp_directory_path() /
                       ("coldtrack_it_badkey_" + std::to_string(::getpid()) + ".pem");
  std::ofstream(garbage) << "not a key";
  env["COLDTRACK_WECHATPAY_PLATFORM_PUBLIC_KEY_FILE"] = garbage.string();
  ServerProcess invalid(env);
  r = invalid.cli({"serve"}, std::chrono::seconds(20));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("wechatpay"), std::string::npos) << r.err;
  std::filesystem::remove(garbage);
}

}  // namespace
}  // namespace coldtrack::it
