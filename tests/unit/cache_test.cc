#include <gtest/gtest.h>

#include <string>

#include "cache/nonce_cache.h"
#include "cache/rate_limiter.h"

namespace coldtrack::cache {
namespace {

constexpr std::int64_t kT0 = 1'795'583'100'000;  // 2026-11-25T05:05:00Z
constexpr std::int64_t kWindow = 5 * 60 * 1000;

// ---- MemoryNonceStore -------------------------------------------------------------------------

TEST(MemoryNonceStore, FirstUseAcceptedReplayRefused) {
  MemoryNonceStore store;
  EXPECT_TRUE(store.remember("ak_1", "n-1", kT0, kT0 + kWindow));
  EXPECT_FALSE(store.remember("ak_1", "n-1", kT0, kT0 + kWindow));
  EXPECT_FALSE(store.remember("ak_1", "n-1", kT0 + 1000, kT0 + 1000 + kWindow));
  EXPECT_FALSE(store.remember("ak_1", "n-1", kT0 + kWindow - 1, kT0 + 2 * kWindow));
}

TEST(MemoryNonceStore, SameNonceForAnotherKeyIsIndependent) {
  MemoryNonceStore store;
  EXPECT_TRUE(store.remember("ak_1", "n-1", kT0, kT0 + kWindow));
  EXPECT_TRUE(store.remember("ak_2", "n-1", kT0, kT0 + kWindow));
  EXPECT_FALSE(store.remember("ak_2", "n-1", kT0, kT0 + kWindow));
  EXPECT_TRUE(store.remember("ak_1", "n-2", kT0, kT0 + kWindow));
}

TEST(MemoryNonceStore, KeyAndNonceCannotBeConfusedByConcatenation) {
  MemoryNonceStore store;
  EXPECT_TRUE(store.remember("ak_1", "23", kT0, kT0 + kWindow));
  EXPECT_TRUE(store.remember("ak_12", "3", kT0, kT0 + kWindow));
  EXPECT_TRUE(store.remember("ak_123", "", kT0, kT0 + kWindow));
}

TEST(MemoryNonceStore, ReuseAllowedAfterExpiry) {
  MemoryNonceStore store;
  EXPECT_TRUE(store.remember("ak_1", "n-1", kT0, kT0 + kWindow));
  EXPECT_FALSE(store.remember("ak_1", "n-1", kT0 + kWindow - 1, kT0 + 2 * kWindow));
  EXPECT_TRUE(store.remember("ak_1", "n-1", kT0 + kWindow, kT0 + 2 * kWindow));
  // Now remembered again for the new window.
  EXPECT_FALSE(store.remember("ak_1", "n-1", kT0 + kWindow + 1, kT0 + 3 * kWindow));
  EXPECT_TRUE(store.remember("ak_1", "n-1", kT0 + 2 * kWindow, kT0 + 3 * kWindow));
}

TEST(MemoryNonceStore, ReuseAllowedAfterExpiryEvenAfterPruning) {
  MemoryNonceStore store;
  EXPECT_TRUE(store.remember("ak_1", "n-1", kT0, kT0 + kWindow));
  // Far later: the prune pass runs and drops the expired entry.
  EXPECT_TRUE(store.remember("ak_1", "other", kT0 + 10 * kWindow, kT0 + 11 * kWindow));
  EXPECT_TRUE(store.remember("ak_1", "n-1", kT0 + 10 * kWindow, kT0 + 11 * kWindow));
  EXPECT_FALSE(store.remember("ak_1", "n-1", kT0 + 10 * kWindow, kT0 + 11 * kWindow));
}

TEST(MemoryNonceStore, FullStoreRefusesRatherThanForgetting) {
  MemoryNonceStore store(3);
  EXPECT_TRUE(store.remember("k", "a", kT0, kT0 + kWindow));
  EXPECT_TRUE(store.remember("k", "b", kT0, kT0 + kWindow));
  EXPECT_TRUE(store.remember("k", "c", kT0, kT0 + kWindow));
  EXPECT_FALSE(store.remember("k", "d", kT0 + 1, kT0 + kWindow));  // full
  // Nothing was forgotten: the earlier nonces are still refused.
  EXPECT_FALSE(store.remember("k", "a", kT0 + 2, kT0 + kWindow));
  EXPECT_FALSE(store.remember("k", "c", kT0 + 2, kT0 + kWindow));
  // "d" was not recorded by the refused call, but it is still refused while the store is full.
  EXPECT_FALSE(store.remember("k", "d", kT0 + 3, kT0 + kWindow));
  // Once the window has passed, expired entries are dropped and new nonces fit again.
  EXPECT_TRUE(store.remember("k", "d", kT0 + kWindow, kT0 + 2 * kWindow));
  EXPECT_TRUE(store.remember("k", "e", kT0 + kWindow, kT0 + 2 * kWindow));
}

TEST(MemoryNonceStore, ManyDistinctNonces) {
  MemoryNonceStore store;
  for (int i = 0; i < 10'000; ++i) {
    ASSERT_TRUE(store.remember("ak", std::to_string(i), kT0 + i, kT0 + i + kWindow)) << i;
  }
  for (int i = 0; i < 10'000; i += 997) {
    EXPECT_FALSE(store.remember("ak", std::to_string(i), kT0 + 10'000, kT0 + kWindow)) << i;
  }
}

// ---- MemoryRateLimiter ------------------------------------------------------------------------

TEST(MemoryRateLimiter, BurstOfNAllowedThenRefused) {
  MemoryRateLimiter limiter(60);
  for (int i = 0; i < 60; ++i) {
    EXPECT_EQ(limiter.acquire("c1", kT0), std::nullopt) << i;
  }
  const auto retry = limiter.acquire("c1", kT0);
  ASSERT_TRUE(retry.has_value());
  EXPECT_GE(*retry, 1);
  EXPECT_LE(*retry, 1);  // 60/minute: one token per second
}

TEST(MemoryRateLimiter, RetryAfterReflectsTheRate) {
  MemoryRateLimiter limiter(10);  // one token every 6 s
  for (int i = 0; i < 10; ++i) ASSERT_EQ(limiter.acquire("c1", kT0), std::nullopt) << i;
  const auto retry = limiter.acquire("c1", kT0);
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(*retry, 6);
  // Part of the way there, the wait shrinks but stays at least one second.
  // 3.5 s in: 2.5 s to go, rounded up.
  const auto later = limiter.acquire("c1", kT0 + 3'500);
  ASSERT_TRUE(later.has_value());
  EXPECT_EQ(*later, 3);
  const auto almost = limiter.acquire("c1", kT0 + 5'999);
  ASSERT_TRUE(almost.has_value());
  EXPECT_EQ(*almost, 1);
}

TEST(MemoryRateLimiter, RetrySecondsIsAlwaysAtLeastOne) {
  MemoryRateLimiter limiter(6000);  // 100 per second
  for (int i = 0; i < 6000; ++i) ASSERT_EQ(limiter.acquire("c1", kT0), std::nullopt) << i;
  const auto retry = limiter.acquire("c1", kT0);
  ASSERT_TRUE(retry.has_value());
  EXPECT_GE(*retry, 1);
}

TEST(MemoryRateLimiter, RefillsOverTime) {
  MemoryRateLimiter limiter(60);
  for (int i = 0; i < 60; ++i) ASSERT_EQ(limiter.acquire("c1", kT0), std::nullopt);
  ASSERT_TRUE(limiter.acquire("c1", kT0).has_value());
  ASSERT_TRUE(limiter.acquire("c1", kT0 + 999).has_value());
  // One second later: exactly one more request.
  EXPECT_EQ(limiter.acquire("c1", kT0 + 1'000), std::nullopt);
  EXPECT_TRUE(limiter.acquire("c1", kT0 + 1'000).has_value());
  // Ten seconds later: ten more.
  for (int i = 0; i < 10; ++i) EXPECT_EQ(limiter.acquire("c1", kT0 + 11'000), std::nullopt) << i;
  EXPECT_TRUE(limiter.acquire("c1", kT0 + 11'000).has_value());
}

TEST(MemoryRateLimiter, RefillIsCappedAtTheBurstSize) {
  MemoryRateLimiter limiter(5);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(limiter.acquire("c1", kT0), std::nullopt);
  // An hour idle does not bank more than the burst.
  const std::int64_t later = kT0 + 3'600'000;
  for (int i = 0; i < 5; ++i) EXPECT_EQ(limiter.acquire("c1", later), std::nullopt) << i;
  EXPECT_TRUE(limiter.acquire("c1", later).has_value());
}

TEST(MemoryRateLimiter, SteadyRateAtTheLimitIsAllowed) {
  MemoryRateLimiter limiter(60);
  for (int i = 0; i < 60; ++i) ASSERT_EQ(limiter.acquire("c1", kT0), std::nullopt);
  // One request per second for two minutes after the burst is used up.
  for (int s = 1; s <= 120; ++s) {
    EXPECT_EQ(limiter.acquire("c1", kT0 + s * 1'000), std::nullopt) << s;
  }
}

TEST(MemoryRateLimiter, ClientsAreIndependent) {
  MemoryRateLimiter limiter(3);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(limiter.acquire("c1", kT0), std::nullopt);
  EXPECT_TRUE(limiter.acquire("c1", kT0).has_value());
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.acquire("c2", kT0), std::nullopt) << i;
  EXPECT_TRUE(limiter.acquire("c2", kT0).has_value());
  EXPECT_TRUE(limiter.acquire("c1", kT0).has_value());
  EXPECT_EQ(limiter.acquire("c3", kT0), std::nullopt);
}

TEST(MemoryRateLimiter, StateSurvivesThePrunePass) {
  MemoryRateLimiter limiter(60);
  for (int i = 0; i < 60; ++i) ASSERT_EQ(limiter.acquire("busy", kT0), std::nullopt);
  // Another client triggers the periodic prune after a minute; "busy" has refilled by then and
  // may be dropped, which must be equivalent to a full bucket.
  EXPECT_EQ(limiter.acquire("other", kT0 + 60'000), std::nullopt);
  for (int i = 0; i < 60; ++i) EXPECT_EQ(limiter.acquire("busy", kT0 + 60'000), std::nullopt) << i;
  EXPECT_TRUE(limiter.acquire("busy", kT0 + 60'000).has_value());
}

TEST(MemoryRateLimiter, PartiallyUsedBucketIsNotPruned) {
  MemoryRateLimiter limiter(60);
  ASSERT_EQ(limiter.acquire("other", kT0), std::nullopt);  // first prune at kT0
  for (int i = 0; i < 60; ++i) ASSERT_EQ(limiter.acquire("busy", kT0 + 59'990), std::nullopt);
  // The prune at kT0 + 60 s must keep "busy" (empty bucket, refilled by 0.01 token only).
  EXPECT_EQ(limiter.acquire("other", kT0 + 60'000), std::nullopt);
  EXPECT_TRUE(limiter.acquire("busy", kT0 + 60'000).has_value());
}

}  // namespace
}  // namespace coldtrack::cache
