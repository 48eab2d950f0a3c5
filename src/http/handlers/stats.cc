// GET /api/stats/overview: what the merchant console's 概览 page shows at a glance. Counts only,
// each from an index; carrier figures are this process's since it started.
#include "domain/time.h"
#include "http/api.h"
#include "http/blocking.h"

namespace coldtrack::http {
namespace {

namespace json = boost::json;
namespace asio = boost::asio;
using beast_http::status;
using beast_http::verb;

constexpr std::int64_t kDay = 86'400'000;

// "2026-11-26" for a day index in the display zone.
std::string day_text(std::int64_t day, int tz) {
  return domain::format_rfc3339(day * kDay - tz * 60'000LL, tz).substr(0, 10);
}

asio::awaitable<Response> overview(Api& api, Context& ctx) {
  const int tz = api.utc_offset_minutes;
  const auto now = api.orders.now();
  const std::int64_t today = (now + tz * 60'000LL) / kDay;
  const auto today_start = today * kDay - tz * 60'000LL;
  const auto week_start = today_start - 6 * kDay;
  auto work = [&api, today_start, week_start, tz] {
    return api.store.overview_counts(today_start, week_start, tz);
  };
  const auto c = co_await on_pool(api.reads(), std::move(work));

  json::object by_status;
  std::int64_t created_today = 0;
  for (const auto& [s, n] : c.created_today_by_status) {
    by_status[s] = n;
    created_today += n;
  }
  json::object by_severity{{"critical", 0}, {"major", 0}, {"warning", 0}, {"info", 0}};
  json::object by_kind;
  std::int64_t open = 0;
  for (const auto& [severity, kind, n] : c.open_anomalies) {
    by_severity[severity] = by_severity[severity].to_number<std::int64_t>() + n;
    auto& k = by_kind[kind];
    k = (k.is_null() ? 0 : k.to_number<std::int64_t>()) + n;
    open += n;
  }
  // Every day of the week, zero where nothing happened.
  json::array days;
  for (std::int64_t d = today - 6; d <= today; ++d) {
    std::int64_t created = 0, delivered = 0;
    for (const auto& [day, n] : c.created_by_day)
      if (day == d) created = n;
    for (const auto& [day, n] : c.delivered_by_day)
      if (day == d) delivered = n;
    days.push_back(
        json::object{{"date", day_text(d, tz)}, {"created", created}, {"delivered", delivered}});
  }
  const auto pushes = api.metrics.pushes_accepted();
  co_return json_response(
      ctx, status::ok,
      json::object{
          {"date", day_text(today, tz)},
          {"orders_today", json::object{{"total", created_today}, {"by_status", by_status}}},
          {"delivered_today", c.delivered_today},
          {"in_transit", c.on_the_road},
          {"anomalies_open",
           json::object{{"total", open}, {"by_severity", by_severity}, {"by_kind", by_kind}}},
          {"carrier", json::object{{"pushes", pushes},
                                   {"queries", api.metrics.queries_made()},
                                   {"saved_by_push", pushes},
                                   {"since", "process start"}}},
          {"last_7_days", std::move(days)}});
}

}  // namespace

void add_stats_routes(Router& router, Api& api) {
  router.add(verb::get, "/api/stats/overview", Access::kSigned, Role::kViewer, bind(api, overview));
}

}  // namespace coldtrack::http
