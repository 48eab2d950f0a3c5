// The "world" demo delivery history comes from: a small generative model of how a parcel
// actually travels (pickup, hub cut-off, trunk departures, line haul, destination sort,
// delivery waves, courier round). It is deliberately built from mechanisms, not from the
// histograms the ETA model learns, so backtesting the model on its output is a fair test.
#pragma once

#include <random>
#include <string_view>

#include "domain/time.h"

namespace coldtrack::app {

using domain::EpochMs;

struct TransitTimes {
  EpochMs picked_up_at, out_for_delivery_at, delivered_at;
};

// Draws a realistic delivery for one shipment handed over at shipped_at: distance class
// between the cities (same city, same region, neighbouring region, far; unknown cities count
// as far), carrier speed (SF/JD/SF_COLD fast with air on long lanes, ZTO/YTO/... standard with
// a transfer hub, EMS/CHINA_POST slow), hub cut-off (~17:00-18:00 local, per carrier, jittered),
// nightly trunk departures (plus a midday one for SF/JD), delivery waves at ~08:00 and ~13:00
// local, log-normal noise, ~4 % weather/sorting delays of 1-2 days, slightly slower weekends.
// Always picked_up_at >= shipped_at, picked_up_at <= out_for_delivery_at < delivered_at, and
// both of the latter inside 08:00-21:00 local. Deterministic for a given rng state (uses only
// the engine's raw output, not std:: distributions, whose output differs between libraries).
TransitTimes draw_transit(std::mt19937_64& rng, std::string_view origin_city,
                          std::string_view dest_city, std::string_view carrier, EpochMs shipped_at,
                          int utc_offset_minutes = 480);

// One paragraph (English) describing the generator, for the README.
std::string_view demo_transit_description();

}  // namespace coldtrack::app
