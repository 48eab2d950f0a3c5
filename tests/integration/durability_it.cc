// Crash and shutdown behaviour: kill -9, SIGTERM/SIGINT draining, restart on the same database.
#include <atomic>
#include <csignal>
#include <mutex>
#include <thread>

#include "fixtures.h"

namespace coldtrack::it {
namespace {

// Each test owns its server: they kill and restart it.
class Durability : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>();
    ASSERT_NO_THROW(server_->start());
  }
  void TearDown() override { server_.reset(); }
  ServerProcess& s() { return *server_; }

  json::object get_revealed(const std::string& no) {
    auto r = s().get("/api/orders/" + no + "?reveal=true", s().admin());
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? r.json().as_object() : json::object{};
  }

  std::unique_ptr<ServerProcess> server_;
};

TEST_F(Durability, KillDashNineRightAfterCreateKeepsTheOrder) {
  // Keys first, so nothing but the create happens between the 201 and the kill.
  s().operator_key();
  s().viewer();
  s().admin();
  const auto no = unique_order_no();
  auto created = must_create(s(), order_body(no, "13812345678"));
  s().kill9();
  ASSERT_NO_THROW(s().restart());
  auto r = s().get("/api/orders/" + no, s().viewer());
  ASSERT_EQ(r.status, 200) << "acknowledged order lost after kill -9: " << r.body;
  auto o = r.json().as_object();
  EXPECT_EQ(str(o, "status"), "CREATED");
  EXPECT_EQ(o.at("history"), created.at("history"));
  EXPECT_EQ(o.at("created_at"), created.at("created_at"));
  // Personal data is still readable with the same key.
  EXPECT_EQ(str(get_revealed(no).at("customer").as_object(), "phone"), "13812345678");
}

TEST_F(Durability, KillDashNineAfterManyWritesKeepsEveryAcknowledgedWrite) {
  s().operator_key();
  std::vector<std::string> nos;
  json::array all;
  for (int i = 0; i < 20; ++i) {
    const auto no = unique_order_no();
    ASSERT_EQ(create_order(s(), order_body(no, unique_phone())).status, 201);
    nos.push_back(no);
    all.push_back(json::value(no));
  }
  ASSERT_EQ(change_status(s(), nos.back(), "PAID").status, 200);
  s().kill9();
  ASSERT_NO_THROW(s().restart());
  auto r =
      s().post("/api/orders/batch-get", to_string(json::object{{"order_nos", all}}), s().viewer());
  ASSERT_EQ(r.status, 200) << r.body;
  auto o = r.json().as_object();
  EXPECT_TRUE(o.at("not_found").as_array().empty()) << r.body;
  EXPECT_EQ(o.at("items").as_array().size(), 20u);
  EXPECT_EQ(str(o.at("items").as_array().back().as_object(), "status"), "PAID");
}

TEST_F(Durability, SigtermExitsZeroAndKeepsData) {
  const auto no = unique_order_no();
  must_create(s(), order_body(no, "13812345678"));
  ASSERT_EQ(change_status(s(), no, "PAID").status, 200);
  ASSERT_EQ(add_shipment(s(), no, "SF", unique_waybill()).status, 200);
  const auto before = get_revealed(no);
  EXPECT_EQ(s().stop(), 0) << s().stderr_text();
  EXPECT_NE(s().stderr_text().find("stopped cleanly"), std::string::npos) << s().stderr_text();
  ASSERT_NO_THROW(s().restart());
  EXPECT_EQ(get_revealed(no), before);
  // The audit trail survived too.
  auto audit = s().get("/api/audit?target=" + url_encode("order:" + no), s().admin());
  ASSERT_EQ(audit.status, 200);
  EXPECT_GE(audit.json().as_object().at("items").as_array().size(), 4u) << audit.body;
}

