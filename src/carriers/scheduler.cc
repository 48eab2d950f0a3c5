#include "carriers/scheduler.h"

#include <algorithm>
#include <cmath>

namespace coldtrack::carriers {

std::optional<EpochMs> next_poll_at(const PollPolicy& p, const PollState& s) {
  if (s.tracked && is_terminal(s.status)) return std::nullopt;
  EpochMs interval;
  if (!s.subscribed) {
    interval = p.unsubscribed_ms;
  } else {
    switch (s.status) {
      case TrackingStatus::kOutForDelivery:
      case TrackingStatus::kAtPickupPoint:
        interval = p.quiet_near_delivery_ms;
        break;
      case TrackingStatus::kException:
        interval = p.exception_retry_ms;
        break;
      case TrackingStatus::kNoInfo:
      case TrackingStatus::kAwaitingPickup:
        interval = p.no_info_ms;
        break;
      default:
        interval = p.quiet_in_transit_ms;
        break;
    }
  }
  if (s.tracked && s.status == TrackingStatus::kException)
    interval = std::min(interval, p.exception_retry_ms);
  // Measured from the last time we heard anything (a push counts: it saves a query), else
  // from shipping.
  EpochMs due = s.heard_at.value_or(s.shipped_at) + interval;
  if (s.last_query_at) due = std::max(due, *s.last_query_at + p.freshness_ms);
  return due;
}

EpochMs backoff_delay(int failures, EpochMs base_ms, EpochMs cap_ms, double random01) {
  const int n = std::clamp(failures - 1, 0, 20);
  const double ceiling = std::min<double>(static_cast<double>(cap_ms),
                                          static_cast<double>(base_ms) * std::pow(4.0, n));
  const double floor = std::min<double>(base_ms / 2.0, ceiling);
  return static_cast<EpochMs>(floor + (ceiling - floor) * std::clamp(random01, 0.0, 1.0));
}

bool CircuitBreaker::allow(EpochMs now) {
  switch (state(now)) {
    case State::kClosed:
      return true;
    case State::kOpen:
      return false;
    case State::kHalfOpen:
      if (trial_in_flight_) return false;
      trial_in_flight_ = true;
      return true;
  }
  return false;
}

void CircuitBreaker::on_success() {
  failures_ = 0;
  opened_at_.reset();
  trial_in_flight_ = false;
}

void CircuitBreaker::on_failure(EpochMs now) {
  ++failures_;
  if (trial_in_flight_ || failures_ >= threshold_) opened_at_ = now;  // (re)open
  trial_in_flight_ = false;
}

CircuitBreaker::State CircuitBreaker::state(EpochMs now) const {
  if (!opened_at_) return State::kClosed;
  return now - *opened_at_ >= open_ms_ ? State::kHalfOpen : State::kOpen;
}

}  // namespace coldtrack::carriers
