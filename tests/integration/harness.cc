#include "harness.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "../mariadb_server.h"
#include "../rabbitmq_server.h"
#include "../redis_server.h"
#include "domain/time.h"
#include "security/crypto.h"

extern char** environ;

namespace coldtrack::it {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

// The test process must survive writes to sockets the server has closed.
const bool kSigpipeIgnored = [] {
  std::signal(SIGPIPE, SIG_IGN);
  return true;
}();

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string make_temp_dir() {
  std::string tmpl = (fs::temp_directory_path() / "coldtrack-it-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return -1000;
}

// fork + exec with stdin from /dev/null and stdout/stderr to files. The child gets SIGKILL when
// the test process dies, so a crashed test never leaves a server behind.
pid_t spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
            const std::string& out_path, const std::string& err_path,
            const std::string& in_path = "/dev/null") {
  std::vector<std::string> env_strings;
  for (char** p = environ; p && *p; ++p) {
    if (std::strncmp(*p, "COLDTRACK_", 10) != 0) env_strings.emplace_back(*p);
  }
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> argv, envp;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : env_strings) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const long max_fd = std::max(1024L, ::sysconf(_SC_OPEN_MAX));

  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  if (pid == 0) {
    // Only async-signal-safe calls from here on.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::signal(SIGPIPE, SIG_DFL);
    const int in = ::open(in_path.c_str(), O_RDONLY);
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0 || err < 0) ::_exit(127);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    // Do not let the server inherit the test's sockets: closing them must reach the server.
#ifdef SYS_close_range
    if (::syscall(SYS_close_range, 3U, ~0U, 0U) != 0)
#endif
      for (long fd = 3; fd < max_fd; ++fd) ::close(static_cast<int>(fd));
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  return pid;
}

std::optional<int> wait_pid(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return decode_status(status);
    if (r < 0 && errno != EINTR) return -1000;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
}

std::atomic<int> g_cli_runs{0};

// The binary under test: COLDTRACK_IT_BINARY overrides the one this suite was built with.
std::string binary() {
  const char* override_path = std::getenv("COLDTRACK_IT_BINARY");
  return override_path && *override_path ? override_path : COLDTRACK_BINARY;
}

std::mt19937_64& rng() {
  static std::mt19937_64 r{std::random_device{}()};
  return r;
}
std::mutex g_rng_mu;

}  // namespace

// ---- Response ---------------------------------------------------------------------------------

json::value Response::json() const {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec)
    throw std::runtime_error("response (HTTP " + std::to_string(status) +
                             ") is not JSON: " + body.substr(0, 500));
  return v;
}

std::string Response::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

namespace {
std::string error_member(const std::string& body, const char* name) {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return "";
  const auto* err = v.as_object().if_contains("error");
  if (!err || !err->is_object()) return "";
  const auto* f = err->as_object().if_contains(name);
  if (!f || !f->is_string()) return "";
  return std::string(f->as_string());
}
}  // namespace

std::string Response::error_field() const {
  return error_member(body, "field");
}
std::string Response::error_code() const {
  return error_member(body, "code");
}

// ---- ServerProcess ----------------------------------------------------------------------------

namespace {

// COLDTRACK_IT_BACKENDS names the backend set the suite runs on: empty = the embedded defaults
// (SQLite, in-process caches); "mysql,redis,rabbitmq" = a private MariaDB, redis-server and
// RabbitMQ broker started once for the whole run (tests/*_server.h), each server process on its
// own database, key prefix and exchange.
bool backend_set_has(std::string_view name) {
  const char* v = std::getenv("COLDTRACK_IT_BACKENDS");
  return v && std::string_view(v).find(name) != std::string_view::npos;
}

test_support::RedisServer& shared_redis() {
  static test_support::RedisServer server;
  return server;
}

test_support::RabbitMqServer& shared_rabbitmq() {
  static test_support::RabbitMqServer server;
  return server;
}

}  // namespace

