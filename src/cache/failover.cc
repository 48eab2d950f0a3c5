#include "cache/failover.h"

#include <spdlog/spdlog.h>

namespace coldtrack::cache {

bool OutageGate::should_try() {
  std::lock_guard lock(mu_);
  if (!down_) return true;
  if (probing_ || Clock::now() < retry_at_) return false;
  probing_ = true;  // this caller probes; the others stay on the fallback meanwhile
  return true;
}

void OutageGate::succeeded() {
  std::lock_guard lock(mu_);
  if (!down_) return;
  down_ = false;
  probing_ = false;
  spdlog::info("{}: Redis answers again; back on the shared store", what_);
}

void OutageGate::failed(const std::string& error) {
  std::lock_guard lock(mu_);
  if (!down_) {
    spdlog::warn("{}: Redis unavailable ({}); using {}, retrying every {} ms", what_, error,
                 fallback_, retry_.count());
  } else {
    spdlog::debug("{}: Redis still unavailable ({})", what_, error);
  }
  down_ = true;
  probing_ = false;
  retry_at_ = Clock::now() + retry_;
}

bool OutageGate::down() const {
  std::lock_guard lock(mu_);
  return down_;
}

bool FailoverNonceStore::remember(std::string_view key, std::string_view nonce, std::int64_t now_ms,
                                  std::int64_t expires_ms) {
  // The fallback mirrors every nonce this replica sees, so a replay to this replica is refused
  // even if it spans an outage (accepted before, replayed during; or during, then after).
  if (!fallback_.remember(key, nonce, now_ms, expires_ms)) return false;
  if (!gate_.should_try()) return true;
  auto r = primary_.try_remember(key, nonce, now_ms, expires_ms);
  if (auto* e = std::get_if<CacheError>(&r)) {
    gate_.failed(e->message);
    return true;  // the local answer
  }
  gate_.succeeded();
  return std::get<bool>(r);
}

std::optional<int> FailoverRateLimiter::acquire(std::string_view client, std::int64_t now_ms) {
  if (gate_.should_try()) {
    auto r = primary_.try_acquire(client, now_ms);
    if (auto* v = std::get_if<std::optional<int>>(&r)) {
      gate_.succeeded();
      return *v;
    }
    gate_.failed(std::get<CacheError>(r).message);
  }
  // Each replica limits on its own during an outage (the limit is per replica meanwhile).
  return fallback_.acquire(client, now_ms);
}

}  // namespace coldtrack::cache
