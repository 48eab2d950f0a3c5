// Hostile and broken input: each case must get a clean 4xx (or a closed connection) and leave
// the server healthy. The server runs with a 1 s header timeout and a 2 s idle timeout.
#include <thread>

#include "fixtures.h"

namespace coldtrack::it {
namespace {

using Clock = std::chrono::steady_clock;

class BadInput : public SharedServerTest<BadInput> {
 public:
  static std::map<std::string, std::string> extra_env() {
    return {{"COLDTRACK_SERVER_HEADER_TIMEOUT_S", "1"}, {"COLDTRACK_SERVER_IDLE_TIMEOUT_S", "2"}};
  }

 protected:
  void TearDown() override {
    if (server_ && server_->running()) {
      EXPECT_TRUE(server_->healthy()) << "server unhealthy after this test";
    } else if (server_) {
      ADD_FAILURE() << "server died; stderr:\n" << server_->stderr_text();
    }
  }

  static double seconds_since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
  }

  static void expect_json_error(const RawResponse& r, int status) {
    ASSERT_TRUE(r.complete) << "no complete response; got " << r.raw.size()
                            << " bytes: " << r.raw.substr(0, 200);
    EXPECT_EQ(r.status, status) << r.raw.substr(0, 400);
    EXPECT_NE(r.headers.count("content-type") ? r.headers.at("content-type").find("json")
                                              : std::string::npos,
              std::string::npos)
        << r.raw.substr(0, 400);
  }
};

TEST_F(BadInput, MalformedJsonIs400) {
  for (const char* body : {"{\"order_no\": \"A1\",", "{'single': 'quotes'}", "{\"a\":1}}",
                           "\xff\xfe{}", "{\"a\": tru}", "nul"}) {
    auto r = s().post("/api/orders", body, s().operator_key());
    EXPECT_EQ(r.status, 400) << body << ": " << r.body;
    EXPECT_EQ(r.error_code(), "invalid_argument") << body;
  }
}

TEST_F(BadInput, NonObjectJsonIs400) {
  for (const char* body : {"[]", "42", "\"text\"", "null", "true"}) {
    auto r = s().post("/api/orders", body, s().operator_key());
    EXPECT_EQ(r.status, 400) << body << ": " << r.body;
    EXPECT_EQ(r.error_code(), "invalid_argument") << body;
  }
}

TEST_F(BadInput, DeeplyNestedJsonIs400) {
  const std::string body = "{\"a\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  auto r = s().post("/api/orders", body, s().operator_key());
  EXPECT_EQ(r.status, 400) << r.body.substr(0, 300);
}

TEST_F(BadInput, WrongTypesAre400NamingTheField) {
  struct Case {
    const char* field;
    json::value value;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {"amount_fen", "4000", "amount_fen"},
      {"amount_fen", 4000.5, "amount_fen"},
      {"amount_fen", json::value(18446744073709551615ULL), "amount_fen"},
      {"customer", "张三", "customer"},
      {"items", "SKU", "items"},
      {"remark", 12, "remark"},
      {"order_no", 12345, "order_no"},
  };
  for (const auto& c : cases) {
    auto body = order_body(unique_order_no(), unique_phone());
    body[c.field] = c.value;
    auto r = create_order(s(), body);
    EXPECT_EQ(r.status, 400) << c.field << "=" << json::serialize(c.value) << ": " << r.body;
    EXPECT_EQ(r.error_field(), c.expected) << r.body;
  }
  auto items = order_body(unique_order_no(), unique_phone());
  items["items"] = json::array{"not an object"};
  auto r = create_order(s(), items);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.error_field(), "items[0]");
}

TEST_F(BadInput, OrderNo65CharsIs400InBodyAndPath) {
  const std::string no(65, 'A');
  auto create = create_order(s(), order_body(no, unique_phone()));
  EXPECT_EQ(create.status, 400) << create.body;
  EXPECT_EQ(create.error_field(), "order_no");
  auto get = s().get("/api/orders/" + no, s().viewer());
  EXPECT_EQ(get.status, 400) << get.body;
  EXPECT_EQ(get.error_field(), "order_no");
  auto status =
      s().post("/api/orders/" + no + "/status", R"({"status":"PAID"})", s().operator_key());
  EXPECT_EQ(status.status, 400) << status.body;
  EXPECT_EQ(status.error_field(), "order_no");
  auto ship = s().post("/api/orders/" + no + "/shipments",
                       R"({"carrier":"SF","waybill_no":"SF12345678"})", s().operator_key());
  EXPECT_EQ(ship.status, 400) << ship.body;
  EXPECT_EQ(ship.error_field(), "order_no");
  auto list = s().get("/api/orders?order_no=" + no, s().viewer());
  EXPECT_EQ(list.status, 400) << list.body;
  EXPECT_EQ(list.error_field(), "order_no");
  auto track = s().get("/api/track?phone_last4=1234&order_no=" + no, std::nullopt);
  EXPECT_EQ(track.status, 400) << track.body;
  EXPECT_EQ(track.error_field(), "order_no");
  // 64 is the maximum and fine.
  EXPECT_EQ(
      create_order(s(), order_body(std::string(56, 'B') + security::random_hex(4), unique_phone()))
          .status,
      201);
}

