// Test helper: a private MariaDB server (`mariadbd`) in a temporary data directory on a free
// local port, root without a password. Construction throws std::runtime_error with a clear
// message (and the server's log) when MariaDB is missing or does not start, so tests fail
// instead of silently skipping. Never leaves a process behind.
//
// With COLDTRACK_TEST_MYSQL_URL set (e.g. mysql://root:pw@127.0.0.1:3306/) no server is started:
// tests use that one, and stop()/start()/kill9() throw.
#pragma once

#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "store/mysql/conn.h"

namespace coldtrack::test_support {

class MariadbServer {
 public:
  // One server for the whole test process, started on first use: start-up costs about a second.
  // Call it first from the main thread (see spawn()).
  static MariadbServer& shared() {
    static MariadbServer server;
    return server;
  }

  MariadbServer() {
    if (const char* url = std::getenv("COLDTRACK_TEST_MYSQL_URL"); url && *url) {
      external_ = url;
      return;
    }
    mariadbd_ = find_binary("mariadbd");
    install_db_ = find_binary("mariadb-install-db");
    remove_stale_dirs();
    dir_ = make_dir();
    try {
      initialise();
      // The port was free when chosen; another process may take it before mariadbd binds it.
      for (int attempt = 1;; ++attempt) {
        port_ = free_port();
        try {
          start();
          return;
        } catch (const std::runtime_error&) {
          if (attempt == 3) throw;
        }
      }
    } catch (...) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
      throw;
    }
  }
  ~MariadbServer() {
    if (external()) return;
    kill9();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  MariadbServer(const MariadbServer&) = delete;
  MariadbServer& operator=(const MariadbServer&) = delete;

  bool external() const { return !external_.empty(); }
  int port() const { return port_; }
  bool running() const { return pid_ > 0; }

  // mysql://root@127.0.0.1:PORT/<database> (or the external URL with that database).
  std::string url(const std::string& database) const {
    if (!external()) return "mysql://root@127.0.0.1:" + std::to_string(port_) + "/" + database;
    const auto q = external_.find('?');
    std::string base = external_.substr(0, q);
    const std::string query = q == std::string::npos ? "" : external_.substr(q);
    const auto authority = base.find("://");
    const auto slash = base.find('/', authority == std::string::npos ? 0 : authority + 3);
    if (slash != std::string::npos) base.resize(slash);
    return base + "/" + database + query;
  }

  // Options for `database` with short timeouts, so that a broken test fails fast.
  store::mysql::MysqlOptions options(const std::string& database) const {
    store::mysql::MysqlOptions o;
    o.url = store::mysql::parse_mysql_url(url(database));
    o.connect_timeout_ms = 2000;
    o.rw_timeout_ms = 20000;
    return o;
  }

  // A database name no other test (or test process) uses: prefix_pid_counter.
  static std::string fresh_database(const std::string& prefix) {
    static std::atomic<int> counter{0};
    return prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
  }

  void drop_database(const std::string& name) {
    store::mysql::MysqlConn conn(options("mysql"));
    conn.exec("DROP DATABASE IF EXISTS `" + name + "`");
  }

  // (Re)starts on the same port and data directory and waits (bounded) until it accepts a
  // connection.
  void start() {
    require_private("start");
    if (pid_ > 0) return;
    spawn(server_args(), log_path());
    wait_ready();
  }

  // A clean shutdown (SIGTERM), then SIGKILL if it takes more than 30 s.
  void stop() {
    require_private("stop");
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    if (!reap_within(std::chrono::seconds(30))) kill9();
    pid_ = -1;
  }

  // An outage as abrupt as a crash (InnoDB recovers at the next start()).
  void kill9() {
    require_private("kill9");
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  static constexpr const char* kDirPrefix = "coldtrack-mariadb-";

  std::string data_dir() const { return dir_ + "/data"; }
  std::string log_path() const { return dir_ + "/mariadbd.log"; }

  void require_private(const char* what) const {
    if (external())
      throw std::runtime_error(std::string("MariadbServer::") + what +
                               " is not supported with an external server "
                               "(COLDTRACK_TEST_MYSQL_URL)");
  }

  std::vector<std::string> common_args() const {
    std::vector<std::string> args = {
        "--no-defaults",  // must come first
        "--datadir=" + data_dir(),
        "--skip-name-resolve",
        "--innodb-buffer-pool-size=64M",
        // The same redo log size at initialisation and start, so start-up does not resize it.
        "--innodb-log-file-size=16M",
    };
    if (::geteuid() == 0) args.push_back("--user=root");  // mariadbd refuses root otherwise
    return args;
  }

  std::vector<std::string> server_args() const {
    std::vector<std::string> args = common_args();
    args.insert(args.begin(), mariadbd_);
    for (const char* a : {
             "--bind-address=127.0.0.1",
             "--skip-log-bin",
             // Test speed over durability: a crash may lose the last second of commits, which
             // no test relies on (kill9() tests reconnection, not durability).
             "--innodb-flush-log-at-trx-commit=2",
             "--innodb-doublewrite=0",
             "--innodb-buffer-pool-load-at-startup=0",
             "--innodb-buffer-pool-dump-at-shutdown=0",
             "--performance-schema=0",
         })
      args.push_back(a);
    args.push_back("--port=" + std::to_string(port_));
    args.push_back("--socket=" + dir_ + "/sock");
    args.push_back("--pid-file=" + dir_ + "/mariadbd.pid");
    return args;
  }

  // System tables and a root user that logs in over TCP without a password (~0.5 s).
  void initialise() {
    std::vector<std::string> args = common_args();
    args.insert(args.begin(), install_db_);
    args.push_back("--auth-root-authentication-method=normal");
    args.push_back("--skip-test-db");
    const std::string log = dir_ + "/install-db.log";
    spawn(args, log);
    int status = 0;
    if (!reap_within(std::chrono::seconds(60), &status)) {
      kill9();
      throw std::runtime_error("mariadb-install-db did not finish within 60 s: " + tail(log));
    }
    pid_ = -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      throw std::runtime_error("mariadb-install-db failed: " + tail(log));
  }

  void spawn(std::vector<std::string> args, const std::string& log) {
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ > 0) return;
    // Dies with the test process. (The signal follows the forking *thread*, hence shared() is
    // best first called from the main thread.)
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);
    if (std::FILE* f = std::fopen(log.c_str(), "a")) {
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

  void wait_ready() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    auto probe = options("mysql");
    probe.connect_timeout_ms = 1000;
    probe.rw_timeout_ms = 2000;
    for (;;) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("mariadbd exited at start-up on port " + std::to_string(port_) +
                                 ": " + tail(log_path()));
      }
      try {
        store::mysql::MysqlConn conn(probe);
        return;
      } catch (const store::sql::Error& e) {
        if (std::chrono::steady_clock::now() > deadline) {
          kill9();
          throw std::runtime_error("mariadbd on port " + std::to_string(port_) +
                                   " did not accept a connection within 30 s (" + e.what() +
                                   "): " + tail(log_path()));
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  // Waits for the child; false when it is still running at the deadline.
  bool reap_within(std::chrono::seconds limit, int* status = nullptr) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (::waitpid(pid_, status, WNOHANG) == pid_) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  // tmpfs when there is one: initialisation fsyncs ~1000 times (4 s on a slow disk, 0.9 s here).
  static std::filesystem::path base_dir() {
    if (::access("/dev/shm", W_OK | X_OK) == 0) return "/dev/shm";
    return std::filesystem::temp_directory_path();
  }

  static std::string make_dir() {
    const std::string pattern =
        (base_dir() / (kDirPrefix + std::to_string(::getpid()) + "-XXXXXX")).string();
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data()))
      throw std::runtime_error("cannot create a temporary directory for mariadbd: " + pattern);
    return buf.data();
  }

  // Data directories of test processes that crashed (their pid is gone).
  static void remove_stale_dirs() {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(base_dir(), ec)) {
      const std::string name = entry.path().filename().string();
      if (!name.starts_with(kDirPrefix)) continue;
      const int pid = std::atoi(name.c_str() + std::string(kDirPrefix).size());
      if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH)
        std::filesystem::remove_all(entry.path(), ec);
    }
  }

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
      throw std::runtime_error("cannot find a free port for mariadbd");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
  }

  static std::string find_binary(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::stringstream dirs(std::string(path ? path : "") + ":/usr/sbin:/usr/bin:/usr/local/bin");
    for (std::string dir; std::getline(dirs, dir, ':');) {
      if (dir.empty()) continue;
      const std::string candidate = dir + "/" + name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    throw std::runtime_error(
        name +
        " not found; install MariaDB (apt-get install mariadb-server) or point "
        "COLDTRACK_TEST_MYSQL_URL at a server (mysql://root:password@127.0.0.1:3306/)");
  }

  static std::string tail(const std::string& path) {
    std::ifstream in(path);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.size() > 1500) text = "..." + text.substr(text.size() - 1500);
    return text.empty() ? "(no output in " + path + ")" : "log " + path + ":\n" + text;
  }

  std::string external_;
  std::string mariadbd_;
  std::string install_db_;
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace coldtrack::test_support
