// Who is told about what, on which channel, and when (the notification policy). Pure: no I/O,
// no clock reads; `now` is always a parameter. Times are UTC epoch ms; "local" means
// Policy::utc_offset_minutes (China, UTC+8, by default).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "domain/time.h"

namespace coldtrack::notify {

enum class Audience { kCustomer, kStaff };
enum class Channel { kWechat, kSms, kStaffWebhook };

struct Event {
  // "order.SHIPPED", "tracking.OUT_FOR_DELIVERY", "eta_soon", "anomaly.opened", "temperature".
  std::string kind;
  std::string severity;  // anomalies: info | warning | major | critical
  domain::EpochMs at = 0;
  std::string order_no;
};

struct Rule {
  std::string event_kind;
  Audience audience = Audience::kCustomer;
  std::vector<Channel> channels;  // preference order; customer: WeChat, SMS as the fallback
  bool urgent = false;            // bypasses quiet hours and the rate limit
  std::string min_severity;       // anomalies; "" = any severity
};

struct Policy {
  std::vector<Rule> rules;
  int utc_offset_minutes = 480;
  // Customer messages are deferred (not dropped) in [start, end) local, except urgent ones.
  // start > end wraps midnight; start == end means no quiet hours.
  int quiet_start_hour = 22;
  int quiet_end_hour = 8;
  int max_per_recipient_per_hour = 3;  // customer rate limit; <= 0 disables it
  domain::EpochMs digest_window_ms = 10 * 60'000;
  domain::EpochMs reminder_lead_ms = 2 * 3'600'000;  // 预计送达前提醒
  // A customer is not told about a change older than this when it is first seen (history
  // imported or caught up after an outage is not news); 0 = no limit.
  domain::EpochMs max_event_age_ms = 24 * 3'600'000;
};

// Customer (WeChat, then SMS): order.SHIPPED, tracking.OUT_FOR_DELIVERY,
// tracking.AT_PICKUP_POINT, eta_soon, order.DELIVERED, order.REFUNDED, and order.EXCEPTION
// (urgent). Not PAID (the customer just paid, the mini-program already shows it), IN_TRANSIT
// (carrier scans are too chatty; the milestones above say what matters), nor CANCELLED (the
// customer or the shop cancelled in-app; a refund, if any, is announced by REFUNDED).
// Staff (webhook): anomaly.opened at major or above and temperature, both urgent: frozen food
// spoils, so nobody waits for office hours.
Policy default_policy();

// The rules that apply to `e`, in policy order. A rule with min_severity matches only events
// whose severity is known and at least that; an unknown severity matches only rules without one.
std::vector<const Rule*> rules_for(const Policy& p, const Event& e);

// When a message may go out: `now`, or the end of quiet hours (next quiet_end_hour:00 local)
// when `now` is in quiet hours and the message is for a customer and not urgent.
// Exactly 22:00 is quiet; exactly 08:00 is not.
domain::EpochMs send_time(const Policy& p, const Rule& r, domain::EpochMs now);

// Earliest time >= candidate at which a non-urgent message keeps every sliding one-hour window
// within max_per_recipient_per_hour. A send exactly one hour before counts no more. Sends later
// than the candidate (already scheduled) are counted too. Urgent messages are never limited.
domain::EpochMs rate_limited_time(const Policy& p, const std::vector<domain::EpochMs>& recent_sends,
                                  domain::EpochMs candidate, bool urgent);

// A not-yet-sent message of one order for one recipient.
struct Pending {
  std::string event_kind;
  domain::EpochMs send_at;
};

// Groups `pending` (one order, one recipient) into messages: in send_at order (ties by index),
// a message joins the current group when send_at - first.send_at <= digest_window_ms (the edge
// is included), else starts a new one. Groups and their indexes are in that order.
std::vector<std::vector<std::size_t>> digest(const Policy& p, const std::vector<Pending>& pending);

// When to send eta_soon: eta_most_likely - reminder_lead_ms, but not before `now`, and moved to
// the end of quiet hours if inside them. nullopt when that is after eta_most_likely.
std::optional<domain::EpochMs> reminder_time(const Policy& p, domain::EpochMs eta_most_likely,
                                             domain::EpochMs now);

// Customer text, at most 20 code points (a WeChat "thing" value): "您的订单已发货". eta_soon
// states the lead ("预计2小时内送达"). "" for kinds a customer is never told about.
std::string customer_text(const Event& e, domain::EpochMs reminder_lead_ms = 2 * 3'600'000);

// The status as a WeChat "phrase" value (at most 5 Chinese characters): "已发货", "派送中".
// "" for kinds without one.
std::string status_phrase(std::string_view event_kind);

// Rules from configuration, replacing the defaults: comma-separated
// "EVENT=AUDIENCE:CHANNEL[+CHANNEL...][!][@SEVERITY]", e.g.
// "order.SHIPPED=customer:wechat+sms,order.EXCEPTION=customer:wechat+sms!,
// anomaly.opened=staff:webhook!@major". Audiences: customer | staff; channels: wechat | sms |
// webhook; "!" marks urgent. The string is the error, naming the entry.
std::variant<std::vector<Rule>, std::string> parse_rules(std::string_view text);
std::string_view to_string(Channel c);
std::optional<Channel> parse_channel(std::string_view s);

// Staff text, with the severity label when there is one: "【严重】订单 CT1001：异常".
std::string staff_text(const Event& e);

}  // namespace coldtrack::notify
