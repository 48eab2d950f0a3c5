#include "app/config.h"

#include "notify/policy.h"
#include "notify/template.h"

#include <unistd.h>  // environ

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <set>
#include <sstream>
#include <string_view>
#include <system_error>
#include <utility>
#include <variant>

#include "anomaly/rules.h"
#include "cache/redis_client.h"
#include "eta/eta.h"
#include "queue/amqp_url.h"
#include "store/mysql/url.h"

namespace coldtrack::app {
namespace {

// ---------------------------------------------------------------------------------------------
// The key table
// ---------------------------------------------------------------------------------------------

enum class Kind { kInt, kBool, kString, kEnum, kSize };

using Value = std::variant<std::int64_t, bool, std::string>;

// A string key's extra validation: returns an empty string if `value` is fine, otherwise a short
// reason appended to the error message (must never contain the value of a secret key).
using StringCheck = std::string (*)(const std::string& value);

struct Key {
  std::string_view path;
  Kind kind = Kind::kString;
  std::int64_t min = 0;                   // kInt, kSize
  std::int64_t max = 0;                   // kInt, kSize
  std::vector<std::string_view> choices;  // kEnum (lower case; matched case-insensitively)
  std::string expected;                   // kString: what a valid value looks like
  StringCheck check = nullptr;            // kString: optional validation
  bool secret = false;                    // never echo the value in error messages
  std::function<void(Config&, const Value&)> set;
};

Key int_key(std::string_view path, std::int64_t min, std::int64_t max, void (*set)(Config&, int)) {
  Key k;
  k.path = path;
  k.kind = Kind::kInt;
  k.min = min;
  k.max = max;
  k.set = [set](Config& c, const Value& v) { set(c, static_cast<int>(std::get<std::int64_t>(v))); };
  return k;
}

Key size_key(std::string_view path, std::int64_t min, std::int64_t max,
             void (*set)(Config&, std::size_t)) {
  Key k;
  k.path = path;
  k.kind = Kind::kSize;
  k.min = min;
  k.max = max;
  k.set = [set](Config& c, const Value& v) {
    set(c, static_cast<std::size_t>(std::get<std::int64_t>(v)));
  };
  return k;
}

Key bool_key(std::string_view path, void (*set)(Config&, bool)) {
  Key k;
  k.path = path;
  k.kind = Kind::kBool;
  k.set = [set](Config& c, const Value& v) { set(c, std::get<bool>(v)); };
  return k;
}

Key enum_key(std::string_view path, std::vector<std::string_view> choices,
             void (*set)(Config&, std::string)) {
  Key k;
  k.path = path;
  k.kind = Kind::kEnum;
  k.choices = std::move(choices);
  k.set = [set](Config& c, const Value& v) { set(c, std::get<std::string>(v)); };
  return k;
}

Key string_key(std::string_view path, std::string expected, StringCheck check,
               void (*set)(Config&, std::string), bool secret = false) {
  Key k;
  k.path = path;
  k.kind = Kind::kString;
  k.expected = std::move(expected);
  k.check = check;
  k.secret = secret;
  k.set = [set](Config& c, const Value& v) { set(c, std::get<std::string>(v)); };
  return k;
}

// --- string checks ---------------------------------------------------------------------------

std::string check_apiv3_key(const std::string& v) {
  if (v.empty() || v.size() == 32) return "";
  return "got " + std::to_string(v.size()) + " characters (value not shown)";
}

std::string check_notify_rules(const std::string& v) {
  if (v.empty()) return "";
  auto parsed = notify::parse_rules(v);
  if (auto* e = std::get_if<std::string>(&parsed)) return *e;
  return "";
}

std::string check_template_fields(const std::string& v) {
  auto fields = app::parse_template_fields(v);
  if (auto* e = std::get_if<std::string>(&fields)) return *e;
  auto def = notify::define_template(
      "check", std::get<std::vector<std::pair<std::string, std::string>>>(fields));
  if (auto* e = std::get_if<std::string>(&def)) return *e;
  for (const auto& f : std::get<notify::TemplateDef>(def).fields) {
    static const std::set<std::string> kValues = {"order_no", "status", "text", "time", "date"};
    if (!kValues.count(f.source)) return "unknown value \"" + f.source + "\" for " + f.key;
  }
  return "";
}

std::string check_service_levels(const std::string& v) {
  auto levels = eta::ServiceLevels::defaults();
  auto err = levels.apply(v);
  return err ? *err : "";
}

std::string check_activation_energy(const std::string& v) {
  double d = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
  if (ec != std::errc() || p != v.data() + v.size() || !(d >= 10 && d <= 500))
    return "it is not a number from 10 to 500";
  return "";
}

std::string check_anomaly_overrides(const std::string& v) {
  auto err = anomaly::check_overrides(v);
  return err ? *err : "";
}

std::string check_any(const std::string&) {
  return "";
}

std::string check_non_empty(const std::string& v) {
  return v.empty() ? "it is empty" : "";
}

std::string check_data_key(const std::string& v) {
  if (v.empty()) return "";
  if (v.size() != 64) return "got " + std::to_string(v.size()) + " characters (value not shown)";
  for (unsigned char ch : v) {
    if (!std::isxdigit(ch)) return "it contains a non-hex character (value not shown)";
  }
  return "";
}

std::optional<int> parse_port(std::string_view s) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  int port = 0;
  for (char ch : s) {
    if (ch < '0' || ch > '9') return std::nullopt;
    port = port * 10 + (ch - '0');
  }
  if (port > 65535) return std::nullopt;
  return port;
}

std::string check_listen(const std::string& v) {
  if (v.empty()) return "";
  auto colon = v.rfind(':');
  if (colon == std::string::npos) return "the port is missing";
  std::string_view host(v.data(), colon);
  if (host.empty()) return "the host is missing";
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return "the bracketed IPv6 host is malformed";
  } else if (host.find(':') != std::string_view::npos) {
    return "an IPv6 host must be written in brackets, e.g. [::1]:9090";
  }
  if (!parse_port(std::string_view(v).substr(colon + 1))) return "the port is not in 0..65535";
  return "";
}

