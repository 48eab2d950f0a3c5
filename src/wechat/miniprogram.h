// WeChat mini-program server APIs (protocols/wechat.md): code2session login, stable_token,
// subscribe-message send and URL Link. Pure protocol code: builders produce the exact request an
// HTTP client elsewhere sends, parsers turn (HTTP status, body) into typed results with the
// errcode classified into what the caller must do. No sockets, no clocks (times are passed in).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "domain/time.h"

namespace coldtrack::wechat {

using domain::EpochMs;

inline constexpr std::string_view kDefaultBaseUrl = "https://api.weixin.qq.com";
inline constexpr std::string_view kJsonContentType = "application/json";

// One mini-program's credentials. The base URL is configuration so the simulator can stand in.
struct AppConfig {
  std::string base_url{kDefaultBaseUrl};
  std::string appid;
  std::string secret;  // AppSecret: never logged, never leaves the server
};

// A request to send as is. `url` and `body` may carry the AppSecret, a js_code or an
// access_token, so log `log_url` (those values replaced by "***") and never the body.
struct Request {
  std::string method;
  std::string url;
  std::string log_url;
  std::string content_type;  // "" for a bodiless GET
  std::string body;
};

// A builder refused its input (a field that WeChat would reject or that must not be sent).
struct Invalid {
  std::string field;   // e.g. "query", "js_code", "shipping_list[1].tracking_no"
  std::string reason;  // English, never contains secrets
};

using Built = std::variant<Request, Invalid>;

// What the caller must do about a failed call. One classification for every API so the token
// holder, the login handler and the notification worker share the retry logic.
enum class ErrorKind {
  kRetryable,     // -1 busy, 5xx, no response, unreadable body: back off and retry
  kRateLimited,   // 45011 / HTTP 429: answer 429 or retry in the next minute
  kTokenInvalid,  // 40001/42001 on an access_token call: refresh once, retry once, never loop
  kInvalidCode,   // 40029/40163: the client must call wx.login() again
  kBlocked,       // 40226: high-risk user, refuse the login
  kQuotaSpent,    // 43101: no subscription left: mark it spent, fall back to SMS, never retry
  kInvalidData,   // 47003: a template value is malformed (errmsg names the field)
  kInvalidUser,   // 40003: the openid is not valid for this mini-program
  kConfig,        // wrong appid/secret/template_id/page, or an errcode the doc does not list:
                  // permanent, an operator must look
};

std::string_view to_string(ErrorKind kind);

struct ApiError {
  ErrorKind kind = ErrorKind::kRetryable;
  int errcode = 0;      // WeChat's errcode; 0 for HTTP or parse failures
  int http_status = 0;  // 0 when no response arrived
  std::string message;  // errmsg or ours
};

template <class T>
using Result = std::variant<T, ApiError>;

// ---- 1. Login: js_code -> openid --------------------------------------------------------------

// The whole result of a login. `session_key` is the key that decrypts the user's wx data: it
// must never be sent to the client, logged, stored in plain text or copied into another type.
// Hand `identity()` to everything outside the login handler.
struct Session {
  struct Identity {
    std::string openid;
    std::string unionid;  // "" unless the mini-program is bound to an Open Platform account
  };
  std::string openid;
  std::string unionid;
  std::string session_key;  // SECRET, see above

