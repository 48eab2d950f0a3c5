#include "http/server.h"

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <cstring>
#include <optional>

#include "http/blocking.h"
#include "security/crypto.h"
#include "store/sql/conn.h"

namespace coldtrack::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::ip::tcp;
using tuple_awaitable = asio::as_tuple_t<asio::use_awaitable_t<>>;
constexpr tuple_awaitable kTuple{};

namespace {

constexpr std::size_t kHeaderLimit = 16 * 1024;

bool valid_request_id(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_' || c == '.'))
      return false;
  }
  return true;
}

// 16 hex digits, unique per process in practice. Request ids correlate logs and answers; they
// are not secrets, so a per-thread generator seeded once from the system's randomness is enough
// (RAND_bytes per request took locks inside OpenSSL on the hot path).
std::string new_request_id() {
  thread_local std::uint64_t state = [] {
    std::uint64_t seed = 0;
    const auto bytes = security::random_bytes(sizeof seed);
    std::memcpy(&seed, bytes.data(), sizeof seed);
    return seed;
  }();
  // splitmix64: every call moves the state by a constant, so a thread never repeats an id.
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, z >>= 4) out[static_cast<std::size_t>(i)] = kDigits[z & 0xF];
  return out;
}

struct InFlight {
  explicit InFlight(std::atomic<int>& n) : n(n) { ++n; }
  ~InFlight() { --n; }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;
  std::atomic<int>& n;
};

// SO_REUSEPORT lets every I/O thread own an acceptor on the same port; the kernel spreads
// connections between them.
using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

}  // namespace

struct Server::Conn {
  explicit Conn(tcp::socket s) : stream(std::move(s)) {
    boost::system::error_code ec;
    auto ep = stream.socket().remote_endpoint(ec);
    if (!ec) addr = ep.address().to_string();
  }
  beast::tcp_stream stream;
  std::string addr;
  bool idle = true;  // only touched on the connection's own executor
};

struct Server::Worker {
  asio::io_context ioc{1};
  std::optional<tcp::acceptor> acceptor;
  std::thread thread;
};

Server::Server(ServerOptions options, const Router& router, Authenticator* auth,
               store::IdempotencyStore* idempotency, asio::thread_pool& pool, Metrics& metrics,
               std::function<std::int64_t()> clock)
    : options_(std::move(options)),
      router_(router),
      auth_(auth),
      idempotency_(idempotency),
      pool_(pool),
      metrics_(metrics),
      clock_(std::move(clock)) {}

unsigned short Server::start() {
  const auto address = asio::ip::make_address(options_.host);
  unsigned short port = options_.port;
  const int n = std::max(1, options_.io_threads);
  for (int i = 0; i < n; ++i) {
    auto w = std::make_unique<Worker>();
    w->acceptor.emplace(w->ioc);
    tcp::endpoint ep(address, port);
    w->acceptor->open(ep.protocol());
    w->acceptor->set_option(asio::socket_base::reuse_address(true));
    if (n > 1) w->acceptor->set_option(reuse_port(true));
    w->acceptor->bind(ep);
    w->acceptor->listen(asio::socket_base::max_listen_connections);
    port = w->acceptor->local_endpoint().port();
    workers_.push_back(std::move(w));
  }
  for (auto& w : workers_) {
    asio::co_spawn(w->ioc, accept_loop(*w), asio::detached);
    w->thread = std::thread([&ioc = w->ioc] { ioc.run(); });
  }
  return port;
}

asio::awaitable<void> Server::accept_loop(Worker& w) {
  for (;;) {
    auto [ec, socket] = co_await w.acceptor->async_accept(kTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !w.acceptor->is_open()) co_return;
      // Out of descriptors and the like: back off briefly instead of spinning.
      spdlog::warn("accept failed: {}", ec.message());
      asio::steady_timer t(w.ioc, std::chrono::milliseconds(50));
      co_await t.async_wait(kTuple);
      continue;
    }
    if (draining_) continue;
    boost::system::error_code ignore;
    socket.set_option(tcp::no_delay(true), ignore);
    auto conn = std::make_shared<Conn>(std::move(socket));
    {
      std::lock_guard lock(conns_mu_);
      conns_.insert(conn);
    }
    asio::co_spawn(w.ioc, session(conn), asio::detached);
  }
}

