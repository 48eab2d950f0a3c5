#include "carriers/tracking.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace coldtrack::carriers {
namespace {

using S = TrackingStatus;

// ---- statuses ----------------------------------------------------------------------------------

struct StatusCase {
  S status;
  const char* code;
  const char* label;
  bool terminal;
};

const std::vector<StatusCase>& AllStatuses() {
  static const std::vector<StatusCase> cases = {
      {S::kNoInfo, "NO_INFO", "暂无轨迹", false},
      {S::kAwaitingPickup, "AWAITING_PICKUP", "待揽收", false},
      {S::kPickedUp, "PICKED_UP", "已揽收", false},
      {S::kInTransit, "IN_TRANSIT", "运输中", false},
      {S::kOutForDelivery, "OUT_FOR_DELIVERY", "派送中", false},
      {S::kAtPickupPoint, "AT_PICKUP_POINT", "待取件", false},
      {S::kDelivered, "DELIVERED", "已签收", true},
      {S::kException, "EXCEPTION", "异常", false},
      {S::kReturning, "RETURNING", "退回中", false},
      {S::kReturned, "RETURNED", "已退回", true},
      {S::kCustoms, "CUSTOMS", "清关中", false},
  };
  return cases;
}

TEST(TrackingStatus, CodesAndChineseLabels) {
  for (const auto& c : AllStatuses()) {
    EXPECT_EQ(to_string(c.status), c.code);
    EXPECT_EQ(label_zh(c.status), c.label) << c.code;
  }
}

TEST(TrackingStatus, ParseRoundTripsEveryCode) {
  for (const auto& c : AllStatuses()) {
    const auto parsed = parse_tracking_status(c.code);
    ASSERT_TRUE(parsed.has_value()) << c.code;
    EXPECT_EQ(*parsed, c.status);
  }
}

TEST(TrackingStatus, ParseIsExact) {
  EXPECT_FALSE(parse_tracking_status(""));
  EXPECT_FALSE(parse_tracking_status("delivered"));
  EXPECT_FALSE(parse_tracking_status("Delivered"));
  EXPECT_FALSE(parse_tracking_status(" DELIVERED"));
  EXPECT_FALSE(parse_tracking_status("DELIVERED "));
  EXPECT_FALSE(parse_tracking_status("SIGNED"));
  EXPECT_FALSE(parse_tracking_status("已签收"));
}

TEST(TrackingStatus, OnlyDeliveredAndReturnedAreTerminal) {
  for (const auto& c : AllStatuses()) EXPECT_EQ(is_terminal(c.status), c.terminal) << c.code;
}

// ---- reasons -----------------------------------------------------------------------------------

TEST(TrackingReason, EveryDocumentedReasonHasAChineseLabel) {
  const std::vector<std::pair<const char*, const char*>> reasons = {
      {"NO_TRACE", "发货无轨迹"},
      {"NO_UPDATE", "长时间未更新"},
      {"NOT_SIGNED_TIMEOUT", "超时未签收"},
      {"PICKUP_OVERDUE", "超时未取"},
      {"REJECTED", "拒收"},
      {"DELIVERY_FAILED", "派送失败"},
      {"UNREACHABLE", "联系不上收件人"},
      {"ADDRESS_PROBLEM", "地址异常"},
      {"DAMAGED", "破损"},
      {"LOST", "丢失"},
      {"DELAYED", "延误"},
      {"HELD", "扣留"},
      {"REDIRECTED", "拦截改址"},
      {"CANCELLED", "已取消"},
      {"COLLECTION_FAILED", "揽收失败"},
      {"MISSORTED", "错分"},
      {"CUSTOMS_PROBLEM", "清关异常"},
      {"OTHER", "其他异常"},
      {"FORWARDED", "转寄"},
  };
  EXPECT_EQ(reasons.size(), 19u);
  for (const auto& [code, label] : reasons) {
    EXPECT_TRUE(is_known_reason(code)) << code;
    EXPECT_EQ(reason_label_zh(code), label) << code;
  }
}

TEST(TrackingReason, UnknownReasons) {
  for (const char* r : {"", "rejected", "REJECT", "NONE", " LOST", "拒收"}) {
    EXPECT_FALSE(is_known_reason(r)) << r;
    EXPECT_EQ(reason_label_zh(r), "") << r;
  }
}

// ---- snapshots ---------------------------------------------------------------------------------

Trace T(EpochMs time, std::string desc, std::string loc = "") {
  Trace t;
  t.time = time;
  t.description = std::move(desc);
  t.location = std::move(loc);
  return t;
}

Snapshot Snap(std::vector<Trace> traces) {
  Snapshot s;
  s.provider = "kdniao";
  s.traces = std::move(traces);
  return s;
}

TEST(TrackingSnapshot, NewestTraceTime) {
  EXPECT_FALSE(newest_trace_time(Snap({})).has_value());
  EXPECT_EQ(newest_trace_time(Snap({T(5, "a")})), 5);
  // Not assumed sorted.
  EXPECT_EQ(newest_trace_time(Snap({T(30, "c"), T(10, "a"), T(20, "b")})), 30);
}

TEST(TrackingSupersedes, NewerNewestTraceWins) {
  const auto older = Snap({T(100, "a"), T(200, "b")});
  const auto newer = Snap({T(100, "a"), T(300, "c")});
  EXPECT_TRUE(supersedes(newer, older));
  EXPECT_FALSE(supersedes(older, newer));
}

TEST(TrackingSupersedes, NewerWinsEvenWithFewerTraces) {
  const auto many_old = Snap({T(100, "a"), T(150, "b"), T(200, "c")});
  const auto one_new = Snap({T(201, "d")});
  EXPECT_TRUE(supersedes(one_new, many_old));
  EXPECT_FALSE(supersedes(many_old, one_new));
}

TEST(TrackingSupersedes, TieOnNewestTimeMoreTracesWins) {
  const auto two = Snap({T(100, "a"), T(200, "b")});
  const auto three = Snap({T(100, "a"), T(150, "x"), T(200, "b")});
  EXPECT_TRUE(supersedes(three, two));
  EXPECT_FALSE(supersedes(two, three));
}

TEST(TrackingSupersedes, ExactTieDoesNotReplace) {
  const auto a = Snap({T(100, "a"), T(200, "b")});
  const auto b = Snap({T(100, "a"), T(200, "b2")});
  EXPECT_FALSE(supersedes(a, b));
  EXPECT_FALSE(supersedes(b, a));
  EXPECT_FALSE(supersedes(a, a));
}

TEST(TrackingSupersedes, EmptyTraces) {
  const auto empty = Snap({});
  const auto some = Snap({T(100, "a")});
  EXPECT_FALSE(supersedes(empty, some));  // never replaces one with traces
  EXPECT_TRUE(supersedes(some, empty));
  EXPECT_FALSE(supersedes(empty, empty));
}

TEST(TrackingSupersedes, TerminalIsReplacedOnlyByNewer) {
  auto delivered = Snap({T(100, "a"), T(200, "signed")});
  delivered.unified.status = S::kDelivered;
  auto returning = Snap({T(100, "a"), T(200, "signed"), T(300, "refused, returning")});
  returning.unified.status = S::kReturning;
  auto stale = Snap({T(100, "a")});
  stale.unified.status = S::kInTransit;
  EXPECT_TRUE(supersedes(returning, delivered));
  EXPECT_FALSE(supersedes(stale, delivered));
}

TEST(TrackingNormalize, SortsOldestFirstAndDedupes) {
  std::vector<Trace> traces = {
      T(300, "c"), T(100, "a", "上海市"), T(200, "b"), T(100, "a", "other location"), T(300, "c"),
  };
  normalize_traces(traces);
  ASSERT_EQ(traces.size(), 3u);
  EXPECT_EQ(traces[0].time, 100);
  EXPECT_EQ(traces[0].description, "a");
  EXPECT_EQ(traces[0].location, "上海市");  // first occurrence kept
  EXPECT_EQ(traces[1].time, 200);
  EXPECT_EQ(traces[2].time, 300);
}

TEST(TrackingNormalize, DuplicateFillsFieldsTheFirstCopyLacks) {
  Trace bare = T(100, "a");
  Trace rich = T(100, "a", "上海市");
  rich.raw_code = "202";
  Trace other = T(100, "a", "杭州市");
  other.raw_code = "3";
  std::vector<Trace> traces = {bare, rich, other};
  normalize_traces(traces);
  ASSERT_EQ(traces.size(), 1u);
  EXPECT_EQ(traces[0].location, "上海市");
  EXPECT_EQ(traces[0].raw_code, "202");
}

TEST(TrackingNormalize, SameTimeDifferentTextKeptInCarrierOrder) {
  std::vector<Trace> traces = {T(100, "z first"), T(50, "x"), T(100, "a second"), T(100, "z first"),
                               T(100, "m third")};
  normalize_traces(traces);
  ASSERT_EQ(traces.size(), 4u);
  EXPECT_EQ(traces[0].description, "x");
  EXPECT_EQ(traces[1].description, "z first");
  EXPECT_EQ(traces[2].description, "a second");
  EXPECT_EQ(traces[3].description, "m third");
}

TEST(TrackingNormalize, SameTextDifferentTimeKept) {
  std::vector<Trace> traces = {T(200, "in transit"), T(100, "in transit")};
  normalize_traces(traces);
  ASSERT_EQ(traces.size(), 2u);
  EXPECT_EQ(traces[0].time, 100);
  EXPECT_EQ(traces[1].time, 200);
}

TEST(TrackingNormalize, EmptyAndSingle) {
  std::vector<Trace> none;
  normalize_traces(none);
  EXPECT_TRUE(none.empty());
  std::vector<Trace> one = {T(1, "x")};
  normalize_traces(one);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].description, "x");
}