ServerProcess::ServerProcess(std::map<std::string, std::string> extra_env) : dir_(make_temp_dir()) {
  env_ = {
      {"COLDTRACK_SECURITY_DATA_KEY", security::random_hex(32)},
      {"COLDTRACK_SERVER_PORT", "0"},
      {"COLDTRACK_SERVER_HOST", "127.0.0.1"},
      {"COLDTRACK_LOG_LEVEL", "info"},
  };
  if (backend_set_has("mysql")) {
    auto& server = test_support::MariadbServer::shared();
    mysql_database_ = test_support::MariadbServer::fresh_database("it");
    env_["COLDTRACK_STORE_BACKEND"] = "mysql";
    env_["COLDTRACK_STORE_MYSQL_URL"] = server.url(mysql_database_);
  } else {
    env_["COLDTRACK_STORE_SQLITE_PATH"] = dir_ + "/coldtrack.db";
  }
  if (backend_set_has("redis")) {
    env_["COLDTRACK_CACHE_BACKEND"] = "redis";
    env_["COLDTRACK_CACHE_REDIS_URL"] = shared_redis().url();
    env_["COLDTRACK_CACHE_REDIS_KEY_PREFIX"] = "it:" + fs::path(dir_).filename().string() + ":";
  }
  if (backend_set_has("rabbitmq")) {
    // One exchange per server process (and its replicas): queues bound to it see only its
    // messages.
    env_["COLDTRACK_QUEUE_BACKEND"] = "rabbitmq";
    env_["COLDTRACK_QUEUE_RABBITMQ_URL"] = shared_rabbitmq().url();
    env_["COLDTRACK_QUEUE_RABBITMQ_EXCHANGE"] = "it." + fs::path(dir_).filename().string();
  }
  for (auto& [k, v] : extra_env) env_[k] = v;
}

std::map<std::string, std::string> ServerProcess::shared_state_env() const {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : env_)
    if (k.starts_with("COLDTRACK_STORE_") || k.starts_with("COLDTRACK_CACHE_") ||
        k.starts_with("COLDTRACK_QUEUE_"))
      out[k] = v;
  return out;
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) kill9();
  std::error_code ec;
  if (!std::getenv("COLDTRACK_IT_KEEP_DIRS")) fs::remove_all(dir_, ec);
  if (!mysql_database_.empty() && !std::getenv("COLDTRACK_IT_KEEP_DIRS")) {
    try {
      test_support::MariadbServer::shared().drop_database(mysql_database_);
    } catch (const std::exception&) {
      // A database left behind on a test server is harmless.
    }
  }
}

void ServerProcess::start(std::chrono::milliseconds ready_timeout) {
  if (pid_ > 0) throw std::logic_error("server already running");
  ++starts_;
  const std::string out = dir_ + "/serve-" + std::to_string(starts_) + ".out";
  const std::string err = dir_ + "/serve-" + std::to_string(starts_) + ".err";
  pid_ = spawn({binary(), "serve"}, env_, out, err);
  port_ = 0;
  const std::string marker = "coldtrack listening on http://";
  const auto deadline = Clock::now() + ready_timeout;
  for (;;) {
    const std::string text = read_file(out);
    if (auto pos = text.find(marker); pos != std::string::npos) {
      const auto eol = text.find('\n', pos);
      if (eol != std::string::npos) {
        const std::string url = text.substr(pos + marker.size(), eol - pos - marker.size());
        const auto colon = url.rfind(':');
        port_ = static_cast<unsigned short>(std::stoi(url.substr(colon + 1)));
        return;
      }
    }
    if (auto st = wait_pid(pid_, 0ms)) {
      pid_ = -1;
      throw std::runtime_error("coldtrack serve exited with " + std::to_string(*st) +
                               " before getting ready; stdout:\n" + text + "\nstderr:\n" +
                               read_file(err));
    }
    if (Clock::now() >= deadline) {
      kill9();
      throw std::runtime_error(
          "coldtrack serve did not print its listening line within the "
          "timeout; stdout:\n" +
          text + "\nstderr:\n" + read_file(err));
    }
    std::this_thread::sleep_for(10ms);
  }
}

void ServerProcess::signal(int sig) {
  if (pid_ > 0) ::kill(pid_, sig);
}

std::optional<int> ServerProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return std::nullopt;
  auto st = wait_pid(pid_, timeout);
  if (st) pid_ = -1;
  return st;
}

int ServerProcess::stop(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) throw std::logic_error("server not running");
  ::kill(pid_, SIGTERM);
  if (auto st = wait_exit(timeout)) return *st;
  kill9();
  return -SIGKILL;
}

