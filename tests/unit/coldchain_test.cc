#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "coldchain/excursion.h"
#include "coldchain/readings.h"

namespace coldtrack::coldchain {
namespace {

constexpr EpochMs kMin = 60'000;
constexpr EpochMs kHour = 60 * kMin;
constexpr EpochMs kDay = 24 * kHour;
constexpr EpochMs kT0 = 1'795'000'000'000;  // 2026-11-18T08:26:40Z, the trip start in most tests

// A run of one-per-minute readings at one temperature, or (gap) that many minutes with none.
struct Seg {
  int minutes;
  double temp_c;
  bool gap = false;
};

std::vector<Reading> per_minute(const std::string& device, EpochMs start,
                                std::initializer_list<Seg> segs) {
  std::vector<Reading> out;
  EpochMs t = start;
  for (const Seg& s : segs) {
    if (s.gap) {
      t += s.minutes * kMin;
      continue;
    }
    for (int i = 0; i < s.minutes; ++i, t += kMin) out.push_back({device, t, s.temp_c});
  }
  return out;
}

Profile frozen() {
  return *profile_for("frozen");
}
Profile chilled() {
  return *profile_for("chilled");
}

const ZoneSummary& zone(const Assessment& a, const std::string& name) {
  for (const ZoneSummary& z : a.zones) {
    if (z.zone == name) return z;
  }
  ADD_FAILURE() << "no zone " << name;
  static const ZoneSummary kNone{};
  return kNone;
}

std::vector<std::string> fired_zones(const Assessment& a) {
  std::vector<std::string> out;
  for (const Excursion& x : a.excursions) out.push_back(x.device_id + ":" + x.zone);
  return out;
}

void expect_same(const Assessment& a, const Assessment& b) {
  EXPECT_EQ(a.readings, b.readings);
  EXPECT_EQ(a.first_at, b.first_at);
  EXPECT_EQ(a.last_at, b.last_at);
  EXPECT_EQ(a.min_c, b.min_c);
  EXPECT_EQ(a.max_c, b.max_c);
  EXPECT_EQ(a.mkt_c, b.mkt_c);
  ASSERT_EQ(a.excursions.size(), b.excursions.size());
  for (std::size_t i = 0; i < a.excursions.size(); ++i) {
    const Excursion& x = a.excursions[i];
    const Excursion& y = b.excursions[i];
    EXPECT_EQ(x.device_id, y.device_id);
    EXPECT_EQ(x.zone, y.zone);
    EXPECT_EQ(x.severity, y.severity);
    EXPECT_EQ(x.trigger, y.trigger);
    EXPECT_EQ(x.started_at, y.started_at);
    EXPECT_EQ(x.fired_at, y.fired_at);
    EXPECT_EQ(x.ended_at, y.ended_at);
    EXPECT_EQ(x.peak_c, y.peak_c);
    EXPECT_EQ(x.duration_ms, y.duration_ms);
  }
  ASSERT_EQ(a.zones.size(), b.zones.size());
  for (std::size_t i = 0; i < a.zones.size(); ++i) {
    EXPECT_EQ(a.zones[i].zone, b.zones[i].zone);
    EXPECT_EQ(a.zones[i].cumulative_ms, b.zones[i].cumulative_ms);
    EXPECT_EQ(a.zones[i].longest_ms, b.zones[i].longest_ms);
    EXPECT_EQ(a.zones[i].fired, b.zones[i].fired);
  }
  EXPECT_DOUBLE_EQ(a.exposure_degree_minutes, b.exposure_degree_minutes);
  EXPECT_EQ(a.thaw_risk, b.thaw_risk);
  EXPECT_EQ(a.worst, b.worst);
  EXPECT_EQ(a.data_gap_ms, b.data_gap_ms);
}

// ---- validate ---------------------------------------------------------------------------------

TEST(ColdchainValidate, ReportsEveryProblemWithItsIndex) {
  const EpochMs now = kT0;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<Reading> batch = {
      {"L1", now - kMin, -18.5},          // 0 ok
      {"L1", now, nan},                   // 1 NaN
      {"L1", now, inf},                   // 2 +inf
      {"L1", now, -inf},                  // 3 -inf
      {"L1", now, -100.5},                // 4 below min
      {"L1", now, 100.01},                // 5 above max
      {"", now, -20},                     // 6 empty id
      {std::string(65, 'x'), now, -20},   // 7 oversized id
      {"L\n1", now, -20},                 // 8 control character
      {"冷柜1", now, -20},                // 9 not ASCII
      {"L1", now + 10 * kMin + 1, -20},   // 10 too far ahead
      {"L1", now - 366 * kDay - 1, -20},  // 11 too old
      {"L2", now + 5 * kMin, -19},        // 12 ok (skew within tolerance)
      {"", now + kHour, nan},             // 13 three problems
  };
  const auto problems = validate(batch, now);
  std::vector<std::pair<std::size_t, std::string>> got;
  for (const ReadingProblem& p : problems) {
    got.emplace_back(p.index, p.field);
    EXPECT_FALSE(p.message.empty());
  }
  const std::vector<std::pair<std::size_t, std::string>> want = {
      {1, "temp_c"},    {2, "temp_c"},     {3, "temp_c"},    {4, "temp_c"},    {5, "temp_c"},
      {6, "device_id"}, {7, "device_id"},  {8, "device_id"}, {9, "device_id"}, {10, "at"},
      {11, "at"},       {13, "device_id"}, {13, "at"},       {13, "temp_c"},
  };
  EXPECT_EQ(got, want);
}

TEST(ColdchainValidate, AcceptsValuesExactlyAtTheLimits) {
  const EpochMs now = kT0;
  const std::vector<Reading> batch = {
      {"L1", now, -100.0},
      {"L1", now, 100.0},
      {"L1", now + 10 * kMin, -18},
      {"L1", now - 366 * kDay, -18},
      {std::string(64, 'x'), now, -18},
      {"SF logger #7 (rear)", now, -18},  // printable ASCII, spaces included
  };
  EXPECT_TRUE(validate(batch, now).empty());
  EXPECT_TRUE(validate({}, now).empty());
}

TEST(ColdchainValidate, FutureSkewWithinToleranceOnly) {
  const EpochMs now = kT0;
  EXPECT_TRUE(validate({{"L1", now + kMin, -20}}, now).empty());
  EXPECT_TRUE(validate({{"L1", now + 10 * kMin, -20}}, now).empty());
  const auto p = validate({{"L1", now + 10 * kMin + 1, -20}}, now);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].index, 0u);
  EXPECT_EQ(p[0].field, "at");
}

