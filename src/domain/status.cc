#include "domain/status.h"

#include <algorithm>

namespace coldtrack::domain {
namespace {

using S = OrderStatus;

struct StatusInfo {
  S status;
  std::string_view code;
  std::string_view label;
};

constexpr std::array<StatusInfo, 10> kInfo = {{
    {S::kCreated, "CREATED", "已下单"},
    {S::kPaid, "PAID", "已付款"},
    {S::kShipped, "SHIPPED", "已发货"},
    {S::kInTransit, "IN_TRANSIT", "运输中"},
    {S::kDelivered, "DELIVERED", "已签收"},
    {S::kCompleted, "COMPLETED", "已完成"},
    {S::kCancelled, "CANCELLED", "已取消"},
    {S::kRefunding, "REFUNDING", "退款中"},
    {S::kRefunded, "REFUNDED", "已退款"},
    {S::kException, "EXCEPTION", "异常"},
}};

// The transition table (documented in docs/LIFECYCLE.md; keep the two in step).
constexpr std::array kFromCreated = {S::kPaid, S::kCancelled};
constexpr std::array kFromPaid = {S::kShipped, S::kRefunding, S::kRefunded, S::kException};
constexpr std::array kFromShipped = {S::kInTransit, S::kDelivered, S::kException, S::kRefunding};
constexpr std::array kFromInTransit = {S::kDelivered, S::kException, S::kRefunding};
constexpr std::array kFromDelivered = {S::kCompleted, S::kRefunding};
constexpr std::array kFromRefunding = {S::kRefunded, S::kCompleted};
constexpr std::array kFromException = {S::kShipped, S::kInTransit, S::kDelivered, S::kRefunding,
                                       S::kRefunded};

}  // namespace

std::string_view to_string(OrderStatus s) {
  return kInfo[static_cast<int>(s)].code;
}
std::string_view label_zh(OrderStatus s) {
  return kInfo[static_cast<int>(s)].label;
}

std::optional<OrderStatus> parse_status(std::string_view s) {
  for (const auto& info : kInfo) {
    if (info.code == s) return info.status;
  }
  return std::nullopt;
}

std::span<const OrderStatus> next_statuses(OrderStatus from) {
  switch (from) {
    case S::kCreated:
      return kFromCreated;
    case S::kPaid:
      return kFromPaid;
    case S::kShipped:
      return kFromShipped;
    case S::kInTransit:
      return kFromInTransit;
    case S::kDelivered:
      return kFromDelivered;
    case S::kRefunding:
      return kFromRefunding;
    case S::kException:
      return kFromException;
    case S::kCompleted:
    case S::kCancelled:
    case S::kRefunded:
      return {};
  }
  return {};
}

bool can_transition(OrderStatus from, OrderStatus to) {
  auto next = next_statuses(from);
  return std::find(next.begin(), next.end(), to) != next.end();
}

bool is_terminal(OrderStatus s) {
  return next_statuses(s).empty();
}

bool is_finished(OrderStatus s) {
  return s == S::kDelivered || s == S::kCompleted || s == S::kCancelled || s == S::kRefunded;
}

}  // namespace coldtrack::domain
