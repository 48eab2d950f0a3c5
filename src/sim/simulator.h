// The built-in carrier simulator (protocols/README.md "The built-in simulator"): plays Kdniao
// and Kuaidi100 over their exact wire protocols (and Cainiao's LINK gateway, query only), so
// ColdTrack's real adapters run unchanged against it; only base URLs and keys differ. It verifies
// every signature it receives, signs every push it sends, scripts deterministic cold-chain routes
// per waybill, and injects the failure cases the protocol documents list on demand.
//
// Endpoints (paths under the simulator's base URL, e.g. http://127.0.0.1:PORT):
//   POST /kdniao/Ebusiness/EbusinessOrderHandle.aspx  Kdniao instant query (RequestType
//                                                      1002/8001/8002)
//   POST /kdniao/api/dist                              Kdniao subscription (1008/8008)
//   POST /kuaidi100/poll/query.do                      Kuaidi100 real-time query
//   POST /kuaidi100/poll                               Kuaidi100 subscription (schema=json)
//   POST /cainiao/gateway/link.do                      Cainiao LINK gateway, query only
//
// Cainiao (carriers-cainiao.md): the envelope and signature are the confirmed ones, the
// business layer is ColdTrack's own PLACEHOLDER schema (the defaults of cainiao::CainiaoMapping),
// because the real tracking API is unknown. Cainiao push is unconfirmed and not simulated.
//   Request: form msg_type, logistic_provider_id (= SimOptions::cainiao_app_key),
//   logistics_interface, data_digest (= Base64(raw MD5(logistics_interface +
//   SimOptions::cainiao_secret_key))), optional to_code (accepted, ignored). The form is decoded
//   once ('+' = space, %XX); msg_type must be COLDTRACK_PLACEHOLDER_TRACE_QUERY and
//   logistics_interface the placeholder JSON {"cpCode","mailNo","phoneLast4"}.
//   Success: {"success":true,"data":{"cpCode","mailNo","status","reason"?,"traces":[{"time",
//   "desc","city","status"}]}}, statuses in ColdTrack's own codes ("IN_TRANSIT", "DELIVERED",
//   "EXCEPTION" + data.reason) from the same script as the other providers; no traces yet:
//   status "NO_INFO", traces [].
//   Failures (HTTP 200, the LINK shape {"success":false,"errorCode","errorMsg"}):
//     S02               data_digest mismatch or logistics_interface not a JSON object
//                       (documented; permanent)
//     INVALID_PROVIDER  logistic_provider_id is not cainiao_app_key (permanent)
//     UNKNOWN_MSG_TYPE  msg_type is not the placeholder query API (permanent)
//     PARAM_ERROR       form undecodable / a field missing / cpCode or mailNo empty (permanent)
//     FLOW_LIMIT        the rate_limit fault; errorMsg says "system busy" (retryable)
//   The codes other than S02 are the simulator's own (Cainiao's real ones are unknown).
// Control (JSON; for tests, benchmarks and demos):
//   POST /sim/faults
//   {"provider":"kdniao"|"kuaidi100"|"cainiao","mode":"timeout"|"http500"|"malformed"|
//                       "bad_signature"|"duplicate"|"out_of_order"|"rate_limit","count":N}
//   POST /sim/reset    forget waybills, subscriptions, queued pushes, faults, stats and the
//                      clock offset
//   GET  /sim/stats    call/push counters per provider, simulated time
//   POST /sim/advance  {"seconds":N}: move simulated time forward (pushes follow at once)
//   GET  /sim/health   {"ok":true}
//   POST /sim/loggers  start a cold-chain logger feed (sim/temperature.h) on its own thread:
//                      {"target_url":"http://127.0.0.1:8080","api_key","api_secret",
//                      "shipment_id":N,"device_id":"LOG-1","profile":"frozen_door_open",
//                      "start"?: RFC 3339 or epoch ms (default: wall-clock now - count *
//                      interval), "interval_s"?:60,"count"?:600,"batch"?:500,"seed"?:N}
//                      -> 202 {"accepted":true,"id":N}; bad input -> 400 naming the field
//   GET  /sim/loggers  {"feeds":[{"id","shipment_id","device_id","profile","state":"running"|
//                      "done","count","batches_sent","readings_sent","failures","last_status"}]}
//                      stop() cancels running feeds (an attempt in flight finishes) and joins
//
// WeChat (base URL <sim>/wechat, sim/wechat_sim.h; all answers HTTP 200 with WeChat's JSON):
//   GET  /wechat/sns/jscode2session                      login (wechat.md §1)
//   POST /wechat/cgi-bin/stable_token                    access token (§2)
//   POST /wechat/cgi-bin/message/subscribe/send?access_token=   subscribe message (§3)
//   POST /wechat/wxa/generate_urllink?access_token=      URL Link (§4) -> {"errcode":0,
//                                                        "errmsg":"ok","url_link":"https://wxaurl.cn/X"}
//   POST /wechat/wxa/sec/order/upload_shipping_info?access_token=   (wechat-shipping.md) one
//                                                        upload + one re-upload per order key
//   POST /wechat/wxa/sec/order/is_trade_managed?access_token=       -> is_trade_managed 1
//   GET  /sim/wechat/messages  {"messages":[{"msgid","touser","template_id","page","data"}]}
//   GET  /sim/wechat/urllinks  {"links":[{"url_link","path","query","env_version","expire_at_s"}]}
//   GET  /sim/wechat/shipping  {"uploads":[{<accepted upload body>,"upload_no":1|2}]}
//   POST /sim/wechat/faults    {"fault":"43101"|"45011"|"47003"|"-1"|"40001"|"slow","count"?:1,
//                              "delay_ms"?:3000}: the next `count` subscribe sends answer that
//                              errcode; "slow" accepts and records the message, then holds the
//                              answer delay_ms -> {"fault","count","pending"}
//
// SMS gateways (sim/sms_sim.h, protocols/sms.md Part C):
//   GET|POST /aliyun-sms/      Aliyun SendSms (query or form), keys aliyun_access_key_*
//   POST /tencent-sms/         Tencent SendSms (TC3 over the path, Host, Content-Type and body
//                              received), keys tencent_secret_*, tencent_sms_sdk_app_id
//   GET  /sim/sms/messages     {"messages":[{"provider":"aliyun","phone","sign_name",
//                              "template_code","template_param":{..},"out_id","biz_id",
//                              "request_id","received_at_ms"} | {"provider":"tencent","phone",
//                              "sign_name","template_id","template_params":[..],
//                              "session_context","serial_no","request_id","received_at_ms"}]}
//                              (one entry per accepted number, in order)
//   POST /sim/sms/faults       {"provider":"aliyun"|"tencent","fault":"rate_limit"|"permanent"|
//                              "internal_error"|"signature_expire"(tencent)|"timeout",
//                              "count"?:1} -> {"provider","fault","count","pending"}; faults
//                              apply to the next authenticated requests of that provider
//                              (timeout: held fault_delay, then 504; nothing is sent)
//
// Staff webhook sink (WeCom group robot shape, sim/wechat_sim.h WebhookSink):
//   POST /sim/webhook/{name}   (or the WeCom path POST /wecom/cgi-bin/webhook/send?key={name})
//                              {"msgtype":"text","text":{"content","mentioned_list"?,
//                              "mentioned_mobile_list"?}} | {"msgtype":"markdown","markdown":
//                              {"content"}} -> {"errcode":0,"errmsg":"ok"}; malformed ->
//                              {"errcode":40008,"errmsg":"invalid message type"}
//   GET  /sim/webhook/messages {"messages":[{"robot","msgtype","content","mentioned_list",
//                              "mentioned_mobile_list"}]}
//   POST /sim/webhook/faults   {"fault":"error"|"rate_limit"|"timeout","count"?:1}
//                              -> {"fault","count","pending"} (error: errcode -1, rate_limit:
//                              45009, timeout: held fault_delay then 504)
// "faults" and "messages" are therefore not usable as robot names.
//
// WeChat Pay notify player (sim/wechatpay_sim.h; needs the wechatpay_* options):
//   POST /sim/wechatpay/notify {"notify_url","out_trade_no","amount_fen","appid","mchid",
//                              "payer_openid","transaction_id"?,"mode"?:"normal"|"duplicate"|
//                              "wrong_amount"|"stale_timestamp"|"bad_signature","attempts"?:3,
//                              "retry_delay_ms"?:200} -> after the attempts (5 s timeout each):
//                              {"delivered","notification_id","transaction_id","out_trade_no",
//                              "mode","attempts":[{"attempt","status","error","tampered",
//                              "duplicate"}]}; feature off or bad input -> 400
//   GET  /sim/wechatpay/platform_key  {"serial","public_key_pem"} for ColdTrack's configuration
//
// POST /sim/reset also clears the WeChat, SMS and webhook records, limits and faults (issued
// WeChat tokens stay valid).
//
// Faults queue per provider and each one is used up by the next event it applies to:
//   timeout       query/subscribe: held for SimOptions::fault_delay, then HTTP 504, empty body;
//                 push: the attempt is dropped (counts as failed, retried with backoff)
//   http500       query/subscribe: HTTP 500 with an HTML body
//   malformed     query/subscribe: HTTP 200 with truncated JSON; push: correctly signed but
//                 truncated RequestData/param (retries send the good body)
//   bad_signature query/subscribe: refused as if the signature/key were wrong (documented
//                 failure); push: signed with a wrong ApiKey/salt (retries are signed right)
//   duplicate     push: the same push is sent twice
//   out_of_order  push: an older snapshot is sent right after the current one;
//                 query: answers with the previous (stale) snapshot
//   rate_limit    query/subscribe: the provider's "too frequent" failure (retryable)
// Cainiao has queries only, so its push-only faults (duplicate) are never used up.
//
// Wiring into the CLI (src/app/main.cc, not done here), flags wanted for `coldtrack sim`:
//   --host 127.0.0.1 --port 0 (0 = pick one and print it)
//   --time-scale 60 (simulated seconds per real second)  --seed 1
//   --kdniao-ebusiness-id ID --kdniao-api-key KEY --kdniao-callback-url URL
//   --kuaidi100-customer C --kuaidi100-key K --kuaidi100-salt S --kuaidi100-callback-url URL
//   --cainiao-app-key K --cainiao-secret-key S
//   --fault-delay-ms 15000 --push-timeout-ms 20000
//   --aliyun-access-key-id --aliyun-access-key-secret --tencent-secret-id --tencent-secret-key
//   --tencent-sms-sdk-app-id --wechat-appid --wechat-secret
//   --wechatpay-apiv3-key --wechatpay-platform-private-key-file PEM --wechatpay-platform-serial
//   -c/--config FILE: default the keys from carriers.{kdniao,kuaidi100,cainiao}.* and the
//   callback URLs from carriers.callback_base_url + /api/callbacks/{kdniao,kuaidi100}
#pragma once

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "domain/time.h"

