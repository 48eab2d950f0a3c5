#include "cache/nonce_cache.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "domain/time.h"

namespace coldtrack::cache {

namespace detail {
namespace {

// SipHash by hand: OpenSSL has it only as an EVP_MAC (a context per call, about a microsecond),
// and Boost's hashes are not keyed. It is short and checked against the reference vectors.

constexpr std::uint64_t rotl(std::uint64_t x, int b) {
  return (x << b) | (x >> (64 - b));
}

std::uint64_t load_le64(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

struct SipState {
  std::uint64_t v0, v1, v2, v3;
  void round() {
    v0 += v1, v1 = rotl(v1, 13), v1 ^= v0, v0 = rotl(v0, 32);
    v2 += v3, v3 = rotl(v3, 16), v3 ^= v2;
    v0 += v3, v3 = rotl(v3, 21), v3 ^= v0;
    v2 += v1, v1 = rotl(v1, 17), v1 ^= v2, v2 = rotl(v2, 32);
  }
  void absorb(std::uint64_t m) {
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
};

}  // namespace

std::uint64_t siphash24(std::uint64_t k0, std::uint64_t k1,
                        std::initializer_list<std::string_view> parts) {
  SipState s{k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL, k0 ^ 0x6c7967656e657261ULL,
             k1 ^ 0x7465646279746573ULL};
  unsigned char buf[8];
  std::size_t buffered = 0, total = 0;
  for (std::string_view part : parts) {
    total += part.size();
    for (char c : part) {
      buf[buffered++] = static_cast<unsigned char>(c);
      if (buffered == 8) {
        s.absorb(load_le64(buf));
        buffered = 0;
      }
    }
  }
  // Last block: the remaining bytes, zero padded, with the total length in the top byte.
  std::memset(buf + buffered, 0, 8 - buffered);
  s.absorb(load_le64(buf) | (static_cast<std::uint64_t>(total & 0xff) << 56));
  s.v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) s.round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

}  // namespace detail

namespace {

constexpr std::size_t kShards = 16;  // picked by the hash's top 4 bits
// One-second expiry slots in a ring. 1024 s covers the default window's longest life (601 s,
// client clock 300 s ahead), so each entry is visited once; a longer expiry waits in its slot
// for later laps (one cheap visit per 1024 s).
constexpr std::int64_t kSlots = 1024;

using domain::floor_div;

// The first whole second at which an entry expiring at `expires_ms` has expired.
std::int64_t due_second(std::int64_t expires_ms) {
  return -floor_div(-expires_ms, 1000);
}
std::size_t slot_of(std::int64_t second) {
  return static_cast<std::size_t>(static_cast<std::uint64_t>(second) & (kSlots - 1));
}

// The keys are already SipHash outputs; the table still mixes them (Boost does so for hashers
// not marked avalanching), which keeps its probing independent of the bits that chose the shard.
struct IdentityHash {
  std::size_t operator()(std::uint64_t h) const noexcept { return static_cast<std::size_t>(h); }
};

}  // namespace

struct alignas(64) MemoryNonceStore::Shard {
  std::mutex mu;
  boost::unordered_flat_map<std::uint64_t, std::int64_t, IdentityHash> expiry;  // hash -> ms
  // wheel[slot_of(s)] lists the hashes due at second s (or s + k * kSlots). An entry may be
  // listed more than once (re-recorded after expiry); only a listing in the slot of its current
  // due second keeps it, and a listing never drops an unexpired entry, so extras are harmless.
  std::vector<std::vector<std::uint64_t>> wheel = std::vector<std::vector<std::uint64_t>>(kSlots);
  // The slots of every second up to this one have been swept. An entry recorded later but due
  // by then (only when callers' now_ms arrive out of order) is still refused until its expiry,
  // as lookups compare exact times, and its room is freed on the slot's next lap.
  std::int64_t swept_second = INT64_MIN;

  // Drops the entries due by `now_ms`'s second: only the slots passed since the last call (at
  // most one lap). The latest now_ms seen wins, so a thread whose clock read is a few ms older
  // than another's may find a nonce already dropped a few ms before its own idea of the expiry.
  // Returns how many were dropped.
  std::size_t sweep(std::int64_t now_ms) {
    const std::int64_t now_s = floor_div(now_ms, 1000);
    if (swept_second == INT64_MIN) swept_second = now_s;  // nothing recorded before
    if (now_s <= swept_second) return 0;
    const std::int64_t steps = std::min(now_s - swept_second, kSlots);
    std::size_t dropped = 0;
    for (std::int64_t s = now_s - steps + 1; s <= now_s; ++s)
      dropped += sweep_slot(slot_of(s), now_s);
    swept_second = now_s;
    return dropped;
  }

