// Verifies signed integration requests (see README "Request signing"): known key, fresh
// timestamp, valid HMAC, unused nonce. Key lookups are cached; the store is consulted on a
// miss (callers run `load` on the worker pool).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "cache/nonce_cache.h"
#include "common/string_hash.h"
#include "http/context.h"
#include "service/pii.h"
#include "store/store.h"

namespace coldtrack::http {

struct KeyInfo {
  std::string key;
  std::string secret;
  Role role;
  std::string principal;  // "apikey:<key>", the audit identity
};
// Shared, so a cache hit copies no secret.
using KeyRef = std::shared_ptr<const KeyInfo>;

struct AuthFailure {
  std::string message;
};

class Authenticator {
 public:
  Authenticator(store::ApiKeyStore& keys, const service::PiiCodec& pii, cache::NonceStore& nonces,
                int window_s);

  // Cheap, non-blocking: a cached key (null on miss).
  KeyRef cached(std::string_view key);
  // Blocking: reads the store and fills the cache. Null for an unknown or revoked key.
  KeyRef load(const std::string& key);
  // Checks headers, timestamp, signature and nonce for a request made with `info`.
  std::optional<AuthFailure> verify(const Context& ctx, const KeyInfo& info, std::int64_t now_ms);
  // Whether verify() may wait on the network (a shared nonce store): run it on the pool then.
  bool verify_blocks() const { return nonces_.blocking(); }

 private:
  store::ApiKeyStore& keys_;
  const service::PiiCodec& pii_;
  cache::NonceStore& nonces_;
  int window_s_;
  std::mutex mu_;
  struct Entry {
    KeyRef info;
    std::int64_t loaded_ms;
  };
  std::unordered_map<std::string, Entry, StringHash, std::equal_to<>> cache_;
};

// The AAD under which API secrets are sealed.
inline constexpr std::string_view kApiSecretField = "api_key.secret";

}  // namespace coldtrack::http
