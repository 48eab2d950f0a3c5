// Integration-test harness: runs the real `coldtrack` binary as a child process on a fresh
// temporary directory and database, talks to it over HTTP, and never leaves a process behind.
#pragma once

#include <sys/types.h>

#include <boost/json.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "http/client.h"

namespace coldtrack::it {

using namespace std::chrono_literals;
using Credentials = coldtrack::http::Credentials;

// An HTTP response plus convenience accessors.
struct Response {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names

  // Parses the body as JSON; throws with the body in the message when it is not JSON.
  boost::json::value json() const;
  // "" when absent.
  std::string header(const std::string& lower_name) const;
  // error.field / error.code of a JSON error body ("" when absent).
  std::string error_field() const;
  std::string error_code() const;
};

// Outcome of running `coldtrack <args>` to completion.
struct CliResult {
  int exit_code = -1;  // exit status, or -signal when killed by a signal
  std::string out;
  std::string err;
};

// One `coldtrack serve` process on its own temporary directory.
class ServerProcess {
 public:
  // `extra_env`: COLDTRACK_* settings on top of the harness defaults (fresh DB path, random
  // data key, port 0, host 127.0.0.1, log level warn). Does not start the server.
  explicit ServerProcess(std::map<std::string, std::string> extra_env = {});
  ~ServerProcess();  // SIGKILLs a still-running server, removes the directory
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Spawns `coldtrack serve` and waits (bounded) for its "listening on" line. Throws (with the
  // server's stderr) when it exits or does not get ready in time.
  void start(std::chrono::milliseconds ready_timeout = 15s);
  // Sends SIGTERM and waits (bounded) for the exit; returns the exit status (or -signal). A
  // server still running after `timeout` is SIGKILLed and -SIGKILL is returned.
  int stop(std::chrono::milliseconds timeout = 15s);
  // SIGKILL and reap.
  void kill9();
  // start() again on the same directory and database (after stop() or kill9()).
  void restart() { start(); }
  // Sends a signal without waiting.
  void signal(int sig);
  // Waits (bounded) for the process to exit; returns the status, nullopt on timeout.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  unsigned short port() const { return port_; }
  const std::string& dir() const { return dir_; }
  const std::map<std::string, std::string>& env() const { return env_; }
  // The settings that point another process at this one's database and shared caches (a
  // second replica): the store, cache and queue entries of env().
  std::map<std::string, std::string> shared_state_env() const;
  std::string stdout_text() const;
  std::string stderr_text() const;

  // Runs `coldtrack <args>` with the same environment (and so the same database and data key).
  // `input`: what the command reads on stdin (empty: /dev/null).
  CliResult cli(const std::vector<std::string>& args, std::chrono::milliseconds timeout = 15s,
                const std::string& input = {}) const;
  // `coldtrack apikey create --role <role>`; throws when it fails.
  Credentials create_key(const std::string& role) const;
  // Keys created on first use and then reused.
  const Credentials& admin();
  const Credentials& operator_key();
  const Credentials& viewer();

  // One request on a fresh connection; signed when `creds` is given.
  Response request(const std::string& method, const std::string& target,
                   const std::string& body = {},
                   const std::optional<Credentials>& creds = std::nullopt,
                   const std::map<std::string, std::string>& extra_headers = {}) const;
  Response get(const std::string& target, const std::optional<Credentials>& creds) const {
    return request("GET", target, {}, creds);
  }
  Response post(const std::string& target, const std::string& body,
                const std::optional<Credentials>& creds) const {
    return request("POST", target, body, creds);
  }
  // True when GET /healthz answers 200.
  bool healthy() const;

 private:
  std::string dir_;
  std::string mysql_database_;  // set when the suite runs on MariaDB
  std::map<std::string, std::string> env_;
  pid_t pid_ = -1;
  unsigned short port_ = 0;
  int starts_ = 0;
  std::optional<Credentials> admin_, operator_, viewer_;
};

// ---- Raw sockets, for what the HTTP client cannot express --------------------------------

// A parsed HTTP response read off a raw socket.
struct RawResponse {
  bool complete = false;  // a full response (head and body) was read
  bool closed = false;    // the server closed (or reset) the connection
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string raw;  // every byte received
};

// A blocking TCP connection to 127.0.0.1:port with timed reads.
class RawConnection {
 public:
  explicit RawConnection(unsigned short port);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  // Writes everything; false when the peer closed or reset the connection.
  bool send(const std::string& bytes);
  // Reads one response (or until the connection closes, or the timeout).
  RawResponse read_response(std::chrono::milliseconds timeout);
  // Waits until the server closes the connection; true if it did within `timeout`. Bytes the
  // server sent meanwhile are appended to `received` when given.
  bool wait_closed(std::chrono::milliseconds timeout, std::string* received = nullptr);
  int fd() const;

 private:
  struct Impl;
  Impl* impl_;
};

// The bytes of an HTTP/1.1 request; signed (now) when `creds` is given.
std::string raw_request(const std::string& method, const std::string& target,
                        const std::string& body = {},
                        const std::optional<Credentials>& creds = std::nullopt,
                        bool keep_alive = false);

// Sends `request` from a separate thread (so a server that answers early and closes cannot
// deadlock the test) and reads the response.
RawResponse raw_exchange(unsigned short port, const std::string& request,
                         std::chrono::milliseconds timeout = 10s);

// ---- Test data ------------------------------------------------------------------------------

// A fresh mainland mobile number "139xxxxxxxx" (random, so tests can filter on it).
std::string unique_phone();
// A fresh, valid order number with the given prefix.
std::string unique_order_no(const std::string& prefix = "IT");
// Now, as Unix milliseconds.
std::int64_t now_ms();
// RFC 3339 in +08:00 of a time `ms` (whole seconds).
std::string rfc3339(std::int64_t ms);

// A valid create-order body: one frozen item 2 x 1500 fen + 1000 shipping = 4000 fen.
boost::json::object order_body(const std::string& order_no, const std::string& phone);
std::string to_string(const boost::json::value& v);
// Percent-encodes a query value.
std::string url_encode(const std::string& s);

}  // namespace coldtrack::it
