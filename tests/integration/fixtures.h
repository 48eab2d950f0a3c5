// GoogleTest fixtures and small helpers shared by the integration tests.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <netinet/in.h>
#include <openssl/pem.h>
#include <sys/socket.h>
#include <unistd.h>

#include "carriers/kdniao/kdniao.h"
#include "domain/time.h"
#include "harness.h"
#include "security/crypto.h"

namespace coldtrack::it {

namespace json = boost::json;

// One server per test suite (started in SetUpTestSuite). `Derived` may declare
//   static std::map<std::string, std::string> extra_env();
// to configure it.
template <typename Derived>
class SharedServerTest : public ::testing::Test {
 public:
  static std::map<std::string, std::string> extra_env() { return {}; }

  static void SetUpTestSuite() {
    try {
      server_ = std::make_unique<ServerProcess>(Derived::extra_env());
      server_->start();
    } catch (const std::exception& e) {
      setup_error_ = e.what();
      server_.reset();
    }
  }
  static void TearDownTestSuite() { server_.reset(); }

 protected:
  void SetUp() override {
    if (!server_) FAIL() << "server did not start: " << setup_error_;
    if (!server_->running()) FAIL() << "the shared server is no longer running";
  }

  ServerProcess& s() { return *server_; }

  static inline std::unique_ptr<ServerProcess> server_;
  static inline std::string setup_error_;
};

// A string member as std::string ("<missing>" / "<not a string>" otherwise), for readable
// assertions.
inline std::string str(const json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : "<not a string: " + json::serialize(v) + ">";
}
inline std::string str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v ? str(*v) : "<missing " + std::string(key) + ">";
}

// POST /api/orders as the operator; returns the response.
inline Response create_order(ServerProcess& s, const json::object& body) {
  return s.post("/api/orders", to_string(body), s.operator_key());
}

// Creates an order (asserting 201) and returns its JSON.
inline json::object must_create(ServerProcess& s, const json::object& body) {
  auto r = create_order(s, body);
  EXPECT_EQ(r.status, 201) << r.body;
  auto v = r.json();
  if (!v.is_object()) throw std::runtime_error("create returned non-object: " + r.body);
  return v.as_object();
}

// POST /api/orders/{no}/status as the operator.
inline Response change_status(ServerProcess& s, const std::string& no, const std::string& status,
                              const std::string& at = {}) {
  json::object b{{"status", status}};
  if (!at.empty()) b["at"] = at;
  return s.post("/api/orders/" + no + "/status", to_string(b), s.operator_key());
}

inline Response add_shipment(ServerProcess& s, const std::string& no, const std::string& carrier,
                             const std::string& waybill) {
  return s.post("/api/orders/" + no + "/shipments",
                to_string(json::object{{"carrier", carrier}, {"waybill_no", waybill}}),
                s.operator_key());
}

// The order's status via POST /api/orders/batch-get ("" when the order does not exist).
inline std::string order_status(ServerProcess& s, const std::string& no) {
  auto r = s.post("/api/orders/batch-get", to_string(json::object{{"order_nos", json::array{no}}}),
                  s.viewer());
  if (r.status != 200) throw std::runtime_error("batch-get failed: " + r.body);
  const auto items = r.json().as_object().at("items").as_array();
  return items.empty() ? "" : str(items[0].as_object(), "status");
}
inline bool order_exists(ServerProcess& s, const std::string& no) {
  return !order_status(s, no).empty();
}

// The JSON of an error body without its request_id, for comparing two errors.
inline std::string without_request_id(const Response& r) {
  auto v = r.json();
  if (v.is_object()) v.as_object().erase("request_id");
  return json::serialize(v);
}

// The masked form of a mainland mobile number: 138****5678.
inline std::string masked_phone(const std::string& phone) {
  return phone.substr(0, 3) + "****" + phone.substr(phone.size() - 4);
}

// A random waybill number.
inline std::string unique_waybill(const std::string& prefix = "SF") {
  return prefix + security::random_hex(6);
}

// Polls `pred` every 50 ms until it holds or `timeout` passes.
inline bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// A signed Kdniao push (form body) for one SF `waybill` in `state`/`state_ex`, with one trace at
// `at_ms`, as Kdniao's account `ebusiness_id` with `api_key` sends it.
inline std::string kdniao_push(const std::string& ebusiness_id, const std::string& api_key,
                               const std::string& waybill, const std::string& state,
                               const std::string& state_ex, std::int64_t at_ms) {
  auto t = domain::format_rfc3339(at_ms, 480).substr(0, 19);
  t[10] = ' ';
  json::object data{{"EBusinessID", ebusiness_id},
                    {"ShipperCode", "SF"},
                    {"LogisticCode", waybill},
                    {"Success", true},
                    {"Reason", ""},
                    {"State", state},
                    {"StateEx", state_ex},
                    {"Traces", json::array{json::object{{"AcceptTime", t},
                                                        {"AcceptStation", "快件状态更新"},
                                                        {"Location", "杭州市"},
                                                        {"Action", state_ex}}}}};
  json::object push{
      {"EBusinessID", ebusiness_id}, {"PushTime", t}, {"Count", "1"}, {"Data", json::array{data}}};
  carriers::kdniao::Protocol p({ebusiness_id, api_key, "", "", "8002", "8008", ""});
  return p.build_push_form(json::serialize(push));
}

// A throw-away RSA-2048 key pair for this test run, as PEM.
struct KeyPair {
  std::string private_pem, public_pem;
};

inline KeyPair generate_key() {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  if (!key) throw std::runtime_error("EVP_RSA_gen failed");
  auto to_pem = [key](bool priv) {
    BIO* bio = BIO_new(BIO_s_mem());
    if (priv) {
      PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    } else {
      PEM_write_bio_PUBKEY(bio, key);
    }
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(n));
    BIO_free(bio);
    return out;
  };
  KeyPair k{to_pem(true), to_pem(false)};
  EVP_PKEY_free(key);
  return k;
}

// A TCP port on 127.0.0.1 that was free a moment ago: a server or an in-process simulator is
// told to listen there, so each can be given the other's URL before either starts.
inline unsigned short free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("bind failed");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

}  // namespace coldtrack::it
