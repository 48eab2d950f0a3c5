// The carrier simulator, driven by ColdTrack's real Kdniao and Kuaidi100 adapters over HTTP: the
// adapters build and sign the requests, http::Client sends them, and the adapters parse the
// answers and verify the pushes. Simulated time only moves through advance (time_scale 0).
#include "sim/simulator.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "carriers/cainiao/cainiao.h"
#include "carriers/kdniao/kdniao.h"
#include "carriers/kuaidi100/kuaidi100.h"
#include "http/client.h"
#include "http/metrics.h"
#include "http/router.h"
#include "http/server.h"
#include "sim/script.h"

namespace coldtrack::sim {
namespace {

namespace json = boost::json;
namespace kdn = carriers::kdniao;
namespace k100 = carriers::kuaidi100;
namespace cn = carriers::cainiao;
using carriers::ProviderError;
using carriers::Snapshot;
using carriers::TrackingStatus;
using carriers::WaybillRef;
using namespace std::chrono_literals;

constexpr char kEBusinessId[] = "1237100";
constexpr char kApiKey[] = "56da2cf8-c8a2-44b2-b6fa-476cd7d1ba17";
constexpr char kCustomer[] = "TESTCUSTOMER";
constexpr char kKey[] = "testkey";
constexpr char kSalt[] = "testsalt";
constexpr char kCainiaoAppKey[] = "COLDTRACK_RES";
constexpr char kCainiaoSecret[] = "key123";
constexpr std::uint64_t kSeed = 7;

constexpr char kKdniaoQueryPath[] = "/kdniao/Ebusiness/EbusinessOrderHandle.aspx";
constexpr char kKdniaoSubscribePath[] = "/kdniao/api/dist";
constexpr char kK100QueryPath[] = "/kuaidi100/poll/query.do";
constexpr char kK100SubscribePath[] = "/kuaidi100/poll";
constexpr char kCainiaoPath[] = "/cainiao/gateway/link.do";

SimOptions Options(std::string kdniao_callback = "") {
  SimOptions o;
  o.kdniao_ebusiness_id = kEBusinessId;
  o.kdniao_api_key = kApiKey;
  o.kuaidi100_customer = kCustomer;
  o.kuaidi100_key = kKey;
  o.cainiao_app_key = kCainiaoAppKey;
  o.cainiao_secret_key = kCainiaoSecret;
  o.kdniao_callback_url = std::move(kdniao_callback);
  o.time_scale = 0;  // deterministic: only advance() moves the clock
  o.seed = kSeed;
  o.fault_delay = 150ms;
  o.push_timeout = 2s;
  o.tick = 10ms;
  return o;
}

// A waybill number whose script has the wanted scenario (scripts are deterministic).
std::string FindWaybill(std::string_view carrier, Scenario want, std::string_view prefix) {
  for (int i = 1; i < 100000; ++i) {
    const std::string n = std::string(prefix) + std::to_string(1000000 + i * 7);
    if (make_script(carrier, n, kSeed).scenario == want) return n;
  }
  ADD_FAILURE() << "no waybill with scenario " << to_string(want);
  return {};
}

WaybillRef Ref(std::string carrier, std::string provider_carrier, std::string number,
               std::string phone = "13800138000") {
  WaybillRef r;
  r.carrier = std::move(carrier);
  r.provider_carrier = std::move(provider_carrier);
  r.waybill_no = std::move(number);
  r.phone = std::move(phone);
  r.order_no = "CT202611250001";
  return r;
}

// Sends what an adapter built: method, the URL's path, its headers and its (form) body.
http::ClientResponse Send(http::Client& client, const carriers::OutboundRequest& req) {
  auto url = boost::urls::parse_uri(req.url);
  EXPECT_TRUE(url.has_value()) << req.url;
  return client.request(req.method, std::string(url->encoded_path()), req.body, std::nullopt,
                        req.headers);
}

Snapshot AsSnapshot(const carriers::QueryResult& r) {
  if (const auto* e = std::get_if<ProviderError>(&r)) {
    ADD_FAILURE() << "error: " << e->message;
    return {};
  }
  return std::get<Snapshot>(r);
}

ProviderError AsError(const carriers::QueryResult& r) {
  if (std::holds_alternative<Snapshot>(r)) {
    ADD_FAILURE() << "expected an error";
    return {carriers::Failure::kRetryable, ""};
  }
  return std::get<ProviderError>(r);
}

bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds limit = 3s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return done();
}

json::object Control(http::Client& client, const std::string& method, const std::string& target,
                     const std::string& body, int want_status = 200) {
  const auto res = client.request(method, target, body);
  EXPECT_EQ(res.status, want_status) << target << " " << res.body;
  return json::parse(res.body).as_object();
}

std::int64_t Num(const json::object& o, std::string_view name) {
  return o.at(name).to_number<std::int64_t>();
}
std::int64_t Num(const json::object& o, std::string_view provider, std::string_view name) {
  return Num(o.at(provider).as_object(), name);
}
std::string Str(const json::object& o, std::string_view name) {
  return std::string(o.at(name).as_string());
}

std::int64_t Stat(http::Client& client, std::string_view provider, std::string_view name) {
  return Num(Control(client, "GET", "/sim/stats", ""), provider, name);
}

// ---- Fixture: a simulator plus adapters pointed at it -----------------------------------------

class SimulatorTest : public ::testing::Test {
 protected:
  void Start(SimOptions options) {
    sim_ = std::make_unique<Simulator>(std::move(options));
    const unsigned short port = sim_->start();
    base_ = sim_->base_url();
    client_ = std::make_unique<http::Client>("127.0.0.1", port);
  }
  void SetUp() override { Start(Options()); }