TEST(ColdchainValidate, CustomLimitsAndNoOverflowAtExtremes) {
  ValidationLimits lim;
  lim.min_c = -40;
  lim.max_c = 30;
  lim.max_future_ms = 0;
  lim.max_device_id = 4;
  const auto p = validate({{"ABCD", kT0, -40}, {"ABCDE", kT0 + 1, 30.5}}, kT0, lim);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].index, 1u);
  EXPECT_EQ(p[0].field, "device_id");
  EXPECT_EQ(p[1].field, "at");
  EXPECT_EQ(p[2].field, "temp_c");

  const EpochMs max = std::numeric_limits<EpochMs>::max();
  const EpochMs min = std::numeric_limits<EpochMs>::min();
  EXPECT_TRUE(validate({{"L1", max, -20}}, max).empty());
  EXPECT_EQ(validate({{"L1", min, -20}}, max).size(), 1u);
  EXPECT_TRUE(validate({{"L1", min, -20}}, min).empty());
}

// ---- normalize --------------------------------------------------------------------------------

TEST(ColdchainNormalize, SortsByDeviceThenTimeAndDropsResends) {
  std::vector<Reading> r = {
      {"B", kT0 + 2 * kMin, -19},
      {"A", kT0 + kMin, -18.5},
      {"B", kT0, -20},
      {"A", kT0 + kMin, 99},  // resend of A@+1 with other content: the first one is kept
      {"A", kT0, -21},
      {"B", kT0 + 2 * kMin, -19},
      {"B", kT0 + kMin, -19.5},
  };
  normalize(r);
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[0].device_id, "A");
  EXPECT_EQ(r[0].at, kT0);
  EXPECT_EQ(r[1].device_id, "A");
  EXPECT_EQ(r[1].at, kT0 + kMin);
  EXPECT_EQ(r[1].temp_c, -18.5);
  EXPECT_EQ(r[2].device_id, "B");
  EXPECT_EQ(r[2].at, kT0);
  EXPECT_EQ(r[3].at, kT0 + kMin);
  EXPECT_EQ(r[4].at, kT0 + 2 * kMin);

  std::vector<Reading> empty;
  normalize(empty);
  EXPECT_TRUE(empty.empty());
}

TEST(ColdchainNormalize, SameTimeOnDifferentDevicesIsNotADuplicate) {
  std::vector<Reading> r = {{"A", kT0, -20}, {"B", kT0, -20}, {"A", kT0, -20}};
  normalize(r);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].device_id, "A");
  EXPECT_EQ(r[1].device_id, "B");
}

// ---- downsample -------------------------------------------------------------------------------

TEST(ColdchainDownsample, KeepsTheSpikeAndNeverExceedsMaxPoints) {
  std::vector<Reading> r = per_minute("L1", kT0, {{1000, -20}});
  r[500].temp_c = 5;  // one-minute spike
  r[700].temp_c = -25;
  for (std::size_t max_points : {1u, 2u, 3u, 7u, 50u, 999u, 1000u, 1001u, 5000u}) {
    const auto pts = downsample(r, max_points);
    ASSERT_FALSE(pts.empty());
    EXPECT_LE(pts.size(), max_points);
    std::size_t count = 0;
    double hi = -1000, lo = 1000;
    for (std::size_t i = 0; i < pts.size(); ++i) {
      count += pts[i].count;
      hi = std::max(hi, pts[i].max_c);
      lo = std::min(lo, pts[i].min_c);
      EXPECT_LT(pts[i].at, pts[i].until);
      EXPECT_LE(pts[i].min_c, pts[i].avg_c);
      EXPECT_LE(pts[i].avg_c, pts[i].max_c);
      if (i > 0) {
        EXPECT_LE(pts[i - 1].until, pts[i].at);
        EXPECT_EQ((pts[i].until - pts[i].at), (pts[0].until - pts[0].at));  // equal widths
      }
    }
    EXPECT_EQ(count, r.size()) << max_points;
    EXPECT_EQ(hi, 5) << max_points;
    EXPECT_EQ(lo, -25) << max_points;
    EXPECT_EQ(pts.front().at, r.front().at);
    EXPECT_GT(pts.back().until, r.back().at);
  }
  EXPECT_EQ(downsample(r, 1000).size(), 1000u);  // enough room: one reading per bucket
}

TEST(ColdchainDownsample, BucketContents) {
  const std::vector<Reading> r = {{"L1", kT0, -20},
                                  {"L1", kT0 + 1 * kMin, -18},
                                  {"L1", kT0 + 2 * kMin, -16},
                                  {"L1", kT0 + 3 * kMin, -22}};
  const auto one = downsample(r, 1);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].count, 4u);
  EXPECT_EQ(one[0].min_c, -22);
  EXPECT_EQ(one[0].max_c, -16);
  EXPECT_DOUBLE_EQ(one[0].avg_c, -19);
  EXPECT_EQ(downsample(r, 0).size(), 1u);  // treated as 1

  const auto two = downsample(r, 2);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].count, 2u);
  EXPECT_DOUBLE_EQ(two[0].avg_c, -19);
  EXPECT_EQ(two[1].count, 2u);
  EXPECT_EQ(two[1].max_c, -16);
}

