#include "cache/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace coldtrack::cache {

std::optional<int> MemoryRateLimiter::acquire(std::string_view client, std::int64_t now_ms) {
  const double rate_per_ms = per_minute_ / 60000.0;
  std::lock_guard lock(mu_);
  if (now_ms >= next_prune_ms_) {
    // A bucket refilled to full carries no information: drop it to bound memory.
    std::erase_if(buckets_, [&](const auto& kv) {
      return kv.second.tokens + (now_ms - kv.second.updated_ms) * rate_per_ms >= per_minute_;
    });
    next_prune_ms_ = now_ms + 60'000;
  }
  auto [it, inserted] =
      buckets_.try_emplace(std::string(client), Bucket{double(per_minute_), now_ms});
  auto& b = it->second;
  b.tokens = std::min<double>(per_minute_, b.tokens + (now_ms - b.updated_ms) * rate_per_ms);
  b.updated_ms = now_ms;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return std::nullopt;
  }
  return std::max(1, static_cast<int>(std::ceil((1.0 - b.tokens) / rate_per_ms / 1000.0)));
}

}  // namespace coldtrack::cache