  kdn::Protocol Kdniao(std::string api_key = kApiKey, std::string id = kEBusinessId) const {
    kdn::Config c;
    c.ebusiness_id = std::move(id);
    c.api_key = std::move(api_key);
    c.query_url = base_ + kKdniaoQueryPath;
    c.subscribe_url = base_ + kKdniaoSubscribePath;
    return kdn::Protocol(c);
  }

  k100::Protocol Kuaidi100(std::string key = kKey, std::string callback = "") const {
    k100::Config c;
    c.customer = kCustomer;
    c.key = std::move(key);
    c.salt = kSalt;
    c.query_url = base_ + kK100QueryPath;
    c.subscribe_url = base_ + kK100SubscribePath;
    c.callback_url = std::move(callback);
    return k100::Protocol(c);
  }

  cn::Protocol Cainiao(std::string secret = kCainiaoSecret,
                       std::string app_key = kCainiaoAppKey) const {
    cn::Config c;
    c.gateway_url = base_ + kCainiaoPath;
    c.app_key = std::move(app_key);
    c.secret_key = std::move(secret);
    return cn::Protocol(c);
  }

  carriers::QueryResult Query(const cn::Protocol& p, const WaybillRef& ref) {
    const auto res = Send(*client_, p.build_query(ref));
    return p.parse_query_response(res.status, res.body, ref);
  }
  carriers::QueryResult Query(const kdn::Protocol& p, const WaybillRef& ref) {
    const auto res = Send(*client_, p.build_query(ref));
    return p.parse_query_response(res.status, res.body, ref);
  }
  carriers::QueryResult Query(const k100::Protocol& p, const WaybillRef& ref) {
    const auto res = Send(*client_, p.build_query(ref));
    return p.parse_query_response(res.status, res.body, ref);
  }

  void Advance(std::int64_t seconds) {
    Control(*client_, "POST", "/sim/advance", fmt::format(R"({{"seconds":{}}})", seconds));
  }
  void Fault(std::string_view provider, std::string_view mode, int count = 1) {
    Control(*client_, "POST", "/sim/faults",
            fmt::format(R"({{"provider":"{}","mode":"{}","count":{}}})", provider, mode, count));
  }