void ServerProcess::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

std::string ServerProcess::stdout_text() const {
  return read_file(dir_ + "/serve-" + std::to_string(starts_) + ".out");
}
std::string ServerProcess::stderr_text() const {
  return read_file(dir_ + "/serve-" + std::to_string(starts_) + ".err");
}

CliResult ServerProcess::cli(const std::vector<std::string>& args,
                             std::chrono::milliseconds timeout, const std::string& input) const {
  const int n = ++g_cli_runs;
  const std::string out = dir_ + "/cli-" + std::to_string(n) + ".out";
  const std::string err = dir_ + "/cli-" + std::to_string(n) + ".err";
  std::string in = "/dev/null";
  if (!input.empty()) {
    in = dir_ + "/cli-" + std::to_string(n) + ".in";
    std::ofstream(in) << input;
  }
  std::vector<std::string> argv{binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  const pid_t pid = spawn(argv, env_, out, err, in);
  CliResult r;
  if (auto st = wait_pid(pid, timeout)) {
    r.exit_code = *st;
  } else {
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    r.exit_code = -SIGKILL;
  }
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

Credentials ServerProcess::create_key(const std::string& role) const {
  auto r = cli({"apikey", "create", "--role", role});
  if (r.exit_code != 0)
    throw std::runtime_error("apikey create failed (" + std::to_string(r.exit_code) +
                             "): " + r.err + r.out);
  auto v = boost::json::parse(r.out).as_object();
  return Credentials{std::string(v.at("key").as_string()), std::string(v.at("secret").as_string())};
}

const Credentials& ServerProcess::admin() {
  if (!admin_) admin_ = create_key("admin");
  return *admin_;
}
const Credentials& ServerProcess::operator_key() {
  if (!operator_) operator_ = create_key("operator");
  return *operator_;
}
const Credentials& ServerProcess::viewer() {
  if (!viewer_) viewer_ = create_key("viewer");
  return *viewer_;
}

Response ServerProcess::request(const std::string& method, const std::string& target,
                                const std::string& body, const std::optional<Credentials>& creds,
                                const std::map<std::string, std::string>& extra_headers) const {
  if (pid_ <= 0) throw std::logic_error("server not running");
  coldtrack::http::Client client("127.0.0.1", port_);
  auto r = client.request(method, target, body, creds, extra_headers);
  return Response{r.status, std::move(r.body), std::move(r.headers)};
}

bool ServerProcess::healthy() const {
  try {
    return pid_ > 0 && request("GET", "/healthz").status == 200;
  } catch (const std::exception&) {
    return false;
  }
}

// ---- Raw sockets ------------------------------------------------------------------------------

struct RawConnection::Impl {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket socket{ioc};
  std::string pending;  // received but not yet consumed
  bool closed = false;
};

RawConnection::RawConnection(unsigned short port) : impl_(new Impl) {
  try {
    impl_->socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  } catch (...) {
    delete impl_;
    throw;
  }
}

RawConnection::~RawConnection() {
  boost::system::error_code ec;
  impl_->socket.close(ec);
  delete impl_;
}

int RawConnection::fd() const {
  return impl_->socket.native_handle();
}

bool RawConnection::send(const std::string& bytes) {
  std::size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::send(fd(), bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    off += static_cast<std::size_t>(n);
  }
  return true;
}

namespace {

// Reads into `buf` once, waiting at most until `deadline`. Returns false when the peer closed
// (EOF or reset); `timed_out` is set when nothing arrived in time.
bool read_some(int fd, std::string& buf, Clock::time_point deadline, bool& timed_out) {
  timed_out = false;
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) {
    timed_out = true;
    return true;
  }
  pollfd p{fd, POLLIN, 0};
  const int pr = ::poll(&p, 1, static_cast<int>(left));
  if (pr == 0) {
    timed_out = true;
    return true;
  }
  if (pr < 0) return errno == EINTR;
  char chunk[65536];
  const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
  if (n > 0) {
    buf.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  return false;  // 0 = EOF, <0 = reset
}

// Parses a response out of the front of `buf`; returns the bytes used, 0 when incomplete.
std::size_t parse_response(const std::string& buf, bool eof, RawResponse& r) {
  const auto head_end = buf.find("\r\n\r\n");
  if (head_end == std::string::npos) return 0;
  std::istringstream head(buf.substr(0, head_end));
  std::string line;
  std::getline(head, line);
  {
    std::istringstream sl(line);
    std::string version;
    sl >> version >> r.status;
  }
  r.headers.clear();
  std::optional<std::size_t> length;
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    if (name == "content-length") length = std::stoul(value);
    r.headers[name] = value;
  }
  const std::size_t body_start = head_end + 4;
  if (length) {
    if (buf.size() < body_start + *length) return 0;
    r.body = buf.substr(body_start, *length);
    return body_start + *length;
  }
  if (!eof) return 0;
  r.body = buf.substr(body_start);
  return buf.size();
}

}  // namespace

RawResponse RawConnection::read_response(std::chrono::milliseconds timeout) {
  RawResponse r;
  const auto deadline = Clock::now() + timeout;
  std::string& buf = impl_->pending;
  for (;;) {
    if (const auto used = parse_response(buf, impl_->closed, r)) {
      r.complete = true;
      r.raw = buf.substr(0, used);
      buf.erase(0, used);
      r.closed = impl_->closed;
      return r;
    }
    if (impl_->closed) break;
    bool timed_out = false;
    if (!read_some(fd(), buf, deadline, timed_out)) impl_->closed = true;
    if (timed_out) break;
  }
  r.raw = buf;
  r.closed = impl_->closed;
  return r;
}

bool RawConnection::wait_closed(std::chrono::milliseconds timeout, std::string* received) {
  const auto deadline = Clock::now() + timeout;
  while (!impl_->closed) {
    bool timed_out = false;
    if (!read_some(fd(), impl_->pending, deadline, timed_out)) impl_->closed = true;
    if (timed_out) break;
  }
  if (received) *received += impl_->pending;
  impl_->pending.clear();
  return impl_->closed;
}

std::string raw_request(const std::string& method, const std::string& target,
                        const std::string& body, const std::optional<Credentials>& creds,
                        bool keep_alive) {
  std::string r = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (creds) {
    for (const auto& [k, v] :
         coldtrack::http::signed_headers(*creds, method, target, body, now_ms() / 1000))
      r += k + ": " + v + "\r\n";
  }
  if (!body.empty()) {
    r +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  if (!keep_alive) r += "Connection: close\r\n";
  r += "\r\n";
  r += body;
  return r;
}

RawResponse raw_exchange(unsigned short port, const std::string& request,
                         std::chrono::milliseconds timeout) {
  RawConnection c(port);
  std::thread writer([&c, &request] { c.send(request); });
  auto r = c.read_response(timeout);
  // Unblocks the writer if the server stopped reading without closing.
  ::shutdown(c.fd(), SHUT_RDWR);
  writer.join();
  return r;
}

// ---- Test data --------------------------------------------------------------------------------

std::string unique_phone() {
  std::lock_guard lock(g_rng_mu);
  std::string s = "139";
  std::uniform_int_distribution<int> d(0, 9);
  for (int i = 0; i < 8; ++i) s += static_cast<char>('0' + d(rng()));
  return s;
}

std::string unique_order_no(const std::string& prefix) {
  return prefix + "-" + security::random_hex(8);
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string rfc3339(std::int64_t ms) {
  return domain::format_rfc3339(ms / 1000 * 1000, 480);
}

json::object order_body(const std::string& order_no, const std::string& phone) {
  json::object o{
      {"customer", json::object{{"name", "张三"}, {"phone", phone}}},
      {"address", json::object{{"province", "广东省"},
                               {"city", "深圳市"},
                               {"district", "南山区"},
                               {"detail", "科技园路1号"}}},
      {"items", json::array{json::object{{"sku", "SKU-DUMPLING"},
                                         {"name", "速冻水饺"},
                                         {"category", "frozen"},
                                         {"quantity", 2},
                                         {"unit_price_fen", 1500}}}},
      {"amount_fen", 4000},
      {"shipping_fen", 1000},
      {"remark", "放门口"},
  };
  if (!order_no.empty()) o["order_no"] = order_no;
  return o;
}

std::string to_string(const json::value& v) {
  return json::serialize(v);
}

std::string url_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace coldtrack::it