TEST_F(Durability, SigintExitsZero) {
  const auto no = unique_order_no();
  must_create(s(), order_body(no, unique_phone()));
  s().signal(SIGINT);
  auto st = s().wait_exit(15s);
  ASSERT_TRUE(st) << "server did not exit on SIGINT";
  EXPECT_EQ(*st, 0);
  ASSERT_NO_THROW(s().restart());
  EXPECT_TRUE(order_exists(s(), no));
}

TEST_F(Durability, RequestsInFlightDuringSigtermComplete) {
  const auto op = s().operator_key();
  s().viewer();
  s().admin();
  struct Outcome {
    std::string order_no;
    int status = 0;  // 0: no response (connection refused/closed)
    std::string error;
  };
  std::mutex mu;
  std::vector<Outcome> outcomes;
  std::atomic<int> responses{0};
  const unsigned short port = s().port();
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, port] {
      for (int i = 0; i < 1000; ++i) {
        Outcome out;
        out.order_no = unique_order_no("INF");
        try {
          coldtrack::http::Client c("127.0.0.1", port);
          auto r = c.request("POST", "/api/orders",
                             to_string(order_body(out.order_no, unique_phone())), op);
          out.status = r.status;
          ++responses;
        } catch (const std::exception& e) {
          out.error = e.what();
        }
        std::lock_guard lock(mu);
        outcomes.push_back(out);
        if (out.status == 0) return;  // the server is gone
      }
    });
  }
  // Let requests flow, then SIGTERM in the middle of them.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (responses.load() < 30 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  s().signal(SIGTERM);
  for (auto& t : threads) t.join();
  auto st = s().wait_exit(15s);
  ASSERT_TRUE(st) << "server did not exit after SIGTERM";
  EXPECT_EQ(*st, 0) << s().stderr_text();

  json::array acknowledged;
  for (const auto& o : outcomes) {
    EXPECT_LT(o.status, 500) << o.order_no << " got a server error during shutdown";
    if (o.status != 0) {
      EXPECT_EQ(o.status, 201) << o.order_no;
    }
    if (o.status == 201) acknowledged.push_back(json::value(o.order_no));
  }
  ASSERT_GE(acknowledged.size(), 30u);
  ASSERT_NO_THROW(s().restart());
  // Every acknowledged order is stored (batch-get takes at most 200 at a time).
  for (std::size_t i = 0; i < acknowledged.size(); i += 200) {
    json::array part(acknowledged.begin() + i,
                     acknowledged.begin() + std::min(acknowledged.size(), i + 200));
    auto r = s().post("/api/orders/batch-get", to_string(json::object{{"order_nos", part}}),
                      s().viewer());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(r.json().as_object().at("not_found").as_array().empty())
        << "acknowledged orders lost: " << r.body;
  }
}

TEST_F(Durability, SigtermWaitsForARequestBeingReceived) {
  // The request head and half the body have arrived when SIGTERM comes; the rest follows
  // shortly after. A graceful shutdown finishes this request instead of dropping it.
  const auto& op = s().operator_key();
  const auto no = unique_order_no();
  const auto body = to_string(order_body(no, unique_phone()));
  const auto req = raw_request("POST", "/api/orders", body, op);
  const auto split = req.size() - body.size() / 2;
  RawConnection c(s().port());
  ASSERT_TRUE(c.send(req.substr(0, split)));
  std::this_thread::sleep_for(300ms);  // the server has accepted and is reading the body
  s().signal(SIGTERM);
  std::this_thread::sleep_for(300ms);
  c.send(req.substr(split));
  auto r = c.read_response(10s);
  EXPECT_TRUE(r.complete) << "the request in flight was dropped during shutdown (got "
                          << r.raw.size() << " bytes, closed=" << r.closed << ")";
  if (r.complete) {
    EXPECT_EQ(r.status, 201) << r.raw;
  }
  auto st = s().wait_exit(15s);
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, 0);
  if (r.complete && r.status == 201) {
    ASSERT_NO_THROW(s().restart());
    EXPECT_TRUE(order_exists(s(), no));
  }
}

}  // namespace
}  // namespace coldtrack::it
