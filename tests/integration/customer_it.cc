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
  const auto other = session("frank").first;
  auto theirs = as(other, "/api/me/subscriptions");
  EXPECT_TRUE(theirs.json().as_object().at("items").as_array().empty()) << theirs.body;
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
