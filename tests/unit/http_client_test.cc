// net::HttpClient against a tiny synchronous Beast server on 127.0.0.1.
#include "net/http_client.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
using coldtrack::net::HttpClient;
using coldtrack::net::HttpRequest;
using coldtrack::net::HttpResponse;
using namespace std::chrono_literals;

struct Seen {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

using Req = bhttp::request<bhttp::string_body>;
using Res = bhttp::response<bhttp::string_body>;

// One thread accepts; one thread per connection serves keep-alive requests in order.
class TestServer {
 public:
  using Handler = std::function<void(const Req&, Res&, TestServer&)>;

  explicit TestServer(Handler handler) : handler_(std::move(handler)) {
    acceptor_.open(tcp::v4());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread([this] { accept_loop(); });
  }

  ~TestServer() {
    {
      std::lock_guard lk(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);  // wakes the blocking accept()
    accept_thread_.join();
    std::vector<std::thread> threads;
    {
      std::lock_guard lk(mu_);
      for (auto& s : sockets_) ::shutdown(s->native_handle(), SHUT_RDWR);
      threads.swap(conn_threads_);
    }
    for (auto& t : threads) t.join();
  }

  unsigned short port() const { return port_; }
  std::string url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int accepts() const { return accepts_.load(); }
  std::vector<Seen> seen() {
    std::lock_guard lk(mu_);
    return seen_;
  }
  // Sleeps like a slow upstream, but wakes up when the server shuts down.
  void sleep(std::chrono::milliseconds d) {
    std::unique_lock lk(mu_);
    cv_.wait_for(lk, d, [this] { return stopping_; });
  }

 private:
  void accept_loop() {
    for (;;) {
      auto sock = std::make_shared<tcp::socket>(io_);
      boost::system::error_code ec;
      acceptor_.accept(*sock, ec);
      std::lock_guard lk(mu_);
      if (ec || stopping_) return;
      ++accepts_;
      sockets_.push_back(sock);
      conn_threads_.emplace_back([this, sock] { serve(*sock); });
    }
  }

  void serve(tcp::socket& sock) {
    beast::flat_buffer buf;
    for (;;) {
      Req req;
      boost::system::error_code ec;
      bhttp::read(sock, buf, req, ec);
      if (ec) break;
      {
        std::lock_guard lk(mu_);
        Seen s{std::string(req.method_string()), std::string(req.target()), {}, req.body()};
        for (const auto& f : req) {
          std::string name(f.name_string());
          std::transform(name.begin(), name.end(), name.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
          s.headers[name] = std::string(f.value());
        }
        seen_.push_back(std::move(s));
      }
      Res res{bhttp::status::ok, req.version()};
      res.keep_alive(req.keep_alive());
      handler_(req, res, *this);
      if (!res.chunked()) res.prepare_payload();
      bhttp::write(sock, res, ec);
      if (ec || !res.keep_alive()) break;
    }
    boost::system::error_code ignored;
    sock.shutdown(tcp::socket::shutdown_both, ignored);
  }

  Handler handler_;
  asio::io_context io_;
  tcp::acceptor acceptor_{io_};
  unsigned short port_ = 0;
  std::atomic<int> accepts_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<std::shared_ptr<tcp::socket>> sockets_;
  std::vector<std::thread> conn_threads_;
  std::vector<Seen> seen_;
  std::thread accept_thread_;
};

void echo(const Req& req, Res& res, TestServer&) {
  res.set(bhttp::field::content_type, "text/plain");
  res.body() = req.body();
}

HttpClient::Options local_options() {
  HttpClient::Options o;
  o.max_response_bytes = 4096;
  return o;
}

TEST(HttpClientTest, PostFormBodyAndHeadersArriveExactly) {
  TestServer server([](const Req& req, Res& res, TestServer&) {
    res.result(bhttp::status::created);
    res.set("X-Request-Id", "abc-123");
    res.set(bhttp::field::content_type, "application/json");
    res.body() = R"({"ok":true})";
  });
  HttpClient client(local_options());
  HttpRequest req;
  req.url = server.url("/notify?x=1");
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"X-Api-Key", "k-42"}};
  req.body = "a=1&b=%E4%B8%AD&c=x+y&d=";
  HttpResponse res = client.send(req);