TEST_F(BadInput, OneMegabyteOrderNoInBodyIs413) {
  // The default body limit is 1 MiB; the body is larger.
  const auto body = to_string(order_body(std::string(1 << 20, 'A'), unique_phone()));
  auto r = raw_exchange(s().port(), raw_request("POST", "/api/orders", body, s().operator_key()));
  expect_json_error(r, 413);
}

TEST_F(BadInput, OneMegabyteOrderNoInPathIs4xx) {
  const std::string no(1 << 20, 'A');
  auto get = raw_exchange(s().port(), raw_request("GET", "/api/orders/" + no));
  ASSERT_TRUE(get.complete) << get.raw.substr(0, 200);
  EXPECT_GE(get.status, 400);
  EXPECT_LT(get.status, 500);
  EXPECT_TRUE(get.status == 431 || get.status == 414) << get.status;
  auto query = raw_exchange(s().port(), raw_request("GET", "/api/orders?order_no=" + no));
  ASSERT_TRUE(query.complete);
  EXPECT_GE(query.status, 400);
  EXPECT_LT(query.status, 500);
}

TEST_F(BadInput, HugeBodyOverLimitIs413) {
  std::string head =
      "POST /api/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "Content-Length: 3145728\r\n\r\n";
  auto r = raw_exchange(s().port(), head + std::string(3 << 20, ' '));
  expect_json_error(r, 413);
  EXPECT_NE(r.body.find("payload_too_large"), std::string::npos) << r.body;
}

TEST_F(BadInput, HugeChunkedBodyOverLimitIs413) {
  std::string req =
      "POST /api/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  const std::string chunk(64 * 1024, 'x');
  for (int i = 0; i < 20; ++i) req += "10000\r\n" + chunk + "\r\n";
  req += "0\r\n\r\n";
  auto r = raw_exchange(s().port(), req);
  expect_json_error(r, 413);
}

TEST_F(BadInput, HugeHeaderIs431) {
  std::string req =
      "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + std::string(32 * 1024, 'h') +
      "\r\n\r\n";
  auto r = raw_exchange(s().port(), req);
  expect_json_error(r, 431);
}

TEST_F(BadInput, InvalidContentLengthIs400) {
  auto r = raw_exchange(s().port(),
                        "POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}");
  expect_json_error(r, 400);
  auto neg = raw_exchange(s().port(),
                          "POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n{}");
  expect_json_error(neg, 400);
}

TEST_F(BadInput, UnknownRouteIs404Json) {
  for (const char* path : {"/nope", "/", "/api", "/api/orders/A1/B/C", "/api/orders/A1/refunds",
                           "/healthz/extra", "//", "/api//orders"}) {
    auto r = s().get(path, std::nullopt);
    EXPECT_EQ(r.status, 404) << path << ": " << r.body;
    EXPECT_EQ(r.error_code(), "not_found") << path;
    EXPECT_NE(r.header("content-type").find("application/json"), std::string::npos) << path;
  }
  // Signed or not makes no difference.
  EXPECT_EQ(s().get("/api/nothing", s().admin()).status, 404);
}

TEST_F(BadInput, WrongMethodIs405WithAllow) {
  auto r = s().request("DELETE", "/api/orders", "", s().admin());
  ASSERT_EQ(r.status, 405) << r.body;
  EXPECT_EQ(r.error_code(), "method_not_allowed");
  const auto allow = r.header("allow");
  EXPECT_NE(allow.find("GET"), std::string::npos) << allow;
  EXPECT_NE(allow.find("POST"), std::string::npos) << allow;
  EXPECT_EQ(allow.find("DELETE"), std::string::npos) << allow;

  auto health = s().request("POST", "/healthz", "{}", std::nullopt);
  EXPECT_EQ(health.status, 405) << health.body;
  EXPECT_EQ(health.header("allow"), "GET");
  auto status = s().request("GET", "/api/orders/A1/status", "", std::nullopt);
  EXPECT_EQ(status.status, 405) << status.body;
  EXPECT_EQ(status.header("allow"), "POST");
  auto put = s().request("PUT", "/api/orders/A1", "{}", std::nullopt);
  EXPECT_EQ(put.status, 405) << put.body;
  EXPECT_EQ(put.header("allow"), "GET");
}

