// Order <-> JSON. Requests are parsed strictly (unknown fields are errors); responses mask
// personal data unless the view says otherwise.
#pragma once

#include <boost/json.hpp>

#include "domain/order.h"
#include "service/order_service.h"
#include "service/result.h"

namespace coldtrack::http {

enum class View {
  kMasked,    // staff default: phone 138****5678, name 张*, address to city
  kRevealed,  // admin with ?reveal=true (audited)
  kPublic,    // public tracking: status, history, shipments, city only
};

boost::json::object order_json(const domain::Order& o, View view, int utc_offset_minutes);
service::Result<domain::NewOrder> parse_new_order(const boost::json::object& body);

}  // namespace coldtrack::http
