#include "http/customer_view.h"

#include <algorithm>
#include <cmath>

#include "coldchain/readings.h"
#include "domain/time.h"
#include "http/tracking_json.h"
#include "service/eta_service.h"

namespace coldtrack::http {

namespace json = boost::json;

CustomerTracking load_customer_tracking(store::Store& store,
                                        std::vector<store::TrackingRecord> shipments) {
  CustomerTracking t;
  t.shipments = std::move(shipments);
  for (const auto& s : t.shipments)
    if (s.cold_chain) t.readings.emplace(s.shipment_id, store.temperatures(s.shipment_id));
  return t;
}

std::optional<anomaly::CustomerNotice> load_customer_notice(store::Store& store,
                                                            const std::string& order_no) {
  store::AnomalyFilter f;
  f.order_no = order_no;
  f.limit = 50;
  std::vector<anomaly::OpenAnomaly> open;
  for (auto& a : store.list_anomalies(f).items)
    if (a.state != "resolved")
      open.push_back({std::move(a.kind), std::move(a.severity), std::move(a.reason),
                      std::move(a.evidence), a.opened_at});
  return anomaly::customer_notice(open);
}

json::array series_json(const std::vector<store::TemperatureRecord>& readings,
                        std::size_t max_points, int tz) {
  // Loggers of one parcel share its journey: one line of per-bucket min and max is what a
  // customer can read; which logger saw it is a staff question (the signed chart API).
  std::vector<coldchain::Reading> merged;
  merged.reserve(readings.size());
  for (const auto& r : readings) merged.push_back({"", r.at, r.temp_c});
  std::sort(merged.begin(), merged.end(), [](const auto& a, const auto& b) { return a.at < b.at; });
  json::array out;
  for (const auto& p : coldchain::downsample(merged, max_points))
    out.push_back(json::object{{"at", domain::format_rfc3339(p.at, tz)},
                               {"min_c", std::round(p.min_c * 10.0) / 10.0},
                               {"max_c", std::round(p.max_c * 10.0) / 10.0}});
  return out;
}

void add_customer_tracking(json::object& order, const CustomerTracking& t, bool mask_waybill,
                           const service::EtaService* eta, std::int64_t now, int tz) {
  auto tracking = tracking_json(t.shipments, mask_waybill, tz, eta, now);
  for (std::size_t i = 0; i < tracking.size() && i < t.shipments.size(); ++i) {
    auto it = t.readings.find(t.shipments[i].shipment_id);
    auto* cold = tracking[i].as_object().if_contains("cold_chain");
    if (it == t.readings.end() || !cold || !cold->is_object()) continue;
    cold->as_object()["series"] = series_json(it->second, kCustomerChartPoints, tz);
  }
  order["tracking"] = std::move(tracking);
  order["eta"] = eta ? order_eta_json(t.shipments, *eta, now, tz) : json::value(nullptr);
  order["thaw_risk"] = order_thaw_risk(t.shipments);
}

json::value notice_json(const std::optional<anomaly::CustomerNotice>& n) {
  if (!n) return nullptr;
  return json::object{
      {"kind", n->kind}, {"severity", n->severity}, {"title", n->title}, {"message", n->message}};
}

}  // namespace coldtrack::http
