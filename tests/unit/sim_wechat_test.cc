// The simulator's WeChat access token and subscribe-message endpoints (sim/wechat_sim.h), called
// directly with requests from ColdTrack's builders and answers read by its parsers
// (wechat/miniprogram.h).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>

#include "sim/wechat_sim.h"
#include "wechat/miniprogram.h"

namespace coldtrack::sim {
namespace {

namespace json = boost::json;
using wechat::AccessToken;
using wechat::ApiError;
using wechat::ErrorKind;
using wechat::SendReceipt;

class SimWechat : public ::testing::Test {
 protected:
  std::shared_ptr<std::int64_t> now = std::make_shared<std::int64_t>(1'000'000);
  WechatLogin sim{"wxappid", "s3cret", [n = now] { return *n; }};
  wechat::AppConfig app{"http://sim/wechat", "wxappid", "s3cret"};

  void advance_s(std::int64_t s) { *now += s * 1000; }

  wechat::Result<AccessToken> token(bool force = false, const wechat::AppConfig* cfg = nullptr) {
    auto built = wechat::build_stable_token(cfg ? *cfg : app, force);
    const auto& req = std::get<wechat::Request>(built);
    return wechat::parse_stable_token(200, sim.stable_token(req.body));
  }

  std::string token_ok(bool force = false) {
    auto r = token(force);
    EXPECT_TRUE(std::holds_alternative<AccessToken>(r));
    return std::get<AccessToken>(r).access_token;
  }

  static wechat::SubscribeMessage message(std::string touser) {
    wechat::SubscribeMessage m;
    m.touser = std::move(touser);
    m.template_id = "TPL-shipping";
    m.page = "pages/order/detail?id=CT20261125001";
    m.data = {{"character_string1", "CT20261125001"},
              {"thing2", "速冻水饺 2 袋"},
              {"phrase3", "派送中"},
              {"time4", "2026-11-25 13:00"},
              {"amount5", "¥12.50"}};
    return m;
  }

  wechat::Result<SendReceipt> send(const std::string& access_token,
                                   const wechat::SubscribeMessage& m) {
    auto built = wechat::build_subscribe_send(app, access_token, m);
    const auto& req = std::get<wechat::Request>(built);
    return wechat::parse_subscribe_send(200, sim.subscribe_send(access_token, req.body));
  }