  Identity identity() const { return {openid, unionid}; }
};

// GET /sns/jscode2session?appid=..&secret=..&js_code=..&grant_type=authorization_code.
// Codes are single-use: never send the same code again after any answer from WeChat.
Built build_code2session(const AppConfig& app, std::string_view js_code);
// -1 retryable, 40029/40163 invalid code, 45011 rate limited, 40226 blocked, others config.
Result<Session> parse_code2session(int http_status, std::string_view body);

// ---- 2. Access token: stable_token ------------------------------------------------------------

struct AccessToken {
  std::string access_token;  // reserve >= 512 characters where it is stored
  std::int64_t expires_in_s = 0;
};

// POST /cgi-bin/stable_token {"grant_type","appid","secret","force_refresh"}. Force mode
// invalidates the current token for everyone: only when normal mode returned the token that
// just failed (see should_force_refresh), at most kForceRefreshPerDay times, kForceRefreshGapMs
// apart.
Built build_stable_token(const AppConfig& app, bool force_refresh);
Result<AccessToken> parse_stable_token(int http_status, std::string_view body);

inline constexpr int kForceRefreshPerDay = 20;
inline constexpr std::int64_t kForceRefreshGapMs = 30'000;
// Refresh when less than this remains (ColdTrack policy, wechat.md §2).
inline constexpr std::int64_t kRefreshMarginMs = 10 * 60'000;
// WeChat hands out a new token only in the last 5 minutes of the old one (both stay valid then).
inline constexpr std::int64_t kRenewalWindowMs = 5 * 60'000;

// When the holder should ask for a new token, in normal mode. Usually expiry - margin. When less
// than the margin was left at `obtained_at` (WeChat returned the same token late in its life),
// the next ask is at the start of WeChat's renewal window (asking sooner only returns the same
// token again); inside that window (which the doc says never happens), 30 s later or at expiry,
// whichever comes first: never a busy loop.
EpochMs refresh_due(EpochMs obtained_at, std::int64_t expires_in_s,
                    std::int64_t margin_ms = kRefreshMarginMs);
// After 40001/42001 and one normal-mode refresh: force mode only if the refresh returned the
// very token that just failed.
bool should_force_refresh(std::string_view failed_token, const AccessToken& refreshed);

// ---- 3. Subscribe message send ---------------------------------------------------------------

enum class MiniProgramState { kFormal, kTrial, kDeveloper };
enum class Lang { kZhCN, kEnUS, kZhHK, kZhTW };

// data keys in template order ("thing2" -> "速冻水饺 2 袋"); values already fitted
// (notify/template.h builds them).
using TemplateData = std::vector<std::pair<std::string, std::string>>;

struct SubscribeMessage {
  std::string touser;  // openid
  std::string template_id;
  std::string page;  // "pages/order/detail?id=..." or "" for no jump (then omitted)
  MiniProgramState state = MiniProgramState::kFormal;
  Lang lang = Lang::kZhCN;
  TemplateData data;
};

struct SendReceipt {
  std::string msgid;  // decimal text: an identifier, not a quantity
};

// POST /cgi-bin/message/subscribe/send?access_token=TOKEN. Fields in the doc's order: touser,
// template_id, page (when set), miniprogram_state, lang, data.
Built build_subscribe_send(const AppConfig& app, std::string_view access_token,
                           const SubscribeMessage& message);
// 43101 quota spent, 47003 invalid data, 40003 invalid user, 40037/41030 config,
// 40001/42001 token, -1 retryable.
Result<SendReceipt> parse_subscribe_send(int http_status, std::string_view body);

// ---- 4. URL Link -----------------------------------------------------------------------------

inline constexpr std::size_t kUrlLinkMaxQuery = 1024;
inline constexpr int kUrlLinkMaxDays = 30;

struct UrlLinkSpec {
  std::string path;   // page of the published version, no query; "" = home
  std::string query;  // only an opaque order id, never personal data
  // expire_type 1 (interval in days, 1..30) unless expire_time is set: expire_type 0 with
  // Unix seconds, in the future and at most 30 days ahead of `now`.
  int expire_interval_days = kUrlLinkMaxDays;
  std::optional<std::int64_t> expire_time_s;
  std::string env_version = "release";  // release | trial | develop
};

// POST /wxa/generate_urllink?access_token=TOKEN. `now` is only used to bound expire_time.
Built build_generate_urllink(const AppConfig& app, std::string_view access_token,
                             const UrlLinkSpec& spec, EpochMs now);
// Success carries url_link (other fields ignored).
Result<std::string> parse_generate_urllink(int http_status, std::string_view body);

// ---- Shared by the other WeChat modules (shipping.h) -----------------------------------------

// POST JSON to `path` with ?access_token=TOKEN (log_url hides the token).
Built build_token_post(const AppConfig& app, std::string_view path, std::string_view access_token,
                       std::string body);
// The envelope check every API shares, for the other WeChat modules: nullopt when the call
// succeeded (2xx, a JSON object, errcode absent or 0), else the error classified by the shared
// rules (HTTP status, unreadable body, -1, 45011, and 40001/42001 when the call carries an
// access_token); any other errcode is kConfig.
std::optional<ApiError> reply_error(int http_status, std::string_view body, bool uses_access_token);

}  // namespace coldtrack::wechat
