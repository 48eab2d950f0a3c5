// Polling decisions, backoff and the circuit breaker, with an explicit clock.
#include <gtest/gtest.h>

#include "carriers/scheduler.h"

namespace coldtrack::carriers {
namespace {

constexpr EpochMs kMin = 60'000, kHour = 60 * kMin;
constexpr EpochMs kT0 = 1'795'583'100'000;

PollState moving(TrackingStatus st, bool subscribed, EpochMs heard) {
  PollState s;
  s.status = st;
  s.tracked = true;
  s.subscribed = subscribed;
  s.heard_at = heard;
  s.shipped_at = kT0;
  return s;
}

TEST(Scheduler, TerminalStatesAreNeverPolled) {
  PollPolicy p;
  EXPECT_EQ(next_poll_at(p, moving(TrackingStatus::kDelivered, true, kT0)), std::nullopt);
  EXPECT_EQ(next_poll_at(p, moving(TrackingStatus::kReturned, false, kT0)), std::nullopt);
}

TEST(Scheduler, SubscribedTrunkTransitWaitsForSixHoursOfSilence) {
  PollPolicy p;
  EXPECT_EQ(next_poll_at(p, moving(TrackingStatus::kInTransit, true, kT0)), kT0 + 6 * kHour);
}

TEST(Scheduler, NearDeliveryIsPolledSooner) {
  PollPolicy p;
  EXPECT_EQ(next_poll_at(p, moving(TrackingStatus::kOutForDelivery, true, kT0)), kT0 + 2 * kHour);
  EXPECT_EQ(next_poll_at(p, moving(TrackingStatus::kAtPickupPoint, true, kT0)), kT0 + 2 * kHour);
}

TEST(Scheduler, APushPostponesThePoll) {
  PollPolicy p;
  auto s = moving(TrackingStatus::kInTransit, true, kT0);
  const auto before = *next_poll_at(p, s);
  s.heard_at = kT0 + 3 * kHour;  // a push arrived
  EXPECT_EQ(*next_poll_at(p, s), before + 3 * kHour);
}

TEST(Scheduler, UnsubscribedWaybillsArePolledEveryTwoHours) {
  PollPolicy p;
  EXPECT_EQ(next_poll_at(p, moving(TrackingStatus::kInTransit, false, kT0)), kT0 + 2 * kHour);
  PollState fresh;
  fresh.shipped_at = kT0;
  EXPECT_EQ(next_poll_at(p, fresh), kT0 + 2 * kHour);
}

TEST(Scheduler, ExceptionsAreRetriedHourly) {
  PollPolicy p;
  EXPECT_EQ(next_poll_at(p, moving(TrackingStatus::kException, true, kT0)), kT0 + kHour);
  EXPECT_EQ(next_poll_at(p, moving(TrackingStatus::kException, false, kT0)), kT0 + kHour);
}

TEST(Scheduler, NeverTwiceWithinTheFreshnessWindow) {
  PollPolicy p;
  p.exception_retry_ms = 5 * kMin;
  auto s = moving(TrackingStatus::kException, true, kT0);
  s.last_query_at = kT0;
  EXPECT_EQ(next_poll_at(p, s), kT0 + 30 * kMin);
}

TEST(Backoff, GrowsExponentiallyWithinJitterAndCap) {
  const EpochMs base = 1000, cap = 60'000;
  EXPECT_EQ(backoff_delay(1, base, cap, 0.0), 500);
  EXPECT_EQ(backoff_delay(1, base, cap, 1.0), 1000);
  EXPECT_EQ(backoff_delay(2, base, cap, 1.0), 4000);
  EXPECT_EQ(backoff_delay(3, base, cap, 1.0), 16000);
  EXPECT_EQ(backoff_delay(9, base, cap, 1.0), cap);
  for (double r : {0.0, 0.3, 0.7, 0.999}) {
    const auto d = backoff_delay(3, base, cap, r);
    EXPECT_GE(d, 500);
    EXPECT_LE(d, 16000);
  }
  EXPECT_LT(backoff_delay(3, base, cap, 0.2), backoff_delay(3, base, cap, 0.8));
}

TEST(CircuitBreaker, OpensAfterThresholdAndRecoversThroughOneTrial) {
  CircuitBreaker b(3, 30'000);
  EXPECT_TRUE(b.allow(kT0));
  b.on_failure(kT0);
  b.on_failure(kT0);
  EXPECT_EQ(b.state(kT0), CircuitBreaker::State::kClosed);
  b.on_failure(kT0);
  EXPECT_EQ(b.state(kT0), CircuitBreaker::State::kOpen);
  EXPECT_FALSE(b.allow(kT0 + 29'999));
  EXPECT_EQ(b.state(kT0 + 30'000), CircuitBreaker::State::kHalfOpen);
  EXPECT_TRUE(b.allow(kT0 + 30'000));   // the one trial
  EXPECT_FALSE(b.allow(kT0 + 30'001));  // no second while it runs
  b.on_success();
  EXPECT_EQ(b.state(kT0 + 30'002), CircuitBreaker::State::kClosed);
  EXPECT_TRUE(b.allow(kT0 + 30'002));
}

TEST(CircuitBreaker, AFailedTrialReopens) {
  CircuitBreaker b(1, 10'000);
  b.on_failure(kT0);
  ASSERT_TRUE(b.allow(kT0 + 10'000));
  b.on_failure(kT0 + 10'000);
  EXPECT_EQ(b.state(kT0 + 10'001), CircuitBreaker::State::kOpen);
  EXPECT_FALSE(b.allow(kT0 + 19'999));
  EXPECT_TRUE(b.allow(kT0 + 20'000));
}

TEST(CircuitBreaker, SuccessResetsTheFailureCount) {
  CircuitBreaker b(2, 10'000);
  b.on_failure(kT0);
  b.on_success();
  b.on_failure(kT0);
  EXPECT_EQ(b.state(kT0), CircuitBreaker::State::kClosed);
}

}  // namespace
}  // namespace coldtrack::carriers
