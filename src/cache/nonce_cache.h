// Remembers request nonces for the signature window so a captured request cannot be replayed.
// In-process default; a shared backend (Redis) implements the same interface for replicas.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace coldtrack::cache {

class NonceStore {
 public:
  virtual ~NonceStore() = default;
  // Records (key, nonce) until `expires_ms`. False when it was already recorded and not expired.
  virtual bool remember(std::string_view key, std::string_view nonce, std::int64_t now_ms,
                        std::int64_t expires_ms) = 0;
  // True when remember() may wait on the network: callers on an I/O thread then move it to
  // the worker pool.
  virtual bool blocking() const { return false; }
};

class MemoryNonceStore final : public NonceStore {
 public:
  // `max_entries` bounds memory; when full, expired entries are dropped first and, if the
  // window is still full, the request is refused (returns false) rather than forgetting nonces.
  explicit MemoryNonceStore(std::size_t max_entries = 1'000'000) : max_entries_(max_entries) {}
  bool remember(std::string_view key, std::string_view nonce, std::int64_t now_ms,
                std::int64_t expires_ms) override;

 private:
  void prune(std::int64_t now_ms);

  std::mutex mu_;
  std::unordered_map<std::string, std::int64_t> seen_;
  std::size_t max_entries_;
  std::int64_t next_prune_ms_ = 0;
};

}  // namespace coldtrack::cache