  std::unique_ptr<Simulator> sim_;
  std::string base_;
  std::unique_ptr<http::Client> client_;
};

// ---- Queries ----------------------------------------------------------------------------------

TEST_F(SimulatorTest, KdniaoQueryServesTheScriptedSnapshotAndAdvances) {
  const std::string no = FindWaybill("SF", Scenario::kDelivered, "SF14");
  const Script script = make_script("SF", no, kSeed);
  const auto p = Kdniao();
  const WaybillRef ref = Ref("SF", "SF", no);

  Snapshot first = AsSnapshot(Query(p, ref));
  EXPECT_EQ(first.unified.status, TrackingStatus::kPickedUp);
  EXPECT_EQ(first.raw_state, "1");
  ASSERT_EQ(first.traces.size(), 1u);
  EXPECT_EQ(first.traces[0].description, script.steps[0].context);
  EXPECT_EQ(first.traces[0].location, script.origin);
  EXPECT_NE(first.traces[0].description.find("顺丰冷运"), std::string::npos);

  Advance(3 * 3600 * 24);
  Snapshot last = AsSnapshot(Query(p, ref));
  EXPECT_EQ(last.unified.status, TrackingStatus::kDelivered);
  EXPECT_EQ(last.raw_substate, "301");
  ASSERT_EQ(last.traces.size(), script.steps.size());
  EXPECT_EQ(last.traces.front().time, first.traces.front().time);  // history is stable
  EXPECT_EQ(last.traces.back().location, script.destination);
  for (std::size_t i = 1; i < last.traces.size(); ++i)
    EXPECT_GT(last.traces[i].time, last.traces[i - 1].time);
  // The out-for-delivery trace names the courier and a 1700000xxxx phone.
  EXPECT_NE(last.traces[3].description.find("1700000"), std::string::npos);
}

TEST_F(SimulatorTest, KdniaoRefusesBadSignatureUnknownIdAndMissingCustomerName) {
  const WaybillRef ref = Ref("SF", "SF", "SF1234567890123");
  const ProviderError bad_sign = AsError(Query(Kdniao("wrong-api-key"), ref));
  EXPECT_EQ(bad_sign.kind, carriers::Failure::kPermanent);
  EXPECT_NE(bad_sign.message.find("DataSign"), std::string::npos) << bad_sign.message;

  const ProviderError unknown = AsError(Query(Kdniao(kApiKey, "9999999"), ref));
  EXPECT_EQ(unknown.kind, carriers::Failure::kPermanent);
  EXPECT_NE(unknown.message.find("EBusinessID"), std::string::npos) << unknown.message;

  const ProviderError no_name = AsError(Query(Kdniao(), Ref("SF", "SF", "SF1234567890123", "")));
  EXPECT_EQ(no_name.kind, carriers::Failure::kPermanent);
  EXPECT_NE(no_name.message.find("CustomerName"), std::string::npos) << no_name.message;

  // Carriers without the CustomerName rule need no phone; any 4 digits do for SF.
  AsSnapshot(Query(Kdniao(), Ref("YTO", "YTO", "YT1234567890", "")));
  AsSnapshot(Query(Kdniao(), Ref("SF", "SF", "SF1234567890123", "0000")));
  EXPECT_EQ(Stat(*client_, "kdniao", "queries"), 5);
  EXPECT_EQ(Stat(*client_, "kdniao", "rejected"), 3);
}

TEST_F(SimulatorTest, NumbersEndingIn0000NeverGetTraces) {
  const WaybillRef ref = Ref("YTO", "YTO", "YT88880000", "");
  Advance(10 * 24 * 3600);
  Snapshot s = AsSnapshot(Query(Kdniao(), ref));
  EXPECT_EQ(s.unified.status, TrackingStatus::kNoInfo);
  EXPECT_TRUE(s.traces.empty());
  // Kuaidi100 answers its documented failure ("no result yet"): retry later.
  const ProviderError e = AsError(Query(Kuaidi100(), Ref("YTO", "yuantong", "YT88880000", "")));
  EXPECT_EQ(e.kind, carriers::Failure::kRetryable);
  EXPECT_NE(e.message.find("500"), std::string::npos) << e.message;
}

TEST_F(SimulatorTest, Kuaidi100QueryIsNewestFirstSignedAndAdvances) {
  const std::string no = FindWaybill("yuantong", Scenario::kDelivered, "YT9");
  const auto p = Kuaidi100();
  const WaybillRef ref = Ref("YTO", "yuantong", no, "");
  Snapshot first = AsSnapshot(Query(p, ref));
  EXPECT_EQ(first.unified.status, TrackingStatus::kPickedUp);
  EXPECT_EQ(first.raw_substate, "103");

  Advance(3 * 24 * 3600);
  const auto res = Send(*client_, p.build_query(ref));
  ASSERT_EQ(res.status, 200);
  const json::object body = json::parse(res.body).as_object();
  EXPECT_EQ(Str(body, "message"), "ok");
  EXPECT_EQ(Str(body, "status"), "200");
  EXPECT_EQ(Str(body, "ischeck"), "1");
  EXPECT_EQ(Str(body, "state"), "301");
  const json::array& data = body.at("data").as_array();
  ASSERT_EQ(data.size(), 5u);
  EXPECT_GT(Str(data.front().as_object(), "time"), Str(data.back().as_object(), "time"));
  Snapshot last = AsSnapshot(p.parse_query_response(res.status, res.body, ref));
  EXPECT_EQ(last.unified.status, TrackingStatus::kDelivered);
  EXPECT_EQ(last.traces.size(), 5u);

  const ProviderError bad = AsError(Query(Kuaidi100("wrong-key"), ref));
  EXPECT_EQ(bad.kind, carriers::Failure::kPermanent);
  EXPECT_NE(bad.message.find("600"), std::string::npos) << bad.message;
  const ProviderError no_phone = AsError(Query(p, Ref("SF", "shunfeng", "SF1234567890123", "")));
  EXPECT_EQ(no_phone.kind, carriers::Failure::kPermanent);
  EXPECT_NE(no_phone.message.find("700"), std::string::npos) << no_phone.message;
  EXPECT_EQ(Stat(*client_, "kuaidi100", "queries"), 4);
  EXPECT_EQ(Stat(*client_, "kuaidi100", "frequent_queries"), 0);  // 3 days apart
}

TEST_F(SimulatorTest, ProblemScenariosMapToExceptions) {
  const std::string rejected = FindWaybill("ZTO", Scenario::kRejected, "ZT7");
  const std::string locker = FindWaybill("yuantong", Scenario::kLockerOverdue, "YT7");
  Query(Kdniao(), Ref("ZTO", "ZTO", rejected));
  Query(Kuaidi100(), Ref("YTO", "yuantong", locker, ""));
  Advance(5 * 24 * 3600);
  Snapshot r = AsSnapshot(Query(Kdniao(), Ref("ZTO", "ZTO", rejected)));
  EXPECT_EQ(r.unified.status, TrackingStatus::kException);
  EXPECT_EQ(r.unified.reason, "REJECTED");
  EXPECT_EQ(r.raw_substate, "404");
  Snapshot l = AsSnapshot(Query(Kuaidi100(), Ref("YTO", "yuantong", locker, "")));
  EXPECT_EQ(l.unified.status, TrackingStatus::kException);
  EXPECT_EQ(l.unified.reason, "PICKUP_OVERDUE");
}

// ---- Faults and control -----------------------------------------------------------------------

TEST_F(SimulatorTest, FaultsApplyToTheNextCallsOfThatProvider) {
  const auto p = Kdniao();
  const WaybillRef ref = Ref("YTO", "YTO", FindWaybill("YTO", Scenario::kDelivered, "YT5"), "");

  Fault("kdniao", "http500", 2);
  for (int i = 0; i < 2; ++i) {
    const ProviderError e = AsError(Query(p, ref));
    EXPECT_EQ(e.kind, carriers::Failure::kRetryable);
    EXPECT_NE(e.message.find("500"), std::string::npos) << e.message;
  }
  AsSnapshot(Query(p, ref));  // used up

  Fault("kdniao", "malformed");
  EXPECT_EQ(AsError(Query(p, ref)).kind, carriers::Failure::kRetryable);
  Fault("kdniao", "rate_limit");
  EXPECT_EQ(AsError(Query(p, ref)).kind, carriers::Failure::kRetryable);
  Fault("kdniao", "bad_signature");
  EXPECT_EQ(AsError(Query(p, ref)).kind, carriers::Failure::kPermanent);

  Fault("kdniao", "timeout");
  const auto t0 = std::chrono::steady_clock::now();
  const ProviderError slow = AsError(Query(p, ref));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 150ms);
  EXPECT_EQ(slow.kind, carriers::Failure::kRetryable);