// The URL may carry a password, so the reason never quotes it (parse_redis_url guarantees that).
std::string check_redis_url(const std::string& v) {
  auto parsed = cache::parse_redis_url(v);
  if (auto* e = std::get_if<std::string>(&parsed)) return *e;
  return "";
}

// The URL may carry a password: parse_mysql_url never quotes it in its message.
std::string check_mysql_url(const std::string& v) {
  try {
    store::mysql::parse_mysql_url(v);
    return "";
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
}

std::string check_amqp_url(const std::string& v) {
  auto parsed = queue::parse_amqp_url(v);
  if (auto* e = std::get_if<std::string>(&parsed)) return *e;
  return "";
}

std::string check_time_zone(const std::string& v) {
  return parse_time_zone(v) ? "" : "it is not a supported time zone";
}

// --- the table -------------------------------------------------------------------------------

const std::vector<Key>& table() {
  static const std::vector<Key> keys = [] {
    std::vector<Key> t;
    // server
    t.push_back(string_key("server.host", "a non-empty host name or address", check_non_empty,
                           [](Config& c, std::string v) { c.server.host = std::move(v); }));
    t.push_back(int_key("server.port", 0, 65535, [](Config& c, int v) { c.server.port = v; }));
    t.push_back(
        int_key("server.io_threads", 1, 64, [](Config& c, int v) { c.server.io_threads = v; }));
    t.push_back(int_key("server.worker_threads", 1, 256,
                        [](Config& c, int v) { c.server.worker_threads = v; }));
    t.push_back(int_key("server.read_threads", 0, 256,
                        [](Config& c, int v) { c.server.read_threads = v; }));
    t.push_back(string_key(
        "server.metrics_listen", "an empty string or host:port with a port in 0..65535",
        check_listen, [](Config& c, std::string v) { c.server.metrics_listen = std::move(v); }));
    t.push_back(int_key("server.metrics_gauges_s", 1, 3600,
                        [](Config& c, int v) { c.server.metrics_gauges_s = v; }));
    t.push_back(size_key("server.max_body_bytes", std::int64_t{1} << 10, std::int64_t{64} << 20,
                         [](Config& c, std::size_t v) { c.server.max_body_bytes = v; }));
    t.push_back(int_key("server.header_timeout_s", 1, 3600,
                        [](Config& c, int v) { c.server.header_timeout_s = v; }));
    t.push_back(int_key("server.idle_timeout_s", 1, 3600,
                        [](Config& c, int v) { c.server.idle_timeout_s = v; }));
    t.push_back(int_key("server.shutdown_grace_s", 0, 600,
                        [](Config& c, int v) { c.server.shutdown_grace_s = v; }));
    // store
    t.push_back(enum_key("store.backend", {"sqlite", "mysql"},
                         [](Config& c, std::string v) { c.store.backend = std::move(v); }));
    t.push_back(string_key("store.sqlite.path", "a non-empty file path", check_non_empty,
                           [](Config& c, std::string v) { c.store.sqlite.path = std::move(v); }));
    t.push_back(
        enum_key("store.sqlite.synchronous", {"full", "normal"},
                 [](Config& c, std::string v) { c.store.sqlite.synchronous = std::move(v); }));
    t.push_back(int_key("store.sqlite.busy_timeout_ms", 0, 600000,
                        [](Config& c, int v) { c.store.sqlite.busy_timeout_ms = v; }));
    t.push_back(int_key("store.sqlite.mmap_mb", 0, 2048,
                        [](Config& c, int v) { c.store.sqlite.mmap_mb = v; }));
    t.push_back(string_key(
        "store.mysql.url", "a URL mysql://user:password@host[:port]/database[?socket=path]",
        check_mysql_url, [](Config& c, std::string v) { c.store.mysql.url = std::move(v); },
        /*secret=*/true));
    t.push_back(int_key("store.mysql.pool_size", 1, 256,
                        [](Config& c, int v) { c.store.mysql.pool_size = v; }));
    t.push_back(int_key("store.mysql.connect_timeout_ms", 100, 60000,
                        [](Config& c, int v) { c.store.mysql.connect_timeout_ms = v; }));
    t.push_back(int_key("store.mysql.rw_timeout_ms", 1000, 600000,
                        [](Config& c, int v) { c.store.mysql.rw_timeout_ms = v; }));
    // security
    t.push_back(string_key(
        "security.data_key", "an empty string or exactly 64 hex characters (a 32-byte key)",
        check_data_key, [](Config& c, std::string v) { c.security.data_key = std::move(v); },
        /*secret=*/true));
    t.push_back(int_key("security.signature_window_s", 1, 3600,
                        [](Config& c, int v) { c.security.signature_window_s = v; }));
    // archive
    t.push_back(bool_key("archive.enabled", [](Config& c, bool v) { c.archive.enabled = v; }));
    t.push_back(int_key("archive.after_days", 1, 36500,
                        [](Config& c, int v) { c.archive.after_days = v; }));
    t.push_back(int_key("archive.interval_s", 10, 604800,
                        [](Config& c, int v) { c.archive.interval_s = v; }));
    t.push_back(int_key("archive.batch_size", 1, 100000,
                        [](Config& c, int v) { c.archive.batch_size = v; }));
    // track
    t.push_back(int_key("track.rate_limit_per_minute", 1, 100000,
                        [](Config& c, int v) { c.track.rate_limit_per_minute = v; }));
    // log
    t.push_back(enum_key("log.level", {"trace", "debug", "info", "warn", "error", "off"},
                         [](Config& c, std::string v) { c.log.level = std::move(v); }));
    t.push_back(enum_key("log.format", {"text", "json"},
                         [](Config& c, std::string v) { c.log.format = std::move(v); }));
    // carriers
    t.push_back(string_key(
        "carriers.kdniao.ebusiness_id", "a string", nullptr,
        [](Config& c, std::string v) { c.carriers.kdniao.ebusiness_id = std::move(v); }));
    t.push_back(string_key(
        "carriers.kdniao.api_key", "a string", nullptr,
        [](Config& c, std::string v) { c.carriers.kdniao.api_key = std::move(v); }, true));
    t.push_back(
        string_key("carriers.kdniao.query_url", "a non-empty URL", check_non_empty,
                   [](Config& c, std::string v) { c.carriers.kdniao.query_url = std::move(v); }));
    t.push_back(string_key(
        "carriers.kdniao.subscribe_url", "a non-empty URL", check_non_empty,
        [](Config& c, std::string v) { c.carriers.kdniao.subscribe_url = std::move(v); }));
    t.push_back(enum_key(
        "carriers.kdniao.query_request_type", {"1002", "8001", "8002"},
        [](Config& c, std::string v) { c.carriers.kdniao.query_request_type = std::move(v); }));
    t.push_back(enum_key(
        "carriers.kdniao.subscribe_request_type", {"1008", "8008"},
        [](Config& c, std::string v) { c.carriers.kdniao.subscribe_request_type = std::move(v); }));
    t.push_back(
        string_key("carriers.kuaidi100.customer", "a string", nullptr,
                   [](Config& c, std::string v) { c.carriers.kuaidi100.customer = std::move(v); }));
    t.push_back(string_key(
        "carriers.kuaidi100.key", "a string", nullptr,
        [](Config& c, std::string v) { c.carriers.kuaidi100.key = std::move(v); }, true));
    t.push_back(string_key(
        "carriers.kuaidi100.salt", "a string", nullptr,
        [](Config& c, std::string v) { c.carriers.kuaidi100.salt = std::move(v); }, true));
    t.push_back(string_key(
        "carriers.kuaidi100.query_url", "a non-empty URL", check_non_empty,
        [](Config& c, std::string v) { c.carriers.kuaidi100.query_url = std::move(v); }));
    t.push_back(string_key(
        "carriers.kuaidi100.subscribe_url", "a non-empty URL", check_non_empty,
        [](Config& c, std::string v) { c.carriers.kuaidi100.subscribe_url = std::move(v); }));
    t.push_back(string_key(
        "carriers.cainiao.gateway_url", "a non-empty URL", check_non_empty,
        [](Config& c, std::string v) { c.carriers.cainiao.gateway_url = std::move(v); }));
    t.push_back(
        string_key("carriers.cainiao.app_key", "a string", nullptr,
                   [](Config& c, std::string v) { c.carriers.cainiao.app_key = std::move(v); }));
    t.push_back(string_key(
        "carriers.cainiao.secret_key", "a string", nullptr,
        [](Config& c, std::string v) { c.carriers.cainiao.secret_key = std::move(v); }, true));
    t.push_back(
        string_key("carriers.callback_base_url", "a string", nullptr,
                   [](Config& c, std::string v) { c.carriers.callback_base_url = std::move(v); }));
    // tracking
    t.push_back(bool_key("tracking.enabled", [](Config& c, bool v) { c.tracking.enabled = v; }));
    t.push_back(
        int_key("tracking.tick_ms", 50, 600000, [](Config& c, int v) { c.tracking.tick_ms = v; }));
    t.push_back(enum_key("tracking.provider", {"kdniao", "kuaidi100", "cainiao"},
                         [](Config& c, std::string v) { c.tracking.provider = std::move(v); }));
    t.push_back(
        enum_key("tracking.fallback_provider", {"none", "kdniao", "kuaidi100", "cainiao"},
                 [](Config& c, std::string v) { c.tracking.fallback_provider = std::move(v); }));
    t.push_back(int_key("tracking.rate_limit_per_minute", 1, 1000000,
                        [](Config& c, int v) { c.tracking.rate_limit_per_minute = v; }));
    t.push_back(int_key("tracking.breaker_threshold", 1, 1000,
                        [](Config& c, int v) { c.tracking.breaker_threshold = v; }));
    t.push_back(int_key("tracking.breaker_open_s", 1, 86400,
                        [](Config& c, int v) { c.tracking.breaker_open_s = v; }));
    t.push_back(int_key("tracking.freshness_s", 1, 86400,
                        [](Config& c, int v) { c.tracking.freshness_s = v; }));
    t.push_back(int_key("tracking.quiet_in_transit_s", 1, 604800,
                        [](Config& c, int v) { c.tracking.quiet_in_transit_s = v; }));
    t.push_back(int_key("tracking.quiet_near_delivery_s", 1, 604800,
                        [](Config& c, int v) { c.tracking.quiet_near_delivery_s = v; }));
    t.push_back(int_key("tracking.unsubscribed_s", 1, 604800,
                        [](Config& c, int v) { c.tracking.unsubscribed_s = v; }));
    t.push_back(int_key("tracking.no_info_s", 1, 604800,
                        [](Config& c, int v) { c.tracking.no_info_s = v; }));
    t.push_back(int_key("tracking.exception_retry_s", 1, 604800,
                        [](Config& c, int v) { c.tracking.exception_retry_s = v; }));
    // delivery-time prediction
    t.push_back(string_key("eta.origin_city", "a city name such as 上海市", check_non_empty,
                           [](Config& c, std::string v) { c.eta.origin_city = std::move(v); }));
    t.push_back(string_key("eta.service_levels", "carrier nominal days such as \"SF=1-2,ZTO=2-4\"",
                           check_service_levels,
                           [](Config& c, std::string v) { c.eta.service_levels = std::move(v); }));
    t.push_back(int_key("eta.min_lane_samples", 1, 100000,
                        [](Config& c, int v) { c.eta.min_lane_samples = v; }));
    t.push_back(int_key("eta.cutoff_hour", 0, 23, [](Config& c, int v) { c.eta.cutoff_hour = v; }));
    t.push_back(
        int_key("eta.refresh_s", 10, 604800, [](Config& c, int v) { c.eta.refresh_s = v; }));
    t.push_back(
        int_key("eta.history_days", 1, 3650, [](Config& c, int v) { c.eta.history_days = v; }));
    // anomaly detection
    t.push_back(bool_key("anomalies.enabled", [](Config& c, bool v) { c.anomalies.enabled = v; }));
    t.push_back(int_key("anomalies.sweep_interval_s", 1, 86400,
                        [](Config& c, int v) { c.anomalies.sweep_interval_s = v; }));
    t.push_back(string_key(
        "anomalies.overrides",
        "rule overrides such as \"frozen.no_update_h=8,SF.pickup_h=24\" (rules: no_update_h, "
        "pickup_h, not_signed_h, late_grace_h, ship_promise_h)",
        check_anomaly_overrides,
        [](Config& c, std::string v) { c.anomalies.overrides = std::move(v); }));
    // cold chain
    t.push_back(int_key("cold_chain.max_future_s", 0, 86400,
                        [](Config& c, int v) { c.cold_chain.max_future_s = v; }));
    t.push_back(string_key(
        "cold_chain.mkt_activation_energy_kj",
        "an activation energy in kJ/mol from 10 to 500, e.g. 83.144", check_activation_energy,
        [](Config& c, std::string v) { c.cold_chain.mkt_activation_energy_kj = std::stod(v); }));
    // WeChat
    t.push_back(string_key("wechat.appid", "a mini-program appid such as wx0123456789abcdef",
                           nullptr,
                           [](Config& c, std::string v) { c.wechat.appid = std::move(v); }));
    t.push_back(string_key(
        "wechat.secret", "the mini-program's AppSecret", nullptr,
        [](Config& c, std::string v) { c.wechat.secret = std::move(v); }, true));
    t.push_back(string_key("wechat.api_base_url", "a URL such as https://api.weixin.qq.com",
                           check_non_empty,
                           [](Config& c, std::string v) { c.wechat.api_base_url = std::move(v); }));
    t.push_back(int_key("wechat.session_ttl_s", 60, 31536000,
                        [](Config& c, int v) { c.wechat.session_ttl_s = v; }));
    t.push_back(string_key("wechatpay.mchid", "a merchant id", nullptr,
                           [](Config& c, std::string v) { c.wechatpay.mchid = std::move(v); }));
    t.push_back(string_key(
        "wechatpay.apiv3_key", "the 32-character APIv3 key", check_apiv3_key,
        [](Config& c, std::string v) { c.wechatpay.apiv3_key = std::move(v); }, true));
    t.push_back(
        string_key("wechatpay.platform_serial", "the platform key's serial", nullptr,
                   [](Config& c, std::string v) { c.wechatpay.platform_serial = std::move(v); }));
    t.push_back(string_key(
        "wechatpay.platform_public_key_file", "a path to WeChat Pay's public key (PEM)", nullptr,
        [](Config& c, std::string v) { c.wechatpay.platform_public_key_file = std::move(v); }));
    // notify
    t.push_back(bool_key("notify.enabled", [](Config& c, bool v) { c.notify.enabled = v; }));
    t.push_back(
        int_key("notify.tick_ms", 50, 600000, [](Config& c, int v) { c.notify.tick_ms = v; }));
    t.push_back(int_key("notify.lease_s", 5, 3600, [](Config& c, int v) { c.notify.lease_s = v; }));
    t.push_back(int_key("notify.send_timeout_ms", 100, 60000,
                        [](Config& c, int v) { c.notify.send_timeout_ms = v; }));
    t.push_back(int_key("notify.max_attempts", 1, 100,
                        [](Config& c, int v) { c.notify.max_attempts = v; }));
    t.push_back(int_key("notify.backoff_base_s", 1, 3600,
                        [](Config& c, int v) { c.notify.backoff_base_s = v; }));
    t.push_back(string_key(
        "notify.rules",
        "rules like order.SHIPPED=customer:wechat+sms,anomaly.opened=staff:webhook!@major",
        check_notify_rules, [](Config& c, std::string v) { c.notify.rules = std::move(v); }));
    t.push_back(int_key("notify.quiet_start_hour", 0, 23,
                        [](Config& c, int v) { c.notify.quiet_start_hour = v; }));
    t.push_back(int_key("notify.quiet_end_hour", 0, 23,
                        [](Config& c, int v) { c.notify.quiet_end_hour = v; }));
    t.push_back(int_key("notify.max_per_recipient_per_hour", 0, 1000,
                        [](Config& c, int v) { c.notify.max_per_recipient_per_hour = v; }));
    t.push_back(int_key("notify.digest_window_s", 0, 86400,
                        [](Config& c, int v) { c.notify.digest_window_s = v; }));
    t.push_back(int_key("notify.max_event_age_h", 0, 8760,
                        [](Config& c, int v) { c.notify.max_event_age_h = v; }));
    t.push_back(int_key("notify.reminder_lead_min", 1, 1440,
                        [](Config& c, int v) { c.notify.reminder_lead_min = v; }));
    t.push_back(string_key(
        "notify.staff_webhook_url",
        "a URL such as https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...", nullptr,
        [](Config& c, std::string v) { c.notify.staff_webhook_url = std::move(v); }, true));
    t.push_back(
        string_key("notify.wechat.template_id", "a subscribe-message template id", nullptr,
                   [](Config& c, std::string v) { c.notify.wechat.template_id = std::move(v); }));
    t.push_back(string_key(
        "notify.wechat.template_fields",
        "key=value pairs such as character_string1=order_no,thing3=text (values: order_no, status, "
        "text, time, date)",
        check_template_fields,
        [](Config& c, std::string v) { c.notify.wechat.template_fields = std::move(v); }));
    t.push_back(string_key("notify.wechat.page", "a mini-program page path", nullptr,
                           [](Config& c, std::string v) { c.notify.wechat.page = std::move(v); }));
    t.push_back(bool_key("notify.wechat.upload_shipping",
                         [](Config& c, bool v) { c.notify.wechat.upload_shipping = v; }));
    t.push_back(enum_key("notify.wechat.state", {"formal", "trial", "developer"},
                         [](Config& c, std::string v) { c.notify.wechat.state = std::move(v); }));
    t.push_back(enum_key("notify.sms.provider", {"none", "aliyun", "tencent"},
                         [](Config& c, std::string v) { c.notify.sms.provider = std::move(v); }));
    t.push_back(
        string_key("notify.sms.aliyun.endpoint", "a non-empty URL", check_non_empty,
                   [](Config& c, std::string v) { c.notify.sms.aliyun.endpoint = std::move(v); }));
    t.push_back(string_key(
        "notify.sms.aliyun.access_key_id", "a string", nullptr,
        [](Config& c, std::string v) { c.notify.sms.aliyun.access_key_id = std::move(v); }));
    t.push_back(string_key(
        "notify.sms.aliyun.access_key_secret", "a string", nullptr,
        [](Config& c, std::string v) { c.notify.sms.aliyun.access_key_secret = std::move(v); },
        true));
    t.push_back(
        string_key("notify.sms.aliyun.sign_name", "the approved SMS signature", nullptr,
                   [](Config& c, std::string v) { c.notify.sms.aliyun.sign_name = std::move(v); }));
    t.push_back(string_key(
        "notify.sms.aliyun.template_code", "a template code such as SMS_71390007", nullptr,
        [](Config& c, std::string v) { c.notify.sms.aliyun.template_code = std::move(v); }));
    t.push_back(
        string_key("notify.sms.tencent.endpoint", "a non-empty URL", check_non_empty,
                   [](Config& c, std::string v) { c.notify.sms.tencent.endpoint = std::move(v); }));
    t.push_back(string_key(
        "notify.sms.tencent.secret_id", "a string", nullptr,
        [](Config& c, std::string v) { c.notify.sms.tencent.secret_id = std::move(v); }));
    t.push_back(string_key(
        "notify.sms.tencent.secret_key", "a string", nullptr,
        [](Config& c, std::string v) { c.notify.sms.tencent.secret_key = std::move(v); }, true));
    t.push_back(
        string_key("notify.sms.tencent.region", "a region such as ap-guangzhou", check_non_empty,
                   [](Config& c, std::string v) { c.notify.sms.tencent.region = std::move(v); }));
    t.push_back(string_key(
        "notify.sms.tencent.sms_sdk_app_id", "an SmsSdkAppId such as 1400006666", nullptr,
        [](Config& c, std::string v) { c.notify.sms.tencent.sms_sdk_app_id = std::move(v); }));
    t.push_back(string_key(
        "notify.sms.tencent.sign_name", "the approved SMS signature", nullptr,
        [](Config& c, std::string v) { c.notify.sms.tencent.sign_name = std::move(v); }));
    t.push_back(string_key(
        "notify.sms.tencent.template_id", "a template id such as 1110", nullptr,
        [](Config& c, std::string v) { c.notify.sms.tencent.template_id = std::move(v); }));
    // cache
    t.push_back(enum_key("cache.backend", {"memory", "redis"},
                         [](Config& c, std::string v) { c.cache.backend = std::move(v); }));
    t.push_back(string_key(
        "cache.redis.url", "a URL redis://[[user]:password@]host[:port][/db]", check_redis_url,
        [](Config& c, std::string v) { c.cache.redis.url = std::move(v); }, /*secret=*/true));
    t.push_back(
        string_key("cache.redis.key_prefix", "a string", nullptr,
                   [](Config& c, std::string v) { c.cache.redis.key_prefix = std::move(v); }));
    t.push_back(int_key("cache.redis.timeout_ms", 10, 60000,
                        [](Config& c, int v) { c.cache.redis.timeout_ms = v; }));
    t.push_back(
        bool_key("cache.views.enabled", [](Config& c, bool v) { c.cache.views.enabled = v; }));
    t.push_back(
        int_key("cache.views.ttl_s", 1, 86400, [](Config& c, int v) { c.cache.views.ttl_s = v; }));
    t.push_back(int_key("cache.responses.max_age_ms", -1, 60000,
                        [](Config& c, int v) { c.cache.responses.max_age_ms = v; }));
    t.push_back(int_key("cache.responses.max_mb", 1, 4096,
                        [](Config& c, int v) { c.cache.responses.max_mb = v; }));
    // queue
    t.push_back(enum_key("queue.backend", {"memory", "rabbitmq"},
                         [](Config& c, std::string v) { c.queue.backend = std::move(v); }));
    t.push_back(string_key(
        "queue.rabbitmq.url", "a URL amqp://user:password@host[:port][/vhost]", check_amqp_url,
        [](Config& c, std::string v) { c.queue.rabbitmq.url = std::move(v); }, /*secret=*/true));
    t.push_back(
        string_key("queue.rabbitmq.exchange", "an exchange name", check_non_empty,
                   [](Config& c, std::string v) { c.queue.rabbitmq.exchange = std::move(v); }));
    t.push_back(int_key("queue.relay_interval_ms", 50, 600000,
                        [](Config& c, int v) { c.queue.relay_interval_ms = v; }));
    t.push_back(bool_key("queue.consumers.enabled",
                         [](Config& c, bool v) { c.queue.consumers.enabled = v; }));
    t.push_back(int_key("queue.consumers.prefetch", 1, 1000,
                        [](Config& c, int v) { c.queue.consumers.prefetch = v; }));
    t.push_back(int_key("queue.consumer_grace_s", 0, 86400,
                        [](Config& c, int v) { c.queue.consumer_grace_s = v; }));
    // display
    t.push_back(string_key(
        "display.time_zone",
        "a time zone: Asia/Shanghai, Asia/Hong_Kong, Asia/Taipei, UTC, Etc/UTC or a fixed "
        "+HH:MM/-HH:MM offset in -14:00..+14:00",
        check_time_zone, [](Config& c, std::string v) {
          c.display.utc_offset_minutes = *parse_time_zone(v);
          c.display.time_zone = std::move(v);
        }));
    // staff
    t.push_back(int_key("staff.session_ttl_h", 1, 720,
                        [](Config& c, int v) { c.staff.session_ttl_h = v; }));
    t.push_back(int_key("staff.max_failed_logins", 1, 100,
                        [](Config& c, int v) { c.staff.max_failed_logins = v; }));
    t.push_back(
        int_key("staff.lockout_min", 1, 1440, [](Config& c, int v) { c.staff.lockout_min = v; }));
    t.push_back(int_key("staff.login_rate_per_minute", 1, 10000,
                        [](Config& c, int v) { c.staff.login_rate_per_minute = v; }));
    // web
    t.push_back(string_key("web.h5_dir", "a directory path, or empty to serve no H5 page",
                           check_any,
                           [](Config& c, std::string v) { c.web.h5_dir = std::move(v); }));
    t.push_back(string_key("web.console_dir", "a directory path, or empty to serve no console",
                           check_any,
                           [](Config& c, std::string v) { c.web.console_dir = std::move(v); }));
    return t;
  }();
  return keys;
}

const Key* find_key(std::string_view path) {
  for (const Key& k : table()) {
    if (k.path == path) return &k;
  }
  return nullptr;
}

// True if `path` is a section (a proper prefix of some key, at a '.' boundary).
bool is_section(std::string_view path) {
  for (const Key& k : table()) {
    if (k.path.size() > path.size() && k.path.starts_with(path) && k.path[path.size()] == '.') {
      return true;
    }
  }
  return false;
}

std::string env_name(std::string_view path) {
  std::string name = "COLDTRACK_";
  for (char ch : path) {
    name += ch == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  }
  return name;
}

// ---------------------------------------------------------------------------------------------
// Value parsing
// ---------------------------------------------------------------------------------------------

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// The value quoted for an error message: escaped and shortened.
std::string quote(std::string_view s) {
  constexpr std::size_t kMax = 80;
  std::string out = "\"";
  std::size_t n = 0;
  for (unsigned char ch : s) {
    if (n++ == kMax) {
      out += "...";
      break;
    }
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += static_cast<char>(ch);
    } else if (ch < 0x20 || ch == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[ch >> 4];
      out += kHex[ch & 0xf];
    } else {
      out += static_cast<char>(ch);
    }
  }
  out += '"';
  return out;
}

