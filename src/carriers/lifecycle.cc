#include "carriers/lifecycle.h"

namespace coldtrack::carriers {

std::optional<domain::OrderStatus> order_status_for(TrackingStatus t) {
  using T = TrackingStatus;
  switch (t) {
    case T::kPickedUp:
    case T::kInTransit:
    case T::kOutForDelivery:
    case T::kAtPickupPoint:
    case T::kCustoms:
      return domain::OrderStatus::kInTransit;
    case T::kDelivered:
      return domain::OrderStatus::kDelivered;
    case T::kException:
    case T::kReturning:
    case T::kReturned:
      return domain::OrderStatus::kException;
    case T::kNoInfo:
    case T::kAwaitingPickup:
      return std::nullopt;
  }
  return std::nullopt;
}

bool newer_than(std::optional<EpochMs> candidate_newest, std::size_t candidate_traces,
                std::optional<EpochMs> current_newest, std::size_t current_traces) {
  if (!candidate_newest) return !current_newest && candidate_traces > current_traces;
  if (!current_newest) return true;
  if (*candidate_newest != *current_newest) return *candidate_newest > *current_newest;
  return candidate_traces > current_traces;
}

}  // namespace coldtrack::carriers