// ---- carrier time ------------------------------------------------------------------------------

constexpr EpochMs k20261125T0030Z = 1795566600000;  // 2026-11-25T00:30:00Z
constexpr EpochMs k20261124T1000Z = 1795514400000;  // 2026-11-24T10:00:00Z

TEST(TrackingCarrierTime, DashFormatIsChinaTime) {
  EXPECT_EQ(parse_carrier_time("2026-11-25 08:30:00"), k20261125T0030Z);
  EXPECT_EQ(parse_carrier_time("2026-11-24 18:00:00"), k20261124T1000Z);
}

TEST(TrackingCarrierTime, SlashFormat) {
  EXPECT_EQ(parse_carrier_time("2026/11/25 08:30:00"), k20261125T0030Z);
}

TEST(TrackingCarrierTime, MinutePrecision) {
  EXPECT_EQ(parse_carrier_time("2026-11-25 08:30"), k20261125T0030Z);
  EXPECT_EQ(parse_carrier_time("2026/11/25 08:30"), k20261125T0030Z);
}

TEST(TrackingCarrierTime, Rfc3339WithOffset) {
  EXPECT_EQ(parse_carrier_time("2026-11-25T08:30:00+08:00"), k20261125T0030Z);
  EXPECT_EQ(parse_carrier_time("2026-11-25T00:30:00Z"), k20261125T0030Z);
  EXPECT_EQ(parse_carrier_time("2026-11-24T16:30:00-08:00"), k20261125T0030Z);
  EXPECT_EQ(parse_carrier_time("2026-11-25T00:30:00.250Z"), k20261125T0030Z + 250);
}