  static ApiError error_of(const wechat::Result<SendReceipt>& r) {
    EXPECT_TRUE(std::holds_alternative<ApiError>(r));
    return std::holds_alternative<ApiError>(r) ? std::get<ApiError>(r) : ApiError{};
  }
};

TEST_F(SimWechat, StableTokenIsReusedUntilItsLastFiveMinutes) {
  auto first = token();
  ASSERT_TRUE(std::holds_alternative<AccessToken>(first));
  const auto t1 = std::get<AccessToken>(first);
  EXPECT_EQ(t1.expires_in_s, 7200);
  EXPECT_GE(t1.access_token.size(), 100u);

  advance_s(1000);
  auto again = std::get<AccessToken>(token());
  EXPECT_EQ(again.access_token, t1.access_token);
  EXPECT_EQ(again.expires_in_s, 6200);

  // In the renewal window: a new token, and the old one is still accepted until it expires.
  advance_s(6000);
  auto renewed = std::get<AccessToken>(token());
  EXPECT_NE(renewed.access_token, t1.access_token);
  EXPECT_EQ(renewed.expires_in_s, 7200);
  EXPECT_TRUE(std::holds_alternative<SendReceipt>(send(t1.access_token, message("ouser1"))));

  // Past its expiry the old token gives 42001; the new one still works.
  advance_s(300);
  auto expired = error_of(send(t1.access_token, message("ouser1")));
  EXPECT_EQ(expired.errcode, 42001);
  EXPECT_EQ(expired.kind, ErrorKind::kTokenInvalid);
  EXPECT_TRUE(std::holds_alternative<SendReceipt>(send(renewed.access_token, message("ouser1"))));
}

TEST_F(SimWechat, ForceRefreshIssuesANewTokenAndInvalidatesTheOldOne) {
  const auto old_token = token_ok();
  const auto forced = token_ok(true);
  EXPECT_NE(forced, old_token);
  EXPECT_EQ(token_ok(), forced);  // normal mode now returns the forced one
  EXPECT_EQ(error_of(send(old_token, message("ouser1"))).errcode, 40001);
  EXPECT_TRUE(std::holds_alternative<SendReceipt>(send(forced, message("ouser1"))));
}

TEST_F(SimWechat, WrongCredentialsAreRefused) {
  wechat::AppConfig wrong_secret = app;
  wrong_secret.secret = "not-the-secret";
  auto r = token(false, &wrong_secret);
  ASSERT_TRUE(std::holds_alternative<ApiError>(r));
  EXPECT_EQ(std::get<ApiError>(r).errcode, 40125);
  EXPECT_EQ(std::get<ApiError>(r).kind, ErrorKind::kConfig);

  wechat::AppConfig wrong_appid = app;
  wrong_appid.appid = "wxother";
  r = token(false, &wrong_appid);
  ASSERT_TRUE(std::holds_alternative<ApiError>(r));
  EXPECT_EQ(std::get<ApiError>(r).errcode, 40013);

  auto bad = wechat::parse_stable_token(
      200, sim.stable_token(R"({"grant_type":"password","appid":"wxappid","secret":"s3cret"})"));
  ASSERT_TRUE(std::holds_alternative<ApiError>(bad));
  EXPECT_EQ(std::get<ApiError>(bad).errcode, 40002);
}

TEST_F(SimWechat, SendAnswersAMsgid) {
  const auto t = token_ok();
  auto a = send(t, message("ouser1"));
  auto b = send(t, message("ouser2"));
  ASSERT_TRUE(std::holds_alternative<SendReceipt>(a));
  ASSERT_TRUE(std::holds_alternative<SendReceipt>(b));
  EXPECT_FALSE(std::get<SendReceipt>(a).msgid.empty());
  EXPECT_NE(std::get<SendReceipt>(a).msgid, std::get<SendReceipt>(b).msgid);
}

TEST_F(SimWechat, UnknownTokenIs40001) {
  token_ok();
  auto e = error_of(send("not-a-token", message("ouser1")));
  EXPECT_EQ(e.errcode, 40001);
  EXPECT_EQ(e.kind, ErrorKind::kTokenInvalid);
  EXPECT_EQ(error_of(wechat::parse_subscribe_send(200, sim.subscribe_send("", "{}"))).errcode,
            40001);
}

TEST_F(SimWechat, RefusedUserIs43101) {
  auto e = error_of(send(token_ok(), message("refuse-ouser")));
  EXPECT_EQ(e.errcode, 43101);
  EXPECT_EQ(e.kind, ErrorKind::kQuotaSpent);
}

TEST_F(SimWechat, LimitedUserIs45011) {
  auto e = error_of(send(token_ok(), message("limit-ouser")));
  EXPECT_EQ(e.errcode, 45011);
  EXPECT_EQ(e.kind, ErrorKind::kRateLimited);
}

TEST_F(SimWechat, OverlongThingIs47003NamingTheField) {
  const auto t = token_ok();
  auto m = message("ouser1");
  m.data[1].second = std::string(20, 'x');  // exactly 20: fine
  EXPECT_TRUE(std::holds_alternative<SendReceipt>(send(t, m)));
  m.data[1].second = "速冻水饺速冻水饺速冻水饺速冻水饺速冻水饺";  // 20 code points, 60 bytes
  EXPECT_TRUE(std::holds_alternative<SendReceipt>(send(t, m)));
  m.data[1].second += "饺";  // 21 code points
  auto e = error_of(send(t, m));
  EXPECT_EQ(e.errcode, 47003);
  EXPECT_EQ(e.kind, ErrorKind::kInvalidData);
  EXPECT_NE(e.message.find("thing2"), std::string::npos) << e.message;

  m = message("ouser1");
  m.data[2].second = "派送中派送中";  // phrase: at most 5
  EXPECT_EQ(error_of(send(t, m)).errcode, 47003);
}

TEST_F(SimWechat, AcceptedMessagesAreListedInOrderAndResetClearsThem) {
  const auto t = token_ok();
  auto a = std::get<SendReceipt>(send(t, message("ouser1")));
  send(t, message("refuse-ouser"));  // refused: not recorded
  auto second = message("ouser2");
  second.page.clear();
  auto b = std::get<SendReceipt>(send(t, second));

  auto list = sim.messages();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].msgid, a.msgid);
  EXPECT_EQ(list[0].touser, "ouser1");
  EXPECT_EQ(list[0].template_id, "TPL-shipping");
  EXPECT_EQ(list[0].page, "pages/order/detail?id=CT20261125001");
  EXPECT_EQ(list[1].msgid, b.msgid);
  EXPECT_EQ(list[1].page, "");

  const json::value doc = json::parse(sim.messages_json());
  const auto& msgs = doc.at("messages").as_array();
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].at("touser").as_string(), "ouser1");
  EXPECT_EQ(msgs[0].at("data").at("thing2").at("value").as_string(), "速冻水饺 2 袋");
  EXPECT_EQ(msgs[1].at("touser").as_string(), "ouser2");

  sim.reset();
  EXPECT_TRUE(sim.messages().empty());
  EXPECT_EQ(json::parse(sim.messages_json()).at("messages").as_array().size(), 0u);
  // Issued tokens survive a reset.
  EXPECT_TRUE(std::holds_alternative<SendReceipt>(send(t, message("ouser1"))));
}

}  // namespace
}  // namespace coldtrack::sim
