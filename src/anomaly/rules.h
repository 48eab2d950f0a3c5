// Anomaly rules: what counts as trouble for a shipment or an order, at a given moment. Pure:
// the caller supplies the facts and the clock; storage and deduplication live elsewhere.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/time.h"

namespace coldtrack::anomaly {

using domain::EpochMs;

// Kind codes as stored and in the API.
inline constexpr std::string_view kNoUpdate = "no_update";
inline constexpr std::string_view kCarrierProblem = "carrier_problem";
inline constexpr std::string_view kStuckAtPickup = "stuck_at_pickup";
inline constexpr std::string_view kLate = "late";
inline constexpr std::string_view kNotSigned = "not_signed";
inline constexpr std::string_view kNotShipped = "not_shipped";
inline constexpr std::string_view kTemperature = "temperature";

// Every kind, and the ones evaluate_shipment decides (the others come from elsewhere).
const std::vector<std::string>& all_kinds();
const std::vector<std::string>& shipment_kinds();
std::string_view kind_label_zh(std::string_view kind);  // "长时间无物流更新"; "" when unknown
bool is_known_kind(std::string_view kind);
// The Chinese label of a finding's reason: a carrier reason code (carriers/tracking.h) or one
// the rules give themselves (PAST_ETA, RETURNING, ...); "" when unknown.
std::string_view reason_label_zh(std::string_view reason);

// Severity codes, weakest first.
inline constexpr std::string_view kInfo = "info";
inline constexpr std::string_view kWarning = "warning";
inline constexpr std::string_view kMajor = "major";
inline constexpr std::string_view kCritical = "critical";
bool is_known_severity(std::string_view severity);
std::string_view severity_label_zh(std::string_view severity);

struct Thresholds {
  EpochMs no_update_ms = 24 * 3'600'000LL;     // in transit without a new carrier event
  EpochMs pickup_ms = 48 * 3'600'000LL;        // waiting at a pickup point / locker
  EpochMs not_signed_ms = 12 * 3'600'000LL;    // out for delivery without being signed for
  EpochMs late_grace_ms = 2 * 3'600'000LL;     // past the ETA interval's end by this much
  EpochMs ship_promise_ms = 48 * 3'600'000LL;  // paid but not shipped
};

// Defaults per temperature class, then overrides per category ("frozen") and per carrier
// ("SF_COLD"). When both override a rule, the stricter (shorter) one wins: a frozen parcel
// with a slow carrier is still frozen.
class RuleSet {
 public:
  RuleSet();  // built-in defaults: frozen and chilled goods get shorter limits
  // Parses "frozen.no_update_h=8,SF.pickup_h=24,chilled.not_signed_h=6" (rules: no_update_h,
  // pickup_h, not_signed_h, late_grace_h, ship_promise_h; hours, fractions allowed, > 0).
  // Returns an error naming the bad item, or nullopt.
  std::optional<std::string> apply_overrides(std::string_view spec);
  // Replaces the defaults of one temperature class ("ambient" is the base for unknown ones).
  void set_defaults(const std::string& temp_class, const Thresholds& t);
  Thresholds resolve(std::string_view carrier, std::string_view temp_class) const;

 private:
  std::map<std::string, Thresholds, std::less<>> defaults_;
  // scope ("frozen" or "SF") -> rule -> ms
  std::map<std::string, std::map<std::string, EpochMs>, std::less<>> overrides_;
};

// Validates an override spec without keeping it (for configuration checks).
std::optional<std::string> check_overrides(std::string_view spec);

struct ShipmentFacts {
  std::string carrier, temp_class;  // temp_class: frozen | chilled | ambient
  EpochMs shipped_at = 0;
  bool tracked = false;
  std::string status, reason;            // unified tracking status and reason codes
  std::optional<EpochMs> status_at;      // when the carrier reported the current status
  std::optional<EpochMs> last_event_at;  // newest carrier trace (carrier's clock)
  std::optional<EpochMs> received_at;    // when we stored that newest snapshot (our clock)
  std::optional<EpochMs> eta_latest;     // end of the predicted delivery interval
};

struct Finding {
  std::string kind, severity, reason;
  std::string evidence;  // JSON object text
};

// The shipment rules that hold at `now` (at most one finding per kind).
std::vector<Finding> evaluate_shipment(const ShipmentFacts& facts, const Thresholds& t,
                                       EpochMs now);

// The shipping-promise rule for a PAID order.
std::optional<Finding> evaluate_unshipped(EpochMs paid_at, const Thresholds& t, EpochMs now);

}  // namespace coldtrack::anomaly
