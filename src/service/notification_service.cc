#include "service/notification_service.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>

namespace coldtrack::service {
namespace {

constexpr std::array<std::string_view, 4> kTopics = {
    "order.status_changed", "tracking.status_changed", "anomaly.opened", "anomaly.updated"};
constexpr domain::EpochMs kHourMs = 3'600'000;

// Tracking states after which a pre-delivery reminder still makes sense.
bool moving(std::string_view s) {
  return s == "IN_TRANSIT" || s == "PICKED_UP";
}

}  // namespace

NotificationService::NotificationService(store::Store& store, const PiiCodec& pii,
                                         const EtaService* eta, NotificationChannels channels,
                                         NotificationOptions options,
                                         std::function<domain::EpochMs()> clock)
    : store_(store),
      pii_(pii),
      eta_(eta),
      channels_(channels),
      options_(std::move(options)),
      clock_(std::move(clock)) {}

notify::ChannelsReady NotificationService::ready() const {
  return {channels_.wechat != nullptr, channels_.sms != nullptr,
          channels_.staff_webhook != nullptr};
}

NotificationPass NotificationService::run_once() {
  const int expired = store_.expire_sending(clock_());
  if (expired > 0)
    spdlog::warn("{} notification(s) were mid-send when a sender stopped; marked uncertain",
                 expired);
  const int planned = plan_pending();
  NotificationPass pass = deliver_due();
  pass.expired = expired;
  pass.planned = planned;
  return pass;
}

std::vector<std::string> NotificationService::outbox_topics() {
  return {kTopics.begin(), kTopics.end()};
}

int NotificationService::plan_pending() {
  int planned = 0;
  for (const auto topic : kTopics) {
    const auto now = clock_();
    const auto claimed =
        options_.outbox_grace_ms > 0
            ? store_.claim_outbox_created_before(topic, now, now - options_.outbox_grace_ms,
                                                 options_.batch, options_.lease_ms)
            : store_.claim_outbox(topic, now, options_.batch, options_.lease_ms);
    for (const auto& m : claimed) planned += handle_outbox(m).planned;
  }
  return planned;
}

// Exactly once, whichever path gets here first: the jobs are inserted and the outbox message
// completed in one transaction (plan_notifications), and every job's idem_key (event key,
// recipient, channel) is unique, so handling a message again (a redelivery, the consumer and
// the catch-up racing past their leases) inserts nothing new. The pre-delivery reminder is
// keyed per order and replaces its own pending job, so planning it again changes nothing.
OutboxHandling NotificationService::handle_outbox(const store::OutboxMessage& m) {
  OutboxHandling out;
  int& planned = out.planned;
  const auto ready_now = ready();
  const auto now = clock_();
  auto source = notify::event_from_outbox(m.topic, m.payload, m.key, now);
  if (!source) {
    store_.plan_notifications(m.id, {}, false, now);
    out.understood = false;
    return out;
  }
  notify::PlanInput in;
  in.policy = &options_.policy;
  in.ready = ready_now;
  in.now = now;
  in.recent_sends = [this, now](const std::string& recipient) {
    return store_.recipient_sends(recipient, now - kHourMs);
  };
  if (auto order = store_.get_order(source->event.order_no)) {
    in.contact = notify::OrderContact{order->openid, order->phone_index};
  }
  // The pre-delivery reminder follows the latest prediction while the parcel moves.
  if (eta_ && in.contact && moving(source->tracking_status)) {
    if (auto tracking = store_.order_tracking(source->event.order_no)) {
      std::optional<domain::EpochMs> latest;
      for (const auto& t : *tracking) {
        if (t.status == "DELIVERED") continue;
        if (auto e = eta_->predict(t, now)) latest = std::max(latest.value_or(0), e->most_likely);
      }
      if (latest) {
        if (auto r = notify::plan_reminder(options_.policy, source->event.order_no, *in.contact,
                                           ready_now, *latest, now))
          planned += store_.plan_notifications(0, {*r}, true, now);
      }
    }
  }
  const bool shipped = source->event.kind == "order.SHIPPED";
  in.source = std::move(*source);
  auto jobs = notify::plan(in);
  if (shipped && channels_.wechat_shipping) {
    if (auto job = shipping_upload_job(in.source, now)) jobs.push_back(std::move(*job));
  }
  planned += store_.plan_notifications(m.id, jobs, false, now);
  return out;
}

std::optional<store::NotificationJob> NotificationService::shipping_upload_job(
    const notify::SourceEvent& e, domain::EpochMs now) {
  const auto payment = store_.payment_for(e.event.order_no);
  if (!payment || payment->provider != "wechatpay") return std::nullopt;
  store::NotificationJob j;
  j.event_key = e.key;
  j.event_kind = "wechat.shipping_upload";
  j.order_no = e.event.order_no;
  j.audience = "wechat";
  j.channel = store::kWechatShippingChannel;
  j.recipient = payment->transaction_id;
  j.event_at = e.event.at;
  j.send_at = now;
  j.payload = notify::to_json({"上传发货信息到微信", "", e.event.at, {}});
  j.idem_key = fmt::format("{}|{}|{}", j.event_key, j.recipient, j.channel);
  return j;
}

NotificationPass NotificationService::deliver_due() {
  NotificationPass pass;
  // One claim per send: a job is marked "sending" only just before it goes out, so a crash
  // leaves at most the one in flight uncertain, never the rest of a batch.
  for (int i = 0; i < options_.batch; ++i) {
    auto claimed = store_.claim_notifications(clock_(), 1, options_.lease_ms,
                                              options_.policy.digest_window_ms);
    if (claimed.empty()) break;
    deliver(claimed.front(), pass);
  }
  return pass;
}

Result<store::NotificationPage> NotificationService::list(const store::NotificationFilter& f) {
  return store_.list_notifications(f);
}

Result<store::NotificationJob> NotificationService::get(std::int64_t id) {
  auto j = store_.get_notification(id);
  if (!j) return Error{ErrorCode::kNotFound, fmt::format("no notification {}", id), {}, {}};
  return std::move(*j);
}

Result<store::NotificationJob> NotificationService::resend(std::int64_t id, const Actor& actor) {
  store::AuditRecord audit;
  audit.at = clock_();
  audit.actor = actor.id;
  audit.role = actor.role;
  audit.action = "notification.resend";
  audit.target = fmt::format("notification:{}", id);
  audit.request_id = actor.request_id;
  audit.client_addr = actor.client_addr;
  switch (store_.resend_notification(id, audit.at, audit)) {
    case store::ResendResult::kNotFound:
      return Error{ErrorCode::kNotFound, fmt::format("no notification {}", id), {}, {}};
    case store::ResendResult::kNotResendable:
      return Error{ErrorCode::kConflict,
                   "only a dead-lettered or uncertain notification can be sent again",
                   {},
                   {}};
    case store::ResendResult::kQueued:
      break;
  }
  return get(id);
}

domain::EpochMs NotificationService::backoff(int attempts) const {
  domain::EpochMs d = options_.backoff_base_ms;
  for (int i = 1; i < attempts && d < options_.backoff_max_ms; ++i) d *= 2;
  return std::min(d, options_.backoff_max_ms);
}

void NotificationService::deliver(store::ClaimedNotification& c, NotificationPass& pass) {
  const auto& job = c.job;
  // A digest says what is true now: the newest of the merged events.
  const store::NotificationJob* newest = &job;
  for (const auto& m : c.merged)
    if (m.event_at > newest->event_at || (m.event_at == newest->event_at && m.id > newest->id))
      newest = &m;
  const auto payload = notify::parse_payload(newest->payload);

  store::NotificationOutcome out;
  out.id = job.id;
  const auto finish = [&](std::string state, std::string error) {
    out.state = std::move(state);
    out.error = std::move(error);
    out.at = clock_();
    store_.finish_notification(out);
  };

  const auto order = store_.get_order(job.order_no);
  if (newest->event_kind == "eta_soon" && order && order->status != domain::OrderStatus::kShipped &&
      order->status != domain::OrderStatus::kInTransit) {
    ++pass.skipped;
    return finish("skipped",
                  fmt::format("the order is {} already", domain::to_string(order->status)));
  }

  notify::Sender* channel = nullptr;
  if (job.channel == "wechat") channel = channels_.wechat;
  if (job.channel == "sms") channel = channels_.sms;
  if (job.channel == "webhook") channel = channels_.staff_webhook;
  if (job.channel == store::kWechatShippingChannel) channel = channels_.wechat_shipping;

  notify::SendReport report;
  if (!channel) {
    report = {notify::SendStatus::kRefused, "channel " + job.channel + " is not configured", {}, 0};
  } else {
    notify::Delivery d;
    d.job_id = job.id;
    d.order_no = job.order_no;
    d.recipient = job.recipient;
    d.text = payload.text;
    d.status = payload.status;
    d.at = payload.at ? payload.at : newest->event_at;
    d.attempt = job.attempts;
    if (job.channel == "sms" && order)
      d.phone = pii_.open(order->phone_sealed, "customer.phone").value_or("");
    report = channel->send(d);
  }

  using S = notify::SendStatus;
  const auto now = clock_();
  switch (report.status) {
    case S::kSent:
      ++pass.sent;
      out.provider_ref = report.provider_ref;
      return finish("sent", "");
    case S::kRetry:
    case S::kRateLimited:
      if (job.attempts >= options_.max_attempts) {
        ++pass.dead;
        return finish("dead",
                      fmt::format("gave up after {} attempts: {}", job.attempts, report.detail));
      }
      ++pass.retried;
      out.retry_at =
          now + (report.status == S::kRateLimited ? report.retry_after_ms : backoff(job.attempts));
      return finish("pending", report.detail);
    case S::kRefused: {
      store::NotificationJob base = job;
      base.payload = newest->payload;  // the digest's content carries on
      if (auto f = notify::fallback_job(base, ready(), now)) {
        ++pass.fallback;
        out.follow_up = std::move(*f);
        return finish("fallback", report.detail);
      }
      ++pass.dead;
      return finish("dead", report.detail + "; no other channel");
    }
    case S::kFailed:
      ++pass.dead;
      spdlog::error("notification {} ({} to {}) failed: {}", job.id, job.event_kind, job.channel,
                    report.detail);
      return finish("dead", report.detail);
    case S::kUncertain:
      ++pass.uncertain;
      spdlog::warn("notification {} may or may not have been delivered: {}", job.id, report.detail);
      return finish("uncertain", report.detail);
  }
}

}  // namespace coldtrack::service
