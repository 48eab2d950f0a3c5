// How carrier tracking drives the order lifecycle. Pure.
#pragma once

#include <optional>

#include "carriers/tracking.h"
#include "domain/status.h"

namespace coldtrack::carriers {

// The order status a tracking status implies: first movement -> IN_TRANSIT, delivered ->
// DELIVERED, carrier problem or return -> EXCEPTION; nothing for NO_INFO / AWAITING_PICKUP.
// The caller still checks domain::can_transition (an order already IN_TRANSIT stays so).
std::optional<domain::OrderStatus> order_status_for(TrackingStatus t);

// Snapshot ordering on what is stored of a snapshot (see supersedes): newest trace time, then
// trace count. A snapshot without traces never replaces one with traces.
bool newer_than(std::optional<EpochMs> candidate_newest, std::size_t candidate_traces,
                std::optional<EpochMs> current_newest, std::size_t current_traces);

}  // namespace coldtrack::carriers
