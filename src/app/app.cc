#include "app/app.h"

#include <fmt/format.h>
#include <sched.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>

#include <array>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "app/caches.h"
#include "app/consumers.h"
#include "app/demo.h"
#include "app/leased.h"
#include "app/notifications.h"
#include "app/periodic.h"
#include "cache/nonce_cache.h"
#include "cache/rate_limiter.h"
#include "carriers/cainiao/cainiao.h"
#include "carriers/kdniao/kdniao.h"
#include "carriers/kuaidi100/kuaidi100.h"
#include "eta/backtest.h"
#include "http/api.h"
#include "http/auth.h"
#include "http/client.h"
#include "http/server.h"
#include "net/http_client.h"
#include "queue/rabbitmq_publisher.h"
#include "security/crypto.h"
#include "service/coldchain_service.h"
#include "service/customer_service.h"
#include "service/eta_service.h"
#include "service/monitor_service.h"
#include "service/order_service.h"
#include "service/outbox_relay.h"
#include "service/payment_service.h"
#include "service/tracking_service.h"
#include "service/tracking_worker.h"
#include "sim/simulator.h"
#include "sim/wechat_sim.h"
#include "store/mysql/mysql_store.h"
#include "store/mysql/url.h"
#include "store/sqlite/sqlite_store.h"
#include "wechat/pay_notify.h"

