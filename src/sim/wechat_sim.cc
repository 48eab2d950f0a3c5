#include "sim/wechat_sim.h"

#include <boost/json.hpp>

#include "security/crypto.h"

namespace coldtrack::sim {

namespace json = boost::json;

namespace {

std::string error(int code, std::string_view msg) {
  return json::serialize(json::object{{"errcode", code}, {"errmsg", msg}});
}

}  // namespace

std::string WechatLogin::openid_for(std::string_view user) const {
  // 28 characters like real openids: "o" + 27 of a keyed hash of the user.
  auto h = security::base64url_encode(security::sha256(appid_ + ":" + std::string(user)));
  return "o" + h.substr(0, 27);
}

std::string WechatLogin::code2session(std::string_view appid, std::string_view secret,
                                      std::string_view js_code, std::string_view grant_type) {
  if (appid != appid_ || secret != secret_) return error(40013, "invalid appid");
  if (grant_type != "authorization_code") return error(40002, "invalid grant_type");
  if (js_code.empty()) return error(41008, "missing code");
  if (js_code.starts_with("bad")) return error(40029, "invalid code");
  if (js_code.starts_with("busy")) return error(-1, "system error");
  if (js_code.starts_with("limit")) return error(45011, "api minute-quota reach limit");
  if (js_code.starts_with("risky")) return error(40226, "high risk user");
  {
    std::lock_guard lock(mu_);
    if (!used_.insert(std::string(js_code)).second) return error(40163, "code been used");
  }
  const auto user = js_code.substr(0, js_code.find('-'));
  const auto key = security::base64_encode(security::random_bytes(16));
  return json::serialize(json::object{{"openid", openid_for(user)}, {"session_key", key}});
}

void WechatLogin::reset() {
  std::lock_guard lock(mu_);
  used_.clear();
}

}  // namespace coldtrack::sim
