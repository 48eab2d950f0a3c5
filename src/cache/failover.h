// Degradation for the shared caches: a remote backend (Redis) that can be unreachable, and
// decorators that answer from an in-process fallback while it is, so the service keeps working
// through a cache outage and returns to the shared backend when it answers again.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "cache/nonce_cache.h"
#include "cache/rate_limiter.h"

namespace coldtrack::cache {

struct CacheError {
  std::string message;
  friend bool operator==(const CacheError&, const CacheError&) = default;
};
template <typename T>
using CacheResult = std::variant<T, CacheError>;

// A nonce store on a shared backend; same contract as NonceStore::remember, or an error.
class RemoteNonceStore {
 public:
  virtual ~RemoteNonceStore() = default;
  virtual CacheResult<bool> try_remember(std::string_view key, std::string_view nonce,
                                         std::int64_t now_ms, std::int64_t expires_ms) = 0;
};

// A rate limiter on a shared backend; same contract as RateLimiter::acquire, or an error.
class RemoteRateLimiter {
 public:
  virtual ~RemoteRateLimiter() = default;
  virtual CacheResult<std::optional<int>> try_acquire(std::string_view client,
                                                      std::int64_t now_ms) = 0;
};

// Decides when to call the primary: always while it answers; after a failure only once per
// `retry` interval (one caller probes), so an outage costs one timeout per interval instead
// of one per request. Logs one warning when an outage starts and one line when it ends.
class OutageGate {
 public:
  // `fallback` names what serves meanwhile, for the warning.
  OutageGate(std::string what, std::chrono::milliseconds retry,
             std::string fallback = "the in-process fallback")
      : what_(std::move(what)), fallback_(std::move(fallback)), retry_(retry) {}
  bool should_try();
  void succeeded();
  void failed(const std::string& error);
  bool down() const;

 private:
  using Clock = std::chrono::steady_clock;
  const std::string what_;
  const std::string fallback_;
  const std::chrono::milliseconds retry_;
  mutable std::mutex mu_;
  bool down_ = false;
  bool probing_ = false;
  Clock::time_point retry_at_{};
};

class FailoverNonceStore final : public NonceStore {
 public:
  // `fallback` also mirrors every nonce seen here (see remember()).
  FailoverNonceStore(RemoteNonceStore& primary, NonceStore& fallback,
                     std::chrono::milliseconds retry = std::chrono::seconds(3))
      : primary_(primary), fallback_(fallback), gate_("replay nonces", retry) {}
  bool blocking() const override { return true; }
  bool remember(std::string_view key, std::string_view nonce, std::int64_t now_ms,
                std::int64_t expires_ms) override;
  bool on_fallback() const { return gate_.down(); }

 private:
  RemoteNonceStore& primary_;
  NonceStore& fallback_;
  OutageGate gate_;
};

class FailoverRateLimiter final : public RateLimiter {
 public:
  FailoverRateLimiter(RemoteRateLimiter& primary, RateLimiter& fallback,
                      std::chrono::milliseconds retry = std::chrono::seconds(3))
      : primary_(primary), fallback_(fallback), gate_("rate limits", retry) {}
  bool blocking() const override { return true; }
  std::optional<int> acquire(std::string_view client, std::int64_t now_ms) override;
  bool on_fallback() const { return gate_.down(); }

 private:
  RemoteRateLimiter& primary_;
  RateLimiter& fallback_;
  OutageGate gate_;
};

}  // namespace coldtrack::cache
