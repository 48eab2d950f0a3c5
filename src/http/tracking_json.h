// Shipment tracking -> JSON, for staff (`GET /api/orders/{no}/tracking`) and the public view.
#pragma once

#include <boost/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace coldtrack::http {

// "SF1234567890123" -> "SF12*******0123"; short numbers keep only their last 4.
std::string mask_waybill(std::string_view waybill);

// One entry per shipment: carrier (code and Chinese name), waybill (masked when asked), unified
// status and label, reason, current location, last update, freshness (when the carrier last
// told us anything) and the trace list newest first.
boost::json::array tracking_json(const std::vector<store::TrackingRecord>& shipments, bool mask,
                                 int utc_offset_minutes);

}  // namespace coldtrack::http
