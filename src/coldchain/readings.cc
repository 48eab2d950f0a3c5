#include "coldchain/readings.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <tuple>

namespace coldtrack::coldchain {
namespace {

using domain::sat_add;
using domain::sat_sub;

bool is_printable_ascii(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u <= 0x7E;
  });
}

}  // namespace

std::vector<ReadingProblem> validate(const std::vector<Reading>& batch, EpochMs now,
                                     const ValidationLimits& limits) {
  std::vector<ReadingProblem> problems;
  const EpochMs latest = sat_add(now, limits.max_future_ms);
  const EpochMs earliest = sat_sub(now, limits.max_past_ms);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const Reading& r = batch[i];
    if (r.device_id.empty()) {
      problems.push_back({i, "device_id", "must not be empty"});
    } else if (r.device_id.size() > limits.max_device_id) {
      problems.push_back(
          {i, "device_id", "must be at most " + std::to_string(limits.max_device_id) + " bytes"});
    } else if (!is_printable_ascii(r.device_id)) {
      problems.push_back({i, "device_id", "must be printable ASCII"});
    }

    if (r.at > latest) {
      problems.push_back({i, "at", "is too far in the future (logger clock ahead?)"});
    } else if (r.at < earliest) {
      problems.push_back({i, "at", "is too far in the past (logger clock not set?)"});
    }

    if (!std::isfinite(r.temp_c)) {
      problems.push_back({i, "temp_c", "must be a finite number"});
    } else if (r.temp_c < limits.min_c || r.temp_c > limits.max_c) {
      problems.push_back({i, "temp_c", "is outside the sensor range (sensor fault?)"});
    }
  }
  return problems;
}

void normalize(std::vector<Reading>& readings) {
  // Stable, so among duplicates the first in input order survives std::unique.
  std::stable_sort(readings.begin(), readings.end(), [](const Reading& a, const Reading& b) {
    return std::tie(a.device_id, a.at) < std::tie(b.device_id, b.at);
  });
  auto last = std::unique(readings.begin(), readings.end(), [](const Reading& a, const Reading& b) {
    return a.at == b.at && a.device_id == b.device_id;
  });
  readings.erase(last, readings.end());
}

std::vector<ChartPoint> downsample(const std::vector<Reading>& sorted_by_time,
                                   std::size_t max_points) {
  std::vector<ChartPoint> out;
  if (sorted_by_time.empty()) return out;
  const std::uint64_t n = std::max<std::size_t>(max_points, 1);

  EpochMs first = sorted_by_time.front().at;
  EpochMs last = first;
  for (const Reading& r : sorted_by_time) {
    first = std::min(first, r.at);
    last = std::max(last, r.at);
  }
  // Unsigned so even an absurd span cannot overflow. floor(span / n) + 1 == ceil((span + 1) / n):
  // the smallest width for which n buckets cover every millisecond in [first, last].
  const std::uint64_t span = static_cast<std::uint64_t>(last) - static_cast<std::uint64_t>(first);
  const std::uint64_t width = span / n + 1;
  const std::uint64_t buckets = span / width + 1;  // <= n

  struct Acc {
    double min_c = 0, max_c = 0, sum = 0;
    std::size_t count = 0;
  };
  std::vector<Acc> acc(static_cast<std::size_t>(buckets));
  for (const Reading& r : sorted_by_time) {
    const std::uint64_t offset =
        static_cast<std::uint64_t>(r.at) - static_cast<std::uint64_t>(first);
    Acc& a = acc[static_cast<std::size_t>(offset / width)];
    if (a.count == 0) {
      a.min_c = a.max_c = r.temp_c;
    } else {
      a.min_c = std::min(a.min_c, r.temp_c);
      a.max_c = std::max(a.max_c, r.temp_c);
    }
    a.sum += r.temp_c;
    ++a.count;
  }

  for (std::size_t b = 0; b < acc.size(); ++b) {
    if (acc[b].count == 0) continue;
    const std::uint64_t start = static_cast<std::uint64_t>(first) + b * width;
    ChartPoint p;
    p.at = static_cast<EpochMs>(start);
    p.until =
        sat_add(p.at, static_cast<EpochMs>(std::min<std::uint64_t>(
                          width, static_cast<std::uint64_t>(std::numeric_limits<EpochMs>::max()))));
    p.min_c = acc[b].min_c;
    p.max_c = acc[b].max_c;
    p.avg_c = acc[b].sum / static_cast<double>(acc[b].count);
    p.count = acc[b].count;
    out.push_back(p);
  }
  return out;
}

}  // namespace coldtrack::coldchain
