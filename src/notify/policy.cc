#include "notify/policy.h"

#include <algorithm>
#include <cstddef>
#include <string_view>
#include <utility>

#include "domain/time.h"

namespace coldtrack::notify {
namespace {

using domain::floor_div;

constexpr domain::EpochMs kMinuteMs = 60'000;
constexpr domain::EpochMs kHourMs = 60 * kMinuteMs;
constexpr domain::EpochMs kDayMs = 24 * kHourMs;

// info < warning < major < critical; -1 for anything else.
int severity_rank(std::string_view s) {
  if (s == "info") return 0;
  if (s == "warning") return 1;
  if (s == "major") return 2;
  if (s == "critical") return 3;
  return -1;
}

std::string_view severity_label(std::string_view s) {
  if (s == "info") return "提示";
  if (s == "warning") return "警告";
  if (s == "major") return "严重";
  if (s == "critical") return "紧急";
  return "";
}

bool in_quiet_hours(const Policy& p, domain::EpochMs t) {
  const domain::EpochMs local = t + p.utc_offset_minutes * kMinuteMs;
  const domain::EpochMs ms_of_day = local - floor_div(local, kDayMs) * kDayMs;
  const domain::EpochMs start = p.quiet_start_hour * kHourMs, end = p.quiet_end_hour * kHourMs;
  if (start == end) return false;
  if (start < end) return ms_of_day >= start && ms_of_day < end;
  return ms_of_day >= start || ms_of_day < end;  // wraps midnight
}

// The first quiet_end_hour:00 local strictly after `t`.
domain::EpochMs next_quiet_end(const Policy& p, domain::EpochMs t) {
  const domain::EpochMs offset = p.utc_offset_minutes * kMinuteMs;
  const domain::EpochMs local_day = floor_div(t + offset, kDayMs) * kDayMs;
  domain::EpochMs end = local_day + p.quiet_end_hour * kHourMs - offset;
  if (end <= t) end += kDayMs;
  return end;
}

domain::EpochMs defer_past_quiet(const Policy& p, domain::EpochMs t) {
  return in_quiet_hours(p, t) ? next_quiet_end(p, t) : t;
}

Rule customer(std::string kind, bool urgent = false) {
  return Rule{std::move(kind), Audience::kCustomer, {Channel::kWechat, Channel::kSms}, urgent, ""};
}

Rule staff(std::string kind, std::string min_severity) {
  return Rule{
      std::move(kind), Audience::kStaff, {Channel::kStaffWebhook}, true, std::move(min_severity)};
}

}  // namespace

Policy default_policy() {
  Policy p;
  p.rules = {
      customer("order.SHIPPED"),
      customer("tracking.OUT_FOR_DELIVERY"),
      customer("tracking.AT_PICKUP_POINT"),
      customer("eta_soon"),
      customer("order.DELIVERED"),
      customer("order.REFUNDED"),
      customer("order.EXCEPTION", /*urgent=*/true),
      staff("anomaly.opened", "major"),
      staff("temperature", ""),
  };
  return p;
}

std::vector<const Rule*> rules_for(const Policy& p, const Event& e) {
  std::vector<const Rule*> out;
  for (const Rule& r : p.rules) {
    if (r.event_kind != e.kind) continue;
    if (!r.min_severity.empty()) {
      const int need = severity_rank(r.min_severity);
      const int have = severity_rank(e.severity);
      if (need < 0 || have < need) continue;  // a misspelt threshold never matches
    }
    out.push_back(&r);
  }
  return out;
}

domain::EpochMs send_time(const Policy& p, const Rule& r, domain::EpochMs now) {
  // Staff want alerts at any hour; quiet hours protect customers' sleep only.
  if (r.urgent || r.audience != Audience::kCustomer) return now;
  return defer_past_quiet(p, now);
}

domain::EpochMs rate_limited_time(const Policy& p, const std::vector<domain::EpochMs>& recent_sends,
                                  domain::EpochMs candidate, bool urgent) {
  const int max = p.max_per_recipient_per_hour;
  if (urgent || max <= 0) return candidate;
  const std::size_t n = recent_sends.size();
  const auto m = static_cast<std::size_t>(max);
  if (n < m) return candidate;
  // Sends that count at t are those with s > t - 1h. Fewer than max of them means the n-max+1
  // oldest are at least an hour old, i.e. t >= sorted[n - max] + 1h.
  std::vector<domain::EpochMs> sorted = recent_sends;
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(n - m),
                   sorted.end());
  return std::max(candidate, sorted[n - m] + kHourMs);
}

std::vector<std::vector<std::size_t>> digest(const Policy& p, const std::vector<Pending>& pending) {
  std::vector<std::size_t> order(pending.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return pending[a].send_at < pending[b].send_at;
  });
  std::vector<std::vector<std::size_t>> groups;
  domain::EpochMs first = 0;
  for (std::size_t i : order) {
    // Measured from the group's first message, not the last, so a steady trickle of updates
    // cannot postpone a message forever.
    if (groups.empty() || pending[i].send_at - first > p.digest_window_ms) {
      groups.emplace_back();
      first = pending[i].send_at;
    }
    groups.back().push_back(i);
  }
  return groups;
}