asio::awaitable<void> Server::session(std::shared_ptr<Conn> conn) {
  beast::flat_buffer buffer;
  auto& stream = conn->stream;
  try {
    for (;;) {
      conn->idle = true;
      if (draining_) break;
      if (buffer.size() == 0) {  // keep-alive: wait for the next request's first bytes
        stream.expires_after(options_.idle_timeout);
        auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), kTuple);
        if (ec) break;
        buffer.commit(n);
      }
      conn->idle = false;
      // From its first byte to its response, a request counts as in flight, so SIGTERM waits
      // for one still being received (bounded by the request timeout).
      InFlight in_flight(in_flight_);
      beast_http::request_parser<beast_http::string_body> parser;
      parser.header_limit(kHeaderLimit);
      parser.body_limit(options_.max_body_bytes);
      stream.expires_after(options_.request_timeout);  // bounds slow senders
      auto [ec, n] = co_await beast_http::async_read(stream, buffer, parser, kTuple);
      if (ec) {
        if (ec == beast_http::error::end_of_stream || ec == beast::error::timeout ||
            ec == asio::error::connection_reset || ec == asio::error::operation_aborted)
          break;
        beast_http::status status = beast_http::status::bad_request;
        std::string_view code = "invalid_argument", message = "malformed HTTP request";
        if (ec == beast_http::error::body_limit) {
          status = beast_http::status::payload_too_large;
          code = "payload_too_large";
          message = "request body is larger than the configured limit";
        } else if (ec == beast_http::error::header_limit) {
          status = beast_http::status::request_header_fields_too_large;
          code = "header_too_large";
          message = "request line and headers are larger than 16 KiB";
        }
        auto res = bare_error(status, code, message, new_request_id(), 11, false);
        stream.expires_after(std::chrono::seconds(5));
        co_await beast_http::async_write(stream, res, kTuple);
        break;
      }
      Response res = co_await dispatch(parser.get(), conn->addr);
      const bool keep = res.keep_alive() && !draining_;
      res.keep_alive(keep);
      stream.expires_after(options_.request_timeout);
      auto [wec, wn] = co_await beast_http::async_write(stream, res, kTuple);
      if (wec || !keep) break;
    }
  } catch (const std::exception& e) {
    spdlog::error("connection error: {}", e.what());
  }
  boost::system::error_code ignore;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignore);
  stream.socket().close(ignore);
  std::lock_guard lock(conns_mu_);
  conns_.erase(conn);
}

