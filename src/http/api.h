// The routes of the public API and what their handlers need.
#pragma once

#include <boost/asio/thread_pool.hpp>

#include <functional>

#include "cache/rate_limiter.h"
#include "cache/response_cache.h"
#include "carriers/kdniao/kdniao.h"
#include "carriers/kuaidi100/kuaidi100.h"
#include "http/metrics.h"
#include "http/router.h"
#include "http/static_site.h"
#include "service/coldchain_service.h"
#include "service/customer_service.h"
#include "service/eta_service.h"
#include "service/monitor_service.h"
#include "service/notification_service.h"
#include "service/order_service.h"
#include "service/payment_service.h"
#include "service/staff_service.h"
#include "service/tracking_service.h"
#include "store/store.h"

namespace coldtrack::http {

struct Api {
  service::OrderService& orders;
  service::TrackingService& tracking;
  store::Store& store;
  cache::RateLimiter& track_limiter;
  boost::asio::thread_pool& pool;  // blocking work: writes (they wait on fsync) and the rest
  Metrics& metrics;
  int utc_offset_minutes;       // display zone for RFC 3339 output
  std::function<bool()> ready;  // /readyz
  bool metrics_on_main_listener = true;
  // Push receivers; null when the provider has no credentials configured.
  const carriers::kdniao::Protocol* kdniao = nullptr;
  const carriers::kuaidi100::Protocol* kuaidi100 = nullptr;
  // Monitoring; null when not wired (the routes then answer 503).
  const service::EtaService* eta = nullptr;
  // Reads that only use CPU and the page cache: as many threads as cores, so they do not switch
  // among more threads than can run; null: `pool`.
  boost::asio::thread_pool* read_pool = nullptr;
  boost::asio::thread_pool& reads() { return read_pool ? *read_pool : pool; }
  // Hot masked order responses answered on the I/O thread; null when off
  // (cache.responses.max_age_ms 0).
  cache::ResponseCache* responses = nullptr;
  service::MonitorService* monitor = nullptr;
  service::ColdChainService* cold_chain = nullptr;
  // Payment notifications; null when WeChat Pay is not configured.
  service::PaymentService* payments = nullptr;
  // Mini-program customers; null when WeChat login is not configured.
  service::CustomerService* customers = nullptr;
  // The subscribe-message templates the shop sends with (what the mini-program asks the
  // customer to accept); empty when no WeChat messages are sent.
  std::vector<std::string> subscribe_templates = {};
  // Staff console accounts and sessions; null when not wired.
  service::StaffService* staff = nullptr;
  // Login attempts per client address (the account lockout alone does not stop one address
  // trying a common password on many accounts); null: unlimited.
  cache::RateLimiter* login_limiter = nullptr;
  // The notification log and re-send; null when notifications are off.
  service::NotificationService* notifications = nullptr;
};

// A route handler that calls `fn` with the API's dependencies.
using ApiHandler = boost::asio::awaitable<Response> (*)(Api&, Context&);
inline Handler bind(Api& api, ApiHandler fn) {
  return [&api, fn](Context& ctx) { return fn(api, ctx); };
}

void add_order_routes(Router& router, Api& api);
void add_system_routes(Router& router, Api& api);
void add_callback_routes(Router& router, Api& api);
void add_monitoring_routes(Router& router, Api& api);
// WeChat login and the customer's own orders (bearer token, not API signing).
void add_customer_routes(Router& router, Api& api);
void add_notification_routes(Router& router, Api& api);
// The console's overview counts.
void add_stats_routes(Router& router, Api& api);
// Staff console login, session and logout.
void add_staff_routes(Router& router, Api& api);
// A built front end under `mount` ("/m/"); `site` empty when it was not built (`missing`
// says why and how to build it).
struct WebMount {
  std::string name;   // for messages: "the H5 page"
  std::string mount;  // "/m/"
  std::optional<StaticSite> site;
  std::string missing;
};
void add_web_routes(Router& router, const WebMount& web);
// Only /metrics and /healthz, for a separate metrics listener.
void add_metrics_routes(Router& router, Api& api);

}  // namespace coldtrack::http
