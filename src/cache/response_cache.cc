#include "cache/response_cache.h"

#include "common/string_hash.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <deque>
#include <mutex>
#include <unordered_map>

namespace coldtrack::cache {
namespace {

using TimePoint = std::chrono::steady_clock::time_point;

constexpr std::size_t kShards = 16;
// Fills in flight per shard; past it they are all voided (their puts are refused), which only
// costs a refill, and a fill that never comes back cannot grow the map.
constexpr std::size_t kMaxPending = 4096;
constexpr std::size_t kEntryOverhead = 128;  // map node, control block, deque slot

using Hash = StringHash;

struct Entry {
  std::shared_ptr<const std::string> body;
  TimePoint filled;  // when the lookup that led to it was made (before the store was read)
  std::uint64_t epoch = 0;
  std::uint64_t seq = 0;
  std::size_t cost = 0;
  std::string guard;  // what the request must match to be answered (e.g. phone digits)
};

constexpr std::array kViews{ResponseCache::View::kOrder, ResponseCache::View::kTrack};

// One map key per (view, order): the view's letter, then the order number. Built on the stack
// (order numbers are at most 64 bytes), so a lookup on the I/O thread allocates nothing.
class Key {
 public:
  Key(ResponseCache::View view, std::string_view order_no) {
    if (order_no.size() + 1 <= sizeof buf_) {
      buf_[0] = static_cast<char>(view);
      std::memcpy(buf_ + 1, order_no.data(), order_no.size());
      view_ = std::string_view(buf_, order_no.size() + 1);
    } else {
      long_ = static_cast<char>(view);
      long_ += order_no;
      view_ = long_;
    }
  }
  Key(const Key&) = delete;
  Key& operator=(const Key&) = delete;
  std::string_view view() const { return view_; }

 private:
  char buf_[80];
  std::string long_;
  std::string_view view_;
};

struct Pending {
  std::uint64_t ticket = 0;
  TimePoint issued;
  std::uint64_t epoch = 0;
};

}  // namespace

struct ResponseCache::Shard {
  std::mutex mu;
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> entries;
  std::unordered_map<std::string, Pending, Hash, std::equal_to<>> pending;
  std::deque<std::pair<std::string, std::uint64_t>> order;  // (key, seq) in insertion order
  std::size_t bytes = 0;
  std::uint64_t seq = 0;

