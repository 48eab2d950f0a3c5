// Mini-program customers through the real binary: WeChat login against the simulator playing
// WeChat's jscode2session, our own bearer session, and orders visible only to their owner.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

#include "fixtures.h"
#include "sim/simulator.h"

namespace coldtrack::it {
namespace {

constexpr const char* kAppId = "wx00000000000000c1";
constexpr const char* kSecret = "customer-it-secret";

class Customers : public ::testing::Test {
 public:
  static void SetUpTestSuite() {
    sim::SimOptions so;
    so.port = 0;  // any free port: base_url() says which
    so.wechat_appid = kAppId;
    so.wechat_secret = kSecret;
    sim_ = std::make_unique<sim::Simulator>(so);
    sim_->start();
    server_ = std::make_unique<ServerProcess>(std::map<std::string, std::string>{
        {"COLDTRACK_WECHAT_APPID", kAppId},
        {"COLDTRACK_WECHAT_SECRET", kSecret},
        {"COLDTRACK_WECHAT_API_BASE_URL", sim_->base_url() + "/wechat"}});
    server_->start();
  }
  static void TearDownTestSuite() {
    server_.reset();
    if (sim_) sim_->stop();
    sim_.reset();
  }

 protected:
  ServerProcess& s() { return *server_; }

  Response login(const std::string& code) {
    return s().request("POST", "/api/auth/wechat", to_string(json::object{{"code", code}}));
  }

  // Logs `user` in with a fresh code; returns {token, openid}.
  std::pair<std::string, std::string> session(const std::string& user) {
    auto r = login(user + "-" + security::random_hex(4));
    EXPECT_EQ(r.status, 200) << r.body;
    const auto o = r.json().as_object();
    return {str(o, "token"), str(o, "openid")};
  }

  std::string order_for(const std::string& openid) {
    const auto no = unique_order_no("ME");
    auto body = order_body(no, "13812345678");
    body["customer"].as_object()["openid"] = openid;
    must_create(s(), body);
    return no;
  }

  Response as(const std::string& token, const std::string& target) {
    return s().request("GET", target, "", std::nullopt, {{"Authorization", "Bearer " + token}});
  }