TEST(ColdchainDownsample, EmptyAndSingleAndSparse) {
  EXPECT_TRUE(downsample({}, 10).empty());
  const auto one = downsample({{"L1", kT0, -19}}, 10);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].at, kT0);
  EXPECT_EQ(one[0].count, 1u);
  // Two readings a day apart: empty buckets in between are omitted.
  const auto sparse = downsample({{"L1", kT0, -19}, {"L1", kT0 + kDay, -18}}, 100);
  ASSERT_EQ(sparse.size(), 2u);
  EXPECT_EQ(sparse[1].max_c, -18);
}

// ---- profiles and labels ----------------------------------------------------------------------

TEST(ColdchainProfile, BuiltInsAndUnmonitoredCategories) {
  const Profile f = frozen();
  EXPECT_EQ(f.category, "frozen");
  EXPECT_EQ(f.target_max_c, -18);
  EXPECT_FALSE(f.target_min_c.has_value());
  ASSERT_EQ(f.zones.size(), 4u);
  EXPECT_EQ(f.zones[0].name, "above_-18");
  EXPECT_EQ(f.zones[0].severity, Severity::kWarning);
  EXPECT_EQ(f.zones[0].single_delay_ms, 30 * kMin);
  EXPECT_EQ(f.zones[0].cumulative_ms, 2 * kHour);
  EXPECT_EQ(f.zones[1].upper, -15.0);
  EXPECT_EQ(f.zones[1].severity, Severity::kMajor);
  EXPECT_EQ(f.zones[2].upper, -12.0);
  EXPECT_EQ(f.zones[2].severity, Severity::kCritical);
  EXPECT_EQ(f.zones[3].name, "above_-15_long");
  EXPECT_EQ(f.zones[3].single_delay_ms, 0);
  EXPECT_EQ(f.zones[3].cumulative_ms, 2 * kHour);
  for (const Zone& z : f.zones) EXPECT_FALSE(z.label_zh.empty());

  const Profile c = chilled();
  EXPECT_EQ(c.target_max_c, 4);
  EXPECT_EQ(c.target_min_c, 0.0);
  ASSERT_EQ(c.zones.size(), 3u);
  EXPECT_EQ(c.zones[1].lower, -2.0);
  EXPECT_EQ(c.zones[1].upper, 8.0);

  EXPECT_FALSE(profile_for("ambient").has_value());
  EXPECT_FALSE(profile_for("").has_value());
  EXPECT_FALSE(profile_for("Frozen ").has_value());
}

TEST(ColdchainProfile, StrictestCategoryWins) {
  EXPECT_EQ(profile_for_categories({"ambient", "chilled", "frozen", "chilled"})->category,
            "frozen");
  EXPECT_EQ(profile_for_categories({"chilled", "ambient"})->category, "chilled");
  EXPECT_FALSE(profile_for_categories({"ambient", "snacks"}).has_value());
  EXPECT_FALSE(profile_for_categories({}).has_value());
}

TEST(ColdchainLabels, EnglishCodesAndChineseLabels) {
  EXPECT_EQ(to_string(Severity::kInfo), "info");
  EXPECT_EQ(to_string(Severity::kWarning), "warning");
  EXPECT_EQ(to_string(Severity::kMajor), "major");
  EXPECT_EQ(to_string(Severity::kCritical), "critical");
  EXPECT_EQ(label_zh(Severity::kInfo), "提示");
  EXPECT_EQ(label_zh(Severity::kWarning), "警告");
  EXPECT_EQ(label_zh(Severity::kMajor), "严重");
  EXPECT_EQ(label_zh(Severity::kCritical), "紧急");
  EXPECT_EQ(to_string(ThawRisk::kNone), "none");
  EXPECT_EQ(to_string(ThawRisk::kLow), "low");
  EXPECT_EQ(to_string(ThawRisk::kMedium), "medium");
  EXPECT_EQ(to_string(ThawRisk::kHigh), "high");
  EXPECT_EQ(label_zh(ThawRisk::kNone), "无");
  EXPECT_EQ(label_zh(ThawRisk::kLow), "低");
  EXPECT_EQ(label_zh(ThawRisk::kMedium), "中");
  EXPECT_EQ(label_zh(ThawRisk::kHigh), "高");
}

// ---- zone boundaries --------------------------------------------------------------------------

TEST(ColdchainZones, ExactlyAtEveryBoundaryIsInsideAndJustBeyondFires) {
  for (const Profile& p : {frozen(), chilled()}) {
    for (const Zone& z : p.zones) {
      for (const auto& [bound, beyond] : {std::pair{z.lower, -0.01}, std::pair{z.upper, +0.01}}) {
        if (!bound) continue;
        SCOPED_TRACE(p.category + " " + z.name + " at " + std::to_string(*bound));
        const Assessment at = assess(p, per_minute("L1", kT0, {{30, *bound}, {240, *bound}}), kT0);
        EXPECT_EQ(zone(at, z.name).cumulative_ms, 0);
        EXPECT_FALSE(zone(at, z.name).fired);
        const double t = *bound + beyond;
        const Assessment out = assess(p, per_minute("L1", kT0, {{30, t}, {240, t}}), kT0);
        EXPECT_EQ(zone(out, z.name).cumulative_ms, 239 * kMin);
        EXPECT_TRUE(zone(out, z.name).fired);
      }
    }
  }
}

