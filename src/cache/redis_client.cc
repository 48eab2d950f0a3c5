#include "cache/redis_client.h"

#include <hiredis/hiredis.h>

#include <boost/url/parse.hpp>

#include <pthread.h>
#include <sys/time.h>
#include <charconv>
#include <csignal>
#include <ctime>
#include <optional>

namespace coldtrack::cache {
namespace {

std::optional<int> parse_uint(std::string_view s, int max) {
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < 0 || v > max)
    return std::nullopt;
  return v;
}

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

RedisReply convert(const redisReply& r) {
  RedisReply out;
  switch (r.type) {
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r.integer;
      break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      out.type =
          r.type == REDIS_REPLY_STRING ? RedisReply::Type::kString : RedisReply::Type::kStatus;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      for (std::size_t i = 0; i < r.elements; ++i) out.elements.push_back(convert(*r.element[i]));
      break;
    default:  // REDIS_REPLY_NIL (errors are handled by the caller)
      break;
  }
  return out;
}

// hiredis writes with write(2): a peer that went away raises SIGPIPE, which would kill a process
// that does not ignore it. Blocks it on this thread for the call and drops one raised meanwhile.
class ScopedNoSigpipe {
 public:
  ScopedNoSigpipe() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~ScopedNoSigpipe() {
    if (!was_pending_) {
      sigset_t pending;
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        const timespec zero{};
        sigtimedwait(&pipe_, nullptr, &zero);
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  ScopedNoSigpipe(const ScopedNoSigpipe&) = delete;
  ScopedNoSigpipe& operator=(const ScopedNoSigpipe&) = delete;

 private:
  sigset_t pipe_, old_;
  bool was_pending_ = false;
};

struct ReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};

}  // namespace

std::variant<RedisUrl, std::string> parse_redis_url(std::string_view text) {
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) return std::string("not a URL; expected redis://[:password@]host[:port][/db]");
  const auto& u = *parsed;
  if (u.scheme() == "rediss") return std::string("TLS (rediss://) is not supported");
  if (u.scheme() != "redis") return std::string("the scheme must be redis://");
  RedisUrl out;
  out.host = u.host_address();
  if (out.host.empty()) return std::string("the host is missing");
  if (u.has_port()) {
    auto port = parse_uint(u.port(), 65535);
    if (!port || *port == 0) return std::string("the port is not in 1..65535");
    out.port = *port;
  }
  if (u.has_userinfo()) {
    out.username = u.user();
    out.password = u.password();
    if (!out.username.empty() && out.password.empty())
      return std::string("a user name needs a password (redis://user:password@host)");
  }
  std::string_view path = u.encoded_path();
  if (path.starts_with('/')) path.remove_prefix(1);
  if (!path.empty()) {
    auto db = parse_uint(path, 1'000'000);
    if (!db) return std::string("the path must be a database number, e.g. /0");
    out.db = *db;
  }
  if (u.has_query() || u.has_fragment())
    return std::string("query parameters and fragments are not supported");
  return out;
}

void RedisClient::ContextFree::operator()(redisContext* c) const {
  redisFree(c);
}

RedisClient::RedisClient(Options options) : options_(std::move(options)) {
  idle_.resize(std::max<std::size_t>(1, options_.pool_size));
}

RedisClient::~RedisClient() = default;

std::string RedisClient::describe() const {
  return options_.url.host + ":" + std::to_string(options_.url.port) + "/" +
         std::to_string(options_.url.db);
}

RedisError RedisClient::network_error(const redisContext* c, std::string_view what) const {
  std::string detail = c && c->err ? std::string(c->errstr) : "no reply";
  if (detail.empty()) detail = "error " + std::to_string(c->err);
  return RedisError{"redis " + describe() + ": " + std::string(what) + ": " + detail};
}

std::variant<RedisClient::Context, RedisError> RedisClient::connect() const {
  const timeval tv = to_timeval(options_.timeout);
  Context c(redisConnectWithTimeout(options_.url.host.c_str(), options_.url.port, tv));
  if (!c) return RedisError{"redis " + describe() + ": connect: out of memory"};
  if (c->err) return network_error(c.get(), "connect");
  if (redisSetTimeout(c.get(), tv) != REDIS_OK) return network_error(c.get(), "set timeout");
  redisEnableKeepAlive(c.get());
  // AUTH and SELECT run once per connection; their errors name the step, never the password.
  auto setup = [&](std::vector<std::string> argv,
                   std::string_view step) -> std::optional<RedisError> {
    std::vector<const char*> ptrs;
    std::vector<std::size_t> lens;
    for (const auto& a : argv) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
    std::unique_ptr<redisReply, ReplyFree> r(static_cast<redisReply*>(
        redisCommandArgv(c.get(), static_cast<int>(argv.size()), ptrs.data(), lens.data())));
    if (!r) return network_error(c.get(), step);
    if (r->type == REDIS_REPLY_ERROR)
      return RedisError{"redis " + describe() + ": " + std::string(step) +
                        " refused: " + std::string(r->str, r->len)};
    return std::nullopt;
  };
  const auto& url = options_.url;
  if (!url.password.empty()) {
    auto argv = url.username.empty() ? std::vector<std::string>{"AUTH", url.password}
                                     : std::vector<std::string>{"AUTH", url.username, url.password};
    if (auto e = setup(std::move(argv), "AUTH")) return *e;
  }
  if (url.db != 0) {
    if (auto e = setup({"SELECT", std::to_string(url.db)}, "SELECT")) return *e;
  }
  return c;
}

RedisResult RedisClient::command(std::initializer_list<std::string_view> args) {
  return command(std::vector<std::string_view>(args));
}

RedisResult RedisClient::command(const std::vector<std::string_view>& args) {
  Context c;
  {
    // Bounded wait: a stuck Redis must not queue callers forever.
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, options_.timeout, [&] { return !idle_.empty(); }))
      return RedisError{"redis " + describe() + ": no free connection within the timeout"};
    c = std::move(idle_.back());
    idle_.pop_back();
  }
  // Returns the slot (with its connection, or empty after a failure) to the pool.
  auto release = [&](Context back) {
    {
      std::lock_guard lock(mu_);
      idle_.push_back(std::move(back));
    }
    cv_.notify_one();
  };
  const ScopedNoSigpipe no_sigpipe;
  if (!c) {
    auto made = connect();
    if (auto* e = std::get_if<RedisError>(&made)) {
      release(nullptr);
      return *e;
    }
    c = std::move(std::get<Context>(made));
  }
  std::vector<const char*> ptrs;
  std::vector<std::size_t> lens;
  ptrs.reserve(args.size());
  lens.reserve(args.size());
  for (auto a : args) {
    ptrs.push_back(a.data());
    lens.push_back(a.size());
  }
  std::unique_ptr<redisReply, ReplyFree> r(static_cast<redisReply*>(
      redisCommandArgv(c.get(), static_cast<int>(args.size()), ptrs.data(), lens.data())));
  if (!r) {
    // The connection is unusable after an I/O error or a timeout: drop it.
    RedisError e = network_error(c.get(), args.size() ? std::string(args.begin()[0]) : "command");
    release(nullptr);
    return e;
  }
  RedisResult out = r->type == REDIS_REPLY_ERROR
                        ? RedisResult(RedisError{std::string(r->str, r->len), /*reply=*/true})
                        : RedisResult(convert(*r));
  release(std::move(c));
  return out;
}

}  // namespace coldtrack::cache
