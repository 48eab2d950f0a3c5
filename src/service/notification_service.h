// The notification worker. Planning: events from the outbox (order and tracking status
// changes, anomalies) become jobs per recipient and channel, in the transaction that completes
// the event, so a replayed event adds nothing. Delivery: due jobs are claimed with a lease,
// digested per order and recipient, and sent; each outcome (sent, retry with backoff, fallback
// to the next channel, dead letter with the reason, or uncertain) is recorded on the job.
// A job found still "sending" after its lease (the process died mid-send) becomes uncertain and
// is never re-sent automatically: neither WeChat nor the SMS providers are idempotent.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "notify/channels/channel.h"
#include "notify/planner.h"
#include "notify/policy.h"
#include "service/eta_service.h"
#include "service/order_service.h"
#include "service/pii.h"
#include "service/result.h"
#include "store/store.h"

namespace coldtrack::service {

struct NotificationOptions {
  notify::Policy policy;
  int batch = 50;
  domain::EpochMs lease_ms = 60'000;  // longer than any one send (HTTP timeouts included)
  int max_attempts = 8;
  domain::EpochMs backoff_base_ms = 30'000;
  domain::EpochMs backoff_max_ms = 3'600'000;
  // With broker consumers (queue.backend rabbitmq) plan_pending() only catches up on outbox
  // messages older than this: the rest are the consumers' (queue.consumer_grace_s). 0: all.
  domain::EpochMs outbox_grace_ms = 0;
};

// What became of one outbox message handed to the planner.
struct OutboxHandling {
  bool understood = true;  // false: not an event that notifies anyone; completed without jobs
  int planned = 0;         // jobs created (the pre-delivery reminder included)
};

// The channels that are configured (null: not available).
struct NotificationChannels {
  notify::Sender* wechat = nullptr;
  notify::Sender* sms = nullptr;
  notify::Sender* staff_webhook = nullptr;
  notify::Sender* wechat_shipping = nullptr;  // shipping-info upload of WeChat-paid orders
};

struct NotificationPass {
  int planned = 0;  // jobs created
  int sent = 0, retried = 0, fallback = 0, dead = 0, uncertain = 0, skipped = 0, expired = 0;
  // Jobs that were claimed and given an outcome in this pass.
  int handled() const { return sent + retried + fallback + dead + uncertain + skipped; }
};

class NotificationService {
 public:
  NotificationService(store::Store& store, const PiiCodec& pii, const EtaService* eta,
                      NotificationChannels channels, NotificationOptions options,
                      std::function<domain::EpochMs()> clock);

  // One pass: expire stale leases, plan from the outbox, deliver what is due.
  NotificationPass run_once();
  // Claims pending outbox messages of outbox_topics() (with a grace period, only older ones)
  // and handles each with handle_outbox().
  int plan_pending();
  // Plans the jobs of one claimed (or leased) outbox message and completes it, in one store
  // transaction (plan_notifications). The outbox path (plan_pending) and the broker consumer
  // (service/queue_consumer.h) both come here. Store errors propagate (nothing is committed).
  OutboxHandling handle_outbox(const store::OutboxMessage& m);
  // The outbox topics that can notify someone (the broker consumer's routing keys).
  static std::vector<std::string> outbox_topics();
  NotificationPass deliver_due();

  // What was sent, when, and why not (GET /api/notifications).
  Result<store::NotificationPage> list(const store::NotificationFilter& filter);
  Result<store::NotificationJob> get(std::int64_t id);
  // A dead-lettered or uncertain message goes out again (audited).
  Result<store::NotificationJob> resend(std::int64_t id, const Actor& actor);

  notify::ChannelsReady ready() const;
  const NotificationOptions& options() const { return options_; }

 private:
  void deliver(store::ClaimedNotification& claimed, NotificationPass& pass);
  domain::EpochMs backoff(int attempts) const;
  // The shipping-info upload of a WeChat-paid order that has just shipped.
  std::optional<store::NotificationJob> shipping_upload_job(const notify::SourceEvent& e,
                                                            domain::EpochMs now);

  store::Store& store_;
  const PiiCodec& pii_;
  const EtaService* eta_;
  NotificationChannels channels_;
  NotificationOptions options_;
  std::function<domain::EpochMs()> clock_;
};

}  // namespace coldtrack::service