TEST(ColdchainZones, FrozenAtMinus18AllTripIsClean) {
  const Assessment a = assess(frozen(), per_minute("L1", kT0, {{30, -18.0}, {600, -18.0}}), kT0);
  EXPECT_TRUE(a.excursions.empty());
  EXPECT_FALSE(a.worst.has_value());
  EXPECT_EQ(a.exposure_degree_minutes, 0);
  EXPECT_EQ(a.thaw_risk, ThawRisk::kNone);
  EXPECT_EQ(a.readings, 630u);
  EXPECT_EQ(a.first_at, kT0);
  EXPECT_EQ(a.last_at, kT0 + 629 * kMin);
  EXPECT_EQ(a.max_c, -18.0);
  EXPECT_NEAR(*a.mkt_c, -18.0, 1e-9);
  EXPECT_EQ(a.data_gap_ms, 0);
}

// ---- excursion rules --------------------------------------------------------------------------

TEST(ColdchainAssess, FiveMinuteDoorOpenSpikeFiresNothing) {
  // Readings at -10 from minute 90 to 94, back to -20 at 95: a 5-minute stay above -12.
  const Assessment a =
      assess(frozen(), per_minute("L1", kT0, {{30, -20}, {60, -20}, {5, -10}, {60, -20}}), kT0);
  EXPECT_TRUE(a.excursions.empty());  // above_-18 needs 30 min, above_-15 10, above_-12 15
  EXPECT_FALSE(a.worst.has_value());
  for (const ZoneSummary& z : a.zones) {
    EXPECT_EQ(z.cumulative_ms, 5 * kMin) << z.zone;  // but the budget is used up
    EXPECT_EQ(z.longest_ms, 5 * kMin) << z.zone;
    EXPECT_FALSE(z.fired) << z.zone;
  }
  EXPECT_DOUBLE_EQ(a.exposure_degree_minutes, 8.0 * 5);
  EXPECT_EQ(a.thaw_risk, ThawRisk::kLow);
  EXPECT_EQ(a.max_c, -10.0);
  EXPECT_EQ(a.min_c, -20.0);
}

TEST(ColdchainAssess, StayExactlyAsLongAsTheDelayFiresOneMsLessDoesNot) {
  // Readings every 10 minutes; -14 °C (above -15) from minute 60 until the next reading.
  auto trip = [](EpochMs back_inside_at) {
    std::vector<Reading> r;
    for (EpochMs t = 0; t <= 60 * kMin; t += 10 * kMin) r.push_back({"L1", kT0 + t, -20});
    r.back().temp_c = -14;
    r.push_back({"L1", kT0 + back_inside_at, -20});
    r.push_back({"L1", kT0 + back_inside_at + 10 * kMin, -20});
    return r;
  };
  const Assessment exact = assess(frozen(), trip(70 * kMin), kT0);
  ASSERT_EQ(exact.excursions.size(), 1u);
  const Excursion& x = exact.excursions[0];
  EXPECT_EQ(x.device_id, "L1");
  EXPECT_EQ(x.zone, "above_-15");
  EXPECT_EQ(x.severity, Severity::kMajor);
  EXPECT_EQ(x.trigger, "single");
  EXPECT_EQ(x.started_at, kT0 + 60 * kMin);
  EXPECT_EQ(x.fired_at, kT0 + 70 * kMin);
  EXPECT_EQ(x.ended_at, kT0 + 70 * kMin);
  EXPECT_EQ(x.peak_c, -14);
  EXPECT_EQ(x.duration_ms, 10 * kMin);
  EXPECT_EQ(exact.worst, Severity::kMajor);

  const Assessment less = assess(frozen(), trip(70 * kMin - 1), kT0);
  EXPECT_TRUE(less.excursions.empty());
  EXPECT_EQ(zone(less, "above_-15").longest_ms, 10 * kMin - 1);
}

TEST(ColdchainAssess, WarningZoneDetailsAndStillOutsideAtTheEnd) {
  // -16 from minute 30 to the last reading at 74: 44 min outside, never back inside.
  const Assessment a = assess(frozen(), per_minute("L1", kT0, {{30, -20}, {45, -16}}), kT0);
  ASSERT_EQ(a.excursions.size(), 1u);
  const Excursion& x = a.excursions[0];
  EXPECT_EQ(x.zone, "above_-18");
  EXPECT_EQ(x.severity, Severity::kWarning);
  EXPECT_EQ(x.trigger, "single");
  EXPECT_EQ(x.started_at, kT0 + 30 * kMin);
  EXPECT_EQ(x.fired_at, kT0 + 60 * kMin);
  EXPECT_FALSE(x.ended_at.has_value());
  EXPECT_EQ(x.duration_ms, 44 * kMin);
}

TEST(ColdchainAssess, EachZoneFiresOncePerDeviceKeepingTheFirst) {
  const Assessment a =
      assess(frozen(),
             per_minute("L1", kT0, {{30, -20}, {40, -17}, {10, -20}, {50, -16.5}, {10, -20}}), kT0);
  ASSERT_EQ(a.excursions.size(), 1u);
  const Excursion& x = a.excursions[0];
  EXPECT_EQ(x.zone, "above_-18");
  EXPECT_EQ(x.started_at, kT0 + 30 * kMin);
  EXPECT_EQ(x.fired_at, kT0 + 60 * kMin);
  EXPECT_EQ(x.ended_at, kT0 + 70 * kMin);
  EXPECT_EQ(x.duration_ms, 40 * kMin);
  EXPECT_EQ(x.peak_c, -17);
  const ZoneSummary& z = zone(a, "above_-18");
  EXPECT_TRUE(z.fired);
  EXPECT_EQ(z.cumulative_ms, 90 * kMin);
  EXPECT_EQ(z.longest_ms, 50 * kMin);
}