std::string format_size(std::int64_t n) {
  constexpr std::int64_t kKiB = 1024, kMiB = kKiB * 1024, kGiB = kMiB * 1024;
  if (n != 0 && n % kGiB == 0) return std::to_string(n / kGiB) + "GiB";
  if (n != 0 && n % kMiB == 0) return std::to_string(n / kMiB) + "MiB";
  if (n != 0 && n % kKiB == 0) return std::to_string(n / kKiB) + "KiB";
  return std::to_string(n);
}

std::string describe(const Key& k) {
  switch (k.kind) {
    case Kind::kInt:
      return "an integer in " + std::to_string(k.min) + ".." + std::to_string(k.max);
    case Kind::kBool:
      return "a boolean (true/false, yes/no, 1/0)";
    case Kind::kSize:
      return "a size in " + format_size(k.min) + ".." + format_size(k.max) +
             " (a byte count, optionally with a KiB/MiB/GiB suffix)";
    case Kind::kEnum: {
      std::string out = k.choices.size() == 1 ? "" : "one of ";
      for (std::size_t i = 0; i < k.choices.size(); ++i) {
        if (i) out += '|';
        out += k.choices[i];
      }
      return k.choices.size() == 1 ? quote(out) : out;
    }
    case Kind::kString:
      return k.expected;
  }
  return "";
}

