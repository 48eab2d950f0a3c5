#include "wechat/miniprogram.h"

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <boost/url/url.hpp>

#include <algorithm>
#include <array>
#include <limits>
#include <span>

namespace coldtrack::wechat {
namespace {

namespace json = boost::json;

// refresh_due() never schedules the next ask sooner than this after the last answer.
constexpr std::int64_t kMinRefreshGapMs = 30'000;

// js_code comes from the client; real codes are a few dozen characters. Anything longer is
// refused before it reaches a URL (our bound, not WeChat's).
constexpr std::size_t kMaxJsCodeBytes = 256;

struct ErrcodeRule {
  int errcode;
  ErrorKind kind;
};

// Errcodes as each API's table in wechat.md lists them.
constexpr std::array<ErrcodeRule, 5> kCode2SessionErrcodes{{
    {-1, ErrorKind::kRetryable},
    {40029, ErrorKind::kInvalidCode},
    {40163, ErrorKind::kInvalidCode},  // code already used [S2]
    {45011, ErrorKind::kRateLimited},  // 100 calls/min per user
    {40226, ErrorKind::kBlocked},
}};

constexpr std::array<ErrcodeRule, 6> kSubscribeSendErrcodes{{
    {-1, ErrorKind::kRetryable},
    {40003, ErrorKind::kInvalidUser},
    {40037, ErrorKind::kConfig},  // invalid template_id
    {41030, ErrorKind::kConfig},  // invalid page
    {43101, ErrorKind::kQuotaSpent},
    {47003, ErrorKind::kInvalidData},
}};

// (unverified) The one place for classifications the doc does not state for every API: it lists
// -1 (busy) for code2session and subscribe send, and 45011 (rate limit) for code2session only.
// We assume they mean the same on stable_token, URL Link and the shipping upload. Correct here.
constexpr std::array<ErrcodeRule, 2> kUnverifiedCommonErrcodes{{
    {-1, ErrorKind::kRetryable},
    {45011, ErrorKind::kRateLimited},
}};

// Documented for "any API" that takes an access_token (wechat.md §2).
constexpr std::array<ErrcodeRule, 2> kTokenErrcodes{{
    {40001, ErrorKind::kTokenInvalid},
    {42001, ErrorKind::kTokenInvalid},
}};

std::optional<ErrorKind> common_errcode_kind(int errcode, bool uses_access_token);
ErrorKind http_status_kind(int http_status);

std::optional<ErrorKind> lookup(std::span<const ErrcodeRule> table, int errcode) {
  for (const auto& r : table)
    if (r.errcode == errcode) return r.kind;
  return std::nullopt;
}

ApiError make_error(ErrorKind kind, int errcode, int http_status, std::string message) {
  return ApiError{kind, errcode, http_status, std::move(message)};
}

// Reads the reply envelope once: status, JSON object, errcode (absent or 0 = success). On
// success returns the object; otherwise the error classified by the API's table, then the
// shared rules, else kConfig.
std::variant<json::object, ApiError> read_reply(int http_status, std::string_view body,
                                                std::span<const ErrcodeRule> api_table,
                                                bool uses_access_token) {
  if (http_status < 200 || http_status > 299)
    return make_error(http_status_kind(http_status), 0, http_status,
                      "HTTP " + std::to_string(http_status));
  std::error_code ec;
  json::value v = json::parse(json::string_view(body.data(), body.size()), ec);
  if (ec || !v.is_object())
    return make_error(ErrorKind::kRetryable, 0, http_status, "response is not a JSON object");
  json::object& obj = v.as_object();
  std::int64_t errcode = 0;
  if (const json::value* e = obj.if_contains("errcode")) {
    if (e->is_int64()) {
      errcode = e->get_int64();
    } else if (e->is_uint64()) {
      errcode = std::numeric_limits<std::int64_t>::max();
    } else {
      return make_error(ErrorKind::kRetryable, 0, http_status, "errcode is not an integer");
    }
  }
  if (errcode == 0) return std::move(obj);
  std::string errmsg;
  if (const json::value* m = obj.if_contains("errmsg"); m && m->is_string())
    errmsg = std::string(m->get_string());
  const int code =
      errcode < std::numeric_limits<int>::min() || errcode > std::numeric_limits<int>::max()
          ? std::numeric_limits<int>::max()
          : static_cast<int>(errcode);
  ErrorKind kind = ErrorKind::kConfig;
  if (auto k = lookup(api_table, code)) {
    kind = *k;
  } else if (auto c = common_errcode_kind(code, uses_access_token)) {
    kind = *c;
  }
  if (errmsg.empty()) errmsg = "errcode " + std::to_string(code);
  return make_error(kind, code, http_status, std::move(errmsg));
}

// A non-empty string field, or nullopt.
std::optional<std::string> string_field(const json::object& obj, std::string_view name) {
  const json::value* v = obj.if_contains(json::string_view(name.data(), name.size()));
  if (!v || !v->is_string() || v->get_string().empty()) return std::nullopt;
  return std::string(v->get_string());
}

ApiError malformed(int http_status, std::string_view what) {
  return make_error(ErrorKind::kRetryable, 0, http_status,
                    "malformed response: " + std::string(what));
}

// Query parameters whose values are secrets and must not reach a log.
bool is_secret_param(std::string_view name) {
  return name == "secret" || name == "js_code" || name == "access_token";
}

std::string encode_component(std::string_view s) {
  return boost::urls::encode(s, boost::urls::unreserved_chars);
}

std::optional<std::string> join(std::string_view base_url, std::string_view path,
                                const std::vector<std::pair<std::string, std::string>>& query,
                                bool redact) {
  auto parsed = boost::urls::parse_uri(base_url);
  if (!parsed) return std::nullopt;
  boost::urls::url u(*parsed);
  if ((u.scheme() != "http" && u.scheme() != "https") || u.encoded_host().empty() ||
      u.has_query() || u.has_fragment())
    return std::nullopt;
  std::string p(u.encoded_path());
  while (!p.empty() && p.back() == '/') p.pop_back();
  p += path;
  u.set_encoded_path(p);
  std::string q;
  for (const auto& [name, value] : query) {
    if (!q.empty()) q += '&';
    q += encode_component(name);
    q += '=';
    q += redact && is_secret_param(name) ? std::string("***") : encode_component(value);
  }
  if (!q.empty()) u.set_encoded_query(q);
  return std::string(u.buffer());
}

Invalid bad_base_url() {
  return {"base_url", "not an absolute http(s) URL without query"};
}

std::string_view state_name(MiniProgramState s) {
  switch (s) {
    case MiniProgramState::kDeveloper:
      return "developer";
    case MiniProgramState::kTrial:
      return "trial";
    case MiniProgramState::kFormal:
      break;
  }
  return "formal";
}

std::string_view lang_name(Lang l) {
  switch (l) {
    case Lang::kEnUS:
      return "en_US";
    case Lang::kZhHK:
      return "zh_HK";
    case Lang::kZhTW:
      return "zh_TW";
    case Lang::kZhCN:
      break;
  }
  return "zh_CN";
}

bool is_urllink_query_char(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$&'()*+,/:;=?@-._~%").find(c) != std::string_view::npos;
}

std::optional<ErrorKind> common_errcode_kind(int errcode, bool uses_access_token) {
  if (uses_access_token) {
    if (auto k = lookup(kTokenErrcodes, errcode)) return k;
  }
  return lookup(kUnverifiedCommonErrcodes, errcode);
}

ErrorKind http_status_kind(int http_status) {
  if (http_status == 429) return ErrorKind::kRateLimited;
  if (http_status == 0 || http_status >= 500) return ErrorKind::kRetryable;
  return ErrorKind::kConfig;
}

}  // namespace

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kRetryable:
      return "retryable";
    case ErrorKind::kRateLimited:
      return "rate_limited";
    case ErrorKind::kTokenInvalid:
      return "token_invalid";
    case ErrorKind::kInvalidCode:
      return "invalid_code";
    case ErrorKind::kBlocked:
      return "blocked";
    case ErrorKind::kQuotaSpent:
      return "quota_spent";
    case ErrorKind::kInvalidData:
      return "invalid_data";
    case ErrorKind::kInvalidUser:
      return "invalid_user";
    case ErrorKind::kConfig:
      return "config";
  }
  return "config";
}