TEST(ColdchainAssess, CumulativeAcrossShortStaysFiresOnceAndNeverResets) {
  // Eight 20-minute stays at -17 (each shorter than the 30-minute delay) with 10 minutes back at
  // -20 between them, plus a long inside period and a data gap after the third: the 2-hour budget
  // is reached at the end of the sixth stay.
  const Assessment a = assess(frozen(),
                              per_minute("L1", kT0,
                                         {{30, -20},
                                          {20, -17},
                                          {10, -20},  // 1: 30..50
                                          {20, -17},
                                          {10, -20},  // 2: 60..80
                                          {20, -17},
                                          {120, -20},     // 3: 90..110
                                          {60, 0, true},  // no data 230..290
                                          {20, -17},
                                          {10, -20},  // 4: 290..310
                                          {20, -17},
                                          {10, -20},  // 5: 320..340
                                          {20, -17},
                                          {10, -20},  // 6: 350..370
                                          {20, -17},
                                          {10, -20},  // 7
                                          {20, -17},
                                          {10, -20}}),  // 8
                              kT0);
  ASSERT_EQ(a.excursions.size(), 1u);
  const Excursion& x = a.excursions[0];
  EXPECT_EQ(x.zone, "above_-18");
  EXPECT_EQ(x.trigger, "cumulative");
  EXPECT_EQ(x.started_at, kT0 + 350 * kMin);
  EXPECT_EQ(x.fired_at, kT0 + 370 * kMin);
  EXPECT_EQ(x.ended_at, kT0 + 370 * kMin);
  EXPECT_EQ(x.duration_ms, 20 * kMin);
  const ZoneSummary& z = zone(a, "above_-18");
  EXPECT_EQ(z.cumulative_ms, 160 * kMin);
  EXPECT_EQ(z.longest_ms, 20 * kMin);
  EXPECT_FALSE(zone(a, "above_-15").fired);
  EXPECT_EQ(a.data_gap_ms, 61 * kMin);  // last reading 229, next 290
  EXPECT_DOUBLE_EQ(a.exposure_degree_minutes, 160);
  EXPECT_EQ(a.thaw_risk, ThawRisk::kMedium);  // low exposure, but >= 2 h above target
}

TEST(ColdchainAssess, CumulativeFiresPartWayThroughAStay) {
  // 100 min of short stays, then a 25-minute stay: the budget runs out 20 minutes into it.
  const Assessment a = assess(frozen(),
                              per_minute("L1", kT0,
                                         {{30, -20},
                                          {25, -17},
                                          {5, -20},
                                          {25, -17},
                                          {5, -20},
                                          {25, -17},
                                          {5, -20},
                                          {25, -17},
                                          {5, -20},
                                          {25, -17},
                                          {5, -20}}),
                              kT0);
  ASSERT_EQ(a.excursions.size(), 1u);
  EXPECT_EQ(a.excursions[0].trigger, "cumulative");
  EXPECT_EQ(a.excursions[0].started_at, kT0 + 150 * kMin);
  EXPECT_EQ(a.excursions[0].fired_at, kT0 + 170 * kMin);
  EXPECT_EQ(a.excursions[0].duration_ms, 25 * kMin);
}

TEST(ColdchainAssess, LoadingPeriodIsIgnored) {
  // The logger is packed warm: +5 °C for the first 30 readings (minutes 0-29).
  const auto r = per_minute("L1", kT0, {{30, 5}, {120, -20}});
  const Assessment a = assess(frozen(), r, kT0);
  EXPECT_TRUE(a.excursions.empty());
  EXPECT_EQ(a.min_c, -20.0);
  EXPECT_EQ(a.max_c, -20.0);
  EXPECT_EQ(a.exposure_degree_minutes, 0);
  EXPECT_EQ(a.thaw_risk, ThawRisk::kNone);
  EXPECT_EQ(a.readings, 150u);
  EXPECT_EQ(a.first_at, kT0);

  // One warm reading at minute 30 (the end of the window) is monitored.
  const Assessment b = assess(frozen(), per_minute("L1", kT0, {{31, 5}, {120, -20}}), kT0);
  EXPECT_EQ(zone(b, "above_-18").cumulative_ms, kMin);

  Profile no_ignore = frozen();
  no_ignore.ignore_start_ms = 0;
  const Assessment c = assess(no_ignore, r, kT0);
  EXPECT_EQ(c.worst, Severity::kCritical);
  EXPECT_EQ(c.thaw_risk, ThawRisk::kHigh);
}

TEST(ColdchainAssess, ClockSkewFirstReadingBeforeTripStart) {
  // Logger clock an hour behind (or started early): warm readings from an hour before departure
  // until 28 minutes after it. The window counts from trip_start.
  const Assessment a = assess(frozen(), per_minute("L1", kT0 - kHour, {{89, 5}, {120, -20}}), kT0);
  EXPECT_TRUE(a.excursions.empty());
  EXPECT_EQ(a.first_at, kT0 - kHour);
  EXPECT_EQ(a.max_c, -20.0);
  EXPECT_EQ(a.data_gap_ms, 0);

  // A logger switched on two hours after departure: the window counts from its first reading.
  const auto late = per_minute("L1", kT0 + 2 * kHour, {{25, 5}, {120, -20}});
  EXPECT_TRUE(assess(frozen(), late, kT0).excursions.empty());  // from kT0 it would be critical
  Profile no_ignore = frozen();
  no_ignore.ignore_start_ms = 0;
  EXPECT_EQ(assess(no_ignore, late, kT0).worst, Severity::kCritical);
}

