#include "sim/wechat_sim.h"

#include <boost/json.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <utility>

#include "domain/time.h"
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

std::string WechatLogin::token_error(std::string_view token) {
  std::lock_guard lock(mu_);
  switch (check_token_locked(token, now_ms())) {
    case 40001:
      return error(40001, "invalid credential, access_token is invalid or not latest");
    case 42001:
      return error(42001, "access_token expired");
    default:
      return {};
  }
}

void WechatLogin::add_send_fault(SendFault fault, int count, std::int64_t delay_ms) {
  if (count < 1) return;
  std::lock_guard lock(mu_);
  faults_.push_back(QueuedFault{fault, count, delay_ms});
}

int WechatLogin::pending_send_faults() const {
  std::lock_guard lock(mu_);
  int n = 0;
  for (const QueuedFault& f : faults_) n += f.remaining;
  return n;
}

std::string WechatLogin::subscribe_send(std::string_view access_token, std::string_view body,
                                        std::int64_t* hold_ms) {
  if (hold_ms) *hold_ms = 0;
  std::optional<QueuedFault> fault;
  {
    std::lock_guard lock(mu_);
    if (!faults_.empty()) {
      fault = faults_.front();
      if (--faults_.front().remaining <= 0) faults_.pop_front();
    }
  }
  if (fault) {
    switch (fault->fault) {
      case SendFault::k43101:
        return error(43101, "user refuse to accept the msg");
      case SendFault::k45011:
        return error(45011, "api minute-quota reach limit");
      case SendFault::k47003:
        return error(47003, "argument invalid! data invalid");
      case SendFault::kSystemError:
        return error(-1, "system error");
      case SendFault::k40001:
        return error(40001, "invalid credential, access_token is invalid or not latest");
      case SendFault::kSlow:
        if (hold_ms) *hold_ms = fault->delay_ms;
        break;  // checked and recorded as usual
    }
  }
  if (auto refused = token_error(access_token); !refused.empty()) return refused;
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
  faults_.clear();
  links_.clear();
  upload_times_.clear();
  uploads_.clear();
}

// ---- URL Link (wechat.md §4) -------------------------------------------------------------------

namespace {

bool is_urllink_query_char(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$&'()*+,/:;=?@-._~%").find(c) != std::string_view::npos;
}

std::optional<std::int64_t> int_field(const json::object& obj, std::string_view key) {
  const json::value* v = obj.if_contains(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v->get_uint64());
  return std::nullopt;
}

// Twelve characters of [A-Za-z0-9], like wxaurl.cn's link ids.
std::string link_id() {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string id;
  for (unsigned char b : security::random_bytes(12)) id.push_back(kAlphabet[b % kAlphabet.size()]);
  return id;
}

}  // namespace

std::string WechatLogin::generate_urllink(std::string_view access_token, std::string_view body,
                                          std::int64_t now_unix_s) {
  if (auto refused = token_error(access_token); !refused.empty()) return refused;
  std::error_code ec;
  json::value v = json::parse(json::string_view(body.data(), body.size()), ec);
  if (ec || !v.is_object()) return error(47001, "data format error");
  const json::object& req = v.as_object();
  Link link;
  link.path = string_or_empty(req, "path");
  link.query = string_or_empty(req, "query");
  if (link.path.find('?') != std::string::npos) return error(40165, "invalid weapp pagepath");
  if (link.query.size() > 1024) return error(40212, "invalid query");
  for (char c : link.query)
    if (!is_urllink_query_char(c)) return error(40212, "invalid query");
  link.env_version = req.contains("env_version") ? string_or_empty(req, "env_version") : "release";
  if (link.env_version != "release" && link.env_version != "trial" && link.env_version != "develop")
    return error(85402, "invalid env_version");
  const std::int64_t max_life_s = 30 * 86'400;
  const std::int64_t expire_type =
      req.contains("expire_type") ? int_field(req, "expire_type").value_or(-1) : 0;
  if (expire_type == 1) {
    const auto days = int_field(req, "expire_interval");
    if (!days || *days < 1 || *days > 30) return error(85401, "invalid expire_interval");
    link.expire_at_s = now_unix_s + *days * 86'400;
  } else if (expire_type == 0) {
    if (req.contains("expire_time")) {
      const auto at = int_field(req, "expire_time");
      if (!at || *at <= now_unix_s || *at > now_unix_s + max_life_s)
        return error(85401, "invalid expire_time");
      link.expire_at_s = *at;
    } else {
      link.expire_at_s = now_unix_s + kUrlLinkDefaultLifeS;
    }
  } else {
    return error(47001, "data format error");
  }
  link.url_link = "https://wxaurl.cn/" + link_id();
  std::lock_guard lock(mu_);
  links_.push_back(link);
  return json::serialize(
      json::object{{"errcode", 0}, {"errmsg", "ok"}, {"url_link", link.url_link}});
}

