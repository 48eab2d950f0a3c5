#include "app/demo_transit.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>

namespace coldtrack::app {
namespace {

constexpr EpochMs kMinute = 60'000;
constexpr EpochMs kHour = 60 * kMinute;
constexpr EpochMs kDay = 24 * kHour;

// ---- randomness from the engine's raw bits only (portable across standard libraries) -----

double uniform01(std::mt19937_64& rng) {  // [0, 1)
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}
double uniform(std::mt19937_64& rng, double lo, double hi) {
  return lo + (hi - lo) * uniform01(rng);
}
bool chance(std::mt19937_64& rng, double p) {
  return uniform01(rng) < p;
}
double normal(std::mt19937_64& rng) {      // Box-Muller
  const double u1 = 1.0 - uniform01(rng);  // (0, 1]
  const double u2 = uniform01(rng);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}
double lognormal(std::mt19937_64& rng, double median, double sigma) {
  return median * std::exp(sigma * normal(rng));
}
EpochMs hours(double h) {
  return static_cast<EpochMs>(std::llround(h * kHour));
}

// ---- geography -------------------------------------------------------------------------------

struct City {
  std::string_view name;
  double lat, lon;
};

constexpr City kCities[] = {
    {"上海市", 31.23, 121.47}, {"北京市", 39.90, 116.40},    {"广州市", 23.13, 113.26},
    {"深圳市", 22.54, 114.06}, {"杭州市", 30.27, 120.15},    {"南京市", 32.06, 118.80},
    {"成都市", 30.57, 104.07}, {"武汉市", 30.59, 114.31},    {"青岛市", 36.07, 120.38},
    {"厦门市", 24.48, 118.09}, {"天津市", 39.08, 117.20},    {"苏州市", 31.30, 120.62},
    {"宁波市", 29.87, 121.55}, {"无锡市", 31.49, 120.31},    {"合肥市", 31.82, 117.23},
    {"济南市", 36.65, 117.12}, {"福州市", 26.07, 119.30},    {"长沙市", 28.23, 112.94},
    {"郑州市", 34.75, 113.62}, {"西安市", 34.34, 108.94},    {"重庆市", 29.56, 106.55},
    {"沈阳市", 41.80, 123.43}, {"大连市", 38.91, 121.60},    {"哈尔滨市", 45.80, 126.53},
    {"昆明市", 24.88, 102.83}, {"南宁市", 22.82, 108.37},    {"海口市", 20.04, 110.34},
    {"兰州市", 36.06, 103.83}, {"乌鲁木齐市", 43.83, 87.62}, {"拉萨市", 29.65, 91.11},
};

const City* find_city(std::string_view name) {
  for (const City& c : kCities) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

double distance_km(const City& a, const City& b) {  // great circle
  constexpr double kRad = std::numbers::pi / 180;
  const double dlat = (b.lat - a.lat) * kRad, dlon = (b.lon - a.lon) * kRad;
  const double h =
      std::sin(dlat / 2) * std::sin(dlat / 2) +
      std::cos(a.lat * kRad) * std::cos(b.lat * kRad) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * 6371 * std::asin(std::sqrt(h));
}

enum class Distance { kSameCity, kSameRegion, kNeighbour, kFar };

// ---- carriers --------------------------------------------------------------------------------

struct Network {
  double cutoff_hour;     // origin hub cut-off for tonight's trunk (local)
  bool midday_departure;  // an extra 13:00 departure for parcels at the hub by 11:30
  bool air;               // flies lanes over 600 km
  double road_factor;     // multiplies road line-haul hours
  double transfer_hours;  // dwell at a transfer hub on non-local lanes (hub-and-spoke)
  double missed_sort;     // chance of waiting a day at the destination sort
  double courier_hours;   // median out-for-delivery -> delivered
  double weekend_skip;    // chance a weekend delivery wave is skipped
};

Network network(std::string_view carrier) {
  if (carrier == "SF" || carrier == "JD" || carrier == "KUAYUE")
    return {18.0, true, true, 1.0, 0.5, 0.01, 2.0, 0.08};
  if (carrier == "SF_COLD") return {17.5, false, true, 1.0, 1.0, 0.02, 2.0, 0.08};
  if (carrier == "JIUYE" || carrier == "ZTO_COLD" || carrier == "HEIGOU" || carrier == "AXD")
    return {17.0, false, false, 0.95, 1.5, 0.03, 2.5, 0.12};  // direct refrigerated trucks
  if (carrier == "EMS" || carrier == "CHINA_POST")
    return {16.5, false, false, 1.2, 6.0, 0.25, 3.5, 0.3};
  return {17.0, false, false, 1.0, 4.0, 0.05, 3.0, 0.2};  // ZTO, YTO, STO, YUNDA, JT, ...
}

// ---- local time ------------------------------------------------------------------------------

struct Clock {
  EpochMs offset;
  EpochMs day_start(EpochMs t) const {
    const EpochMs local = t + offset;
    EpochMs d = local / kDay;
    if (local % kDay < 0) --d;
    return d * kDay - offset;
  }
  double hour(EpochMs t) const { return static_cast<double>(t - day_start(t)) / kHour; }
  // 0 = Sunday .. 6 = Saturday (1970-01-01 was a Thursday).
  int weekday(EpochMs t) const {
    const EpochMs d = (day_start(t) + offset) / kDay;
    return static_cast<int>(((d + 4) % 7 + 7) % 7);
  }
  bool weekend(EpochMs t) const { return weekday(t) == 0 || weekday(t) == 6; }
};

}  // namespace

TransitTimes draw_transit(std::mt19937_64& rng, std::string_view origin_city,
                          std::string_view dest_city, std::string_view carrier, EpochMs shipped_at,
                          int utc_offset_minutes) {
  const Clock clock{static_cast<EpochMs>(utc_offset_minutes) * kMinute};
  const Network net = network(carrier);

  Distance distance = Distance::kFar;
  double km = 1500;
  if (origin_city == dest_city) {
    distance = Distance::kSameCity;
    km = 0;
  } else if (const City* a = find_city(origin_city), *b = find_city(dest_city); a && b) {
    km = distance_km(*a, *b);
    distance = km < 350 ? Distance::kSameRegion : km < 1000 ? Distance::kNeighbour : Distance::kFar;
  }

  // 1. Courier pickup: within the hour in the daytime, else the next morning.
  const double handed_hour = clock.hour(shipped_at);
  EpochMs picked;
  if (handed_hour >= 7.0 && handed_hour < 19.5) {
    picked = shipped_at + hours(std::min(3.0, lognormal(rng, 0.75, 0.5)));
  } else {
    const EpochMs morning = clock.day_start(shipped_at) + (handed_hour >= 19.5 ? kDay : 0);
    picked = morning + hours(uniform(rng, 7.5, 9.0));
  }

  // 2. Origin hub: cut-off for the night trunk (and the midday one on fast networks).
  const EpochMs hub_in = picked + hours(uniform(rng, 0.5, 2.0));
  const double cutoff = net.cutoff_hour + 0.3 * normal(rng);
  const double hub_hour = clock.hour(hub_in);
  const EpochMs hub_day = clock.day_start(hub_in);
  EpochMs departed;
  if (net.midday_departure && hub_hour < 11.5) {
    departed = hub_day + hours(13.0);
  } else if (hub_hour < cutoff) {
    departed = hub_day + hours(uniform(rng, 20.0, 22.0));
  } else {
    departed = hub_day + kDay + hours(uniform(rng, 20.0, 22.0));
  }

  // 3. Line haul to the destination sort centre.
  double haul = 0;
  switch (distance) {
    case Distance::kSameCity:
      haul = uniform(rng, 1.0, 3.0);  // to the city's own sort centre
      break;
    case Distance::kSameRegion:
      haul = (1.5 + km / 65) * net.road_factor * lognormal(rng, 1.0, 0.12);
      break;
    case Distance::kNeighbour:
    case Distance::kFar:
      if (net.air && km > 600) {
        haul = (6.0 + km / 800) * lognormal(rng, 1.0, 0.15);  // flight plus airport ground time
      } else {
        haul = (2.0 + km / 60) * net.road_factor * lognormal(rng, 1.0, 0.12);
      }
      haul +=
          net.transfer_hours * (distance == Distance::kFar ? 1.5 : 1.0) * lognormal(rng, 1.0, 0.3);
      break;
  }
  EpochMs arrived = departed + hours(haul);
  if (chance(rng, 0.04)) arrived += hours(uniform(rng, 24.0, 48.0));  // weather / sorting
  if (chance(rng, net.missed_sort)) arrived += kDay;

  // 4. Destination sort, then the next delivery wave (~08:00 or ~13:00 local).
  EpochMs ready = arrived + hours(uniform(rng, 1.5, 3.5));
  if (distance == Distance::kSameCity && net.midday_departure && hub_hour < 11.5) {
    ready = hub_in + hours(uniform(rng, 1.0, 2.0));  // same-day city delivery (同城当日达)
  }
  EpochMs out_for_delivery = 0;
  for (EpochMs day = clock.day_start(ready);; day += kDay) {
    bool found = false;
    for (double wave : {8.0, 13.0}) {
      const EpochMs wave_at = day + hours(wave);
      if (ready > wave_at - hours(0.5)) continue;  // not sorted in time for this wave
      if (clock.weekend(wave_at) && chance(rng, net.weekend_skip)) continue;
      out_for_delivery = wave_at + hours(uniform(rng, 0.0, 1.5));
      found = true;
      break;
    }
    if (found) break;
  }

  // 5. The courier's round; whatever is left is rushed out by ~21:00.
  const double round = net.courier_hours * (clock.weekend(out_for_delivery) ? 1.25 : 1.0);
  EpochMs delivered = out_for_delivery + hours(std::max(0.15, lognormal(rng, round, 0.55)));
  if (clock.hour(delivered) >= 21.0 || delivered >= clock.day_start(out_for_delivery) + kDay) {
    delivered = clock.day_start(out_for_delivery) + hours(uniform(rng, 20.0, 20.95));
  }
  return {picked, out_for_delivery, delivered};
}

std::string_view demo_transit_description() {
  return "Demo delivery times come from a small simulated logistics network, not from the ETA "
         "model: a courier picks the parcel up within the hour (or the next morning after "
         "19:30), the origin hub sends it on tonight's trunk if it arrives before the carrier's "
         "cut-off (about 17:00-18:00 local, jittered; SF and JD also run a 13:00 departure), "
         "the line haul depends on the great-circle distance and distance class (same city, "
         "same region, neighbouring region, far), with SF/JD/SF_COLD flying lanes over 600 km, "
         "standard networks (ZTO, YTO, STO, YUNDA, JT, ...) dwelling at a transfer hub and "
         "EMS/CHINA_POST slower still, each leg with log-normal noise; about 4% of parcels "
         "lose 1-2 days to weather or mis-sorting; at the destination the parcel goes out on "
         "the next 08:00 or 13:00 delivery wave (weekend waves are sometimes skipped) and is "
         "delivered after a log-normal courier round, never later than 21:00 local.";
}

}  // namespace coldtrack::app