TEST(ColdchainAssess, DataGapsAreUnknownNotOutside) {
  // -10 at minute 60, then nothing for 2 hours: the reading does not hold across the gap.
  const Assessment a = assess(
      frozen(), per_minute("L1", kT0, {{60, -20}, {1, -10}, {119, 0, true}, {60, -20}}), kT0);
  EXPECT_TRUE(a.excursions.empty());
  EXPECT_EQ(zone(a, "above_-18").cumulative_ms, 0);
  EXPECT_EQ(a.data_gap_ms, 120 * kMin);
  EXPECT_EQ(a.exposure_degree_minutes, 0);

  // A gap splits a stay: 9 min outside on each side never makes one 10-minute stay above -15.
  const Assessment b = assess(
      frozen(), per_minute("L1", kT0, {{60, -20}, {10, -14}, {40, 0, true}, {9, -14}, {30, -20}}),
      kT0);
  EXPECT_TRUE(b.excursions.empty());
  EXPECT_EQ(zone(b, "above_-15").longest_ms, 9 * kMin);
  EXPECT_EQ(zone(b, "above_-15").cumulative_ms, 18 * kMin);
  EXPECT_EQ(b.data_gap_ms, 41 * kMin);

  // A gap of exactly max_gap_ms is not a gap: readings every 30 minutes hold.
  std::vector<Reading> sparse;
  for (int i = 0; i <= 4; ++i)
    sparse.push_back({"L1", kT0 + i * 30 * kMin, i == 2 ? -17.0 : -20.0});
  const Assessment c = assess(frozen(), sparse, kT0);
  EXPECT_EQ(c.data_gap_ms, 0);
  ASSERT_EQ(c.excursions.size(), 1u);
  EXPECT_EQ(c.excursions[0].zone, "above_-18");
  EXPECT_EQ(c.excursions[0].fired_at, kT0 + 90 * kMin);

  // A gap that starts during loading counts only from the end of the window.
  const Assessment d = assess(frozen(), {{"L1", kT0, -20}, {"L1", kT0 + 70 * kMin, -20}}, kT0);
  EXPECT_EQ(d.data_gap_ms, 40 * kMin);
}

TEST(ColdchainAssess, OutOfOrderAndResentInputGivesTheSameResult) {
  auto a = per_minute(
      "A", kT0, {{30, 5}, {40, -17}, {10, -20}, {20, -9}, {30, 0, true}, {60, -16}, {5, -20}});
  auto b = per_minute("B", kT0 + 7 * kMin, {{30, -19}, {12, -14}, {100, -20}});
  std::vector<Reading> in_order = a;
  in_order.insert(in_order.end(), b.begin(), b.end());

  // Any permutation will do (std::shuffle's exact order differs between standard libraries);
  // add resends of a few readings too.
  std::vector<Reading> shuffled = in_order;
  shuffled.insert(shuffled.end(), a.begin() + 40, a.begin() + 60);
  shuffled.insert(shuffled.end(), b.rbegin(), b.rbegin() + 15);
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(20261125));

  const Assessment x = assess(frozen(), in_order, kT0);
  const Assessment y = assess(frozen(), shuffled, kT0);
  EXPECT_FALSE(x.excursions.empty());
  EXPECT_EQ(x.readings, a.size() + b.size());
  expect_same(x, y);
}

TEST(ColdchainAssess, DevicesAreEvaluatedSeparately) {
  // A is at -17 for minutes 40-59, B for 60-79: 40 continuous minutes if the series were
  // merged, but each logger only saw 20.
  auto a = per_minute("A", kT0, {{40, -20}, {20, -17}, {60, -20}});
  auto b = per_minute("B", kT0, {{60, -20}, {20, -17}, {60, -20}});
  std::vector<Reading> both = a;
  both.insert(both.end(), b.begin(), b.end());
  const Assessment r = assess(frozen(), both, kT0);
  EXPECT_TRUE(r.excursions.empty());
  EXPECT_EQ(zone(r, "above_-18").cumulative_ms, 20 * kMin);  // worst device, not the sum
  EXPECT_DOUBLE_EQ(r.exposure_degree_minutes, 20);
  EXPECT_EQ(r.readings, 260u);

  // One bad logger is enough; the excursion names it.
  auto c = per_minute("C", kT0, {{40, -20}, {45, -16}, {60, -20}});
  both.insert(both.end(), c.begin(), c.end());
  const Assessment s = assess(frozen(), both, kT0);
  EXPECT_EQ(fired_zones(s), (std::vector<std::string>{"C:above_-18"}));
  EXPECT_EQ(zone(s, "above_-18").cumulative_ms, 45 * kMin);
  EXPECT_EQ(zone(s, "above_-18").longest_ms, 45 * kMin);

  // The same excursion on two loggers is reported for each, ordered by time then device.
  auto d = per_minute("D", kT0, {{40, -20}, {45, -16}, {60, -20}});
  both.insert(both.end(), d.begin(), d.end());
  EXPECT_EQ(fired_zones(assess(frozen(), both, kT0)),
            (std::vector<std::string>{"C:above_-18", "D:above_-18"}));
}

TEST(ColdchainAssess, EscalationOrderAndWorstSeverity) {
  // -10 °C for 20 minutes: above_-15 fires at 10 min (major), above_-12 at 15 (critical).
  const Assessment a =
      assess(frozen(), per_minute("L1", kT0, {{40, -20}, {20, -10}, {60, -20}}), kT0);
  EXPECT_EQ(fired_zones(a), (std::vector<std::string>{"L1:above_-15", "L1:above_-12"}));
  EXPECT_EQ(a.excursions[0].fired_at, kT0 + 50 * kMin);
  EXPECT_EQ(a.excursions[1].fired_at, kT0 + 55 * kMin);
  EXPECT_EQ(a.worst, Severity::kCritical);
  EXPECT_EQ(a.thaw_risk, ThawRisk::kHigh);  // critical, although exposure is only 160
  EXPECT_DOUBLE_EQ(a.exposure_degree_minutes, 160);
}

