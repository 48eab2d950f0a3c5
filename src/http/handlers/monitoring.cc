// /api/anomalies (list, read, acknowledge, resolve) and /api/shipments/{id}/temperatures
// (batch ingest and chart series).
#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "anomaly/rules.h"
#include "carriers/tracking.h"
#include "domain/status.h"
#include "domain/time.h"
#include "domain/validation.h"
#include "http/api.h"
#include "http/blocking.h"
#include "http/handlers/common.h"
#include "http/json_fields.h"
#include "http/tracking_json.h"

namespace coldtrack::http {
namespace {

namespace json = boost::json;
namespace asio = boost::asio;
using beast_http::status;
using beast_http::verb;

constexpr std::size_t kMaxReadingsPerBatch = 10'000;
constexpr std::size_t kMaxChartPoints = 2'000;

Response unavailable(const Context& ctx) {
  return error_response(ctx, status::service_unavailable, "unavailable",
                        "monitoring is not enabled on this server");
}

std::string_view state_label_zh(std::string_view state) {
  if (state == "open") return "待处理";
  if (state == "acknowledged") return "已确认";
  if (state == "resolved") return "已解决";
  return "";
}

json::value time_or_null(const std::optional<domain::EpochMs>& t, int tz) {
  return t ? json::value(domain::format_rfc3339(*t, tz)) : json::value(nullptr);
}

json::object anomaly_json(const store::AnomalyRecord& a, int tz) {
  json::object o{
      {"id", a.id},
      {"kind", a.kind},
      {"kind_label", anomaly::kind_label_zh(a.kind)},
      {"order_no", a.order_no},
      {"shipment_id", a.shipment_id ? json::value(*a.shipment_id) : nullptr},
      {"carrier", a.carrier.empty() ? json::value(nullptr) : json::value(a.carrier)},
      {"severity", a.severity},
      {"severity_label", anomaly::severity_label_zh(a.severity)},
      {"reason", a.reason},
      {"state", a.state},
      {"state_label", state_label_zh(a.state)},
      {"opened_at", domain::format_rfc3339(a.opened_at, tz)},
      {"updated_at", domain::format_rfc3339(a.updated_at, tz)},
      {"acknowledged_at", time_or_null(a.acknowledged_at, tz)},
      {"acknowledged_by",
       a.acknowledged_by.empty() ? json::value(nullptr) : json::value(a.acknowledged_by)},
      {"resolved_at", time_or_null(a.resolved_at, tz)},
      {"resolved_by", a.resolved_by.empty() ? json::value(nullptr) : json::value(a.resolved_by)},
      {"resolution", a.resolution.empty() ? json::value(nullptr) : json::value(a.resolution)}};
  boost::system::error_code ec;
  auto evidence = json::parse(a.evidence, ec);
  if (ec || !evidence.is_object()) evidence = json::object{};
  // Reasons have fixed labels; a temperature zone carries its own in the evidence.
  std::string reason_zh(anomaly::reason_label_zh(a.reason));
  if (const auto* z = evidence.as_object().if_contains("zone_label"); z && z->is_string())
    reason_zh = std::string(z->as_string());
  o["reason_label"] = reason_zh.empty() ? json::value(nullptr) : json::value(reason_zh);
  times_to_rfc3339(evidence, tz);  // stored as epoch ms; the API speaks RFC 3339
  o["evidence"] = std::move(evidence);
  return o;
}

asio::awaitable<Response> list_anomalies(Api& api, Context& ctx) {
  if (!api.monitor) co_return unavailable(ctx);
  if (auto bad = check_query_names(ctx, {"state", "kind", "severity", "carrier", "order_no",
                                         "shipment_id", "from", "to", "limit", "cursor"}))
    co_return *bad;
  store::AnomalyFilter f;
  auto fail = [&](std::string_view field, std::string_view message) {
    return error_response(ctx, status::bad_request, "invalid_argument", message, field);
  };
  if (auto v = ctx.query("state")) {
    if (*v != "open" && *v != "acknowledged" && *v != "resolved")
      co_return fail("state", "must be open, acknowledged or resolved");
    f.state = *v;
  }
  if (auto v = ctx.query("kind")) {
    if (!anomaly::is_known_kind(*v))
      co_return fail("kind",
                     "must be one of no_update, carrier_problem, stuck_at_pickup, late, "
                     "not_signed, not_shipped, temperature");
    f.kind = *v;
  }
  if (auto v = ctx.query("severity")) {
    if (!anomaly::is_known_severity(*v))
      co_return fail("severity", "must be info, warning, major or critical");
    f.severity = *v;
  }
  if (auto v = ctx.query("carrier")) {
    if (v->empty() || v->size() > 32) co_return fail("carrier", "must be a carrier code");
    f.carrier = *v;
  }
  if (auto v = ctx.query("order_no")) {
    if (!domain::is_valid_order_no(*v))
      co_return fail("order_no", "must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'");
    f.order_no = *v;
  }
  if (auto v = ctx.query("shipment_id")) {
    auto n = parse_positive_id(*v);
    if (!n) co_return fail("shipment_id", "must be a positive integer");
    f.shipment_id = *n;
  }
  for (const char* name : {"from", "to"}) {
    if (auto v = ctx.query(name)) {
      auto t = domain::parse_rfc3339(*v);
      if (!t) co_return fail(name, "must be an RFC 3339 time with an offset");
      (std::string_view(name) == "from" ? f.from : f.to) = *t;
    }
  }
  if (auto bad = read_id_page(ctx, f.limit, f.before_id)) co_return *bad;
  auto work = [&api, f] { return api.monitor->list(f); };
  auto result = co_await on_pool(api.pool, std::move(work));
  if (!result.ok()) co_return error_response(ctx, result.error());
  json::array items;
  for (const auto& a : result.value().items)
    items.push_back(anomaly_json(a, api.utc_offset_minutes));
  const auto& next = result.value().next_before_id;
  co_return json_response(
      ctx, status::ok,
      json::object{{"items", std::move(items)},
                   {"next_cursor", next ? json::value(std::to_string(*next)) : nullptr}});
}

asio::awaitable<Response> get_anomaly(Api& api, Context& ctx) {
  if (!api.monitor) co_return unavailable(ctx);
  auto id = parse_positive_id(ctx.params.at("id"));
  if (!id)
    co_return error_response(ctx, status::bad_request, "invalid_argument",
                             "must be a positive integer", "id");
  auto work = [&api, id = *id] { return api.monitor->get(id); };
  auto result = co_await on_pool(api.pool, std::move(work));
  if (!result.ok()) co_return error_response(ctx, result.error());
  co_return json_response(ctx, status::ok, anomaly_json(result.value(), api.utc_offset_minutes));
}

asio::awaitable<Response> move_anomaly(Api& api, Context& ctx, std::string to) {
  if (!api.monitor) co_return unavailable(ctx);
  auto id = parse_positive_id(ctx.params.at("id"));
  if (!id)
    co_return error_response(ctx, status::bad_request, "invalid_argument",
                             "must be a positive integer", "id");
  std::string note;
  if (!ctx.req.body().empty()) {
    auto body = parse_object(ctx.req.body());
    if (!body.ok()) co_return error_response(ctx, body.error());
    FieldReader r(body.value(), "");
    if (!(r.only({"note"}) && r.str("note", note, false))) co_return error_response(ctx, r.error());
    if (note.size() > 500)
      co_return error_response(ctx, status::bad_request, "invalid_argument",
                               "must be at most 500 bytes", "note");
  }
  if (to == "resolved" && note.empty()) note = "resolved by staff";
  auto work = [&api, id = *id, to, note, a = actor_of(ctx)] {
    return api.monitor->transition(id, to, note, a);
  };
  auto result = co_await on_pool(api.pool, std::move(work));
  if (!result.ok()) co_return error_response(ctx, result.error());
  co_return json_response(ctx, status::ok, anomaly_json(result.value(), api.utc_offset_minutes));
}

// GCC 12: a temporary with a destructor must not live inside a co_await expression.
asio::awaitable<Response> ack_anomaly(Api& api, Context& ctx) {
  std::string to = "acknowledged";
  auto task = move_anomaly(api, ctx, std::move(to));
  co_return co_await std::move(task);
}

asio::awaitable<Response> resolve_anomaly(Api& api, Context& ctx) {
  std::string to = "resolved";
  auto task = move_anomaly(api, ctx, std::move(to));
  co_return co_await std::move(task);
}

// Parses every reading it can; the ones it cannot become problems by index, so a refusal
// lists all of them at once.
bool parse_readings(const json::object& body, std::vector<coldchain::Reading>& readings,
                    std::vector<coldchain::ReadingProblem>& problems, service::Error& error) {
  FieldReader r(body, "");
  std::string default_device;
  const json::array* list = nullptr;
  if (!(r.only({"device_id", "readings"}) && r.str("device_id", default_device, false) &&
        r.array("readings", list, true))) {
    error = r.error();
    return false;
  }
  if (list->empty() || list->size() > kMaxReadingsPerBatch) {
    error = service::invalid("readings",
                             fmt::format("must hold 1 to {} readings", kMaxReadingsPerBatch));
    return false;
  }
  for (std::size_t i = 0; i < list->size(); ++i) {
    const auto& v = (*list)[i];
    auto bad = [&](const char* field, std::string message) {
      problems.push_back({i, field, std::move(message)});
    };
    if (!v.is_object()) {
      bad("reading", "must be an object {at, temp_c[, device_id]}");
      continue;
    }
    const auto& o = v.as_object();
    coldchain::Reading reading;
    reading.device_id = default_device;
    bool ok = true;
    for (const auto& [key, value] : o) {
      if (key != "at" && key != "temp_c" && key != "device_id") {
        bad("reading", fmt::format("unknown field \"{}\"", std::string_view(key)));
        ok = false;
      }
    }
    if (const auto* d = o.if_contains("device_id")) {
      if (!d->is_string()) {
        bad("device_id", "must be a string");
        ok = false;
      } else {
        reading.device_id = std::string(d->as_string());
      }
    }
    const auto* at = o.if_contains("at");
    std::optional<domain::EpochMs> t;
    if (at && at->is_string()) t = domain::parse_rfc3339(at->as_string());
    if (!t) {
      bad("at", "must be an RFC 3339 time with an offset");
      ok = false;
    } else {
      reading.at = *t;
    }
    const auto* temp = o.if_contains("temp_c");
    if (temp && temp->is_number()) {
      reading.temp_c = temp->to_number<double>();
    } else {
      bad("temp_c", "must be a number (degrees Celsius)");
      ok = false;
    }
    if (ok) readings.push_back(std::move(reading));
  }
  return true;
}

asio::awaitable<Response> post_temperatures(Api& api, Context& ctx) {
  if (!api.cold_chain) co_return unavailable(ctx);
  auto id = parse_positive_id(ctx.params.at("id"));
  if (!id)
    co_return error_response(ctx, status::bad_request, "invalid_argument",
                             "must be a positive integer", "shipment_id");
  auto body = parse_object(ctx.req.body());
  if (!body.ok()) co_return error_response(ctx, body.error());
  std::vector<coldchain::Reading> readings;
  std::vector<coldchain::ReadingProblem> malformed;
  service::Error error{service::ErrorCode::kInvalidArgument, "", "", std::nullopt};
  if (!parse_readings(body.value(), readings, malformed, error))
    co_return error_response(ctx, error);
  auto work = [&api, id = *id, r = std::move(readings), m = std::move(malformed)]() mutable {
    return api.cold_chain->ingest(id, std::move(r), std::move(m));
  };
  auto result = co_await on_pool(api.pool, std::move(work));
  if (!result.ok()) co_return error_response(ctx, result.error());
  auto& out = result.value();
  if (!out.problems.empty()) {
    api.metrics.temperature_readings("rejected", out.received);
    // Every offending index, and the details of the first 100 problems (a batch of 10,000
    // bad readings must not produce a megabyte of the same message).
    constexpr std::size_t kDetailed = 100;
    json::array problems, indexes;
    std::string shown;
    for (std::size_t i = 0; i < out.problems.size(); ++i) {
      const auto& p = out.problems[i];
      if (i < kDetailed)
        problems.push_back(
            json::object{{"index", p.index}, {"field", p.field}, {"message", p.message}});
      if (i == 0 || p.index != out.problems[i - 1].index) {
        indexes.push_back(p.index);
        if (indexes.size() <= 20) shown += (shown.empty() ? "" : ", ") + std::to_string(p.index);
      }
    }
    auto err = error_body(
        "invalid_argument",
        fmt::format("{} invalid readings (index {}{}); nothing from this batch was stored",
                    indexes.size(), shown, indexes.size() > 20 ? ", ..." : ""),
        "readings", ctx.request_id);
    auto& e = err["error"].as_object();
    e["indexes"] = std::move(indexes);
    e["problems"] = std::move(problems);
    e["problems_total"] = out.problems.size();
    co_return json_response(ctx, status::bad_request, err);
  }
  api.metrics.temperature_readings("stored", out.inserted);
  api.metrics.temperature_readings("duplicate", out.duplicates);
  co_return json_response(
      ctx, status::ok,
      json::object{{"shipment_id", *id},
                   {"received", out.received},
                   {"inserted", out.inserted},
                   {"duplicates", out.duplicates},
                   {"cold_chain", cold_chain_json(out.cold_chain, api.utc_offset_minutes)}});
}

asio::awaitable<Response> get_temperatures(Api& api, Context& ctx) {
  if (!api.cold_chain) co_return unavailable(ctx);
  auto id = parse_positive_id(ctx.params.at("id"));
  if (!id)
    co_return error_response(ctx, status::bad_request, "invalid_argument",
                             "must be a positive integer", "shipment_id");
  if (auto bad = check_query_names(ctx, {"points", "from", "to"})) co_return *bad;
  std::size_t points = 200;
  if (auto v = ctx.query("points")) {
    auto n = parse_positive_id(*v);
    if (!n || *n > static_cast<std::int64_t>(kMaxChartPoints))
      co_return error_response(ctx, status::bad_request, "invalid_argument",
                               fmt::format("must be an integer from 1 to {}", kMaxChartPoints),
                               "points");
    points = static_cast<std::size_t>(*n);
  }
  std::optional<domain::EpochMs> from, to;
  for (const char* name : {"from", "to"}) {
    if (auto v = ctx.query(name)) {
      auto t = domain::parse_rfc3339(*v);
      if (!t)
        co_return error_response(ctx, status::bad_request, "invalid_argument",
                                 "must be an RFC 3339 time with an offset", name);
      (std::string_view(name) == "from" ? from : to) = *t;
    }
  }
  auto work = [&api, id = *id, points, from, to] {
    return api.cold_chain->chart(id, points, from, to);
  };
  auto result = co_await on_pool(api.pool, std::move(work));
  if (!result.ok()) co_return error_response(ctx, result.error());
  const auto& c = result.value();
  const int tz = api.utc_offset_minutes;
  json::array series;
  for (const auto& s : c.series) {
    json::array pts;
    for (const auto& p : s.points) {
      pts.push_back(json::object{{"at", domain::format_rfc3339(p.at, tz)},
                                 {"until", domain::format_rfc3339(p.until, tz)},
                                 {"min_c", std::round(p.min_c * 100.0) / 100.0},
                                 {"max_c", std::round(p.max_c * 100.0) / 100.0},
                                 {"avg_c", std::round(p.avg_c * 100.0) / 100.0},
                                 {"count", p.count}});
    }
    series.push_back(json::object{{"device_id", s.device_id}, {"points", std::move(pts)}});
  }
  co_return json_response(ctx, status::ok,
                          json::object{{"shipment_id", *id},
                                       {"order_no", c.shipment.order_no},
                                       {"temp_class", c.shipment.temp_class},
                                       {"cold_chain", cold_chain_json(c.cold_chain, tz)},
                                       {"series", std::move(series)}});
}

}  // namespace

// The console's cold-chain board: parcels that carried a data logger, the worst thaw risk
// first, each with its assessment (MKT, zones, excursions) and where the parcel is.
asio::awaitable<Response> cold_chain_parcels(Api& api, Context& ctx) {
  if (auto bad = check_query_names(ctx, {"scope", "limit"})) co_return *bad;
  store::ColdChainFilter f;
  if (auto v = ctx.query("scope")) {
    if (*v != "on_the_road" && *v != "all")
      co_return error_response(ctx, status::bad_request, "invalid_argument",
                               "must be on_the_road or all", "scope");
    f.on_the_road = *v == "on_the_road";
  }
  if (auto v = ctx.query("limit")) {
    auto n = parse_positive_id(*v);
    if (!n || *n > 500)
      co_return error_response(ctx, status::bad_request, "invalid_argument",
                               "must be an integer from 1 to 500", "limit");
    f.limit = static_cast<int>(*n);
  }
  auto work = [&api, f] { return api.store.cold_chain_parcels(f); };
  const auto parcels = co_await on_pool(api.reads(), std::move(work));
  const bool mask = ctx.principal->role == Role::kViewer;
  const int tz = api.utc_offset_minutes;
  json::array items;
  for (const auto& p : parcels) {
    json::value tracking = nullptr;
    if (auto t = carriers::parse_tracking_status(p.tracking_status))
      tracking =
          json::object{{"status", p.tracking_status}, {"status_label", carriers::label_zh(*t)}};
    const auto order_status = domain::parse_status(p.order_status);
    items.push_back(
        json::object{{"shipment_id", p.shipment_id},
                     {"order_no", p.order_no},
                     {"order_status", p.order_status},
                     {"order_status_label", order_status ? domain::label_zh(*order_status) : ""},
                     {"carrier", p.carrier},
                     {"carrier_name", p.carrier_name},
                     {"waybill_no", mask ? mask_waybill(p.waybill_no) : p.waybill_no},
                     {"temp_class", p.temp_class},
                     {"shipped_at", domain::format_rfc3339(p.shipped_at, tz)},
                     {"tracking", std::move(tracking)},
                     {"cold_chain", cold_chain_json(p.cold_chain, tz)}});
  }
  co_return json_response(ctx, status::ok, json::object{{"items", std::move(items)}});
}

void add_monitoring_routes(Router& router, Api& api) {
  router.add(verb::get, "/api/coldchain/parcels", Access::kSigned, Role::kViewer,
             bind(api, cold_chain_parcels));
  router.add(verb::get, "/api/anomalies", Access::kSigned, Role::kViewer,
             bind(api, list_anomalies));
  router.add(verb::get, "/api/anomalies/{id}", Access::kSigned, Role::kViewer,
             bind(api, get_anomaly));
  router.add(verb::post, "/api/anomalies/{id}/ack", Access::kSigned, Role::kOperator,
             bind(api, ack_anomaly));
  router.add(verb::post, "/api/anomalies/{id}/resolve", Access::kSigned, Role::kOperator,
             bind(api, resolve_anomaly));
  router.add(verb::post, "/api/shipments/{id}/temperatures", Access::kSigned, Role::kOperator,
             bind(api, post_temperatures));
  router.add(verb::get, "/api/shipments/{id}/temperatures", Access::kSigned, Role::kViewer,
             bind(api, get_temperatures));
}

}  // namespace coldtrack::http
