// Realistic, clearly fake demo data: frozen-food orders over the last 90 days in every status,
// across several carriers, with Chinese names and addresses and phone numbers from the 170
// virtual-operator range with a 0000 block (never a real subscriber's number pattern).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "service/pii.h"
#include "store/records.h"
#include "store/store.h"

namespace coldtrack::app {

// Deterministic for a given seed; `now` anchors the 90-day window.
std::vector<store::OrderRecord> generate_demo_orders(int count, std::int64_t now_ms,
                                                     const service::PiiCodec& pii,
                                                     std::uint64_t seed = 20261125);

// The demo's mini-program customer: gives the openid (and one name, phone and address) to a
// handful of recent orders, a couple in each status, so a customer logging in to the demo sees
// a realistic order list. Parcels on the road that left at least nine hours ago and hold frozen
// goods come first, so the demo's data loggers can report on them. Returns their numbers.
std::vector<std::string> give_demo_customer(std::vector<store::OrderRecord>& orders,
                                            const std::string& openid, const service::PiiCodec& pii,
                                            std::int64_t now_ms);

// Carrier tracking for the demo's parcels still on the road (SHIPPED, IN_TRANSIT, EXCEPTION),
// drawn from the same transit world model and cut at `now`: pickup, hub scans, out for
// delivery; exceptions get a failed delivery. Provider "demo"; the order status is left as the
// generator chose it. Apply with store.apply_tracking after importing the orders.
std::vector<store::TrackingUpdate> generate_demo_tracking(
    const std::vector<store::OrderRecord>& orders, std::int64_t now_ms,
    std::uint64_t seed = 20261126);

}  // namespace coldtrack::app
