// Delivery-time prediction (ETA) learned from delivered shipments. Pure: no I/O, no clock reads
// (`now` is passed in).
//
// What the model learns: for every lane (origin city, destination city, carrier, service) a
// histogram of transit minutes, counted from the *effective dispatch* rather than from the
// hand-over (see effective_dispatch below), so a parcel handed over at 20:00 is not predicted
// as if it had left at 20:00. A prediction reads the 10th/50th/90th percentiles (for
// Options::interval = 0.8) of the best basis that has enough samples:
//   lane  ->  the carrier from that origin (all destinations)  ->  the carrier's nominal days.
// Progress sharpens it: the time already spent in transit conditions the distribution (only
// samples slower than the elapsed time count), "out for delivery" switches to the learned
// out-for-delivery -> delivered time, "at pickup point" means the parcel is ready now.
//
// Time of day: carriers deliver inside a local window [delivery_start_hour, delivery_end_hour]
// (both ends included). earliest and most_likely outside it move forward to the next window
// start; latest outside it moves back to the end of the window it follows (same evening, or
// the previous evening when it falls before the morning start). Nothing is delivered between
// two windows, so neither move changes which deliveries an interval covers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "domain/time.h"

namespace coldtrack::eta {

using domain::EpochMs;

struct Lane {
  std::string origin_city, dest_city, carrier, service = "standard";
};

// A carrier's nominal promise in calendar days after dispatch.
struct ServiceLevel {
  int min_days = 2, max_days = 4;
};

class ServiceLevels {
 public:
  // SF/SF_COLD/JD 1-2, JIUYE and other cold chains 1-3, ZTO/YTO/STO/YUNDA/JT 2-4,
  // EMS/CHINA_POST 3-5, ...; any other carrier 2-4.
  static ServiceLevels defaults();

  // Applies overrides like "SF=1-2, ZTO=2-4" ("CODE=N" means N-N; "*=2-4" sets the fallback).
  // All or nothing: returns an error message naming the bad item (nothing applied), or nullopt.
  std::optional<std::string> apply(std::string_view spec);

  ServiceLevel for_carrier(std::string_view carrier) const;

 private:
  std::map<std::string, ServiceLevel, std::less<>> by_carrier_;
  ServiceLevel fallback_;
};

struct Options {
  // Below this a basis is not used and the prediction falls back
  // (lane -> carrier from that origin -> nominal service level). Exactly this many is enough.
  int min_lane_samples = 20;
  int utc_offset_minutes = 480;
  // Local hour: parcels handed over at/after it leave the next morning (cut-off effect).
  int cutoff_hour = 17;
  // Local delivery window; predictions snap into it.
  int delivery_start_hour = 8, delivery_end_hour = 21;
  // Central interval: 0.8 = 10th..90th percentile.
  double interval = 0.8;
  ServiceLevels levels = ServiceLevels::defaults();
};

struct Delivered {
  Lane lane;
  EpochMs shipped_at = 0, delivered_at = 0;
  std::optional<EpochMs> out_for_delivery_at;
};

struct Progress {
  Lane lane;
  EpochMs shipped_at = 0;
  // Unified code: "", "NO_INFO", "AWAITING_PICKUP", "PICKED_UP", "IN_TRANSIT",
  // "OUT_FOR_DELIVERY", "AT_PICKUP_POINT", "DELIVERED", "EXCEPTION", "RETURNING", "RETURNED",
  // "CUSTOMS". Codes not listed under predict() are treated as in transit.
  std::string tracking_status;
  std::optional<EpochMs> status_at;  // when the carrier reported that status (newest trace)
};

struct Eta {
  EpochMs earliest = 0, most_likely = 0, latest = 0;
  // 0..1: the interval's nominal coverage, reduced when based on few samples or nominal days.
  double confidence = 0;
  // "lane" | "carrier" | "service_level", plus "+elapsed", "+out_for_delivery",
  // "+at_pickup_point", "+exception" when progress sharpened or widened it.
  std::string basis;
  // Chinese text for shop staff, e.g. "上海市→北京市 顺丰 近 134 单: 中位 1.8 天".
  std::string basis_detail;
  int samples = 0;  // samples behind it (0 for service_level)
};

// The moment the carrier's clock starts: the hand-over itself when it is inside the local
// working day [delivery_start_hour, cutoff_hour); before delivery_start_hour it is that
// morning's delivery_start_hour; at/after cutoff_hour it is the next morning's.
EpochMs effective_dispatch(EpochMs shipped_at, const Options& options);

// Local delivery-window helpers (see the file comment).
EpochMs snap_forward(EpochMs t, const Options& options);  // earliest / most_likely
EpochMs snap_back(EpochMs t, const Options& options);     // latest
EpochMs window_end_of_day(EpochMs t, const Options& options);

// The carrier's nominal promise only (what the model falls back to; the backtest baseline):
// earliest = dispatch day + min_days at delivery_start_hour, latest = dispatch day + max_days
// at delivery_end_hour, most_likely = dispatch + (min+max)/2 days snapped forward, clamped
// in between; confidence 0.5. Not conditioned on progress.
Eta nominal_eta(const Lane& lane, EpochMs shipped_at, const Options& options);

// "顺丰" for "SF"; the code itself when unknown.
std::string_view carrier_name_zh(std::string_view code);

// Sample counts in 15-minute bins. Memory grows with the longest transit seen, not with the
// number of samples; quantiles are linear within a bin.
class Histogram {
 public:
  static constexpr std::int64_t kBinMinutes = 15;
  static constexpr std::int64_t kMaxMinutes = 60 * 24 * 60;  // longer transits count as 60 days