  Advance(24 * 3600);
  const Snapshot current = AsSnapshot(Query(p, ref));
  Fault("kdniao", "out_of_order");
  const Snapshot stale = AsSnapshot(Query(p, ref));
  EXPECT_EQ(stale.traces.size() + 1, current.traces.size());

  // Faults are per provider: Kuaidi100 is unaffected by Kdniao's and vice versa.
  Fault("kuaidi100", "rate_limit");
  AsSnapshot(Query(p, ref));
  const auto k = Kuaidi100();
  const ProviderError limited = AsError(Query(k, Ref("YTO", "yuantong", ref.waybill_no, "")));
  EXPECT_EQ(limited.kind, carriers::Failure::kRetryable);

  EXPECT_EQ(Stat(*client_, "kdniao", "faults_applied"), 7);
  EXPECT_EQ(Stat(*client_, "kuaidi100", "faults_applied"), 1);

  // Bad control requests are refused.
  Control(*client_, "POST", "/sim/faults", R"({"provider":"ups","mode":"timeout"})", 400);
  Control(*client_, "POST", "/sim/faults", R"({"provider":"kdniao","mode":"explode"})", 400);
  Control(*client_, "POST", "/sim/advance", R"({"seconds":"soon"})", 400);
}

TEST_F(SimulatorTest, StatsCountCallsAndResetClearsThem) {
  const auto p = Kdniao();
  for (int i = 0; i < 3; ++i) Query(p, Ref("YTO", "YTO", "YT1000001", ""));
  Query(Kuaidi100(), Ref("YTO", "yuantong", "YT1000001", ""));
  json::object stats = Control(*client_, "GET", "/sim/stats", "");
  EXPECT_EQ(Num(stats, "kdniao", "queries"), 3);
  EXPECT_EQ(Num(stats, "kdniao", "frequent_queries"), 2);  // same waybill within 30 minutes
  EXPECT_EQ(Num(stats, "kuaidi100", "queries"), 1);
  EXPECT_EQ(Num(stats, "waybills"), 2);
  const std::int64_t before = Num(stats, "sim_time_ms");
  Advance(3600);
  stats = Control(*client_, "GET", "/sim/stats", "");
  EXPECT_EQ(Num(stats, "sim_time_ms") - before, 3600 * 1000);

  Control(*client_, "POST", "/sim/reset", "");
  stats = Control(*client_, "GET", "/sim/stats", "");
  EXPECT_EQ(Num(stats, "kdniao", "queries"), 0);
  EXPECT_EQ(Num(stats, "waybills"), 0);
}

