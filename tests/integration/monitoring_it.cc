// Monitoring end to end through the real binary: delivery-time predictions in the order and
// tracking views, anomalies raised by the sweeper and by carrier pushes (raised once, acknowledged,
// resolved, auto-resolved), and cold-chain temperature batches pushed by the simulator's
// data-logger feeds.
#include <chrono>
#include <functional>
#include <thread>

#include "carriers/kdniao/kdniao.h"
#include "fixtures.h"
#include "http/client.h"
#include "sim/simulator.h"
#include "sim/temperature.h"

namespace coldtrack::it {
namespace {

using namespace std::chrono_literals;
constexpr std::int64_t kHour = 3'600'000;
constexpr const char* kEbusinessId = "1299001";
constexpr const char* kKdniaoKey = "monitoring-it-kdniao-key";

std::string at_text(std::int64_t ms) {
  return domain::format_rfc3339(ms, 480);
}

class Monitoring : public SharedServerTest<Monitoring> {
 public:
  static std::map<std::string, std::string> extra_env() {
    return {{"COLDTRACK_ANOMALIES_SWEEP_INTERVAL_S", "1"},
            {"COLDTRACK_SERVER_METRICS_GAUGES_S", "1"},
            // The shop promises to ship frozen goods within 6 hours (others: the 48 h default).
            {"COLDTRACK_ANOMALIES_OVERRIDES", "frozen.ship_promise_h=6"},
            {"COLDTRACK_CARRIERS_KDNIAO_EBUSINESS_ID", kEbusinessId},
            {"COLDTRACK_CARRIERS_KDNIAO_API_KEY", kKdniaoKey},
            // Pushes only: the worker must not poll the real Kdniao from tests.
            {"COLDTRACK_TRACKING_ENABLED", "false"}};
  }

