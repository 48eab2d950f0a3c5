#include "cache/redis_cache.h"

#include <openssl/evp.h>

#include <array>

namespace coldtrack::cache {
namespace {

// KEYS[1]: the bucket; ARGV: per_minute, now_ms. Returns 0 when allowed, otherwise the
// seconds until a token is back (the same arithmetic as MemoryRateLimiter::acquire).
constexpr std::string_view kTokenBucket = R"lua(
local cap = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local rate = cap / 60000
local b = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(b[1]) or cap
local updated = tonumber(b[2]) or now
if now > updated then
  tokens = math.min(cap, tokens + (now - updated) * rate)
  updated = now
end
local retry = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  retry = math.max(1, math.ceil((1 - tokens) / rate / 1000))
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens),
           'updated', string.format('%d', updated))
-- A full bucket carries no information: let it expire once refilled.
redis.call('PEXPIRE', KEYS[1], math.ceil((cap - tokens) / rate) + 1000)
return retry
)lua";

std::string sha1_hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md.data(), &len, EVP_sha1(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xf];
  }
  return out;
}

CacheError unexpected(const RedisReply& r) {
  return CacheError{"unexpected Redis reply type " + std::to_string(static_cast<int>(r.type))};
}

}  // namespace

CacheResult<bool> RedisNonceStore::try_remember(std::string_view key, std::string_view nonce,
                                                std::int64_t now_ms, std::int64_t expires_ms) {
  // Already expired: nothing to protect (MemoryNonceStore accepts it too).
  if (expires_ms <= now_ms) return true;
  // The key's length keeps "a:b"+"c" and "a"+"b:c" apart whatever characters keys contain.
  std::string id = prefix_ + std::to_string(key.size()) + ":";
  id.append(key).push_back(':');
  id.append(nonce);
  const std::string ttl = std::to_string(expires_ms - now_ms);
  auto r = client_.command({"SET", id, "1", "NX", "PX", ttl});
  if (auto* e = std::get_if<RedisError>(&r)) return CacheError{e->message};
  const auto& reply = std::get<RedisReply>(r);
  if (reply.type == RedisReply::Type::kStatus) return true;  // OK: first use
  if (reply.type == RedisReply::Type::kNil) return false;    // already there
  return unexpected(reply);
}

RedisRateLimiter::RedisRateLimiter(RedisClient& client, std::string prefix, int per_minute)
    : client_(client),
      prefix_(std::move(prefix)),
      per_minute_(std::to_string(per_minute)),
      sha1_(sha1_hex(kTokenBucket)) {}

CacheResult<std::optional<int>> RedisRateLimiter::try_acquire(std::string_view client,
                                                              std::int64_t now_ms) {
  const std::string key = prefix_ + std::string(client);
  const std::string now = std::to_string(now_ms);
  auto r = client_.command({"EVALSHA", sha1_, "1", key, per_minute_, now});
  if (auto* e = std::get_if<RedisError>(&r); e && e->reply && e->message.starts_with("NOSCRIPT")) {
    // First use on this server (or after a restart): EVAL also caches the script.
    r = client_.command({"EVAL", kTokenBucket, "1", key, per_minute_, now});
  }
  if (auto* e = std::get_if<RedisError>(&r)) return CacheError{e->message};
  const auto& reply = std::get<RedisReply>(r);
  if (reply.type != RedisReply::Type::kInteger) return unexpected(reply);
  if (reply.integer == 0) return std::optional<int>();
  return std::optional<int>(static_cast<int>(reply.integer));
}

}  // namespace coldtrack::cache