// ---- Pushes -----------------------------------------------------------------------------------

// A tiny push receiver: one POST route on a real coldtrack::http::Server.
class Receiver {
 public:
  using Handle = std::function<carriers::ReplyBody(const std::string& body, bool* ok)>;

  explicit Receiver(Handle handle) : handle_(std::move(handle)) {
    router_.add(http::beast_http::verb::post, "/cb", http::Access::kPublic, http::Role::kViewer,
                [this](http::Context& ctx) { return Respond(on_push(ctx)); });
    http::ServerOptions so;
    so.host = "127.0.0.1";
    so.port = 0;
    server_ = std::make_unique<http::Server>(so, router_, nullptr, nullptr, pool_, metrics_,
                                             [] { return std::int64_t{0}; });
    port_ = server_->start();
  }
  ~Receiver() {
    server_->drain(0ms);
    server_->stop();
    pool_.join();
  }

  std::string url() const { return fmt::format("http://127.0.0.1:{}/cb", port_); }
  std::vector<std::string> bodies() {
    std::lock_guard lock(mu_);
    return bodies_;
  }
  std::size_t count() {
    std::lock_guard lock(mu_);
    return bodies_.size();
  }

 private:
  static boost::asio::awaitable<http::Response> Respond(http::Response res) { co_return res; }

  http::Response on_push(http::Context& ctx) {
    bool ok = false;
    const carriers::ReplyBody reply = handle_(ctx.req.body(), &ok);
    {
      std::lock_guard lock(mu_);
      bodies_.push_back(ctx.req.body());  // after handle_: count() covers what it recorded
    }
    http::Response res{ok ? http::beast_http::status::ok : http::beast_http::status::unauthorized,
                       ctx.req.version()};
    res.set(http::beast_http::field::content_type, reply.content_type);
    res.keep_alive(false);
    res.body() = reply.body;
    res.prepare_payload();
    return res;
  }

  Handle handle_;
  std::mutex mu_;
  std::vector<std::string> bodies_;
  http::Router router_;
  boost::asio::thread_pool pool_{1};
  http::Metrics metrics_;
  std::unique_ptr<http::Server> server_;
  unsigned short port_ = 0;
};

TEST_F(SimulatorTest, KdniaoPushesSignedSnapshotsAndRetriesRefusedOnes) {
  const kdn::Protocol verifier(kdn::Config{kEBusinessId, kApiKey, "", "", "8002", "8008", ""});
  Receiver receiver([&](const std::string& body, bool* ok) {
    const carriers::PushResult r = verifier.parse_push(body);
    *ok = r.verified && r.error.empty();
    return verifier.push_reply(*ok, *ok ? "" : r.error, 0);
  });
  sim_.reset();
  Start(Options(receiver.url()));

  const std::string no = FindWaybill("SF", Scenario::kDelivered, "SF66");
  const auto p = Kdniao();
  const WaybillRef ref = Ref("SF", "SF", no);
  const auto res = Send(*client_, p.build_subscribe(ref));
  EXPECT_TRUE(
      std::holds_alternative<std::monostate>(p.parse_subscribe_response(res.status, res.body)))
      << res.body;

  const auto snapshot_of = [&](const std::string& body) {
    carriers::PushResult r = verifier.parse_push(body);
    EXPECT_TRUE(r.verified) << r.error;
    EXPECT_EQ(r.snapshots.size(), 1u);
    return r.snapshots.empty() ? Snapshot{} : r.snapshots.front();
  };
  ASSERT_TRUE(WaitFor([&] { return receiver.count() == 1; }));
  const Snapshot first = snapshot_of(receiver.bodies()[0]);
  EXPECT_EQ(first.waybill_no, no);
  EXPECT_EQ(first.unified.status, TrackingStatus::kPickedUp);
  EXPECT_NE(receiver.bodies()[0].find("RequestType=101"), std::string::npos);

  // A push signed with the wrong key is refused by the receiver, then retried signed correctly.
  Fault("kdniao", "bad_signature");
  Advance(8 * 3600);  // in transit; delivery comes later (scripts take 10-22 h)
  ASSERT_TRUE(WaitFor([&] { return receiver.count() == 2; }));
  EXPECT_FALSE(verifier.parse_push(receiver.bodies()[1]).verified);
  ASSERT_TRUE(WaitFor([&] { return Stat(*client_, "kdniao", "push_retries") == 1; }));
  Advance(3 * 60);  // the first Kdniao retry comes 2 simulated minutes later
  ASSERT_TRUE(WaitFor([&] { return receiver.count() == 3; }));
  const Snapshot retried = snapshot_of(receiver.bodies()[2]);
  EXPECT_TRUE(carriers::supersedes(retried, first));

  // duplicate: the same signed push twice.
  Fault("kdniao", "duplicate");
  Advance(3 * 24 * 3600);
  ASSERT_TRUE(WaitFor([&] { return receiver.count() == 5; }));
  const auto bodies = receiver.bodies();
  EXPECT_EQ(bodies[3], bodies[4]);
  EXPECT_EQ(snapshot_of(bodies[4]).unified.status, TrackingStatus::kDelivered);

  ASSERT_TRUE(WaitFor([&] { return Stat(*client_, "kdniao", "pushes_ok") == 4; }));
  EXPECT_EQ(Stat(*client_, "kdniao", "pushes"), 5);
  EXPECT_EQ(Stat(*client_, "kdniao", "pushes_failed"), 1);
  EXPECT_EQ(Stat(*client_, "kdniao", "subscriptions"), 1);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(receiver.count(), 5u);  // nothing changes after delivery: no more pushes
  sim_->stop();
}

