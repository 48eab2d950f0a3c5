#include "notify/planner.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>

#include "anomaly/rules.h"

namespace coldtrack::notify {
namespace json = boost::json;
namespace {

std::string str(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

domain::EpochMs num(const json::object& o, std::string_view name, domain::EpochMs fallback) {
  const auto* v = o.if_contains(name);
  return v && v->is_int64() ? v->get_int64() : fallback;
}

bool ready_for(Channel c, const OrderContact& contact, const ChannelsReady& ready) {
  switch (c) {
    case Channel::kWechat:
      return ready.wechat && !contact.openid.empty();
    case Channel::kSms:
      return ready.sms && !contact.phone_index.empty();
    case Channel::kStaffWebhook:
      return ready.staff_webhook;
  }
  return false;
}

std::string idem_key(std::string_view event_key, std::string_view recipient,
                     std::string_view channel) {
  return fmt::format("{}|{}|{}", event_key, recipient, channel);
}

// The first ready channel of `chain` and the rest as the fallback chain.
std::optional<std::pair<Channel, std::vector<std::string>>> pick(const std::vector<Channel>& chain,
                                                                 const OrderContact& contact,
                                                                 const ChannelsReady& ready) {
  for (std::size_t i = 0; i < chain.size(); ++i) {
    if (!ready_for(chain[i], contact, ready)) continue;
    std::vector<std::string> rest;
    for (std::size_t j = i + 1; j < chain.size(); ++j) rest.emplace_back(to_string(chain[j]));
    return std::make_pair(chain[i], rest);
  }
  return std::nullopt;
}

}  // namespace

std::string to_json(const JobPayload& p) {
  json::array fallback;
  for (const auto& f : p.fallback) fallback.emplace_back(f);
  return json::serialize(json::object{
      {"text", p.text}, {"status", p.status}, {"at", p.at}, {"fallback", std::move(fallback)}});
}

JobPayload parse_payload(std::string_view text) {
  JobPayload p;
  boost::system::error_code ec;
  const json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return p;
  const auto& o = v.get_object();
  p.text = str(o, "text");
  p.status = str(o, "status");
  p.at = num(o, "at", 0);
  if (const auto* f = o.if_contains("fallback"); f && f->is_array()) {
    for (const auto& c : f->get_array())
      if (c.is_string()) p.fallback.emplace_back(c.get_string());
  }
  return p;
}

std::optional<SourceEvent> event_from_outbox(std::string_view topic, std::string_view payload,
                                             std::string_view key, domain::EpochMs now) {
  boost::system::error_code ec;
  const json::value v = json::parse(payload, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.get_object();
  SourceEvent s;
  s.key = std::string(key);
  s.event.order_no = str(o, "order_no");
  s.event.at = num(o, "at", now);
  if (topic == "order.status_changed") {
    s.event.kind = "order." + str(o, "to");
  } else if (topic == "tracking.status_changed") {
    s.tracking_status = str(o, "status");
    s.event.kind = "tracking." + s.tracking_status;
  } else if (topic == "anomaly.opened" || topic == "anomaly.updated") {
    // An escalation is news for staff as much as the opening was; a resolution is not urgent
    // and is seen in the console.
    const std::string kind = str(o, "kind");
    s.event.kind = kind == "temperature" ? "temperature" : "anomaly.opened";
    s.event.severity = str(o, "severity");
    s.event.at = now;
    s.detail = std::string(anomaly::reason_label_zh(str(o, "reason")));
    if (s.detail.empty()) s.detail = str(o, "reason");
  } else {
    return std::nullopt;
  }
  if (s.event.order_no.empty() || s.event.kind.empty()) return std::nullopt;
  return s;
}

std::string customer_recipient(const OrderContact& c) {
  if (!c.openid.empty()) return c.openid;
  if (!c.phone_index.empty()) return "phone:" + c.phone_index;
  return "";
}

std::vector<store::NotificationJob> plan(const PlanInput& in) {
  std::vector<store::NotificationJob> jobs;
  const Policy& policy = *in.policy;
  const Event& e = in.source.event;
  for (const Rule* rule : rules_for(policy, e)) {
    store::NotificationJob j;
    j.event_key = in.source.key;
    j.event_kind = e.kind;
    j.order_no = e.order_no;
    j.event_at = e.at;
    j.urgent = rule->urgent;
    JobPayload payload;
    payload.at = e.at;
    if (rule->audience == Audience::kStaff) {
      if (!in.ready.staff_webhook) continue;
      j.audience = "staff";
      j.channel = std::string(to_string(Channel::kStaffWebhook));
      j.recipient = "staff";
      payload.text = staff_text(e);
      if (!in.source.detail.empty()) payload.text += "（" + in.source.detail + "）";
      j.send_at = send_time(policy, *rule, in.now);
    } else {
      if (!in.contact) continue;
      if (policy.max_event_age_ms > 0 && in.now - e.at > policy.max_event_age_ms) continue;
      const std::string text = customer_text(e, policy.reminder_lead_ms);
      if (text.empty()) continue;
      auto chosen = pick(rule->channels, *in.contact, in.ready);
      if (!chosen) continue;
      j.audience = "customer";
      j.channel = std::string(to_string(chosen->first));
      j.recipient = customer_recipient(*in.contact);
      payload.text = text;
      payload.status = status_phrase(e.kind);
      payload.fallback = std::move(chosen->second);
      // Wait out the digest window so that changes close together become one message.
      domain::EpochMs t = in.now;
      if (!rule->urgent) t += policy.digest_window_ms;
      t = send_time(policy, *rule, t);
      if (!rule->urgent && in.recent_sends) {
        t = rate_limited_time(policy, in.recent_sends(j.recipient), t, false);
      }
      j.send_at = t;
    }
    j.payload = to_json(payload);
    j.idem_key = idem_key(j.event_key, j.recipient, j.channel);
    jobs.push_back(std::move(j));
  }
  return jobs;
}

std::optional<store::NotificationJob> plan_reminder(const Policy& policy, std::string_view order_no,
                                                    const OrderContact& contact,
                                                    const ChannelsReady& ready,
                                                    domain::EpochMs eta_most_likely,
                                                    domain::EpochMs now) {
  Event e{"eta_soon", "", now, std::string(order_no)};
  const auto rules = rules_for(policy, e);
  if (rules.empty()) return std::nullopt;
  const Rule& rule = *rules.front();
  if (rule.audience != Audience::kCustomer) return std::nullopt;
  const auto when = reminder_time(policy, eta_most_likely, now);
  if (!when) return std::nullopt;
  auto chosen = pick(rule.channels, contact, ready);
  if (!chosen) return std::nullopt;
  store::NotificationJob j;
  j.event_key = fmt::format("eta_soon:{}", order_no);
  j.event_kind = "eta_soon";
  j.order_no = std::string(order_no);
  j.audience = "customer";
  j.channel = std::string(to_string(chosen->first));
  j.recipient = customer_recipient(contact);
  j.urgent = rule.urgent;
  j.event_at = now;
  j.send_at = *when;
  JobPayload payload{customer_text(e, policy.reminder_lead_ms), status_phrase(e.kind),
                     eta_most_likely, std::move(chosen->second)};
  j.payload = to_json(payload);
  j.idem_key = idem_key(j.event_key, j.recipient, j.channel);
  return j;
}

std::optional<store::NotificationJob> fallback_job(const store::NotificationJob& job,
                                                   const ChannelsReady& ready,
                                                   domain::EpochMs now) {
  JobPayload payload = parse_payload(job.payload);
  // The recipient identity stays; what each channel needs is checked at send time.
  while (!payload.fallback.empty()) {
    const auto next = parse_channel(payload.fallback.front());
    payload.fallback.erase(payload.fallback.begin());
    if (!next) continue;
    if (*next == Channel::kSms && !ready.sms) continue;
    if (*next == Channel::kWechat && (!ready.wechat || job.recipient.starts_with("phone:")))
      continue;
    store::NotificationJob f = job;
    f.id = 0;
    f.channel = std::string(to_string(*next));
    f.state = "pending";
    f.attempts = 0;
    f.last_error.clear();
    f.provider_ref.clear();
    f.fallback_of = job.id;
    f.send_at = now;
    f.payload = to_json(payload);
    f.idem_key = idem_key(job.event_key, job.recipient, f.channel);
    return f;
  }
  return std::nullopt;
}

}  // namespace coldtrack::notify
