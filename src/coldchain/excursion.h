// Cold-chain excursion rules, modelled on professional shipment monitors (ELPRO/Sensitech-style
// alarm zones): each zone has a temperature band, a delay for one continuous stay outside and a
// cumulative budget for the whole trip. Also mean kinetic temperature and a thaw-risk grade.
// Pure and deterministic: the same readings give the same assessment, in any input order.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coldchain/readings.h"

namespace coldtrack::coldchain {

enum class Severity { kInfo, kWarning, kMajor, kCritical };
std::string_view to_string(Severity s);  // "info", "warning", "major", "critical"
std::string_view label_zh(Severity s);   // "提示", "警告", "严重", "紧急"

// One alarm zone. A reading is outside when temp < lower or temp > upper; exactly at a boundary
// is inside (the rules are "no warmer than -18 °C", so -18.0 complies).
struct Zone {
  std::string name;  // e.g. "above_-18", shown in evidence
  std::optional<double> lower, upper;
  EpochMs single_delay_ms = 0;  // fires when one continuous stay outside lasts >= this (0: off)
  EpochMs cumulative_ms = 0;    // fires when the trip's total time outside reaches this (0: off);
                                // never resets during a trip
  Severity severity = Severity::kWarning;
  std::string label_zh;  // for shop staff, e.g. "高于 -18°C"
};

struct Profile {
  std::string category;     // "frozen" | "chilled"
  double target_max_c = 0;  // exposure counts degree-minutes above this
  std::optional<double> target_min_c;
  std::vector<Zone> zones;
  EpochMs ignore_start_ms = 30 * 60'000;    // loading: the logger is still settling
  EpochMs max_gap_ms = 30 * 60'000;         // a longer gap is unknown time, neither inside nor out
  double mkt_delta_h_j_per_mol = 83'144.0;  // activation energy for the mean kinetic temperature
};

// Built-in profiles ("frozen", "chilled"); nullopt for "ambient" or an unknown category (no
// monitoring). The zone values are documented in excursion.cc.
std::optional<Profile> profile_for(std::string_view category);
// The strictest monitored profile among an order's categories (frozen beats chilled); nullopt
// when none is monitored.
std::optional<Profile> profile_for_categories(const std::vector<std::string>& categories);

struct Excursion {
  std::string device_id;
  std::string zone;
  Severity severity;
  std::string trigger;  // "single" | "cumulative"
  EpochMs started_at;   // start of the stay outside during which the limit was reached
  EpochMs fired_at;     // when the delay or the cumulative budget was reached
  // The first reading back inside; nullopt when the end was not observed (still outside at the
  // device's last reading, or the data stopped in a gap longer than max_gap_ms).
  std::optional<EpochMs> ended_at;
  double peak_c;        // the reading furthest outside the zone during that stay
  EpochMs duration_ms;  // that stay's length: to ended_at, or to its last known reading
};

struct ZoneSummary {
  std::string zone;
  Severity severity;
  EpochMs cumulative_ms;  // largest over devices
  EpochMs longest_ms;     // largest over devices
  bool fired;             // on any device
};

enum class ThawRisk { kNone, kLow, kMedium, kHigh };
std::string_view to_string(ThawRisk r);  // "none", "low", "medium", "high"
std::string_view label_zh(ThawRisk r);   // "无", "低", "中", "高"
// The grade from its to_string() code (as stored); nullopt for anything else.
std::optional<ThawRisk> parse_thaw_risk(std::string_view code);

// Thaw-risk grade from the worst device's exposure (°C·min above target_max_c) and time above
// target. Loggers measure air, which swings much faster than the product core, so a routine
// door opening must not read as a risk:
//   none:   no exposure at all;
//   low:    < 60 °C·min (e.g. a 5-minute door-open spike to -10 °C in a frozen trip: 40);
//   medium: < 240 °C·min (e.g. 30 min at -15 °C: 90), or any exposure lasting >= 2 h in total
//           (a long, shallow rise still softens the outer layer);
//   high:   >= 240 °C·min (e.g. 1 h at -14 °C), or any critical excursion.
inline constexpr double kThawLowBelowDegreeMinutes = 60;
inline constexpr double kThawMediumBelowDegreeMinutes = 240;
inline constexpr EpochMs kThawLongAboveTargetMs = 2 * 3'600'000;
ThawRisk grade_thaw_risk(double exposure_degree_minutes, EpochMs above_target_ms,
                         bool critical_excursion);

struct Assessment {
  // The data received: valid (finite) readings after de-duplication, all devices.
  std::size_t readings = 0;
  std::optional<EpochMs> first_at, last_at;
  // The monitored period (after the ignore window), all devices; mkt_c is the worst device's.
  std::optional<double> min_c, max_c, mkt_c;
  // Ordered by fired_at, then device_id, then profile zone order. Each zone fires at most once per
  // device per trip: the first firing is kept with its details; later stays outside only add to the
  // summary.
  std::vector<Excursion> excursions;
  std::vector<ZoneSummary> zones;        // in profile order
  double exposure_degree_minutes = 0;    // ∫ max(0, T - target_max_c) dt, worst device
  ThawRisk thaw_risk = ThawRisk::kNone;  // grade_thaw_risk() on the worst device's figures
  std::optional<Severity> worst;         // highest severity fired, if any
  EpochMs data_gap_ms = 0;               // monitored time in gaps > max_gap_ms, worst device
};

// Evaluates a trip. Readings may come in any order and from several devices; each device is
// evaluated on its own series and the results merge (worst device wins). Non-finite readings are
// dropped; duplicates are removed as by normalize().
//
// Step model: a reading's temperature holds until that device's next reading if the gap is
// <= max_gap_ms; a longer gap is unknown time (counted in data_gap_ms, never as outside) and
// ends any stay outside. The last reading holds for no time.
//
// Ignore window: readings taken before max(trip_start, the device's first reading) +
// ignore_start_ms are ignored entirely (they do not hold into the monitored period either): a
// logger packed at room temperature needs time to settle. Taking the later of the two start
// points copes with logger clocks set before the departure and with loggers started late.
//
// A stay shorter than a zone's delay (a door-open spike) is not an excursion by itself, but its
// time does count towards the zone's cumulative budget.
Assessment assess(const Profile& profile, std::vector<Reading> readings, EpochMs trip_start);

// Mean kinetic temperature (USP <1079.2>, ICH Q1A):
//   Tk = (ΔH/R) / -ln( Σ w_i·exp(-ΔH/(R·T_i)) / Σ w_i ),   T in kelvin,
// w_i = the time reading i holds (until the next one; the last holds none), or equal weights when
// all are zero or there is one reading. R = 8.3144621 J/(mol·K). Returns °C; nullopt for an
// empty series, a non-finite or sub-absolute-zero temperature, or a non-positive ΔH.
std::optional<double> mean_kinetic_temperature(const std::vector<Reading>& sorted_by_time,
                                               double delta_h_j_per_mol = 83'144.0);

}  // namespace coldtrack::coldchain
