// Notifications end to end through the real binary and the simulator playing WeChat, Aliyun SMS
// and a staff group robot: the messages of an order's journey, fallback to SMS, staff alerts,
// quiet hours, and exactly-once delivery across a kill -9 in the middle of a send.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>

#include "fixtures.h"
#include "http/client.h"
#include "sim/simulator.h"

namespace coldtrack::it {
namespace {

using namespace std::chrono_literals;
constexpr const char* kAppId = "wx00000000000000n1";
constexpr const char* kSecret = "notify-it-secret";
constexpr const char* kTemplate = "TPL_ORDER_STATUS";
constexpr const char* kEbusinessId = "1299077";
constexpr const char* kKdniaoKey = "notify-it-kdniao-key";
constexpr const char* kMchId = "1900000077";
constexpr const char* kApiV3Key = "notifyit0123456789abcdef01234567";
constexpr const char* kPaySerial = "NOTIFY-IT-SERIAL";

const KeyPair& pay_key() {
  static const KeyPair k = generate_key();
  return k;
}

std::string unique_phone() {
  std::string digits;
  for (char c : security::random_hex(4)) digits += static_cast<char>('0' + (c % 10));
  return "139" + digits;
}

class Notifications : public ::testing::Test {
 public:
  static void SetUpTestSuite() {
    sim::SimOptions so;
    so.port = 0;  // any free port: base_url() says which
    so.wechat_appid = kAppId;
    so.wechat_secret = kSecret;
    so.wechatpay_apiv3_key = kApiV3Key;
    so.wechatpay_platform_private_key_pem = pay_key().private_pem;
    so.wechatpay_platform_serial = kPaySerial;
    sim_ = std::make_unique<sim::Simulator>(so);
    sim_->start();
    server_ = std::make_unique<ServerProcess>(env());
    server_->start();
  }
  static void TearDownTestSuite() {
    server_.reset();
    if (sim_) sim_->stop();
    sim_.reset();
  }

  // Every channel pointed at the simulator; no digest, quiet hours or rate limit unless a test
  // asks for them.
  static std::map<std::string, std::string> env(std::map<std::string, std::string> extra = {}) {
    const auto base = sim_->base_url();
    static const std::string key_file = [] {
      auto p = std::filesystem::temp_directory_path() /
               ("coldtrack_it_notify_pay_" + std::to_string(::getpid()) + ".pem");
      std::ofstream(p) << pay_key().public_pem;
      return p.string();
    }();
    std::map<std::string, std::string> e{
        {"COLDTRACK_WECHATPAY_MCHID", kMchId},
        {"COLDTRACK_WECHATPAY_APIV3_KEY", kApiV3Key},
        {"COLDTRACK_WECHATPAY_PLATFORM_SERIAL", kPaySerial},
        {"COLDTRACK_WECHATPAY_PLATFORM_PUBLIC_KEY_FILE", key_file},
        {"COLDTRACK_WECHAT_APPID", kAppId},
        {"COLDTRACK_WECHAT_SECRET", kSecret},
        {"COLDTRACK_WECHAT_API_BASE_URL", base + "/wechat"},
        {"COLDTRACK_NOTIFY_WECHAT_TEMPLATE_ID", kTemplate},
        {"COLDTRACK_NOTIFY_SMS_PROVIDER", "aliyun"},
        {"COLDTRACK_NOTIFY_SMS_ALIYUN_ENDPOINT", base + "/aliyun-sms/"},
        {"COLDTRACK_NOTIFY_SMS_ALIYUN_ACCESS_KEY_ID", "sim-aliyun-id"},
        {"COLDTRACK_NOTIFY_SMS_ALIYUN_ACCESS_KEY_SECRET", "sim-aliyun-secret"},
        {"COLDTRACK_NOTIFY_SMS_ALIYUN_SIGN_NAME", "冷链小店"},
        {"COLDTRACK_NOTIFY_SMS_ALIYUN_TEMPLATE_CODE", "SMS_100001"},
        {"COLDTRACK_NOTIFY_STAFF_WEBHOOK_URL", base + "/sim/webhook/staff"},
        {"COLDTRACK_NOTIFY_TICK_MS", "100"},
        {"COLDTRACK_NOTIFY_DIGEST_WINDOW_S", "0"},
        {"COLDTRACK_NOTIFY_QUIET_START_HOUR", "0"},
        {"COLDTRACK_NOTIFY_QUIET_END_HOUR", "0"},
        {"COLDTRACK_NOTIFY_MAX_PER_RECIPIENT_PER_HOUR", "0"},
        {"COLDTRACK_NOTIFY_LEASE_S", "5"},
        {"COLDTRACK_NOTIFY_SEND_TIMEOUT_MS", "8000"},
        {"COLDTRACK_CARRIERS_KDNIAO_EBUSINESS_ID", kEbusinessId},
        {"COLDTRACK_CARRIERS_KDNIAO_API_KEY", kKdniaoKey},
        {"COLDTRACK_TRACKING_ENABLED", "false"},
        {"COLDTRACK_ANOMALIES_ENABLED", "false"}};
    for (auto& [k, v] : extra) e[k] = v;
    return e;
  }

