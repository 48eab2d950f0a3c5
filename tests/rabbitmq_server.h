// Test helper: a private `rabbitmq-server` (not the system service) as a child process, with its
// own node name, ports, data/log/config directories, HOME and Erlang cookie in a temp directory,
// and its own epmd on a private port (so no daemonized epmd outlives the test). Construction
// throws std::runtime_error with a clear message when the broker is missing or does not accept
// an AMQP login within 30 s, so tests fail instead of silently skipping.
#pragma once

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace coldtrack::test_support {

class RabbitMqServer {
 public:
  RabbitMqServer() : port_(free_port()), dist_port_(free_port()), epmd_port_(free_port()) {
    const char* env = std::getenv("COLDTRACK_RABBITMQ_SERVER");
    binary_ = env && *env ? env : "/usr/lib/rabbitmq/bin/rabbitmq-server";
    if (::access(binary_.c_str(), X_OK) != 0)
      throw std::runtime_error(
          binary_ +
          " not found; install rabbitmq-server (apt-get install rabbitmq-server, or "
          "scripts/install-deps.sh) or set COLDTRACK_RABBITMQ_SERVER to its path");
    // Orphaned broker processes (beam.smp outlives the start script) become our children, so
    // stop() can reap all of them and the ports are free when it returns.
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    epmd_ = ::access("/usr/bin/epmd", X_OK) == 0 ? "/usr/bin/epmd" : "/usr/lib/erlang/bin/epmd";
    // The ports were free when chosen; another process may take one before the broker binds
    // it: start again on new ports then.
    for (int attempt = 1;; ++attempt) {
      dir_ = std::filesystem::temp_directory_path() /
             ("coldtrack-rabbit-" + std::to_string(::getpid()) + "-" + std::to_string(port_));
      std::filesystem::remove_all(dir_);
      std::filesystem::create_directories(dir_ / "home");
      write_files();
      start_epmd();
      try {
        start();
        return;
      } catch (...) {
        kill_group(epmd_pid_);
        if (attempt == 3) throw;
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
        port_ = free_port();
        dist_port_ = free_port();
        epmd_port_ = free_port();
      }
    }
  }
  ~RabbitMqServer() {
    stop();
    kill_group(epmd_pid_);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  RabbitMqServer(const RabbitMqServer&) = delete;
  RabbitMqServer& operator=(const RabbitMqServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "amqp://guest:guest@127.0.0.1:" + std::to_string(port_) + "/"; }
  // How long the last start() took until the broker accepted a login.
  std::chrono::milliseconds start_time() const { return start_time_; }

  // (Re)starts on the same ports and data directory (durable queues and persistent messages
  // survive) and waits, bounded, until an AMQP login succeeds.
  void start() {
    if (pid_ > 0) return;
    const auto began = std::chrono::steady_clock::now();
    pid_ = spawn({binary_}, (dir_ / "rabbit.log").string());
    const auto deadline = began + std::chrono::seconds(30);
    for (;;) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("rabbitmq-server exited at start-up on port " +
                                 std::to_string(port_) + ": " + log_tail());
      }
      if (can_login()) break;
      if (std::chrono::steady_clock::now() > deadline) {
        const std::string tail = log_tail();
        stop();
        throw std::runtime_error("rabbitmq-server on port " + std::to_string(port_) +
                                 " did not accept an AMQP login within 30 s: " + tail);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    start_time_ = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - began);
  }

  // SIGKILL to the broker's whole process group (the script, beam.smp and its helpers): an
  // outage as abrupt as a crash.
  void stop() {
    kill_group(pid_);
    pid_ = -1;
  }

 private:
  void write_files() {
    std::mt19937_64 rng(std::random_device{}());
    std::string cookie;
    for (int i = 0; i < 32; ++i) cookie += static_cast<char>('A' + rng() % 26);
    const auto cookie_path = dir_ / "home" / ".erlang.cookie";
    std::ofstream(cookie_path) << cookie;
    std::filesystem::permissions(cookie_path, std::filesystem::perms::owner_read);
    // No resource alarms in a test box (they would block publishers), guest over loopback only.
    std::ofstream(dir_ / "rabbit.conf") << "loopback_users.guest = true\n"
                                           "disk_free_limit.absolute = 1\n"
                                           "vm_memory_high_watermark.absolute = 4GB\n"
                                           "log.file.level = warning\n";
    std::ofstream(dir_ / "enabled_plugins") << "[].\n";
  }

  std::vector<std::string> environment() const {
    std::map<std::string, std::string> env;
    for (char** e = environ; *e; ++e) {
      const std::string kv = *e;
      const auto eq = kv.find('=');
      if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    const std::string d = dir_.string();
    env["HOME"] = d + "/home";
    env["RABBITMQ_NODENAME"] = "ct" + std::to_string(::getpid()) + "@localhost";
    env["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1";
    env["RABBITMQ_NODE_PORT"] = std::to_string(port_);
    env["RABBITMQ_DIST_PORT"] = std::to_string(dist_port_);
    env["ERL_EPMD_PORT"] = std::to_string(epmd_port_);
    env["RABBITMQ_MNESIA_BASE"] = d + "/mnesia";
    env["RABBITMQ_LOG_BASE"] = d + "/log";
    env["RABBITMQ_CONFIG_FILE"] = d + "/rabbit.conf";
    env["RABBITMQ_ADVANCED_CONFIG_FILE"] = d + "/advanced.config";
    env["RABBITMQ_CONF_ENV_FILE"] = d + "/rabbitmq-env.conf";
    env["RABBITMQ_ENABLED_PLUGINS_FILE"] = d + "/enabled_plugins";
    env["RABBITMQ_PID_FILE"] = d + "/rabbit.pid";
    // Two cores in CI: no busy-waiting schedulers competing with the test process.
    env["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] =
        "+sbwt none +sbwtdcpu none +sbwtdio none -start_epmd false";
    std::vector<std::string> out;
    for (const auto& [k, v] : env) out.push_back(k + "=" + v);
    return out;
  }

  void start_epmd() {
    epmd_pid_ = spawn({epmd_, "-port", std::to_string(epmd_port_), "-address", "127.0.0.1"},
                      (dir_ / "epmd.log").string());
  }

  // fork + exec in a new process group (so stop() reaches every descendant), environment and
  // argv prepared before fork (nothing but async-signal-safe calls in the child).
  pid_t spawn(std::vector<std::string> args, const std::string& log) {
    auto env = environment();
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    const std::string cwd = dir_.string();
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      ::setpgid(0, 0);
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::chdir(cwd.c_str()) != 0) ::_exit(126);
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      ::execve(argv[0], argv.data(), envp.data());
      ::_exit(127);
    }
    ::setpgid(pid, pid);  // also from the parent, so the group exists before we might kill it
    return pid;
  }

  static void kill_group(pid_t pid) {
    if (pid <= 0) return;
    ::kill(-pid, SIGKILL);
    for (;;) {  // every member of the group, not only its leader
      if (::waitpid(-pid, nullptr, 0) > 0) continue;
      if (errno == EINTR) continue;
      break;
    }
  }

  bool can_login() const {
    amqp_connection_state_t c = amqp_new_connection();
    amqp_socket_t* s = amqp_tcp_socket_new(c);
    timeval tv{0, 500'000};
    bool ok = false;
    if (s && amqp_socket_open_noblock(s, "127.0.0.1", port_, &tv) == AMQP_STATUS_OK) {
      amqp_set_handshake_timeout(c, &tv);
      amqp_set_rpc_timeout(c, &tv);
      ok = amqp_login(c, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest").reply_type ==
           AMQP_RESPONSE_NORMAL;
      if (ok) amqp_connection_close(c, AMQP_REPLY_SUCCESS);
    }
    amqp_destroy_connection(c);
    return ok;
  }

  static int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      if (fd >= 0) ::close(fd);
      throw std::runtime_error("cannot find a free port for rabbitmq-server");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
  }

  std::string log_tail() const {
    std::string text;
    for (const char* name : {"rabbit.log", "epmd.log"}) {
      std::ifstream in(dir_ / name);
      text += std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    }
    if (text.size() > 1500) text = "..." + text.substr(text.size() - 1500);
    return text.empty() ? "(no output)" : text;
  }

  int port_, dist_port_, epmd_port_;
  std::string binary_, epmd_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  pid_t epmd_pid_ = -1;
  std::chrono::milliseconds start_time_{0};
};

struct Received {
  std::string message_id, routing_key, content_type, body;
  int delivery_mode = 0;
};

// A plain librabbitmq consumer (for tests): a durable queue bound to the relay's exchange, drained
// with basic.get (auto-ack).
class TestConsumer {
 public:
  TestConsumer(int port, const std::string& exchange, const std::string& queue) : queue_(queue) {
    c_ = amqp_new_connection();
    amqp_socket_t* s = amqp_tcp_socket_new(c_);
    timeval tv{5, 0};
    if (!s || amqp_socket_open_noblock(s, "127.0.0.1", port, &tv) != AMQP_STATUS_OK)
      throw std::runtime_error("test consumer cannot connect");
    amqp_set_rpc_timeout(c_, &tv);
    check(amqp_login(c_, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest"), "login");
    amqp_channel_open(c_, 1);
    check(amqp_get_rpc_reply(c_), "channel.open");
    amqp_exchange_declare(c_, 1, amqp_cstring_bytes(exchange.c_str()), amqp_cstring_bytes("topic"),
                          0, 1, 0, 0, amqp_empty_table);
    check(amqp_get_rpc_reply(c_), "exchange.declare");
    amqp_queue_declare(c_, 1, amqp_cstring_bytes(queue.c_str()), 0, 1, 0, 0, amqp_empty_table);
    check(amqp_get_rpc_reply(c_), "queue.declare");
    amqp_queue_bind(c_, 1, amqp_cstring_bytes(queue.c_str()), amqp_cstring_bytes(exchange.c_str()),
                    amqp_cstring_bytes("#"), amqp_empty_table);
    check(amqp_get_rpc_reply(c_), "queue.bind");
  }
  ~TestConsumer() {
    amqp_connection_close(c_, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(c_);
  }

  std::vector<Received> drain() {
    std::vector<Received> out;
    for (;;) {
      amqp_maybe_release_buffers(c_);
      auto r = amqp_basic_get(c_, 1, amqp_cstring_bytes(queue_.c_str()), /*no_ack=*/1);
      check(r, "basic.get");
      if (r.reply.id == AMQP_BASIC_GET_EMPTY_METHOD) return out;
      const auto* ok = static_cast<const amqp_basic_get_ok_t*>(r.reply.decoded);
      Received m;
      m.routing_key = str(ok->routing_key);
      amqp_message_t msg;
      check(amqp_read_message(c_, 1, &msg, 0), "read message");
      const auto& p = msg.properties;
      if (p._flags & AMQP_BASIC_MESSAGE_ID_FLAG) m.message_id = str(p.message_id);
      if (p._flags & AMQP_BASIC_CONTENT_TYPE_FLAG) m.content_type = str(p.content_type);
      if (p._flags & AMQP_BASIC_DELIVERY_MODE_FLAG) m.delivery_mode = p.delivery_mode;
      m.body = str(msg.body);
      amqp_destroy_message(&msg);
      out.push_back(std::move(m));
    }
  }

 private:
  static std::string str(amqp_bytes_t b) {
    return std::string(static_cast<const char*>(b.bytes), b.len);
  }
  static void check(const amqp_rpc_reply_t& r, const char* what) {
    if (r.reply_type != AMQP_RESPONSE_NORMAL)
      throw std::runtime_error(std::string("test consumer: ") + what + " failed");
  }
  amqp_connection_state_t c_;
  std::string queue_;
};

}  // namespace coldtrack::test_support
