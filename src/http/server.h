// The HTTP/1.1 server: one io_context and one thread per I/O thread, each with its own
// SO_REUSEPORT acceptor; one coroutine per connection; handlers run as coroutines and send
// blocking work to the worker pool.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "http/auth.h"
#include "http/metrics.h"
#include "http/router.h"
#include "store/store.h"

namespace coldtrack::http {

struct ServerOptions {
  std::string host = "0.0.0.0";
  unsigned short port = 8080;
  int io_threads = 1;
  std::size_t max_body_bytes = 1 << 20;
  std::chrono::seconds request_timeout{10};
  std::chrono::seconds idle_timeout{60};
};

class Server {
 public:
  // `auth` and `idempotency` may be null for a server without signed routes (the metrics
  // listener).
  Server(ServerOptions options, const Router& router, Authenticator* auth,
         store::IdempotencyStore* idempotency, boost::asio::thread_pool& pool, Metrics& metrics,
         std::function<std::int64_t()> clock);
  ~Server();
  // Staff console sessions: with this set, a signed route also accepts
  // `Authorization: Bearer <token>` from POST /api/auth/login instead of X-Api-Key. Called on
  // the worker pool (it reads the store); nullopt for an unknown or expired session.
  using StaffSessions = std::function<std::optional<Principal>(const std::string& token)>;
  void set_staff_sessions(StaffSessions lookup) { staff_sessions_ = std::move(lookup); }

  // Binds and starts the I/O threads; returns the bound port. Throws on bind failure.
  unsigned short start();
  // Stops accepting, closes idle keep-alive connections, and waits up to `grace` for
  // requests in flight. Returns the number of requests still running at the deadline.
  int drain(std::chrono::milliseconds grace);
  // Stops the I/O threads (after drain). Join the worker pool after this and before the
  // Server is destroyed: pool work may still hold the I/O contexts' executors.
  void stop();

  int in_flight() const { return in_flight_.load(); }

 private:
  struct Conn;
  struct Worker;
  boost::asio::awaitable<void> accept_loop(Worker& w);
  boost::asio::awaitable<void> session(std::shared_ptr<Conn> conn);
  boost::asio::awaitable<Response> dispatch(const Request& req, const std::string& client_addr);
  boost::asio::awaitable<Response> idempotent(Context& ctx, const Route& route);

  ServerOptions options_;
  const Router& router_;
  Authenticator* auth_;
  StaffSessions staff_sessions_;
  store::IdempotencyStore* idempotency_;
  boost::asio::thread_pool& pool_;
  Metrics& metrics_;
  std::function<std::int64_t()> clock_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<int> in_flight_{0};
  std::atomic<bool> draining_{false};
  std::mutex conns_mu_;
  std::unordered_set<std::shared_ptr<Conn>> conns_;
};

}  // namespace coldtrack::http
