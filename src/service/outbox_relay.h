// Relays every outbox row to the message broker, independently of the internal consumers. The
// outbox stays the source of truth: a row is marked relayed only after the broker confirmed it,
// so a broker outage delays messages but loses none (at-least-once; consumers dedupe by
// message_id, which is the outbox msg_key).
#pragma once

#include <functional>

#include "domain/time.h"
#include "queue/publisher.h"
#include "store/store.h"

namespace coldtrack::service {

class OutboxRelay {
 public:
  using Clock = std::function<domain::EpochMs()>;
  OutboxRelay(store::RelayStore& store, queue::Publisher& publisher, Clock clock,
              int batch_size = 100, int max_batches = 20);

  // One pass: publishes unrelayed rows in id order, batch by batch, until none are left, the
  // broker fails (then stops; the next pass retries) or max_batches were sent (a backlog drains
  // over several passes, so a pass stays short under the job's lease). Returns rows relayed.
  int relay_once();
  bool in_outage() const { return outage_; }

 private:
  store::RelayStore& store_;
  queue::Publisher& publisher_;
  Clock clock_;
  int batch_size_;
  int max_batches_;
  bool outage_ = false;  // logs once per outage instead of every tick
};

}  // namespace coldtrack::service
