// Whether a store is the only user of its database (store::Store::sole_use()).
#pragma once

#include <cstdint>
#include <optional>

namespace coldtrack::store {

// Whether a store is the only user of its database, for caches kept in this process that are
// exact only then (src/cache/response_cache.h).
class SoleUse {
 public:
  virtual ~SoleUse() = default;
  // Stays the same value while nobody else used the database; nullopt while someone else uses
  // it (another process, or another store in this one) or may have since the last check. A user
  // that joins is seen at once; that everyone else has left, within a short poll interval.
  virtual std::optional<std::uint64_t> epoch() const = 0;
};

}  // namespace coldtrack::store
