// A small blocking Redis client over hiredis, safe to share between threads: a fixed pool of
// connections, each used by one caller at a time. Connections open lazily and are dropped after
// a network error, so the next command reconnects. Network errors never throw; they come back
// as a RedisError, so callers (the failover decorators) can degrade instead of failing.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

struct redisContext;

namespace coldtrack::cache {

struct RedisUrl {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  std::string username;  // Redis 6 ACL user; empty: AUTH with the password only
  std::string password;  // empty: no AUTH
};

// Parses redis://[[user]:password@]host[:port][/db]. The error message never contains the
// password, so it can be logged and shown in configuration errors.
std::variant<RedisUrl, std::string> parse_redis_url(std::string_view url);

// A reply reduced to what callers need. Error replies become a RedisError instead.
struct RedisReply {
  enum class Type { kNil, kInteger, kString, kStatus, kArray };
  Type type = Type::kNil;
  long long integer = 0;
  std::string str;  // kString, kStatus
  std::vector<RedisReply> elements;
};

struct RedisError {
  std::string message;
  bool reply = false;  // the server answered with an error (e.g. NOSCRIPT), the link is fine
};

using RedisResult = std::variant<RedisReply, RedisError>;

class RedisClient {
 public:
  struct Options {
    RedisUrl url;
    std::chrono::milliseconds timeout{250};  // connect, per command, and waiting for a connection
    std::size_t pool_size = 2;
  };
  explicit RedisClient(Options options);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Runs one command with binary-safe arguments, e.g. {"SET", key, value, "NX"}.
  RedisResult command(std::initializer_list<std::string_view> args);
  RedisResult command(const std::vector<std::string_view>& args);

  // "host:port/db", for log lines (no password).
  std::string describe() const;

 private:
  struct ContextFree {
    void operator()(redisContext* c) const;
  };
  using Context = std::unique_ptr<redisContext, ContextFree>;

  std::variant<Context, RedisError> connect() const;
  RedisError network_error(const redisContext* c, std::string_view what) const;

  Options options_;
  std::mutex mu_;
  std::condition_variable cv_;
  // Idle slots; an empty Context is a slot whose connection must be (re)opened.
  std::vector<Context> idle_;
};

}  // namespace coldtrack::cache