  void erase(decltype(entries)::iterator it) {
    bytes -= it->second.cost;
    entries.erase(it);
  }
  void clear() {
    entries.clear();
    pending.clear();
    order.clear();
    bytes = 0;
  }
  bool current(const std::pair<std::string, std::uint64_t>& o) const {
    auto it = entries.find(o.first);
    return it != entries.end() && it->second.seq == o.second;
  }
};

ResponseCache::ResponseCache(Options options, Clock clock)
    : options_(options),
      clock_(clock ? std::move(clock) : Clock([] { return std::chrono::steady_clock::now(); })) {
  shards_.reserve(kShards);
  for (std::size_t i = 0; i < kShards; ++i) shards_.push_back(std::make_unique<Shard>());
}

ResponseCache::~ResponseCache() = default;

ResponseCache::Shard& ResponseCache::shard_for(std::string_view key) {
  // The map hashes again; the shard takes high bits so the two do not correlate.
  return *shards_[(Hash{}(key) >> 56) % kShards];
}

std::optional<std::uint64_t> ResponseCache::epoch() const {
  if (!options_.sole) return 0;
  return options_.sole->epoch();
}

ResponseCache::Lookup ResponseCache::lookup(std::string_view order_no, View view,
                                            std::string_view guard) {
  const Key key_buf(view, order_no);
  const std::string_view key = key_buf.view();
  const auto now = clock_();
  const auto ep = epoch();
  if (!ep) {
    shared_.fetch_add(1, std::memory_order_relaxed);
    return {nullptr, 0};
  }
  auto& s = shard_for(key);
  std::lock_guard lock(s.mu);
  if (auto it = s.entries.find(key); it != s.entries.end()) {
    if (it->second.epoch == *ep && now - it->second.filled <= options_.max_age &&
        it->second.guard.size() == guard.size() &&
        (guard.empty() ||
         CRYPTO_memcmp(it->second.guard.data(), guard.data(), guard.size()) == 0)) {
      hits_.fetch_add(1, std::memory_order_relaxed);
      return {it->second.body, 0};
    }
    // Another guard (wrong digits) leaves the entry for the right ones; an old one goes.
    if (it->second.epoch != *ep || now - it->second.filled > options_.max_age) s.erase(it);
  }
  misses_.fetch_add(1, std::memory_order_relaxed);
  if (s.pending.size() >= kMaxPending) s.pending.clear();
  const auto ticket = next_ticket_.fetch_add(1, std::memory_order_relaxed);
  if (auto p = s.pending.find(key); p != s.pending.end()) {
    p->second = Pending{ticket, now, *ep};
  } else {
    s.pending.emplace(std::string(key), Pending{ticket, now, *ep});
  }
  return {nullptr, ticket};
}

bool ResponseCache::put(std::string_view order_no, std::uint64_t ticket, std::string body,
                        View view, std::string guard) {
  const Key key_buf(view, order_no);
  const std::string_view key = key_buf.view();
  const std::size_t cost = body.size() + 2 * key.size() + guard.size() + kEntryOverhead;
  const std::size_t budget = options_.max_bytes / kShards;
  auto& s = shard_for(key);
  // Built outside the lock.
  auto shared = std::make_shared<const std::string>(std::move(body));
  std::lock_guard lock(s.mu);
  auto p = s.pending.find(key);
  if (ticket == 0 || p == s.pending.end() || p->second.ticket != ticket || cost > budget) {
    refused_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  const auto issued = p->second.issued;
  const auto filled_epoch = p->second.epoch;
  s.pending.erase(p);
  // Someone else used the database since the lookup: what was read may predate their writes.
  if (epoch() != filled_epoch) {
    refused_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  if (auto it = s.entries.find(key); it != s.entries.end()) s.erase(it);
  const auto seq = ++s.seq;
  s.entries.emplace(std::string(key),
                    Entry{std::move(shared), issued, filled_epoch, seq, cost, std::move(guard)});
  s.order.emplace_back(std::string(key), seq);
  s.bytes += cost;
  while (s.bytes > budget && !s.order.empty()) {
    const auto& oldest = s.order.front();
    if (auto it = s.entries.find(oldest.first);
        it != s.entries.end() && it->second.seq == oldest.second) {
      s.erase(it);
      evicted_.fetch_add(1, std::memory_order_relaxed);
    }
    s.order.pop_front();
  }
  // Invalidated and replaced entries leave their slot behind; drop those now and then.
  if (s.order.size() > 2 * s.entries.size() + 64)
    std::erase_if(s.order, [&s](const auto& o) { return !s.current(o); });
  kept_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void ResponseCache::orders_changed(const std::vector<std::string>& order_nos) noexcept {
  for (const auto& no : order_nos) {
    for (const auto view : kViews) {
      // Key allocates only for numbers longer than any valid one; then drop everything.
      if (no.size() + 1 > 80) {
        all_changed();
        return;
      }
      const Key key_buf(view, no);
      const std::string_view key = key_buf.view();
      auto& s = shard_for(key);
      std::lock_guard lock(s.mu);
      if (auto it = s.entries.find(key); it != s.entries.end()) s.erase(it);
      if (auto p = s.pending.find(key); p != s.pending.end()) s.pending.erase(p);
    }
  }
}

void ResponseCache::all_changed() noexcept {
  for (auto& s : shards_) {
    std::lock_guard lock(s->mu);
    s->clear();
  }
}

ResponseCache::Stats ResponseCache::stats() const {
  Stats out;
  out.hits = hits_.load(std::memory_order_relaxed);
  out.misses = misses_.load(std::memory_order_relaxed);
  out.kept = kept_.load(std::memory_order_relaxed);
  out.refused = refused_.load(std::memory_order_relaxed);
  out.evicted = evicted_.load(std::memory_order_relaxed);
  out.shared = shared_.load(std::memory_order_relaxed);
  for (const auto& s : shards_) {
    std::lock_guard lock(s->mu);
    out.entries += s->entries.size();
    out.bytes += s->bytes;
  }
  return out;
}

}  // namespace coldtrack::cache