std::optional<ApiError> reply_error(int http_status, std::string_view body,
                                    bool uses_access_token) {
  auto reply = read_reply(http_status, body, {}, uses_access_token);
  if (auto* e = std::get_if<ApiError>(&reply)) return std::move(*e);
  return std::nullopt;
}

Built build_token_post(const AppConfig& app, std::string_view path, std::string_view access_token,
                       std::string body) {
  if (access_token.empty()) return Invalid{"access_token", "empty"};
  const std::vector<std::pair<std::string, std::string>> query{
      {"access_token", std::string(access_token)}};
  auto url = join(app.base_url, path, query, false);
  if (!url) return bad_base_url();
  Request r;
  r.method = "POST";
  r.url = std::move(*url);
  r.log_url = *join(app.base_url, path, query, true);
  r.content_type = std::string(kJsonContentType);
  r.body = std::move(body);
  return r;
}

// ---- code2session -----------------------------------------------------------------------------

Built build_code2session(const AppConfig& app, std::string_view js_code) {
  if (js_code.empty()) return Invalid{"js_code", "empty"};
  if (js_code.size() > kMaxJsCodeBytes) return Invalid{"js_code", "longer than 256 bytes"};
  const std::vector<std::pair<std::string, std::string>> query{
      {"appid", app.appid},
      {"secret", app.secret},
      {"js_code", std::string(js_code)},
      {"grant_type", "authorization_code"}};
  auto url = join(app.base_url, "/sns/jscode2session", query, false);
  if (!url) return bad_base_url();
  Request r;
  r.method = "GET";
  r.url = std::move(*url);
  r.log_url = *join(app.base_url, "/sns/jscode2session", query, true);
  return r;
}

