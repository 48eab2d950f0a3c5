#include "cache/view_cache.h"

#include <openssl/evp.h>

#include <array>
#include <random>

#include "cache/view_codec.h"

namespace coldtrack::cache {
namespace {

// KEYS: the epoch token, the order's version token, the entry. ARGV: a fresh epoch token, a
// fresh version token (each used only when that token is missing), the version token's TTL in
// seconds. Returns {epoch, version, entry or nil}, read atomically.
constexpr std::string_view kLookup = R"lua(
local e = redis.call('GET', KEYS[1])
if not e then
  e = ARGV[1]
  redis.call('SET', KEYS[1], e)
end
local v = redis.call('GET', KEYS[2])
if not v then
  v = ARGV[2]
  redis.call('SET', KEYS[2], v, 'EX', ARGV[3])
end
return {e, v, redis.call('GET', KEYS[3])}
)lua";

// Keys per DEL when invalidating many orders (an import), to keep commands small.
constexpr std::size_t kDelChunk = 256;

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

// 64 random bits as hex: a token that has never been used before (tokens only need to be unique,
// not secret).
std::string fresh_token() {
  thread_local std::mt19937_64 rng = [] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }();
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t x = rng();
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, x >>= 4) out[static_cast<std::size_t>(i)] = kHex[x & 0xf];
  return out;
}

std::string_view kind_name(ViewKind kind) {
  return kind == ViewKind::kOrder ? "order" : "tracking";
}

CacheError unexpected(const RedisReply& r) {
  return CacheError{"unexpected Redis reply type " + std::to_string(static_cast<int>(r.type))};
}

CacheResult<Done> done_or_error(RedisResult r) {
  if (auto* e = std::get_if<RedisError>(&r)) return CacheError{e->message};
  return Done{};
}

}  // namespace

RedisViewCache::RedisViewCache(RedisClient& client, std::string prefix, std::chrono::seconds ttl)
    : client_(client),
      prefix_(std::move(prefix)),
      ttl_s_(std::to_string(ttl.count())),
      // Longer than an entry lives, so an order's token normally outlives its entries (when it
      // goes anyway, the next lookup makes a new one: a miss, never a stale hit).
      version_ttl_s_(std::to_string(2 * ttl.count())),
      sha1_(sha1_hex(kLookup)) {}

std::string RedisViewCache::entry_key(ViewKind kind, std::string_view order_no) const {
  std::string k = prefix_;
  k.append(kViewFormat).push_back(':');
  k.append(kind_name(kind)).push_back(':');
  k.append(order_no);
  return k;
}

std::string RedisViewCache::version_key(std::string_view order_no) const {
  return prefix_ + "ver:" + std::string(order_no);
}

CacheResult<ViewLookup> RedisViewCache::lookup(ViewKind kind, std::string_view order_no) {
  const std::string epoch = epoch_key(), version = version_key(order_no),
                    entry = entry_key(kind, order_no);
  const std::string fresh_epoch = fresh_token(), fresh_version = fresh_token();
  auto run = [&](std::string_view verb, std::string_view script) {
    return client_.command(
        {verb, script, "3", epoch, version, entry, fresh_epoch, fresh_version, version_ttl_s_});
  };
  auto r = run("EVALSHA", sha1_);
  if (auto* e = std::get_if<RedisError>(&r); e && e->reply && e->message.starts_with("NOSCRIPT"))
    r = run("EVAL", kLookup);  // first use on this server (or after a restart); caches it
  if (auto* e = std::get_if<RedisError>(&r)) return CacheError{e->message};
  auto& reply = std::get<RedisReply>(r);
  if (reply.type != RedisReply::Type::kArray || reply.elements.size() < 2 ||
      reply.elements[0].type != RedisReply::Type::kString ||
      reply.elements[1].type != RedisReply::Type::kString)
    return unexpected(reply);
  ViewLookup out;
  out.tag = reply.elements[0].str + "/" + reply.elements[1].str;
  if (reply.elements.size() > 2 && reply.elements[2].type == RedisReply::Type::kString) {
    auto& stored = reply.elements[2].str;
    if (stored.size() > out.tag.size() && stored.starts_with(out.tag) &&
        stored[out.tag.size()] == '\n') {
      stored.erase(0, out.tag.size() + 1);
      out.value = std::move(stored);
    }
  }
  return out;
}

CacheResult<Done> RedisViewCache::put(ViewKind kind, std::string_view order_no,
                                      std::string_view tag, std::string_view value) {
  std::string stored;
  stored.reserve(tag.size() + 1 + value.size());
  stored.append(tag).push_back('\n');
  stored.append(value);
  return done_or_error(client_.command({"SET", entry_key(kind, order_no), stored, "EX", ttl_s_}));
}

CacheResult<Done> RedisViewCache::invalidate(const std::vector<std::string>& order_nos) {
  for (std::size_t at = 0; at < order_nos.size(); at += kDelChunk) {
    std::vector<std::string> keys;
    for (std::size_t i = at; i < std::min(order_nos.size(), at + kDelChunk); ++i)
      keys.push_back(version_key(order_nos[i]));
    std::vector<std::string_view> args{"DEL"};
    args.insert(args.end(), keys.begin(), keys.end());
    auto r = done_or_error(client_.command(args));
    if (std::holds_alternative<CacheError>(r)) return r;
  }
  return Done{};
}

CacheResult<Done> RedisViewCache::invalidate_all() {
  return done_or_error(client_.command({"DEL", epoch_key()}));
}

}  // namespace coldtrack::cache
