#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "app/demo_transit.h"
#include "domain/time.h"
#include "eta/backtest.h"
#include "eta/eta.h"

namespace coldtrack::eta {
namespace {

constexpr EpochMs kMinute = 60'000;
constexpr EpochMs kHour = 60 * kMinute;
constexpr EpochMs kDay = 24 * kHour;
constexpr EpochMs kMonday = 1795363200000;  // 2026-11-23T00:00:00+08:00, a Monday

// Local (UTC+8) time `day` days after Monday 2026-11-23 at hh:mm.
constexpr EpochMs at(int day, int hh, int mm = 0) {
  return kMonday + day * kDay + hh * kHour + mm * kMinute;
}

std::string rfc(EpochMs t) {
  return domain::format_rfc3339(t, 480);
}

const Lane kShanghaiBeijingSf{"上海市", "北京市", "SF"};

Progress progress(const Lane& lane, EpochMs shipped_at, std::string status = "",
                  std::optional<EpochMs> status_at = std::nullopt) {
  return Progress{lane, shipped_at, std::move(status), status_at};
}

// Teaches `n` deliveries on `lane`, each handed over Monday 09:00 (its own effective dispatch)
// and delivered `transit(i)` minutes later.
template <typename F>
void teach(Model& m, const Lane& lane, int n, F transit) {
  for (int i = 0; i < n; ++i) {
    const EpochMs shipped = at(0, 9);
    m.add(Delivered{lane, shipped, shipped + transit(i) * kMinute, std::nullopt});
  }
}

// 100 samples: 24 h .. 24 h + 495 min (delivered Tuesday 09:00 .. 17:15 from Monday 09:00).
void teach_spread(Model& m, const Lane& lane = kShanghaiBeijingSf) {
  teach(m, lane, 100, [](int i) { return 1440 + 5 * i; });
}

bool in_window(EpochMs t) {
  const EpochMs tod = ((t - kMonday) % kDay + kDay) % kDay;
  return tod >= 8 * kHour && tod <= 21 * kHour;
}

// ---- service levels --------------------------------------------------------------------------

TEST(EtaServiceLevels, DefaultsPerCarrier) {
  const ServiceLevels s = ServiceLevels::defaults();
  auto is = [&](const char* carrier, int lo, int hi) {
    EXPECT_EQ(s.for_carrier(carrier).min_days, lo) << carrier;
    EXPECT_EQ(s.for_carrier(carrier).max_days, hi) << carrier;
  };
  is("SF", 1, 2);
  is("SF_COLD", 1, 2);
  is("JD", 1, 2);
  is("JIUYE", 1, 3);
  for (const char* c : {"ZTO", "YTO", "STO", "YUNDA", "JT"}) is(c, 2, 4);
  is("EMS", 3, 5);
  is("CHINA_POST", 3, 5);
  is("NO_SUCH_CARRIER", 2, 4);
}

TEST(EtaServiceLevels, OverridesApply) {
  ServiceLevels s = ServiceLevels::defaults();
  EXPECT_EQ(s.apply(" SF=2-3, ZTO=3 ,*=1-6"), std::nullopt);
  EXPECT_EQ(s.for_carrier("SF").min_days, 2);
  EXPECT_EQ(s.for_carrier("SF").max_days, 3);
  EXPECT_EQ(s.for_carrier("ZTO").min_days, 3);
  EXPECT_EQ(s.for_carrier("ZTO").max_days, 3);
  EXPECT_EQ(s.for_carrier("NEW").min_days, 1);
  EXPECT_EQ(s.for_carrier("NEW").max_days, 6);
  EXPECT_EQ(s.for_carrier("JD").max_days, 2);  // untouched
  EXPECT_EQ(s.apply(""), std::nullopt);
}

TEST(EtaServiceLevels, BadSpecNamesTheItemAndChangesNothing) {
  ServiceLevels s = ServiceLevels::defaults();
  const auto err = s.apply("SF=3-4,ZTO=4-2");
  ASSERT_TRUE(err.has_value());
  EXPECT_NE(err->find("ZTO=4-2"), std::string::npos) << *err;
  EXPECT_EQ(s.for_carrier("SF").min_days, 1);  // all or nothing
  for (const char* bad : {"ZTO", "=1-2", "sf=1-2", "SF=a-b", "SF=1-", "SF=-1-2", "SF=100-200"}) {
    const auto e = s.apply(bad);
    ASSERT_TRUE(e.has_value()) << bad;
    EXPECT_NE(e->find(bad), std::string::npos) << *e;
  }
}

// ---- time of day -----------------------------------------------------------------------------

TEST(EtaTimeOfDay, EffectiveDispatchCutOff) {
  const Options o;
  EXPECT_EQ(effective_dispatch(at(0, 16, 59), o), at(0, 16, 59));
  EXPECT_EQ(effective_dispatch(at(0, 17, 0), o), at(1, 8));
  EXPECT_EQ(effective_dispatch(at(0, 23, 30), o), at(1, 8));
  EXPECT_EQ(effective_dispatch(at(0, 6, 0), o), at(0, 8));
  EXPECT_EQ(effective_dispatch(at(0, 8, 0), o), at(0, 8));
}

TEST(EtaTimeOfDay, SnapIntoDeliveryWindow) {
  const Options o;
  EXPECT_EQ(snap_forward(at(0, 22), o), at(1, 8));
  EXPECT_EQ(snap_forward(at(0, 6), o), at(0, 8));
  EXPECT_EQ(snap_forward(at(0, 12, 34), o), at(0, 12, 34));
  EXPECT_EQ(snap_forward(at(0, 21), o), at(0, 21));
  EXPECT_EQ(snap_back(at(0, 23), o), at(0, 21));
  EXPECT_EQ(snap_back(at(1, 3), o), at(0, 21));
  EXPECT_EQ(snap_back(at(0, 8), o), at(0, 8));
  EXPECT_EQ(window_end_of_day(at(2, 3), o), at(2, 21));
}

TEST(EtaTimeOfDay, CutOffMovesThePrediction) {
  Model m;
  const Eta before = *m.predict(progress(kShanghaiBeijingSf, at(0, 16, 59)), at(0, 16, 59));
  const Eta after = *m.predict(progress(kShanghaiBeijingSf, at(0, 17, 0)), at(0, 17, 0));
  EXPECT_EQ(before.earliest, at(1, 8));  // SF 1-2 days from Monday
  EXPECT_EQ(before.latest, at(2, 21));
  EXPECT_EQ(after.earliest, at(2, 8));  // from Tuesday morning
  EXPECT_EQ(after.latest, at(3, 21));
  EXPECT_NE(after.basis_detail.find("17:00 后交寄"), std::string::npos) << after.basis_detail;

  // With a learned lane the whole distribution starts at the next morning.
  teach_spread(m);
  const Eta lb = *m.predict(progress(kShanghaiBeijingSf, at(0, 16, 59)), at(0, 16, 59));
  const Eta la = *m.predict(progress(kShanghaiBeijingSf, at(0, 17, 0)), at(0, 17, 0));
  EXPECT_EQ(lb.basis, "lane");
  EXPECT_NEAR(static_cast<double>(lb.earliest - at(0, 16, 59)) / kMinute, 1490, 15);
  EXPECT_NEAR(static_cast<double>(la.earliest - at(1, 8)) / kMinute, 1490, 15);
  EXPECT_NEAR(static_cast<double>(la.most_likely - at(1, 8)) / kMinute, 1687, 15);
  EXPECT_GT(la.most_likely, lb.most_likely);
}

TEST(EtaTimeOfDay, PredictionsSnapIntoTheWindow) {
  Model m;
  // Every sample arrives 37 h after a 09:00 dispatch: Tuesday 22:00, outside the window.
  teach(m, kShanghaiBeijingSf, 30, [](int) { return 37 * 60; });
  const Eta e = *m.predict(progress(kShanghaiBeijingSf, at(0, 9)), at(0, 9));
  EXPECT_EQ(e.most_likely, at(2, 8)) << rfc(e.most_likely);
  EXPECT_EQ(e.earliest, at(2, 8)) << rfc(e.earliest);
  EXPECT_EQ(e.latest, at(2, 21)) << rfc(e.latest);  // ordered after most_likely

  // 80 samples at 28 h (Tuesday 13:00), 20 at 37 h: the 90th percentile (22:00) moves back.
  Model m2;
  teach(m2, kShanghaiBeijingSf, 100, [](int i) { return i < 80 ? 28 * 60 : 37 * 60; });
  const Eta e2 = *m2.predict(progress(kShanghaiBeijingSf, at(0, 9)), at(0, 9));
  EXPECT_EQ(e2.latest, at(1, 21)) << rfc(e2.latest);
  EXPECT_LE(e2.most_likely, at(1, 13, 15));
  for (EpochMs shipped = at(0, 0); shipped < at(2, 0); shipped += 37 * kMinute) {
    const Eta x = *m2.predict(progress(kShanghaiBeijingSf, shipped), shipped);
    EXPECT_TRUE(in_window(x.earliest) && in_window(x.most_likely) && in_window(x.latest))
        << rfc(shipped);
    EXPECT_LE(x.earliest, x.most_likely);
    EXPECT_LE(x.most_likely, x.latest);
  }
}

// ---- percentiles and fallback ----------------------------------------------------------------

TEST(EtaPercentiles, HistogramQuantilesWithinOneBin) {
  Histogram h;
  for (int i = 0; i < 100; ++i) h.add(1440 + 10 * i);  // 1440 .. 2430
  EXPECT_EQ(h.count(), 100u);
  EXPECT_NEAR(h.quantile(0.5), 1935, 15);
  EXPECT_NEAR(h.quantile(0.1), 1535, 15);
  EXPECT_NEAR(h.quantile(0.9), 2335, 15);
  // Conditioned on more than 2000 minutes: the 43 samples 2010..2430 remain (plus a share of
  // the bin holding 2000 itself).
  EXPECT_NEAR(h.count_above(2000), 43, 1);
  EXPECT_NEAR(h.quantile(0.5, 2000), 2215, 15);
}

TEST(EtaPercentiles, LanePredictionUsesTenthMedianNinetieth) {
  Model m;
  teach_spread(m);  // 1440 + 5i: 10th ~1490, median ~1687, 90th ~1885 minutes
  const EpochMs d = at(0, 9);
  const Eta e = *m.predict(progress(kShanghaiBeijingSf, d), d);
  EXPECT_EQ(e.basis, "lane");
  EXPECT_EQ(e.samples, 100);
  EXPECT_NEAR(static_cast<double>(e.earliest - d) / kMinute, 1490, 15);
  EXPECT_NEAR(static_cast<double>(e.most_likely - d) / kMinute, 1687, 15);
  EXPECT_NEAR(static_cast<double>(e.latest - d) / kMinute, 1885, 15);
  EXPECT_NEAR(e.confidence, 0.8 * 100 / 102, 1e-9);
  EXPECT_NE(e.basis_detail.find("上海市→北京市 顺丰 近 100 单: 中位 1.2 天"), std::string::npos)
      << e.basis_detail;
  EXPECT_EQ(m.samples(kShanghaiBeijingSf), 100u);
  EXPECT_EQ(m.samples(Lane{"上海市", "北京市", "ZTO"}), 0u);
}

TEST(EtaPercentiles, FallbackChainLaneCarrierServiceLevel) {
  Model m;  // min_lane_samples = 20
  const Lane guangzhou{"上海市", "广州市", "SF"};
  const Progress p = progress(kShanghaiBeijingSf, at(0, 9));
  auto basis = [&] { return m.predict(p, at(0, 9))->basis; };
  EXPECT_EQ(basis(), "service_level");
  EXPECT_EQ(m.predict(p, at(0, 9))->samples, 0);
  teach(m, guangzhou, 19, [](int i) { return 1700 + i; });
  EXPECT_EQ(basis(), "service_level");
  teach(m, guangzhou, 1, [](int) { return 1700; });  // SF from 上海市: 20
  EXPECT_EQ(basis(), "carrier");
  EXPECT_EQ(m.predict(p, at(0, 9))->samples, 20);
  EXPECT_NE(m.predict(p, at(0, 9))->basis_detail.find("上海市发出"), std::string::npos);
  teach(m, kShanghaiBeijingSf, 19, [](int i) { return 1500 + i; });
  EXPECT_EQ(basis(), "carrier");
  teach(m, kShanghaiBeijingSf, 1, [](int) { return 1500; });  // exactly the threshold
  EXPECT_EQ(basis(), "lane");
  EXPECT_EQ(m.predict(p, at(0, 9))->samples, 20);
  // Another carrier from the same origin learns nothing from SF.
  EXPECT_EQ(m.predict(progress(Lane{"上海市", "北京市", "ZTO"}, at(0, 9)), at(0, 9))->basis,
            "service_level");
  // Confidence: lane > carrier > service level.
  const Eta lane = *m.predict(p, at(0, 9));
  const Eta carrier = *m.predict(progress(Lane{"上海市", "深圳市", "SF"}, at(0, 9)), at(0, 9));
  EXPECT_EQ(carrier.basis, "carrier");
  EXPECT_GT(lane.confidence, carrier.confidence);
  EXPECT_GT(carrier.confidence, 0.5);
  EXPECT_DOUBLE_EQ(Model().predict(p, at(0, 9))->confidence, 0.5);
}

TEST(EtaPercentiles, NominalFallback) {
  const Options o;
  const Eta e = nominal_eta(kShanghaiBeijingSf, at(0, 10), o);
  EXPECT_EQ(e.earliest, at(1, 8));
  EXPECT_EQ(e.latest, at(2, 21));
  EXPECT_EQ(e.most_likely, at(2, 8));  // 1.5 days = Tuesday 22:00, snapped forward
  EXPECT_EQ(e.basis, "service_level");
  EXPECT_EQ(e.samples, 0);
  EXPECT_DOUBLE_EQ(e.confidence, 0.5);
  EXPECT_NE(e.basis_detail.find("顺丰 标称 1-2 天"), std::string::npos) << e.basis_detail;
  const Eta ems = nominal_eta(Lane{"上海市", "成都市", "EMS"}, at(0, 10), o);
  EXPECT_EQ(ems.earliest, at(3, 8));
  EXPECT_EQ(ems.most_likely, at(4, 10));
  EXPECT_EQ(ems.latest, at(5, 21));
}

// ---- progress --------------------------------------------------------------------------------

TEST(EtaProgress, ElapsedTimeMovesALateParcelLater) {
  Model m;
  teach_spread(m);
  const EpochMs d = at(0, 9);
  const Eta fresh = *m.predict(progress(kShanghaiBeijingSf, d, "IN_TRANSIT"), d);
  const EpochMs now = d + 1800 * kMinute;  // past the median (~1687 minutes)
  const Eta late = *m.predict(progress(kShanghaiBeijingSf, d, "IN_TRANSIT"), now);
  EXPECT_EQ(late.basis, "lane+elapsed");
  EXPECT_GT(late.most_likely, fresh.most_likely);
  EXPECT_GE(late.earliest, now);
  EXPECT_GE(late.most_likely, now);
  EXPECT_GE(late.latest, late.most_likely);
  EXPECT_LT(late.samples, 100);
  EXPECT_NEAR(static_cast<double>(late.most_likely - d) / kMinute, 1867, 15);

  // Before the fastest sample nothing changes.
  const Eta early = *m.predict(progress(kShanghaiBeijingSf, d, "IN_TRANSIT"), d + 10 * kHour);
  EXPECT_EQ(early.basis, "lane");
  EXPECT_EQ(early.most_likely, fresh.most_likely);

  // Walking the clock forward: never in the past, never moving earlier.
  EpochMs previous = 0;
  for (EpochMs t = d; t < d + 6 * kDay; t += 47 * kMinute) {
    const Eta e = *m.predict(progress(kShanghaiBeijingSf, d, "IN_TRANSIT"), t);
    EXPECT_GE(e.most_likely, t) << rfc(t);
    EXPECT_GE(e.latest, e.most_likely) << rfc(t);
    EXPECT_GE(e.most_likely, previous) << rfc(t);
    EXPECT_TRUE(in_window(e.most_likely)) << rfc(t);
    previous = e.most_likely;
  }
  // Past every sample and past the promise: the next windows, low confidence.
  const Eta overdue = *m.predict(progress(kShanghaiBeijingSf, d, "IN_TRANSIT"), at(4, 22));
  EXPECT_EQ(overdue.basis, "service_level+elapsed");
  EXPECT_EQ(overdue.earliest, at(5, 8));
  EXPECT_LT(overdue.confidence, 0.5);
}

TEST(EtaProgress, OutForDeliverySharpensWithDefaults) {
  Model m;
  teach(m, kShanghaiBeijingSf, 100, [](int i) { return 1200 + 20 * i; });
  const EpochMs d = at(0, 9);
  const Eta base = *m.predict(progress(kShanghaiBeijingSf, d), d);
  const Eta ofd =
      *m.predict(progress(kShanghaiBeijingSf, d, "OUT_FOR_DELIVERY", at(1, 9)), at(1, 9));
  EXPECT_EQ(ofd.basis, "service_level+out_for_delivery");  // nothing learned about couriers yet
  EXPECT_EQ(ofd.earliest, at(1, 10));
  EXPECT_EQ(ofd.most_likely, at(1, 12));
  EXPECT_EQ(ofd.latest, at(1, 17));
  EXPECT_LT(ofd.latest - ofd.earliest, base.latest - base.earliest);
  EXPECT_GT(ofd.confidence, base.confidence);

  // Late in the day it is clamped to the window's end.
  const Eta evening =
      *m.predict(progress(kShanghaiBeijingSf, d, "OUT_FOR_DELIVERY", at(1, 19)), at(1, 19));
  EXPECT_EQ(evening.latest, at(1, 21));
  EXPECT_LE(evening.most_likely, at(1, 21));
  // Still not delivered the next morning: the next window.
  const Eta next =
      *m.predict(progress(kShanghaiBeijingSf, d, "OUT_FOR_DELIVERY", at(1, 9)), at(2, 7));
  EXPECT_EQ(next.earliest, at(2, 8));
  EXPECT_EQ(next.latest, at(2, 21));
  EXPECT_NE(next.basis.find("+elapsed"), std::string::npos);
}

TEST(EtaProgress, OutForDeliveryUsesLearnedCourierTime) {
  Model m;
  for (int i = 0; i < 100; ++i) {  // courier rounds of 60 .. 159 minutes
    const EpochMs delivered = at(1, 15);
    m.add(Delivered{kShanghaiBeijingSf, at(0, 9), delivered, delivered - (60 + i) * kMinute});
  }
  const EpochMs d = at(0, 9);
  const Eta base = *m.predict(progress(kShanghaiBeijingSf, d), d);
  const Eta ofd =
      *m.predict(progress(kShanghaiBeijingSf, d, "OUT_FOR_DELIVERY", at(1, 9)), at(1, 9, 30));
  EXPECT_EQ(ofd.basis, "lane+out_for_delivery");
  EXPECT_EQ(ofd.samples, 100);
  EXPECT_NEAR(static_cast<double>(ofd.most_likely - at(1, 9)) / kMinute, 110, 15);
  EXPECT_GE(ofd.earliest, at(1, 9, 30));
  EXPECT_LE(ofd.latest, at(1, 11, 45));
  EXPECT_GT(ofd.confidence, base.confidence);
  EXPECT_NE(ofd.basis_detail.find("派件→签收"), std::string::npos) << ofd.basis_detail;
  // Other destinations of the same carrier use the carrier-wide courier time.
  const Lane hangzhou{"上海市", "杭州市", "SF"};
  const Eta other = *m.predict(progress(hangzhou, d, "OUT_FOR_DELIVERY", at(1, 9)), at(1, 9));
  EXPECT_EQ(other.basis, "carrier+out_for_delivery");
}

TEST(EtaProgress, AtPickupPointIsReadyNow) {
  Model m;
  teach_spread(m);
  const EpochMs d = at(0, 9);
  const Eta e =
      *m.predict(progress(kShanghaiBeijingSf, d, "AT_PICKUP_POINT", at(1, 15)), at(1, 18));
  EXPECT_TRUE(e.basis.ends_with("+at_pickup_point")) << e.basis;
  EXPECT_EQ(e.earliest, at(1, 15));
  EXPECT_EQ(e.most_likely, at(1, 18));  // ready since 15:00; never earlier than now
  EXPECT_EQ(e.latest, at(2, 21));
  EXPECT_LT(e.confidence, 0.5);
  const Eta just =
      *m.predict(progress(kShanghaiBeijingSf, d, "AT_PICKUP_POINT", at(1, 15)), at(1, 15));
  EXPECT_EQ(just.most_likely, at(1, 15));
}

TEST(EtaProgress, ExceptionWidensAndLowersConfidence) {
  Model m;
  teach_spread(m);
  const EpochMs d = at(0, 9);
  const Eta base = *m.predict(progress(kShanghaiBeijingSf, d, "IN_TRANSIT"), at(0, 20));
  const Eta ex = *m.predict(progress(kShanghaiBeijingSf, d, "EXCEPTION", at(0, 19)), at(0, 20));
  EXPECT_EQ(ex.basis, "lane+exception");
  EXPECT_EQ(ex.most_likely, base.most_likely);
  EXPECT_EQ(ex.earliest, base.earliest);
  EXPECT_EQ(ex.latest, base.latest + kDay);
  EXPECT_LT(ex.confidence, base.confidence);
}

TEST(EtaProgress, TerminalStatesHaveNoEta) {
  Model m;
  teach_spread(m);
  for (const char* s : {"DELIVERED", "RETURNED", "RETURNING"}) {
    EXPECT_FALSE(m.predict(progress(kShanghaiBeijingSf, at(0, 9), s, at(1, 9)), at(1, 10))) << s;
  }
  for (const char* s : {"", "NO_INFO", "AWAITING_PICKUP", "PICKED_UP", "IN_TRANSIT", "CUSTOMS"}) {
    EXPECT_TRUE(m.predict(progress(kShanghaiBeijingSf, at(0, 9), s), at(0, 10))) << s;
  }
}

TEST(EtaModel, ScalesToAMillionSamples) {
  Model m;
  std::vector<Lane> lanes;
  for (const char* dest : {"北京市", "广州市", "深圳市", "杭州市", "南京市", "成都市", "武汉市",
                           "青岛市", "厦门市", "上海市"}) {
    for (const char* carrier :
         {"SF", "ZTO", "YTO", "JD", "EMS", "STO", "YUNDA", "JT", "JIUYE", "SF_COLD"}) {
      lanes.push_back(Lane{"上海市", dest, carrier});
    }
  }
  std::mt19937_64 rng(7);
  for (int i = 0; i < 1'000'000; ++i) {
    const Lane& lane = lanes[static_cast<std::size_t>(i) % lanes.size()];
    const EpochMs shipped = at(0, 9) + static_cast<EpochMs>(rng() % (7 * 60)) * kMinute;
    const EpochMs delivered = shipped + (1200 + static_cast<EpochMs>(rng() % 3000)) * kMinute;
    m.add(Delivered{lane, shipped, delivered, delivered - 120 * kMinute});
  }
  EXPECT_EQ(m.samples(lanes[0]), 10'000u);
  const Eta e = *m.predict(progress(lanes[0], at(0, 9)), at(0, 9));
  EXPECT_EQ(e.basis, "lane");
  EXPECT_EQ(e.samples, 10'000);
}

// ---- backtest --------------------------------------------------------------------------------

TEST(EtaBacktest, DoesNotPeekAtFutureDeliveries) {
  // 19 shipments delivered before Wednesday noon, one handed over then, and one shipped earlier
  // but delivered only afterwards. Peeking would make the lane (20 samples) available.
  std::vector<Delivered> history;
  for (int i = 0; i < 19; ++i) {
    history.push_back(Delivered{kShanghaiBeijingSf, at(0, 9) - (i + 1) * kDay,
                                at(0, 9) - (i + 1) * kDay + 30 * kHour, std::nullopt});
  }
  history.push_back(Delivered{kShanghaiBeijingSf, at(1, 10), at(3, 12), std::nullopt});
  history.push_back(Delivered{kShanghaiBeijingSf, at(2, 12), at(3, 15), std::nullopt});
  std::reverse(history.begin(), history.end());  // any order
  Options o;
  BacktestResult r = backtest(history, o);
  EXPECT_EQ(r.shipments, 21u);
  EXPECT_EQ(r.by_basis["lane"], 0u);
  EXPECT_EQ(r.by_basis["service_level"], 21u);

  // Delivered exactly at the moment counts as known.
  history.push_back(Delivered{kShanghaiBeijingSf, at(1, 11), at(2, 12), std::nullopt});
  r = backtest(history, o);
  EXPECT_EQ(r.shipments, 22u);
  EXPECT_EQ(r.by_basis["lane"], 1u);
}

TEST(EtaBacktest, FormatsATable) {
  BacktestResult r;
  r.shipments = 10;
  r.mae_hours = 5;
  r.baseline_mae_hours = 20;
  r.coverage = 0.8;
  r.baseline_coverage = 0.9;
  r.mean_width_hours = 10;
  r.baseline_width_hours = 40;
  r.by_basis["lane"] = 7;
  r.by_basis["service_level"] = 3;
  const std::string t = format_backtest(r);
  EXPECT_NE(t.find("metric"), std::string::npos) << t;
  EXPECT_NE(t.find("baseline"), std::string::npos) << t;
  EXPECT_NE(t.find("0.25"), std::string::npos) << t;  // MAE ratio
  EXPECT_NE(t.find("lane 7"), std::string::npos) << t;
}

std::vector<Delivered> generated_history(int n, std::uint64_t seed) {
  const char* dests[] = {"上海市", "北京市", "广州市", "深圳市", "杭州市",
                         "南京市", "成都市", "武汉市", "青岛市", "厦门市"};
  const char* carriers[] = {"SF", "ZTO", "YTO", "JD", "EMS"};
  std::mt19937_64 rng(seed);
  std::vector<Delivered> out;
  for (int i = 0; i < n; ++i) {
    const char* dest = dests[rng() % 10];
    const char* carrier = carriers[rng() % 5];
    // Over 90 days, handed over between 09:00 and 21:00 local.
    const EpochMs shipped = at(0, 9) + static_cast<EpochMs>(rng() % 90) * kDay +
                            static_cast<EpochMs>(rng() % (12 * 60)) * kMinute;
    const app::TransitTimes t = app::draw_transit(rng, "上海市", dest, carrier, shipped);
    out.push_back(
        Delivered{Lane{"上海市", dest, carrier}, shipped, t.delivered_at, t.out_for_delivery_at});
  }
  return out;
}

TEST(EtaBacktest, BeatsTheServiceLevelOnGeneratedHistory) {
  BacktestResult r = backtest(generated_history(5000, 20261125), Options{});
  std::printf("%s", format_backtest(r).c_str());
  EXPECT_EQ(r.shipments, 5000u);
  EXPECT_LT(r.mae_hours, r.baseline_mae_hours);
  EXPECT_GE(r.coverage, 0.7);
  EXPECT_LE(r.coverage, 0.9);
  EXPECT_GT(r.by_basis["lane"], 3500u);
  EXPECT_EQ(r.ofd_predictions, 5000u);
  EXPECT_LT(r.ofd_mae_hours, r.mae_hours);
}

// The service feeds the model one delivered shipment at a time, chunk by chunk in the store's
// order: it must learn exactly what the model learns from the whole history at once.
TEST(EtaModel, FedIncrementallyInAnyOrderEqualsFedAllAtOnce) {
  const auto history = generated_history(5000, 7);
  Model at_once;
  for (const auto& d : history) at_once.add(d);
  auto shuffled = history;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937_64(11));
  Model streamed;
  for (std::size_t start = 0; start < shuffled.size(); start += 7) {  // chunks of 7
    const std::vector<Delivered> chunk(
        shuffled.begin() + static_cast<std::ptrdiff_t>(start),
        shuffled.begin() + static_cast<std::ptrdiff_t>(std::min(start + 7, shuffled.size())));
    for (const auto& d : chunk) streamed.add(d);
  }
  const char* dests[] = {"上海市", "北京市", "广州市", "深圳市", "杭州市", "南京市",
                         "成都市", "武汉市", "青岛市", "厦门市", "未知市"};
  int compared = 0;
  for (const char* dest : dests) {
    for (const char* carrier : {"SF", "ZTO", "YTO", "JD", "EMS", "XYZ"}) {
      const Lane lane{"上海市", dest, carrier};
      EXPECT_EQ(streamed.samples(lane), at_once.samples(lane)) << dest << carrier;
      for (const char* status : {"", "IN_TRANSIT", "OUT_FOR_DELIVERY", "EXCEPTION"}) {
        for (EpochMs elapsed : {EpochMs{0}, 6 * kHour, 30 * kHour, 3 * kDay, 9 * kDay}) {
          const Progress p = progress(lane, at(1, 18), status, at(1, 18) + elapsed);
          const auto a = at_once.predict(p, at(1, 18) + elapsed + kHour);
          const auto b = streamed.predict(p, at(1, 18) + elapsed + kHour);
          ASSERT_TRUE(a && b);
          EXPECT_EQ(a->earliest, b->earliest);
          EXPECT_EQ(a->most_likely, b->most_likely);
          EXPECT_EQ(a->latest, b->latest);
          EXPECT_EQ(a->confidence, b->confidence);
          EXPECT_EQ(a->basis, b->basis);
          EXPECT_EQ(a->basis_detail, b->basis_detail);
          EXPECT_EQ(a->samples, b->samples);
          ++compared;
        }
      }
    }
  }
  EXPECT_EQ(compared, 11 * 6 * 4 * 5);
}

// ---- the demo world --------------------------------------------------------------------------

TEST(DemoTransit, DeterministicPerSeed) {
  std::mt19937_64 a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 200; ++i) {
    const EpochMs shipped = at(0, 9) + i * 53 * kMinute;
    const auto x = app::draw_transit(a, "上海市", "北京市", "ZTO", shipped);
    const auto y = app::draw_transit(b, "上海市", "北京市", "ZTO", shipped);
    const auto z = app::draw_transit(c, "上海市", "北京市", "ZTO", shipped);
    EXPECT_EQ(x.picked_up_at, y.picked_up_at);
    EXPECT_EQ(x.out_for_delivery_at, y.out_for_delivery_at);
    EXPECT_EQ(x.delivered_at, y.delivered_at);
    differs = differs || x.delivered_at != z.delivered_at;
  }
  EXPECT_TRUE(differs);
}

TEST(DemoTransit, OrderedAndInsideTheDeliveryWindow) {
  const char* cities[] = {"上海市", "北京市", "广州市", "深圳市", "杭州市", "南京市",
                          "成都市", "武汉市", "青岛市", "厦门市", "未知市"};
  const char* carriers[] = {"SF",  "SF_COLD", "JD", "ZTO",        "YTO",    "STO", "YUNDA",
                            "EMS", "JIUYE",   "JT", "CHINA_POST", "DEPPON", "XYZ"};
  std::mt19937_64 rng(1);
  for (int i = 0; i < 20'000; ++i) {
    const char* from = cities[rng() % 11];
    const char* to = cities[rng() % 11];
    const char* carrier = carriers[rng() % 13];
    const EpochMs shipped = at(0, 0) + static_cast<EpochMs>(rng() % (60 * 24 * 28)) * kMinute;
    const auto t = app::draw_transit(rng, from, to, carrier, shipped);
    ASSERT_LE(shipped, t.picked_up_at) << from << to << carrier << rfc(shipped);
    ASSERT_LE(t.picked_up_at, t.out_for_delivery_at) << from << to << carrier << rfc(shipped);
    ASSERT_LT(t.out_for_delivery_at, t.delivered_at) << from << to << carrier << rfc(shipped);
    ASSERT_TRUE(in_window(t.out_for_delivery_at)) << rfc(t.out_for_delivery_at);
    ASSERT_TRUE(in_window(t.delivered_at)) << rfc(t.delivered_at);
    ASSERT_LT(((t.delivered_at - kMonday) % kDay + kDay) % kDay, 21 * kHour);
    ASSERT_LT(t.delivered_at - shipped, 20 * kDay);
  }
}

TEST(DemoTransit, FasterCarriersShorterLanesEarlierHandOvers) {
  auto median_hours = [](const char* to, const char* carrier, int hh) {
    std::mt19937_64 rng(9);
    std::vector<EpochMs> v;
    for (int i = 0; i < 401; ++i) {
      const EpochMs shipped = at(i % 5, hh);  // weekdays
      v.push_back(app::draw_transit(rng, "上海市", to, carrier, shipped).delivered_at - shipped);
    }
    std::nth_element(v.begin(), v.begin() + 200, v.end());
    return static_cast<double>(v[200]) / kHour;
  };
  EXPECT_LT(median_hours("北京市", "SF", 10), median_hours("北京市", "ZTO", 10));
  EXPECT_LT(median_hours("成都市", "ZTO", 10), median_hours("成都市", "EMS", 10));
  EXPECT_LT(median_hours("杭州市", "ZTO", 10), median_hours("成都市", "ZTO", 10));
  EXPECT_LT(median_hours("上海市", "ZTO", 10), median_hours("杭州市", "ZTO", 10) + 1);
  EXPECT_LT(median_hours("北京市", "ZTO", 10), median_hours("北京市", "ZTO", 19));
  EXPECT_FALSE(app::demo_transit_description().empty());
}

}  // namespace
}  // namespace coldtrack::eta
