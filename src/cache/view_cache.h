// The shared store behind the hot-view cache (src/cache/cached_store.h), and its Redis adapter.
//
// Validity is decided by version tokens, not by deleting entries. Every lookup reads, in one
// atomic step, the global epoch token, the order's version token and the order's entry; an entry
// counts only when it was written under exactly those two tokens (its tag). Invalidating an order
// deletes its version token; invalidating everything deletes the epoch token. A missing token is
// replaced by a fresh random one at the next lookup, never by an old value, so an entry written
// before an invalidation can never become current again: not after a concurrent reader put it
// back late, not after a token expired or was evicted, not after Redis lost its data.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "cache/failover.h"
#include "cache/redis_client.h"

namespace coldtrack::cache {

enum class ViewKind { kOrder, kTracking };

struct ViewLookup {
  std::string tag;                   // the tokens this lookup saw; a put after a miss carries it
  std::optional<std::string> value;  // the entry, when it was written under `tag`
};

using Done = std::monostate;

class ViewCache {
 public:
  virtual ~ViewCache() = default;
  virtual CacheResult<ViewLookup> lookup(ViewKind kind, std::string_view order_no) = 0;
  // Stores `value` as written under `tag` (from a lookup that preceded reading the store).
  virtual CacheResult<Done> put(ViewKind kind, std::string_view order_no, std::string_view tag,
                                std::string_view value) = 0;
  // Every entry of these orders stops counting (their version tokens go).
  virtual CacheResult<Done> invalidate(const std::vector<std::string>& order_nos) = 0;
  // Every entry of every order stops counting (the epoch token goes).
  virtual CacheResult<Done> invalidate_all() = 0;
};

// Hears of every committed write that can change an order's views, for caches kept in this
// process that are built from them (the hot response cache, src/http/response_cache.h). Called
// on the writer's thread after the write returned; must neither throw nor block.
class ViewListener {
 public:
  virtual ~ViewListener() = default;
  virtual void orders_changed(const std::vector<std::string>& order_nos) noexcept = 0;
  virtual void all_changed() noexcept = 0;
};

// Keys (prefix e.g. "coldtrack:view:"):
//   <prefix>epoch                  the global token (no TTL)
//   <prefix>ver:<order_no>         the order's token (TTL 2 x ttl)
//   <prefix><format>:order:<no>    "<epoch>/<version>\n<encoded OrderRecord>" (TTL ttl)
//   <prefix><format>:tracking:<no> the same for the order's shipments with their tracking
// A lookup is one EVALSHA (a script that reads the three keys and creates missing tokens).
class RedisViewCache final : public ViewCache {
 public:
  RedisViewCache(RedisClient& client, std::string prefix, std::chrono::seconds ttl);
  CacheResult<ViewLookup> lookup(ViewKind kind, std::string_view order_no) override;
  CacheResult<Done> put(ViewKind kind, std::string_view order_no, std::string_view tag,
                        std::string_view value) override;
  CacheResult<Done> invalidate(const std::vector<std::string>& order_nos) override;
  CacheResult<Done> invalidate_all() override;

  std::string entry_key(ViewKind kind, std::string_view order_no) const;
  std::string version_key(std::string_view order_no) const;
  std::string epoch_key() const { return prefix_ + "epoch"; }

 private:
  RedisClient& client_;
  std::string prefix_;
  std::string ttl_s_, version_ttl_s_;
  std::string sha1_;
};

}  // namespace coldtrack::cache