TEST_F(SimulatorTest, Kuaidi100PushesWithSaltSignatureOutOfOrderAndShutdown) {
  const k100::Protocol verifier = Kuaidi100();
  std::mutex mu;
  std::vector<k100::PushMeta> metas;
  Receiver receiver([&](const std::string& body, bool* ok) {
    k100::PushMeta meta;
    const carriers::PushResult r = verifier.parse_push(body, &meta);
    *ok = r.verified && r.error.empty();
    std::lock_guard lock(mu);
    metas.push_back(meta);
    return verifier.push_reply(*ok, r.error);
  });

  const std::string no = FindWaybill("yuantong", Scenario::kDelivered, "YT66");
  const auto p = Kuaidi100(kKey, receiver.url());
  const WaybillRef ref = Ref("YTO", "yuantong", no, "");
  const auto res = Send(*client_, p.build_subscribe(ref));
  EXPECT_TRUE(
      std::holds_alternative<std::monostate>(p.parse_subscribe_response(res.status, res.body)))
      << res.body;
  // Subscribing again while tracked: the documented 501, which the adapter treats as success.
  const auto again = Send(*client_, p.build_subscribe(ref));
  EXPECT_NE(again.body.find("\"501\""), std::string::npos) << again.body;
  EXPECT_TRUE(
      std::holds_alternative<std::monostate>(p.parse_subscribe_response(again.status, again.body)));

  const auto snapshot_of = [&](const std::string& body) {
    carriers::PushResult r = verifier.parse_push(body);
    EXPECT_TRUE(r.verified) << r.error;
    EXPECT_EQ(r.snapshots.size(), 1u);
    return r.snapshots.empty() ? Snapshot{} : r.snapshots.front();
  };
  ASSERT_TRUE(WaitFor([&] { return receiver.count() == 1; }));
  EXPECT_EQ(snapshot_of(receiver.bodies()[0]).unified.status, TrackingStatus::kPickedUp);

  // out_of_order: the current snapshot, then an older one.
  Fault("kuaidi100", "out_of_order");
  Advance(8 * 3600);
  ASSERT_TRUE(WaitFor([&] { return receiver.count() == 3; }));
  const Snapshot newer = snapshot_of(receiver.bodies()[1]);
  const Snapshot older = snapshot_of(receiver.bodies()[2]);
  EXPECT_TRUE(carriers::supersedes(newer, older));
  EXPECT_EQ(older.traces.size() + 1, newer.traces.size());

  // timeout: the push is lost; Kuaidi100 retries about 30 minutes later.
  Fault("kuaidi100", "timeout");
  Advance(3 * 24 * 3600);
  ASSERT_TRUE(WaitFor([&] { return Stat(*client_, "kuaidi100", "push_retries") == 1; }));
  EXPECT_EQ(receiver.count(), 3u);
  Advance(31 * 60);
  ASSERT_TRUE(WaitFor([&] { return receiver.count() == 4; }));
  const Snapshot final_snapshot = snapshot_of(receiver.bodies()[3]);
  EXPECT_EQ(final_snapshot.unified.status, TrackingStatus::kDelivered);
  {
    std::lock_guard lock(mu);
    ASSERT_EQ(metas.size(), 4u);
    EXPECT_EQ(metas[0].status, k100::PushMeta::Status::kPolling);
    EXPECT_EQ(metas[3].status, k100::PushMeta::Status::kShutdown);
  }
  // The simulator records a push's outcome just after the receiver has answered it.
  ASSERT_TRUE(WaitFor([&] { return Stat(*client_, "kuaidi100", "pushes_ok") == 4; }));
  const json::object stats = Control(*client_, "GET", "/sim/stats", "");
  EXPECT_EQ(Num(stats, "kuaidi100", "tracking"), 0);
  EXPECT_EQ(Num(stats, "kuaidi100", "subscriptions"), 2);
  EXPECT_EQ(Num(stats, "kuaidi100", "pushes"), 4);
  EXPECT_EQ(Num(stats, "kuaidi100", "pushes_failed"), 1);
  sim_->stop();
}