Result<Session> parse_code2session(int http_status, std::string_view body) {
  auto reply = read_reply(http_status, body, kCode2SessionErrcodes, false);
  if (auto* e = std::get_if<ApiError>(&reply)) return std::move(*e);
  const auto& obj = std::get<json::object>(reply);
  Session s;
  auto openid = string_field(obj, "openid");
  auto key = string_field(obj, "session_key");
  if (!openid) return malformed(http_status, "no openid");
  if (!key) return malformed(http_status, "no session_key");
  s.openid = std::move(*openid);
  s.session_key = std::move(*key);
  s.unionid = string_field(obj, "unionid").value_or("");
  return s;
}

// ---- stable_token -----------------------------------------------------------------------------

Built build_stable_token(const AppConfig& app, bool force_refresh) {
  if (app.appid.empty()) return Invalid{"appid", "empty"};
  if (app.secret.empty()) return Invalid{"secret", "empty"};
  auto url = join(app.base_url, "/cgi-bin/stable_token", {}, false);
  if (!url) return bad_base_url();
  json::object body;
  body["grant_type"] = "client_credential";
  body["appid"] = app.appid;
  body["secret"] = app.secret;
  body["force_refresh"] = force_refresh;
  Request r;
  r.method = "POST";
  r.log_url = *url;
  r.url = std::move(*url);
  r.content_type = std::string(kJsonContentType);
  r.body = json::serialize(body);
  return r;
}

Result<AccessToken> parse_stable_token(int http_status, std::string_view body) {
  auto reply = read_reply(http_status, body, {}, false);
  if (auto* e = std::get_if<ApiError>(&reply)) return std::move(*e);
  const auto& obj = std::get<json::object>(reply);
  AccessToken t;
  auto token = string_field(obj, "access_token");
  if (!token) return malformed(http_status, "no access_token");
  const json::value* exp = obj.if_contains("expires_in");
  if (!exp || !exp->is_int64() || exp->get_int64() <= 0)
    return malformed(http_status, "expires_in is not a positive integer");
  t.access_token = std::move(*token);
  t.expires_in_s = exp->get_int64();
  return t;
}

EpochMs refresh_due(EpochMs obtained_at, std::int64_t expires_in_s, std::int64_t margin_ms) {
  if (expires_in_s <= 0) return obtained_at;
  margin_ms = std::max<std::int64_t>(margin_ms, 0);
  const std::int64_t life = expires_in_s * 1000;
  const EpochMs expiry = obtained_at + life;
  if (life > margin_ms) return expiry - margin_ms;
  if (life > kRenewalWindowMs) return expiry - kRenewalWindowMs;
  return std::min(expiry, obtained_at + kMinRefreshGapMs);
}

