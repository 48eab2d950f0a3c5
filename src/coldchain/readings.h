// Temperature readings from cold-chain data loggers: batch validation, normalization (sort and
// de-duplicate) and downsampling for charts. Pure: no I/O, no clock reads (time is passed in).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "domain/time.h"

namespace coldtrack::coldchain {

using domain::EpochMs;

struct Reading {
  std::string device_id;
  EpochMs at = 0;  // UTC epoch ms, the logger's own timestamp
  double temp_c = 0;
};

struct ReadingProblem {
  std::size_t index;    // position in the batch as given
  std::string field;    // "device_id" | "at" | "temp_c"
  std::string message;  // English, for the API error body
};

// Bounds for one batch. Limits are inclusive: a value exactly at a limit is accepted.
struct ValidationLimits {
  double min_c = -100, max_c = 100;          // beyond the range of any food logger: a sensor fault
  EpochMs max_future_ms = 10 * 60'000;       // logger clocks drift; tolerate some skew ahead of us
  EpochMs max_past_ms = 366LL * 86'400'000;  // older data is a wrong clock, not a late upload
  std::size_t max_device_id = 64;            // bytes
};

// Every problem in the batch, not only the first, ordered by index then field (device_id, at,
// temp_c); at most one problem per field of a reading. Rejected: NaN/infinite or out-of-range
// temperatures, `at` after now + max_future_ms or before now - max_past_ms, and device ids that
// are empty, longer than max_device_id, or not printable ASCII (0x20-0x7E).
std::vector<ReadingProblem> validate(const std::vector<Reading>& batch, EpochMs now,
                                     const ValidationLimits& limits = {});

// Sorts by (device_id, at) and drops exact duplicates of (device_id, at), keeping the first in
// input order. Loggers resend after a failed upload; the key is device + timestamp.
void normalize(std::vector<Reading>& readings);

// One chart bucket: [at, until) in time, with the readings that fell into it.
struct ChartPoint {
  EpochMs at;     // bucket start
  EpochMs until;  // bucket end (exclusive)
  double min_c, max_c, avg_c;
  std::size_t count;
};

// Downsamples one series into at most max_points equal-width time buckets spanning
// [first, last] (empty buckets are omitted, so fewer points may come back). Min and max are
// kept so a short spike stays visible on a chart. Empty in -> empty out; max_points 0 is
// treated as 1. Input order does not matter, but one device's series is expected.
std::vector<ChartPoint> downsample(const std::vector<Reading>& sorted_by_time,
                                   std::size_t max_points);

}  // namespace coldtrack::coldchain