  std::size_t sweep_slot(std::size_t slot, std::int64_t now_s) {
    auto& listed = wheel[slot];
    std::size_t kept = 0, dropped = 0;
    for (std::uint64_t h : listed) {
      auto it = expiry.find(h);
      if (it == expiry.end()) continue;  // dropped through another listing
      const std::int64_t due = due_second(it->second);
      if (due <= now_s) {
        expiry.erase(it);
        ++dropped;
      } else if (slot_of(due) == slot) {
        listed[kept++] = h;  // due on a later lap of this slot
      }
    }
    if (kept == 0) {
      std::vector<std::uint64_t>().swap(listed);  // give the memory back until the next lap
    } else {
      listed.resize(kept);
    }
    return dropped;
  }

  void list(std::uint64_t h, std::int64_t expires_ms) {
    wheel[slot_of(due_second(expires_ms))].push_back(h);
  }
};

MemoryNonceStore::MemoryNonceStore(std::size_t max_entries)
    : max_entries_(max_entries), shards_(new Shard[kShards]) {
  unsigned char key[16];
  if (RAND_bytes(key, sizeof key) != 1)
    throw std::runtime_error("nonce store: no random key from OpenSSL RAND_bytes");
  std::memcpy(&k0_, key, 8);
  std::memcpy(&k1_, key + 8, 8);
}

MemoryNonceStore::~MemoryNonceStore() = default;

bool MemoryNonceStore::remember(std::string_view key, std::string_view nonce, std::int64_t now_ms,
                                std::int64_t expires_ms) {
  // The key's length first, so ("ak_1", "23") and ("ak_12", "3") hash different messages.
  unsigned char len[8];
  std::uint64_t n = key.size();
  for (auto& b : len) b = static_cast<unsigned char>(n), n >>= 8;
  const std::uint64_t h = detail::siphash24(
      k0_, k1_, {std::string_view(reinterpret_cast<const char*>(len), 8), key, nonce});
  static_assert(kShards == 16);
  Shard& shard = shards_[h >> 60];
  switch (try_record(shard, h, now_ms, expires_ms)) {
    case Outcome::kRecorded:
      return true;
    case Outcome::kReplay:
      return false;
    case Outcome::kFull:
      break;
  }
  // Expired entries may still hold room in shards no request has touched this second.
  sweep_all(now_ms);
  return try_record(shard, h, now_ms, expires_ms) == Outcome::kRecorded;
}

MemoryNonceStore::Outcome MemoryNonceStore::try_record(Shard& shard, std::uint64_t h,
                                                       std::int64_t now_ms,
                                                       std::int64_t expires_ms) {
  std::lock_guard lock(shard.mu);
  if (auto dropped = shard.sweep(now_ms)) size_.fetch_sub(dropped, std::memory_order_relaxed);
  auto it = shard.expiry.find(h);
  if (it != shard.expiry.end()) {
    if (it->second > now_ms) return Outcome::kReplay;
    // Expired but its slot not dropped yet: reuse the entry, no new room needed.
    if (expires_ms > now_ms) {
      shard.list(h, expires_ms);
      it->second = expires_ms;
    }
    return Outcome::kRecorded;
  }
  if (expires_ms <= now_ms) return Outcome::kRecorded;  // already expired: nothing to protect
  if (size_.fetch_add(1, std::memory_order_relaxed) >= max_entries_) {
    size_.fetch_sub(1, std::memory_order_relaxed);
    return Outcome::kFull;
  }
  try {
    shard.list(h, expires_ms);  // listed first: a listing without an entry is harmless
    shard.expiry.emplace(h, expires_ms);
  } catch (...) {
    size_.fetch_sub(1, std::memory_order_relaxed);
    throw;
  }
  return Outcome::kRecorded;
}

void MemoryNonceStore::sweep_all(std::int64_t now_ms) {
  for (std::size_t i = 0; i < kShards; ++i) {
    std::lock_guard lock(shards_[i].mu);
    if (auto dropped = shards_[i].sweep(now_ms))
      size_.fetch_sub(dropped, std::memory_order_relaxed);
  }
}

}  // namespace coldtrack::cache