 protected:
  ServerProcess& s() { return *server_; }

  // Logs `user` in; returns {token, openid}.
  static std::pair<std::string, std::string> session(ServerProcess& srv, const std::string& user) {
    auto r = srv.request("POST", "/api/auth/wechat",
                         to_string(json::object{{"code", user + "-" + security::random_hex(4)}}));
    EXPECT_EQ(r.status, 200) << r.body;
    const auto o = r.json().as_object();
    return {str(o, "token"), str(o, "openid")};
  }

  // The customer accepts the order-status template `n` times in the mini-program.
  static void subscribe(ServerProcess& srv, const std::string& token, int n) {
    for (int i = 0; i < n; ++i) {
      auto r = srv.request("POST", "/api/me/subscriptions",
                           to_string(json::object{{"template_ids", json::array{kTemplate}}}),
                           std::nullopt, {{"Authorization", "Bearer " + token}});
      ASSERT_EQ(r.status, 200) << r.body;
    }
  }

  static std::string paid_order(ServerProcess& srv, const std::string& openid,
                                const std::string& phone) {
    const auto no = unique_order_no("NT");
    auto body = order_body(no, phone);
    body["customer"].as_object()["openid"] = openid;
    must_create(srv, body);
    EXPECT_EQ(change_status(srv, no, "PAID").status, 200);
    return no;
  }

  static std::string ship(ServerProcess& srv, const std::string& no) {
    const auto waybill = unique_waybill("SF");
    auto r = add_shipment(srv, no, "SF", waybill);
    EXPECT_EQ(r.status, 200) << r.body;
    return waybill;
  }

