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
// Send faults (add_send_fault, /sim/wechat/faults): the next sends answer the injected errcode
// before any check; "slow" checks, accepts and records as usual and asks the caller to hold the
// answer (a test can stop the server while a send is in flight).
//
// URL Link (§4): checked against a valid token; path without '?' (40165), query of at most 1024
// allowed characters (40212), env_version (85402), expire_type 1 with expire_interval 1..30 days
// or expire_type 0 with expire_time in the next 30 days (85401); answers a random
// https://wxaurl.cn/<12 characters> link, recorded for /sim/wechat/urllinks.
//
// Shipping information (wechat-shipping.md): upload_shipping_info checks the documented body
// rules and allows one upload plus one re-upload per order key (the third is 10060003);
// is_trade_managed answers 1. The errcodes are WeChat's public ones, not in the doc
// (kShipping* below, unverified). Uploads are recorded for /sim/wechat/shipping.
//
// All answers are HTTP 200 with WeChat's JSON body, as WeChat does. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>
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

  // (unverified) wechat-shipping.md names no errcodes; these are WeChat's public ones.
  static constexpr int kShippingNoSuchPayment = 10060001;  // sim: order id "missing..."
  static constexpr int kShippingReuploadUsed = 10060003;   // third upload of a payment
  static constexpr int kShippingBadLogisticsType = 10060005;
  static constexpr int kShippingSplitNotExpress = 10060006;
  static constexpr int kShippingSplitNeedsAllDelivered = 10060007;
  static constexpr int kShippingItemDescEmpty = 10060008;
  static constexpr int kShippingItemDescTooLong = 10060009;
  static constexpr int kShippingParamError = 10060014;
  static constexpr int kShippingListTooLong = 10060024;
  static constexpr int kShippingBadUploadTime = 268485216;  // also: not after the last upload
  static constexpr int kShippingBadDeliveryMode = 268485224;
  static constexpr int kShippingUnifiedNeedsOne = 268485228;
  static constexpr std::size_t kItemDescMaxChars = 120;  // (unverified)
  // (unverified) expire_type 0 without expire_time: the link lives this long.
  static constexpr std::int64_t kUrlLinkDefaultLifeS = 30 * 86'400;

  // Injected answers for the next subscribe sends.
  enum class SendFault { k43101, k45011, k47003, kSystemError, k40001, kSlow };

  WechatLogin(std::string appid, std::string secret, Clock clock = {});

  // The JSON body for GET /sns/jscode2session with these query values.
  std::string code2session(std::string_view appid, std::string_view secret,
                           std::string_view js_code, std::string_view grant_type);
  // The openid this simulator gives `user` (tests use it to build expectations).
  std::string openid_for(std::string_view user) const;

  // The JSON body for POST /cgi-bin/stable_token with this request body.
  std::string stable_token(std::string_view body);
  // The JSON body for POST /cgi-bin/message/subscribe/send?access_token=... `hold_ms` (when
  // given) receives how long to hold the answer (the slow fault), else 0.
  std::string subscribe_send(std::string_view access_token, std::string_view body,
                             std::int64_t* hold_ms = nullptr);
  // The next `count` subscribe sends answer `fault` (kSlow: held for `delay_ms`).
  void add_send_fault(SendFault fault, int count, std::int64_t delay_ms = 0);
  int pending_send_faults() const;

  // POST /wxa/generate_urllink?access_token=...; `now_unix_s` bounds expire_time.
  std::string generate_urllink(std::string_view access_token, std::string_view body,
                               std::int64_t now_unix_s);
  // {"links":[{"url_link","path","query","env_version","expire_at_s"}, ...]}
  std::string urllinks_json() const;

  // POST /wxa/sec/order/upload_shipping_info?access_token=...
  std::string upload_shipping_info(std::string_view access_token, std::string_view body);
  // POST /wxa/sec/order/is_trade_managed?access_token=...
  std::string is_trade_managed(std::string_view access_token, std::string_view body);
  // {"uploads":[{<the accepted request body>, "upload_no":1|2}, ...]}
  std::string shipping_json() const;

  // Accepted messages, in order.
  std::vector<SentMessage> messages() const;
  // {"messages":[{"msgid","touser","template_id","page","data":{...}}, ...]}
  std::string messages_json() const;

  // Forgets used codes, recorded messages, links and uploads, and faults (issued tokens stay
  // valid).
  void reset();

 private:
  std::int64_t now_ms() const;
  std::string new_token_locked(std::int64_t now);
  // 0 when `token` is accepted now, else 40001 or 42001.
  int check_token_locked(std::string_view token, std::int64_t now) const;
  // The errcode body for a refused token, "" when accepted.
  std::string token_error(std::string_view token);

  struct QueuedFault {
    SendFault fault;
    int remaining;
    std::int64_t delay_ms;
  };
  struct Link {
    std::string url_link, path, query, env_version;
    std::int64_t expire_at_s = 0;
  };

  std::string appid_, secret_;
  Clock clock_;
  mutable std::mutex mu_;
  std::set<std::string> used_;
  std::string current_token_;                   // "" before the first stable_token call
  std::map<std::string, std::int64_t> tokens_;  // every issued token -> expiry (ms)
  std::uint64_t next_msgid_ = 2'026'112'500'001;
  std::vector<SentMessage> messages_;
  std::deque<QueuedFault> faults_;
  std::vector<Link> links_;
  std::map<std::string, std::vector<std::int64_t>> upload_times_;  // order key -> upload_time ms
  std::vector<std::string> uploads_;  // accepted upload bodies (+ upload_no), serialized
};

// A staff group robot's incoming webhook (WeCom 企业微信 group robot shape): text
// {"msgtype":"text","text":{"content","mentioned_list"?,"mentioned_mobile_list"?}} and markdown
// {"msgtype":"markdown","markdown":{"content"}}, answered {"errcode":0,"errmsg":"ok"}. Refusals
// (unverified codes): unknown msgtype or shape 40008, empty content 44004, content over 2048
// (text) / 4096 (markdown) bytes 40058. Several robots, told apart by name. Thread-safe.
class WebhookSink {
 public:
  static constexpr std::size_t kMaxTextBytes = 2048;
  static constexpr std::size_t kMaxMarkdownBytes = 4096;

  enum class Fault {
    kError,      // errcode -1 "system error" (nothing recorded)
    kRateLimit,  // errcode 45009 "api freq out of limit" (nothing recorded)
    kTimeout,    // Answer::hold, then HTTP 504 with an empty body (nothing recorded)
  };
  struct Answer {
    int status = 200;
    std::string body;
    bool hold = false;
  };
  struct Message {
    std::string robot;
    std::string msgtype;  // "text" | "markdown"
    std::string content;
    std::vector<std::string> mentioned_list, mentioned_mobile_list;
  };

  Answer post(std::string_view robot, std::string_view body);
  void add_fault(Fault fault, int count);
  int pending_faults() const;
  std::vector<Message> messages() const;
  // {"messages":[{"robot","msgtype","content","mentioned_list":[..],
  //   "mentioned_mobile_list":[..]}, ...]}
  std::string messages_json() const;
  void reset();

 private:
  mutable std::mutex mu_;
  std::deque<std::pair<Fault, int>> faults_;
  std::vector<Message> messages_;
};

}  // namespace coldtrack::sim
