// Order <-> JSON. Requests are parsed strictly (unknown fields are errors); responses mask
// personal data unless the view says otherwise.
#pragma once

#include <boost/json.hpp>

#include <string>

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
// The same JSON as order_json, appended to `out` as text without building a DOM first: list
// pages render many orders, and building then serializing the DOM was a fifth of their cost.
// Tests hold the two equal.
void append_order_json(std::string& out, const domain::Order& o, View view, int utc_offset_minutes);
// A list page: {"items":[…],"next_cursor":…}, written as text.
std::string order_page_json(const service::OrderList& page, View view, int utc_offset_minutes);
service::Result<domain::NewOrder> parse_new_order(const boost::json::object& body);

}  // namespace coldtrack::http