TEST(SimulatorClock, RealTimeDrivesTheScriptAndPushes) {
  const k100::Protocol verifier = [] {
    k100::Config c;
    c.salt = kSalt;
    return k100::Protocol(c);
  }();
  Receiver receiver([&](const std::string& body, bool* ok) {
    *ok = verifier.parse_push(body).verified;
    return verifier.push_reply(*ok, "");
  });
  SimOptions o = Options();
  o.time_scale = 100 * 3600;  // 100 simulated hours per real second
  Simulator sim(o);
  const unsigned short port = sim.start();
  http::Client client("127.0.0.1", port);
  k100::Config c;
  c.customer = kCustomer;
  c.key = kKey;
  c.salt = kSalt;
  c.subscribe_url = sim.base_url() + kK100SubscribePath;
  c.callback_url = receiver.url();
  const k100::Protocol p(c);
  const std::string no = FindWaybill("yuantong", Scenario::kDelivered, "YT77");
  const auto res = Send(client, p.build_subscribe(Ref("YTO", "yuantong", no, "")));
  ASSERT_NE(res.body.find("\"200\""), std::string::npos) << res.body;
  // Delivery comes within 22 simulated hours, i.e. well under a real second.
  ASSERT_TRUE(WaitFor(
      [&] { return Num(Control(client, "GET", "/sim/stats", ""), "kuaidi100", "tracking") == 0; }));
  sim.stop();
  const auto bodies = receiver.bodies();
  ASSERT_GE(bodies.size(), 2u);
  k100::PushMeta meta;
  const carriers::PushResult last = verifier.parse_push(bodies.back(), &meta);
  ASSERT_TRUE(last.verified);
  EXPECT_EQ(meta.status, k100::PushMeta::Status::kShutdown);
  ASSERT_EQ(last.snapshots.size(), 1u);
  EXPECT_EQ(last.snapshots[0].unified.status, TrackingStatus::kDelivered);
}

// ---- Cainiao LINK gateway (query only, placeholder business schema) ---------------------------

TEST_F(SimulatorTest, CainiaoQueryServesThePlaceholderSnapshotAndAdvances) {
  const std::string no = FindWaybill("SF", Scenario::kDelivered, "SF15");
  const Script script = make_script("SF", no, kSeed);
  const auto p = Cainiao();
  const WaybillRef ref = Ref("SF", "SF", no);

  Snapshot first = AsSnapshot(Query(p, ref));
  EXPECT_EQ(first.provider, "cainiao");
  EXPECT_TRUE(first.mapped);
  EXPECT_EQ(first.unified.status, TrackingStatus::kPickedUp);
  EXPECT_EQ(first.raw_state, "PICKED_UP");
  ASSERT_EQ(first.traces.size(), 1u);
  EXPECT_EQ(first.traces[0].description, script.steps[0].context);
  EXPECT_EQ(first.traces[0].location, script.origin);
  EXPECT_EQ(first.traces[0].raw_code, "PICKED_UP");

  Advance(3 * 3600 * 24);
  Snapshot last = AsSnapshot(Query(p, ref));
  EXPECT_EQ(last.unified.status, TrackingStatus::kDelivered);
  EXPECT_EQ(last.raw_state, "DELIVERED");
  ASSERT_EQ(last.traces.size(), script.steps.size());
  EXPECT_EQ(last.traces.front().time, first.traces.front().time);  // history is stable
  EXPECT_EQ(last.traces.back().location, script.destination);
  for (std::size_t i = 1; i < last.traces.size(); ++i)
    EXPECT_GT(last.traces[i].time, last.traces[i - 1].time);

  // Same script as Kdniao (each provider's clock for a waybill starts when it first sees it).
  Snapshot kdn_view = AsSnapshot(Query(Kdniao(), ref));
  ASSERT_EQ(kdn_view.traces.size(), 1u);
  EXPECT_EQ(kdn_view.traces[0].description, last.traces[0].description);
  EXPECT_EQ(kdn_view.unified.status, first.unified.status);

  // An exception scenario carries its reason (data.reason overrides the placeholder OTHER).
  const WaybillRef rejected = Ref("YTO", "YTO", FindWaybill("YTO", Scenario::kRejected, "YT6"), "");
  AsSnapshot(Query(p, rejected));  // first seen now
  Advance(10 * 3600 * 24);
  Snapshot r = AsSnapshot(Query(p, rejected));
  EXPECT_EQ(r.unified.status, TrackingStatus::kException);
  EXPECT_EQ(r.unified.reason, "REJECTED");

  // No traces yet: success with NO_INFO, not an error.
  Snapshot none = AsSnapshot(Query(p, Ref("YTO", "YTO", "YT77770000", "")));
  EXPECT_EQ(none.unified.status, TrackingStatus::kNoInfo);
  EXPECT_TRUE(none.traces.empty());

  EXPECT_EQ(Stat(*client_, "cainiao", "queries"), 5);
  EXPECT_EQ(Stat(*client_, "cainiao", "rejected"), 0);
}

