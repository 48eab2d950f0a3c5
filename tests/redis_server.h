// Test helper: a real `redis-server` child process on a free local port, without persistence.
// Construction throws std::runtime_error with a clear message when redis-server is missing or
// does not answer, so tests fail instead of silently skipping. Never leaves a process behind.
#pragma once

#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "cache/redis_client.h"

namespace coldtrack::test_support {

class RedisServer {
 public:
  // Starts on a free port; `binary` is looked up in PATH (override: COLDTRACK_REDIS_SERVER).
  RedisServer() : port_(free_port()) {
    const char* env = std::getenv("COLDTRACK_REDIS_SERVER");
    binary_ = env && *env ? env : find_in_path("redis-server");
    if (binary_.empty())
      throw std::runtime_error(
          "redis-server not found in PATH; install it (apt-get install redis-server, or "
          "scripts/install-deps.sh) or set COLDTRACK_REDIS_SERVER to its path");
    log_ =
        (std::filesystem::temp_directory_path() /
         ("coldtrack-redis-" + std::to_string(::getpid()) + "-" + std::to_string(port_) + ".log"))
            .string();
    // The port was free when chosen; another process may take it before redis binds it.
    for (int attempt = 1;; ++attempt) {
      try {
        start();
        return;
      } catch (const std::runtime_error&) {
        if (attempt == 3) throw;
        port_ = free_port();
      }
    }
  }
  ~RedisServer() {
    stop();
    std::error_code ec;
    std::filesystem::remove(log_, ec);
  }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0"; }
  bool running() const { return pid_ > 0; }

  // (Re)starts on the same port and waits (bounded) until PING answers.
  void start() {
    if (pid_ > 0) return;
    const std::string port = std::to_string(port_);
    std::vector<std::string> args = {
        binary_,        "--port", port,          "--bind", "127.0.0.1",  "--save", "",
        "--appendonly", "no",     "--daemonize", "no",     "--loglevel", "warning"};
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // dies with the test process
      std::FILE* f = std::fopen(log_.c_str(), "a");
      if (f) {
        ::dup2(::fileno(f), 1);
        ::dup2(::fileno(f), 2);
      }
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      std::fprintf(stderr, "exec %s failed\n", argv[0]);
      ::_exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    cache::RedisClient::Options o;
    o.url.port = port_;
    o.timeout = std::chrono::milliseconds(100);
    for (;;) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("redis-server exited at start-up on port " + port + ": " +
                                 log_tail());
      }
      cache::RedisClient probe(o);
      auto r = probe.command({"PING"});
      if (std::holds_alternative<cache::RedisReply>(r)) return;
      if (std::chrono::steady_clock::now() > deadline) {
        stop();
        throw std::runtime_error("redis-server on port " + port +
                                 " did not answer PING within 5 s: " + log_tail());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  // SIGKILL (an outage as abrupt as a crash) and reap.
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  static int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      if (fd >= 0) ::close(fd);
      throw std::runtime_error("cannot find a free port for redis-server");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
  }

  static std::string find_in_path(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::stringstream dirs(std::string(path ? path : "") + ":/usr/bin:/usr/sbin:/usr/local/bin");
    for (std::string dir; std::getline(dirs, dir, ':');) {
      if (dir.empty()) continue;
      const std::string candidate = dir + "/" + name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    return "";
  }

  std::string log_tail() const {
    std::ifstream in(log_);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.size() > 800) text = "..." + text.substr(text.size() - 800);
    return text.empty() ? "(no output)" : text;
  }

  int port_;
  std::string binary_;
  std::string log_;
  pid_t pid_ = -1;
};

}  // namespace coldtrack::test_support
