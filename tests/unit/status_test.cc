#include "domain/status.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <set>
#include <string>
#include <vector>

namespace coldtrack::domain {
namespace {

using S = OrderStatus;

// The intended transition table, written out in full (rows: from, columns: to), in the order of
// kAllStatuses: CREATED, PAID, SHIPPED, IN_TRANSIT, DELIVERED, COMPLETED, CANCELLED, REFUNDING,
// REFUNDED, EXCEPTION. Mirrors docs/LIFECYCLE.md ("Allowed moves").
// clang-format off
constexpr std::array<std::array<int, 10>, 10> kExpected = {{
    //            CRE PAI SHI ITR DEL COM CAN RFG RFD EXC
    /* CREATED    */ {0,  1,  0,  0,  0,  0,  1,  0,  0,  0},
    /* PAID       */ {0,  0,  1,  0,  0,  0,  0,  1,  1,  1},
    /* SHIPPED    */ {0,  0,  0,  1,  1,  0,  0,  1,  0,  1},
    /* IN_TRANSIT */ {0,  0,  0,  0,  1,  0,  0,  1,  0,  1},
    /* DELIVERED  */ {0,  0,  0,  0,  0,  1,  0,  1,  0,  0},
    /* COMPLETED  */ {0,  0,  0,  0,  0,  0,  0,  0,  0,  0},
    /* CANCELLED  */ {0,  0,  0,  0,  0,  0,  0,  0,  0,  0},
    /* REFUNDING  */ {0,  0,  0,  0,  0,  1,  0,  0,  1,  0},
    /* REFUNDED   */ {0,  0,  0,  0,  0,  0,  0,  0,  0,  0},
    /* EXCEPTION  */ {0,  0,  1,  1,  1,  0,  0,  1,  1,  0},
}};
// clang-format on

constexpr std::array<std::string_view, 10> kCodes = {
    "CREATED",   "PAID",      "SHIPPED",   "IN_TRANSIT", "DELIVERED",
    "COMPLETED", "CANCELLED", "REFUNDING", "REFUNDED",   "EXCEPTION"};

TEST(StatusTable, AllStatusesListsEachEnumeratorOnceInDeclarationOrder) {
  ASSERT_EQ(kAllStatuses.size(), 10u);
  for (std::size_t i = 0; i < kAllStatuses.size(); ++i) {
    EXPECT_EQ(static_cast<std::size_t>(kAllStatuses[i]), i);
  }
}

TEST(StatusTable, EveryPairMatchesTheExpectedMatrix) {
  int checked = 0;
  for (std::size_t f = 0; f < kAllStatuses.size(); ++f) {
    for (std::size_t t = 0; t < kAllStatuses.size(); ++t) {
      const S from = kAllStatuses[f];
      const S to = kAllStatuses[t];
      EXPECT_EQ(can_transition(from, to), kExpected[f][t] == 1)
          << to_string(from) << " -> " << to_string(to);
      ++checked;
    }
  }
  EXPECT_EQ(checked, 100);
}

TEST(StatusTable, NoStatusTransitionsToItself) {
  for (S s : kAllStatuses) EXPECT_FALSE(can_transition(s, s)) << to_string(s);
}

TEST(StatusTable, NothingLeadsBackToCreated) {
  for (S s : kAllStatuses) EXPECT_FALSE(can_transition(s, S::kCreated)) << to_string(s);
}

TEST(StatusTable, NextStatusesAgreesWithCanTransitionAndHasNoDuplicates) {
  for (std::size_t f = 0; f < kAllStatuses.size(); ++f) {
    const auto next = next_statuses(kAllStatuses[f]);
    std::set<S> unique(next.begin(), next.end());
    EXPECT_EQ(unique.size(), next.size()) << to_string(kAllStatuses[f]);
    std::size_t expected_count = 0;
    for (std::size_t t = 0; t < kAllStatuses.size(); ++t) {
      expected_count += kExpected[f][t];
      const bool listed = unique.contains(kAllStatuses[t]);
      EXPECT_EQ(listed, kExpected[f][t] == 1)
          << to_string(kAllStatuses[f]) << " -> " << to_string(kAllStatuses[t]);
    }
    EXPECT_EQ(next.size(), expected_count) << to_string(kAllStatuses[f]);
  }
}

TEST(StatusTable, SpecificDocumentedMoves) {
  EXPECT_TRUE(can_transition(S::kShipped, S::kDelivered));    // same-city couriers
  EXPECT_TRUE(can_transition(S::kPaid, S::kRefunded));        // cancellation after payment
  EXPECT_TRUE(can_transition(S::kRefunding, S::kCompleted));  // refund declined
  EXPECT_TRUE(can_transition(S::kDelivered, S::kRefunding));
  EXPECT_FALSE(can_transition(S::kPaid, S::kCancelled));  // cancelled only before payment
  EXPECT_FALSE(can_transition(S::kCreated, S::kShipped));
  EXPECT_FALSE(can_transition(S::kDelivered, S::kInTransit));
  EXPECT_FALSE(can_transition(S::kException, S::kCancelled));
}

TEST(StatusNames, ToStringGivesTheWireCodes) {
  for (std::size_t i = 0; i < kAllStatuses.size(); ++i) {
    EXPECT_EQ(to_string(kAllStatuses[i]), kCodes[i]);
  }
}

TEST(StatusNames, ParseStatusRoundTripsEveryStatus) {
  for (S s : kAllStatuses) {
    const auto parsed = parse_status(to_string(s));
    ASSERT_TRUE(parsed.has_value()) << to_string(s);
    EXPECT_EQ(*parsed, s);
  }
}

TEST(StatusNames, ParseStatusRejectsUnknownAndWrongCase) {
  EXPECT_FALSE(parse_status("paid").has_value());
  EXPECT_FALSE(parse_status("Paid").has_value());
  EXPECT_FALSE(parse_status("").has_value());
  EXPECT_FALSE(parse_status("UNKNOWN").has_value());
  EXPECT_FALSE(parse_status(" PAID").has_value());
  EXPECT_FALSE(parse_status("PAID ").has_value());
  EXPECT_FALSE(parse_status("IN-TRANSIT").has_value());
  EXPECT_FALSE(parse_status("已付款").has_value());
  EXPECT_FALSE(parse_status(std::string_view("PAID\0", 5)).has_value());
}

TEST(StatusNames, ChineseLabels) {
  EXPECT_EQ(label_zh(S::kCreated), "已下单");
  EXPECT_EQ(label_zh(S::kPaid), "已付款");
  EXPECT_EQ(label_zh(S::kShipped), "已发货");
  EXPECT_EQ(label_zh(S::kInTransit), "运输中");
  EXPECT_EQ(label_zh(S::kDelivered), "已签收");
  EXPECT_EQ(label_zh(S::kCompleted), "已完成");
  EXPECT_EQ(label_zh(S::kCancelled), "已取消");
  EXPECT_EQ(label_zh(S::kRefunding), "退款中");
  EXPECT_EQ(label_zh(S::kRefunded), "已退款");
  EXPECT_EQ(label_zh(S::kException), "异常");
}

TEST(StatusNames, LabelsAndCodesAreDistinct) {
  std::set<std::string_view> labels, codes;
  for (S s : kAllStatuses) {
    labels.insert(label_zh(s));
    codes.insert(to_string(s));
  }
  EXPECT_EQ(labels.size(), kAllStatuses.size());
  EXPECT_EQ(codes.size(), kAllStatuses.size());
}

TEST(StatusKinds, TerminalStatusesAreExactlyCompletedCancelledRefunded) {
  const std::set<S> terminal = {S::kCompleted, S::kCancelled, S::kRefunded};
  for (S s : kAllStatuses) {
    EXPECT_EQ(is_terminal(s), terminal.contains(s)) << to_string(s);
    // Terminal means: an empty row in the matrix.
    const auto row = kExpected[static_cast<std::size_t>(s)];
    const bool empty_row = std::all_of(row.begin(), row.end(), [](int v) { return v == 0; });
    EXPECT_EQ(is_terminal(s), empty_row) << to_string(s);
  }
}

TEST(StatusKinds, FinishedStatusesAreDeliveredCompletedCancelledRefunded) {
  const std::set<S> finished = {S::kDelivered, S::kCompleted, S::kCancelled, S::kRefunded};
  for (S s : kAllStatuses) EXPECT_EQ(is_finished(s), finished.contains(s)) << to_string(s);
}

TEST(StatusKinds, EveryTerminalStatusIsFinished) {
  for (S s : kAllStatuses) {
    if (is_terminal(s)) {
      EXPECT_TRUE(is_finished(s)) << to_string(s);
    }
  }
  // DELIVERED is finished but not terminal: it may still be refunded.
  EXPECT_TRUE(is_finished(S::kDelivered));
  EXPECT_FALSE(is_terminal(S::kDelivered));
}

TEST(StatusKinds, EveryNonTerminalStatusCanReachATerminalOne) {
  for (S start : kAllStatuses) {
    std::set<S> seen{start};
    std::vector<S> todo{start};
    bool reaches_terminal = false;
    while (!todo.empty()) {
      const S s = todo.back();
      todo.pop_back();
      if (is_terminal(s)) reaches_terminal = true;
      for (S n : next_statuses(s))
        if (seen.insert(n).second) todo.push_back(n);
    }
    EXPECT_TRUE(reaches_terminal) << to_string(start);
  }
}

}  // namespace
}  // namespace coldtrack::domain