TEST_F(SimulatorTest, CainiaoRefusesWrongSecretUnknownProviderAndUnknownMsgType) {
  const WaybillRef ref = Ref("SF", "SF", "SF1234567890123");
  const ProviderError bad = AsError(Query(Cainiao("not-the-secret"), ref));
  EXPECT_EQ(bad.kind, carriers::Failure::kPermanent);
  EXPECT_NE(bad.message.find("S02"), std::string::npos) << bad.message;

  const ProviderError unknown = AsError(Query(Cainiao(kCainiaoSecret, "SOMEONE_ELSE"), ref));
  EXPECT_EQ(unknown.kind, carriers::Failure::kPermanent);
  EXPECT_NE(unknown.message.find("INVALID_PROVIDER"), std::string::npos) << unknown.message;

  cn::Config c;
  c.gateway_url = base_ + kCainiaoPath;
  c.app_key = kCainiaoAppKey;
  c.secret_key = kCainiaoSecret;
  c.mapping.query_msg_type = "SOME_REAL_API_NAME";
  const ProviderError api = AsError(Query(cn::Protocol(c), ref));
  EXPECT_EQ(api.kind, carriers::Failure::kPermanent);
  EXPECT_NE(api.message.find("UNKNOWN_MSG_TYPE"), std::string::npos) << api.message;

  // A digest with '+' / '/' survives the form encoding: the derived vector's content is signed
  // and verified like any other (the adapter percent-encodes, the simulator decodes once).
  EXPECT_EQ(cn::Protocol::data_digest("{\"test\":\"冷链8\"}", "key123"),
            "B63gJTr3/N+Re2wUq2fHvg==");
  const auto raw = client_->request(
      "POST", kCainiaoPath,
      "msg_type=COLDTRACK_PLACEHOLDER_TRACE_QUERY&logistic_provider_id=COLDTRACK_RES"
      "&logistics_interface=%7B%22test%22%3A%22%E5%86%B7%E9%93%BE8%22%7D"
      "&data_digest=B63gJTr3%2FN%2BRe2wUq2fHvg%3D%3D",
      std::nullopt, {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(raw.status, 200);
  // Signed right, but the body has no cpCode/mailNo: a parameter error, not S02.
  EXPECT_NE(raw.body.find("PARAM_ERROR"), std::string::npos) << raw.body;

  EXPECT_EQ(Stat(*client_, "cainiao", "queries"), 4);
  EXPECT_EQ(Stat(*client_, "cainiao", "rejected"), 4);
}

TEST_F(SimulatorTest, CainiaoFaultsAreRetryableExceptBadSignature) {
  const auto p = Cainiao();
  const WaybillRef ref = Ref("YTO", "YTO", FindWaybill("YTO", Scenario::kDelivered, "YT5"), "");

  Fault("cainiao", "http500");
  const ProviderError e500 = AsError(Query(p, ref));
  EXPECT_EQ(e500.kind, carriers::Failure::kRetryable);
  EXPECT_NE(e500.message.find("500"), std::string::npos) << e500.message;
  Fault("cainiao", "malformed");
  EXPECT_EQ(AsError(Query(p, ref)).kind, carriers::Failure::kRetryable);
  Fault("cainiao", "rate_limit");
  const ProviderError limited = AsError(Query(p, ref));
  EXPECT_EQ(limited.kind, carriers::Failure::kRetryable) << limited.message;
  Fault("cainiao", "bad_signature");
  const ProviderError sig = AsError(Query(p, ref));
  EXPECT_EQ(sig.kind, carriers::Failure::kPermanent);
  EXPECT_NE(sig.message.find("S02"), std::string::npos) << sig.message;

  Fault("cainiao", "timeout");
  const auto t0 = std::chrono::steady_clock::now();
  const ProviderError slow = AsError(Query(p, ref));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 150ms);
  EXPECT_EQ(slow.kind, carriers::Failure::kRetryable);

  // Faults are per provider: Kdniao is unaffected by Cainiao's.
  Fault("cainiao", "http500");
  AsSnapshot(Query(Kdniao(), ref));
  EXPECT_EQ(AsError(Query(p, ref)).kind, carriers::Failure::kRetryable);
  AsSnapshot(Query(p, ref));  // used up

  EXPECT_EQ(Stat(*client_, "cainiao", "faults_applied"), 6);
  EXPECT_EQ(Stat(*client_, "cainiao", "queries"), 7);
  EXPECT_EQ(Stat(*client_, "kdniao", "faults_applied"), 0);
}

}  // namespace
}  // namespace coldtrack::sim