TEST(TrackingCarrierTime, SurroundingWhitespaceIgnored) {
  EXPECT_EQ(parse_carrier_time("  2026-11-25 08:30:00\t"), k20261125T0030Z);
}

TEST(TrackingCarrierTime, DayAndYearBoundaries) {
  // 2027-01-01 00:00 China = 2026-12-31T16:00Z; 2024-02-29 23:59 China = 15:59Z.
  EXPECT_EQ(parse_carrier_time("2027-01-01 00:00:00"), 1798732800000);
  EXPECT_EQ(parse_carrier_time("2024-02-29 23:59:00"), 1709222340000);
  EXPECT_EQ(parse_carrier_time("1970-01-01 08:00:00"), 0);
}

TEST(TrackingCarrierTime, BadInput) {
  for (const char* bad : {
           "",
           "   ",
           "2026-11-25",
           "08:30:00",
           "2026-11-25 08:30:0",
           "2026-11-25 8:30:00",
           "2026-11-5 08:30:00",
           "2026-13-01 08:30:00",
           "2026-00-01 08:30:00",
           "2026-02-29 08:30:00",  // not a leap year
           "2026-11-31 08:30:00",
           "2026-11-25 24:00:00",
           "2026-11-25 08:60:00",
           "2026-11-25 08:30:60",
           "2026-11/25 08:30:00",  // mixed separators
           "2026.11.25 08:30:00",
           "2026-11-25x08:30:00",
           "2026-11-25 08:30:00 CST",
           "2026-11-25T08:30:00+0800",
           "not a time",
           "2026-11-25 08:30:00abc",
       }) {
    EXPECT_FALSE(parse_carrier_time(bad).has_value()) << "'" << bad << "'";
  }
}

}  // namespace
}  // namespace coldtrack::carriers
