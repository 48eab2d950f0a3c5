// Our own broker consumers (queue.backend rabbitmq with queue.consumers.enabled): which queues
// exist, and a thread per queue that feeds the notification planner and the shipment
// subscriptions from RabbitMQ (service/queue_consumer.h). The outbox workers keep running and
// catch up on rows older than queue.consumer_grace_s (docs/BACKENDS.md, "Our own consumers").
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "app/config.h"
#include "queue/consumer.h"
#include "service/notification_service.h"
#include "service/queue_consumer.h"
#include "service/tracking_worker.h"
#include "store/store.h"

namespace prometheus {
class Registry;
}

namespace coldtrack::queue {
class RabbitMqConsumer;
}

namespace coldtrack::app {

// True when the configuration feeds our own work from the broker.
bool queue_consumers_on(const Config& config);
// The outbox workers' catch-up grace in ms: queue.consumer_grace_s with consumers, else 0 (they
// take every row at once, as with queue.backend memory).
std::int64_t outbox_grace_ms(const Config& config);

// `<exchange>.dlx`: the dead-letter exchange of the relay and of our consumer queues (one name,
// or the queue's arguments would disagree between the relay's and the consumer's declarations).
std::string dead_letter_exchange(const Config& config);

// `<exchange>.notifications` (the topics that notify someone) and `<exchange>.shipments`
// ("order.shipment_added"), for the consumers that run (none without queue_consumers_on). The
// relay declares these too, before it publishes anything.
std::vector<queue::ConsumerQueue> consumer_queues(const Config& config, bool notifications,
                                                  bool shipments);

class QueueConsumers {
 public:
  // One connection and thread per consumer that has its worker (null: not run). Counts every
  // delivery in coldtrack_queue_consumed_total{queue,outcome} when `registry` is given.
  QueueConsumers(const Config& config, store::Store& store,
                 service::NotificationService* notifications, service::TrackingWorker* tracking,
                 prometheus::Registry* registry);
  ~QueueConsumers();
  QueueConsumers(const QueueConsumers&) = delete;
  QueueConsumers& operator=(const QueueConsumers&) = delete;

  // Stops the threads (each finishes its current delivery) and closes the connections: what
  // was delivered and not acked goes back to the queues.
  void stop();

 private:
  struct Running {
    std::unique_ptr<queue::RabbitMqConsumer> consumer;
    std::unique_ptr<service::QueueConsumer> loop;
  };
  std::vector<Running> running_;
};

}  // namespace coldtrack::app
