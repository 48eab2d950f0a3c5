#include "coldchain/excursion.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <tuple>

namespace coldtrack::coldchain {
namespace {

constexpr EpochMs kMinute = 60'000;
constexpr EpochMs kHour = 60 * kMinute;
constexpr double kGasConstant = 8.3144621;  // J/(mol·K)
constexpr double kZeroCelsiusK = 273.15;

using domain::sat_add;
using domain::sat_sub;

// Frozen food: <= -18 °C; during transport a brief rise of at most 3 °C (to -15 °C) is
// tolerated (Regulation (EC) 37/2005, Directive 89/108/EEC). Loggers measure air, which swings
// far faster than the product core, so delays filter door openings (a 5-minute spike to -10 °C
// fires nothing; it only uses up cumulative budget):
//   above_-18       warning   30 min continuous or 2 h cumulative  (outside the storage rule)
//   above_-15       major     10 min continuous or 30 min cumulative (beyond the legal 3 °C)
//   above_-12       critical  15 min continuous or 45 min cumulative (surface softening)
//   above_-15_long  critical  2 h cumulative above -15               (sustained abuse)
Profile frozen_profile() {
  Profile p;
  p.category = "frozen";
  p.target_max_c = -18;
  p.zones = {
      {"above_-18", std::nullopt, -18.0, 30 * kMinute, 2 * kHour, Severity::kWarning, "高于 -18°C"},
      {"above_-15", std::nullopt, -15.0, 10 * kMinute, 30 * kMinute, Severity::kMajor,
       "高于 -15°C"},
      {"above_-12", std::nullopt, -12.0, 15 * kMinute, 45 * kMinute, Severity::kCritical,
       "高于 -12°C"},
      {"above_-15_long", std::nullopt, -15.0, 0, 2 * kHour, Severity::kCritical,
       "高于 -15°C 累计超过 2 小时"},
  };
  return p;
}

// Chilled food: 0-4 °C. Below -2 °C fresh produce and dairy suffer freezing damage, so the
// major zone is two-sided:
//   outside_0_4   warning   30 min continuous or 2 h cumulative
//   outside_-2_8  major     15 min continuous or 1 h cumulative  (above 8 °C or below -2 °C)
//   above_10      critical  30 min continuous or 2 h cumulative  (growth of pathogens)
Profile chilled_profile() {
  Profile p;
  p.category = "chilled";
  p.target_max_c = 4;
  p.target_min_c = 0;
  p.zones = {
      {"outside_0_4", 0.0, 4.0, 30 * kMinute, 2 * kHour, Severity::kWarning, "超出 0~4°C"},
      {"outside_-2_8", -2.0, 8.0, 15 * kMinute, kHour, Severity::kMajor, "高于 8°C 或低于 -2°C"},
      {"above_10", std::nullopt, 10.0, 30 * kMinute, 2 * kHour, Severity::kCritical, "高于 10°C"},
  };
  return p;
}

// How far outside the zone a temperature is (> 0 means outside; boundaries are inside).
double excess(const Zone& z, double t) {
  double e = -std::numeric_limits<double>::infinity();
  if (z.lower) e = std::max(e, *z.lower - t);
  if (z.upper) e = std::max(e, t - *z.upper);
  return e;
}

bool outside(const Zone& z, double t) {
  return excess(z, t) > 0;
}

struct ZoneState {
  EpochMs cumulative = 0;
  EpochMs longest = 0;
  bool fired = false;
};

// One device's monitored series with the step model precomputed: hold[k] is how long reading k's
// temperature is known to last; connected[k] says reading k+1 follows without a data gap.
struct Series {
  std::span<const Reading> r;
  std::vector<EpochMs> hold;
  std::vector<bool> connected;
};

// Walks the stays outside `z` in time order, accumulating totals and firing at most once.
void evaluate_zone(const Zone& z, const Series& s, ZoneState& st, std::vector<Excursion>& out) {
  const std::size_t m = s.r.size();
  std::size_t k = 0;
  while (k < m) {
    if (!outside(z, s.r[k].temp_c)) {
      ++k;
      continue;
    }
    const EpochMs start = s.r[k].at;
    double peak = s.r[k].temp_c;
    EpochMs duration = 0;
    std::optional<EpochMs> ended_at;
    std::size_t j = k;
    for (;;) {
      duration = sat_add(duration, s.hold[j]);
      if (excess(z, s.r[j].temp_c) > excess(z, peak)) peak = s.r[j].temp_c;
      if (!s.connected[j]) break;  // last reading or a data gap: end not observed
      if (!outside(z, s.r[j + 1].temp_c)) {
        ended_at = s.r[j + 1].at;
        break;
      }
      ++j;
    }
    k = j + 1;

    const EpochMs before = st.cumulative;
    st.cumulative = sat_add(st.cumulative, duration);
    st.longest = std::max(st.longest, duration);
    if (st.fired) continue;

    std::optional<EpochMs> fire_at;
    const char* trigger = nullptr;
    if (z.single_delay_ms > 0 && duration >= z.single_delay_ms) {
      fire_at = sat_add(start, z.single_delay_ms);
      trigger = "single";
    }
    if (z.cumulative_ms > 0 && st.cumulative >= z.cumulative_ms) {
      // before < cumulative_ms here, or the zone would have fired in an earlier stay.
      const EpochMs at = sat_add(start, z.cumulative_ms - before);
      if (!fire_at || at < *fire_at) {  // a tie goes to "single"
        fire_at = at;
        trigger = "cumulative";
      }
    }
    if (!fire_at) continue;
    st.fired = true;
    out.push_back(Excursion{s.r[0].device_id, z.name, z.severity, trigger, start, *fire_at,
                            ended_at, peak, duration});
  }
}

std::optional<double> weighted_mkt(std::span<const Reading> r, std::vector<double> weights,
                                   double delta_h) {
  if (r.empty() || !(delta_h > 0) || !std::isfinite(delta_h)) return std::nullopt;
  double total = 0;
  for (double w : weights) total += w;
  if (!(total > 0)) {
    std::fill(weights.begin(), weights.end(), 1.0);
    total = static_cast<double>(weights.size());
  }
  const double h_over_r = delta_h / kGasConstant;
  // Log-sum-exp: exp(-ΔH/RT) is ~1e-18 at freezer temperatures; keep precision by factoring out
  // the largest exponent.
  std::vector<double> x(r.size());
  double max_x = -std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < r.size(); ++i) {
    const double kelvin = r[i].temp_c + kZeroCelsiusK;
    if (!std::isfinite(kelvin) || kelvin <= 0) return std::nullopt;
    x[i] = -h_over_r / kelvin;
    if (weights[i] > 0) max_x = std::max(max_x, x[i]);
  }
  double sum = 0;
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (weights[i] > 0) sum += weights[i] * std::exp(x[i] - max_x);
  }
  const double ln_mean = max_x + std::log(sum / total);
  return h_over_r / -ln_mean - kZeroCelsiusK;
}