  void add(std::int64_t minutes);
  std::uint64_t count() const { return count_; }
  // Samples (fractionally, in the bin it falls in) longer than `after` minutes.
  double count_above(double after) const;
  // q-quantile (0..1) in minutes of the samples longer than `after`; requires count_above > 0.
  double quantile(double q, double after = -1) const;

 private:
  std::vector<std::uint32_t> bins_;
  std::uint64_t count_ = 0;
};

class Model {
 public:
  explicit Model(Options options = {});

  // Learns one delivered shipment: O(1) amortised (a few hash lookups and bin increments).
  // Ignored when delivered_at < shipped_at. Transit faster than the effective dispatch (a
  // late hand-over delivered the same evening) counts as 0 minutes.
  void add(const Delivered& d);

  // nullopt for terminal states (DELIVERED, RETURNED, RETURNING). For an undelivered parcel
  // most_likely and latest are never earlier than `now`.
  //  - default: percentiles of the best basis, conditioned on the time elapsed since the
  //    effective dispatch; when too few samples are slower than that, the next basis is
  //    tried, and past every sample the nominal days (or, once those are over too, the next
  //    delivery windows) are used with lowered confidence;
  //  - OUT_FOR_DELIVERY: status_at (or now) + learned out-for-delivery -> delivered time
  //    (per destination and carrier, then per carrier; default median 3 h, 1-8 h) with the
  //    wider (1 + interval) / 2 coverage, clamped into that day's window;
  //  - AT_PICKUP_POINT: ready since status_at; most_likely = max(status_at, now), latest =
  //    the end of the next day's window (pickup lockers are open at night: not snapped);
  //  - EXCEPTION: the default prediction, latest one day later, confidence x 0.6.
  std::optional<Eta> predict(const Progress& p, EpochMs now) const;

  std::size_t samples(const Lane& lane) const;
  const Options& options() const { return options_; }

 private:
  struct Basis;
  Eta predict_transit(const Progress& p, EpochMs now) const;
  Eta predict_out_for_delivery(const Progress& p, EpochMs now) const;

  Options options_;
  std::unordered_map<std::string, Histogram> lanes_;         // origin, dest, carrier, service
  std::unordered_map<std::string, Histogram> origins_;       // origin, carrier, service
  std::unordered_map<std::string, Histogram> ofd_lanes_;     // dest, carrier
  std::unordered_map<std::string, Histogram> ofd_carriers_;  // carrier
};

}  // namespace coldtrack::eta
