// Carrier-neutral tracking data: the unified status taxonomy (protocols/carrier-codes.md §2),
// traces and snapshots. Every provider adapter turns its payloads into these types. Pure: no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/time.h"

namespace coldtrack::carriers {

using domain::EpochMs;

enum class TrackingStatus {
  kNoInfo,          // NO_INFO
  kAwaitingPickup,  // AWAITING_PICKUP
  kPickedUp,        // PICKED_UP
  kInTransit,       // IN_TRANSIT
  kOutForDelivery,  // OUT_FOR_DELIVERY
  kAtPickupPoint,   // AT_PICKUP_POINT
  kDelivered,       // DELIVERED (terminal)
  kException,       // EXCEPTION (always with a reason)
  kReturning,       // RETURNING
  kReturned,        // RETURNED (terminal)
  kCustoms,         // CUSTOMS
};

std::string_view to_string(TrackingStatus s);  // "OUT_FOR_DELIVERY"
std::string_view label_zh(TrackingStatus s);   // "派送中"
std::optional<TrackingStatus> parse_tracking_status(std::string_view s);
bool is_terminal(TrackingStatus s);  // DELIVERED, RETURNED

// Reason codes (carrier-codes.md §2), e.g. "REJECTED", "PICKUP_OVERDUE", "FORWARDED".
bool is_known_reason(std::string_view reason);
std::string_view reason_label_zh(std::string_view reason);  // "拒收"; "" when unknown

struct Unified {
  TrackingStatus status = TrackingStatus::kNoInfo;
  std::string reason;  // required for EXCEPTION, optional info otherwise ("" = none)
};

struct Trace {
  EpochMs time = 0;         // UTC
  std::string description;  // carrier's text (AcceptStation / context)
  std::string location;     // city or area, "" when unknown
  std::string raw_code;     // per-trace provider code, "" when absent
};

// One complete tracking result for one waybill, from a query response or a push.
struct Snapshot {
  std::string provider;          // "kdniao" | "kuaidi100" | "cainiao"
  std::string provider_carrier;  // the provider's carrier code (ShipperCode / com)
  std::string waybill_no;
  Unified unified;
  bool mapped = true;         // false: the provider's code was unknown; `unified` is the fallback
  std::string raw_state;      // provider's summary code as sent ("2", "0", ...)
  std::string raw_substate;   // provider's detailed code ("202", "1002", ...), "" when absent
  std::vector<Trace> traces;  // oldest first, deduplicated by (time, description)
  std::string raw_payload;    // the provider's JSON for this waybill, kept for diagnosis
};

// Time of the newest trace, or nullopt when there are none.
std::optional<EpochMs> newest_trace_time(const Snapshot& s);

// Snapshot ordering (carrier-codes.md §5 rule 3): true when `candidate` should replace
// `current`: its newest trace is later, or equally new with more traces. A snapshot without
// traces never replaces one with traces.
bool supersedes(const Snapshot& candidate, const Snapshot& current);

// Sorts traces oldest first and removes duplicates (same time and description).
void normalize_traces(std::vector<Trace>& traces);

// Parses a carrier trace time in China time (UTC+8, no zone in the text):
// "yyyy-MM-dd HH:mm:ss", "yyyy/MM/dd HH:mm:ss", "yyyy-MM-dd HH:mm", and RFC 3339 with an
// offset. Returns UTC epoch milliseconds.
std::optional<EpochMs> parse_carrier_time(std::string_view text);

}  // namespace coldtrack::carriers
