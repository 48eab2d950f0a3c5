// Our own work, fed from the broker: a loop that takes deliveries from one queue (each a relayed
// outbox message, message_id = msg_key) and does the work of the outbox row it stands for, on its
// own thread (its calls block; they never run on an HTTP I/O thread).
//
// Per delivery:
//   1. Looks the outbox row up by msg_key. Done already (a redelivery, or the outbox catch-up
//      path got there first) -> ack ("duplicate").
//   2. Leases the row in the outbox (RelayStore::lease_outbox, a compare-and-set on available_at)
//      so the outbox catch-up path and other consumers keep off it; held by someone else -> ack
//      ("duplicate"): the holder completes it, or the catch-up path does after the lease.
//   3. Runs the handler, which commits the work in the store (the same code the outbox path
//      runs). Only after that returns is the delivery acked ("acked").
// A delivery that cannot be worked on (no message_id, a body that is not a JSON object, no such
// outbox row, a topic this queue does not handle, a payload the handler does not understand) is
// rejected without requeueing -> the dead-letter queue ("dead"), logged with its message id.
// Any exception from the store or the handler is taken as transient (store unavailable): the
// delivery is requeued after a pause that doubles while failures continue ("requeued"); nothing
// is acked, so nothing is lost, and the pause keeps an outage from becoming a hot loop.
//
// The outbox stays the source of truth: a row whose message the broker lost, or that waited in
// the outbox through a broker outage, is still handled by the outbox catch-up path once it is
// older than queue.consumer_grace_s.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "domain/time.h"
#include "queue/consumer.h"
#include "store/store.h"

namespace coldtrack::service {

// The work behind one queue.
struct OutboxHandler {
  std::vector<std::string> topics;    // outbox topics it handles (the queue's routing keys)
  domain::EpochMs lease_ms = 60'000;  // the outbox lease while a delivery is being handled
  // Does the work of one leased outbox message and commits it. False: the payload is not
  // understood (the message is dead-lettered). Throws when the store fails (requeued).
  std::function<bool(const store::OutboxMessage&)> handle;
};

struct QueueConsumerOptions {
  std::chrono::milliseconds poll_wait{500};  // how long one poll waits (and how fast stop() is)
  std::chrono::milliseconds requeue_pause{1000};        // after a transient failure; doubles ...
  std::chrono::milliseconds requeue_pause_max{30'000};  // ... up to this
};

enum class ConsumeOutcome {
  kAcked,      // handled now, acked after the commit
  kDuplicate,  // done already or held by another worker: acked without work
  kDead,       // rejected to the dead-letter queue
  kRequeued,   // transient failure: put back for later
  kUnsettled,  // the ack/reject could not be sent (connection gone): the broker delivers again
};
std::string_view to_string(ConsumeOutcome o);

class QueueConsumer {
 public:
  using Clock = std::function<domain::EpochMs()>;
  // (queue name, outcome) per delivery, for metrics.
  using Observer = std::function<void(std::string_view, std::string_view)>;

  QueueConsumer(store::RelayStore& store, queue::Consumer& consumer, OutboxHandler handler,
                QueueConsumerOptions options, Clock clock, Observer observer = {});
  ~QueueConsumer();
  QueueConsumer(const QueueConsumer&) = delete;
  QueueConsumer& operator=(const QueueConsumer&) = delete;

  // Takes at most one delivery (waiting up to poll_wait) and settles it; nullopt when none came.
  std::optional<ConsumeOutcome> run_once();
  void start();  // run_once() in a loop on a thread of its own
  void stop();   // returns once the thread has finished its current delivery

 private:
  ConsumeOutcome handle(const queue::Delivery& d);
  ConsumeOutcome dead(const queue::Delivery& d, const std::string& why);
  ConsumeOutcome settle(const queue::Delivery& d, ConsumeOutcome outcome);
  void pause(std::chrono::milliseconds how_long);  // interruptible by stop()
  void remember_lease(const std::string& key, domain::EpochMs until);

  store::RelayStore& store_;
  queue::Consumer& consumer_;
  OutboxHandler handler_;
  QueueConsumerOptions options_;
  Clock clock_;
  Observer observer_;
  // Leases this consumer took and still holds (msg_key -> available_at it set), so a delivery
  // requeued after a transient failure is taken up again instead of waiting out its own lease.
  std::map<std::string, domain::EpochMs> leases_;
  int failures_ = 0;          // consecutive transient failures
  bool broker_down_ = false;  // logs once per outage
  std::string last_broker_error_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace coldtrack::service