std::optional<std::int64_t> parse_int(std::string_view s) {
  s = trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<std::int64_t> parse_size(std::string_view s) {
  s = trim(s);
  std::size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  if (digits == 0) return std::nullopt;
  std::int64_t n = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + digits, n);
  if (ec != std::errc()) return std::nullopt;
  const std::string unit = lower(trim(s.substr(digits)));
  std::int64_t mult = 1;
  if (unit.empty() || unit == "b") {
    mult = 1;
  } else if (unit == "k" || unit == "kb" || unit == "kib") {
    mult = std::int64_t{1} << 10;
  } else if (unit == "m" || unit == "mb" || unit == "mib") {
    mult = std::int64_t{1} << 20;
  } else if (unit == "g" || unit == "gb" || unit == "gib") {
    mult = std::int64_t{1} << 30;
  } else {
    return std::nullopt;
  }
  if (n > std::numeric_limits<std::int64_t>::max() / mult) return std::nullopt;
  return n * mult;
}

std::optional<bool> parse_bool(std::string_view s) {
  const std::string v = lower(trim(s));
  if (v == "true" || v == "yes" || v == "1") return true;
  if (v == "false" || v == "no" || v == "0") return false;
  return std::nullopt;
}

// Parses and validates `raw` for key `k` and stores it in `c`. `origin` is appended to error
// messages (e.g. " (from COLDTRACK_SERVER_PORT)").
void apply(const Key& k, Config& c, const std::string& raw, const std::string& origin) {
  auto fail = [&](const std::string& extra = "") -> void {
    std::string msg = "expected " + describe(k);
    if (k.secret) {
      msg += extra.empty() ? "" : "; " + extra;
    } else {
      msg += ", got " + quote(raw);
      if (!extra.empty()) msg += " (" + extra + ")";
    }
    throw ConfigError(std::string(k.path), msg + origin);
  };
  switch (k.kind) {
    case Kind::kInt: {
      auto v = parse_int(raw);
      if (!v || *v < k.min || *v > k.max) fail();
      k.set(c, *v);
      return;
    }
    case Kind::kSize: {
      auto v = parse_size(raw);
      if (!v || *v < k.min || *v > k.max) fail();
      k.set(c, *v);
      return;
    }
    case Kind::kBool: {
      auto v = parse_bool(raw);
      if (!v) fail();
      k.set(c, Value(std::in_place_type<bool>, *v));
      return;
    }
    case Kind::kEnum: {
      const std::string v = lower(trim(raw));
      for (std::string_view choice : k.choices) {
        if (v == choice) {
          k.set(c, std::string(choice));
          return;
        }
      }
      fail();
      return;
    }
    case Kind::kString: {
      if (k.check) {
        if (std::string why = k.check(raw); !why.empty()) fail(why);
      }
      k.set(c, raw);
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// YAML
// ---------------------------------------------------------------------------------------------

std::string node_kind(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Null:
      return "null";
    case YAML::NodeType::Scalar:
      return quote(n.Scalar());
    default:
      return "nothing";
  }
}

void apply_map(const YAML::Node& map, const std::string& prefix, Config& c) {
  std::set<std::string> seen;
  for (const auto& entry : map) {
    const YAML::Node& key_node = entry.first;
    const YAML::Node& value = entry.second;
    if (!key_node.IsScalar()) {
      throw ConfigError(prefix, "map keys must be plain names, got " + node_kind(key_node));
    }
    const std::string& name = key_node.Scalar();
    const std::string path = prefix.empty() ? name : prefix + "." + name;
    // Keys are nested maps only: a dotted name like "server.port" at the top level is not a key.
    const bool plain = !name.empty() && name.find('.') == std::string::npos;
    const Key* key = plain ? find_key(path) : nullptr;
    const bool section = plain && !key && is_section(path);
    if (!key && !section) throw ConfigError(path, "unknown key");
    if (!seen.insert(name).second) throw ConfigError(path, "duplicate key");

    if (section) {
      if (value.IsNull()) continue;  // "server:" with nothing under it
      if (!value.IsMap()) {
        throw ConfigError(path, "expected a map of settings, got " + node_kind(value));
      }
      apply_map(value, path, c);
      continue;
    }
    if (value.IsNull()) {
      // An empty value is an empty string for string keys and an error for everything else.
      if (key->kind == Kind::kString) {
        apply(*key, c, "", "");
        continue;
      }
      throw ConfigError(path, "expected " + describe(*key) + ", got no value");
    }
    if (!value.IsScalar()) {
      throw ConfigError(path, "expected " + describe(*key) + ", got " + node_kind(value));
    }
    apply(*key, c, value.Scalar(), "");
  }
}

void apply_file(const std::string& file, Config& c) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) {
    throw ConfigError("", "cannot read config file \"" + file + "\": it is a directory");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw ConfigError(
        "", "cannot read config file \"" + file + "\": " + std::generic_category().message(errno));
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) throw ConfigError("", "cannot read config file \"" + file + "\"");

  YAML::Node root;
  try {
    root = YAML::Load(buf.str());
  } catch (const YAML::Exception& e) {
    throw ConfigError("", "config file \"" + file + "\" is not valid YAML: " + e.what());
  }
  if (!root || root.IsNull()) return;  // empty file (or only comments): all defaults
  if (!root.IsMap()) {
    throw ConfigError(
        "", "config file \"" + file + "\": the top level must be a map, got " + node_kind(root));
  }
  try {
    apply_map(root, "", c);
  } catch (const ConfigError& e) {
    if (!e.key.empty()) throw;
    throw ConfigError("", "config file \"" + file + "\": " + e.what());
  } catch (const YAML::Exception& e) {
    throw ConfigError("", "config file \"" + file + "\": " + e.what());
  }
}

