// Turns an event from the outbox into notification jobs: who is told, on which channel, when.
// Pure: the caller looks up the order's contacts, recent sends and the ETA, and stores the jobs.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "notify/policy.h"
#include "store/store.h"

namespace coldtrack::notify {

// An outbox message read as a notification event. `key` is the outbox key (the event's
// identity); `detail` is extra staff text (the anomaly's reason).
struct SourceEvent {
  Event event;
  std::string key;
  std::string detail;
  std::string tracking_status;  // tracking.* events: the unified status ("IN_TRANSIT")
};

// nullopt for topics and payloads that never notify anyone. `now` stands in for event times the
// payload does not carry (anomalies).
std::optional<SourceEvent> event_from_outbox(std::string_view topic, std::string_view payload,
                                             std::string_view key, domain::EpochMs now);

// What the store knows about the order's customer.
struct OrderContact {
  std::string openid;       // "" when the order came without one
  std::string phone_index;  // blind index of the phone, "" when none
};

// Which channels are configured and usable at all.
struct ChannelsReady {
  bool wechat = false;
  bool sms = false;
  bool staff_webhook = false;
};

struct PlanInput {
  const Policy* policy = nullptr;
  SourceEvent source;
  std::optional<OrderContact> contact;  // nullopt: unknown order (customers are then skipped)
  ChannelsReady ready;
  domain::EpochMs now = 0;
  // Send times of the recipient's customer messages in the last hour (rate limit).
  std::function<std::vector<domain::EpochMs>(const std::string& recipient)> recent_sends;
};

// The customer's identity for idempotency keys and the rate limit: the openid, else the phone's
// blind index ("phone:<index>"); "" when there is neither.
std::string customer_recipient(const OrderContact& c);

// One job per matching rule: customers on the first channel of the rule that is ready for this
// customer (WeChat needs an openid, SMS a phone), the rest kept in the payload as the fallback
// chain; staff on the webhook. Customer messages wait out the digest window, quiet hours (unless
// urgent) and the rate limit.
std::vector<store::NotificationJob> plan(const PlanInput& in);

// The pre-delivery reminder for `order_no`, due reminder_time() before `eta_most_likely`, or
// nullopt when it would come too late or nobody can be told. Its key is one per order, so a
// new ETA moves the pending reminder rather than adding one.
std::optional<store::NotificationJob> plan_reminder(const Policy& policy, std::string_view order_no,
                                                    const OrderContact& contact,
                                                    const ChannelsReady& ready,
                                                    domain::EpochMs eta_most_likely,
                                                    domain::EpochMs now);

// The job that carries a customer message on, after `job` could not go out on its channel: the
// next ready channel of its fallback chain, due now; nullopt when the chain is exhausted.
std::optional<store::NotificationJob> fallback_job(const store::NotificationJob& job,
                                                   const ChannelsReady& ready, domain::EpochMs now);

// Job payload fields (JSON text in the job): text, status, at, fallback.
struct JobPayload {
  std::string text;    // what the message says (≤ 20 code points for customers)
  std::string status;  // status phrase (customers)
  domain::EpochMs at = 0;
  std::vector<std::string> fallback;  // channels still to try, in order
};
std::string to_json(const JobPayload& p);
JobPayload parse_payload(std::string_view json);

}  // namespace coldtrack::notify
