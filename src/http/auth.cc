#include "http/auth.h"

#include <charconv>

#include "security/crypto.h"
#include "security/signing.h"

namespace coldtrack::http {
namespace {

constexpr std::int64_t kCacheTtlMs = 10'000;  // bounds how long a revoked key keeps working

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Authenticator::Authenticator(store::ApiKeyStore& keys, const service::PiiCodec& pii,
                             cache::NonceStore& nonces, int window_s)
    : keys_(keys), pii_(pii), nonces_(nonces), window_s_(window_s) {}

KeyRef Authenticator::cached(std::string_view key) {
  const auto now = steady_ms();
  std::lock_guard lock(mu_);
  auto it = cache_.find(key);
  if (it == cache_.end() || now - it->second.loaded_ms > kCacheTtlMs) return nullptr;
  return it->second.info;
}

KeyRef Authenticator::load(const std::string& key) {
  auto rec = keys_.find_api_key(key);
  if (!rec || rec->revoked) {
    std::lock_guard lock(mu_);
    cache_.erase(key);
    return nullptr;
  }
  auto secret = pii_.open(rec->secret_sealed, kApiSecretField);
  auto role = parse_role(rec->role);
  if (!secret || !role) return nullptr;
  auto info = std::make_shared<const KeyInfo>(
      KeyInfo{rec->key, std::move(*secret), *role, "apikey:" + rec->key});
  std::lock_guard lock(mu_);
  if (cache_.size() > 10'000) cache_.clear();  // bound memory under key-guessing floods
  cache_[key] = Entry{info, steady_ms()};
  return info;
}

std::optional<AuthFailure> Authenticator::verify(const Context& ctx, const KeyInfo& info,
                                                 std::int64_t now_ms) {
  const auto ts_header = ctx.req["X-Timestamp"];
  const auto nonce = ctx.req["X-Nonce"];
  const auto signature = ctx.req["X-Signature"];
  if (ts_header.empty() || nonce.empty() || signature.empty())
    return AuthFailure{"X-Timestamp, X-Nonce and X-Signature are required"};
  std::int64_t ts = 0;
  auto [end, ec] = std::from_chars(ts_header.data(), ts_header.data() + ts_header.size(), ts);
  if (ec != std::errc() || end != ts_header.data() + ts_header.size())
    return AuthFailure{"X-Timestamp must be Unix seconds"};
  const std::int64_t skew = now_ms / 1000 - ts;
  if (skew > window_s_ || skew < -window_s_)
    return AuthFailure{"X-Timestamp is outside the allowed window; check the client clock"};
  if (nonce.size() < 8 || nonce.size() > 64) return AuthFailure{"X-Nonce must be 8-64 characters"};
  const auto expected = security::sign_request(info.secret, ctx.req.method_string(), ctx.path,
                                               ctx.raw_query, ts_header, nonce, ctx.req.body());
  if (!security::constant_time_equal(expected, signature))
    return AuthFailure{"signature does not match"};
  // Only after the signature holds, so nobody can burn another client's nonces.
  if (!nonces_.remember(info.key, nonce, now_ms, (ts + window_s_ + 1) * 1000))
    return AuthFailure{"nonce already used"};
  return std::nullopt;
}

}  // namespace coldtrack::http
