#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

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

TEST(MemoryNonceStore, ExpiryIsExactToTheMillisecond) {
  MemoryNonceStore store;
  // Not on a whole second: the entry's slot is dropped later, but the nonce is free on time.
  EXPECT_TRUE(store.remember("ak", "n-1", kT0, kT0 + 1'234));
  EXPECT_FALSE(store.remember("ak", "n-1", kT0 + 1'233, kT0 + 1'233 + kWindow));
  EXPECT_TRUE(store.remember("ak", "n-1", kT0 + 1'234, kT0 + 1'234 + kWindow));
  EXPECT_FALSE(store.remember("ak", "n-1", kT0 + 1'235, kT0 + 1'235 + kWindow));
}

TEST(MemoryNonceStore, ManyDifferentExpiriesEachEndAtItsOwnTime) {
  MemoryNonceStore store;
  constexpr int kN = 3'000;
  // Expiries spread over ~12 minutes, inserted out of order (a permutation of i), at odd
  // milliseconds, so they land in many slots and some slots hold several.
  auto expiry_of = [](int i) {
    return kT0 + 1'000 + (static_cast<std::int64_t>(i) * 7'919) % 720'000;
  };
  for (int j = 0; j < kN; ++j) {
    const int i = (j * 1'237) % kN;  // 1237 is coprime with 3000: visits every i once
    ASSERT_TRUE(store.remember("ak", "n-" + std::to_string(i), kT0, expiry_of(i))) << i;
  }
  ASSERT_EQ(store.size(), static_cast<std::size_t>(kN));
  std::vector<int> by_expiry(kN);
  for (int i = 0; i < kN; ++i) by_expiry[i] = i;
  std::sort(by_expiry.begin(), by_expiry.end(),
            [&](int a, int b) { return expiry_of(a) < expiry_of(b); });
  // Walk time forward through every expiry: one ms before it the nonce is still a replay, at
  // it the nonce is new again (re-recorded with an expiry far beyond the walk).
  for (int i : by_expiry) {
    const auto nonce = "n-" + std::to_string(i);
    const std::int64_t e = expiry_of(i);
    EXPECT_FALSE(store.remember("ak", nonce, e - 1, kT0 + 2 * 720'000)) << i;
    EXPECT_TRUE(store.remember("ak", nonce, e, kT0 + 2 * 720'000)) << i;
  }
  // All re-recorded ones are still held; the first entries were all dropped or reused.
  EXPECT_EQ(store.size(), static_cast<std::size_t>(kN));
  for (int i = 0; i < kN; i += 101) {
    EXPECT_FALSE(store.remember("ak", "n-" + std::to_string(i), kT0 + 730'000, kT0 + 2 * 720'000))
        << i;
  }
  // Past the second expiry they are all new again.
  for (int i = 0; i < kN; i += 101) {
    EXPECT_TRUE(
        store.remember("ak", "n-" + std::to_string(i), kT0 + 2 * 720'000, kT0 + 3 * 720'000))
        << i;
  }
}

TEST(MemoryNonceStore, OutOfOrderExpiriesAreKeptUntilEachEnds) {
  MemoryNonceStore store;
  EXPECT_TRUE(store.remember("ak", "late", kT0, kT0 + kWindow));
  // Stored after, expiring before: a client whose clock runs behind.
  EXPECT_TRUE(store.remember("ak", "early", kT0 + 10, kT0 + 2'000));
  EXPECT_TRUE(store.remember("ak", "mid", kT0 + 20, kT0 + 60'500));
  EXPECT_FALSE(store.remember("ak", "early", kT0 + 1'999, kT0 + kWindow));
  EXPECT_FALSE(store.remember("ak", "mid", kT0 + 1'999, kT0 + kWindow));
  EXPECT_TRUE(store.remember("ak", "early", kT0 + 2'000, kT0 + 3'000));
  EXPECT_FALSE(store.remember("ak", "mid", kT0 + 60'499, kT0 + kWindow));
  EXPECT_FALSE(store.remember("ak", "late", kT0 + 60'499, kT0 + kWindow));
  EXPECT_TRUE(store.remember("ak", "mid", kT0 + 60'500, kT0 + kWindow));
  EXPECT_FALSE(store.remember("ak", "late", kT0 + kWindow - 1, kT0 + 2 * kWindow));
  EXPECT_TRUE(store.remember("ak", "late", kT0 + kWindow, kT0 + 2 * kWindow));
}

TEST(MemoryNonceStore, ExpiryBeyondOneLapOfTheWheelIsKept) {
  // The wheel has 1024 one-second slots; a longer life must survive its slot's earlier laps,
  // and still be dropped at the end (room for one entry only, so "other" needs its room).
  MemoryNonceStore store(1);
  const std::int64_t two_hours = 2 * 3'600'000;
  EXPECT_TRUE(store.remember("ak", "long", kT0, kT0 + two_hours));
  for (std::int64_t t = kT0; t < kT0 + two_hours; t += 250'000) {
    ASSERT_FALSE(store.remember("ak", "long", t, t + kWindow)) << (t - kT0);
  }
  EXPECT_FALSE(store.remember("ak", "long", kT0 + two_hours - 1, kT0 + 3 * two_hours));
  EXPECT_FALSE(store.remember("ak", "other", kT0 + two_hours - 1, kT0 + 3 * two_hours));
  EXPECT_TRUE(store.remember("ak", "other", kT0 + two_hours, kT0 + 3 * two_hours));
  EXPECT_EQ(store.size(), 1u);
}

TEST(MemoryNonceStore, AlreadyExpiredIsAcceptedAndNotHeld) {
  MemoryNonceStore store(1);
  EXPECT_TRUE(store.remember("ak", "old", kT0, kT0));
  EXPECT_TRUE(store.remember("ak", "old", kT0, kT0 - 1));
  EXPECT_EQ(store.size(), 0u);
  EXPECT_TRUE(store.remember("ak", "new", kT0, kT0 + kWindow));  // the one place is still free
}

TEST(MemoryNonceStore, FullStoreRefusesNewAndReplaysThenFreesRoomAfterExpiry) {
  MemoryNonceStore store(100);
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(store.remember("ak", "n-" + std::to_string(i), kT0, kT0 + 1'500 + i)) << i;
  }
  EXPECT_EQ(store.size(), 100u);
  EXPECT_FALSE(store.remember("ak", "extra", kT0 + 1, kT0 + kWindow));
  EXPECT_FALSE(store.remember("other", "n-0", kT0 + 1, kT0 + kWindow));
  for (int i = 0; i < 100; i += 7) {
    EXPECT_FALSE(store.remember("ak", "n-" + std::to_string(i), kT0 + 1, kT0 + kWindow)) << i;
  }
  EXPECT_EQ(store.size(), 100u);
  // n-0 has expired (kT0 + 1500) but its second has not ended: it can be reused in place even
  // though the store is full, while nothing new fits yet.
  EXPECT_TRUE(store.remember("ak", "n-0", kT0 + 1'500, kT0 + kWindow));
  EXPECT_FALSE(store.remember("ak", "extra", kT0 + 1'500, kT0 + kWindow));
  EXPECT_FALSE(store.remember("ak", "n-0", kT0 + 1'501, kT0 + kWindow));
  // From the next whole second the other 99 are dropped and their room is free again: n-0
  // (re-recorded) and "extra" leave room for 98 of them.
  EXPECT_TRUE(store.remember("ak", "extra", kT0 + 2'000, kT0 + kWindow));
  for (int i = 1; i < 99; ++i) {
    ASSERT_TRUE(store.remember("ak", "n-" + std::to_string(i), kT0 + 2'000, kT0 + kWindow)) << i;
  }
  EXPECT_EQ(store.size(), 100u);
  EXPECT_FALSE(store.remember("ak", "n-99", kT0 + 2'000, kT0 + kWindow));
  EXPECT_FALSE(store.remember("ak", "n-1", kT0 + 2'000, kT0 + kWindow));
  // All 100 (n-0 included, though it was re-recorded in place) end at kT0 + kWindow.
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(store.remember("ak", "m-" + std::to_string(i), kT0 + kWindow, kT0 + 2 * kWindow))
        << i;
  }
}

TEST(MemoryNonceStore, FullStoreFreesRoomInShardsNoRequestTouched) {
  // The bound is over the whole store, while expiry runs per shard as requests reach it: a full
  // store must find expired room in any shard. The shard depends on the store's random hash key,
  // so try many stores: in all but ~1/16 of them "b" lands in another shard than "a".
  for (int round = 0; round < 64; ++round) {
    MemoryNonceStore store(1);
    ASSERT_TRUE(store.remember("ak", "a", kT0, kT0 + kWindow));
    ASSERT_FALSE(store.remember("ak", "b", kT0 + 1, kT0 + kWindow)) << round;
    EXPECT_TRUE(store.remember("ak", "b", kT0 + kWindow, kT0 + 2 * kWindow)) << round;
    EXPECT_EQ(store.size(), 1u) << round;
  }
}

TEST(MemoryNonceStore, ZeroCapacityRefusesEverything) {
  MemoryNonceStore store(0);
  EXPECT_FALSE(store.remember("ak", "n-1", kT0, kT0 + kWindow));
}

TEST(MemoryNonceStore, LongIdleGapDropsEverything) {
  MemoryNonceStore store(10);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(store.remember("ak", "n-" + std::to_string(i), kT0 + i * 1'000,
                               kT0 + kWindow + i * 60'000));
  }
  const std::int64_t next_day = kT0 + 86'400'000;
  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(store.remember("ak", "m-" + std::to_string(i), next_day, next_day + kWindow)) << i;
  }
  EXPECT_EQ(store.size(), 10u);
}

TEST(MemoryNonceStore, ConcurrentDistinctNoncesAllAcceptedThenAllReplaysRefused) {
  MemoryNonceStore store;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20'000;
  std::atomic<int> accepted{0}, refused{0};
  auto run = [&](int t) {
    for (int i = 0; i < kPerThread; ++i) {
      // Time moves a little per request so the threads also sweep while others insert.
      const std::int64_t now = kT0 + i / 10;
      if (store.remember("ak_" + std::to_string(t % 3), std::to_string(t) + "-" + std::to_string(i),
                         now, now + kWindow)) {
        accepted.fetch_add(1);
      } else {
        refused.fetch_add(1);
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(run, t);
  for (auto& th : threads) th.join();
  EXPECT_EQ(accepted.load(), kThreads * kPerThread);
  EXPECT_EQ(refused.load(), 0);
  EXPECT_EQ(store.size(), static_cast<std::size_t>(kThreads * kPerThread));
  accepted = 0;
  refused = 0;
  threads.clear();
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(run, t);
  for (auto& th : threads) th.join();
  EXPECT_EQ(accepted.load(), 0);
  EXPECT_EQ(refused.load(), kThreads * kPerThread);
}

TEST(MemoryNonceStore, ConcurrentSameNonceIsAcceptedExactlyOnce) {
  MemoryNonceStore store;
  constexpr int kThreads = 8;
  constexpr int kNonces = 2'000;
  std::vector<std::atomic<int>> wins(kNonces);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kNonces; ++i) {
        if (store.remember("ak", "n-" + std::to_string(i), kT0, kT0 + kWindow)) wins[i]++;
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int i = 0; i < kNonces; ++i) EXPECT_EQ(wins[i].load(), 1) << i;
}

TEST(SipHash24, MatchesTheReferenceVectors) {
  // From the SipHash paper's reference vectors: key 00..0f, message 00..(n-1).
  const std::uint64_t k0 = 0x0706050403020100ULL, k1 = 0x0f0e0d0c0b0a0908ULL;
  std::string msg;
  for (int i = 0; i < 16; ++i) msg.push_back(static_cast<char>(i));
  EXPECT_EQ(detail::siphash24(k0, k1, {std::string_view(msg).substr(0, 0)}), 0x726fdb47dd0e0e31ULL);
  EXPECT_EQ(detail::siphash24(k0, k1, {std::string_view(msg).substr(0, 15)}),
            0xa129ca6149be45e5ULL);
  // Fed in pieces that straddle the 8-byte blocks, the result is the same.
  const std::string_view m(msg);
  EXPECT_EQ(detail::siphash24(k0, k1, {m.substr(0, 3), m.substr(3, 7), m.substr(10, 5)}),
            0xa129ca6149be45e5ULL);
  EXPECT_NE(detail::siphash24(k0, k1, {m.substr(0, 15)}),
            detail::siphash24(k1, k0, {m.substr(0, 15)}));
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
