// Lossless text form of the records the hot-view cache keeps (src/cache/cached_store.h): an
// order with its history and shipments, and an order's shipments with their tracking. JSON
// (Boost.JSON) with every field by name; strings may hold any bytes (sealed personal data is
// binary), doubles travel as shortest round-trip text. Decoding is strict: a missing or mistyped
// field, or another format version, gives nullopt and the caller reads the store instead.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace coldtrack::cache {

// Part of every cached entry's key: bump it when the encoding changes incompatibly, so replicas
// of different versions sharing one Redis (a rolling upgrade) never read each other's entries.
inline constexpr std::string_view kViewFormat = "1";

std::string encode_order(const store::OrderRecord& order);
std::optional<store::OrderRecord> decode_order(std::string_view text);

std::string encode_tracking(const std::vector<store::TrackingRecord>& shipments);
std::optional<std::vector<store::TrackingRecord>> decode_tracking(std::string_view text);

}  // namespace coldtrack::cache