TEST(ColdchainAssess, LongModerateRiseFiresTheCumulativeCriticalZone) {
  // -14 °C in 8-minute stays (under the 10-minute delay) with 2 minutes back at -16 between:
  // above_-15 fires on its 30-minute budget, above_-15_long on 2 h; above_-18 on its 30-min delay
  // (the whole period is above -18).
  std::initializer_list<Seg> segs = {
      {30, -20}, {8, -14}, {2, -16}, {8, -14}, {2, -16}, {8, -14}, {2, -16}, {8, -14}, {2, -16},
      {8, -14},  {2, -16}, {8, -14}, {2, -16}, {8, -14}, {2, -16}, {8, -14}, {2, -16}, {8, -14},
      {2, -16},  {8, -14}, {2, -16}, {8, -14}, {2, -16}, {8, -14}, {2, -16}, {8, -14}, {2, -16},
      {8, -14},  {2, -16}, {8, -14}, {2, -16}, {8, -14}, {2, -16}, {10, -20}};
  const Assessment a = assess(frozen(), per_minute("L1", kT0, segs), kT0);
  EXPECT_EQ(fired_zones(a),
            (std::vector<std::string>{"L1:above_-18", "L1:above_-15", "L1:above_-15_long"}));
  EXPECT_EQ(a.excursions[0].trigger, "single");
  EXPECT_EQ(a.excursions[1].trigger, "cumulative");
  EXPECT_EQ(a.excursions[1].fired_at, kT0 + (30 + 3 * 10 + 6) * kMin);  // 4th stay, 6 min in
  EXPECT_EQ(a.excursions[2].trigger, "cumulative");
  EXPECT_EQ(a.excursions[2].fired_at, kT0 + (30 + 14 * 10 + 8) * kMin);  // end of the 15th stay
  EXPECT_EQ(a.excursions[2].severity, Severity::kCritical);
  EXPECT_EQ(zone(a, "above_-15").cumulative_ms, 16 * 8 * kMin);
  EXPECT_FALSE(zone(a, "above_-12").fired);
}

TEST(ColdchainAssess, ChilledBothSidesOfTheMajorZone) {
  // Too cold: -3 °C for 16 minutes fires outside_-2_8 (15 min) but not outside_0_4 (30 min).
  const Assessment cold =
      assess(chilled(), per_minute("L1", kT0, {{30, 2}, {16, -3}, {60, 3}}), kT0);
  ASSERT_EQ(cold.excursions.size(), 1u);
  EXPECT_EQ(cold.excursions[0].zone, "outside_-2_8");
  EXPECT_EQ(cold.excursions[0].fired_at, kT0 + 45 * kMin);
  EXPECT_EQ(cold.excursions[0].peak_c, -3);
  EXPECT_EQ(cold.exposure_degree_minutes, 0);  // below target is not thaw exposure
  EXPECT_EQ(cold.thaw_risk, ThawRisk::kNone);

  // One stay swinging from warm to cold: the peak is the reading furthest outside (11 > 8 by 3).
  const Assessment swing =
      assess(chilled(), per_minute("L1", kT0, {{30, 2}, {5, 9.5}, {5, -3}, {5, 11}, {60, 3}}), kT0);
  ASSERT_EQ(swing.excursions.size(), 1u);
  EXPECT_EQ(swing.excursions[0].zone, "outside_-2_8");
  EXPECT_EQ(swing.excursions[0].peak_c, 11);
  EXPECT_EQ(swing.excursions[0].duration_ms, 15 * kMin);
  EXPECT_EQ(zone(swing, "above_10").longest_ms, 5 * kMin);
  EXPECT_EQ(zone(swing, "outside_0_4").cumulative_ms, 15 * kMin);

  // Warm for 30 minutes at 12 °C: warning, major and critical.
  const Assessment warm =
      assess(chilled(), per_minute("L1", kT0, {{30, 3}, {30, 12}, {10, 3}}), kT0);
  EXPECT_EQ(fired_zones(warm),
            (std::vector<std::string>{"L1:outside_-2_8", "L1:outside_0_4", "L1:above_10"}));
  EXPECT_EQ(warm.worst, Severity::kCritical);
}

TEST(ColdchainAssess, EmptyAndAllIgnored) {
  const Assessment none = assess(frozen(), {}, kT0);
  EXPECT_EQ(none.readings, 0u);
  EXPECT_FALSE(none.first_at.has_value());
  EXPECT_FALSE(none.min_c.has_value());
  EXPECT_FALSE(none.mkt_c.has_value());
  EXPECT_EQ(none.zones.size(), 4u);
  EXPECT_EQ(none.thaw_risk, ThawRisk::kNone);

  const Assessment loading = assess(frozen(), per_minute("L1", kT0, {{20, 10}}), kT0);
  EXPECT_EQ(loading.readings, 20u);
  EXPECT_EQ(loading.last_at, kT0 + 19 * kMin);
  EXPECT_FALSE(loading.max_c.has_value());
  EXPECT_TRUE(loading.excursions.empty());

  // Non-finite readings are dropped rather than poisoning the figures.
  auto r = per_minute("L1", kT0, {{60, -20}});
  r.push_back({"L1", kT0 + 45 * kMin + 1, std::numeric_limits<double>::quiet_NaN()});
  const Assessment nan = assess(frozen(), r, kT0);
  EXPECT_EQ(nan.readings, 60u);
  EXPECT_EQ(nan.max_c, -20.0);
}