bool should_force_refresh(std::string_view failed_token, const AccessToken& refreshed) {
  return !failed_token.empty() && refreshed.access_token == failed_token;
}

// ---- subscribe send ---------------------------------------------------------------------------

Built build_subscribe_send(const AppConfig& app, std::string_view access_token,
                           const SubscribeMessage& message) {
  if (message.touser.empty()) return Invalid{"touser", "empty"};
  if (message.template_id.empty()) return Invalid{"template_id", "empty"};
  if (message.data.empty()) return Invalid{"data", "empty"};
  json::object data;
  for (const auto& [key, value] : message.data) {
    if (key.empty()) return Invalid{"data", "empty key"};
    if (data.contains(key)) return Invalid{"data." + key, "duplicate key"};
    json::object v;
    v["value"] = value;
    data[key] = std::move(v);
  }
  json::object body;
  body["touser"] = message.touser;
  body["template_id"] = message.template_id;
  if (!message.page.empty()) body["page"] = message.page;
  body["miniprogram_state"] = state_name(message.state);
  body["lang"] = lang_name(message.lang);
  body["data"] = std::move(data);
  return build_token_post(app, "/cgi-bin/message/subscribe/send", access_token,
                          json::serialize(body));
}

Result<SendReceipt> parse_subscribe_send(int http_status, std::string_view body) {
  auto reply = read_reply(http_status, body, kSubscribeSendErrcodes, true);
  if (auto* e = std::get_if<ApiError>(&reply)) return std::move(*e);
  const auto& obj = std::get<json::object>(reply);
  SendReceipt r;
  if (const json::value* id = obj.if_contains("msgid")) {
    if (id->is_int64()) {
      r.msgid = std::to_string(id->get_int64());
    } else if (id->is_uint64()) {
      r.msgid = std::to_string(id->get_uint64());
    } else if (id->is_string()) {
      r.msgid = std::string(id->get_string());
    }
  }
  return r;
}

// ---- URL Link ---------------------------------------------------------------------------------

Built build_generate_urllink(const AppConfig& app, std::string_view access_token,
                             const UrlLinkSpec& spec, EpochMs now) {
  if (spec.path.find('?') != std::string::npos)
    return Invalid{"path", "must not carry a query string (use query)"};
  if (spec.query.size() > kUrlLinkMaxQuery) return Invalid{"query", "longer than 1024 characters"};
  for (char c : spec.query)
    if (!is_urllink_query_char(c))
      return Invalid{"query", "only digits, letters and !#$&'()*+,/:;=?@-._~% are allowed"};
  if (spec.env_version != "release" && spec.env_version != "trial" && spec.env_version != "develop")
    return Invalid{"env_version", "must be release, trial or develop"};
  json::object body;
  body["path"] = spec.path;
  body["query"] = spec.query;
  if (spec.expire_time_s) {
    const std::int64_t now_s = now / 1000;
    if (*spec.expire_time_s <= now_s) return Invalid{"expire_time", "not in the future"};
    if (*spec.expire_time_s > now_s + std::int64_t{kUrlLinkMaxDays} * 86'400)
      return Invalid{"expire_time", "more than 30 days ahead"};
    body["expire_type"] = 0;
    body["expire_time"] = *spec.expire_time_s;
  } else {
    if (spec.expire_interval_days < 1 || spec.expire_interval_days > kUrlLinkMaxDays)
      return Invalid{"expire_interval", "must be 1..30 days"};
    body["expire_type"] = 1;
    body["expire_interval"] = spec.expire_interval_days;
  }
  body["env_version"] = spec.env_version;
  return build_token_post(app, "/wxa/generate_urllink", access_token, json::serialize(body));
}

Result<std::string> parse_generate_urllink(int http_status, std::string_view body) {
  auto reply = read_reply(http_status, body, {}, true);
  if (auto* e = std::get_if<ApiError>(&reply)) return std::move(*e);
  auto link = string_field(std::get<json::object>(reply), "url_link");
  if (!link) return malformed(http_status, "no url_link");
  return std::move(*link);
}

}  // namespace coldtrack::wechat
