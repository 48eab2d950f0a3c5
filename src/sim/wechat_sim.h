// The simulator playing WeChat's login API (protocols/wechat.md §1): jscode2session answers
// with WeChat's JSON and errcodes. Codes are "<user>-<anything>": the same user always gets the
// same openid; a code is good once. Codes starting with "bad", "busy", "limit" or "risky"
// inject 40029, -1, 45011 and 40226.
#pragma once

#include <mutex>
#include <set>
#include <string>
#include <string_view>

namespace coldtrack::sim {

class WechatLogin {
 public:
  WechatLogin(std::string appid, std::string secret)
      : appid_(std::move(appid)), secret_(std::move(secret)) {}
  // The JSON body for GET /sns/jscode2session with these query values (HTTP 200 always, as
  // WeChat does).
  std::string code2session(std::string_view appid, std::string_view secret,
                           std::string_view js_code, std::string_view grant_type);
  // The openid this simulator gives `user` (tests use it to build expectations).
  std::string openid_for(std::string_view user) const;
  void reset();

 private:
  std::string appid_, secret_;
  std::mutex mu_;
  std::set<std::string> used_;
};

}  // namespace coldtrack::sim