  static void push(ServerProcess& srv, const std::string& waybill, const std::string& state,
                   const std::string& ex, std::int64_t minutes_ago = 0) {
    auto r = srv.request(
        "POST", "/api/callbacks/kdniao",
        kdniao_push(kEbusinessId, kKdniaoKey, waybill, state, ex, now_ms() - minutes_ago * 60'000),
        std::nullopt, {{"Content-Type", "application/x-www-form-urlencoded;charset=utf-8"}});
    EXPECT_EQ(r.status, 200) << r.body;
  }

  static json::array notifications(ServerProcess& srv, const std::string& query) {
    auto r = srv.get("/api/notifications?" + query, srv.viewer());
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? r.json().as_object().at("items").as_array() : json::array{};
  }

  static json::array sim_list(const std::string& path, const char* field) {
    http::Client c("127.0.0.1", sim_->port());
    const auto r = c.request("GET", path, "");
    return boost::json::parse(r.body).as_object().at(field).as_array();
  }

  // Subscribe messages the simulator accepted for `openid`, in order.
  static std::vector<json::object> wechat_messages(const std::string& openid) {
    std::vector<json::object> out;
    for (const auto& m : sim_list("/sim/wechat/messages", "messages"))
      if (str(m.as_object(), "touser") == openid) out.push_back(m.as_object());
    return out;
  }

  static std::vector<json::object> sms_messages(const std::string& phone) {
    std::vector<json::object> out;
    for (const auto& m : sim_list("/sim/sms/messages", "messages")) {
      const auto p = str(m.as_object(), "phone");
      if (p.ends_with(phone)) out.push_back(m.as_object());
    }
    return out;
  }

  static void sim_post(const std::string& path, const json::object& body) {
    http::Client c("127.0.0.1", sim_->port());
    const auto r = c.request("POST", path, to_string(body));
    ASSERT_EQ(r.status, 200) << r.body;
  }

  static std::size_t count_state(const json::array& items, const std::string& state) {
    std::size_t n = 0;
    for (const auto& i : items) n += str(i.as_object(), "state") == state;
    return n;
  }

  static inline std::unique_ptr<sim::Simulator> sim_;
  static inline std::unique_ptr<ServerProcess> server_;
};

TEST_F(Notifications, AnOrdersJourneyGivesExactlyTheExpectedWechatMessages) {
  const auto [token, openid] = session(s(), "journey");
  subscribe(s(), token, 5);
  const auto phone = unique_phone();
  const auto no = paid_order(s(), openid, phone);
  const auto waybill = ship(s(), no);
  ASSERT_TRUE(eventually([&] { return wechat_messages(openid).size() == 1; }, 10s));
  push(s(), waybill, "2", "202", 10);  // out for delivery, ten minutes ago
  ASSERT_TRUE(eventually([&] { return wechat_messages(openid).size() == 2; }, 10s));
  push(s(), waybill, "3", "301");  // signed
  ASSERT_TRUE(eventually([&] { return wechat_messages(openid).size() == 3; }, 10s))
      << to_string(notifications(s(), "order_no=" + no));
  std::this_thread::sleep_for(1s);  // nothing else follows

  const auto msgs = wechat_messages(openid);
  ASSERT_EQ(msgs.size(), 3u);
  std::vector<std::string> phrases, texts;
  for (const auto& m : msgs) {
    EXPECT_EQ(str(m, "template_id"), kTemplate);
    EXPECT_NE(str(m, "page").find(no), std::string::npos) << str(m, "page");
    const auto data = m.at("data").as_object();
    EXPECT_EQ(str(data.at("character_string1").as_object(), "value"), no);
    phrases.push_back(str(data.at("phrase2").as_object(), "value"));
    texts.push_back(str(data.at("thing3").as_object(), "value"));
  }
  EXPECT_EQ(phrases, (std::vector<std::string>{"已发货", "派送中", "已签收"}));
  EXPECT_EQ(texts, (std::vector<std::string>{"您的订单已发货", "快递员正在派送", "订单已签收"}));
  EXPECT_TRUE(sms_messages(phone).empty());

  const auto items = notifications(s(), "order_no=" + no);
  ASSERT_EQ(items.size(), 3u) << to_string(items);
  EXPECT_EQ(count_state(items, "sent"), 3u);
  for (const auto& i : items) {
    EXPECT_EQ(str(i.as_object(), "channel"), "wechat");
    EXPECT_EQ(str(i.as_object(), "state_label"), "已发送");
    EXPECT_TRUE(i.as_object().at("provider_ref").is_string());
  }
  // Three acceptances were used, two are left.
  auto subs = s().request("GET", "/api/me/subscriptions", "", std::nullopt,
                          {{"Authorization", "Bearer " + token}});
  EXPECT_NE(subs.body.find("\"remaining\":2"), std::string::npos) << subs.body;
}

TEST_F(Notifications, WithoutASubscriptionOrWhenWechatRefusesTheCustomerGetsAnSms) {
  // No acceptance at all: straight to SMS, linking into the mini-program.
  const auto [t1, openid1] = session(s(), "nosub");
  const auto phone1 = unique_phone();
  const auto no1 = paid_order(s(), openid1, phone1);
  ship(s(), no1);
  ASSERT_TRUE(eventually([&] { return sms_messages(phone1).size() == 1; }, 10s))
      << to_string(notifications(s(), "order_no=" + no1));
  const auto sms = sms_messages(phone1)[0];
  EXPECT_EQ(str(sms, "template_code"), "SMS_100001");
  const auto param = sms.at("template_param").as_object();
  EXPECT_EQ(str(param, "order_no"), no1);
  EXPECT_EQ(str(param, "status"), "您的订单已发货");
  // The link's code (the template holds https://wxaurl.cn/${link}), made for this order.
  const auto link = str(param, "link");
  EXPECT_EQ(link.size(), 12u) << to_string(sms);
  bool made = false;
  for (const auto& l : sim_list("/sim/wechat/urllinks", "links")) {
    const auto& o = l.as_object();
    made = made || (str(o, "url_link") == "https://wxaurl.cn/" + link &&
                    str(o, "query").find(no1) != std::string::npos);
  }
  EXPECT_TRUE(made);
  EXPECT_TRUE(wechat_messages(openid1).empty());
  auto items = notifications(s(), "order_no=" + no1);
  ASSERT_EQ(items.size(), 2u) << to_string(items);
  const auto wechat = notifications(s(), "order_no=" + no1 + "&channel=wechat")[0].as_object();
  EXPECT_EQ(str(wechat, "state"), "fallback");
  EXPECT_NE(str(wechat, "error").find("no subscription"), std::string::npos);
  const auto text = notifications(s(), "order_no=" + no1 + "&channel=sms")[0].as_object();
  EXPECT_EQ(str(text, "state"), "sent");
  EXPECT_EQ(text.at("fallback_of"), wechat.at("id"));

  // WeChat says the quota is spent (43101): SMS, and our count goes to zero.
  const auto [t2, openid2] = session(s(), "spent");
  subscribe(s(), t2, 2);
  const auto phone2 = unique_phone();
  const auto no2 = paid_order(s(), openid2, phone2);
  sim_post("/sim/wechat/faults", json::object{{"fault", "43101"}, {"count", 1}});
  ship(s(), no2);
  ASSERT_TRUE(eventually([&] { return sms_messages(phone2).size() == 1; }, 10s));
  EXPECT_TRUE(wechat_messages(openid2).empty());
  auto subs = s().request("GET", "/api/me/subscriptions", "", std::nullopt,
                          {{"Authorization", "Bearer " + t2}});
  EXPECT_NE(subs.body.find("\"remaining\":0"), std::string::npos) << subs.body;
}

TEST_F(Notifications, AnExpiredAccessTokenIsRefreshedAndTheMessageSentOnce) {
  const auto [token, openid] = session(s(), "token");
  subscribe(s(), token, 2);
  const auto no = paid_order(s(), openid, unique_phone());
  sim_post("/sim/wechat/faults", json::object{{"fault", "40001"}, {"count", 1}});
  ship(s(), no);
  ASSERT_TRUE(eventually([&] { return wechat_messages(openid).size() == 1; }, 10s))
      << to_string(notifications(s(), "order_no=" + no));
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(wechat_messages(openid).size(), 1u);
  const auto items = notifications(s(), "order_no=" + no);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(str(items[0].as_object(), "state"), "sent");
  EXPECT_EQ(items[0].as_object().at("attempts").as_int64(), 1);  // one job attempt, two calls
}

TEST_F(Notifications, AnSmsRateLimitDefersTheMessageInsteadOfHammering) {
  const auto [token, openid] = session(s(), "smslimit");
  const auto phone = unique_phone();
  const auto no = paid_order(s(), openid, phone);
  sim_post("/sim/sms/faults",
           json::object{{"provider", "aliyun"}, {"fault", "rate_limit"}, {"count", 1}});
  ship(s(), no);
  ASSERT_TRUE(eventually(
      [&] {
        const auto items = notifications(s(), "order_no=" + no + "&channel=sms");
        return !items.empty() && items[0].as_object().at("attempts").as_int64() == 1 &&
               str(items[0].as_object(), "state") == "pending";
      },
      10s))
      << to_string(notifications(s(), "order_no=" + no));
  const auto job = notifications(s(), "order_no=" + no + "&channel=sms")[0].as_object();
  EXPECT_NE(str(job, "error").find("BUSINESS_LIMIT_CONTROL"), std::string::npos)
      << str(job, "error");
  const auto send_at = domain::parse_rfc3339(str(job, "send_at"));
  ASSERT_TRUE(send_at);
  EXPECT_GT(*send_at, now_ms() + 50 * 60'000);  // an hour later, not in a tight loop
  EXPECT_TRUE(sms_messages(phone).empty());
}

TEST_F(Notifications, TencentSmsCarriesTheNotificationIdAsSessionContext) {
  ServerProcess tencent(
      env({{"COLDTRACK_NOTIFY_SMS_PROVIDER", "tencent"},
           {"COLDTRACK_NOTIFY_SMS_TENCENT_ENDPOINT", sim_->base_url() + "/tencent-sms/"},
           {"COLDTRACK_NOTIFY_SMS_TENCENT_SECRET_ID", "sim-tencent-id"},
           {"COLDTRACK_NOTIFY_SMS_TENCENT_SECRET_KEY", "sim-tencent-key"},
           {"COLDTRACK_NOTIFY_SMS_TENCENT_SMS_SDK_APP_ID", "1400000001"},
           {"COLDTRACK_NOTIFY_SMS_TENCENT_SIGN_NAME", "冷链小店"},
           {"COLDTRACK_NOTIFY_SMS_TENCENT_TEMPLATE_ID", "1110"}}));
  tencent.start();
  const auto [token, openid] = session(tencent, "tencent");
  const auto phone = unique_phone();
  const auto no = paid_order(tencent, openid, phone);
  // The first request is refused as expired (not processed): re-signed and sent once more.
  sim_post("/sim/sms/faults",
           json::object{{"provider", "tencent"}, {"fault", "signature_expire"}, {"count", 1}});
  ship(tencent, no);
  ASSERT_TRUE(eventually([&] { return sms_messages(phone).size() == 1; }, 10s))
      << to_string(notifications(tencent, "order_no=" + no));
  const auto m = sms_messages(phone)[0];
  EXPECT_EQ(str(m, "provider"), "tencent");
  EXPECT_EQ(str(m, "template_id"), "1110");
  const auto params = m.at("template_params").as_array();
  ASSERT_EQ(params.size(), 3u);
  EXPECT_EQ(str(params[0]), no);
  EXPECT_EQ(str(params[1]), "您的订单已发货");
  const auto sms = notifications(tencent, "order_no=" + no + "&channel=sms")[0].as_object();
  EXPECT_EQ(str(sms, "state"), "sent");
  EXPECT_EQ(str(m, "session_context"), std::to_string(sms.at("id").as_int64()));
  EXPECT_EQ(str(sms, "provider_ref"), str(m, "serial_no"));
}

TEST_F(Notifications, StaffHearOfACarrierProblemOnTheirRobot) {
  const auto [token, openid] = session(s(), "staffcase");
  const auto no = paid_order(s(), openid, unique_phone());
  const auto waybill = ship(s(), no);
  push(s(), waybill, "4", "404");  // refused by the customer
  const auto mine = [&] {
    std::vector<std::string> out;
    for (const auto& m : sim_list("/sim/webhook/messages", "messages")) {
      const auto content = str(m.as_object(), "content");
      if (content.find(no) != std::string::npos) out.push_back(content);
    }
    return out;
  };
  ASSERT_TRUE(eventually([&] { return !mine().empty(); }, 10s))
      << to_string(notifications(s(), "order_no=" + no));
  EXPECT_NE(mine()[0].find("订单 " + no), std::string::npos) << mine()[0];
  const auto staff = notifications(s(), "order_no=" + no + "&audience=staff");
  ASSERT_FALSE(staff.empty());
  EXPECT_EQ(str(staff[0].as_object(), "channel"), "webhook");
}

TEST_F(Notifications, AWechatPaidOrderHasItsWaybillUploadedToWechatOnce) {
  const auto [token, openid] = session(s(), "payer");
  const auto no = unique_order_no("PAY");
  auto body = order_body(no, "13812345678");
  body["customer"].as_object()["openid"] = openid;
  must_create(s(), body);
  // WeChat Pay tells us (signed, encrypted) that the customer paid.
  http::Client c("127.0.0.1", sim_->port());
  const auto paid = c.request(
      "POST", "/sim/wechatpay/notify",
      to_string(json::object{{"notify_url", "http://127.0.0.1:" + std::to_string(s().port()) +
                                                "/api/callbacks/wechatpay"},
                             {"out_trade_no", no},
                             {"amount_fen", 4000},
                             {"appid", kAppId},
                             {"mchid", kMchId},
                             {"payer_openid", openid}}));
  ASSERT_EQ(paid.status, 200) << paid.body;
  ASSERT_TRUE(eventually([&] { return order_status(s(), no) == "PAID"; }, 5s)) << paid.body;
  const auto transaction_id = str(boost::json::parse(paid.body).as_object(), "transaction_id");
  const auto waybill = ship(s(), no);

  const auto uploads = [&] {
    std::vector<json::object> out;
    for (const auto& u : sim_list("/sim/wechat/shipping", "uploads")) {
      const auto& o = u.as_object();
      if (o.at("order_key").as_object().contains("transaction_id") &&
          str(o.at("order_key").as_object(), "transaction_id") == transaction_id)
        out.push_back(o);
    }
    return out;
  };
  ASSERT_TRUE(eventually([&] { return uploads().size() == 1; }, 10s))
      << to_string(notifications(s(), "order_no=" + no));
  const auto u = uploads()[0];
  const auto parcel = u.at("shipping_list").as_array().at(0).as_object();
  EXPECT_EQ(str(parcel, "tracking_no"), waybill);
  EXPECT_EQ(str(parcel, "express_company"), "SF");
  EXPECT_FALSE(str(parcel, "item_desc").empty());
  // SF needs the receiver's phone, masked; nothing more leaves.
  EXPECT_EQ(str(parcel.at("contact").as_object(), "receiver_contact"), "138****5678");
  EXPECT_EQ(str(u.at("payer").as_object(), "openid"), openid);

  // The order shows the upload; it is done once.
  ASSERT_TRUE(eventually(
      [&] {
        auto r = s().get("/api/orders/" + no, s().viewer());
        return r.status == 200 && r.json().as_object().at("wechat_shipping").is_object() &&
               str(r.json().as_object().at("wechat_shipping").as_object(), "state") == "sent";
      },
      5s));
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(uploads().size(), 1u);
  const auto job = notifications(s(), "order_no=" + no + "&channel=wechat_shipping");
  ASSERT_EQ(job.size(), 1u);
  EXPECT_EQ(str(job[0].as_object(), "provider_ref"), transaction_id);
  // An order paid otherwise has nothing to upload.
  const auto [t2, openid2] = session(s(), "cash");
  const auto cash = paid_order(s(), openid2, unique_phone());
  ship(s(), cash);
  std::this_thread::sleep_for(500ms);
  EXPECT_TRUE(notifications(s(), "order_no=" + cash + "&channel=wechat_shipping").empty());
  auto r = s().get("/api/orders/" + cash, s().viewer());
  EXPECT_TRUE(r.json().as_object().at("wechat_shipping").is_null());
}

TEST_F(Notifications, FilterErrorsNameTheField) {
  auto r = s().get("/api/notifications?state=lost", s().viewer());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.error_field(), "state");
  r = s().get("/api/notifications?chanel=sms", s().viewer());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.error_field(), "chanel");
  r = s().get("/api/notifications/abc", s().viewer());
  EXPECT_EQ(r.status, 400);
  r = s().get("/api/notifications/999999", s().viewer());
  EXPECT_EQ(r.status, 404);
  // Re-sending is for admins, and only for dead or uncertain messages.
  r = s().post("/api/notifications/1/resend", "", s().viewer());
  EXPECT_EQ(r.status, 403);
}

TEST_F(Notifications, QuietHoursDeferCustomerMessagesButNotExceptions) {
  // Quiet from this hour (Shanghai) for two hours.
  const std::time_t now = std::time(nullptr) + 8 * 3600;
  std::tm tm{};
  gmtime_r(&now, &tm);
  ServerProcess quiet(
      env({{"COLDTRACK_NOTIFY_QUIET_START_HOUR", std::to_string(tm.tm_hour)},
           {"COLDTRACK_NOTIFY_QUIET_END_HOUR", std::to_string((tm.tm_hour + 2) % 24)}}));
  quiet.start();
  const auto [token, openid] = session(quiet, "night");
  subscribe(quiet, token, 3);
  const auto no = paid_order(quiet, openid, unique_phone());
  ship(quiet, no);
  ASSERT_TRUE(eventually([&] { return notifications(quiet, "order_no=" + no).size() == 1; }, 5s));
  std::this_thread::sleep_for(1s);
  auto items = notifications(quiet, "order_no=" + no);
  ASSERT_EQ(items.size(), 1u);
  const auto job = items[0].as_object();
  EXPECT_EQ(str(job, "state"), "pending");
  // Deferred to the end of the quiet hours, not dropped.
  const auto send_at = domain::parse_rfc3339(str(job, "send_at"));
  ASSERT_TRUE(send_at);
  const auto end = domain::format_rfc3339(*send_at, 480);
  EXPECT_EQ(end.substr(11, 8), fmt::format("{:02}:00:00", (tm.tm_hour + 2) % 24)) << end;
  EXPECT_TRUE(wechat_messages(openid).empty());
  // An exception is urgent: it goes out at once.
  ASSERT_EQ(change_status(quiet, no, "EXCEPTION").status, 200);
  ASSERT_TRUE(eventually([&] { return wechat_messages(openid).size() == 1; }, 10s));
  EXPECT_EQ(
      str(wechat_messages(openid)[0].at("data").as_object().at("phrase2").as_object(), "value"),
      "配送异常");
}

TEST_F(Notifications, ACustomerIsRemindedBeforeThePredictedArrivalOnce) {
  // Remind a day ahead: a parcel handed over 30 hours ago is due within that.
  ServerProcess srv(env({{"COLDTRACK_NOTIFY_REMINDER_LEAD_MIN", "1440"}}));
  srv.start();
  const auto [token, openid] = session(srv, "remind");
  subscribe(srv, token, 5);
  const auto no = paid_order(srv, openid, unique_phone());
  const auto waybill = unique_waybill("SF");
  auto shipped =
      srv.post("/api/orders/" + no + "/shipments",
               to_string(json::object{
                   {"carrier", "SF"},
                   {"waybill_no", waybill},
                   {"shipped_at", domain::format_rfc3339(now_ms() - 30 * 3'600'000LL, 480)}}),
               srv.operator_key());
  ASSERT_EQ(shipped.status, 200) << shipped.body;
  push(srv, waybill, "2", "2", 5);  // in transit: the reminder is planned from the prediction
  const auto reminders = [&] {
    std::vector<json::object> out;
    for (const auto& m : wechat_messages(openid))
      if (str(m.at("data").as_object().at("phrase2").as_object(), "value") == "即将送达")
        out.push_back(m);
    return out;
  };
  ASSERT_TRUE(eventually([&] { return reminders().size() == 1; }, 10s))
      << to_string(notifications(srv, "order_no=" + no));
  EXPECT_EQ(str(reminders()[0].at("data").as_object().at("thing3").as_object(), "value"),
            "预计24小时内送达");
  // A later scan of the same state adds nothing: one reminder per order.
  push(srv, waybill, "2", "2", 1);
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(reminders().size(), 1u);
  const auto items = notifications(srv, "order_no=" + no);
  std::size_t eta_soon = 0;
  for (const auto& i : items) eta_soon += str(i.as_object(), "event") == "eta_soon";
  EXPECT_EQ(eta_soon, 1u) << to_string(items);
}

TEST_F(Notifications, AKillNineMidSendNeverSendsTwiceAndLosesNothingElse) {
  ServerProcess victim(env());
  victim.start();
  const auto [token, openid] = session(victim, "crash");
  subscribe(victim, token, 10);
  std::vector<std::string> orders;
  for (int i = 0; i < 5; ++i) orders.push_back(paid_order(victim, openid, unique_phone()));
  // The first send is accepted by WeChat but its answer is held: the server dies waiting.
  sim_post("/sim/wechat/faults", json::object{{"fault", "slow"}, {"count", 1}, {"delay_ms", 4000}});
  for (const auto& no : orders) ship(victim, no);
  ASSERT_TRUE(eventually([&] { return wechat_messages(openid).size() == 1; }, 10s));
  victim.kill9();
  victim.restart();

  // The rest go out once; the one in flight is not sent again.
  ASSERT_TRUE(eventually(
      [&] {
        std::size_t settled = 0;
        for (const auto& no : orders) {
          const auto items = notifications(victim, "order_no=" + no);
          settled += count_state(items, "sent") + count_state(items, "uncertain");
        }
        return settled == orders.size();
      },
      20s));
  std::this_thread::sleep_for(1s);
  std::map<std::string, int> per_order;
  for (const auto& m : wechat_messages(openid))
    ++per_order[str(m.at("data").as_object().at("character_string1").as_object(), "value")];
  std::size_t uncertain = 0;
  for (const auto& no : orders) {
    EXPECT_EQ(per_order[no], 1) << no;  // delivered exactly once, the interrupted one included
    const auto items = notifications(victim, "order_no=" + no);
    ASSERT_EQ(items.size(), 1u) << to_string(items);
    const auto state = str(items[0].as_object(), "state");
    if (state == "uncertain") {
      ++uncertain;
      EXPECT_EQ(str(items[0].as_object(), "state_label"), "结果未知");
    } else {
      EXPECT_EQ(state, "sent");
    }
  }
  EXPECT_EQ(uncertain, 1u);
}

}  // namespace
}  // namespace coldtrack::it
