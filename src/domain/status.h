// The order lifecycle: statuses, their Chinese labels, and the one transition table.
#pragma once

#include <array>
#include <optional>
#include <span>
#include <string_view>

namespace coldtrack::domain {

enum class OrderStatus {
  kCreated,    // 已下单: placed, not paid
  kPaid,       // 已付款
  kShipped,    // 已发货: handed to a carrier (a waybill exists or the shop delivers itself)
  kInTransit,  // 运输中
  kDelivered,  // 已签收
  kCompleted,  // 已完成: after-sales window closed; the order is settled
  kCancelled,  // 已取消: cancelled before payment
  kRefunding,  // 退款中: refund requested, awaiting the shop's decision
  kRefunded,   // 已退款
  kException,  // 异常: fulfilment problem needing attention (lost, damaged, thawed, ...)
};

inline constexpr std::array<OrderStatus, 10> kAllStatuses = {
    OrderStatus::kCreated,   OrderStatus::kPaid,      OrderStatus::kShipped,
    OrderStatus::kInTransit, OrderStatus::kDelivered, OrderStatus::kCompleted,
    OrderStatus::kCancelled, OrderStatus::kRefunding, OrderStatus::kRefunded,
    OrderStatus::kException};

std::string_view to_string(OrderStatus s);  // "PAID"
std::string_view label_zh(OrderStatus s);   // "已付款"
std::optional<OrderStatus> parse_status(std::string_view s);

// The statuses reachable from `from` in one step (the transition table).
std::span<const OrderStatus> next_statuses(OrderStatus from);
bool can_transition(OrderStatus from, OrderStatus to);

// No further transition is possible.
bool is_terminal(OrderStatus s);
// The order's business is done (it may still be refunded from DELIVERED); such orders are
// archived `archive.after_days` after they reached this status.
bool is_finished(OrderStatus s);

}  // namespace coldtrack::domain
