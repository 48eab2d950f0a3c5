// When to ask a carrier about a waybill, and when to stop asking a provider at all. Pure: the
// clock and the randomness are passed in, so every decision is testable.
#pragma once

#include <cstdint>
#include <optional>

#include "carriers/tracking.h"

namespace coldtrack::carriers {

// Push first, poll as a fallback (protocols: "Subscribe first, poll as fallback").
struct PollPolicy {
  EpochMs freshness_ms = 30 * 60'000;              // never query one waybill twice within this
  EpochMs quiet_in_transit_ms = 6 * 3'600'000;     // subscribed, moving: poll after this silence
  EpochMs quiet_near_delivery_ms = 2 * 3'600'000;  // out for delivery / at a pickup point
  EpochMs unsubscribed_ms = 2 * 3'600'000;         // no push subscription: poll this often
  EpochMs no_info_ms = 4 * 3'600'000;              // carrier knows nothing yet
  EpochMs exception_retry_ms = 3'600'000;          // re-check problem states (异常自动重试)
};

struct PollState {
  TrackingStatus status = TrackingStatus::kNoInfo;
  bool tracked = false;                  // any snapshot yet
  bool subscribed = false;               // push subscription confirmed
  std::optional<EpochMs> heard_at;       // last push or query answer
  std::optional<EpochMs> last_query_at;  // last query we sent (successful or not)
  EpochMs shipped_at = 0;
};

// The earliest time the waybill should be queried, or nullopt once it is terminal. Adaptive:
// fast near delivery, slow in trunk transit, never within the freshness window.
std::optional<EpochMs> next_poll_at(const PollPolicy& policy, const PollState& state);

// Exponential backoff with full jitter: a uniformly random delay in [0, min(cap, base * 4^n)],
// but at least base / 2 so a failing provider is not hammered. `random01` in [0, 1).
EpochMs backoff_delay(int failures, EpochMs base_ms, EpochMs cap_ms, double random01);

// A circuit breaker per provider: after `threshold` consecutive failures it opens for
// `open_ms`; then one trial call is let through (half-open): success closes it, failure
// reopens it.
class CircuitBreaker {
 public:
  enum class State { kClosed, kOpen, kHalfOpen };
  CircuitBreaker(int threshold, EpochMs open_ms) : threshold_(threshold), open_ms_(open_ms) {}

  // Whether a call may go out now. In half-open state only one trial is in flight.
  bool allow(EpochMs now);
  void on_success();
  void on_failure(EpochMs now);
  State state(EpochMs now) const;
  int consecutive_failures() const { return failures_; }

 private:
  int threshold_;
  EpochMs open_ms_;
  int failures_ = 0;
  std::optional<EpochMs> opened_at_;
  bool trial_in_flight_ = false;
};

}  // namespace coldtrack::carriers