TEST_F(BadInput, UnknownMethodIsRejected) {
  auto r = raw_exchange(s().port(), "BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 5s);
  ASSERT_TRUE(r.complete || r.closed);
  if (r.complete) {
    EXPECT_GE(r.status, 400);
    EXPECT_LT(r.status, 500);
  }
}

TEST_F(BadInput, SlowClientIsDisconnectedWhileOthersAreServed) {
  RawConnection slow(s().port());
  const auto start = Clock::now();
  ASSERT_TRUE(slow.send("GET /heal"));
  // Others are served while the slow client stalls.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(s().healthy());
  std::string got;
  EXPECT_TRUE(slow.wait_closed(6s, &got)) << "slow client still connected";
  const double took = seconds_since(start);
  EXPECT_LT(took, 4.0) << "header timeout is 1 s";
  EXPECT_EQ(got.find("200 OK"), std::string::npos) << got;
}

TEST_F(BadInput, TricklingHeadersAreCutOffAtTheHeaderTimeout) {
  // One byte every 200 ms: the timeout must bound the whole head, not each read.
  RawConnection slow(s().port());
  const std::string req =
      "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + std::string(200, 'p') +
      "\r\n\r\n";
  const auto start = Clock::now();
  bool closed = false;
  for (std::size_t i = 0; i < req.size() && seconds_since(start) < 8.0; ++i) {
    if (!slow.send(req.substr(i, 1))) {
      closed = true;
      break;
    }
    if (slow.wait_closed(200ms)) {
      closed = true;
      break;
    }
  }
  const double took = seconds_since(start);
  EXPECT_TRUE(closed) << "a trickling client kept its connection for " << took << " s";
  EXPECT_LT(took, 4.0);
}

TEST_F(BadInput, SilentConnectionIsClosedAfterIdleTimeout) {
  RawConnection silent(s().port());
  const auto start = Clock::now();
  EXPECT_TRUE(silent.wait_closed(8s)) << "a connection that sends nothing stayed open";
  const double took = seconds_since(start);
  EXPECT_GE(took, 0.5);
  EXPECT_LT(took, 5.0) << "idle timeout is 2 s";
}

TEST_F(BadInput, KeepAliveConnectionIsClosedAfterIdleTimeout) {
  RawConnection c(s().port());
  ASSERT_TRUE(c.send(raw_request("GET", "/healthz", "", std::nullopt, true)));
  auto r = c.read_response(5s);
  ASSERT_TRUE(r.complete);
  EXPECT_EQ(r.status, 200);
  const auto start = Clock::now();
  EXPECT_TRUE(c.wait_closed(8s));
  EXPECT_LT(seconds_since(start), 5.0);
}

TEST_F(BadInput, GarbageBytesGet400OrClose) {
  const std::string tls_hello("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\x00\xff\r\n\r\n", 17);
  const std::string inputs[] = {
      tls_hello,
      std::string("\x00\x01\x02\x03\x04\x05\r\n\r\n", 10),
      "HELLO WORLD\r\n\r\n",
      "GET /healthz HTTP/9.9\r\n\r\n",
      "GET /healthz\r\n\r\n",
      "\r\n\r\n\r\n",
      std::string(5000, '\xff'),  // no line end at all: cut off by the header timeout
  };
  for (const auto& in : inputs) {
    const auto start = Clock::now();
    auto r = raw_exchange(s().port(), in, 6s);
    EXPECT_TRUE((r.complete && r.status == 400) || (!r.complete && r.closed))
        << "input of " << in.size() << " bytes got: " << r.raw.substr(0, 200);
    EXPECT_LT(seconds_since(start), 5.0);
  }
}

TEST_F(BadInput, PipelinedRequestsAreAnsweredInOrder) {
  RawConnection c(s().port());
  ASSERT_TRUE(c.send(raw_request("GET", "/healthz", "", std::nullopt, true) +
                     raw_request("GET", "/nope", "", std::nullopt, true) +
                     raw_request("GET", "/readyz", "", std::nullopt, false)));
  auto a = c.read_response(5s), b = c.read_response(5s), d = c.read_response(5s);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(b.status, 404);
  EXPECT_EQ(d.status, 200);
  EXPECT_NE(d.body.find("ready"), std::string::npos);
}

TEST_F(BadInput, ManyAbandonedConnectionsDoNotBlockTheServer) {
  std::vector<std::unique_ptr<RawConnection>> conns;
  for (int i = 0; i < 50; ++i) {
    conns.push_back(std::make_unique<RawConnection>(s().port()));
    conns.back()->send("POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{");
  }
  EXPECT_TRUE(s().healthy());
  EXPECT_EQ(s().get("/api/orders?limit=1", s().viewer()).status, 200);
  conns.clear();
}

}  // namespace
}  // namespace coldtrack::it
