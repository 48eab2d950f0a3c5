// Runs a job on its own thread now and then every `interval` until stopped. A job that throws
// is logged and retried at the next interval.
#pragma once

#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace coldtrack::app {

class Periodic {
 public:
  Periodic(std::string name, std::chrono::milliseconds interval, std::function<void()> job)
      : name_(std::move(name)), interval_(interval), job_(std::move(job)) {
    thread_ = std::thread([this] { run(); });
  }
  Periodic(const Periodic&) = delete;
  Periodic& operator=(const Periodic&) = delete;
  ~Periodic() { stop(); }

  void stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void run() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      lock.unlock();
      try {
        job_();
      } catch (const std::exception& e) {
        spdlog::error("{} failed: {}", name_, e.what());
      }
      lock.lock();
      cv_.wait_for(lock, interval_, [this] { return stopping_; });
    }
  }

  std::string name_;
  std::chrono::milliseconds interval_;
  std::function<void()> job_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace coldtrack::app
