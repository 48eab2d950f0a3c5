#include <gtest/gtest.h>

#include "anomaly/rules.h"

namespace coldtrack::anomaly {
namespace {

constexpr EpochMs kHour = 3'600'000;
constexpr EpochMs kT0 = 1'790'000'000'000;  // a fixed clock

ShipmentFacts InTransit(std::string temp_class = "ambient") {
  ShipmentFacts f;
  f.carrier = "ZTO";
  f.temp_class = std::move(temp_class);
  f.shipped_at = kT0;
  f.tracked = true;
  f.status = "IN_TRANSIT";
  f.status_at = kT0 + kHour;
  f.last_event_at = kT0 + kHour;
  return f;
}

const Finding* Find(const std::vector<Finding>& v, std::string_view kind) {
  for (const auto& f : v)
    if (f.kind == kind) return &f;
  return nullptr;
}

TEST(AnomalyRules, NoUpdateFiresExactlyAtTheLimit) {
  RuleSet rules;
  const auto t = rules.resolve("ZTO", "ambient");
  ASSERT_EQ(t.no_update_ms, 24 * kHour);
  auto f = InTransit();
  EXPECT_EQ(Find(evaluate_shipment(f, t, kT0 + kHour + 24 * kHour - 1), kNoUpdate), nullptr);
  const auto at = evaluate_shipment(f, t, kT0 + kHour + 24 * kHour);
  const auto* hit = Find(at, kNoUpdate);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->severity, "warning");
  EXPECT_EQ(hit->reason, "NO_UPDATE");
  EXPECT_NE(hit->evidence.find("\"silent_hours\":24"), std::string::npos) << hit->evidence;
  // Twice the limit escalates.
  EXPECT_EQ(Find(evaluate_shipment(f, t, kT0 + kHour + 48 * kHour), kNoUpdate)->severity, "major");
}

TEST(AnomalyRules, FrozenGoodsHaveAShorterSilenceLimitAndHigherSeverity) {
  RuleSet rules;
  const auto t = rules.resolve("ZTO", "frozen");
  EXPECT_EQ(t.no_update_ms, 12 * kHour);
  auto f = InTransit("frozen");
  EXPECT_EQ(Find(evaluate_shipment(f, t, kT0 + kHour + 12 * kHour - 1), kNoUpdate), nullptr);
  const auto found = evaluate_shipment(f, t, kT0 + kHour + 12 * kHour);
  const auto* hit = Find(found, kNoUpdate);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->severity, "major");
  EXPECT_EQ(Find(evaluate_shipment(f, t, kT0 + kHour + 24 * kHour), kNoUpdate)->severity,
            "critical");
}

TEST(AnomalyRules, NoTraceAfterHandOverCountsFromShipping) {
  RuleSet rules;
  ShipmentFacts f;
  f.carrier = "SF";
  f.temp_class = "ambient";
  f.shipped_at = kT0;  // untracked: the carrier never answered
  const auto t = rules.resolve("SF", "ambient");
  EXPECT_TRUE(evaluate_shipment(f, t, kT0 + 24 * kHour - 1).empty());
  const auto found = evaluate_shipment(f, t, kT0 + 24 * kHour);
  const auto* hit = Find(found, kNoUpdate);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->reason, "NO_TRACE");
}

TEST(AnomalyRules, CarrierClockAheadOfOursIsBoundedByWhenWeReceivedTheEvent) {
  RuleSet rules;
  auto f = InTransit();
  f.last_event_at = kT0 + 100 * kHour;  // the carrier's clock is far ahead
  f.received_at = kT0 + kHour;          // we stored it an hour after shipping
  const auto t = rules.resolve("ZTO", "ambient");
  EXPECT_EQ(Find(evaluate_shipment(f, t, kT0 + 25 * kHour - 1), kNoUpdate), nullptr);
  EXPECT_NE(Find(evaluate_shipment(f, t, kT0 + 25 * kHour), kNoUpdate), nullptr);
  // Without our receipt time, a future event time counts as "now": never negative silence.
  f.received_at.reset();
  EXPECT_EQ(Find(evaluate_shipment(f, t, kT0 + 25 * kHour), kNoUpdate), nullptr);
}

TEST(AnomalyRules, CarrierProblemStatesWithSeverityByReason) {
  RuleSet rules;
  const auto t = rules.resolve("ZTO", "ambient");
  auto f = InTransit();
  f.status = "EXCEPTION";
  struct Case {
    const char* reason;
    const char* severity;
  };
  for (auto c : {Case{"REJECTED", "major"}, Case{"DAMAGED", "critical"}, Case{"LOST", "critical"},
                 Case{"UNREACHABLE", "major"}, Case{"DELAYED", "warning"}}) {
    f.reason = c.reason;
    const auto v = evaluate_shipment(f, t, kT0 + 2 * kHour);
    const auto* hit = Find(v, kCarrierProblem);
    ASSERT_NE(hit, nullptr) << c.reason;
    EXPECT_EQ(hit->severity, c.severity) << c.reason;
    EXPECT_EQ(hit->reason, c.reason);
  }
  f.status = "RETURNING";
  f.reason = "";
  EXPECT_EQ(Find(evaluate_shipment(f, t, kT0 + 2 * kHour), kCarrierProblem)->reason, "RETURNING");
  f.status = "RETURNED";
  const auto returned = evaluate_shipment(f, t, kT0 + 200 * kHour);
  ASSERT_EQ(returned.size(), 1u);  // terminal: only the problem itself, no silence rules
  EXPECT_EQ(returned[0].kind, kCarrierProblem);
  // Frozen goods: one level up.
  auto frozen = InTransit("frozen");
  frozen.status = "EXCEPTION";
  frozen.reason = "DELAYED";
  EXPECT_EQ(Find(evaluate_shipment(frozen, rules.resolve("ZTO", "frozen"), kT0 + 2 * kHour),
                 kCarrierProblem)
                ->severity,
            "major");
}