  static inline std::unique_ptr<sim::Simulator> sim_;
  static inline std::unique_ptr<ServerProcess> server_;
};

TEST_F(Customers, LoginGivesOurOwnSessionAndNeverWeChatsSessionKey) {
  auto r = login("alice-" + security::random_hex(4));
  ASSERT_EQ(r.status, 200) << r.body;
  const auto o = r.json().as_object();
  EXPECT_EQ(str(o, "token").size(), 64u);
  EXPECT_EQ(str(o, "openid").size(), 28u);
  EXPECT_TRUE(o.at("expires_at").is_string());
  EXPECT_EQ(r.body.find("session_key"), std::string::npos);
  // The same person logging in again is the same customer.
  EXPECT_EQ(session("alice").second, str(o, "openid"));
  EXPECT_NE(session("bob").second, str(o, "openid"));
}

TEST_F(Customers, WeChatRefusalsBecomeClearErrors) {
  auto bad = login("bad-code");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(bad.error_field(), "code");
  const std::string code = "carol-" + security::random_hex(4);
  ASSERT_EQ(login(code).status, 200);
  auto reused = login(code);  // codes are single-use
  EXPECT_EQ(reused.status, 400) << reused.body;
  EXPECT_EQ(reused.error_field(), "code");
  EXPECT_EQ(login("busy-1").status, 503);
  EXPECT_EQ(login("limit-1").status, 503);
  EXPECT_EQ(login("risky-1").status, 403);
  auto empty = s().request("POST", "/api/auth/wechat", R"({"code":""})");
  EXPECT_EQ(empty.status, 400);
  EXPECT_EQ(empty.error_field(), "code");
  auto unknown = s().request("POST", "/api/auth/wechat", R"({"code":"x","extra":1})");
  EXPECT_EQ(unknown.status, 400);
}

TEST_F(Customers, ACustomerSeesOnlyTheirOwnOrdersByEveryRoute) {
  const auto [alice, alice_openid] = session("alice");
  const auto [bob, bob_openid] = session("bob");
  const auto a1 = order_for(alice_openid);
  const auto a2 = order_for(alice_openid);
  const auto b1 = order_for(bob_openid);

  auto list = as(alice, "/api/me/orders");
  ASSERT_EQ(list.status, 200) << list.body;
  std::set<std::string> seen;
  const auto listed = list.json();
  for (const auto& item : listed.as_object().at("items").as_array())
    seen.insert(str(item.as_object(), "order_no"));
  EXPECT_TRUE(seen.count(a1) && seen.count(a2));
  EXPECT_FALSE(seen.count(b1));

  auto mine = as(alice, "/api/me/orders/" + a1);
  ASSERT_EQ(mine.status, 200) << mine.body;
  const auto m = mine.json().as_object();
  EXPECT_EQ(str(m, "order_no"), a1);
  EXPECT_TRUE(m.contains("tracking"));
  EXPECT_EQ(mine.body.find("13812345678"), std::string::npos) << "personal data stays masked";

  // Bob's order is simply not found for Alice (no hint that it exists), and vice versa.
  auto theirs = as(alice, "/api/me/orders/" + b1);
  EXPECT_EQ(theirs.status, 404) << theirs.body;
  EXPECT_EQ(without_request_id(theirs), without_request_id(as(alice, "/api/me/orders/NOPE1")));
  EXPECT_EQ(as(bob, "/api/me/orders/" + a1).status, 404);

  // No token, a wrong token, or a staff route with a customer token: refused.
  EXPECT_EQ(s().request("GET", "/api/me/orders").status, 401);
  EXPECT_EQ(as(std::string(64, 'a'), "/api/me/orders").status, 401);
  EXPECT_EQ(as(alice, "/api/orders/" + b1).status, 401);
  EXPECT_EQ(as(alice, "/api/orders?limit=5").status, 401);
}

TEST_F(Customers, SubscriptionAcceptancesAreCountedPerTemplate) {
  const auto [token, openid] = session("erin");
  auto post = [&](const std::string& body, const std::string& tok) {
    return s().request("POST", "/api/me/subscriptions", body, std::nullopt,
                       {{"Authorization", "Bearer " + tok}});
  };
  ASSERT_EQ(post(R"({"template_ids":["TPL_SHIP","TPL_ETA"]})", token).status, 200);
  auto r = post(R"({"template_ids":["TPL_SHIP"]})", token);
  ASSERT_EQ(r.status, 200) << r.body;
  auto got = as(token, "/api/me/subscriptions");
  ASSERT_EQ(got.status, 200);
  const auto body = got.json();
  const auto& items = body.as_object().at("items").as_array();
  ASSERT_EQ(items.size(), 2u) << got.body;
  EXPECT_EQ(str(items[1].as_object(), "template_id"), "TPL_SHIP");
  EXPECT_EQ(items[1].as_object().at("remaining").as_int64(), 2);
  // Bad input names the field; no token is 401; another customer sees nothing of Erin's.
  auto bad = post(R"({"template_ids":["ok","bad id!"]})", token);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.error_field(), "template_ids[1]");
  EXPECT_EQ(post(R"({"template_ids":[]})", token).status, 400);
  EXPECT_EQ(post(R"({"template_ids":["TPL_SHIP"]})", std::string(64, 'b')).status, 401);
  // The templates the shop sends with: none configured on this server.
  EXPECT_TRUE(body.as_object().at("templates").as_array().empty()) << got.body;
  const auto other = session("frank").first;
  auto theirs = as(other, "/api/me/subscriptions");
  EXPECT_TRUE(theirs.json().as_object().at("items").as_array().empty()) << theirs.body;
}

// An order of `openid`'s created `age_h` hours ago with the given status path after CREATED.
std::string at_text(std::int64_t ms) {
  return domain::format_rfc3339(ms, 480);
}
// For a query string: '+' would read as a space.
std::string at_query(std::int64_t ms) {
  auto t = at_text(ms);
  return t.replace(t.find('+'), 1, "%2B");
}
constexpr std::int64_t kHour = 3'600'000;

TEST_F(Customers, TheOrderListFiltersByStatusesOrderNumberAndDates) {
  const auto [token, openid] = session("hana");
  const auto now = now_ms();
  auto make = [&](double age_h, std::vector<std::string> path) {
    const auto no = unique_order_no("MF");
    auto body = order_body(no, "13812345678");
    body["customer"].as_object()["openid"] = openid;
    body["created_at"] = at_text(now - static_cast<std::int64_t>(age_h * kHour));
    must_create(s(), body);
    for (const auto& st : path) EXPECT_EQ(change_status(s(), no, st).status, 200) << st;
    return no;
  };
  const auto a = make(72, {});                  // 待付款
  const auto b = make(48, {"PAID"});            // 待发货
  const auto c = make(1, {"PAID", "SHIPPED"});  // 运输中
  auto nos = [&](const std::string& query) {
    auto r = as(token, "/api/me/orders?" + query);
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    std::vector<std::string> out;
    if (r.status != 200) return out;
    const auto page = r.json();
    for (const auto& o : page.as_object().at("items").as_array())
      out.push_back(str(o.as_object(), "order_no"));
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(nos("status=CREATED"), V{a});
  EXPECT_EQ(nos("status=PAID,SHIPPED,IN_TRANSIT"), (V{c, b}));
  EXPECT_EQ(nos("order_no=" + b), V{b});
  EXPECT_EQ(nos("from=" + at_query(now - 60 * kHour) + "&to=" + at_query(now - 24 * kHour)), V{b});
  EXPECT_EQ(nos("status=PAID&limit=1"), V{b});
  // Another customer's order number finds nothing, not their order.
  const auto [other, other_openid] = session("ivan");
  const auto theirs = order_for(other_openid);
  EXPECT_EQ(nos("order_no=" + theirs), V{});

  auto bad = [&](const std::string& query, const std::string& field) {
    auto r = as(token, "/api/me/orders?" + query);
    EXPECT_EQ(r.status, 400) << query << ": " << r.body;
    EXPECT_EQ(r.error_field(), field) << query;
  };
  bad("status=PAID,NOPE", "status");
  bad("status=", "status");
  bad("order_no=a%20b", "order_no");
  bad("from=yesterday", "from");
  bad("from=" + at_query(now) + "&to=" + at_query(now - kHour), "from");
  bad("phone=13812345678", "phone");  // staff filters are not for customers
  bad("limit=0", "limit");
}

TEST_F(Customers, OneRequestGivesTheDetailPageChartNoticeAndTheFullWaybill) {
  const auto [token, openid] = session("gina");
  const auto now = now_ms();
  const auto no = unique_order_no("MD");
  auto body = order_body(no, "13812345678");
  body["customer"].as_object()["openid"] = openid;
  body["items"].as_array()[0].as_object()["category"] = "frozen";
  body["created_at"] = at_text(now - 10 * kHour);
  must_create(s(), body);
  ASSERT_EQ(change_status(s(), no, "PAID", at_text(now - 10 * kHour + 60'000)).status, 200);
  const auto waybill = unique_waybill("SF");
  auto shipped = s().post("/api/orders/" + no + "/shipments",
                          to_string(json::object{{"carrier", "SF"},
                                                 {"waybill_no", waybill},
                                                 {"origin_city", "上海市"},
                                                 {"shipped_at", at_text(now - 6 * kHour)}}),
                          s().operator_key());
  ASSERT_EQ(shipped.status, 200) << shipped.body;
  const auto shipped_json = shipped.json();
  const auto shipment =
      shipped_json.as_object().at("shipments").as_array().at(0).as_object().at("id").as_int64();
  // Five hours of minute readings: an hour frozen, then four hours of a failed reefer at -6 °C.
  json::array readings;
  for (int i = 0; i < 300; ++i)
    readings.push_back(json::object{{"at", at_text(now - 5 * kHour + i * 60'000LL)},
                                    {"temp_c", i < 60 ? -20.0 : -6.0}});
  auto posted = s().post("/api/shipments/" + std::to_string(shipment) + "/temperatures",
                         to_string(json::object{{"device_id", "LOG-ME"}, {"readings", readings}}),
                         s().operator_key());
  ASSERT_EQ(posted.status, 200) << posted.body;

  auto r = as(token, "/api/me/orders/" + no);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto o = r.json().as_object();
  // The trouble in plain words, the worst one first.
  ASSERT_TRUE(o.at("notice").is_object()) << r.body;
  const auto& notice = o.at("notice").as_object();
  EXPECT_EQ(str(notice, "kind"), "temperature");
  EXPECT_EQ(str(notice, "severity"), "critical");
  EXPECT_EQ(str(notice, "title"), "冷链温度异常");
  EXPECT_FALSE(str(notice, "message").empty());
  EXPECT_EQ(str(o, "thaw_risk"), "high");
  const auto& t = o.at("tracking").as_array().at(0).as_object();
  EXPECT_EQ(str(t, "waybill_no"), waybill) << "the customer's own parcel: the waybill in full";
  const auto& series = t.at("cold_chain").as_object().at("series").as_array();
  ASSERT_GE(series.size(), 90u);
  ASSERT_LE(series.size(), 96u);
  double coldest = 100, warmest = -100;
  std::int64_t last = 0;
  for (const auto& p : series) {
    const auto& q = p.as_object();
    const auto at = domain::parse_rfc3339(str(q, "at"));
    ASSERT_TRUE(at);
    EXPECT_GT(*at, last) << "oldest first";
    last = *at;
    coldest = std::min(coldest, q.at("min_c").to_number<double>());
    warmest = std::max(warmest, q.at("max_c").to_number<double>());
  }
  EXPECT_DOUBLE_EQ(coldest, -20.0);
  EXPECT_DOUBLE_EQ(warmest, -6.0);

  // The public page: the same chart, the waybill masked.
  auto pub = s().request("GET", "/api/track?order_no=" + no + "&phone_last4=5678");
  ASSERT_EQ(pub.status, 200) << pub.body;
  const auto pub_json = pub.json();
  const auto& pt = pub_json.as_object().at("tracking").as_array().at(0).as_object();
  EXPECT_NE(str(pt, "waybill_no"), waybill);
  EXPECT_NE(str(pt, "waybill_no").find('*'), std::string::npos);
  EXPECT_EQ(pt.at("cold_chain").as_object().at("series").as_array().size(), series.size());

  // Nothing wrong, nothing said.
  const auto calm = order_for(openid);
  auto quiet = as(token, "/api/me/orders/" + calm);
  ASSERT_EQ(quiet.status, 200);
  EXPECT_TRUE(quiet.json().as_object().at("notice").is_null()) << quiet.body;
}

TEST_F(Customers, SessionsSurviveARestart) {
  const auto [token, openid] = session("dave");
  const auto no = order_for(openid);
  s().kill9();
  s().restart();
  auto r = as(token, "/api/me/orders/" + no);
  EXPECT_EQ(r.status, 200) << r.body;
}

}  // namespace
}  // namespace coldtrack::it