std::string WechatLogin::urllinks_json() const {
  std::lock_guard lock(mu_);
  json::array list;
  for (const Link& l : links_)
    list.push_back(json::object{{"url_link", l.url_link},
                                {"path", l.path},
                                {"query", l.query},
                                {"env_version", l.env_version},
                                {"expire_at_s", l.expire_at_s}});
  return json::serialize(json::object{{"links", std::move(list)}});
}

// ---- Shipping information (wechat-shipping.md) -------------------------------------------------

std::string WechatLogin::upload_shipping_info(std::string_view access_token,
                                              std::string_view body) {
  if (auto refused = token_error(access_token); !refused.empty()) return refused;
  std::error_code ec;
  json::value v = json::parse(json::string_view(body.data(), body.size()), ec);
  if (ec || !v.is_object()) return error(47001, "data format error");
  json::object& req = v.as_object();
  const auto param_error = [](std::string_view what) {
    return error(kShippingParamError, "invalid param: " + std::string(what));
  };

  // order_key: which payment; the key the re-upload rule counts by.
  const json::value* ok = req.if_contains("order_key");
  if (ok == nullptr || !ok->is_object()) return param_error("order_key");
  const json::object& order_key = ok->as_object();
  std::string key, order_id;
  const auto type = int_field(order_key, "order_number_type");
  if (type == 1) {
    const std::string mchid = string_or_empty(order_key, "mchid");
    order_id = string_or_empty(order_key, "out_trade_no");
    if (mchid.empty() || order_id.empty()) return param_error("order_key.out_trade_no");
    key = "1:" + mchid + ":" + order_id;
  } else if (type == 2) {
    order_id = string_or_empty(order_key, "transaction_id");
    if (order_id.empty()) return param_error("order_key.transaction_id");
    key = "2:" + order_id;
  } else {
    return param_error("order_key.order_number_type");
  }
  if (order_id.starts_with("missing")) return error(kShippingNoSuchPayment, "支付单不存在");

  const auto logistics = int_field(req, "logistics_type");
  if (!logistics || *logistics < 1 || *logistics > 4)
    return error(kShippingBadLogisticsType, "物流类型有误");
  const auto mode = int_field(req, "delivery_mode");
  if (mode != 1 && mode != 2) return error(kShippingBadDeliveryMode, "发货模式非法");
  const bool express = *logistics == 1;
  const bool split = mode == 2;
  if (split && !express) return error(kShippingSplitNotExpress, "非快递发货时不允许分拆发货");
  const json::value* all = req.if_contains("is_all_delivered");
  if (split && (all == nullptr || !all->is_bool()))
    return error(kShippingSplitNeedsAllDelivered, "分拆发货模式下必须填写 is_all_delivered 字段");

  const json::value* list = req.if_contains("shipping_list");
  if (list == nullptr || !list->is_array() || list->as_array().empty())
    return param_error("shipping_list");
  const json::array& parcels = list->as_array();
  if (parcels.size() > 10) return error(kShippingListTooLong, "物流信息列表太长");
  if (!split && parcels.size() != 1)
    return error(kShippingUnifiedNeedsOne, "统一发货模式下，物流信息列表长度必须为 1");
  std::set<std::string> tracking_nos;
  for (const json::value& item : parcels) {
    if (!item.is_object()) return param_error("shipping_list");
    const json::object& p = item.as_object();
    const std::string desc = string_or_empty(p, "item_desc");
    if (desc.empty()) return error(kShippingItemDescEmpty, "商品描述 item_desc 字段不能为空");
    if (code_points(desc) > kItemDescMaxChars)
      return error(kShippingItemDescTooLong, "商品描述 item_desc 字段太长");
    const std::string tracking = string_or_empty(p, "tracking_no");
    const std::string company = string_or_empty(p, "express_company");
    if (express && (tracking.empty() || company.empty()))
      return param_error("shipping_list.tracking_no/express_company");
    if (!tracking.empty() && !tracking_nos.insert(tracking).second)
      return param_error("shipping_list.tracking_no duplicated");
    if (company == "SF") {
      const json::value* c = p.if_contains("contact");
      if (c == nullptr || !c->is_object() ||
          string_or_empty(c->as_object(), "receiver_contact").empty())
        return param_error("shipping_list.contact.receiver_contact");
    }
  }
  const json::value* payer = req.if_contains("payer");
  if (payer == nullptr || !payer->is_object() ||
      string_or_empty(payer->as_object(), "openid").empty())
    return param_error("payer.openid");
  const auto upload_time = domain::parse_rfc3339(string_or_empty(req, "upload_time"));
  if (!upload_time) return error(kShippingBadUploadTime, "上传时间非法，请按照 RFC 3339 格式填写");

  std::lock_guard lock(mu_);
  auto& times = upload_times_[key];
  if (times.size() >= 2) return error(kShippingReuploadUsed, "支付单已使用重新发货机会");
  if (!times.empty() && *upload_time <= times.back())
    return error(kShippingBadUploadTime, "上传时间非法，必须晚于上次上传时间");
  times.push_back(*upload_time);
  req["upload_no"] = times.size();
  uploads_.push_back(json::serialize(req));
  return error(0, "ok");
}