// ---- mean kinetic temperature -----------------------------------------------------------------

TEST(ColdchainMkt, ConstantSeriesIsThatTemperature) {
  EXPECT_NEAR(*mean_kinetic_temperature(per_minute("L1", kT0, {{100, -18.5}})), -18.5, 1e-9);
  EXPECT_NEAR(*mean_kinetic_temperature({{"L1", kT0, 4}}), 4, 1e-9);
  EXPECT_FALSE(mean_kinetic_temperature({}).has_value());
}

TEST(ColdchainMkt, TwoEqualDurationsMatchTheFormula) {
  // -20 °C for an hour, then -10 °C for an hour (the closing reading holds no time).
  const std::vector<Reading> r = {
      {"L1", kT0, -20}, {"L1", kT0 + kHour, -10}, {"L1", kT0 + 2 * kHour, -10}};
  const double h_over_r = 83'144.0 / 8.3144621;  // ≈ 10000 K
  const double mean = (std::exp(-h_over_r / 253.15) + std::exp(-h_over_r / 263.15)) / 2;
  const double expected = h_over_r / -std::log(mean) - 273.15;
  EXPECT_NEAR(expected, -13.363, 0.001);  // hand check of the formula itself
  EXPECT_NEAR(*mean_kinetic_temperature(r), expected, 0.01);
  EXPECT_GT(*mean_kinetic_temperature(r), -15.0);  // above the arithmetic mean

  // Durations weigh: three hours at -20 and one at -10.
  const std::vector<Reading> w = {
      {"L1", kT0, -20}, {"L1", kT0 + 3 * kHour, -10}, {"L1", kT0 + 4 * kHour, -10}};
  EXPECT_NEAR(*mean_kinetic_temperature(w), -15.918, 0.01);
  // The last reading holds no time: -20 for an hour then a final -10 is just -20.
  EXPECT_NEAR(*mean_kinetic_temperature({{"L1", kT0, -20}, {"L1", kT0 + kHour, -10}}), -20, 1e-9);
  // All at the same instant: equal weights.
  EXPECT_NEAR(*mean_kinetic_temperature({{"L1", kT0, -20}, {"L1", kT0, -10}}), expected, 1e-9);
}

TEST(ColdchainMkt, NeverBelowTheArithmeticMean) {
  const auto r = per_minute("L1", kT0, {{10, 2}, {10, 4}, {10, 8}, {10, 3}, {1, 3}});
  const double mkt = *mean_kinetic_temperature(r);
  EXPECT_GE(mkt, (2 + 4 + 8 + 3) / 4.0);
  EXPECT_NEAR(mkt, 4.588, 0.01);
  EXPECT_LE(mkt, 8);
}

TEST(ColdchainMkt, RejectsNonsense) {
  EXPECT_FALSE(mean_kinetic_temperature({{"L1", kT0, -300}}).has_value());
  EXPECT_FALSE(mean_kinetic_temperature({{"L1", kT0, -20}}, 0).has_value());
}

TEST(ColdchainMkt, AssessReportsTheWorstDevice) {
  auto a = per_minute("A", kT0, {{30, -30}, {60, -20}, {1, -20}});
  auto b = per_minute("B", kT0, {{30, -30}, {60, -19}, {1, -19}});
  std::vector<Reading> both = a;
  both.insert(both.end(), b.begin(), b.end());
  EXPECT_NEAR(*assess(frozen(), both, kT0).mkt_c, -19, 1e-9);  // loading readings ignored
}

// ---- thaw risk --------------------------------------------------------------------------------

TEST(ColdchainThaw, Grades) {
  EXPECT_EQ(grade_thaw_risk(0, 0, false), ThawRisk::kNone);
  EXPECT_EQ(grade_thaw_risk(0.5, kMin, false), ThawRisk::kLow);
  EXPECT_EQ(grade_thaw_risk(59.9, 30 * kMin, false), ThawRisk::kLow);
  EXPECT_EQ(grade_thaw_risk(60, 30 * kMin, false), ThawRisk::kMedium);
  EXPECT_EQ(grade_thaw_risk(12, 2 * kHour - 1, false), ThawRisk::kLow);
  EXPECT_EQ(grade_thaw_risk(12, 2 * kHour, false), ThawRisk::kMedium);
  EXPECT_EQ(grade_thaw_risk(239.9, kHour, false), ThawRisk::kMedium);
  EXPECT_EQ(grade_thaw_risk(240, kHour, false), ThawRisk::kHigh);
  EXPECT_EQ(grade_thaw_risk(0, 0, true), ThawRisk::kHigh);
}

TEST(ColdchainThaw, FromTrips) {
  auto risk = [](std::initializer_list<Seg> segs) {
    return assess(frozen(), per_minute("L1", kT0, segs), kT0).thaw_risk;
  };
  EXPECT_EQ(risk({{30, -20}, {300, -19}}), ThawRisk::kNone);
  EXPECT_EQ(risk({{30, -20}, {10, -16}, {60, -20}}), ThawRisk::kLow);        // 20 °C·min
  EXPECT_EQ(risk({{30, -20}, {30, -15}, {60, -20}}), ThawRisk::kMedium);     // 90, warning only
  EXPECT_EQ(risk({{30, -20}, {180, -17.5}, {60, -20}}), ThawRisk::kMedium);  // 90, over 3 h
  EXPECT_EQ(risk({{30, -20}, {60, -14}, {60, -20}}), ThawRisk::kHigh);       // 240 °C·min
  EXPECT_EQ(risk({{30, -20}, {15, -11.9}, {60, -20}}), ThawRisk::kHigh);     // critical
}

}  // namespace
}  // namespace coldtrack::coldchain
