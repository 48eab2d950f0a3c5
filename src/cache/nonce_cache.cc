#include "cache/nonce_cache.h"

namespace coldtrack::cache {

bool MemoryNonceStore::remember(std::string_view key, std::string_view nonce, std::int64_t now_ms,
                                std::int64_t expires_ms) {
  std::string id;
  id.reserve(key.size() + nonce.size() + 1);
  id.append(key).push_back('\n');
  id.append(nonce);
  std::lock_guard lock(mu_);
  if (now_ms >= next_prune_ms_ || seen_.size() >= max_entries_) prune(now_ms);
  auto [it, inserted] = seen_.try_emplace(std::move(id), expires_ms);
  if (inserted) {
    if (seen_.size() > max_entries_) {
      seen_.erase(it);
      return false;
    }
    return true;
  }
  if (it->second <= now_ms) {  // expired: the nonce may be used again
    it->second = expires_ms;
    return true;
  }
  return false;
}

void MemoryNonceStore::prune(std::int64_t now_ms) {
  std::erase_if(seen_, [now_ms](const auto& kv) { return kv.second <= now_ms; });
  next_prune_ms_ = now_ms + 10'000;
}

}  // namespace coldtrack::cache