// ---------------------------------------------------------------------------------------------
// Environment
// ---------------------------------------------------------------------------------------------

constexpr std::string_view kEnvPrefix = "COLDTRACK_";

bool is_client_variable(std::string_view name) {
  return name == "COLDTRACK_API_KEY" || name == "COLDTRACK_API_SECRET" || name == "COLDTRACK_URL";
}

void apply_env(const std::map<std::string, std::string>& env, Config& c) {
  for (const auto& [name, value] : env) {
    if (!name.starts_with(kEnvPrefix) || is_client_variable(name)) continue;
    const Key* key = nullptr;
    for (const Key& k : table()) {
      if (env_name(k.path) == name) {
        key = &k;
        break;
      }
    }
    if (!key) throw ConfigError(name, "unknown environment variable (no such configuration key)");
    apply(*key, c, value, " (from " + name + ")");
  }
}

}  // namespace

Config load_config(const std::optional<std::string>& file,
                   const std::map<std::string, std::string>& env) {
  Config c;
  if (file && !file->empty()) apply_file(*file, c);
  apply_env(env, c);
  return c;
}

std::map<std::string, std::string> process_environment() {
  std::map<std::string, std::string> env;
  for (char** p = environ; p && *p; ++p) {
    std::string_view entry(*p);
    auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return env;
}

std::vector<std::string> config_keys() {
  std::vector<std::string> keys;
  keys.reserve(table().size());
  for (const Key& k : table()) keys.emplace_back(k.path);
  return keys;
}

std::optional<int> parse_time_zone(const std::string& tz) {
  if (tz == "Asia/Shanghai" || tz == "Asia/Hong_Kong" || tz == "Asia/Taipei") return 480;
  if (tz == "UTC" || tz == "Etc/UTC") return 0;
  // Fixed offset: exactly "+HH:MM" or "-HH:MM", within +-14:00.
  if (tz.size() != 6 || (tz[0] != '+' && tz[0] != '-') || tz[3] != ':') return std::nullopt;
  for (int i : {1, 2, 4, 5}) {
    if (tz[i] < '0' || tz[i] > '9') return std::nullopt;
  }
  const int hours = (tz[1] - '0') * 10 + (tz[2] - '0');
  const int minutes = (tz[4] - '0') * 10 + (tz[5] - '0');
  if (minutes > 59) return std::nullopt;
  const int total = hours * 60 + minutes;
  if (total > 14 * 60) return std::nullopt;
  return tz[0] == '-' ? -total : total;
}

std::variant<std::vector<std::pair<std::string, std::string>>, std::string> parse_template_fields(
    const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string entry = text.substr(start, end - start);
    start = end + 1;
    if (entry.empty()) continue;
    const auto eq = entry.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == entry.size())
      return "entry \"" + entry + "\" is not KEY=VALUE";
    out.emplace_back(entry.substr(0, eq), entry.substr(eq + 1));
  }
  if (out.empty()) return std::string("no fields");
  return out;
}

}  // namespace coldtrack::app