asio::awaitable<Response> Server::dispatch(const Request& req, const std::string& client_addr) {
  const auto started = std::chrono::steady_clock::now();
  const auto target = std::string_view(req.target().data(), req.target().size());
  const auto qpos = target.find('?');
  const auto incoming_id = req["X-Request-Id"];
  // Plain statements, no temporaries in conditionals: GCC 12 coroutines mishandle those.
  std::string request_id;
  if (valid_request_id(incoming_id)) {
    request_id.assign(incoming_id.data(), incoming_id.size());
  } else {
    request_id = new_request_id();
  }
  std::string_view raw_query;
  if (qpos != std::string_view::npos) raw_query = target.substr(qpos + 1);
  Context ctx{req, std::move(request_id), client_addr, target.substr(0, qpos), raw_query,
              {},  std::nullopt};
  std::string_view route_name = "unmatched";
  Response res;
  try {
    auto m = router_.match(req.method(), ctx.path);
    if (!m.route) {
      if (!m.allowed.empty()) {
        res = error_response(ctx, beast_http::status::method_not_allowed, "method_not_allowed",
                             "method not allowed; allowed: " + m.allowed);
        res.set(beast_http::field::allow, m.allowed);
      } else {
        res = error_response(ctx, beast_http::status::not_found, "not_found", "no such route");
      }
    } else {
      route_name = m.route->pattern;
      ctx.params = std::move(m.params);
      std::optional<Response> denied;
      if (m.route->access == Access::kSigned) {
        const auto key_header = req["X-Api-Key"];
        const std::string_view key(key_header.data(), key_header.size());
        KeyRef info;
        const auto bearer = bearer_token(req);
        // Who is calling, once authenticated; the role check below serves both kinds.
        std::optional<Principal> caller;
        if (key.empty() && staff_sessions_ && !bearer.empty()) {
          // A console session: the role comes from the staff account at each request.
          auto lookup = [this, token = std::string(bearer)] { return staff_sessions_(token); };
          caller = co_await on_pool(pool_, std::move(lookup));
          if (!caller)
            denied = error_response(ctx, beast_http::status::unauthorized, "unauthenticated",
                                    "the session has expired or ended; log in again");
        } else if (key.empty() || key.size() > 64 || !auth_) {
          denied = error_response(
              ctx, beast_http::status::unauthorized, "unauthenticated",
              staff_sessions_ ? "X-Api-Key (signed) or Authorization: Bearer <staff session> is "
                                "required"
                              : "X-Api-Key is required");
        } else {
          info = auth_->cached(key);
          if (!info) {
            // Named, not a temporary: GCC 12 destroys temporaries in a co_await twice.
            auto load = [this, k = std::string(key)] { return auth_->load(k); };
            info = co_await on_pool(pool_, std::move(load));
          }
          std::optional<AuthFailure> failure;
          if (info && auth_->verify_blocks()) {
            // A shared nonce store answers over the network: never wait on an I/O thread.
            auto check = [this, &ctx, &info, now = clock_()] {
              return auth_->verify(ctx, *info, now);
            };
            failure = co_await on_pool(pool_, std::move(check));
          } else if (info) {
            failure = auth_->verify(ctx, *info, clock_());
          }
          if (!info) {
            denied = error_response(ctx, beast_http::status::unauthorized, "unauthenticated",
                                    "unknown or revoked API key");
          } else if (failure) {
            denied = error_response(ctx, beast_http::status::unauthorized, "unauthenticated",
                                    failure->message);
          } else {
            caller = Principal{info->principal, info->role};
          }
        }
        if (caller && caller->role < m.route->min_role) {
          denied = error_response(
              ctx, beast_http::status::forbidden, "permission_denied",
              fmt::format("this action needs the {} role", role_name(m.route->min_role)));
        } else if (caller) {
          ctx.principal = std::move(caller);
        }
      }
      // Not a conditional expression: GCC 12 miscompiles co_await inside ?: (double free).
      if (denied) {
        res = std::move(*denied);
      } else if (!ctx.query_valid()) {
        res = error_response(ctx, beast_http::status::bad_request, "invalid_argument",
                             "malformed query string", "query");
      } else if (req.method() == beast_http::verb::post && ctx.principal && idempotency_ &&
                 !req["Idempotency-Key"].empty()) {
        res = co_await idempotent(ctx, *m.route);
      } else {
        res = co_await m.route->handler(ctx);
      }
    }
  } catch (const store::sql::Error& e) {
    // Transient: SQLite busy past its timeout, MariaDB deadlocks past the retries or the
    // server unreachable. Nothing was acknowledged, so the client may retry.
    const bool busy = e.retryable;
    spdlog::error("request {} store error: {}", ctx.request_id, e.what());
    res = error_response(
        ctx, beast_http::status::service_unavailable, "unavailable",
        busy ? "the database is busy or unreachable; retry shortly" : "storage error");
    if (busy) res.set(beast_http::field::retry_after, "1");
  } catch (const std::exception& e) {
    spdlog::error("request {} failed: {}", ctx.request_id, e.what());
    res = error_response(ctx, beast_http::status::internal_server_error, "internal",
                         "internal error; quote the request_id when reporting it");
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  metrics_.observe(route_name, req.method_string(), res.result_int(), seconds);
  // The query string is not logged: it can carry phone numbers.
  spdlog::debug("request {} {} {} {} {:.3f}ms", ctx.request_id, req.method_string(), route_name,
                res.result_int(), seconds * 1000);
  co_return res;
}

// Idempotency-Key: the first response to a (key, Idempotency-Key) pair is stored and replayed
// for the same request; the same Idempotency-Key with a different request is a conflict.
asio::awaitable<Response> Server::idempotent(Context& ctx, const Route& route) {
  const auto idem = ctx.req["Idempotency-Key"];
  const bool printable =
      std::all_of(idem.begin(), idem.end(), [](char c) { return c > 0x20 && c < 0x7f; });
  if (idem.size() > 128 || !printable)
    co_return error_response(ctx, beast_http::status::bad_request, "invalid_argument",
                             "must be 1-128 printable ASCII characters", "Idempotency-Key");
  const std::string scope = ctx.principal->actor + "\n" + std::string(idem);
  const std::string hash =
      security::sha256_hex(std::string(ctx.req.method_string()) + " " + std::string(ctx.path) +
                           "?" + std::string(ctx.raw_query) + "\n" + ctx.req.body());
  auto find = [this, scope] { return idempotency_->find_idempotent(scope); };
  auto prior = co_await on_pool(pool_, std::move(find));
  if (prior) {
    if (prior->request_hash != hash)
      co_return error_response(ctx, beast_http::status::conflict, "conflict",
                               "Idempotency-Key was already used for a different request",
                               "Idempotency-Key");
    Response res = body_response(ctx, static_cast<beast_http::status>(prior->status),
                                 "application/json; charset=utf-8", std::move(prior->body));
    res.set("Idempotent-Replayed", "true");
    co_return res;
  }
  Response res = co_await route.handler(ctx);
  if (res.result_int() < 500) {  // server failures may be retried for real
    auto save =
        [this, scope,
         stored = store::IdempotentResponse{hash, static_cast<int>(res.result_int()), res.body()},
         now = clock_()] { idempotency_->save_idempotent(scope, stored, now); };
    co_await on_pool(pool_, std::move(save));
  }
  co_return res;
}

int Server::drain(std::chrono::milliseconds grace) {
  draining_ = true;
  for (auto& w : workers_) {
    asio::post(w->ioc, [&w] {
      boost::system::error_code ignore;
      if (w->acceptor) w->acceptor->close(ignore);
    });
  }
  // Idle keep-alive connections are closed now; busy ones close after their response.
  std::vector<std::shared_ptr<Conn>> conns;
  {
    std::lock_guard lock(conns_mu_);
    conns.assign(conns_.begin(), conns_.end());
  }
  for (auto& c : conns) {
    asio::post(c->stream.get_executor(), [c] {
      if (c->idle) c->stream.cancel();
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (in_flight_.load() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return in_flight_.load();
}

void Server::stop() {
  for (auto& w : workers_) w->ioc.stop();
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
  }
}

Server::~Server() {
  stop();
  // Connections go before their io_context (a stream outliving its context crashes), and the
  // contexts only now: work finishing on the pool still holds their executors until the pool
  // is joined, which the owner does between stop() and destruction.
  {
    std::lock_guard lock(conns_mu_);
    conns_.clear();
  }
  workers_.clear();
}

}  // namespace coldtrack::http
