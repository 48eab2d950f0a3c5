#include "app/consumers.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <map>
#include <string>

#include "app/app.h"
#include "queue/rabbitmq_consumer.h"

namespace coldtrack::app {
bool queue_consumers_on(const Config& config) {
  return config.queue.backend == "rabbitmq" && config.queue.consumers.enabled;
}

std::int64_t outbox_grace_ms(const Config& config) {
  return queue_consumers_on(config) ? config.queue.consumer_grace_s * 1000LL : 0;
}

std::string dead_letter_exchange(const Config& config) {
  return config.queue.rabbitmq.exchange + ".dlx";
}

std::vector<queue::ConsumerQueue> consumer_queues(const Config& config, bool notifications,
                                                  bool shipments) {
  std::vector<queue::ConsumerQueue> out;
  if (!queue_consumers_on(config)) return out;
  const std::string& exchange = config.queue.rabbitmq.exchange;
  if (notifications)
    out.push_back({exchange + ".notifications", service::NotificationService::outbox_topics()});
  if (shipments)
    out.push_back(
        {exchange + ".shipments", {std::string(service::TrackingWorker::kShipmentTopic)}});
  return out;
}

QueueConsumers::QueueConsumers(const Config& config, store::Store& store,
                               service::NotificationService* notifications,
                               service::TrackingWorker* tracking, prometheus::Registry* registry) {
  prometheus::Family<prometheus::Counter>* consumed = nullptr;
  if (registry)
    consumed = &prometheus::BuildCounter()
                    .Name("coldtrack_queue_consumed_total")
                    .Help(
                        "Deliveries from our own broker queues by queue and outcome (acked, "
                        "duplicate, dead, requeued, unsettled)")
                    .Register(*registry);
  const auto queues = consumer_queues(config, notifications != nullptr, tracking != nullptr);
  for (const auto& q : queues) {
    service::OutboxHandler handler;
    handler.topics = q.routing_keys;
    if (notifications && q.name.ends_with(".notifications")) {
      handler.lease_ms = notifications->options().lease_ms;
      handler.handle = [notifications](const store::OutboxMessage& m) {
        return notifications->handle_outbox(m).understood;
      };
    } else {
      handler.lease_ms = 60'000;  // as the tracking worker's own claims
      handler.handle = [tracking](const store::OutboxMessage& m) {
        return tracking->handle_shipment_added(m);
      };
    }
    queue::RabbitMqConsumerOptions o;
    o.url = config.queue.rabbitmq.url;
    o.exchange = config.queue.rabbitmq.exchange;
    o.dead_letter_exchange = dead_letter_exchange(config);
    o.queue = q;
    o.prefetch = config.queue.consumers.prefetch;
    Running r;
    r.consumer = std::make_unique<queue::RabbitMqConsumer>(std::move(o));
    // Counters made up front (every outcome shows, at 0) and only read by the loop's thread.
    std::map<std::string, prometheus::Counter*, std::less<>> counters;
    if (consumed)
      for (const char* outcome : {"acked", "duplicate", "dead", "requeued", "unsettled"})
        counters[outcome] = &consumed->Add({{"queue", q.name}, {"outcome", outcome}});
    r.loop = std::make_unique<service::QueueConsumer>(
        store, *r.consumer, std::move(handler), service::QueueConsumerOptions{}, now_ms,
        [counters = std::move(counters)](std::string_view, std::string_view outcome) {
          if (auto it = counters.find(outcome); it != counters.end()) it->second->Increment();
        });
    r.loop->start();
    spdlog::info("queue consumer on {} ({} routing keys, prefetch {}, catch-up after {} s)", q.name,
                 q.routing_keys.size(), config.queue.consumers.prefetch,
                 config.queue.consumer_grace_s);
    running_.push_back(std::move(r));
  }
}

QueueConsumers::~QueueConsumers() {
  stop();
}

void QueueConsumers::stop() {
  for (auto& r : running_) r.loop->stop();
  for (auto& r : running_) r.consumer->disconnect();
}

}  // namespace coldtrack::app
