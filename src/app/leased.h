// A Periodic job that runs only while this process holds the job's lease in the database, so of
// several `coldtrack serve` replicas on one database exactly one runs it at a time, and another
// takes over within the lease's TTL when that one dies.
#pragma once

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "app/periodic.h"
#include "security/crypto.h"
#include "store/store.h"

namespace coldtrack::app {

// This process's name as a lease owner: host, pid and a random part (a pid can come back).
inline std::string make_replica_id() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(host[0] ? host : "host") + ":" + std::to_string(::getpid()) + ":" +
         security::random_hex(4);
}

class LeasedPeriodic {
 public:
  using Clock = std::function<std::int64_t()>;

  LeasedPeriodic(store::LeaseStore& leases, std::string name, std::string owner,
                 std::chrono::milliseconds interval, std::function<void()> job, Clock clock)
      : leases_(leases),
        name_(std::move(name)),
        owner_(std::move(owner)),
        interval_ms_(interval.count()),
        job_(std::move(job)),
        clock_(std::move(clock)),
        periodic_(name_, interval, [this] { tick(); }) {}
  LeasedPeriodic(const LeasedPeriodic&) = delete;
  LeasedPeriodic& operator=(const LeasedPeriodic&) = delete;
  ~LeasedPeriodic() { stop(); }

  // Stops the job and gives the lease up, so another replica takes over at its next run rather
  // than after the TTL.
  void stop() {
    periodic_.stop();
    if (!held_.exchange(false)) return;
    try {
      leases_.release_lease(name_, owner_);
      spdlog::info("{}: released the lease", name_);
    } catch (const std::exception& e) {
      spdlog::warn("{}: could not release the lease: {}", name_, e.what());
    }
  }

  bool held() const { return held_; }
  // The lease is renewed before and after each run, so it must outlast one interval or one run,
  // whichever is longer: twice both, plus a second for scheduling jitter. A dead replica's
  // lease is taken over after at most this long.
  std::int64_t ttl_ms() const { return 2 * interval_ms_ + 2 * longest_run_ms_ + 1'000; }

 private:
  void tick() {
    if (!renew("")) return;
    const auto start = clock_();
    job_();
    longest_run_ms_ = std::max<std::int64_t>(longest_run_ms_, clock_() - start);
    // Renewed again now that the run's length is known, so the TTL counts from its end.
    renew(" (it expired during the run)");
  }

  // Takes or renews the lease; false (logged on a change) when another replica holds it.
  bool renew(const char* when) {
    const auto r = leases_.try_lease(name_, owner_, clock_(), ttl_ms());
    const bool was = held_.exchange(r.held);
    if (r.held && !r.taken_from.empty())
      spdlog::info("{}: took the lease over from {}, whose lease had expired (replica {})", name_,
                   r.taken_from, owner_);
    else if (r.held && !was)
      spdlog::info("{}: this replica ({}) holds the lease and runs it", name_, owner_);
    else if (!r.held && (was || first_))
      spdlog::info("{}: another replica holds the lease{}; this one stands by", name_, when);
    first_ = false;
    return r.held;
  }

  store::LeaseStore& leases_;
  const std::string name_, owner_;
  const std::int64_t interval_ms_;
  std::function<void()> job_;
  Clock clock_;
  std::atomic<bool> held_{false};
  bool first_ = true;  // only touched on the job thread
  std::atomic<std::int64_t> longest_run_ms_{0};
  Periodic periodic_;  // last: its thread starts in the constructor
};

}  // namespace coldtrack::app
