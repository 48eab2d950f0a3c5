#include "service/outbox_relay.h"

#include <spdlog/spdlog.h>

#include <vector>

namespace coldtrack::service {

OutboxRelay::OutboxRelay(store::RelayStore& store, queue::Publisher& publisher, Clock clock,
                         int batch_size, int max_batches)
    : store_(store),
      publisher_(publisher),
      clock_(std::move(clock)),
      batch_size_(batch_size),
      max_batches_(max_batches) {}

int OutboxRelay::relay_once() {
  int relayed = 0;
  std::int64_t after = 0;
  for (int n = 0; n < max_batches_; ++n) {
    const auto rows = store_.unrelayed(after, batch_size_);
    if (rows.empty()) break;
    std::vector<queue::OutgoingMessage> batch;
    batch.reserve(rows.size());
    for (const auto& r : rows) batch.push_back({r.topic, r.key, r.payload});
    const std::size_t confirmed = publisher_.publish(batch);
    // Only the confirmed prefix is marked; the rest is published again next pass.
    std::vector<std::int64_t> ids;
    ids.reserve(confirmed);
    for (std::size_t i = 0; i < confirmed; ++i) ids.push_back(rows[i].id);
    store_.mark_relayed(ids, clock_());
    relayed += static_cast<int>(confirmed);
    if (confirmed < rows.size()) {
      if (!outage_)
        spdlog::warn("outbox relay: broker unavailable, {} message(s) wait in the outbox: {}",
                     rows.size() - confirmed, publisher_.last_error());
      outage_ = true;
      return relayed;
    }
    after = rows.back().id;
  }
  if (outage_) spdlog::info("outbox relay: broker reachable again, relayed {} message(s)", relayed);
  outage_ = false;
  return relayed;
}

}  // namespace coldtrack::service
