#include "service/queue_consumer.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>

namespace coldtrack::service {

std::string_view to_string(ConsumeOutcome o) {
  switch (o) {
    case ConsumeOutcome::kAcked:
      return "acked";
    case ConsumeOutcome::kDuplicate:
      return "duplicate";
    case ConsumeOutcome::kDead:
      return "dead";
    case ConsumeOutcome::kRequeued:
      return "requeued";
    case ConsumeOutcome::kUnsettled:
      return "unsettled";
  }
  return "unknown";
}

QueueConsumer::QueueConsumer(store::RelayStore& store, queue::Consumer& consumer,
                             OutboxHandler handler, QueueConsumerOptions options, Clock clock,
                             Observer observer)
    : store_(store),
      consumer_(consumer),
      handler_(std::move(handler)),
      options_(options),
      clock_(std::move(clock)),
      observer_(std::move(observer)) {}

QueueConsumer::~QueueConsumer() {
  stop();
}

void QueueConsumer::start() {
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      lock.unlock();
      try {
        run_once();
      } catch (const std::exception& e) {  // not expected: handle() catches what it calls
        spdlog::error("queue {}: {}", consumer_.queue().name, e.what());
        pause(options_.requeue_pause);
      }
      lock.lock();
    }
  });
}

void QueueConsumer::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void QueueConsumer::pause(std::chrono::milliseconds how_long) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, how_long, [this] { return stopping_; });
}

std::optional<ConsumeOutcome> QueueConsumer::run_once() {
  auto d = consumer_.poll(options_.poll_wait);
  const auto& queue = consumer_.queue().name;
  if (!consumer_.connected()) {
    const auto err = consumer_.last_error();
    if (!broker_down_)
      spdlog::warn(
          "queue {}: not consuming (broker unavailable or refusing), retrying with "
          "backoff: {}",
          queue, err);
    broker_down_ = true;
  } else if (broker_down_) {
    spdlog::info("queue {}: consuming again", queue);
    broker_down_ = false;
  }
  if (!d) return std::nullopt;
  const auto outcome = handle(*d);
  if (observer_) observer_(queue, to_string(outcome));
  return outcome;
}

ConsumeOutcome QueueConsumer::settle(const queue::Delivery& d, ConsumeOutcome outcome) {
  failures_ = 0;  // the store answered: the requeue pause starts small again
  if (consumer_.ack(d)) return outcome;
  // The work is committed; the broker delivers the message again and it is then a duplicate.
  spdlog::info("queue {}: could not ack message {} ({}); it will come again and be skipped",
               consumer_.queue().name, d.message_id, consumer_.last_error());
  return ConsumeOutcome::kUnsettled;
}

ConsumeOutcome QueueConsumer::dead(const queue::Delivery& d, const std::string& why) {
  spdlog::error("queue {}: message {} (routing key {}) dead-lettered to {}: {}",
                consumer_.queue().name, d.message_id.empty() ? "(no message_id)" : d.message_id,
                d.routing_key, queue::dead_letter_queue_of(consumer_.queue().name), why);
  if (!consumer_.reject(d, /*requeue=*/false)) return ConsumeOutcome::kUnsettled;
  return ConsumeOutcome::kDead;
}

void QueueConsumer::remember_lease(const std::string& key, domain::EpochMs until) {
  if (leases_.size() >= 1000) {  // forget leases that have run out (anyone may take those)
    const auto now = clock_();
    std::erase_if(leases_, [now](const auto& kv) { return kv.second <= now; });
  }
  leases_[key] = until;
}

ConsumeOutcome QueueConsumer::handle(const queue::Delivery& d) {
  if (d.message_id.empty()) return dead(d, "it has no message_id (not relayed from our outbox)");
  {
    boost::system::error_code ec;
    const auto v = boost::json::parse(d.body, ec);
    if (ec || !v.is_object()) return dead(d, "its body is not a JSON object");
  }
  try {
    const auto row = store_.outbox_message(d.message_id);
    if (!row) return dead(d, "no outbox message has this key");
    const auto& m = row->message;
    if (std::find(handler_.topics.begin(), handler_.topics.end(), m.topic) == handler_.topics.end())
      return dead(d, fmt::format("its outbox topic {} is not one this queue handles", m.topic));
    if (row->done_at) {  // a redelivery, or the outbox catch-up path was first
      leases_.erase(d.message_id);
      return settle(d, ConsumeOutcome::kDuplicate);
    }
    const auto now = clock_();
    const auto mine = leases_.find(d.message_id);
    const bool ours = mine != leases_.end() && mine->second == row->available_at;
    // Leased by another worker (a catch-up pass, another replica's consumer): it finishes it, or
    // the catch-up path does once the lease runs out. Nothing for us to do.
    if (row->available_at > now && !ours) return settle(d, ConsumeOutcome::kDuplicate);
    const auto until = now + handler_.lease_ms;
    // Remembered first: if the lease commits but its answer is lost, a requeued delivery still
    // recognizes it as ours.
    remember_lease(d.message_id, until);
    if (!store_.lease_outbox(m.id, row->available_at, until)) {
      leases_.erase(d.message_id);
      return settle(d, ConsumeOutcome::kDuplicate);  // someone took it just now
    }
    store::OutboxMessage leased = m;
    ++leased.attempts;                                // as the lease counted it
    const bool understood = handler_.handle(leased);  // commits the work
    leases_.erase(d.message_id);
    if (!understood) return dead(d, "its payload is not understood (completed without work)");
    return settle(d, ConsumeOutcome::kAcked);  // only now, after the commit
  } catch (const std::exception& e) {
    ++failures_;
    auto wait = options_.requeue_pause;
    for (int i = 1; i < failures_ && wait < options_.requeue_pause_max; ++i) wait *= 2;
    wait = std::min(wait, options_.requeue_pause_max);
    spdlog::warn("queue {}: message {} not handled now, requeued in {} ms: {}",
                 consumer_.queue().name, d.message_id, wait.count(), e.what());
    pause(wait);
    if (!consumer_.reject(d, /*requeue=*/true)) return ConsumeOutcome::kUnsettled;
    return ConsumeOutcome::kRequeued;
  }
}

}  // namespace coldtrack::service