template <typename T>
void keep_max(std::optional<T>& acc, T v) {
  if (!acc || v > *acc) acc = v;
}
template <typename T>
void keep_min(std::optional<T>& acc, T v) {
  if (!acc || v < *acc) acc = v;
}

}  // namespace

std::string_view to_string(Severity s) {
  switch (s) {
    case Severity::kInfo:
      return "info";
    case Severity::kWarning:
      return "warning";
    case Severity::kMajor:
      return "major";
    case Severity::kCritical:
      return "critical";
  }
  return "unknown";
}

std::string_view label_zh(Severity s) {
  switch (s) {
    case Severity::kInfo:
      return "提示";
    case Severity::kWarning:
      return "警告";
    case Severity::kMajor:
      return "严重";
    case Severity::kCritical:
      return "紧急";
  }
  return "未知";
}

std::optional<ThawRisk> parse_thaw_risk(std::string_view code) {
  for (auto r : {ThawRisk::kNone, ThawRisk::kLow, ThawRisk::kMedium, ThawRisk::kHigh})
    if (to_string(r) == code) return r;
  return std::nullopt;
}

std::string_view to_string(ThawRisk r) {
  switch (r) {
    case ThawRisk::kNone:
      return "none";
    case ThawRisk::kLow:
      return "low";
    case ThawRisk::kMedium:
      return "medium";
    case ThawRisk::kHigh:
      return "high";
  }
  return "unknown";
}

std::string_view label_zh(ThawRisk r) {
  switch (r) {
    case ThawRisk::kNone:
      return "无";
    case ThawRisk::kLow:
      return "低";
    case ThawRisk::kMedium:
      return "中";
    case ThawRisk::kHigh:
      return "高";
  }
  return "未知";
}

std::optional<Profile> profile_for(std::string_view category) {
  if (category == "frozen") return frozen_profile();
  if (category == "chilled") return chilled_profile();
  return std::nullopt;  // "ambient" and anything unknown: not monitored
}

std::optional<Profile> profile_for_categories(const std::vector<std::string>& categories) {
  // Strictness rank: a frozen item in the box means the whole shipment travels frozen.
  auto rank = [](std::string_view c) { return c == "frozen" ? 2 : c == "chilled" ? 1 : 0; };
  int best = 0;
  std::string_view best_category;
  for (const std::string& c : categories) {
    if (rank(c) > best) {
      best = rank(c);
      best_category = c;
    }
  }
  if (best == 0) return std::nullopt;
  return profile_for(best_category);
}

ThawRisk grade_thaw_risk(double exposure_degree_minutes, EpochMs above_target_ms,
                         bool critical_excursion) {
  if (critical_excursion || exposure_degree_minutes >= kThawMediumBelowDegreeMinutes) {
    return ThawRisk::kHigh;
  }
  if (exposure_degree_minutes >= kThawLowBelowDegreeMinutes ||
      above_target_ms >= kThawLongAboveTargetMs) {
    return ThawRisk::kMedium;
  }
  if (exposure_degree_minutes > 0) return ThawRisk::kLow;
  return ThawRisk::kNone;
}