std::optional<domain::EpochMs> reminder_time(const Policy& p, domain::EpochMs eta_most_likely,
                                             domain::EpochMs now) {
  const domain::EpochMs t =
      defer_past_quiet(p, std::max(now, eta_most_likely - p.reminder_lead_ms));
  if (t > eta_most_likely) return std::nullopt;  // "arriving soon" after the ETA is noise
  return t;
}

std::string customer_text(const Event& e, domain::EpochMs reminder_lead_ms) {
  const std::string_view k = e.kind;
  if (k == "order.PAID") return "订单已支付";
  if (k == "order.SHIPPED") return "您的订单已发货";
  if (k == "order.IN_TRANSIT") return "包裹运输中";
  if (k == "tracking.OUT_FOR_DELIVERY") return "快递员正在派送";
  if (k == "tracking.AT_PICKUP_POINT") return "包裹已到驿站，请及时取件";
  if (k == "order.DELIVERED") return "订单已签收";
  if (k == "order.CANCELLED") return "订单已取消";
  if (k == "order.REFUNDED") return "订单已退款，请留意到账";
  if (k == "order.EXCEPTION") return "配送异常，我们正在处理";
  if (k == "eta_soon") {
    // Whole hours read better; otherwise minutes (rounded up, so the promise still holds).
    if (reminder_lead_ms > 0 && reminder_lead_ms % kHourMs == 0) {
      return "预计" + std::to_string(reminder_lead_ms / kHourMs) + "小时内送达";
    }
    const domain::EpochMs minutes =
        std::max<domain::EpochMs>(1, (reminder_lead_ms + kMinuteMs - 1) / kMinuteMs);
    return "预计" + std::to_string(minutes) + "分钟内送达";
  }
  return "";
}

std::string status_phrase(std::string_view k) {
  if (k == "order.PAID") return "已付款";
  if (k == "order.SHIPPED") return "已发货";
  if (k == "order.IN_TRANSIT") return "运输中";
  if (k == "tracking.OUT_FOR_DELIVERY") return "派送中";
  if (k == "tracking.AT_PICKUP_POINT") return "待取件";
  if (k == "eta_soon") return "即将送达";
  if (k == "order.DELIVERED") return "已签收";
  if (k == "order.CANCELLED") return "已取消";
  if (k == "order.REFUNDED") return "已退款";
  if (k == "order.EXCEPTION") return "配送异常";
  return "";
}

std::string_view to_string(Channel c) {
  switch (c) {
    case Channel::kWechat:
      return "wechat";
    case Channel::kSms:
      return "sms";
    case Channel::kStaffWebhook:
      return "webhook";
  }
  return "";
}

std::optional<Channel> parse_channel(std::string_view s) {
  if (s == "wechat") return Channel::kWechat;
  if (s == "sms") return Channel::kSms;
  if (s == "webhook") return Channel::kStaffWebhook;
  return std::nullopt;
}

std::variant<std::vector<Rule>, std::string> parse_rules(std::string_view text) {
  std::vector<Rule> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view entry = text.substr(start, end - start);
    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
    while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
    start = end + 1;
    if (entry.empty()) {
      if (end == text.size()) break;
      continue;
    }
    const auto bad = [&](std::string_view why) {
      return "rule \"" + std::string(entry) + "\": " + std::string(why);
    };
    const auto eq = entry.find('='), colon = entry.find(':');
    if (eq == std::string_view::npos || eq == 0 || colon == std::string_view::npos || colon < eq)
      return bad("expected EVENT=AUDIENCE:CHANNELS");
    Rule r;
    r.event_kind = std::string(entry.substr(0, eq));
    const std::string_view audience = entry.substr(eq + 1, colon - eq - 1);
    if (audience == "customer") {
      r.audience = Audience::kCustomer;
    } else if (audience == "staff") {
      r.audience = Audience::kStaff;
    } else {
      return bad("audience must be customer or staff");
    }
    std::string_view rest = entry.substr(colon + 1);
    if (const auto at = rest.find('@'); at != std::string_view::npos) {
      r.min_severity = std::string(rest.substr(at + 1));
      if (severity_rank(r.min_severity) < 0)
        return bad("severity must be info, warning, major or critical");
      rest = rest.substr(0, at);
    }
    if (!rest.empty() && rest.back() == '!') {
      r.urgent = true;
      rest.remove_suffix(1);
    }
    std::size_t cs = 0;
    while (cs <= rest.size()) {
      std::size_t ce = rest.find('+', cs);
      if (ce == std::string_view::npos) ce = rest.size();
      const auto ch = parse_channel(rest.substr(cs, ce - cs));
      if (!ch) return bad("channels are wechat, sms or webhook, joined by +");
      const bool staff_channel = *ch == Channel::kStaffWebhook;
      if (staff_channel != (r.audience == Audience::kStaff))
        return bad("customers are told by wechat or sms, staff by webhook");
      r.channels.push_back(*ch);
      cs = ce + 1;
    }
    out.push_back(std::move(r));
  }
  if (out.empty()) return std::string("no rules");
  return out;
}

std::string staff_text(const Event& e) {
  std::string out;
  const std::string_view label = severity_label(e.severity);
  if (!label.empty()) out += "【" + std::string(label) + "】";
  out += "订单 " + e.order_no + "：";
  if (e.kind == "anomaly.opened") {
    out += "异常";
  } else if (e.kind == "temperature") {
    out += "温度超限";
  } else {
    out += e.kind;
  }
  return out;
}

}  // namespace coldtrack::notify
