// What customers see of an order beyond the order itself, for the mini-program
// (`GET /api/me/orders/{no}`) and the public tracking page (`GET /api/track`): each parcel's
// tracking with its ETA, a temperature chart for cold-chain parcels, and a plain notice when
// something is wrong. Loading reads the store (call it on a pool); writing is pure.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "anomaly/customer_notice.h"
#include "store/store.h"

namespace coldtrack::service {
class EtaService;
}

namespace coldtrack::http {

struct CustomerTracking {
  std::vector<store::TrackingRecord> shipments;
  // Readings of the shipments that have a cold-chain assessment, by shipment id.
  std::map<std::int64_t, std::vector<store::TemperatureRecord>> readings;
};

// Points per chart: enough for a phone screen's width, small enough for a fast page.
inline constexpr std::size_t kCustomerChartPoints = 96;

CustomerTracking load_customer_tracking(store::Store& store,
                                        std::vector<store::TrackingRecord> shipments);
// The notice for the order's unresolved anomalies (nullopt: nothing to say).
std::optional<anomaly::CustomerNotice> load_customer_notice(store::Store& store,
                                                            const std::string& order_no);

// Sets "tracking" (each cold-chain entry with "series": [{at, min_c, max_c}], all loggers of the
// parcel merged, oldest first), "eta" and "thaw_risk" on `order`.
void add_customer_tracking(boost::json::object& order, const CustomerTracking& t, bool mask_waybill,
                           const service::EtaService* eta, std::int64_t now,
                           int utc_offset_minutes);
// {kind, severity, title, message} or null.
boost::json::value notice_json(const std::optional<anomaly::CustomerNotice>& n);

// The chart of one parcel's readings (any number of loggers).
boost::json::array series_json(const std::vector<store::TemperatureRecord>& readings,
                               std::size_t max_points, int utc_offset_minutes);

}  // namespace coldtrack::http