  ASSERT_EQ(res.status, 201) << res.error;
  EXPECT_FALSE(res.transport_failed());
  EXPECT_EQ(res.error, "");
  EXPECT_EQ(res.body, R"({"ok":true})");
  EXPECT_EQ(res.headers["x-request-id"], "abc-123");
  EXPECT_EQ(res.headers["content-type"], "application/json");
  EXPECT_EQ(res.headers["content-length"], "11");

  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].target, "/notify?x=1");
  EXPECT_EQ(seen[0].body, req.body);
  EXPECT_EQ(seen[0].headers["content-type"], "application/x-www-form-urlencoded");
  EXPECT_EQ(seen[0].headers["content-length"], std::to_string(req.body.size()));
  EXPECT_EQ(seen[0].headers["x-api-key"], "k-42");
  EXPECT_EQ(seen[0].headers["user-agent"], "coldtrack");
  EXPECT_EQ(seen[0].headers.count("expect"), 0u);
}

TEST(HttpClientTest, CustomMethodWithBinaryBodyAndGet) {
  TestServer server(echo);
  HttpClient client(local_options());

  HttpRequest put;
  put.method = "PUT";
  put.url = server.url("/blob");
  put.body = std::string("\0\x01\xff\r\n\0tail", 10);
  put.headers = {{"Content-Type", "application/octet-stream"}};
  HttpResponse r1 = client.send(put);
  ASSERT_EQ(r1.status, 200) << r1.error;
  EXPECT_EQ(r1.body, put.body);

  HttpRequest get;
  get.method = "GET";
  get.url = server.url("/status");
  HttpResponse r2 = client.send(get);
  ASSERT_EQ(r2.status, 200) << r2.error;
  EXPECT_EQ(r2.body, "");

  HttpRequest del;
  del.method = "DELETE";
  del.url = server.url("/blob/1");
  HttpResponse r3 = client.send(del);
  ASSERT_EQ(r3.status, 200) << r3.error;

  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].method, "PUT");
  EXPECT_EQ(seen[0].body, put.body);
  EXPECT_EQ(seen[1].method, "GET");
  EXPECT_EQ(seen[1].target, "/status");
  EXPECT_EQ(seen[2].method, "DELETE");
  EXPECT_EQ(seen[2].body, "");
}

TEST(HttpClientTest, ReusesKeepAliveConnection) {
  TestServer server(echo);
  HttpClient client(local_options());
  for (int i = 0; i < 5; ++i) {
    HttpRequest req;
    req.url = server.url("/n");
    req.body = "req-" + std::to_string(i);
    HttpResponse res = client.send(req);
    ASSERT_EQ(res.status, 200) << res.error;
    EXPECT_EQ(res.body, req.body);
  }
  EXPECT_EQ(server.seen().size(), 5u);
  EXPECT_EQ(server.accepts(), 1);
}

TEST(HttpClientTest, ReadTimeoutReturnsPromptly) {
  TestServer server([](const Req&, Res& res, TestServer& s) {
    s.sleep(3s);
    res.body() = "late";
  });
  HttpClient client(local_options());
  HttpRequest req;
  req.url = server.url("/slow");
  req.timeout = 300ms;
  req.body = "secret=hunter2";
  auto start = std::chrono::steady_clock::now();
  HttpResponse res = client.send(req);
  auto elapsed = std::chrono::steady_clock::now() - start;

  EXPECT_EQ(res.status, 0);
  EXPECT_TRUE(res.transport_failed());
  EXPECT_EQ(res.body, "");
  std::string err = res.error;
  std::transform(err.begin(), err.end(), err.begin(), ::tolower);
  EXPECT_NE(err.find("timeout"), std::string::npos) << res.error;
  EXPECT_EQ(res.error.find("hunter2"), std::string::npos);
  EXPECT_GE(elapsed, 250ms);
  EXPECT_LT(elapsed, 1500ms);
}

