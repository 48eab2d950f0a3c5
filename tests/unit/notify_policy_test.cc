#include "notify/policy.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <vector>

#include "domain/time.h"

namespace coldtrack::notify {
namespace {

using domain::EpochMs;

constexpr EpochMs kSecond = 1000;
constexpr EpochMs kMinute = 60 * kSecond;
constexpr EpochMs kHour = 60 * kMinute;
constexpr EpochMs kDay = 24 * kHour;
constexpr EpochMs kMonday = 1795363200000;  // 2026-11-23T00:00:00+08:00

// China time (UTC+8) `day` days after Monday 2026-11-23 at hh:mm:ss.
constexpr EpochMs at(int day, int hh, int mm = 0, int ss = 0) {
  return kMonday + day * kDay + hh * kHour + mm * kMinute + ss * kSecond;
}

std::string rfc(EpochMs t) {
  return domain::format_rfc3339(t, 480);
}

std::size_t code_points(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

Event ev(std::string kind, std::string severity = "") {
  return Event{std::move(kind), std::move(severity), at(0, 12), "CT1001"};
}

const std::vector<std::string> kCustomerKinds = {
    "order.SHIPPED",  "tracking.OUT_FOR_DELIVERY", "tracking.AT_PICKUP_POINT",
    "eta_soon",       "order.DELIVERED",           "order.REFUNDED",
    "order.EXCEPTION"};

TEST(NotifyPolicy, ClockIsChinaMidnight) {
  EXPECT_EQ(rfc(kMonday), "2026-11-23T00:00:00+08:00");
}

TEST(NotifyPolicy, CustomerRulesForDefaultEvents) {
  const Policy p = default_policy();
  for (const std::string& kind : kCustomerKinds) {
    SCOPED_TRACE(kind);
    const auto rules = rules_for(p, ev(kind));
    ASSERT_EQ(rules.size(), 1u);
    EXPECT_EQ(rules[0]->audience, Audience::kCustomer);
    EXPECT_EQ(rules[0]->channels, (std::vector<Channel>{Channel::kWechat, Channel::kSms}));
    EXPECT_EQ(rules[0]->urgent, kind == "order.EXCEPTION");
  }
}

TEST(NotifyPolicy, SilentEvents) {
  const Policy p = default_policy();
  for (const char* kind : {"order.PAID", "order.IN_TRANSIT", "order.CANCELLED", "unknown"}) {
    SCOPED_TRACE(kind);
    EXPECT_TRUE(rules_for(p, ev(kind)).empty());
  }
}

TEST(NotifyPolicy, StaffRulesAndAnomalySeverityThreshold) {
  const Policy p = default_policy();
  EXPECT_TRUE(rules_for(p, ev("anomaly.opened", "info")).empty());
  EXPECT_TRUE(rules_for(p, ev("anomaly.opened", "warning")).empty());
  EXPECT_TRUE(rules_for(p, ev("anomaly.opened", "")).empty());
  EXPECT_TRUE(rules_for(p, ev("anomaly.opened", "bogus")).empty());
  for (const char* sev : {"major", "critical"}) {
    SCOPED_TRACE(sev);
    const auto rules = rules_for(p, ev("anomaly.opened", sev));
    ASSERT_EQ(rules.size(), 1u);
    EXPECT_EQ(rules[0]->audience, Audience::kStaff);
    EXPECT_EQ(rules[0]->channels, std::vector<Channel>{Channel::kStaffWebhook});
    EXPECT_TRUE(rules[0]->urgent);
  }
  const auto temp = rules_for(p, ev("temperature"));
  ASSERT_EQ(temp.size(), 1u);
  EXPECT_EQ(temp[0]->audience, Audience::kStaff);
  EXPECT_TRUE(temp[0]->urgent);
}

TEST(NotifyPolicy, QuietHoursBoundaries) {
  const Policy p = default_policy();
  const Rule r = *rules_for(p, ev("order.SHIPPED"))[0];
  EXPECT_EQ(send_time(p, r, at(0, 21, 59, 59)), at(0, 21, 59, 59));
  EXPECT_EQ(rfc(send_time(p, r, at(0, 22))), rfc(at(1, 8)));
  EXPECT_EQ(rfc(send_time(p, r, at(1, 3, 30))), rfc(at(1, 8)));
  EXPECT_EQ(rfc(send_time(p, r, at(1, 7, 59, 59))), rfc(at(1, 8)));
  EXPECT_EQ(send_time(p, r, at(1, 8)), at(1, 8));
  EXPECT_EQ(send_time(p, r, at(0, 12)), at(0, 12));
}

TEST(NotifyPolicy, UrgentAndStaffBypassQuietHours) {
  const Policy p = default_policy();
  const Rule urgent = *rules_for(p, ev("order.EXCEPTION"))[0];
  EXPECT_EQ(send_time(p, urgent, at(0, 23)), at(0, 23));
  const Rule staff = *rules_for(p, ev("temperature"))[0];
  EXPECT_EQ(send_time(p, staff, at(0, 2)), at(0, 2));
  Rule quiet_staff = staff;
  quiet_staff.urgent = false;  // staff are not subject to quiet hours even when not urgent
  EXPECT_EQ(send_time(p, quiet_staff, at(0, 2)), at(0, 2));
}

TEST(NotifyPolicy, QuietHoursNotWrappingAndDisabled) {
  Policy p = default_policy();
  const Rule r = *rules_for(p, ev("order.SHIPPED"))[0];
  p.quiet_start_hour = 1;
  p.quiet_end_hour = 6;
  EXPECT_EQ(send_time(p, r, at(0, 0, 59)), at(0, 0, 59));
  EXPECT_EQ(send_time(p, r, at(0, 1)), at(0, 6));
  EXPECT_EQ(send_time(p, r, at(0, 6)), at(0, 6));
  p.quiet_start_hour = p.quiet_end_hour = 0;
  EXPECT_EQ(send_time(p, r, at(0, 3)), at(0, 3));
}

TEST(NotifyPolicy, RateLimitSlidingHour) {
  const Policy p = default_policy();
  const std::vector<EpochMs> sent = {at(0, 10, 20), at(0, 10, 0), at(0, 10, 40)};  // unsorted
  EXPECT_EQ(rate_limited_time(p, sent, at(0, 10, 50), false), at(0, 11, 0));
  EXPECT_EQ(rate_limited_time(p, sent, at(0, 11, 0), false), at(0, 11, 0));  // exactly 1h old
  EXPECT_EQ(rate_limited_time(p, sent, at(0, 10, 50), true), at(0, 10, 50));
  // Two in the window: the third may go now.
  EXPECT_EQ(rate_limited_time(p, {at(0, 10, 0), at(0, 10, 20)}, at(0, 10, 50), false),
            at(0, 10, 50));
  // Five sends: the fourth newest must age out, i.e. 10:20 + 1h.
  const std::vector<EpochMs> five = {at(0, 9, 0), at(0, 10, 0), at(0, 10, 20), at(0, 10, 30),
                                     at(0, 10, 40)};
  EXPECT_EQ(rate_limited_time(p, five, at(0, 10, 50), false), at(0, 11, 20));
  Policy off = p;
  off.max_per_recipient_per_hour = 0;
  EXPECT_EQ(rate_limited_time(off, sent, at(0, 10, 50), false), at(0, 10, 50));
}

TEST(NotifyPolicy, DigestGroupsByWindowFromFirst) {
  const Policy p = default_policy();  // 10 minutes, edge included
  const std::vector<Pending> pending = {
      {"order.SHIPPED", at(0, 10, 0)},
      {"tracking.OUT_FOR_DELIVERY", at(0, 10, 10)},  // exactly at the edge: same message
      {"order.DELIVERED", at(0, 10, 10, 1)},         // one second past: new message
      {"eta_soon", at(0, 10, 5)},                    // out of order input
      {"order.REFUNDED", at(0, 10, 20, 1)},          // exactly at the second group's edge
      {"order.EXCEPTION", at(0, 11, 0)},
  };
  const auto groups = digest(p, pending);
  const std::vector<std::vector<std::size_t>> want = {{0, 3, 1}, {2, 4}, {5}};
  EXPECT_EQ(groups, want);
}

TEST(NotifyPolicy, DigestStableOnTiesAndEmpty) {
  const Policy p = default_policy();
  EXPECT_TRUE(digest(p, {}).empty());
  const std::vector<Pending> same = {{"a", at(0, 9)}, {"b", at(0, 9)}, {"c", at(0, 9)}};
  EXPECT_EQ(digest(p, same), (std::vector<std::vector<std::size_t>>{{0, 1, 2}}));
}

TEST(NotifyPolicy, ReminderTime) {
  const Policy p = default_policy();  // 2h lead
  // Normal: 16:00 ETA, reminded at 14:00.
  EXPECT_EQ(reminder_time(p, at(0, 16), at(0, 9)), at(0, 14));
  // The lead point already passed: now.
  EXPECT_EQ(reminder_time(p, at(0, 16), at(0, 15)), at(0, 15));
  // Lead point 06:00 is quiet: moved to 08:00, still before the 09:00 ETA.
  EXPECT_EQ(reminder_time(p, at(1, 9), at(0, 20)), at(1, 8));
  // Lead point 05:30 quiet, 08:00 is after the 07:30 ETA: skipped.
  EXPECT_EQ(reminder_time(p, at(1, 7, 30), at(0, 20)), std::nullopt);
  // Moved exactly onto the ETA is still sent (only "after" skips).
  EXPECT_EQ(reminder_time(p, at(1, 8), at(0, 20)), at(1, 8));
  // ETA already past: skipped.
  EXPECT_EQ(reminder_time(p, at(0, 10), at(0, 11)), std::nullopt);
}

TEST(NotifyPolicy, CustomerTextFitsThingField) {
  for (const std::string& kind : kCustomerKinds) {
    SCOPED_TRACE(kind);
    const std::string text = customer_text(ev(kind));
    EXPECT_FALSE(text.empty());
    EXPECT_LE(code_points(text), 20u);
  }
  EXPECT_EQ(customer_text(ev("order.SHIPPED")), "您的订单已发货");
  EXPECT_EQ(customer_text(ev("tracking.OUT_FOR_DELIVERY")), "快递员正在派送");
  EXPECT_EQ(customer_text(ev("tracking.AT_PICKUP_POINT")), "包裹已到驿站，请及时取件");
  EXPECT_EQ(customer_text(ev("order.DELIVERED")), "订单已签收");
  EXPECT_EQ(customer_text(ev("eta_soon")), "预计2小时内送达");
  EXPECT_EQ(customer_text(ev("eta_soon"), 90 * kMinute), "预计90分钟内送达");
  EXPECT_EQ(customer_text(ev("anomaly.opened", "major")), "");
  EXPECT_EQ(customer_text(ev("temperature")), "");
}

TEST(NotifyPolicy, StaffTextHasSeverityLabel) {
  EXPECT_EQ(staff_text(ev("anomaly.opened", "major")), "【严重】订单 CT1001：异常");
  EXPECT_EQ(staff_text(ev("anomaly.opened", "critical")), "【紧急】订单 CT1001：异常");
  EXPECT_EQ(staff_text(ev("temperature")), "订单 CT1001：温度超限");
}

}  // namespace
}  // namespace coldtrack::notify