Assessment assess(const Profile& profile, std::vector<Reading> readings, EpochMs trip_start) {
  std::erase_if(readings, [](const Reading& r) { return !std::isfinite(r.temp_c); });
  normalize(readings);

  Assessment a;
  a.readings = readings.size();
  std::vector<ZoneState> worst_zone(profile.zones.size());
  std::vector<bool> zone_fired(profile.zones.size(), false);
  EpochMs worst_above_target = 0;
  bool critical = false;

  for (std::size_t b = 0; b < readings.size();) {
    std::size_t e = b + 1;
    while (e < readings.size() && readings[e].device_id == readings[b].device_id) ++e;
    const std::span<const Reading> all(readings.data() + b, e - b);
    b = e;

    keep_min(a.first_at, all.front().at);
    keep_max(a.last_at, all.back().at);

    const EpochMs ignore_until = sat_add(std::max(trip_start, all.front().at),
                                         std::max<EpochMs>(profile.ignore_start_ms, 0));
    // Data gaps over the whole series, counting only the part after the ignore window (a gap
    // that starts during loading still leaves the trip unmonitored once loading is over).
    EpochMs gap_ms = 0;
    for (std::size_t k = 0; k + 1 < all.size(); ++k) {
      if (sat_sub(all[k + 1].at, all[k].at) <= profile.max_gap_ms) continue;
      gap_ms = sat_add(
          gap_ms, std::max<EpochMs>(0, sat_sub(all[k + 1].at, std::max(all[k].at, ignore_until))));
    }
    a.data_gap_ms = std::max(a.data_gap_ms, gap_ms);

    const auto first_monitored = std::lower_bound(
        all.begin(), all.end(), ignore_until, [](const Reading& r, EpochMs t) { return r.at < t; });
    Series s;
    s.r = all.subspan(static_cast<std::size_t>(first_monitored - all.begin()));
    const std::size_t m = s.r.size();
    if (m == 0) continue;
    s.hold.assign(m, 0);
    s.connected.assign(m, false);
    std::vector<double> weights(m, 0.0);
    double exposure = 0;
    EpochMs above_target = 0;
    for (std::size_t k = 0; k < m; ++k) {
      keep_min(a.min_c, s.r[k].temp_c);
      keep_max(a.max_c, s.r[k].temp_c);
      if (k + 1 < m) {
        const EpochMs gap = sat_sub(s.r[k + 1].at, s.r[k].at);
        if (gap <= profile.max_gap_ms) {
          s.hold[k] = gap;
          s.connected[k] = true;
        }
      }
      weights[k] = static_cast<double>(s.hold[k]);
      if (s.r[k].temp_c > profile.target_max_c) {
        exposure += (s.r[k].temp_c - profile.target_max_c) * static_cast<double>(s.hold[k]) /
                    static_cast<double>(kMinute);
        above_target = sat_add(above_target, s.hold[k]);
      }
    }
    a.exposure_degree_minutes = std::max(a.exposure_degree_minutes, exposure);
    worst_above_target = std::max(worst_above_target, above_target);
    if (auto mkt = weighted_mkt(s.r, std::move(weights), profile.mkt_delta_h_j_per_mol))
      keep_max(a.mkt_c, *mkt);

    for (std::size_t z = 0; z < profile.zones.size(); ++z) {
      ZoneState st;
      evaluate_zone(profile.zones[z], s, st, a.excursions);
      worst_zone[z].cumulative = std::max(worst_zone[z].cumulative, st.cumulative);
      worst_zone[z].longest = std::max(worst_zone[z].longest, st.longest);
      if (st.fired) zone_fired[z] = true;
    }
  }

  // Stable: excursions were appended per device in device_id order and per zone in profile
  // order, so simultaneous firings on one device keep the profile's order.
  std::stable_sort(a.excursions.begin(), a.excursions.end(),
                   [](const Excursion& x, const Excursion& y) {
                     return std::tie(x.fired_at, x.device_id) < std::tie(y.fired_at, y.device_id);
                   });
  for (const Excursion& x : a.excursions) {
    keep_max(a.worst, x.severity);
    if (x.severity == Severity::kCritical) critical = true;
  }
  for (std::size_t z = 0; z < profile.zones.size(); ++z) {
    const Zone& zone = profile.zones[z];
    a.zones.push_back(ZoneSummary{zone.name, zone.severity, worst_zone[z].cumulative,
                                  worst_zone[z].longest, zone_fired[z]});
  }
  a.thaw_risk = grade_thaw_risk(a.exposure_degree_minutes, worst_above_target, critical);
  return a;
}

std::optional<double> mean_kinetic_temperature(const std::vector<Reading>& sorted_by_time,
                                               double delta_h_j_per_mol) {
  std::vector<double> weights(sorted_by_time.size(), 0.0);
  for (std::size_t i = 0; i + 1 < sorted_by_time.size(); ++i) {
    const EpochMs d = sat_sub(sorted_by_time[i + 1].at, sorted_by_time[i].at);
    weights[i] = static_cast<double>(std::max<EpochMs>(d, 0));
  }
  return weighted_mkt(sorted_by_time, std::move(weights), delta_h_j_per_mol);
}

}  // namespace coldtrack::coldchain