TEST(HttpClientTest, ConnectionRefused) {
  unsigned short port;
  {
    asio::io_context io;
    tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
    port = a.local_endpoint().port();
  }  // closed: nothing listens there now
  HttpClient client(local_options());
  HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(port) + "/";
  req.body = "token=s3cr3t";
  HttpResponse res = client.send(req);
  EXPECT_EQ(res.status, 0);
  EXPECT_FALSE(res.error.empty());
  EXPECT_EQ(res.error.find("s3cr3t"), std::string::npos);
}

TEST(HttpClientTest, ResponseLargerThanCapFails) {
  TestServer server([](const Req& req, Res& res, TestServer&) {
    res.body() = std::string(64 * 1024, 'x');
    if (req.target() == "/chunked") res.chunked(true);  // no Content-Length up front
  });
  HttpClient client(local_options());  // cap 4096
  for (std::string path : {"/sized", "/chunked"}) {
    HttpRequest req;
    req.method = "GET";
    req.url = server.url(path);
    HttpResponse res = client.send(req);
    EXPECT_EQ(res.status, 0) << path;
    EXPECT_EQ(res.error, "response too large") << path;
    EXPECT_EQ(res.body, "") << path;
  }
  // Exactly at the cap is fine.
  TestServer exact([](const Req&, Res& res, TestServer&) { res.body() = std::string(4096, 'y'); });
  HttpRequest req;
  req.method = "GET";
  req.url = exact.url("/");
  HttpResponse res = client.send(req);
  EXPECT_EQ(res.status, 200) << res.error;
  EXPECT_EQ(res.body.size(), 4096u);
}

TEST(HttpClientTest, HttpsToPlainHttpPortFails) {
  EXPECT_TRUE(HttpClient::Options{}.verify_tls);
  TestServer server(echo);
  HttpClient client(HttpClient::Options{});
  HttpRequest req;
  req.url = "https://127.0.0.1:" + std::to_string(server.port()) + "/";
  req.body = "x=1";
  req.timeout = 2s;
  HttpResponse res = client.send(req);
  EXPECT_EQ(res.status, 0);
  EXPECT_FALSE(res.error.empty());
}

TEST(HttpClientTest, RejectsNonHttpSchemesAndHeaderInjection) {
  HttpClient client(local_options());
  HttpRequest file;
  file.method = "GET";
  file.url = "file:///etc/hostname";
  HttpResponse r1 = client.send(file);
  EXPECT_EQ(r1.status, 0);
  EXPECT_EQ(r1.body, "");

  HttpRequest inj;
  inj.url = "http://127.0.0.1:1/";
  inj.headers = {{"X-A", "1\r\nX-Injected: 1"}};
  EXPECT_EQ(client.send(inj).error, "invalid header");
  inj.headers.clear();
  inj.method = "GET / HTTP/1.1\r\n";
  EXPECT_EQ(client.send(inj).error, "invalid method");
}

TEST(HttpClientTest, ConcurrentUseFromFourThreads) {
  TestServer server(echo);
  HttpClient client(local_options());
  constexpr int kThreads = 4, kPerThread = 10;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        HttpRequest req;
        req.url = server.url("/c");
        req.body = "t=" + std::to_string(t) + "&i=" + std::to_string(i);
        HttpResponse res = client.send(req);
        if (res.status == 200 && res.body == req.body) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads * kPerThread);
  EXPECT_EQ(server.seen().size(), static_cast<std::size_t>(kThreads * kPerThread));
  EXPECT_LE(server.accepts(), kThreads);  // one pooled handle (connection) per concurrent caller
}

}  // namespace