TEST(AnomalyRules, StuckAtPickupPoint) {
  RuleSet rules;
  auto f = InTransit("frozen");
  f.status = "AT_PICKUP_POINT";
  f.status_at = kT0 + 10 * kHour;
  f.last_event_at = kT0 + 10 * kHour;
  const auto t = rules.resolve("ZTO", "frozen");
  EXPECT_EQ(Find(evaluate_shipment(f, t, kT0 + 18 * kHour - 1), kStuckAtPickup), nullptr);
  const auto found = evaluate_shipment(f, t, kT0 + 18 * kHour);
  const auto* hit = Find(found, kStuckAtPickup);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->severity, "major");
}

TEST(AnomalyRules, OutForDeliveryButNeverSigned) {
  RuleSet rules;
  auto f = InTransit();
  f.status = "OUT_FOR_DELIVERY";
  f.status_at = kT0 + 20 * kHour;
  f.last_event_at = f.status_at;
  const auto t = rules.resolve("ZTO", "ambient");
  EXPECT_EQ(Find(evaluate_shipment(f, t, kT0 + 32 * kHour - 1), kNotSigned), nullptr);
  const auto found = evaluate_shipment(f, t, kT0 + 32 * kHour);
  const auto* hit = Find(found, kNotSigned);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->reason, "NOT_SIGNED_TIMEOUT");
}

TEST(AnomalyRules, LateAgainstTheEtaIntervalAfterGrace) {
  RuleSet rules;
  auto f = InTransit();
  f.eta_latest = kT0 + 30 * kHour;
  const auto t = rules.resolve("ZTO", "ambient");
  EXPECT_EQ(Find(evaluate_shipment(f, t, kT0 + 32 * kHour - 1), kLate), nullptr);
  ASSERT_NE(Find(evaluate_shipment(f, t, kT0 + 32 * kHour), kLate), nullptr);
  f.status = "DELIVERED";  // delivered late is history, not an open problem
  EXPECT_TRUE(evaluate_shipment(f, t, kT0 + 99 * kHour).empty());
}

TEST(AnomalyRules, PaidButNotShippedWithinThePromise) {
  RuleSet rules;
  const auto t = rules.resolve("", "ambient");
  EXPECT_FALSE(evaluate_unshipped(kT0, t, kT0 + 48 * kHour - 1));
  auto hit = evaluate_unshipped(kT0, t, kT0 + 48 * kHour);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->kind, kNotShipped);
  EXPECT_EQ(hit->severity, "warning");
  EXPECT_EQ(evaluate_unshipped(kT0, t, kT0 + 96 * kHour)->severity, "major");
}

TEST(AnomalyRules, OverridesPerCategoryAndCarrierTakeTheStricter) {
  RuleSet rules;
  ASSERT_FALSE(rules.apply_overrides("frozen.no_update_h=6, SF.no_update_h=10,ZTO.pickup_h=0.5"));
  EXPECT_EQ(rules.resolve("SF", "frozen").no_update_ms, 6 * kHour);    // category stricter
  EXPECT_EQ(rules.resolve("SF", "ambient").no_update_ms, 10 * kHour);  // carrier only
  EXPECT_EQ(rules.resolve("JD", "ambient").no_update_ms, 24 * kHour);  // default
  EXPECT_EQ(rules.resolve("ZTO", "ambient").pickup_ms, kHour / 2);
  EXPECT_EQ(rules.resolve("ZTO", "frozen").pickup_ms, kHour / 2);
}

TEST(AnomalyRules, BadOverrideSpecsAreRefusedNamingTheItem) {
  for (const char* bad :
       {"frozen.no_update_h", "frozen.nope_h=3", "frozen.no_update_h=0", "frozen.no_update_h=-1",
        "frozen.no_update_h=abc", "fr ozen.pickup_h=1", "no_update_h=3"}) {
    auto err = check_overrides(bad);
    ASSERT_TRUE(err) << bad;
  }
  EXPECT_NE(check_overrides("frozen.nope_h=3")->find("nope_h"), std::string::npos);
  EXPECT_FALSE(check_overrides(""));
}

TEST(AnomalyRules, KindsAndSeveritiesHaveChineseLabels) {
  for (const auto& k : all_kinds()) EXPECT_FALSE(kind_label_zh(k).empty()) << k;
  EXPECT_EQ(kind_label_zh("temperature"), "温度超标");
  EXPECT_EQ(severity_label_zh("critical"), "紧急");
  EXPECT_FALSE(is_known_kind("bogus"));
}

}  // namespace
}  // namespace coldtrack::anomaly