namespace coldtrack::app {
namespace {

std::filesystem::path key_file_path(const Config& config) {
  auto dir = std::filesystem::path(config.store.sqlite.path).parent_path();
  if (dir.empty()) dir = ".";
  return dir / "data.key";
}

store::AuditRecord system_audit(std::string action, std::string target, std::string detail) {
  return store::AuditRecord{0,        now_ms(),          "system:cli",
                            "system", std::move(action), std::move(target),
                            "",       "local",           std::move(detail)};
}

std::pair<std::string, std::string> insert_key(store::Store& store, const service::PiiCodec& pii,
                                               const std::string& role, const std::string& name) {
  const std::string key = "ak_" + security::random_hex(12);
  const std::string secret = security::random_hex(32);
  store.insert_api_key(
      store::ApiKeyRecord{key, pii.seal(secret, http::kApiSecretField), role, name, now_ms(),
                          false},
      system_audit("apikey.create", "apikey:" + key, fmt::format(R"({{"role":"{}"}})", role)));
  return {key, secret};
}

std::pair<std::string, unsigned short> split_host_port(const std::string& s) {
  const auto colon = s.rfind(':');
  std::string host = s.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  return {host, static_cast<unsigned short>(std::stoi(s.substr(colon + 1)))};
}

}  // namespace

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string resolve_data_key(const Config& config, bool create_if_missing, bool* created) {
  if (created) *created = false;
  if (!config.security.data_key.empty()) return *security::hex_decode(config.security.data_key);
  const auto path = key_file_path(config);
  if (std::ifstream in{path}) {
    std::string hex;
    in >> hex;
    auto key = security::hex_decode(hex);
    if (!key || key->size() != 32)
      throw ConfigError("security.data_key", fmt::format("key file {} is corrupt", path.string()));
    return *key;
  }
  if (!create_if_missing)
    throw ConfigError("security.data_key",
                      fmt::format("not set (COLDTRACK_SECURITY_DATA_KEY or security.data_key: 64 "
                                  "hex characters), and no key file at {}",
                                  path.string()));
  std::filesystem::create_directories(path.parent_path());
  const auto key = security::random_bytes(32);
  {
    std::ofstream out{path};
    out << security::hex_encode(key) << "\n";
    if (!out) throw ConfigError("security.data_key", "cannot write " + path.string());
  }
  ::chmod(path.c_str(), 0600);
  if (created) *created = true;
  return key;
}

// server.read_threads, 0: the CPUs this process may run on (its affinity, e.g. under taskset or a
// container's cpuset), at least 2 so one slow read does not hold up the others.
static std::size_t read_threads(const Config& config) {
  if (config.server.read_threads > 0) return static_cast<std::size_t>(config.server.read_threads);
  cpu_set_t set;
  CPU_ZERO(&set);
  int cpus = 0;
  if (sched_getaffinity(0, sizeof set, &set) == 0) cpus = CPU_COUNT(&set);
  if (cpus <= 0) cpus = static_cast<int>(std::thread::hardware_concurrency());
  return static_cast<std::size_t>(std::max(cpus, 2));
}

std::unique_ptr<store::Store> open_store(const Config& config) {
  if (config.store.backend == "mysql") {
    store::mysql::MysqlOptions m;
    m.url = store::mysql::parse_mysql_url(config.store.mysql.url);
    m.pool_size = config.store.mysql.pool_size;
    m.connect_timeout_ms = config.store.mysql.connect_timeout_ms;
    m.rw_timeout_ms = config.store.mysql.rw_timeout_ms;
    return std::make_unique<store::mysql::MysqlStore>(m);
  }
  store::sqlite::SqliteOptions o;
  o.path = config.store.sqlite.path;
  o.synchronous_full = config.store.sqlite.synchronous == "full";
  o.busy_timeout_ms = config.store.sqlite.busy_timeout_ms;
  // Both pools read: one connection per thread that may read at once.
  o.readers = std::max(2, config.server.worker_threads + static_cast<int>(read_threads(config)));
  o.mmap_bytes = std::int64_t{config.store.sqlite.mmap_mb} << 20;
  return std::make_unique<store::sqlite::SqliteStore>(o);
}

int create_api_key(const Config& config, const std::string& role, const std::string& name) {
  const auto key = resolve_data_key(config, false);
  auto store = open_store(config);
  service::PiiCodec pii(key);
  auto [k, secret] = insert_key(*store, pii, role, name);
  std::cout << fmt::format(R"({{"key":"{}","secret":"{}","role":"{}"}})", k, secret, role)
            << std::endl;
  store->close();
  return 0;
}

namespace {
service::StaffPolicy staff_policy(const Config& config) {
  service::StaffPolicy p;
  p.session_ttl_ms = config.staff.session_ttl_h * 3'600'000LL;
  p.max_failures = config.staff.max_failed_logins;
  p.lock_ms = config.staff.lockout_min * 60'000LL;
  return p;
}

}  // namespace

int create_user(const Config& config, const std::string& username, const std::string& role,
                const std::string& password) {
  auto store = open_store(config);
  service::StaffService staff(*store, staff_policy(config), now_ms);
  auto made = staff.create_user(username, password, role,
                                service::Actor{"system:cli", "system", "", "local"});
  store->close();
  if (!made.ok()) {
    const auto& e = made.error();
    std::cerr << "user create: " << (e.field.empty() ? "" : e.field + " ") << e.message << "\n";
    return e.code == service::ErrorCode::kConflict ? 1 : 2;
  }
  std::cout << fmt::format(R"({{"username":"{}","role":"{}"}})", username, role) << std::endl;
  return 0;
}

int list_users(const Config& config) {
  auto store = open_store(config);
  const auto now = now_ms();
  for (const auto& u : store->list_staff_users())
    std::cout
        << fmt::format(
               R"({{"username":"{}","role":"{}","created_at":"{}","locked":{},"disabled":{}}})",
               u.username, u.role, domain::format_rfc3339(u.created_at, 480), u.locked_until > now,
               u.disabled)
        << "\n";
  store->close();
  return 0;
}

int revoke_api_key(const Config& config, const std::string& key) {
  auto store = open_store(config);
  const bool ok = store->revoke_api_key(key, system_audit("apikey.revoke", "apikey:" + key, "{}"));
  store->close();
  if (!ok) {
    std::cerr << "no API key " << key << "\n";
    return 1;
  }
  std::cout << fmt::format(R"({{"key":"{}","revoked":true}})", key) << std::endl;
  return 0;
}

int list_api_keys(const Config& config) {
  auto store = open_store(config);
  for (const auto& k : store->list_api_keys()) {
    boost::json::object o{
        {"key", k.key},
        {"role", k.role},
        {"name", k.name},
        {"created_at", domain::format_rfc3339(k.created_at, config.display.utc_offset_minutes)},
        {"revoked", k.revoked}};
    std::cout << boost::json::serialize(o) << "\n";
  }
  store->close();
  return 0;
}

int archive_now(const Config& config) {
  const auto key = resolve_data_key(config, false);
  // Through the same caches as `serve`: with hot views in Redis, the moved orders' views are
  // invalidated for every replica (the CachedStore bumps the view epoch).
  Caches caches(config);
  auto store = caches.with_views(open_store(config));
  service::PiiCodec pii(key);
  service::OrderService svc(*store, pii, now_ms);
  const int n = svc.archive(config.archive.after_days, config.archive.batch_size);
  std::cout << fmt::format(R"({{"archived":{}}})", n) << std::endl;
  store->close();
  return 0;
}

namespace {

// A front end read into memory at start; a missing build is logged, not fatal (the API works
// without it).
http::WebMount load_web(std::string name, std::string mount, const std::string& dir,
                        std::string how) {
  http::WebMount web{std::move(name), std::move(mount), std::nullopt, {}};
  if (dir.empty()) {
    web.missing = "turned off (empty directory setting)";
    return web;
  }
  auto loaded = http::StaticSite::load(dir, web.mount, std::size_t{64} << 20);
  if (auto* error = std::get_if<std::string>(&loaded)) {
    web.missing = *error + "; " + how;
    spdlog::info("{} not served at {}: {}", web.name, web.mount, web.missing);
  } else {
    web.site.emplace(std::move(std::get<http::StaticSite>(loaded)));
    spdlog::info("{} served at {} ({} files, {} KiB from {})", web.name, web.mount,
                 web.site->file_count(), web.site->bytes() >> 10, dir);
  }
  return web;
}

// The subscribe-message template the demo's simulated mini-program uses.
constexpr const char* kDemoTemplate = "DEMO_ORDER_STATUS";
constexpr const char* kDemoMchId = "1900000109";

// Demo only: with no carrier credentials configured, run the carrier simulator in-process and
// point both providers at it, so a new user sees parcels move (time runs 600x faster there).
std::unique_ptr<sim::Simulator> start_demo_simulator(Config& config) {
  if (!config.carriers.kdniao.api_key.empty() || !config.carriers.kuaidi100.key.empty())
    return nullptr;
  sim::SimOptions so;
  so.kdniao_ebusiness_id = "DEMO1237100";
  so.kdniao_api_key = security::random_hex(16);
  so.kuaidi100_customer = "DEMOCUSTOMER";
  so.kuaidi100_key = security::random_hex(16);
  so.kuaidi100_salt = security::random_hex(8);
  so.cainiao_app_key = "DEMOCAINIAO";
  so.cainiao_secret_key = security::random_hex(16);
  const std::string self = fmt::format("http://127.0.0.1:{}", config.server.port);
  so.kdniao_callback_url = self + "/api/callbacks/kdniao";
  so.kuaidi100_callback_url = self + "/api/callbacks/kuaidi100";
  so.time_scale = 600;
  // WeChat Pay too, with a platform key made for this run, unless a real merchant is set up:
  // the demo pays one order by a signed, encrypted notification and uploads its waybill.
  const bool demo_pay = config.wechatpay.apiv3_key.empty() && config.wechat.appid.empty() &&
                        config.wechat.secret.empty();
  if (demo_pay) {
    const auto key = security::generate_rsa_key();
    so.wechatpay_apiv3_key = security::random_hex(16);
    so.wechatpay_platform_private_key_pem = key.private_pem;
    so.wechatpay_platform_serial = "DEMO-PLATFORM-1";
    const auto pem = key_file_path(config).parent_path() / "demo-wechatpay-platform.pem";
    std::filesystem::create_directories(pem.parent_path());
    std::ofstream(pem) << key.public_pem;
    config.wechatpay.mchid = kDemoMchId;
    config.wechatpay.apiv3_key = so.wechatpay_apiv3_key;
    config.wechatpay.platform_serial = so.wechatpay_platform_serial;
    config.wechatpay.platform_public_key_file = pem.string();
  }
  auto simulator = std::make_unique<sim::Simulator>(so);
  simulator->start();
  const auto base = simulator->base_url();
  auto& k = config.carriers.kdniao;
  k.ebusiness_id = so.kdniao_ebusiness_id;
  k.api_key = so.kdniao_api_key;
  k.query_url = base + "/kdniao/Ebusiness/EbusinessOrderHandle.aspx";
  k.subscribe_url = base + "/kdniao/api/dist";
  auto& q = config.carriers.kuaidi100;
  q.customer = so.kuaidi100_customer;
  q.key = so.kuaidi100_key;
  q.salt = so.kuaidi100_salt;
  q.query_url = base + "/kuaidi100/poll/query.do";
  q.subscribe_url = base + "/kuaidi100/poll";
  auto& cn = config.carriers.cainiao;
  cn.gateway_url = base + "/cainiao/gateway/link.do";
  cn.app_key = so.cainiao_app_key;
  cn.secret_key = so.cainiao_secret_key;
  config.carriers.callback_base_url = self;
  config.tracking.tick_ms = 1000;
  // The simulator also plays WeChat's login API, unless a real mini-program is configured.
  if (config.wechat.secret.empty() && config.wechat.appid.empty()) {
    config.wechat.appid = so.wechat_appid;
    config.wechat.secret = so.wechat_secret;
    config.wechat.api_base_url = base + "/wechat";
  }
  // Customer and staff messages go to the simulator too: WeChat subscribe messages (when it
  // plays WeChat), Aliyun SMS and a staff group robot, so the demo shows them flowing.
  auto& n = config.notify;
  if (config.wechat.api_base_url == base + "/wechat" && n.wechat.template_id.empty())
    n.wechat.template_id = kDemoTemplate;
  if (n.sms.provider == "none") {
    n.sms.provider = "aliyun";
    n.sms.aliyun.endpoint = base + "/aliyun-sms/";
    n.sms.aliyun.access_key_id = so.aliyun_access_key_id;
    n.sms.aliyun.access_key_secret = so.aliyun_access_key_secret;
    n.sms.aliyun.sign_name = "冷链小店";
    n.sms.aliyun.template_code = "SMS_DEMO0001";
  }
  if (n.staff_webhook_url.empty()) n.staff_webhook_url = base + "/sim/webhook/staff";
  n.digest_window_s = std::min(n.digest_window_s, 30);
  // Messages flow at any hour in the demo; set notify.quiet_* to other hours to see them wait.
  if (n.quiet_start_hour == 22 && n.quiet_end_hour == 8) n.quiet_start_hour = n.quiet_end_hour = 0;
  spdlog::info("demo: carrier simulator (Kdniao and Kuaidi100 protocols) at {}", base);
  return simulator;
}

// Demo only: a few parcels shipped just now, so their tracking moves while the user watches.
std::vector<std::string> create_live_demo_orders(service::OrderService& orders,
                                                 store::SubscriptionStore& subscriptions,
                                                 std::int64_t now) {
  struct Live {
    const char* carrier;
    const char* prefix;
  };
  constexpr Live kLive[] = {{"SF", "SF"}, {"SF_COLD", "SF"}, {"ZTO", "7"}, {"JD", "JDV"}};
  const service::Actor actor{"system:demo", "system", "", "local"};
  const auto day = domain::format_rfc3339(now, 480).substr(0, 10);
  std::vector<std::string> out;
  int n = 0;
  for (const auto& l : kLive) {
    ++n;
    domain::NewOrder o;
    o.order_no = fmt::format(
        "LIVE{}{:02}", std::string(day.substr(0, 4)) + day.substr(5, 2) + day.substr(8, 2), n);
    // Two customers use the mini-program and accepted status messages; two only left a phone
    // (they are told by SMS).
    const std::string openid = n <= 2 ? fmt::format("oDemoCustomer{:015}", n) : "";
    o.customer = {"测试用户", fmt::format("170000099{:02}", n), openid};
    o.address = {"浙江省", "杭州市", "西湖区", "演示路88号"};
    o.items = {{"DJ-SX-1KG", "三鲜水饺 1kg", "frozen", 2, 3990}};
    o.amount_fen = 7980;
    o.remark = "演示数据";
    auto created = orders.create(o, actor);
    if (!created.ok() || !created.value().created) continue;  // already there (restart)
    if (!openid.empty())
      subscriptions.add_subscriptions(openid, std::vector<std::string>(8, kDemoTemplate), now);
    orders.change_status(o.order_no, domain::OrderStatus::kPaid, std::nullopt, "", actor);
    orders.add_shipment(
        o.order_no, l.carrier,
        fmt::format("{}{}{:02}", l.prefix,
                    day.substr(0, 4) + day.substr(5, 2) + day.substr(8, 2) + "0001", n),
        actor);
    out.push_back(o.order_no);
  }
  return out;
}

// Demo: a customer pays an order in the mini-program; the simulator, playing WeChat Pay, sends
// the signed and encrypted notification to our callback, and the shop then ships it (WeChat
// holds the money until the waybill is uploaded, which the notification worker does). Returns
// the order number, or "" when it already exists or the payment did not arrive.
std::string demo_wechat_payment(sim::Simulator& simulator, service::OrderService& orders,
                                const Config& config, unsigned short port) {
  const auto now = now_ms();
  const auto day = domain::format_rfc3339(now, 480).substr(0, 10);
  domain::NewOrder o;
  o.order_no = fmt::format("LIVE{}{}{}PAY", day.substr(0, 4), day.substr(5, 2), day.substr(8, 2));
  o.customer = {"测试用户", "17000009905", fmt::format("oDemoCustomer{:015}", 5)};
  o.address = {"浙江省", "杭州市", "西湖区", "演示路88号"};
  o.items = {{"DJ-SX-1KG", "三鲜水饺 1kg", "frozen", 2, 3990}};
  o.amount_fen = 7980;
  o.remark = "演示数据：微信支付";
  const service::Actor actor{"system:demo", "system", "", "local"};
  auto created = orders.create(o, actor);
  if (!created.ok() || !created.value().created) return "";
  http::Client client("127.0.0.1", simulator.port());
  const auto r = client.request(
      "POST", "/sim/wechatpay/notify",
      boost::json::serialize(boost::json::object{
          {"notify_url", fmt::format("http://127.0.0.1:{}/api/callbacks/wechatpay", port)},
          {"out_trade_no", o.order_no},
          {"amount_fen", o.amount_fen},
          {"appid", config.wechat.appid},
          {"mchid", config.wechatpay.mchid},
          {"payer_openid", o.customer.openid}}));
  auto paid = orders.get(o.order_no, false, actor);
  if (r.status != 200 || !paid.ok() || paid.value().status != domain::OrderStatus::kPaid) {
    spdlog::warn("demo: the simulated WeChat Pay notification did not pay {}: {}", o.order_no,
                 r.body);
    return "";
  }
  orders.add_shipment(
      o.order_no, "SF",
      fmt::format("SF{}{}{}0009", day.substr(0, 4), day.substr(5, 2), day.substr(8, 2)), actor);
  return o.order_no;
}

// Demo: the simulator's data loggers report on three frozen parcels that have been on the road
// for a while: one in good order, one with door-open spikes, one whose refrigeration failed.
// Returns the orders the loggers report on.
std::vector<std::string> start_demo_loggers(sim::Simulator& simulator, store::Store& store,
                                            const std::pair<std::string, std::string>& key,
                                            unsigned short port,
                                            const std::vector<std::string>& preferred_orders) {
  std::vector<std::string> logged;
  const auto now = now_ms();
  const std::array<const char*, 3> profiles = {"frozen_ok", "frozen_door_open", "frozen_failure"};
  std::size_t next = 0;
  http::Client client("127.0.0.1", simulator.port());
  // The demo customer's parcels first, so the mini-program shows a temperature chart.
  auto shipments = store.active_shipments(0, 5000);
  std::stable_partition(shipments.begin(), shipments.end(), [&](const auto& w) {
    return std::find(preferred_orders.begin(), preferred_orders.end(), w.order_no) !=
           preferred_orders.end();
  });
  for (const auto& w : shipments) {
    if (next == profiles.size()) break;
    if (w.temp_class != "frozen" || w.shipped_at > now - 8 * 3'600'000LL) continue;
    const int count = 6 * 60;  // six hours of minute readings, ending now
    boost::json::object body{{"target_url", fmt::format("http://127.0.0.1:{}", port)},
                             {"api_key", key.first},
                             {"api_secret", key.second},
                             {"shipment_id", w.shipment_id},
                             {"device_id", fmt::format("DEMO-LOG-{}", next + 1)},
                             {"profile", profiles[next]},
                             {"interval_s", 60},
                             {"count", count},
                             {"start", now - count * 60'000LL}};
    const auto r = client.request("POST", "/sim/loggers", boost::json::serialize(body));
    if (r.status != 202) {
      spdlog::warn("demo: logger feed refused: {} {}", r.status, r.body);
      continue;
    }
    spdlog::info("demo: data logger ({}) reports on order {}", profiles[next], w.order_no);
    logged.push_back(w.order_no);
    ++next;
  }
  return logged;
}

// WeChat Pay notifications, when configured: the key file is read and checked at start-up so a
// wrong key stops the server with a clear message instead of refusing every payment.
std::unique_ptr<service::PaymentService> make_payment_service(const Config& config,
                                                              store::Store& store) {
  const auto& w = config.wechatpay;
  if (w.apiv3_key.empty()) return nullptr;
  std::ifstream in(w.platform_public_key_file, std::ios::binary);
  if (!in)
    throw ConfigError("wechatpay.platform_public_key_file",
                      "cannot read \"" + w.platform_public_key_file + "\"");
  std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  service::WechatPayOptions o;
  o.appid = config.wechat.appid;
  o.mchid = w.mchid;
  o.notify.apiv3_key = w.apiv3_key;
  o.notify.platform_keys.push_back({w.platform_serial, std::move(pem)});
  if (auto err = wechat::check_config(o.notify)) throw ConfigError("wechatpay", *err);
  if (o.appid.empty() || o.mchid.empty())
    throw ConfigError("wechatpay",
                      "wechat.appid and wechatpay.mchid are required with an APIv3 key");
  spdlog::info("WeChat Pay notifications enabled for merchant {}", o.mchid);
  return std::make_unique<service::PaymentService>(store, std::move(o), now_ms);
}

eta::Options eta_options(const Config& config) {
  eta::Options o;
  o.min_lane_samples = config.eta.min_lane_samples;
  o.cutoff_hour = config.eta.cutoff_hour;
  o.utc_offset_minutes = 480;  // carriers' days are China days whatever the display zone
  if (!config.eta.service_levels.empty()) o.levels.apply(config.eta.service_levels);
  return o;
}

anomaly::RuleSet anomaly_rules(const Config& config) {
  anomaly::RuleSet rules;
  if (!config.anomalies.overrides.empty()) rules.apply_overrides(config.anomalies.overrides);
  return rules;
}

}  // namespace

int eta_backtest(const Config& config) {
  auto store = open_store(config);
  // All of history, not just eta.history_days: the replay scores the model as it grows.
  std::vector<eta::Delivered> history;
  store->scan_delivered_shipments({}, [&](const store::DeliveredShipment& r) {
    history.push_back(service::to_sample(r, config.eta.origin_city));
  });
  store->close();
  if (history.empty()) {
    std::cerr << "no delivered shipments to replay (run the demo first, or point store.sqlite.path "
                 "at a shop's database)"
              << std::endl;
    return 1;
  }
  const auto result = eta::backtest(history, eta_options(config));
  std::cout << eta::format_backtest(result);
  return 0;
}

int serve(const Config& config_in, const ServeOptions& options) {
  Config config = config_in;  // the demo fills in simulator endpoints
  // Block the stop signals in every thread; the main thread waits for them with sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  bool key_created = false;
  const auto data_key = resolve_data_key(config, options.demo, &key_created);
  if (key_created)
    spdlog::warn("demo: generated a new data key at {} (set security.data_key in production)",
                 key_file_path(config).string());
  Caches caches(config);  // cache.backend: in-process, or Redis with an in-process fallback
  // With Redis, hot order and tracking views are cached there (`caches` outlives the store).
  auto store = caches.with_views(open_store(config));
  service::PiiCodec pii(data_key);
  service::OrderService orders(*store, pii, now_ms);
  service::TrackingService tracking(*store, now_ms);
  service::EtaService eta(*store, eta_options(config), config.eta.origin_city,
                          {config.eta.history_days, now_ms});
  service::MonitorService monitor(*store, anomaly_rules(config), eta, now_ms);
  coldchain::ValidationLimits limits;
  limits.max_future_ms = config.cold_chain.max_future_s * 1000LL;
  service::ColdChainService cold_chain(*store, monitor, now_ms, limits,
                                       config.cold_chain.mkt_activation_energy_kj * 1000.0);
  std::unique_ptr<sim::Simulator> simulator;
  if (options.demo) simulator = start_demo_simulator(config);
  auto payments = make_payment_service(config, *store);
  tracking.on_applied([&monitor](const std::vector<std::int64_t>& ids) {
    const auto r = monitor.check_shipments(ids);
    if (r.opened || r.resolved)
      spdlog::info("anomalies after tracking update: {} opened, {} resolved", r.opened, r.resolved);
  });

  std::optional<std::pair<std::string, std::string>> demo_key;
  std::vector<std::string> demo_customer_orders;
  std::vector<std::pair<std::string, std::string>> demo_staff;  // username, password
  service::StaffService staff(*store, staff_policy(config), now_ms);
  if (options.demo) {
    if (store->count_orders(store::ArchiveScope::kInclude) == 0) {
      auto demo = generate_demo_orders(options.demo_orders, now_ms(), pii);
      if (simulator && config.wechat.api_base_url == simulator->base_url() + "/wechat") {
        // The simulated WeChat gives the login code "alice-<anything>" this openid.
        const auto openid =
            sim::WechatLogin(config.wechat.appid, config.wechat.secret).openid_for("alice");
        demo_customer_orders = give_demo_customer(demo, openid, pii, now_ms());
      }
      store->import_orders(demo);
      const auto tracking = generate_demo_tracking(demo, now_ms());
      for (const auto& u : tracking) store->apply_tracking(u);
      spdlog::info("demo: seeded {} orders, {} of them with carrier tracking", demo.size(),
                   tracking.size());
    }
    demo_key = insert_key(*store, pii, "admin", "demo");
    // Console staff for the demo, one per role, when there are none yet.
    if (store->list_staff_users().empty()) {
      for (const char* role : {"admin", "operator", "viewer"}) {
        const std::string name = std::string("demo-") + role;
        const std::string password = security::random_hex(8);
        if (staff.create_user(name, password, role, {"system:demo", "system", "", "local"}).ok())
          demo_staff.emplace_back(name, password);
      }
    }
  }
  {
    const auto started = std::chrono::steady_clock::now();
    const auto samples = eta.refresh();
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    spdlog::info("delivery-time model learned from {} shipments of the last {} days in {} ms",
                 samples, config.eta.history_days, took.count());
  }
  std::vector<std::string> live_orders;
  if (simulator) live_orders = create_live_demo_orders(orders, *store, now_ms());

  boost::asio::thread_pool pool(static_cast<std::size_t>(config.server.worker_threads));
  boost::asio::thread_pool read_pool(read_threads(config));
  cache::NonceStore& nonces = caches.nonces();
  cache::RateLimiter& track_limiter = caches.track_limiter();
  http::Authenticator auth(*store, pii, nonces, config.security.signature_window_s);
  http::Metrics metrics;
  caches.count_views(metrics);
  const bool separate_metrics = !config.server.metrics_listen.empty();
  http::Api api{orders,
                tracking,
                *store,
                track_limiter,
                pool,
                metrics,
                config.display.utc_offset_minutes,
                [&store] { return store->ping(); },
                !separate_metrics};
  api.eta = &eta;
  api.responses = caches.responses();
  api.read_pool = &read_pool;
  api.monitor = &monitor;
  api.cold_chain = &cold_chain;
  api.payments = payments.get();
  net::HttpClient wechat_http(net::HttpClient::Options{});
  std::unique_ptr<service::CustomerService> customers;
  if (!config.wechat.appid.empty() && !config.wechat.secret.empty()) {
    wechat::AppConfig app;
    app.base_url = config.wechat.api_base_url;
    app.appid = config.wechat.appid;
    app.secret = config.wechat.secret;
    customers = std::make_unique<service::CustomerService>(
        *store, orders, wechat_http, std::move(app), config.wechat.session_ttl_s * 1000LL, now_ms);
  }
  api.customers = customers.get();
  auto notifications = make_notifications(config, *store, pii, eta);
  if (notifications) api.notifications = notifications->service.get();
  api.staff = &staff;
  cache::MemoryRateLimiter login_limiter(config.staff.login_rate_per_minute);
  api.login_limiter = &login_limiter;
  if (notifications && !config.notify.wechat.template_id.empty())
    api.subscribe_templates = {config.notify.wechat.template_id};
  std::optional<carriers::kdniao::Protocol> kdniao;
  if (!config.carriers.kdniao.api_key.empty()) {
    const auto& k = config.carriers.kdniao;
    kdniao.emplace(carriers::kdniao::Config{
        k.ebusiness_id, k.api_key, k.query_url, k.subscribe_url, k.query_request_type,
        k.subscribe_request_type, config.carriers.callback_base_url + "/api/callbacks/kdniao"});
    api.kdniao = &*kdniao;
  }
  std::optional<carriers::kuaidi100::Protocol> kuaidi100;
  if (!config.carriers.kuaidi100.key.empty()) {
    const auto& k = config.carriers.kuaidi100;
    carriers::kuaidi100::Config kc;
    kc.customer = k.customer;
    kc.key = k.key;
    kc.salt = k.salt;
    kc.query_url = k.query_url;
    kc.subscribe_url = k.subscribe_url;
    kc.callback_url = config.carriers.callback_base_url + "/api/callbacks/kuaidi100";
    kuaidi100.emplace(std::move(kc));
    api.kuaidi100 = &*kuaidi100;
  }
  std::optional<carriers::cainiao::Protocol> cainiao;
  if (!config.carriers.cainiao.app_key.empty() && !config.carriers.cainiao.secret_key.empty()) {
    carriers::cainiao::Config cc;
    cc.gateway_url = config.carriers.cainiao.gateway_url;
    cc.app_key = config.carriers.cainiao.app_key;
    cc.secret_key = config.carriers.cainiao.secret_key;
    cainiao.emplace(std::move(cc));
  }
  // Carrier tracking runs when enabled and some provider has credentials.
  const bool tracking_on = config.tracking.enabled && (kdniao || kuaidi100 || cainiao);
  http::Router router;
  http::add_order_routes(router, api);
  http::add_system_routes(router, api);
  http::add_callback_routes(router, api);
  http::add_monitoring_routes(router, api);
  http::add_customer_routes(router, api);
  http::add_notification_routes(router, api);
  http::add_staff_routes(router, api);
  http::add_stats_routes(router, api);
  const auto h5 = load_web("the H5 page", "/m/", config.web.h5_dir,
                           "build it with scripts/build-web.sh, or set web.h5_dir");
  http::add_web_routes(router, h5);
  const auto console = load_web("the merchant console", "/console/", config.web.console_dir,
                                "build it with scripts/build-web.sh, or set web.console_dir");
  http::add_web_routes(router, console);

  http::ServerOptions so;
  so.host = config.server.host;
  so.port = static_cast<unsigned short>(config.server.port);
  so.io_threads = config.server.io_threads;
  so.max_body_bytes = config.server.max_body_bytes;
  so.request_timeout = std::chrono::seconds(config.server.header_timeout_s);
  so.idle_timeout = std::chrono::seconds(config.server.idle_timeout_s);
  http::Server server(so, router, &auth, store.get(), pool, metrics, now_ms);
  server.set_staff_sessions([&staff](const std::string& token) -> std::optional<http::Principal> {
    auto who = staff.authenticate(token);
    if (!who) return std::nullopt;
    return http::Principal{"staff:" + who->username, *http::parse_role(who->role)};
  });
  const auto port = server.start();
  std::vector<std::string> logged_orders;
  if (simulator && demo_key)
    logged_orders = start_demo_loggers(*simulator, *store, *demo_key, port, demo_customer_orders);
  std::string paid_order;
  if (simulator && payments) paid_order = demo_wechat_payment(*simulator, orders, config, port);

  http::Router metrics_router;
  std::unique_ptr<http::Server> metrics_server;
  if (separate_metrics) {
    http::add_metrics_routes(metrics_router, api);
    http::ServerOptions mo;
    std::tie(mo.host, mo.port) = split_host_port(config.server.metrics_listen);
    metrics_server =
        std::make_unique<http::Server>(mo, metrics_router, nullptr, nullptr, pool, metrics, now_ms);
    const auto mport = metrics_server->start();
    spdlog::info("metrics on http://{}:{}/metrics", mo.host, mport);
  }
  // Archives finished orders and forgets day-old idempotency keys every archive.interval_s.
  // The archiver and the sweeper run on one replica at a time: each holds a lease in the store.
  const std::string replica = make_replica_id();
  spdlog::info("replica id {}", replica);
  std::unique_ptr<LeasedPeriodic> archiver;
  if (config.archive.enabled)
    archiver = std::make_unique<LeasedPeriodic>(
        *store, "archive run", replica, std::chrono::seconds(config.archive.interval_s),
        [&orders, &store, cfg = config.archive] {
          if (int n = orders.archive(cfg.after_days, cfg.batch_size); n > 0)
            spdlog::info("archived {} finished orders", n);
          store->purge_idempotent(now_ms() - 24 * 3600 * 1000);
        },
        now_ms);
  // Orders written before migration 16 have no stored masked forms, so their lists open
  // ciphertexts: filled once per start in the background, a batch per transaction. Two
  // replicas doing it at once write the same values.
  std::jthread masked_fill([&orders](std::stop_token stop) {
    try {
      const auto n = orders.fill_masked_forms(500, [&stop] { return stop.stop_requested(); });
      if (n > 0) spdlog::info("stored the masked name and phone of {} older orders", n);
    } catch (const std::exception& e) {
      spdlog::warn("storing masked forms of older orders stopped: {}", e.what());
    }
  });
  Periodic eta_refresh("delivery-time model refresh", std::chrono::seconds(config.eta.refresh_s),
                       [&eta, first = true]() mutable {
                         if (first) {  // learned at start-up already
                           first = false;
                           return;
                         }
                         eta.refresh();
                       });
  // Levels for /metrics (outbox backlog, open anomalies): counted here, not on each scrape, so a
  // scrape never waits on the store.
  store::GaugeScope gauge_scope;
  if (notifications) gauge_scope.worked_topics = service::NotificationService::outbox_topics();
  if (tracking_on) gauge_scope.worked_topics.emplace_back(service::TrackingWorker::kShipmentTopic);
  gauge_scope.relay = config.queue.backend == "rabbitmq";
  Periodic gauges("metrics gauges", std::chrono::seconds(config.server.metrics_gauges_s),
                  [&store, &metrics, gauge_scope] {
                    const auto g = store->gauge_counts(gauge_scope);
                    const auto now = now_ms();
                    auto age = [now](const std::optional<std::int64_t>& at) {
                      return at ? std::max<std::int64_t>(0, now - *at) / 1000.0 : 0.0;
                    };
                    metrics.outbox(g.outbox_pending, age(g.outbox_oldest));
                    if (gauge_scope.relay) metrics.unrelayed(g.unrelayed, age(g.unrelayed_oldest));
                    metrics.open_anomalies(g.open_anomalies);
                  });
  std::unique_ptr<LeasedPeriodic> sweeper;
  if (config.anomalies.enabled)
    sweeper = std::make_unique<LeasedPeriodic>(
        *store, "anomaly sweep", replica, std::chrono::seconds(config.anomalies.sweep_interval_s),
        [&monitor, &metrics] {
          const auto s = monitor.sweep();
          metrics.anomaly_sweep(static_cast<double>(s.took_ms) / 1000.0, s.changes.opened,
                                s.changes.updated, s.changes.resolved);
          spdlog::info(
              "anomaly sweep: {} shipments, {} orders, {} rows read, {} opened, {} updated, {} "
              "resolved in {} ms",
              s.shipments, s.orders, s.rows_read, s.changes.opened, s.changes.updated,
              s.changes.resolved, s.took_ms);
        },
        now_ms);

  // Notifications: a few batches per tick, so a backlog drains without starving the rest.
  std::unique_ptr<Periodic> notifier;
  if (notifications)
    notifier = std::make_unique<Periodic>(
        "notification worker", std::chrono::milliseconds(config.notify.tick_ms),
        [svc = notifications->service.get(), &metrics] {
          for (int round = 0; round < 10; ++round) {
            const auto p = svc->run_once();
            for (auto [outcome, n] : {std::pair{"planned", p.planned},
                                      {"sent", p.sent},
                                      {"retried", p.retried},
                                      {"fallback", p.fallback},
                                      {"dead", p.dead},
                                      {"uncertain", p.uncertain + p.expired},
                                      {"skipped", p.skipped}})
              if (n > 0) metrics.notifications(outcome, n);
            if (p.handled() > 0)
              spdlog::info(
                  "notifications: {} planned, {} sent, {} retried, {} fell back, {} dead, {} "
                  "uncertain, {} skipped",
                  p.planned, p.sent, p.retried, p.fallback, p.dead, p.uncertain, p.skipped);
            if (p.planned == 0 && p.handled() == 0) break;
          }
        });

  // Outbox relay to RabbitMQ for other services; the outbox stays the source of truth.
  std::unique_ptr<queue::RabbitMqPublisher> relay_publisher;
  std::unique_ptr<service::OutboxRelay> relay;
  std::unique_ptr<LeasedPeriodic> relayer;  // leased: one replica relays, in id order
  if (config.queue.backend == "rabbitmq") {
    relay_publisher = std::make_unique<queue::RabbitMqPublisher>(queue::RabbitMqOptions{
        .url = config.queue.rabbitmq.url,
        .exchange = config.queue.rabbitmq.exchange,
        .dead_letter_exchange = dead_letter_exchange(config),
        .dead_letter_queue = config.queue.rabbitmq.exchange + ".dead",
        // Our consumers' queues exist before the first publish (app/consumers.h).
        .consumer_queues = consumer_queues(config, notifications != nullptr, tracking_on)});
    relay = std::make_unique<service::OutboxRelay>(*store, *relay_publisher, now_ms);
    relayer = std::make_unique<LeasedPeriodic>(
        *store, "outbox relay", replica, std::chrono::milliseconds(config.queue.relay_interval_ms),
        [r = relay.get()] { r->relay_once(); }, now_ms);
  }

  net::HttpClient carrier_http(net::HttpClient::Options{});
  std::unique_ptr<service::TrackingWorker> tracking_worker;
  if (tracking_on) {
    const auto& t = config.tracking;
    service::TrackingWorkerOptions wo;
    wo.tick_ms = t.tick_ms;
    wo.provider = t.provider;
    wo.fallback_provider = t.fallback_provider;
    wo.rate_limit_per_minute = t.rate_limit_per_minute;
    wo.breaker_threshold = t.breaker_threshold;
    wo.breaker_open_ms = t.breaker_open_s * 1000LL;
    wo.policy.freshness_ms = t.freshness_s * 1000LL;
    wo.policy.quiet_in_transit_ms = t.quiet_in_transit_s * 1000LL;
    wo.policy.quiet_near_delivery_ms = t.quiet_near_delivery_s * 1000LL;
    wo.policy.unsubscribed_ms = t.unsubscribed_s * 1000LL;
    wo.policy.no_info_ms = t.no_info_s * 1000LL;
    wo.policy.exception_retry_ms = t.exception_retry_s * 1000LL;
    wo.outbox_grace_ms = outbox_grace_ms(config);  // broker consumers subscribe first
    tracking_worker = std::make_unique<service::TrackingWorker>(
        *store, tracking, pii, carrier_http, kdniao ? &*kdniao : nullptr,
        kuaidi100 ? &*kuaidi100 : nullptr, wo, now_ms,
        [&metrics](std::string_view p, std::string_view k, std::string_view r) {
          metrics.carrier_call(p, k, r);
        },
        [&metrics](std::string_view p, int state) { metrics.carrier_breaker(p, state); },
        cainiao ? &*cainiao : nullptr);
    tracking_worker->start();
  }
  // Our own consumers read from RabbitMQ and ack after the commit; the outbox workers above
  // catch up on what they have not done within queue.consumer_grace_s.
  std::unique_ptr<QueueConsumers> consumers;
  if (queue_consumers_on(config))
    consumers = std::make_unique<QueueConsumers>(
        config, *store, notifications ? notifications->service.get() : nullptr,
        tracking_worker.get(), &metrics.registry());

  const std::string shown_host = config.server.host == "0.0.0.0" ? "127.0.0.1" : config.server.host;
  const std::string url = fmt::format("http://{}:{}", shown_host, port);
  std::cout << "coldtrack listening on " << url << std::endl;
  if (demo_key) {
    std::cout << fmt::format(
                     "\nDemo admin API key (shown once):\n"
                     "  export COLDTRACK_URL={0}\n"
                     "  export COLDTRACK_API_KEY={1}\n"
                     "  export COLDTRACK_API_SECRET={2}\n"
                     "Try:\n"
                     "  ./build/coldtrack client GET '/api/orders?status=IN_TRANSIT&limit=3'\n"
                     "  curl -s {0}/healthz\n"
                     "  ./build/coldtrack client GET '/api/anomalies?state=open&limit=5'\n"
                     "A mini-program customer (the simulator plays WeChat; her orders use phone "
                     "last 4 9999):\n"
                     "  curl -s -X POST {0}/api/auth/wechat -d '{{\"code\":\"alice-1\"}}'\n"
                     "{4}"
                     "Messages sent to customers and staff, and why not:\n"
                     "  ./build/coldtrack client GET '/api/notifications?limit=10'\n"
                     "  curl -s {3}/sim/wechat/messages; curl -s {3}/sim/sms/messages; "
                     "curl -s {3}/sim/webhook/messages\n",
                     url, demo_key->first, demo_key->second,
                     simulator ? simulator->base_url() : std::string("(no simulator)"),
                     h5.site ? fmt::format("The customer tracking page: {}/m/ (e.g. order {}, "
                                           "phone last 4 9999)\n",
                                           url,
                                           logged_orders.empty() ? std::string("DEMO...")
                                                                 : logged_orders.front())
                             : "The customer H5 page is not built: scripts/build-web.sh\n")
              << std::endl;
    if (!demo_staff.empty()) {
      std::cout << "Staff accounts for the merchant console (passwords shown once; POST "
                   "/api/auth/login)"
                << (console.site ? ", the console at " + url + "/console/" : std::string())
                << ":\n";
      for (const auto& [name, password] : demo_staff)
        std::cout << "  " << name << " / " << password << "\n";
    }
    for (const auto& no : live_orders)
      std::cout << "Live parcel (moves every few seconds): ./build/coldtrack client GET "
                   "/api/orders/"
                << no << "/tracking" << std::endl;
    if (!paid_order.empty())
      std::cout << "Paid through (simulated) WeChat Pay, its waybill uploaded to WeChat: "
                   "./build/coldtrack client GET /api/orders/"
                << paid_order << "  (see wechat_shipping)" << std::endl;
  }

  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("received {}, draining", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  const int left = server.drain(std::chrono::seconds(config.server.shutdown_grace_s));
  if (left > 0) spdlog::warn("{} requests still running at the shutdown deadline", left);
  if (metrics_server) metrics_server->drain(std::chrono::milliseconds(0));
  server.stop();
  if (metrics_server) metrics_server->stop();
  if (archiver) archiver->stop();
  masked_fill.request_stop();
  masked_fill.join();
  if (sweeper) sweeper->stop();
  if (consumers) consumers->stop();
  if (notifier) notifier->stop();
  if (relayer) relayer->stop();
  eta_refresh.stop();
  if (tracking_worker) tracking_worker->stop();
  read_pool.join();
  pool.join();
  if (simulator) simulator->stop();
  store->close();
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace coldtrack::app
