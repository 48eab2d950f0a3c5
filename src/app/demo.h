// Realistic, clearly fake demo data: frozen-food orders over the last 90 days in every status,
// across several carriers, with Chinese names and addresses and phone numbers from the 170
// virtual-operator range with a 0000 block (never a real subscriber's number pattern).
#pragma once

#include <cstdint>
#include <vector>

#include "service/pii.h"
#include "store/records.h"

namespace coldtrack::app {

// Deterministic for a given seed; `now` anchors the 90-day window.
std::vector<store::OrderRecord> generate_demo_orders(int count, std::int64_t now_ms,
                                                     const service::PiiCodec& pii,
                                                     std::uint64_t seed = 20261125);

}  // namespace coldtrack::app