 protected:
  // An order created `age_h` hours ago, paid a minute later, and (when `shipped_h` >= 0)
  // shipped `shipped_h` hours ago with `carrier`. Returns {order_no, shipment id}.
  std::pair<std::string, std::int64_t> order(double age_h, double shipped_h,
                                             const std::string& carrier = "SF",
                                             const std::string& category = "frozen") {
    const auto now = now_ms();
    const auto no = unique_order_no("MON");
    auto body = order_body(no, "13812345678");
    body["created_at"] = at_text(now - static_cast<std::int64_t>(age_h * kHour));
    body["items"].as_array()[0].as_object()["category"] = category;
    auto created = create_order(s(), body);
    EXPECT_EQ(created.status, 201) << created.body;
    EXPECT_EQ(change_status(s(), no, "PAID",
                            at_text(now - static_cast<std::int64_t>(age_h * kHour) + 60'000))
                  .status,
              200);
    if (shipped_h < 0) return {no, 0};
    json::object sh{{"carrier", carrier},
                    {"waybill_no", unique_waybill(carrier == "SF" ? "SF" : "YT")},
                    {"origin_city", "上海市"},
                    {"shipped_at", at_text(now - static_cast<std::int64_t>(shipped_h * kHour))}};
    auto r = s().post("/api/orders/" + no + "/shipments", to_string(sh), s().operator_key());
    EXPECT_EQ(r.status, 200) << r.body;
    const auto shipments = r.json().as_object().at("shipments").as_array();
    return {no, shipments.at(0).as_object().at("id").as_int64()};
  }

  json::array anomalies(const std::string& query) {
    auto r = s().get("/api/anomalies?" + query, s().viewer());
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) return {};
    return r.json().as_object().at("items").as_array();
  }

  // The anomalies of an order of one kind (any state).
  json::array of_kind(const std::string& no, const std::string& kind) {
    return anomalies("order_no=" + no + "&kind=" + kind);
  }

  Response post_readings(std::int64_t shipment, const json::array& readings,
                         const std::string& device = "LOG-IT") {
    return s().post("/api/shipments/" + std::to_string(shipment) + "/temperatures",
                    to_string(json::object{{"device_id", device}, {"readings", readings}}),
                    s().operator_key());
  }

  std::string waybill_of(const std::string& no) {
    auto r = s().get("/api/orders/" + no, s().operator_key());
    return str(r.json().as_object().at("shipments").as_array().at(0).as_object(), "waybill_no");
  }

  // A signed Kdniao push for `waybill` with one trace `minutes_ago`.
  std::string kdniao_push(const std::string& waybill, const std::string& state,
                          const std::string& state_ex, int minutes_ago) {
    return it::kdniao_push(kEbusinessId, kKdniaoKey, waybill, state, state_ex,
                           now_ms() - minutes_ago * 60'000LL);
  }
};

TEST_F(Monitoring, OrderAndTrackingViewsCarryAnExplainedEta) {
  const auto [no, shipment] = order(30, 20);
  auto r = s().get("/api/orders/" + no, s().viewer());
  ASSERT_EQ(r.status, 200) << r.body;
  const auto o = r.json().as_object();
  ASSERT_TRUE(o.at("eta").is_object()) << r.body;
  const auto& eta = o.at("eta").as_object();
  const auto earliest = domain::parse_rfc3339(str(eta, "earliest"));
  const auto likely = domain::parse_rfc3339(str(eta, "most_likely"));
  const auto latest = domain::parse_rfc3339(str(eta, "latest"));
  ASSERT_TRUE(earliest && likely && latest) << r.body;
  EXPECT_LE(*earliest, *likely);
  EXPECT_LE(*likely, *latest);
  EXPECT_GE(*latest, now_ms() - 60'000) << "an undelivered parcel is never predicted in the past";
  // A fresh shop has no delivered history: the carrier's nominal days are the basis.
  EXPECT_EQ(str(eta, "basis").rfind("service_level", 0), 0u) << r.body;
  EXPECT_FALSE(str(eta, "basis_detail").empty());
  const double confidence = eta.at("confidence").to_number<double>();
  EXPECT_GT(confidence, 0.0);
  EXPECT_LE(confidence, 1.0);
  EXPECT_EQ(str(o, "thaw_risk"), "none");
  const auto& sh = o.at("shipments").as_array().at(0).as_object();
  EXPECT_EQ(sh.at("id").as_int64(), shipment);
  EXPECT_EQ(str(sh, "temp_class"), "frozen");
  EXPECT_EQ(str(sh, "origin_city"), "上海市");

  auto t = s().get("/api/orders/" + no + "/tracking", s().viewer());
  ASSERT_EQ(t.status, 200) << t.body;
  const auto tracking = t.json();
  const auto& ts = tracking.as_object().at("shipments").as_array().at(0).as_object();
  ASSERT_TRUE(ts.at("eta").is_object()) << t.body;
  EXPECT_EQ(str(ts.at("eta").as_object(), "latest"), str(eta, "latest"));
}

TEST_F(Monitoring, SilentParcelRaisesOneAnomalyThatStaffAcknowledgeAndResolve) {
  const auto [no, shipment] = order(40, 30, "YTO", "ambient");  // 30 h > 24 h, no trace at all
  ASSERT_TRUE(eventually([&] { return of_kind(no, "no_update").size() == 1; }, 10s))
      << to_string(anomalies("order_no=" + no));
  // Sweeps keep running every second; the anomaly is raised once.
  std::this_thread::sleep_for(2500ms);
  auto list = of_kind(no, "no_update");
  ASSERT_EQ(list.size(), 1u) << to_string(list);
  auto a = list[0].as_object();
  EXPECT_EQ(str(a, "reason"), "NO_TRACE");
  EXPECT_EQ(str(a, "severity"), "warning");
  EXPECT_EQ(str(a, "state"), "open");
  EXPECT_EQ(str(a, "state_label"), "待处理");
  EXPECT_EQ(str(a, "kind_label"), "长时间无物流更新");
  EXPECT_EQ(a.at("shipment_id").as_int64(), shipment);
  EXPECT_TRUE(a.at("evidence").as_object().at("since").is_string());
  const auto id = std::to_string(a.at("id").as_int64());

  // Viewers read, operators act.
  EXPECT_EQ(s().post("/api/anomalies/" + id + "/ack", "", s().viewer()).status, 403);
  auto ack = s().post("/api/anomalies/" + id + "/ack",
                      to_string(json::object{{"note", "已致电快递员"}}), s().operator_key());
  ASSERT_EQ(ack.status, 200) << ack.body;
  EXPECT_EQ(str(ack.json().as_object(), "state"), "acknowledged");
  EXPECT_EQ(s().post("/api/anomalies/" + id + "/ack", "", s().operator_key()).status, 200);
  auto resolved = s().post("/api/anomalies/" + id + "/resolve",
                           to_string(json::object{{"note", "已联系圆通核实"}}), s().operator_key());
  ASSERT_EQ(resolved.status, 200) << resolved.body;
  EXPECT_EQ(str(resolved.json().as_object(), "state"), "resolved");
  EXPECT_EQ(str(resolved.json().as_object(), "resolution"), "已联系圆通核实");
  auto again = s().post("/api/anomalies/" + id + "/ack", "", s().operator_key());
  EXPECT_EQ(again.status, 409) << again.body;
  // Staff handled it: the still-silent parcel is not raised again at the same severity.
  std::this_thread::sleep_for(2500ms);
  EXPECT_EQ(of_kind(no, "no_update").size(), 1u);
  // Audit trail.
  auto audit = s().get("/api/audit?target=anomaly:" + id, s().admin());
  ASSERT_EQ(audit.status, 200) << audit.body;
  EXPECT_EQ(audit.json().as_object().at("items").as_array().size(), 2u) << audit.body;
  // Each note can be read back from the trail, the acknowledgement's too.
  EXPECT_NE(audit.body.find("已致电快递员"), std::string::npos) << audit.body;
  EXPECT_NE(audit.body.find("已联系圆通核实"), std::string::npos) << audit.body;
}

TEST_F(Monitoring, LateAgainstThePromiseAndPaidButNotShipped) {
  // SF promises 1-2 days; ten days later the parcel is late.
  const auto [late_no, late_shipment] = order(250, 240, "SF", "ambient");
  ASSERT_TRUE(eventually([&] { return of_kind(late_no, "late").size() == 1; }, 10s))
      << to_string(anomalies("order_no=" + late_no));
  EXPECT_EQ(str(of_kind(late_no, "late")[0].as_object(), "reason"), "PAST_ETA");
  EXPECT_EQ(str(of_kind(late_no, "late")[0].as_object(), "reason_label"), "已超过预计送达时间");

  // Paid 50 hours ago, not shipped: the shop's 48-hour promise is missed.
  const auto [unshipped, none] = order(50, -1);
  ASSERT_TRUE(eventually([&] { return of_kind(unshipped, "not_shipped").size() == 1; }, 10s));
  // Shipping it resolves the anomaly by itself.
  ASSERT_EQ(add_shipment(s(), unshipped, "SF", unique_waybill("SF")).status, 200);
  ASSERT_TRUE(eventually(
      [&] {
        auto l = of_kind(unshipped, "not_shipped");
        return l.size() == 1 && str(l[0].as_object(), "state") == "resolved";
      },
      10s))
      << to_string(of_kind(unshipped, "not_shipped"));
  const auto a = of_kind(unshipped, "not_shipped")[0].as_object();
  EXPECT_EQ(str(a, "resolved_by"), "system:monitor");

  // The promise per category: frozen paid 8 hours ago is late, ambient paid as long ago is not.
  const auto [frozen, f0] = order(8, -1, "SF", "frozen");
  const auto [ambient, a0] = order(8, -1, "SF", "ambient");
  ASSERT_TRUE(eventually([&] { return of_kind(frozen, "not_shipped").size() == 1; }, 10s));
  const auto evidence = of_kind(frozen, "not_shipped")[0].as_object().at("evidence");
  EXPECT_NE(to_string(evidence).find("\"promise_hours\":6"), std::string::npos)
      << to_string(evidence);
  std::this_thread::sleep_for(1500ms);  // a sweep later
  EXPECT_TRUE(of_kind(ambient, "not_shipped").empty());
}

TEST_F(Monitoring, CarrierProblemIsRaisedOnThePushAndClearsWhenTrackingRecovers) {
  const auto [no, shipment] = order(10, 5, "SF", "frozen");
  const auto waybill = waybill_of(no);
  auto push = [&](const std::string& state, const std::string& ex, int minutes_ago) {
    return s().request("POST", "/api/callbacks/kdniao",
                       kdniao_push(waybill, state, ex, minutes_ago), std::nullopt,
                       {{"Content-Type", "application/x-www-form-urlencoded;charset=utf-8"}});
  };
  ASSERT_EQ(push("4", "404", 30).status, 200);  // 拒收: the customer refused the parcel
  // Raised by the push itself, not only by the next sweep.
  ASSERT_TRUE(eventually([&] { return of_kind(no, "carrier_problem").size() == 1; }, 5s));
  // Found by its shipment too; another shipment has none; a bad id is a clear 400.
  const auto by_shipment = anomalies("shipment_id=" + std::to_string(shipment));
  ASSERT_EQ(by_shipment.size(), 1u) << to_string(by_shipment);
  EXPECT_EQ(str(by_shipment[0].as_object(), "kind"), "carrier_problem");
  EXPECT_TRUE(anomalies("shipment_id=" + std::to_string(shipment + 100000)).empty());
  auto bad = s().get("/api/anomalies?shipment_id=x", s().viewer());
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.error_field(), "shipment_id");
  auto a = of_kind(no, "carrier_problem")[0].as_object();
  EXPECT_EQ(str(a, "reason"), "REJECTED");
  EXPECT_EQ(str(a, "reason_label"), "拒收");
  EXPECT_EQ(str(a, "severity"), "critical") << "frozen goods: one level above major";
  // The carrier delivers after all: the problem resolves itself.
  ASSERT_EQ(push("3", "301", 1).status, 200);
  ASSERT_TRUE(eventually(
      [&] {
        auto l = of_kind(no, "carrier_problem");
        return l.size() == 1 && str(l[0].as_object(), "state") == "resolved";
      },
      5s))
      << to_string(of_kind(no, "carrier_problem"));
}

TEST_F(Monitoring, RefrigerationFailureFromTheSimulatorsLoggerBecomesAnAnomaly) {
  const auto [no, shipment] = order(8, 6, "SF", "frozen");
  // The simulator's logger gateway pushes a failing reefer's readings, signed, in batches.
  sim::LoggerFeed feed;
  feed.target_url = "http://127.0.0.1:" + std::to_string(s().port());
  const auto key = s().operator_key();
  feed.api_key = key.key;
  feed.api_secret = key.secret;
  feed.shipment_id = shipment;
  feed.device_id = "LOG-FAIL";
  feed.profile = sim::LoggerProfile::kFrozenFailure;
  feed.interval_ms = 60'000;
  feed.count = 330;  // 5.5 hours, ending before now
  feed.start = now_ms() - 6 * kHour + 60'000;
  feed.batch = 100;
  const auto result = sim::push_feed(feed);
  ASSERT_EQ(result.failures, 0) << result.last_status << " " << result.last_body;
  EXPECT_EQ(result.readings_sent, 330);

  auto list = of_kind(no, "temperature");
  ASSERT_EQ(list.size(), 1u) << to_string(anomalies("order_no=" + no));
  const auto a = list[0].as_object();
  EXPECT_EQ(str(a, "severity"), "critical") << to_string(a);
  EXPECT_EQ(str(a, "kind_label"), "温度超标");
  EXPECT_EQ(str(a, "reason_label").rfind("高于", 0), 0u) << to_string(a);  // e.g. 高于 -12°C

  auto order_view = s().get("/api/orders/" + no, s().viewer());
  EXPECT_EQ(str(order_view.json().as_object(), "thaw_risk"), "high") << order_view.body;

  // /metrics shows the open critical temperature anomaly as a level (refreshed every second
  // here), for alerting.
  bool exported = false;
  for (int i = 0; i < 40 && !exported; ++i) {
    const auto m = s().get("/metrics", std::nullopt).body;
    const auto at = m.find("coldtrack_anomalies_open{kind=\"temperature\",severity=\"critical\"} ");
    exported = at != std::string::npos && m[m.find("} ", at) + 2] != '0';
    if (!exported) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(exported) << s().get("/metrics", std::nullopt).body;

  // Charts: downsampled, spikes and the failure visible in max_c.
  auto chart = s().get("/api/shipments/" + std::to_string(shipment) + "/temperatures?points=50",
                       s().viewer());
  ASSERT_EQ(chart.status, 200) << chart.body;
  const auto c = chart.json().as_object();
  const auto& series = c.at("series").as_array();
  ASSERT_EQ(series.size(), 1u);
  const auto& points = series[0].as_object().at("points").as_array();
  EXPECT_LE(points.size(), 50u);
  EXPECT_GE(points.size(), 40u);
  std::int64_t counted = 0;
  double hottest = -100;
  for (const auto& p : points) {
    counted += p.as_object().at("count").as_int64();
    hottest = std::max(hottest, p.as_object().at("max_c").to_number<double>());
  }
  EXPECT_EQ(counted, 330);
  EXPECT_GT(hottest, -10.0);
  const auto& cc = c.at("cold_chain").as_object();
  EXPECT_EQ(cc.at("readings").as_int64(), 330);
  EXPECT_TRUE(cc.at("mkt_c").is_number());
  EXPECT_EQ(str(cc, "thaw_risk"), "high");

  // The console's cold-chain board lists the parcel, the worst first, with its assessment.
  auto board = s().get("/api/coldchain/parcels?scope=all&limit=500", s().viewer());
  ASSERT_EQ(board.status, 200) << board.body;
  const auto board_json = board.json();
  const auto& parcels = board_json.as_object().at("items").as_array();
  ASSERT_FALSE(parcels.empty());
  EXPECT_EQ(str(parcels[0].as_object().at("cold_chain").as_object(), "thaw_risk"), "high");
  bool listed = false;
  for (const auto& p : parcels) {
    const auto& o = p.as_object();
    if (o.at("shipment_id").as_int64() != shipment) continue;
    listed = true;
    EXPECT_EQ(str(o, "order_no"), no);
    EXPECT_NE(str(o, "waybill_no").find('*'), std::string::npos) << "masked for viewers";
    EXPECT_EQ(o.at("cold_chain").as_object().at("readings").as_int64(), 330);
  }
  EXPECT_TRUE(listed) << board.body;
  EXPECT_EQ(s().get("/api/coldchain/parcels?scope=some", s().viewer()).error_field(), "scope");
  EXPECT_EQ(s().get("/api/coldchain/parcels?limit=0", s().viewer()).error_field(), "limit");

  // The logger resends everything: stored once, still one anomaly.
  const auto again = sim::push_feed(feed);
  EXPECT_EQ(again.failures, 0);
  auto chart2 = s().get("/api/shipments/" + std::to_string(shipment) + "/temperatures?points=5",
                        s().viewer());
  EXPECT_EQ(chart2.json().as_object().at("cold_chain").as_object().at("readings").as_int64(), 330);
  EXPECT_EQ(of_kind(no, "temperature").size(), 1u);
}

TEST_F(Monitoring, DoorOpenSpikesAloneAreNotAnExcursion) {
  const auto [no, shipment] = order(8, 6, "SF", "frozen");
  sim::LoggerFeed feed;
  feed.target_url = "http://127.0.0.1:" + std::to_string(s().port());
  const auto key = s().operator_key();
  feed.api_key = key.key;
  feed.api_secret = key.secret;
  feed.shipment_id = shipment;
  feed.device_id = "LOG-DOOR";
  feed.profile = sim::LoggerProfile::kFrozenDoorOpen;
  feed.interval_ms = 60'000;
  feed.count = 330;
  feed.start = now_ms() - 6 * kHour + 60'000;
  const auto result = sim::push_feed(feed);
  ASSERT_EQ(result.failures, 0) << result.last_body;
  EXPECT_TRUE(of_kind(no, "temperature").empty());
  auto order_view = s().get("/api/orders/" + no, s().viewer());
  const auto risk = str(order_view.json().as_object(), "thaw_risk");
  EXPECT_TRUE(risk == "none" || risk == "low") << risk;
}

TEST_F(Monitoring, ABatchWithImpossibleReadingsIsRefusedWholeListingItsIndexes) {
  const auto [no, shipment] = order(8, 6);
  const auto t0 = now_ms() - 5 * kHour;
  json::array readings;
  for (int i = 0; i < 1200; ++i)
    readings.push_back(json::object{{"at", at_text(t0 + i * 10'000LL)}, {"temp_c", -20.5}});
  readings[3].as_object()["temp_c"] = -150;                         // below -100 °C
  readings[700].as_object()["temp_c"] = 101;                        // above 100 °C
  readings[900].as_object()["at"] = at_text(now_ms() + 2 * kHour);  // far in the future
  readings[1100].as_object()["temp_c"] = "NaN";                     // not a number
  auto r = post_readings(shipment, readings);
  ASSERT_EQ(r.status, 400) << r.body.substr(0, 500);
  const auto err = r.json().as_object().at("error").as_object();
  EXPECT_EQ(str(err, "field"), "readings");
  json::array expected{3, 700, 900, 1100};
  EXPECT_EQ(err.at("indexes"), json::value(expected)) << r.body.substr(0, 800);
  // Nothing from the refused batch was stored.
  auto chart =
      s().get("/api/shipments/" + std::to_string(shipment) + "/temperatures", s().viewer());
  ASSERT_EQ(chart.status, 200);
  EXPECT_TRUE(chart.json().as_object().at("series").as_array().empty()) << chart.body;

  // The same batch without the bad readings: all 1,196 stored, out of order is fine.
  json::array good;
  for (std::size_t i = readings.size(); i-- > 0;)
    if (i != 3 && i != 700 && i != 900 && i != 1100) good.push_back(readings[i]);
  auto ok = post_readings(shipment, good);
  ASSERT_EQ(ok.status, 200) << ok.body.substr(0, 500);
  EXPECT_EQ(ok.json().as_object().at("inserted").as_int64(), 1196);
  // Operators see readings and sweeps on /metrics.
  auto metrics = s().get("/metrics", std::nullopt);
  EXPECT_NE(metrics.body.find("coldtrack_temperature_readings_total{result=\"rejected\"} 1200"),
            std::string::npos);
  EXPECT_NE(metrics.body.find("coldtrack_anomaly_sweep_seconds"), std::string::npos);

  // Other bad requests.
  EXPECT_EQ(post_readings(999'999'999, good).status, 404);
  EXPECT_EQ(post_readings(shipment, json::array{}).status, 400);
  auto viewer =
      s().post("/api/shipments/" + std::to_string(shipment) + "/temperatures",
               to_string(json::object{{"device_id", "X"}, {"readings", good}}), s().viewer());
  EXPECT_EQ(viewer.status, 403);
  auto bad_query = s().get("/api/anomalies?kind=bogus", s().viewer());
  EXPECT_EQ(bad_query.status, 400);
  EXPECT_EQ(bad_query.error_field(), "kind");
}

TEST_F(Monitoring, TheSimulatorControlRouteRunsALoggerFeedAgainstTheServer) {
  const auto [no, shipment] = order(8, 6, "SF", "chilled");
  sim::SimOptions so;
  so.port = 0;
  sim::Simulator simulator(so);
  simulator.start();
  const auto key = s().operator_key();
  json::object body{{"target_url", "http://127.0.0.1:" + std::to_string(s().port())},
                    {"api_key", key.key},
                    {"api_secret", key.secret},
                    {"shipment_id", shipment},
                    {"device_id", "LOG-SIM"},
                    {"profile", "chilled_failure"},
                    {"interval_s", 60},
                    {"count", 300},
                    {"start", at_text(now_ms() - 6 * kHour + 60'000)}};
  const auto base = simulator.base_url();
  const auto port = static_cast<unsigned short>(std::stoi(base.substr(base.rfind(':') + 1)));
  http::Client client("127.0.0.1", port);
  auto r = client.request("POST", "/sim/loggers", json::serialize(body));
  ASSERT_EQ(r.status, 202) << r.body;
  ASSERT_TRUE(eventually(
      [&] {
        auto l = client.request("GET", "/sim/loggers");
        return l.body.find("\"done\"") != std::string::npos;
      },
      20s));
  ASSERT_TRUE(eventually([&] { return of_kind(no, "temperature").size() == 1; }, 5s))
      << to_string(anomalies("order_no=" + no));
  simulator.stop();
}

}  // namespace
}  // namespace coldtrack::it
