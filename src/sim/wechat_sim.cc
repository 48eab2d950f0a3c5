#include "sim/wechat_sim.h"

#include <boost/json.hpp>
#include <chrono>
#include <cstddef>
#include <utility>

#include "security/crypto.h"

namespace coldtrack::sim {

namespace json = boost::json;

namespace {

std::string error(int code, std::string_view msg) {
  return json::serialize(json::object{{"errcode", code}, {"errmsg", msg}});
}

std::size_t code_points(std::string_view utf8) {
  std::size_t n = 0;
  for (unsigned char c : utf8)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

bool is_ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

// "thing2" -> "thing", "character_string1" -> "character_string".
std::string_view key_type(std::string_view key) {
  while (!key.empty() && key.back() >= '0' && key.back() <= '9') key.remove_suffix(1);
  return key;
}

// Whether `value` fits the length rule of its key type (wechat.md §3). Types without a length
// rule (time, date, amount, unknown ones) only need a non-empty value.
bool value_fits(std::string_view type, std::string_view value) {
  if (value.empty()) return false;
  const std::size_t n = code_points(value);
  if (type == "thing") return n <= 20;
  if (type == "character_string" || type == "number" || type == "letter") return n <= 32;
  if (type == "phrase" || type == "symbol") return n <= 5;
  if (type == "name") return n <= (is_ascii(value) ? 20u : 10u);
  if (type == "phone_number") return n <= 17;
  if (type == "car_number") return n <= 8;
  return true;
}

std::string string_or_empty(const json::object& obj, std::string_view key) {
  const json::value* v = obj.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

}  // namespace

WechatLogin::WechatLogin(std::string appid, std::string secret, Clock clock)
    : appid_(std::move(appid)), secret_(std::move(secret)), clock_(std::move(clock)) {}

std::int64_t WechatLogin::now_ms() const {
  if (clock_) return clock_();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

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

// ---- stable_token -----------------------------------------------------------------------------

std::string WechatLogin::new_token_locked(std::int64_t now) {
  // Long and opaque like WeChat's (which asks for >= 512 characters of storage).
  std::string token = security::base64url_encode(security::random_bytes(96));
  tokens_[token] = now + kTokenLifeS * 1000;
  current_token_ = token;
  return token;
}

std::string WechatLogin::stable_token(std::string_view body) {
  std::error_code ec;
  json::value v = json::parse(json::string_view(body.data(), body.size()), ec);
  if (ec || !v.is_object()) return error(47001, "data format error");
  const json::object& req = v.as_object();
  if (string_or_empty(req, "grant_type") != "client_credential")
    return error(40002, "invalid grant_type");
  if (string_or_empty(req, "appid") != appid_) return error(40013, "invalid appid");
  if (string_or_empty(req, "secret") != secret_) return error(40125, "invalid appsecret");
  bool force = false;
  if (const json::value* f = req.if_contains("force_refresh")) {
    if (!f->is_bool()) return error(47001, "data format error");
    force = f->get_bool();
  }

  std::lock_guard lock(mu_);
  const std::int64_t now = now_ms();
  auto cur = tokens_.find(current_token_);
  const bool have = cur != tokens_.end() && cur->second > now;
  if (force) {
    // Force mode invalidates the previous token at once (wechat.md §2).
    if (cur != tokens_.end()) tokens_.erase(cur);
    new_token_locked(now);
  } else if (!have || cur->second - now <= kRenewalWindowS * 1000) {
    // None yet, expired, or in its last 5 minutes: a new one; the old one stays accepted until
    // its own expiry.
    new_token_locked(now);
  }
  const std::int64_t expiry = tokens_.at(current_token_);
  const std::int64_t expires_in = (expiry - now + 999) / 1000;
  return json::serialize(
      json::object{{"access_token", current_token_}, {"expires_in", expires_in}});
}

int WechatLogin::check_token_locked(std::string_view token, std::int64_t now) const {
  auto it = tokens_.find(std::string(token));
  if (token.empty() || it == tokens_.end()) return 40001;
  return it->second > now ? 0 : 42001;
}

// ---- subscribe message send -------------------------------------------------------------------

std::string WechatLogin::subscribe_send(std::string_view access_token, std::string_view body) {
  {
    std::lock_guard lock(mu_);
    switch (check_token_locked(access_token, now_ms())) {
      case 40001:
        return error(40001, "invalid credential, access_token is invalid or not latest");
      case 42001:
        return error(42001, "access_token expired");
      default:
        break;
    }
  }
  std::error_code ec;
  json::value v = json::parse(json::string_view(body.data(), body.size()), ec);
  if (ec || !v.is_object()) return error(47001, "data format error");
  const json::object& req = v.as_object();
  const std::string touser = string_or_empty(req, "touser");
  const std::string template_id = string_or_empty(req, "template_id");
  if (touser.empty()) return error(40003, "invalid openid");
  if (template_id.empty()) return error(40037, "invalid template id");
  if (const json::value* s = req.if_contains("miniprogram_state")) {
    const std::string state = s->is_string() ? std::string(s->get_string()) : "";
    if (state != "developer" && state != "trial" && state != "formal")
      return error(47003, "argument invalid! miniprogram_state invalid");
  }
  if (const json::value* l = req.if_contains("lang")) {
    const std::string lang = l->is_string() ? std::string(l->get_string()) : "";
    if (lang != "zh_CN" && lang != "en_US" && lang != "zh_HK" && lang != "zh_TW")
      return error(47003, "argument invalid! lang invalid");
  }
  if (touser.starts_with("limit")) return error(45011, "api minute-quota reach limit");

  const json::value* data = req.if_contains("data");
  if (!data || !data->is_object()) return error(47003, "argument invalid! data invalid");
  for (const auto& [key, item] : data->as_object()) {
    const std::string field = "data." + std::string(key) + ".value";
    const json::value* value = item.is_object() ? item.as_object().if_contains("value") : nullptr;
    if (!value || !value->is_string() || !value_fits(key_type(key), value->get_string()))
      return error(47003, "argument invalid! " + field + " invalid");
  }
  if (touser.starts_with("refuse")) return error(43101, "user refuse to accept the msg");

  std::lock_guard lock(mu_);
  SentMessage m;
  m.msgid = std::to_string(next_msgid_++);
  m.touser = touser;
  m.template_id = template_id;
  m.page = string_or_empty(req, "page");
  m.data = json::serialize(*data);
  messages_.push_back(m);
  return json::serialize(
      json::object{{"errcode", 0}, {"errmsg", "ok"}, {"msgid", next_msgid_ - 1}});
}

std::vector<WechatLogin::SentMessage> WechatLogin::messages() const {
  std::lock_guard lock(mu_);
  return messages_;
}

std::string WechatLogin::messages_json() const {
  std::lock_guard lock(mu_);
  json::array list;
  for (const SentMessage& m : messages_) {
    list.push_back(json::object{{"msgid", m.msgid},
                                {"touser", m.touser},
                                {"template_id", m.template_id},
                                {"page", m.page},
                                {"data", json::parse(m.data)}});
  }
  return json::serialize(json::object{{"messages", std::move(list)}});
}

void WechatLogin::reset() {
  std::lock_guard lock(mu_);
  // Tokens survive a reset: a ColdTrack server holding one keeps working.
  used_.clear();
  messages_.clear();
}

}  // namespace coldtrack::sim