namespace coldtrack::sim {

struct SimOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 0;
  std::string kdniao_ebusiness_id, kdniao_api_key;
  std::string kuaidi100_customer, kuaidi100_key, kuaidi100_salt;
  // Cainiao LINK: logistic_provider_id and the data_digest secret (query only).
  std::string cainiao_app_key, cainiao_secret_key;
  // Kdniao registers the push URL per account, so it comes from here. Kuaidi100 pushes to the
  // callbackurl of each subscription; a non-empty kuaidi100_callback_url overrides it (useful
  // when ColdTrack advertises an address the simulator cannot reach). kuaidi100_salt signs
  // pushes for subscriptions that carry no salt of their own.
  std::string kdniao_callback_url, kuaidi100_callback_url;
  // WeChat (base URL <sim>/wechat): the mini-program's credentials it accepts.
  std::string wechat_appid = "wx0000000000000001", wechat_secret = "sim-wechat-secret";
  // SMS gateways (sim/sms_sim.h): the keys they accept (endpoints <sim>/aliyun-sms/ and
  // <sim>/tencent-sms/).
  std::string aliyun_access_key_id = "sim-aliyun-id";
  std::string aliyun_access_key_secret = "sim-aliyun-secret";
  std::string tencent_secret_id = "sim-tencent-id";
  std::string tencent_secret_key = "sim-tencent-key";
  std::string tencent_sms_sdk_app_id = "1400000001";
  // WeChat Pay notify player (sim/wechatpay_sim.h); any of the three empty = feature off.
  std::string wechatpay_apiv3_key;                 // 32 ASCII bytes, as configured in ColdTrack
  std::string wechatpay_platform_private_key_pem;  // RSA; ColdTrack holds the public half
  std::string wechatpay_platform_serial;
  double time_scale = 60.0; /* simulated seconds per real second; 0 = only /sim/advance */
  std::uint64_t seed = 1;
  // How long a "timeout" fault holds a call before answering 504 (longer than ColdTrack's
  // outbound timeout by default).
  std::chrono::milliseconds fault_delay{15000};
  // How long a push waits for the receiver's reply (Kuaidi100: 20 s, carriers-kuaidi100.md §2).
  std::chrono::milliseconds push_timeout{20000};
  // Real-time period of the push timer.
  std::chrono::milliseconds tick{250};
  int io_threads = 1;
};

class Simulator {
 public:
  explicit Simulator(SimOptions options);
  ~Simulator();  // stops
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // Binds (port 0 = any free port), starts the I/O threads and the push timer; returns the port.
  unsigned short start();
  // Stops the push timer and the server. Idempotent.
  void stop();

  unsigned short port() const;
  std::string base_url() const;  // "http://127.0.0.1:PORT"

  // The control endpoints, callable in-process.
  domain::EpochMs now() const;  // simulated time
  void advance(std::chrono::seconds by);
  void reset();
  boost::json::object stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Runs a simulator until SIGTERM/SIGINT; prints its base URL. Returns the process exit code.
int run_simulator(const SimOptions& options);

}  // namespace coldtrack::sim
