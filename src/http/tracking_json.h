// Shipment tracking -> JSON, for staff (`GET /api/orders/{no}/tracking`) and the public view.
#pragma once

#include <boost/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "eta/eta.h"
#include "service/eta_service.h"
#include "store/store.h"

namespace coldtrack::http {

// "SF1234567890123" -> "SF12*******0123"; short numbers keep only their last 4.
std::string mask_waybill(std::string_view waybill);

// One entry per shipment: carrier (code and Chinese name), waybill (masked when asked), unified
// status and label, reason, current location, last update, freshness (when the carrier last
// told us anything) and the trace list newest first.
// With `eta` set, each entry also carries its delivery prediction (null once delivered).
boost::json::array tracking_json(const std::vector<store::TrackingRecord>& shipments, bool mask,
                                 int utc_offset_minutes, const service::EtaService* eta = nullptr,
                                 domain::EpochMs now = 0);

// {earliest, latest, most_likely, confidence, basis, basis_detail, samples}
boost::json::object eta_json(const eta::Eta& e, int utc_offset_minutes);
// The stored cold-chain summary plus labels; null when the shipment has no readings.
boost::json::value cold_chain_json(const std::optional<store::ColdChainRecord>& k,
                                   int utc_offset_minutes);
// Rewrites every integer member named "*_at" or "since" (stored as epoch ms) as RFC 3339,
// recursively.
void times_to_rfc3339(boost::json::value& v, int utc_offset_minutes);
// The prediction for an order: the latest most_likely among its undelivered shipments.
boost::json::value order_eta_json(const std::vector<store::TrackingRecord>& shipments,
                                  const service::EtaService& eta, domain::EpochMs now,
                                  int utc_offset_minutes);
// The worst thaw risk among the shipments ("none" when nothing was measured).
std::string_view order_thaw_risk(const std::vector<store::TrackingRecord>& shipments);

}  // namespace coldtrack::http
