#include "sim/simulator.h"

#include <fmt/format.h>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cctype>
#include <condition_variable>
#include <csignal>
#include <deque>
#include <functional>
#include <iostream>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "carriers/cainiao/cainiao.h"
#include "carriers/kdniao/kdniao.h"
#include "carriers/kuaidi100/kuaidi100.h"
#include "http/blocking.h"
#include "http/context.h"
#include "http/metrics.h"
#include "http/router.h"
#include "http/server.h"
#include "net/http_client.h"
#include "security/crypto.h"
#include "sim/payloads.h"
#include "sim/push_client.h"
#include "sim/script.h"
#include "sim/sms_sim.h"
#include "sim/temperature.h"
#include "sim/wechat_sim.h"
#include "sim/wechatpay_sim.h"

namespace coldtrack::sim {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
namespace kdn = carriers::kdniao;
namespace k100 = carriers::kuaidi100;
namespace cn = carriers::cainiao;
using http::Context;
using http::Response;
using http::beast_http::status;
using http::beast_http::verb;

// ---- Protocol tables (one place each) ---------------------------------------------------------

enum class Provider { kKdniao = 0, kKuaidi100 = 1, kCainiao = 2 };
constexpr std::array<std::string_view, 3> kProviderNames = {"kdniao", "kuaidi100", "cainiao"};

enum class Mode {
  kTimeout,
  kHttp500,
  kMalformed,
  kBadSignature,
  kDuplicate,
  kOutOfOrder,
  kRateLimit
};
constexpr std::array<std::string_view, 7> kModeNames = {
    "timeout", "http500", "malformed", "bad_signature", "duplicate", "out_of_order", "rate_limit"};

enum class Event { kQuery, kSubscribe, kPush };

// Which events use up a fault of each mode (see simulator.h).
bool applies(Mode m, Event e) {
  switch (m) {
    case Mode::kTimeout:
    case Mode::kMalformed:
    case Mode::kBadSignature:
      return true;
    case Mode::kHttp500:
    case Mode::kRateLimit:
      return e != Event::kPush;
    case Mode::kDuplicate:
      return e == Event::kPush;
    case Mode::kOutOfOrder:
      return e != Event::kSubscribe;
  }
  return false;
}

// Kdniao failure wording (carriers-kdniao.md gives no exact texts; these are the simulator's).
// None of them contains a "transient" marker except the two rate-limit texts, so ColdTrack's
// adapter classifies them as the doc §8 says: permanent, except rate limits (retryable).
namespace kdn_reason {
constexpr std::string_view kForm = "请求参数格式错误";
constexpr std::string_view kUnknownId = "EBusinessID不存在";
constexpr std::string_view kBadSign = "数据签名DataSign验证失败";
constexpr std::string_view kRequestType = "RequestType不支持或与接口地址不匹配";
constexpr std::string_view kDataType = "DataType只支持2（JSON）";
constexpr std::string_view kRequestData = "RequestData格式错误";
constexpr std::string_view kMissingCodes = "ShipperCode和LogisticCode不能为空";
constexpr std::string_view kCustomerName =
    "顺丰、中通、跨越单号需传入CustomerName（寄件人或收件人手机号后四位）";
constexpr std::string_view kRateLimit = "调用过于频繁，请稍后再试";
constexpr std::string_view kDailyCap =
    "免费接口1002今日调用次数已达500次上限，请稍后再试或使用订阅推送";
}  // namespace kdn_reason

constexpr std::array<std::string_view, 3> kKdniaoQueryTypes = {"1002", "8001", "8002"};
constexpr std::array<std::string_view, 2> kKdniaoSubscribeTypes = {"1008", "8008"};
constexpr int kKdniaoFreeDailyCap = 500;  // carriers-kdniao.md §1 (1002, ~500 calls per day)

// Kuaidi100 returnCodes and messages (carriers-kuaidi100.md §1 failure shape, §2 table). Query
// failures use the subscription table's codes: 600 for credential/signature problems, 700 for
// bad input, 702 for an unidentifiable carrier, 500 for "no result yet" and rate limiting.
struct K100Failure {
  std::string_view code;
  std::string_view message;
};
namespace k100_fail {
constexpr K100Failure kBadSign{"600", "签名验证失败"};
constexpr K100Failure kBadCustomer{"600", "授权码customer无效"};
constexpr K100Failure kBadKey{"600", "key无效"};
constexpr K100Failure kForm{"700", "参数错误"};
constexpr K100Failure kParam{"700", "param参数格式错误"};
constexpr K100Failure kSchema{"700", "schema参数只支持json"};
constexpr K100Failure kNumber{"700", "快递单号为空或长度不在6-32位之间"};
constexpr K100Failure kPhone{"700", "顺丰、中通单号需提供收/寄件人电话phone"};
constexpr K100Failure kCallback{"700", "callbackurl为空或格式错误"};
constexpr K100Failure kCompany{"702", "无法识别快递公司编码"};
constexpr K100Failure kNoResult{"500", "查询无结果，请隔段时间再查"};
constexpr K100Failure kRateLimit{"500", "查询过于频繁，请30分钟后再试"};
constexpr K100Failure kDuplicate{"501", "重复订阅"};
constexpr K100Failure kMonthlyCap{"501", "重复订阅：同一单号每月最多订阅4次"};
}  // namespace k100_fail
constexpr std::string_view kK100SubscribeOk = "提交成功";
constexpr std::string_view kK100JsonType = "application/json;charset=UTF-8";
constexpr std::string_view kK100FormType = "application/x-www-form-urlencoded";
// Kuaidi100 `com` codes that need `phone` (carriers-kuaidi100.md §1).
const std::vector<std::string> kK100PhoneCarriers = {"shunfeng", "zhongtong", "shunfengkuaiyun"};

// Cainiao LINK failures (simulator.h). Only S02 is documented (carriers-cainiao.md §4); the
// other codes are the simulator's own. None of the permanent messages contains one of the
// adapter's retryable keywords ("busy", "timeout", ...); the rate-limit one does.
struct CainiaoFailure {
  std::string_view code;
  std::string_view message;
};
namespace cn_fail {
constexpr CainiaoFailure kForm{"PARAM_ERROR", "请求参数错误 (form fields missing or undecodable)"};
constexpr CainiaoFailure kProviderId{"INVALID_PROVIDER",
                                     "logistic_provider_id不存在 (unknown logistic_provider_id)"};
constexpr CainiaoFailure kDigest{"S02", "data_digest验签失败 (signature check failed)"};
constexpr CainiaoFailure kContent{"S02", "logistics_interface格式错误 (not a JSON object)"};
constexpr CainiaoFailure kMsgType{"UNKNOWN_MSG_TYPE", "msg_type不存在 (unknown API)"};
constexpr CainiaoFailure kParam{"PARAM_ERROR",
                                "cpCode和mailNo不能为空 (cpCode and mailNo required)"};
constexpr CainiaoFailure kRateLimit{"FLOW_LIMIT",
                                    "系统繁忙，请稍后重试 (system busy, please try again later)"};
}  // namespace cn_fail
constexpr std::string_view kCainiaoJsonType = "application/json;charset=UTF-8";

constexpr std::int64_t kMinuteMs = 60 * 1000;
constexpr std::int64_t kDayMs = 24 * 60 * kMinuteMs;
// Both providers: at most one live query per waybill per 30 minutes (counted, not refused).
constexpr std::int64_t kQueryIntervalMs = 30 * kMinuteMs;
// Kuaidi100 §2: 4 subscriptions per waybill per month; wait 30 min to resubscribe after a stop.
constexpr std::size_t kK100SubscriptionsPerMonth = 4;
constexpr std::int64_t kMonthMs = 30 * kDayMs;
constexpr std::int64_t kK100ResubscribeWaitMs = 30 * kMinuteMs;
// Kuaidi100 §2 abort messages and when they are sent.
constexpr std::int64_t kK100AbortNoRecordMs = 3 * kDayMs;
constexpr std::int64_t kK100AbortNoChangeMs = 60 * kDayMs;
constexpr std::string_view kK100AbortNoRecord = "3天查询无记录";
constexpr std::string_view kK100AbortNoChange = "60天无变化";
// Push retries, in simulated seconds after each failed attempt. Kuaidi100: about 3 retries
// roughly 30-35 minutes apart (§2). Kdniao does not document its schedule; this is ours.
constexpr std::array<std::int64_t, 3> kKdniaoRetryS = {2 * 60, 10 * 60, 30 * 60};
constexpr std::array<std::int64_t, 3> kKuaidi100RetryS = {30 * 60, 33 * 60, 35 * 60};
// Kdniao may put several waybills into one push (§7).
constexpr std::size_t kKdniaoPushBatch = 10;

// ---- Small helpers ----------------------------------------------------------------------------

std::string_view name_of(Provider p) {
  return kProviderNames[static_cast<std::size_t>(p)];
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string ascii_upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

template <std::size_t N>
bool one_of(std::string_view v, const std::array<std::string_view, N>& list) {
  for (std::string_view x : list)
    if (x == v) return true;
  return false;
}

// A scalar JSON field as text ("" when absent/null/structured).
std::string text(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr) return {};
  switch (v->kind()) {
    case json::kind::string:
      return std::string(v->get_string());
    case json::kind::int64:
      return std::to_string(v->get_int64());
    case json::kind::uint64:
      return std::to_string(v->get_uint64());
    case json::kind::double_:
      return json::serialize(*v);
    case json::kind::bool_:
      return v->get_bool() ? "true" : "false";
    default:
      return {};
  }
}

std::optional<json::object> parse_object(std::string_view s) {
  boost::system::error_code ec;
  json::value v = json::parse(s, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.get_object());
}

// Kdniao's own worked example uses single-quoted JSON (carriers-kdniao.md §3): tolerate it.
std::optional<json::object> parse_request_data(std::string_view s) {
  if (auto o = parse_object(s)) return o;
  std::string swapped(s);
  for (char& c : swapped)
    if (c == '\'') c = '"';
  return parse_object(swapped);
}

bool four_digits(std::string_view s) {
  if (s.size() != 4) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

std::size_t digit_count(std::string_view s) {
  std::size_t n = 0;
  for (char c : s)
    if (c >= '0' && c <= '9') ++n;
  return n;
}

Response make_response(const Context& ctx, status st, std::string_view content_type,
                       std::string body) {
  Response res{st, ctx.req.version()};
  if (!content_type.empty()) res.set(http::beast_http::field::content_type, content_type);
  res.set(http::beast_http::field::cache_control, "no-store");
  res.keep_alive(ctx.req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

// A handler's answer and how long to hold it (the "timeout" fault).
struct Reply {
  Response res;
  std::chrono::milliseconds delay{0};
};

constexpr asio::as_tuple_t<asio::use_awaitable_t<>> kTuple{};

// A named coroutine owning its arguments (no temporaries inside co_await, GCC 12).
asio::awaitable<Response> finish(Response res, std::chrono::milliseconds delay) {
  if (delay.count() > 0) {
    auto executor = co_await asio::this_coro::executor;
    asio::steady_timer timer(executor, delay);
    auto [ec] = co_await timer.async_wait(kTuple);
    (void)ec;
  }
  co_return res;
}

EpochMs wall_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

// ---- Implementation ---------------------------------------------------------------------------

struct Simulator::Impl {
  struct Fault {
    Mode mode;
    std::uint64_t remaining;
  };

  struct Stats {
    std::uint64_t queries = 0;
    std::uint64_t subscriptions = 0;     // subscribe calls (accepted or not)
    std::uint64_t rejected = 0;          // calls answered with a documented failure
    std::uint64_t frequent_queries = 0;  // same waybill again within 30 simulated minutes
    std::uint64_t faults_applied = 0;
    std::uint64_t pushes = 0;            // push HTTP requests sent (incl. retries, copies)
    std::uint64_t pushes_ok = 0;         // acknowledged with the documented success reply
    std::uint64_t pushes_failed = 0;     // attempts without success (incl. dropped ones)
    std::uint64_t push_retries = 0;      // retries scheduled
    std::uint64_t pushes_abandoned = 0;  // gave up after the last retry
  };

  struct Waybill {
    Provider provider;
    std::string carrier;  // provider's code as first seen (Kdniao upper, Kuaidi100 lower)
    std::string number;
    Script script;
    EpochMs start = 0;
    std::optional<EpochMs> last_query;
    // Subscription.
    bool tracking = false;
    EpochMs subscribed_at = 0;
    std::optional<EpochMs> stopped_at;
    std::vector<EpochMs> subscribe_times;
    std::string callback_url;
    std::string salt;
    std::string order_code;
    bool substates = true;
    std::size_t pushed = 0;  // steps in the newest snapshot pushed
  };

  struct PushJob {
    Provider provider;
    std::string url;
    std::string first_body;  // attempt 0 (may carry a fault)
    std::string body;        // retries: always the good body
    bool drop_first = false;
    int attempt = 0;
    EpochMs due = 0;
    std::uint64_t generation = 0;
  };

  using Signer = std::function<std::string(const std::string&)>;

  explicit Impl(SimOptions o)
      : options(std::move(o)),
        kdniao(kdn::Config{options.kdniao_ebusiness_id, options.kdniao_api_key, "", "", "", "",
                           options.kdniao_callback_url}),
        kdniao_wrong(kdn::Config{options.kdniao_ebusiness_id,
                                 options.kdniao_api_key + "-not-the-api-key", "", "", "", "",
                                 options.kdniao_callback_url}) {
    reset_clock();
    add_routes();
  }

  // ---- Clock ----------------------------------------------------------------------------------

  void reset_clock() {
    wall_start = wall_now_ms();
    steady_start = std::chrono::steady_clock::now();
    offset_ms = 0;
  }

  EpochMs now_locked() const {
    const double real_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - steady_start)
            .count();
    return wall_start + static_cast<EpochMs>(real_ms * options.time_scale) + offset_ms;
  }

  // ---- State helpers --------------------------------------------------------------------------

  Waybill& touch(Provider p, const std::string& carrier, const std::string& number, EpochMs now) {
    const std::string key = fmt::format("{}|{}|{}", name_of(p), carrier, number);
    auto it = waybills.find(key);
    if (it == waybills.end()) {
      Waybill wb;
      wb.provider = p;
      wb.carrier = carrier;
      wb.number = number;
      wb.script = make_script(carrier, number, options.seed);
      wb.start = now - now % 1000;  // traces carry whole seconds
      it = waybills.emplace(key, std::move(wb)).first;
    }
    return it->second;
  }

  static std::size_t count_at(const Waybill& wb, EpochMs now) {
    std::size_t n = 0;
    for (const Step& s : wb.script.steps)
      if (wb.start + s.offset_s * 1000 <= now) ++n;
    return n;
  }

  Stats& stats_of(Provider p) { return stats[static_cast<std::size_t>(p)]; }

  std::optional<Mode> take_fault(Provider p, Event e) {
    auto& queue = faults[static_cast<std::size_t>(p)];
    for (auto it = queue.begin(); it != queue.end(); ++it) {
      if (!applies(it->mode, e)) continue;
      const Mode m = it->mode;
      if (--it->remaining == 0) queue.erase(it);
      ++stats_of(p).faults_applied;
      return m;
    }
    return std::nullopt;
  }

  void note_query(Provider p, Waybill& wb, EpochMs now) {
    if (wb.last_query && now - *wb.last_query < kQueryIntervalMs) ++stats_of(p).frequent_queries;
    wb.last_query = now;
  }

  void wake_timer() {
    wake = true;
    cv.notify_all();
  }

  // Transport-level faults shared by both providers' calls.
  std::optional<Reply> transport_fault(const Context& ctx, Mode m, std::string_view json_type) {
    switch (m) {
      case Mode::kTimeout:
        return Reply{make_response(ctx, status::gateway_timeout, "", ""), options.fault_delay};
      case Mode::kHttp500:
        return Reply{make_response(ctx, status::internal_server_error, "text/html",
                                   "<html><head><title>500 Internal Server Error</title></head>"
                                   "<body><h1>500 Internal Server Error</h1></body></html>"),
                     {}};
      case Mode::kMalformed:
        return Reply{make_response(ctx, status::ok, json_type, R"({"Success":true,"Traces":[{"Ac)"),
                     {}};
      default:
        return std::nullopt;
    }
  }

  // ---- Kdniao ---------------------------------------------------------------------------------

  Reply kdniao_json(const Context& ctx, const json::object& o) {
    return Reply{make_response(ctx, status::ok, kdn::kJsonContentType, json::serialize(o)), {}};
  }

  Reply kdniao_refuse(const Context& ctx, std::string_view ebusiness_id, std::string_view shipper,
                      std::string_view logistic, std::string_view reason) {
    ++stats_of(Provider::kKdniao).rejected;
    return kdniao_json(ctx, kdniao_failure(ebusiness_id, shipper, logistic, reason));
  }

  Reply kdniao_call(const Context& ctx, Event event) {
    std::lock_guard lock(mu);
    const EpochMs now = now_locked();
    Stats& st = stats_of(Provider::kKdniao);
    if (event == Event::kQuery)
      ++st.queries;
    else
      ++st.subscriptions;
    const std::optional<Mode> fault = take_fault(Provider::kKdniao, event);
    if (fault) {
      if (auto r = transport_fault(ctx, *fault, kdn::kJsonContentType)) return std::move(*r);
    }

    std::map<std::string, std::string> fields;
    const bool signed_ok =
        kdn::Protocol::verify_request_form(ctx.req.body(), options.kdniao_api_key, &fields);
    if (fields.empty()) return kdniao_refuse(ctx, "", "", "", kdn_reason::kForm);
    const std::string ebusiness_id = fields["EBusinessID"];
    if (ebusiness_id.empty() ||
        !security::constant_time_equal(ebusiness_id, options.kdniao_ebusiness_id))
      return kdniao_refuse(ctx, ebusiness_id, "", "", kdn_reason::kUnknownId);
    if (!signed_ok || fault == Mode::kBadSignature)
      return kdniao_refuse(ctx, ebusiness_id, "", "", kdn_reason::kBadSign);
    const std::string type = fields["RequestType"];
    const bool type_ok = event == Event::kQuery ? one_of(type, kKdniaoQueryTypes)
                                                : one_of(type, kKdniaoSubscribeTypes);
    if (!type_ok) return kdniao_refuse(ctx, ebusiness_id, "", "", kdn_reason::kRequestType);
    if (const auto dt = fields.find("DataType"); dt != fields.end() && dt->second != "2")
      return kdniao_refuse(ctx, ebusiness_id, "", "", kdn_reason::kDataType);
    const std::optional<json::object> data = parse_request_data(fields["RequestData"]);
    if (!data) return kdniao_refuse(ctx, ebusiness_id, "", "", kdn_reason::kRequestData);
    const std::string shipper = ascii_upper(trim(text(*data, "ShipperCode")));
    const std::string logistic = trim(text(*data, "LogisticCode"));
    if (shipper.empty() || logistic.empty())
      return kdniao_refuse(ctx, ebusiness_id, shipper, logistic, kdn_reason::kMissingCodes);
    if (kdn::requires_customer_name(shipper) && !four_digits(trim(text(*data, "CustomerName"))))
      return kdniao_refuse(ctx, ebusiness_id, shipper, logistic, kdn_reason::kCustomerName);
    if (fault == Mode::kRateLimit)
      return kdniao_refuse(ctx, ebusiness_id, shipper, logistic, kdn_reason::kRateLimit);
    if (type == "1002") {
      const EpochMs day = (now + 8 * 3600 * 1000) / kDayMs;  // China calendar day
      if (day != kdniao_free_day) {
        kdniao_free_day = day;
        kdniao_free_calls = 0;
      }
      if (++kdniao_free_calls > kKdniaoFreeDailyCap)
        return kdniao_refuse(ctx, ebusiness_id, shipper, logistic, kdn_reason::kDailyCap);
    }

    Waybill& wb = touch(Provider::kKdniao, shipper, logistic, now);
    const std::string order_code = text(*data, "OrderCode");
    if (event == Event::kSubscribe) {
      if (!wb.tracking) wb.subscribed_at = now;
      wb.tracking = true;
      wb.order_code = order_code;
      wb.subscribe_times.push_back(now);
      if (options.kdniao_callback_url.empty())
        spdlog::warn("sim: Kdniao subscription accepted but no kdniao callback URL is set");
      wake_timer();
      return kdniao_json(ctx, kdniao_subscribe_reply(ebusiness_id, now, true, ""));
    }
    note_query(Provider::kKdniao, wb, now);
    std::size_t count = count_at(wb, now);
    if (fault == Mode::kOutOfOrder && count > 1) --count;
    const WaybillView view{wb.script, count, wb.start, wb.carrier, wb.number};
    return kdniao_json(ctx, kdniao_waybill(view, ebusiness_id, order_code));
  }

  // ---- Kuaidi100 ------------------------------------------------------------------------------

  Reply k100_json(const Context& ctx, const json::object& o) {
    return Reply{make_response(ctx, status::ok, kK100JsonType, json::serialize(o)), {}};
  }

  Reply k100_refuse(const Context& ctx, const K100Failure& f) {
    ++stats_of(Provider::kKuaidi100).rejected;
    return k100_json(ctx, kuaidi100_failure(f.code, f.message));
  }

  static bool needs_phone(std::string_view com) {
    for (const auto& c : kK100PhoneCarriers)
      if (c == com) return true;
    return false;
  }

  static bool number_ok(std::string_view num) { return num.size() >= 6 && num.size() <= 32; }

  Reply k100_query(const Context& ctx) {
    std::lock_guard lock(mu);
    const EpochMs now = now_locked();
    ++stats_of(Provider::kKuaidi100).queries;
    const std::optional<Mode> fault = take_fault(Provider::kKuaidi100, Event::kQuery);
    if (fault) {
      if (auto r = transport_fault(ctx, *fault, kK100JsonType)) return std::move(*r);
    }
    std::map<std::string, std::string> fields;
    if (!k100::form_decode(ctx.req.body(), fields) || !fields.contains("param"))
      return k100_refuse(ctx, k100_fail::kForm);
    if (!security::constant_time_equal(fields["customer"], options.kuaidi100_customer))
      return k100_refuse(ctx, k100_fail::kBadCustomer);
    if (!k100::Protocol::verify_query_form(ctx.req.body(), options.kuaidi100_key, nullptr) ||
        fault == Mode::kBadSignature)
      return k100_refuse(ctx, k100_fail::kBadSign);
    const std::optional<json::object> param = parse_object(fields["param"]);
    if (!param) return k100_refuse(ctx, k100_fail::kParam);
    const std::string com = ascii_lower(trim(text(*param, "com")));
    const std::string num = trim(text(*param, "num"));
    if (com.empty()) return k100_refuse(ctx, k100_fail::kCompany);
    if (!number_ok(num)) return k100_refuse(ctx, k100_fail::kNumber);
    if (needs_phone(com) && digit_count(text(*param, "phone")) < 4)
      return k100_refuse(ctx, k100_fail::kPhone);
    if (fault == Mode::kRateLimit) return k100_refuse(ctx, k100_fail::kRateLimit);

    Waybill& wb = touch(Provider::kKuaidi100, com, num, now);
    note_query(Provider::kKuaidi100, wb, now);
    std::size_t count = count_at(wb, now);
    if (count == 0)
      return k100_json(ctx,
                       kuaidi100_failure(k100_fail::kNoResult.code, k100_fail::kNoResult.message));
    if (fault == Mode::kOutOfOrder && count > 1) --count;
    const std::string resultv2 = trim(text(*param, "resultv2"));
    const bool substates = resultv2 == "4" || resultv2 == "8";
    const bool ascending = ascii_lower(trim(text(*param, "order"))) == "asc";
    const WaybillView view{wb.script, count, wb.start, wb.carrier, wb.number};
    return k100_json(ctx, kuaidi100_result(view, substates, ascending));
  }

  Reply k100_subscribe(const Context& ctx) {
    std::lock_guard lock(mu);
    const EpochMs now = now_locked();
    ++stats_of(Provider::kKuaidi100).subscriptions;
    const std::optional<Mode> fault = take_fault(Provider::kKuaidi100, Event::kSubscribe);
    if (fault) {
      if (auto r = transport_fault(ctx, *fault, kK100JsonType)) return std::move(*r);
    }
    std::map<std::string, std::string> fields;
    if (!k100::form_decode(ctx.req.body(), fields) || !fields.contains("param"))
      return k100_refuse(ctx, k100_fail::kForm);
    if (fields["schema"] != "json") return k100_refuse(ctx, k100_fail::kSchema);
    const std::optional<json::object> param = parse_object(fields["param"]);
    if (!param) return k100_refuse(ctx, k100_fail::kParam);
    const std::string key = text(*param, "key");
    if (key.empty() || !security::constant_time_equal(key, options.kuaidi100_key) ||
        fault == Mode::kBadSignature)
      return k100_refuse(ctx, k100_fail::kBadKey);
    const std::string com = ascii_lower(trim(text(*param, "company")));
    const std::string num = trim(text(*param, "number"));
    if (com.empty()) return k100_refuse(ctx, k100_fail::kCompany);
    if (!number_ok(num)) return k100_refuse(ctx, k100_fail::kNumber);
    json::object parameters;
    if (const json::value* p = param->if_contains("parameters"); p != nullptr && p->is_object())
      parameters = p->get_object();
    const std::string callback = trim(text(parameters, "callbackurl"));
    if (!callback.starts_with("http://") && !callback.starts_with("https://"))
      return k100_refuse(ctx, k100_fail::kCallback);
    if (needs_phone(com) && digit_count(text(parameters, "phone")) < 4)
      return k100_refuse(ctx, k100_fail::kPhone);
    if (fault == Mode::kRateLimit) return k100_refuse(ctx, k100_fail::kRateLimit);

    Waybill& wb = touch(Provider::kKuaidi100, com, num, now);
    std::erase_if(wb.subscribe_times, [now](EpochMs t) { return now - t >= kMonthMs; });
    if (wb.subscribe_times.size() >= kK100SubscriptionsPerMonth)
      return k100_refuse(ctx, k100_fail::kMonthlyCap);
    if (wb.tracking || (wb.stopped_at && now - *wb.stopped_at < kK100ResubscribeWaitMs))
      return k100_refuse(ctx, k100_fail::kDuplicate);
    wb.subscribe_times.push_back(now);
    wb.tracking = true;
    wb.stopped_at.reset();
    wb.subscribed_at = now;
    wb.callback_url =
        options.kuaidi100_callback_url.empty() ? callback : options.kuaidi100_callback_url;
    wb.salt = parameters.contains("salt") ? text(parameters, "salt") : options.kuaidi100_salt;
    const std::string resultv2 = trim(text(parameters, "resultv2"));
    wb.substates = resultv2 == "4" || resultv2 == "8";
    wb.pushed = 0;  // a new subscription gets the full history pushed
    wake_timer();
    return k100_json(
        ctx, json::object{{"result", true}, {"returnCode", "200"}, {"message", kK100SubscribeOk}});
  }

  // ---- Cainiao (query only) -------------------------------------------------------------------

  Reply cainiao_json(const Context& ctx, const json::object& o) {
    return Reply{make_response(ctx, status::ok, kCainiaoJsonType, json::serialize(o)), {}};
  }

  Reply cainiao_refuse(const Context& ctx, const CainiaoFailure& f) {
    ++stats_of(Provider::kCainiao).rejected;
    return cainiao_json(ctx, cainiao_failure(f.code, f.message));
  }

  Reply cainiao_gateway(const Context& ctx) {
    std::lock_guard lock(mu);
    const EpochMs now = now_locked();
    ++stats_of(Provider::kCainiao).queries;
    const std::optional<Mode> fault = take_fault(Provider::kCainiao, Event::kQuery);
    if (fault) {
      if (auto r = transport_fault(ctx, *fault, kCainiaoJsonType)) return std::move(*r);
    }
    // Decoded exactly once: a '+' that reached us unencoded is a space (doc §3).
    std::map<std::string, std::string> fields;
    if (!k100::form_decode(ctx.req.body(), fields) || !fields.contains("msg_type") ||
        !fields.contains("logistic_provider_id") || !fields.contains("logistics_interface") ||
        !fields.contains("data_digest"))
      return cainiao_refuse(ctx, cn_fail::kForm);
    const std::string& provider_id = fields["logistic_provider_id"];
    if (provider_id.empty() || !security::constant_time_equal(provider_id, options.cainiao_app_key))
      return cainiao_refuse(ctx, cn_fail::kProviderId);
    const std::string& content = fields["logistics_interface"];
    const std::string expected = cn::Protocol::data_digest(content, options.cainiao_secret_key);
    if (options.cainiao_secret_key.empty() ||
        !security::constant_time_equal(fields["data_digest"], expected) ||
        fault == Mode::kBadSignature)
      return cainiao_refuse(ctx, cn_fail::kDigest);
    if (trim(fields["msg_type"]) != cainiao_query_msg_type)
      return cainiao_refuse(ctx, cn_fail::kMsgType);
    const std::optional<json::object> body = parse_object(content);
    if (!body) return cainiao_refuse(ctx, cn_fail::kContent);
    const std::string cp = ascii_upper(trim(text(*body, "cpCode")));
    const std::string mail = trim(text(*body, "mailNo"));
    if (cp.empty() || mail.empty()) return cainiao_refuse(ctx, cn_fail::kParam);
    if (fault == Mode::kRateLimit) return cainiao_refuse(ctx, cn_fail::kRateLimit);

    Waybill& wb = touch(Provider::kCainiao, cp, mail, now);
    note_query(Provider::kCainiao, wb, now);
    std::size_t count = count_at(wb, now);
    if (fault == Mode::kOutOfOrder && count > 1) --count;
    const WaybillView view{wb.script, count, wb.start, wb.carrier, wb.number};
    return cainiao_json(ctx, cainiao_waybill(view));
  }

  // ---- Control --------------------------------------------------------------------------------

  Response control_error(const Context& ctx, std::string_view message, std::string_view field) {
    return http::error_response(ctx, status::bad_request, "invalid_argument", message, field);
  }

  Response faults_endpoint(const Context& ctx) {
    const std::optional<json::object> body = parse_object(ctx.req.body());
    if (!body) return control_error(ctx, "body must be a JSON object", "body");
    const std::string provider = text(*body, "provider");
    const std::string mode = text(*body, "mode");
    std::size_t p = kProviderNames.size();
    for (std::size_t i = 0; i < kProviderNames.size(); ++i)
      if (kProviderNames[i] == provider) p = i;
    if (p == kProviderNames.size())
      return control_error(ctx, "provider must be kdniao, kuaidi100 or cainiao", "provider");
    std::size_t m = kModeNames.size();
    for (std::size_t i = 0; i < kModeNames.size(); ++i)
      if (kModeNames[i] == mode) m = i;
    if (m == kModeNames.size())
      return control_error(ctx,
                           "mode must be one of timeout, http500, malformed, bad_signature, "
                           "duplicate, out_of_order, rate_limit",
                           "mode");
    std::int64_t count = 1;
    if (const json::value* c = body->if_contains("count")) {
      if (!c->is_int64() && !c->is_uint64())
        return control_error(ctx, "count must be an integer", "count");
      count = c->is_int64() ? c->get_int64() : static_cast<std::int64_t>(c->get_uint64());
      if (count < 1 || count > 1000000)
        return control_error(ctx, "count must be between 1 and 1000000", "count");
    }
    std::size_t queued = 0;
    {
      std::lock_guard lock(mu);
      faults[p].push_back(Fault{static_cast<Mode>(m), static_cast<std::uint64_t>(count)});
      for (const Fault& f : faults[p]) queued += f.remaining;
    }
    return http::json_response(
        ctx, status::ok,
        json::object{
            {"provider", provider}, {"mode", mode}, {"count", count}, {"pending", queued}});
  }

  Response advance_endpoint(const Context& ctx) {
    const std::optional<json::object> body = parse_object(ctx.req.body());
    if (!body) return control_error(ctx, "body must be a JSON object", "body");
    const json::value* s = body->if_contains("seconds");
    if (s == nullptr || !s->is_number())
      return control_error(ctx, "seconds must be a number", "seconds");
    const double seconds = s->to_number<double>();
    if (!(seconds >= 0 && seconds <= 10.0 * 365 * 24 * 3600))
      return control_error(ctx, "seconds must be between 0 and 10 years", "seconds");
    const EpochMs now = advance_ms(static_cast<EpochMs>(seconds * 1000));
    return http::json_response(
        ctx, status::ok, json::object{{"sim_time", format_china_time(now)}, {"sim_time_ms", now}});
  }

  EpochMs advance_ms(EpochMs ms) {
    std::lock_guard lock(mu);
    offset_ms += ms;
    wake_timer();
    return now_locked();
  }

  void reset_state() {
    std::lock_guard lock(mu);
    waybills.clear();
    for (auto& q : faults) q.clear();
    stats = {};
    jobs.clear();
    ++generation;
    kdniao_free_day = -1;
    kdniao_free_calls = 0;
    reset_clock();
  }

  json::object stats_json() {
    std::lock_guard lock(mu);
    const EpochMs now = now_locked();
    json::object out;
    out["sim_time"] = format_china_time(now);
    out["sim_time_ms"] = now;
    out["time_scale"] = options.time_scale;
    out["seed"] = options.seed;
    out["waybills"] = waybills.size();
    out["pending_pushes"] = jobs.size();
    for (std::size_t i = 0; i < kProviderNames.size(); ++i) {
      const Stats& s = stats[i];
      std::size_t tracking = 0;
      for (const auto& [key, wb] : waybills)
        if (static_cast<std::size_t>(wb.provider) == i && wb.tracking) ++tracking;
      std::uint64_t pending_faults = 0;
      for (const Fault& f : faults[i]) pending_faults += f.remaining;
      out[kProviderNames[i]] = json::object{{"queries", s.queries},
                                            {"subscriptions", s.subscriptions},
                                            {"tracking", tracking},
                                            {"rejected", s.rejected},
                                            {"frequent_queries", s.frequent_queries},
                                            {"faults_applied", s.faults_applied},
                                            {"faults_pending", pending_faults},
                                            {"pushes", s.pushes},
                                            {"pushes_ok", s.pushes_ok},
                                            {"pushes_failed", s.pushes_failed},
                                            {"push_retries", s.push_retries},
                                            {"pushes_abandoned", s.pushes_abandoned}};
    }
    return out;
  }

  // ---- Pushes ---------------------------------------------------------------------------------

  // Queues one push (plus fault copies). `older` is the payload of an older snapshot for the
  // out_of_order fault ("" when there is none).
  void enqueue_locked(Provider p, const std::string& url, const std::string& payload,
                      const std::string& older, const Signer& sign, const Signer& sign_wrong,
                      EpochMs now) {
    PushJob job;
    job.provider = p;
    job.url = url;
    job.body = sign(payload);
    job.first_body = job.body;
    job.due = now;
    job.generation = generation;
    const std::optional<Mode> fault = take_fault(p, Event::kPush);
    if (fault == Mode::kTimeout) job.drop_first = true;
    if (fault == Mode::kMalformed) job.first_body = sign(payload.substr(0, payload.size() / 2));
    if (fault == Mode::kBadSignature) job.first_body = sign_wrong(payload);
    jobs.push_back(job);
    if (fault == Mode::kDuplicate) jobs.push_back(job);
    if (fault == Mode::kOutOfOrder && !older.empty()) {
      PushJob stale = job;
      stale.body = sign(older);
      stale.first_body = stale.body;
      jobs.push_back(std::move(stale));
    }
  }

  std::string kdniao_push_payload(const std::vector<std::pair<const Waybill*, std::size_t>>& items,
                                  EpochMs now) const {
    json::array data;
    for (const auto& [wb, count] : items) {
      const WaybillView view{wb->script, count, wb->start, wb->carrier, wb->number};
      json::object item = kdniao_waybill(view, options.kdniao_ebusiness_id, wb->order_code);
      item["Reason"] = "";  // pushes carry an empty Reason (derived push vector, doc §7)
      data.push_back(std::move(item));
    }
    json::object o{{"EBusinessID", options.kdniao_ebusiness_id},
                   {"PushTime", format_china_time(now)},
                   {"Count", std::to_string(items.size())},
                   {"Data", std::move(data)}};
    return json::serialize(o);
  }

  std::string k100_push_payload(const Waybill& wb, std::size_t count, std::string_view push_status,
                                std::string_view message) const {
    json::object o{{"status", push_status},
                   {"message", message},
                   {"autoCheck", "0"},
                   {"comOld", ""},
                   {"comNew", ""}};
    if (count > 0) {
      const WaybillView view{wb.script, count, wb.start, wb.carrier, wb.number};
      o["lastResult"] = kuaidi100_result(view, wb.substates, false);
    }
    return json::serialize(o);
  }

  void plan_kdniao_locked(EpochMs now) {
    std::vector<std::pair<const Waybill*, std::size_t>> items;
    std::vector<std::pair<const Waybill*, std::size_t>> older;
    const Signer sign = [this](const std::string& p) { return kdniao.build_push_form(p); };
    const Signer wrong = [this](const std::string& p) { return kdniao_wrong.build_push_form(p); };
    const auto flush = [&] {
      if (items.empty()) return;
      const std::string older_payload = older.empty() ? "" : kdniao_push_payload(older, now);
      enqueue_locked(Provider::kKdniao, options.kdniao_callback_url,
                     kdniao_push_payload(items, now), older_payload, sign, wrong, now);
      items.clear();
      older.clear();
    };
    for (auto& [key, wb] : waybills) {
      if (wb.provider != Provider::kKdniao || !wb.tracking) continue;
      const std::size_t count = count_at(wb, now);
      if (count <= wb.pushed) continue;
      wb.pushed = count;
      if (options.kdniao_callback_url.empty()) continue;  // nowhere to push
      items.emplace_back(&wb, count);
      if (count > 1) older.emplace_back(&wb, count - 1);
      if (items.size() == kKdniaoPushBatch) flush();
    }
    flush();
  }

  void plan_k100_locked(EpochMs now) {
    for (auto& [key, wb] : waybills) {
      if (wb.provider != Provider::kKuaidi100 || !wb.tracking) continue;
      const std::size_t count = count_at(wb, now);
      // The adapter's own server-side helper builds and signs the push form (only when used).
      const Signer sign = [salt = wb.salt](const std::string& p) {
        k100::Config cfg;
        cfg.salt = salt;
        return k100::Protocol(std::move(cfg)).build_push_form(p);
      };
      const Signer wrong = [salt = wb.salt + "-not-the-salt"](const std::string& p) {
        k100::Config cfg;
        cfg.salt = salt;
        return k100::Protocol(std::move(cfg)).build_push_form(p);
      };
      if (count > wb.pushed) {
        const bool terminal = k100_terminal(wb.script.steps[count - 1].k100_state);
        const std::string payload =
            k100_push_payload(wb, count, terminal ? "shutdown" : "polling", "");
        const std::string older = count > 1 ? k100_push_payload(wb, count - 1, "polling", "") : "";
        enqueue_locked(Provider::kKuaidi100, wb.callback_url, payload, older, sign, wrong, now);
        wb.pushed = count;
        if (terminal) {
          wb.tracking = false;
          wb.stopped_at = now;
        }
        continue;
      }
      // Kuaidi100 stops tracking on its own (§2 "abort").
      const bool no_record = count == 0 && now - wb.subscribed_at >= kK100AbortNoRecordMs;
      const EpochMs last_change =
          count == 0 ? wb.subscribed_at : wb.start + wb.script.steps[count - 1].offset_s * 1000;
      const bool no_change =
          count > 0 && now - std::max(last_change, wb.subscribed_at) >= kK100AbortNoChangeMs;
      if (no_record || no_change) {
        const std::string payload = k100_push_payload(
            wb, count, "abort", no_record ? kK100AbortNoRecord : kK100AbortNoChange);
        enqueue_locked(Provider::kKuaidi100, wb.callback_url, payload, "", sign, wrong, now);
        wb.tracking = false;
        wb.stopped_at = now;
      }
    }
  }

  static bool push_acknowledged(Provider p, const PostResult& r) {
    if (r.status != 200) return false;
    const std::optional<json::object> o = parse_object(r.body);
    if (!o) return false;
    if (p == Provider::kKdniao) {
      const json::value* s = o->if_contains("Success");
      return s != nullptr && ((s->is_bool() && s->get_bool()) ||
                              (s->is_string() && ascii_lower(s->get_string()) == "true"));
    }
    const json::value* result = o->if_contains("result");
    const bool ok = result != nullptr && ((result->is_bool() && result->get_bool()) ||
                                          (result->is_string() && result->get_string() == "true"));
    return ok && text(*o, "returnCode") == "200";
  }

  struct Outcome {
    PushJob job;
    bool sent = false;
    bool ok = false;
  };

  Outcome send(PushJob job) {
    Outcome out;
    if (job.attempt == 0 && job.drop_first) {
      out.job = std::move(job);
      return out;  // the "timeout" fault: this attempt never reaches the receiver
    }
    const std::string& body = job.attempt == 0 ? job.first_body : job.body;
    const std::string_view type =
        job.provider == Provider::kKdniao ? kdn::kFormContentType : kK100FormType;
    const PostResult r = post(job.url, std::string(type), body, options.push_timeout);
    out.sent = true;
    out.ok = push_acknowledged(job.provider, r);
    if (!out.ok)
      spdlog::debug("sim: {} push to {} failed (attempt {}): {} {}", name_of(job.provider), job.url,
                    job.attempt + 1, r.status, r.error);
    out.job = std::move(job);
    return out;
  }

  void record_locked(std::vector<Outcome>& done, EpochMs now) {
    for (Outcome& o : done) {
      if (o.job.generation != generation) continue;  // reset meanwhile
      Stats& st = stats_of(o.job.provider);
      if (o.sent) ++st.pushes;
      if (o.ok) {
        ++st.pushes_ok;
        continue;
      }
      ++st.pushes_failed;
      const auto& delays = o.job.provider == Provider::kKdniao ? kKdniaoRetryS : kKuaidi100RetryS;
      if (static_cast<std::size_t>(o.job.attempt) >= delays.size()) {
        ++st.pushes_abandoned;
        continue;
      }
      o.job.due = now + delays[static_cast<std::size_t>(o.job.attempt)] * 1000;
      ++o.job.attempt;
      ++st.push_retries;
      jobs.push_back(std::move(o.job));
    }
  }

  void run_timer() {
    std::unique_lock lock(mu);
    while (!stopping) {
      EpochMs now = now_locked();
      plan_kdniao_locked(now);
      plan_k100_locked(now);
      std::vector<PushJob> due;
      for (auto it = jobs.begin(); it != jobs.end();) {
        if (it->due <= now) {
          due.push_back(std::move(*it));
          it = jobs.erase(it);
        } else {
          ++it;
        }
      }
      if (!due.empty()) {
        lock.unlock();
        std::vector<Outcome> done;
        for (PushJob& job : due) {
          if (stopping) break;
          done.push_back(send(std::move(job)));
        }
        lock.lock();
        record_locked(done, now_locked());
      }
      if (stopping) break;
      cv.wait_for(lock, options.tick, [this] { return stopping.load() || wake; });
      wake = false;
    }
  }

  // ---- Routes ---------------------------------------------------------------------------------

  void add_routes() {
    const auto add = [this](verb method, std::string path, std::function<Reply(const Context&)> f) {
      router.add(method, std::move(path), http::Access::kPublic, http::Role::kViewer,
                 [f = std::move(f)](Context& ctx) {
                   Reply r = f(ctx);
                   return finish(std::move(r.res), r.delay);
                 });
    };
    add(verb::post, "/kdniao/Ebusiness/EbusinessOrderHandle.aspx",
        [this](const Context& ctx) { return kdniao_call(ctx, Event::kQuery); });
    add(verb::post, "/kdniao/api/dist",
        [this](const Context& ctx) { return kdniao_call(ctx, Event::kSubscribe); });
    add(verb::post, "/kuaidi100/poll/query.do",
        [this](const Context& ctx) { return k100_query(ctx); });
    add(verb::post, "/kuaidi100/poll", [this](const Context& ctx) { return k100_subscribe(ctx); });
    add(verb::post, "/cainiao/gateway/link.do",
        [this](const Context& ctx) { return cainiao_gateway(ctx); });
    add(verb::post, "/sim/faults", [this](const Context& ctx) {
      return Reply{faults_endpoint(ctx), {}};
    });
    add(verb::post, "/sim/reset", [this](const Context& ctx) {
      reset_state();
      wechat.reset();
      sms.reset();
      webhooks.reset();
      return Reply{http::json_response(ctx, status::ok, json::object{{"reset", true}}), {}};
    });
    add(verb::get, "/sim/stats", [this](const Context& ctx) {
      return Reply{http::json_response(ctx, status::ok, stats_json()), {}};
    });
    add(verb::post, "/sim/advance", [this](const Context& ctx) {
      return Reply{advance_endpoint(ctx), {}};
    });
    add(verb::post, "/sim/loggers", [this](const Context& ctx) {
      return Reply{loggers_post(ctx), {}};
    });
    add(verb::get, "/sim/loggers", [this](const Context& ctx) {
      return Reply{http::json_response(ctx, status::ok, loggers_json()), {}};
    });
    add(verb::get, "/wechat/sns/jscode2session", [this](const Context& ctx) {
      auto q = [&ctx](const char* name) { return ctx.query(name).value_or(""); };
      auto body = wechat.code2session(q("appid"), q("secret"), q("js_code"), q("grant_type"));
      return Reply{http::body_response(ctx, status::ok, "application/json", std::move(body)), {}};
    });
    add(verb::post, "/wechat/cgi-bin/stable_token", [this](const Context& ctx) {
      auto body = wechat.stable_token(ctx.req.body());
      return Reply{http::body_response(ctx, status::ok, "application/json", std::move(body)), {}};
    });
    add(verb::post, "/wechat/cgi-bin/message/subscribe/send", [this](const Context& ctx) {
      std::int64_t hold_ms = 0;
      auto body =
          wechat.subscribe_send(ctx.query("access_token").value_or(""), ctx.req.body(), &hold_ms);
      return Reply{http::body_response(ctx, status::ok, "application/json", std::move(body)),
                   std::chrono::milliseconds(hold_ms)};
    });
    add_wechat_extra_routes(add);
    add_sms_routes(add);
    add_webhook_routes(add);
    add_wechatpay_routes(add);
    add(verb::get, "/sim/wechat/messages", [this](const Context& ctx) {
      return Reply{http::body_response(ctx, status::ok, "application/json", wechat.messages_json()),
                   {}};
    });
    add(verb::get, "/sim/health", [](const Context& ctx) {
      return Reply{http::json_response(ctx, status::ok, json::object{{"ok", true}}), {}};
    });
  }

  using AddRoute = std::function<void(verb, std::string, std::function<Reply(const Context&)>)>;

  static Reply json_reply(const Context& ctx, std::string body) {
    return Reply{http::body_response(ctx, status::ok, "application/json", std::move(body)), {}};
  }

  // {"fault": one of `names`, "count"?: 1..1000000}: the index of the fault and the count, or
  // the control error to answer.
  std::variant<std::pair<std::size_t, int>, Response> parse_fault(
      const Context& ctx, const json::object& body, std::initializer_list<std::string_view> names) {
    const std::string fault = text(body, "fault");
    std::size_t i = 0;
    for (std::string_view n : names) {
      if (n == fault) break;
      ++i;
    }
    if (i == names.size()) {
      std::string list;
      for (std::string_view n : names) list += (list.empty() ? "" : ", ") + std::string(n);
      return control_error(ctx, "fault must be one of " + list, "fault");
    }
    std::int64_t count = 1;
    if (const json::value* c = body.if_contains("count")) {
      if (!c->is_int64() && !c->is_uint64())
        return control_error(ctx, "count must be an integer", "count");
      count = c->is_int64() ? c->get_int64() : static_cast<std::int64_t>(c->get_uint64());
      if (count < 1 || count > 1000000)
        return control_error(ctx, "count must be between 1 and 1000000", "count");
    }
    return std::pair{i, static_cast<int>(count)};
  }

  Reply held_timeout(const Context& ctx) {
    return Reply{make_response(ctx, status::gateway_timeout, "", ""), options.fault_delay};
  }

  void add_wechat_extra_routes(const AddRoute& add) {
    add(verb::post, "/wechat/wxa/generate_urllink", [this](const Context& ctx) {
      return json_reply(ctx, wechat.generate_urllink(ctx.query("access_token").value_or(""),
                                                     ctx.req.body(), wall_now_ms() / 1000));
    });
    add(verb::post, "/wechat/wxa/sec/order/upload_shipping_info", [this](const Context& ctx) {
      return json_reply(
          ctx, wechat.upload_shipping_info(ctx.query("access_token").value_or(""), ctx.req.body()));
    });
    add(verb::post, "/wechat/wxa/sec/order/is_trade_managed", [this](const Context& ctx) {
      return json_reply(
          ctx, wechat.is_trade_managed(ctx.query("access_token").value_or(""), ctx.req.body()));
    });
    add(verb::get, "/sim/wechat/urllinks",
        [this](const Context& ctx) { return json_reply(ctx, wechat.urllinks_json()); });
    add(verb::get, "/sim/wechat/shipping",
        [this](const Context& ctx) { return json_reply(ctx, wechat.shipping_json()); });
    add(verb::post, "/sim/wechat/faults", [this](const Context& ctx) {
      const std::optional<json::object> body = parse_object(ctx.req.body());
      if (!body) return Reply{control_error(ctx, "body must be a JSON object", "body"), {}};
      auto parsed = parse_fault(ctx, *body, {"43101", "45011", "47003", "-1", "40001", "slow"});
      if (auto* err = std::get_if<Response>(&parsed)) return Reply{std::move(*err), {}};
      const auto [fault, count] = std::get<std::pair<std::size_t, int>>(parsed);
      std::int64_t delay_ms = 3000;
      if (const json::value* d = body->if_contains("delay_ms")) {
        if (!d->is_int64() || d->get_int64() < 0 || d->get_int64() > 600'000)
          return Reply{control_error(ctx, "delay_ms must be an integer 0..600000", "delay_ms"), {}};
        delay_ms = d->get_int64();
      }
      wechat.add_send_fault(static_cast<WechatLogin::SendFault>(fault), count, delay_ms);
      return Reply{http::json_response(ctx, status::ok,
                                       json::object{{"fault", text(*body, "fault")},
                                                    {"count", count},
                                                    {"pending", wechat.pending_send_faults()}}),
                   {}};
    });
  }

  Reply sms_reply(const Context& ctx, SmsGateway::Answer a) {
    if (a.hold) return held_timeout(ctx);
    return Reply{
        make_response(ctx, static_cast<status>(a.status), a.content_type, std::move(a.body)), {}};
  }

  void add_sms_routes(const AddRoute& add) {
    const auto aliyun = [this](const Context& ctx) {
      return sms_reply(ctx, sms.aliyun(std::string(http::beast_http::to_string(ctx.req.method())),
                                       ctx.raw_query, ctx.req.body()));
    };
    const auto tencent = [this](const Context& ctx) {
      std::map<std::string, std::string> headers;
      for (const auto& f : ctx.req) {
        std::string name(f.name_string());
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        headers.emplace(std::move(name), std::string(f.value()));
      }
      return sms_reply(ctx, sms.tencent(ctx.path, headers, ctx.req.body()));
    };
    for (const char* path : {"/aliyun-sms/", "/aliyun-sms"}) {
      add(verb::get, path, aliyun);
      add(verb::post, path, aliyun);
    }
    add(verb::post, "/tencent-sms/", tencent);
    add(verb::post, "/tencent-sms", tencent);
    add(verb::get, "/sim/sms/messages",
        [this](const Context& ctx) { return json_reply(ctx, sms.messages_json()); });
    add(verb::post, "/sim/sms/faults", [this](const Context& ctx) {
      const std::optional<json::object> body = parse_object(ctx.req.body());
      if (!body) return Reply{control_error(ctx, "body must be a JSON object", "body"), {}};
      const std::string provider = text(*body, "provider");
      if (provider != "aliyun" && provider != "tencent")
        return Reply{control_error(ctx, "provider must be aliyun or tencent", "provider"), {}};
      const auto p =
          provider == "aliyun" ? SmsGateway::Provider::kAliyun : SmsGateway::Provider::kTencent;
      auto parsed = parse_fault(
          ctx, *body, {"rate_limit", "permanent", "internal_error", "signature_expire", "timeout"});
      if (auto* err = std::get_if<Response>(&parsed)) return Reply{std::move(*err), {}};
      const auto [fault, count] = std::get<std::pair<std::size_t, int>>(parsed);
      if (!sms.add_fault(p, static_cast<SmsGateway::Fault>(fault), count))
        return Reply{control_error(ctx, "signature_expire is a Tencent fault", "fault"), {}};
      return Reply{http::json_response(ctx, status::ok,
                                       json::object{{"provider", provider},
                                                    {"fault", text(*body, "fault")},
                                                    {"count", count},
                                                    {"pending", sms.pending_faults(p)}}),
                   {}};
    });
  }

  void add_webhook_routes(const AddRoute& add) {
    // Literal paths first: the router takes the first match, so they win over {name}.
    add(verb::get, "/sim/webhook/messages",
        [this](const Context& ctx) { return json_reply(ctx, webhooks.messages_json()); });
    add(verb::post, "/sim/webhook/faults", [this](const Context& ctx) {
      const std::optional<json::object> body = parse_object(ctx.req.body());
      if (!body) return Reply{control_error(ctx, "body must be a JSON object", "body"), {}};
      auto parsed = parse_fault(ctx, *body, {"error", "rate_limit", "timeout"});
      if (auto* err = std::get_if<Response>(&parsed)) return Reply{std::move(*err), {}};
      const auto [fault, count] = std::get<std::pair<std::size_t, int>>(parsed);
      webhooks.add_fault(static_cast<WebhookSink::Fault>(fault), count);
      return Reply{http::json_response(ctx, status::ok,
                                       json::object{{"fault", text(*body, "fault")},
                                                    {"count", count},
                                                    {"pending", webhooks.pending_faults()}}),
                   {}};
    });
    const auto post = [this](const Context& ctx, std::string_view robot) {
      WebhookSink::Answer a = webhooks.post(robot, ctx.req.body());
      if (a.hold) return held_timeout(ctx);
      return json_reply(ctx, std::move(a.body));
    };
    add(verb::post, "/sim/webhook/{name}",
        [post](const Context& ctx) { return post(ctx, ctx.params.at("name")); });
    add(verb::post, "/wecom/cgi-bin/webhook/send", [post](const Context& ctx) {
      const std::string key = ctx.query("key").value_or("");
      if (key.empty())
        return json_reply(ctx, R"({"errcode":93000,"errmsg":"invalid webhook url"})");
      return post(ctx, key);
    });
  }

  // ---- WeChat Pay notify player ---------------------------------------------------------------

  void add_wechatpay_routes(const AddRoute& add) {
    // Delivery blocks (HTTP with retries), so it runs on the pool, never on an I/O thread.
    router.add(verb::post, "/sim/wechatpay/notify", http::Access::kPublic, http::Role::kViewer,
               [this](Context& ctx) { return wechatpay_notify(ctx); });
    add(verb::get, "/sim/wechatpay/platform_key", [this](const Context& ctx) {
      if (!wechatpay.enabled())
        return Reply{control_error(ctx, "WeChat Pay is not configured", "wechatpay"), {}};
      return Reply{
          http::json_response(ctx, status::ok,
                              json::object{{"serial", wechatpay.serial()},
                                           {"public_key_pem", wechatpay.public_key_pem()}}),
          {}};
    });
  }

  asio::awaitable<Response> wechatpay_notify(Context& ctx) {
    if (!wechatpay.enabled())
      co_return control_error(ctx,
                              "WeChat Pay is not configured (wechatpay_apiv3_key, "
                              "wechatpay_platform_private_key_pem, wechatpay_platform_serial)",
                              "wechatpay");
    auto parsed = WechatPayNotifier::parse_request(ctx.req.body());
    if (auto* e = std::get_if<WechatPayNotifier::RequestError>(&parsed))
      co_return control_error(ctx, e->message, e->field);
    WechatPayNotifier::Request request = std::get<WechatPayNotifier::Request>(std::move(parsed));
    auto task = http::on_pool(*pool, [this, request] {
      return wechatpay.deliver(
          request, [] { return wall_now_ms() / 1000; },
          [this](const std::string& url, const WechatPayNotifier::Signed& n) {
            net::HttpRequest req;
            req.url = url;
            req.body = n.body;
            for (const auto& [name, value] : n.headers) req.headers[name] = value;
            req.timeout = std::chrono::milliseconds(5000);  // WeChat Pay's limit (§1)
            const net::HttpResponse res = pay_client.send(req);
            return WechatPayNotifier::PostResult{res.status, res.error};
          },
          [this](std::chrono::milliseconds d) {
            std::unique_lock lock(mu);
            cv.wait_for(lock, d, [this] { return stopping.load(); });
          });
    });
    json::object report = co_await std::move(task);
    co_return http::json_response(ctx, status::ok, report);
  }

  // ---- Loggers (temperature.h): one thread per feed, like the blocking push thread ------------

  struct LoggerRun {
    std::uint64_t id = 0;
    LoggerFeed feed;
    FeedResult result;
    bool done = false;
    std::thread thread;
  };
  static constexpr std::size_t kMaxRunningLoggers = 32;
  static constexpr std::size_t kMaxLoggerRecords = 1000;

  Response loggers_post(const Context& ctx) {
    FeedRequestError error;
    std::optional<LoggerFeed> feed =
        parse_logger_feed(ctx.req.body(), wall_now_ms(), options.seed, &error);
    if (!feed) return control_error(ctx, error.message, error.field);
    std::lock_guard lock(loggers_mu);
    if (loggers_cancel)
      return http::error_response(ctx, status::service_unavailable, "unavailable", "stopping");
    // Forget the oldest finished feeds (their threads have ended: join is immediate).
    std::size_t running = 0;
    for (const LoggerRun& r : loggers) running += r.done ? 0 : 1;
    for (auto it = loggers.begin(); it != loggers.end() && loggers.size() >= kMaxLoggerRecords;) {
      if (!it->done) {
        ++it;
        continue;
      }
      if (it->thread.joinable()) it->thread.join();
      it = loggers.erase(it);
    }
    if (running >= kMaxRunningLoggers)
      return http::error_response(ctx, status::too_many_requests, "rate_limited",
                                  "too many logger feeds running");
    LoggerRun& run = loggers.emplace_back();
    run.id = ++logger_ids;
    run.feed = std::move(*feed);
    try {
      run.thread = std::thread([this, &run] {
        FeedControl control;
        control.cancel = &loggers_cancel;
        control.progress = [this, &run](const FeedResult& r) {
          std::lock_guard l(loggers_mu);
          run.result = r;
        };
        FeedResult r = push_feed(run.feed, control);
        std::lock_guard l(loggers_mu);
        run.result = std::move(r);
        run.done = true;
      });
    } catch (const std::system_error& e) {
      loggers.pop_back();
      return http::error_response(ctx, status::service_unavailable, "unavailable", e.what());
    }
    return http::json_response(ctx, status::accepted,
                               json::object{{"accepted", true}, {"id", run.id}});
  }

  json::object loggers_json() {
    std::lock_guard lock(loggers_mu);
    json::array feeds;
    for (const LoggerRun& r : loggers)
      feeds.push_back(json::object{{"id", r.id},
                                   {"shipment_id", r.feed.shipment_id},
                                   {"device_id", r.feed.device_id},
                                   {"profile", to_string(r.feed.profile)},
                                   {"state", r.done ? "done" : "running"},
                                   {"count", r.feed.count},
                                   {"batches_sent", r.result.batches_sent},
                                   {"readings_sent", r.result.readings_sent},
                                   {"failures", r.result.failures},
                                   {"last_status", r.result.last_status}});
    return json::object{{"feeds", std::move(feeds)}};
  }

  // Cancels the feeds (an attempt in flight finishes) and joins their threads.
  void stop_loggers() {
    std::vector<std::thread*> threads;
    {
      std::lock_guard lock(loggers_mu);
      loggers_cancel = true;  // loggers_post neither adds nor erases from now on
      for (LoggerRun& r : loggers) threads.push_back(&r.thread);
    }
    for (std::thread* t : threads)
      if (t->joinable()) t->join();
  }

  // ---- Members --------------------------------------------------------------------------------

  SimOptions options;
  WechatLogin wechat{options.wechat_appid, options.wechat_secret};
  SmsGateway sms{SmsGateway::Keys{options.aliyun_access_key_id, options.aliyun_access_key_secret,
                                  options.tencent_secret_id, options.tencent_secret_key,
                                  options.tencent_sms_sdk_app_id}};
  WebhookSink webhooks;
  WechatPayNotifier wechatpay{options.wechatpay_apiv3_key,
                              options.wechatpay_platform_private_key_pem,
                              options.wechatpay_platform_serial};
  net::HttpClient pay_client{net::HttpClient::Options{}};
  kdn::Protocol kdniao;
  kdn::Protocol kdniao_wrong;  // signs bad_signature pushes
  // The adapter's default (placeholder) query API name, the only msg_type answered.
  const std::string cainiao_query_msg_type = trim(cn::CainiaoMapping{}.query_msg_type);

  std::mutex mu;
  std::condition_variable cv;
  std::atomic<bool> stopping{false};
  bool wake = false;
  EpochMs wall_start = 0;
  std::chrono::steady_clock::time_point steady_start;
  EpochMs offset_ms = 0;
  std::map<std::string, Waybill> waybills;
  std::array<std::deque<Fault>, kProviderNames.size()> faults;
  std::array<Stats, kProviderNames.size()> stats{};
  std::deque<PushJob> jobs;
  std::uint64_t generation = 0;
  EpochMs kdniao_free_day = -1;
  int kdniao_free_calls = 0;
  std::mutex loggers_mu;
  std::list<LoggerRun> loggers;  // stable addresses: each thread holds its own record
  std::atomic<bool> loggers_cancel{false};
  std::uint64_t logger_ids = 0;

  http::Router router;
  http::Metrics metrics;
  std::unique_ptr<asio::thread_pool> pool;
  std::unique_ptr<http::Server> server;
  std::thread timer;
  unsigned short port = 0;
  bool started = false;
};

// ---- Simulator --------------------------------------------------------------------------------

Simulator::Simulator(SimOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Simulator::~Simulator() {
  stop();
}

unsigned short Simulator::start() {
  Impl& s = *impl_;
  if (s.started) return s.port;
  http::ServerOptions so;
  so.host = s.options.host;
  so.port = s.options.port;
  so.io_threads = std::max(1, s.options.io_threads);
  s.pool = std::make_unique<asio::thread_pool>(1);
  s.server = std::make_unique<http::Server>(so, s.router, nullptr, nullptr, *s.pool, s.metrics,
                                            wall_now_ms);
  s.port = s.server->start();
  s.stopping = false;
  s.loggers_cancel = false;
  s.timer = std::thread([&s] { s.run_timer(); });
  s.started = true;
  return s.port;
}

void Simulator::stop() {
  Impl& s = *impl_;
  if (!s.started) return;
  {
    std::lock_guard lock(s.mu);
    s.stopping = true;
  }
  s.loggers_cancel = true;  // feeds stop before their next attempt
  s.cv.notify_all();
  if (s.timer.joinable()) s.timer.join();
  s.server->drain(std::chrono::milliseconds(0));
  s.server->stop();
  s.pool->join();
  s.stop_loggers();  // after the server: no new feed can start
  s.server.reset();
  s.pool.reset();
  s.started = false;
}

unsigned short Simulator::port() const {
  return impl_->port;
}

std::string Simulator::base_url() const {
  const std::string host = impl_->options.host == "0.0.0.0" ? "127.0.0.1" : impl_->options.host;
  return fmt::format("http://{}:{}", host, impl_->port);
}

domain::EpochMs Simulator::now() const {
  std::lock_guard lock(impl_->mu);
  return impl_->now_locked();
}

void Simulator::advance(std::chrono::seconds by) {
  impl_->advance_ms(by.count() * 1000);
}

void Simulator::reset() {
  impl_->reset_state();
}

boost::json::object Simulator::stats() const {
  return impl_->stats_json();
}

int run_simulator(const SimOptions& options) {
  // Block the stop signals in every thread; this thread waits for them with sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  Simulator sim(options);
  sim.start();
  const std::string url = sim.base_url();
  std::cout << "coldtrack carrier simulator listening on " << url << "\n"
            << "  carriers.kdniao.query_url:        " << url
            << "/kdniao/Ebusiness/EbusinessOrderHandle.aspx\n"
            << "  carriers.kdniao.subscribe_url:    " << url << "/kdniao/api/dist\n"
            << "  carriers.kuaidi100.query_url:     " << url << "/kuaidi100/poll/query.do\n"
            << "  carriers.kuaidi100.subscribe_url: " << url << "/kuaidi100/poll\n"
            << "  carriers.cainiao.gateway_url:     " << url << "/cainiao/gateway/link.do\n"
            << "  wechat base_url:                  " << url << "/wechat\n"
            << "  sms aliyun endpoint:              " << url << "/aliyun-sms/\n"
            << "  sms tencent endpoint:             " << url << "/tencent-sms/\n"
            << "  staff webhook:                    " << url << "/sim/webhook/{name}\n"
            << "  control: " << url
            << "/sim/{faults,reset,stats,advance,loggers,wechat/*,sms/*,webhook/*,wechatpay/*}\n"
            << "  time scale " << options.time_scale << "x, seed " << options.seed << std::endl;
  if (options.kdniao_api_key.empty() || options.kuaidi100_key.empty())
    spdlog::warn("sim: a provider key is empty; every signed call to it will be refused");
  if (options.cainiao_app_key.empty() || options.cainiao_secret_key.empty())
    spdlog::warn("sim: the Cainiao app/secret key is empty; every Cainiao call will be refused");

  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("sim: received {}, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  sim.stop();
  return 0;
}

}  // namespace coldtrack::sim