std::string WechatLogin::is_trade_managed(std::string_view access_token, std::string_view body) {
  if (auto refused = token_error(access_token); !refused.empty()) return refused;
  std::error_code ec;
  json::value v = json::parse(json::string_view(body.data(), body.size()), ec);
  if (ec || !v.is_object()) return error(47001, "data format error");
  if (string_or_empty(v.as_object(), "appid") != appid_) return error(40013, "invalid appid");
  // 1/0 as wechat-shipping.md writes it.
  return json::serialize(json::object{{"errcode", 0}, {"errmsg", "ok"}, {"is_trade_managed", 1}});
}

std::string WechatLogin::shipping_json() const {
  std::lock_guard lock(mu_);
  json::array list;
  for (const std::string& u : uploads_) list.push_back(json::parse(u));
  return json::serialize(json::object{{"uploads", std::move(list)}});
}

// ---- WebhookSink -------------------------------------------------------------------------------

WebhookSink::Answer WebhookSink::post(std::string_view robot, std::string_view body) {
  Answer a;
  {
    std::lock_guard lock(mu_);
    if (!faults_.empty()) {
      const Fault f = faults_.front().first;
      if (--faults_.front().second <= 0) faults_.pop_front();
      switch (f) {
        case Fault::kError:
          a.body = error(-1, "system error");
          return a;
        case Fault::kRateLimit:
          a.body = error(45009, "api freq out of limit");
          return a;
        case Fault::kTimeout:
          a.status = 504;
          a.hold = true;
          return a;
      }
    }
  }
  std::error_code ec;
  json::value v = json::parse(json::string_view(body.data(), body.size()), ec);
  a.body = error(40008, "invalid message type");
  if (ec || !v.is_object()) return a;
  Message m;
  m.robot = robot;
  m.msgtype = string_or_empty(v.as_object(), "msgtype");
  if (m.msgtype != "text" && m.msgtype != "markdown") return a;
  const json::value* part = v.as_object().if_contains(m.msgtype);
  if (part == nullptr || !part->is_object()) return a;
  const json::object& o = part->as_object();
  const json::value* content = o.if_contains("content");
  if (content != nullptr && !content->is_string()) return a;
  m.content = string_or_empty(o, "content");
  if (m.content.empty()) {
    a.body = error(44004, "empty content");
    return a;
  }
  if (m.content.size() > (m.msgtype == "text" ? kMaxTextBytes : kMaxMarkdownBytes)) {
    a.body = error(40058, "content exceed max length");
    return a;
  }
  if (m.msgtype == "text") {
    for (auto [name, out] : {std::pair{"mentioned_list", &m.mentioned_list},
                             std::pair{"mentioned_mobile_list", &m.mentioned_mobile_list}}) {
      const json::value* l = o.if_contains(name);
      if (l == nullptr) continue;
      if (!l->is_array()) return a;
      for (const json::value& item : l->as_array()) {
        if (!item.is_string()) return a;
        out->emplace_back(item.get_string());
      }
    }
  }
  std::lock_guard lock(mu_);
  messages_.push_back(std::move(m));
  a.body = error(0, "ok");
  return a;
}

void WebhookSink::add_fault(Fault fault, int count) {
  if (count < 1) return;
  std::lock_guard lock(mu_);
  faults_.emplace_back(fault, count);
}

int WebhookSink::pending_faults() const {
  std::lock_guard lock(mu_);
  int n = 0;
  for (const auto& f : faults_) n += f.second;
  return n;
}

std::vector<WebhookSink::Message> WebhookSink::messages() const {
  std::lock_guard lock(mu_);
  return messages_;
}

std::string WebhookSink::messages_json() const {
  std::lock_guard lock(mu_);
  json::array list;
  for (const Message& m : messages_) {
    json::array mentioned, mobiles;
    for (const auto& s : m.mentioned_list) mentioned.emplace_back(s);
    for (const auto& s : m.mentioned_mobile_list) mobiles.emplace_back(s);
    list.push_back(json::object{{"robot", m.robot},
                                {"msgtype", m.msgtype},
                                {"content", m.content},
                                {"mentioned_list", std::move(mentioned)},
                                {"mentioned_mobile_list", std::move(mobiles)}});
  }
  return json::serialize(json::object{{"messages", std::move(list)}});
}

void WebhookSink::reset() {
  std::lock_guard lock(mu_);
  faults_.clear();
  messages_.clear();
}

}  // namespace coldtrack::sim
