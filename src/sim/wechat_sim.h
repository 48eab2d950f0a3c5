// The simulator playing WeChat's server APIs (protocols/wechat.md §1-3).
//
// Login: jscode2session answers with WeChat's JSON and errcodes. Codes are "<user>-<anything>":
// the same user always gets the same openid; a code is good once. Codes starting with "bad",
// "busy", "limit" or "risky" inject 40029, -1, 45011 and 40226.
//
// Access token (stable_token): the same token until its last 5 minutes, when a new one is issued
// and the old one stays accepted until it expires (7200 s). force_refresh issues a new token and
// invalidates the previous one at once (40001 afterwards). Expired tokens answer 42001.
//
// Subscribe messages: checked against a valid token, then touser starting with "limit" gives
// 45011, values too long for their key type give 47003 (naming the field), touser starting with
// "refuse" gives 43101; everything else is accepted and recorded, in order, for
// /sim/wechat/messages.
//
// All answers are HTTP 200 with WeChat's JSON body, as WeChat does. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace coldtrack::sim {

class WechatLogin {
 public:
  // Milliseconds on any monotonic scale; the default reads std::chrono::steady_clock.
  using Clock = std::function<std::int64_t()>;

  static constexpr std::int64_t kTokenLifeS = 7200;
  static constexpr std::int64_t kRenewalWindowS = 300;

  // A subscribe message the simulator accepted.
  struct SentMessage {
    std::string msgid;  // decimal, as answered
    std::string touser;
    std::string template_id;
    std::string page;  // "" when the request had none
    std::string data;  // the request's "data" object, serialized JSON
  };

  WechatLogin(std::string appid, std::string secret, Clock clock = {});

  // The JSON body for GET /sns/jscode2session with these query values.
  std::string code2session(std::string_view appid, std::string_view secret,
                           std::string_view js_code, std::string_view grant_type);
  // The openid this simulator gives `user` (tests use it to build expectations).
  std::string openid_for(std::string_view user) const;

  // The JSON body for POST /cgi-bin/stable_token with this request body.
  std::string stable_token(std::string_view body);
  // The JSON body for POST /cgi-bin/message/subscribe/send?access_token=...
  std::string subscribe_send(std::string_view access_token, std::string_view body);

  // Accepted messages, in order.
  std::vector<SentMessage> messages() const;
  // {"messages":[{"msgid","touser","template_id","page","data":{...}}, ...]}
  std::string messages_json() const;

  // Forgets used codes and recorded messages (issued tokens stay valid).
  void reset();

 private:
  std::int64_t now_ms() const;
  std::string new_token_locked(std::int64_t now);
  // 0 when `token` is accepted now, else 40001 or 42001.
  int check_token_locked(std::string_view token, std::int64_t now) const;

  std::string appid_, secret_;
  Clock clock_;
  mutable std::mutex mu_;
  std::set<std::string> used_;
  std::string current_token_;                   // "" before the first stable_token call
  std::map<std::string, std::int64_t> tokens_;  // every issued token -> expiry (ms)
  std::uint64_t next_msgid_ = 2'026'112'500'001;
  std::vector<SentMessage> messages_;
};

}  // namespace coldtrack::sim
