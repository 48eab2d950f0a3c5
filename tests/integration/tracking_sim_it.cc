// Tracking end to end: the real `coldtrack serve` binary against the carrier simulator, which
// runs in this test process (time_scale 0: simulated time moves only when the test advances it).
// Covers push alone, polling alone, provider faults (breaker, failover, recovery) and duplicate
// and out-of-order pushes; every wait is a bounded polling loop.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "fixtures.h"
#include "http/client.h"
#include "sim/script.h"
#include "sim/simulator.h"

namespace coldtrack::it {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr const char* kEbusinessId = "1237100";
constexpr const char* kKdniaoKey = "sim-it-kdniao-api-key";
constexpr const char* kK100Customer = "SIMITCUSTOMER";
constexpr const char* kK100Key = "sim-it-kuaidi100-key";
constexpr const char* kK100Salt = "sim-it-salt";
constexpr std::uint64_t kSeed = 1;
constexpr int kBreakerOpenS = 2;

// Polls `pred` every 20 ms until it holds or `timeout` passes; returns whether it held.

// A random SF waybill whose scripted route ends in a plain delivery (pickup, two hubs, out for
// delivery, signed), so every scenario knows the steps it will see.
std::pair<std::string, sim::Script> delivered_waybill() {
  for (;;) {
    auto wb = unique_waybill("SF");
    auto script = sim::make_script("SF", wb, kSeed);
    if (script.scenario == sim::Scenario::kDelivered && script.steps.size() == 5)
      return {wb, std::move(script)};
  }
}

constexpr const char* kCainiaoAppKey = "it-cainiao-provider";
constexpr const char* kCainiaoSecret = "it-cainiao-secret";

struct SimSetup {
  bool push = true;                 // the simulator pushes to the server
  std::string provider = "kdniao";  // tracking.provider
  std::string fallback = "kuaidi100";
  int poll_s = 3600;  // every polling interval and the freshness window
};

class TrackingSim : public ::testing::Test {
 protected:
  // The server is told its port up front (the simulator needs the callback URL), so another
  // process may take that port in between: try a new one then.
  void start(const SimSetup& setup) {
    for (int attempt = 1;; ++attempt) {
      try {
        start_on(setup, free_port());
        return;
      } catch (const std::exception& e) {
        if (attempt == 3 ||
            std::string(e.what()).find("Address already in use") == std::string::npos)
          throw;
        server_.reset();
        if (sim_) sim_->stop();
        sim_.reset();
      }
    }
  }

  void start_on(const SimSetup& setup, unsigned short port) {
    server_url_ = "http://127.0.0.1:" + std::to_string(port);
    sim::SimOptions so;
    so.port = 0;
    so.time_scale = 0;
    so.seed = kSeed;
    so.kdniao_ebusiness_id = kEbusinessId;
    so.kdniao_api_key = kKdniaoKey;
    so.kuaidi100_customer = kK100Customer;
    so.kuaidi100_key = kK100Key;
    so.kuaidi100_salt = kK100Salt;
    so.cainiao_app_key = kCainiaoAppKey;
    so.cainiao_secret_key = kCainiaoSecret;
    if (setup.push) {
      so.kdniao_callback_url = server_url_ + "/api/callbacks/kdniao";
    } else {
      // Kuaidi100 pushes to each subscription's callbackurl unless overridden: send them to
      // a closed port so they go nowhere.
      so.kuaidi100_callback_url =
          "http://127.0.0.1:" + std::to_string(free_port()) + "/api/callbacks/kuaidi100";
    }
    so.fault_delay = 1500ms;  // a held "timeout" answer, shorter than ColdTrack's 10 s timeout
    so.push_timeout = 5000ms;
    so.tick = 50ms;
    sim_ = std::make_unique<sim::Simulator>(so);
    sim_->start();
    t0_ = sim_->now();
    t0_ -= t0_ % 1000;  // the simulator starts a waybill's script at whole seconds

    const auto base = sim_->base_url();
    const auto poll = std::to_string(setup.poll_s);
    server_ = std::make_unique<ServerProcess>(std::map<std::string, std::string>{
        {"COLDTRACK_SERVER_PORT", std::to_string(port)},
        {"COLDTRACK_CARRIERS_KDNIAO_EBUSINESS_ID", kEbusinessId},
        {"COLDTRACK_CARRIERS_KDNIAO_API_KEY", kKdniaoKey},
        {"COLDTRACK_CARRIERS_KDNIAO_QUERY_URL",
         base + "/kdniao/Ebusiness/EbusinessOrderHandle.aspx"},
        {"COLDTRACK_CARRIERS_KDNIAO_SUBSCRIBE_URL", base + "/kdniao/api/dist"},
        {"COLDTRACK_CARRIERS_KUAIDI100_CUSTOMER", kK100Customer},
        {"COLDTRACK_CARRIERS_KUAIDI100_KEY", kK100Key},
        {"COLDTRACK_CARRIERS_KUAIDI100_SALT", kK100Salt},
        {"COLDTRACK_CARRIERS_KUAIDI100_QUERY_URL", base + "/kuaidi100/poll/query.do"},
        {"COLDTRACK_CARRIERS_KUAIDI100_SUBSCRIBE_URL", base + "/kuaidi100/poll"},
        {"COLDTRACK_CARRIERS_CAINIAO_GATEWAY_URL", base + "/cainiao/gateway/link.do"},
        {"COLDTRACK_CARRIERS_CAINIAO_APP_KEY", kCainiaoAppKey},
        {"COLDTRACK_CARRIERS_CAINIAO_SECRET_KEY", kCainiaoSecret},
        {"COLDTRACK_CARRIERS_CALLBACK_BASE_URL", server_url_},
        {"COLDTRACK_TRACKING_ENABLED", "true"},
        {"COLDTRACK_TRACKING_TICK_MS", "100"},
        {"COLDTRACK_TRACKING_PROVIDER", setup.provider},
        {"COLDTRACK_TRACKING_FALLBACK_PROVIDER", setup.fallback},
        {"COLDTRACK_TRACKING_BREAKER_THRESHOLD", "2"},
        {"COLDTRACK_TRACKING_BREAKER_OPEN_S", std::to_string(kBreakerOpenS)},
        {"COLDTRACK_TRACKING_FRESHNESS_S", poll},
        {"COLDTRACK_TRACKING_QUIET_IN_TRANSIT_S", poll},
        {"COLDTRACK_TRACKING_QUIET_NEAR_DELIVERY_S", poll},
        {"COLDTRACK_TRACKING_UNSUBSCRIBED_S", poll},
        {"COLDTRACK_TRACKING_NO_INFO_S", poll},
        {"COLDTRACK_TRACKING_EXCEPTION_RETRY_S", poll},
        {"COLDTRACK_LOG_LEVEL", "warn"},
    });
    server_->start();
    EXPECT_EQ(server_->port(), port);
  }

  void TearDown() override {
    if (HasFailure() && server_)
      std::cerr << "---- coldtrack stderr ----\n"
                << server_->stderr_text() << "\n"
                << "---- simulator stats ----\n"
                << json::serialize(sim_->stats()) << std::endl;
    server_.reset();  // the server first: it may be talking to the simulator
    sim_.reset();
  }

  ServerProcess& s() { return *server_; }

  // ---- Simulator --------------------------------------------------------------------------

  std::uint64_t stat(const std::string& provider, const std::string& field) const {
    const auto st = sim_->stats();
    return st.at(provider).as_object().at(field).to_number<std::uint64_t>();
  }
  std::uint64_t queries() const { return stat("kdniao", "queries") + stat("kuaidi100", "queries"); }

  // Queues a fault through the simulator's control endpoint.
  void fault(const std::string& provider, const std::string& mode, int count) {
    http::Client c("127.0.0.1", sim_->port());
    auto r =
        c.request("POST", "/sim/faults",
                  to_string(json::object{{"provider", provider}, {"mode", mode}, {"count", count}}),
                  std::nullopt, {{"Content-Type", "application/json"}});
    ASSERT_EQ(r.status, 200) << r.body;
  }

  // Moves simulated time to `offset_s` after the scripts' start (no-op when already there).
  void advance_to(std::int64_t offset_s) {
    const auto target = t0_ + offset_s * 1000;
    const auto now = sim_->now();
    if (target > now) sim_->advance(std::chrono::seconds((target - now + 999) / 1000));
  }

  // How many of `script`'s steps have happened at the current simulated time.
  std::size_t steps_now(const sim::Script& script) const {
    const auto now = sim_->now();
    std::size_t n = 0;
    for (const auto& st : script.steps)
      if (t0_ + st.offset_s * 1000 <= now) ++n;
    return n;
  }

  // ---- ColdTrack ----------------------------------------------------------------------------

  // A PAID order with one SF shipment (so SHIPPED); returns the order number.
  std::string shipped_order(const std::string& waybill) {
    const auto no = unique_order_no("TSIM");
    must_create(s(), order_body(no, unique_phone()));
    EXPECT_EQ(change_status(s(), no, "PAID").status, 200);
    auto r = add_shipment(s(), no, "SF", waybill);
    EXPECT_EQ(r.status, 200) << r.body;
    return no;
  }

  json::object shipment(const std::string& no) {
    auto r = s().get("/api/orders/" + no + "/tracking", s().operator_key());
    if (r.status != 200) throw std::runtime_error("tracking: HTTP " + std::to_string(r.status));
    return r.json().as_object().at("shipments").as_array().at(0).as_object();
  }
  std::size_t trace_count(const std::string& no) {
    const auto sh = shipment(no);
    const auto* t = sh.if_contains("traces");
    return t && t->is_array() ? t->as_array().size() : 0;
  }

  std::vector<std::string> history(const std::string& no) {
    auto r = s().get("/api/orders/" + no, s().viewer());
    if (r.status != 200) throw std::runtime_error("get order: HTTP " + std::to_string(r.status));
    std::vector<std::string> out;
    for (const auto& e : r.json().as_object().at("history").as_array())
      out.push_back(str(e.as_object(), "status"));
    return out;
  }
  static std::string joined(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : ",") + x;
    return out;
  }

  // The order went SHIPPED -> IN_TRANSIT -> DELIVERED, each status recorded exactly once.
  void expect_clean_delivery(const std::string& no, const std::string& provider) {
    EXPECT_EQ(order_status(s(), no), "DELIVERED");
    auto r = s().get("/api/orders/" + no, s().viewer());
    ASSERT_EQ(r.status, 200) << r.body;
    const auto h = r.json().as_object().at("history").as_array();
    std::vector<std::string> statuses;
    for (const auto& e : h) statuses.push_back(str(e.as_object(), "status"));
    std::map<std::string, int> seen;
    for (const auto& x : statuses) ++seen[x];
    for (const auto& [st, n] : seen)
      EXPECT_EQ(n, 1) << st << " recorded " << n << "x: " << joined(statuses);
    ASSERT_GE(statuses.size(), 3u) << joined(statuses);
    EXPECT_EQ(statuses[statuses.size() - 3], "SHIPPED") << joined(statuses);
    EXPECT_EQ(statuses[statuses.size() - 2], "IN_TRANSIT") << joined(statuses);
    EXPECT_EQ(statuses.back(), "DELIVERED") << joined(statuses);
    EXPECT_EQ(str(h.back().as_object(), "actor"), "carrier:" + provider);
    EXPECT_EQ(str(h[h.size() - 2].as_object(), "actor"), "carrier:" + provider);
  }

  void expect_delivered_tracking(const std::string& no, const sim::Script& script) {
    const auto sh = shipment(no);
    EXPECT_EQ(str(sh, "status"), "DELIVERED");
    EXPECT_EQ(str(sh, "location"), script.destination);
    const auto& traces = sh.at("traces").as_array();
    ASSERT_EQ(traces.size(), script.steps.size());
    EXPECT_EQ(str(traces[0].as_object(), "description"), script.steps.back().context);  // newest
    EXPECT_EQ(str(traces.back().as_object(), "description"), script.steps.front().context);
  }

  // The value of the first /metrics sample named `name` carrying every label in `labels`.
  std::optional<double> metric(const std::string& name, const std::vector<std::string>& labels) {
    auto r = s().get("/metrics", std::nullopt);
    if (r.status != 200) return std::nullopt;
    std::istringstream in(r.body);
    for (std::string line; std::getline(in, line);) {
      if (!line.starts_with(name + "{")) continue;
      bool all = true;
      for (const auto& l : labels) all = all && line.find(l) != std::string::npos;
      if (all) return std::stod(line.substr(line.rfind(' ') + 1));
    }
    return std::nullopt;
  }

  // Push alone: polling so slow that only pushes can move the parcel; advancing the simulated
  // clock an hour at a time, every step arrives by push and the simulator sees no query.
  void push_alone(const std::string& provider) {
    SimSetup setup;
    setup.provider = provider;
    setup.fallback = provider == "kdniao" ? "kuaidi100" : "kdniao";
    start(setup);
    const auto parcel = delivered_waybill();
    const auto& script = parcel.second;
    const auto no = shipped_order(parcel.first);

    ASSERT_TRUE(eventually([&] { return stat(provider, "tracking") == 1; }, 5s))
        << json::serialize(sim_->stats());
    ASSERT_TRUE(eventually([&] { return order_status(s(), no) == "IN_TRANSIT"; }, 5s))
        << "the pickup push did not move the order; history " << joined(history(no));
    EXPECT_EQ(trace_count(no), 1u);

    for (int hour = 1; hour <= 30 && order_status(s(), no) != "DELIVERED"; ++hour) {
      sim_->advance(std::chrono::hours(1));
      const auto want = steps_now(script);
      ASSERT_TRUE(eventually([&] { return trace_count(no) == want; }, 5s))
          << "hour " << hour << ": want " << want << " traces, have " << trace_count(no);
    }
    ASSERT_TRUE(eventually([&] { return order_status(s(), no) == "DELIVERED"; }, 5s));
    expect_clean_delivery(no, provider);
    expect_delivered_tracking(no, script);
    EXPECT_EQ(stat("kdniao", "queries"), 0u) << json::serialize(sim_->stats());
    EXPECT_EQ(stat("kuaidi100", "queries"), 0u) << json::serialize(sim_->stats());
    EXPECT_GE(stat(provider, "pushes_ok"), script.steps.size());
    EXPECT_EQ(stat(provider, "pushes_failed"), 0u);
  }

  // Duplicate and out-of-order pushes: a parcel pushed twice and then with stale snapshots
  // right after the current ones ends DELIVERED, never regresses, and records each status once.
  void duplicate_and_out_of_order(const std::string& provider) {
    SimSetup setup;
    setup.provider = provider;
    setup.fallback = provider == "kdniao" ? "kuaidi100" : "kdniao";
    start(setup);
    const auto parcel = delivered_waybill();
    const auto& script = parcel.second;
    const auto no = shipped_order(parcel.first);
    ASSERT_TRUE(eventually([&] { return stat(provider, "tracking") == 1; }, 5s));
    ASSERT_TRUE(eventually([&] { return trace_count(no) == 1; }, 5s));
    ASSERT_TRUE(eventually([&] { return stat(provider, "pushes_ok") == 1; }, 5s));

    fault(provider, "duplicate", 2);     // steps 2 and 3: sent twice
    fault(provider, "out_of_order", 2);  // steps 4 and 5: then the previous snapshot again
    std::uint64_t expected_pushes = 1;
    const std::vector<std::string> status_after = {"PICKED_UP", "IN_TRANSIT", "IN_TRANSIT",
                                                   "OUT_FOR_DELIVERY", "DELIVERED"};
    for (std::size_t i = 1; i < script.steps.size(); ++i) {
      advance_to(script.steps[i].offset_s);
      expected_pushes += 2;
      ASSERT_TRUE(eventually([&] { return stat(provider, "pushes_ok") >= expected_pushes; }, 5s))
          << "step " << i << ": " << json::serialize(sim_->stats());
      // Every copy was acknowledged; the newest snapshot stands.
      EXPECT_EQ(trace_count(no), i + 1) << "step " << i;
      EXPECT_EQ(str(shipment(no), "status"), status_after[i]) << "step " << i;
    }
    EXPECT_EQ(stat(provider, "faults_pending"), 0u);
    EXPECT_EQ(stat(provider, "pushes_failed"), 0u);
    expect_clean_delivery(no, provider);
    expect_delivered_tracking(no, script);
    EXPECT_EQ(queries(), 0u);
  }

  std::unique_ptr<sim::Simulator> sim_;
  std::unique_ptr<ServerProcess> server_;
  std::string server_url_;
  domain::EpochMs t0_ = 0;
};

TEST_F(TrackingSim, KdniaoPushAloneCarriesAParcelToDeliveredWithoutAQuery) {
  push_alone("kdniao");
}

TEST_F(TrackingSim, Kuaidi100PushAloneCarriesAParcelToDeliveredWithoutAQuery) {
  push_alone("kuaidi100");
}

TEST_F(TrackingSim, PollingAloneDeliversAndStopsQueryingOnceDelivered) {
  SimSetup setup;
  setup.push = false;  // subscriptions are accepted, but no push ever reaches ColdTrack
  setup.poll_s = 1;
  start(setup);
  const auto parcel = delivered_waybill();
  const auto& script = parcel.second;
  const auto no = shipped_order(parcel.first);
  ASSERT_TRUE(eventually([&] { return stat("kdniao", "tracking") == 1; }, 5s));
  ASSERT_TRUE(eventually([&] { return trace_count(no) == 1; }, 5s))
      << "no query picked up the parcel: " << json::serialize(sim_->stats());
  EXPECT_EQ(order_status(s(), no), "IN_TRANSIT");

  for (std::size_t i = 1; i < script.steps.size(); ++i) {
    advance_to(script.steps[i].offset_s);
    ASSERT_TRUE(eventually([&] { return trace_count(no) == i + 1; }, 5s))
        << "step " << i << " not picked up by polling: " << json::serialize(sim_->stats());
  }
  ASSERT_TRUE(eventually([&] { return order_status(s(), no) == "DELIVERED"; }, 3s));
  expect_clean_delivery(no, "kdniao");
  expect_delivered_tracking(no, script);
  EXPECT_EQ(stat("kdniao", "pushes"), 0u);
  EXPECT_EQ(stat("kuaidi100", "pushes"), 0u);
  const auto at_delivery = queries();
  EXPECT_GE(at_delivery, script.steps.size());

  // Delivered is terminal: no query for well over the polling interval.
  std::this_thread::sleep_for(2500ms);
  EXPECT_EQ(queries(), at_delivery) << json::serialize(sim_->stats());
  EXPECT_EQ(order_status(s(), no), "DELIVERED");
}

TEST_F(TrackingSim, CainiaoQueriesAloneDeliverAParcel) {
  // Cainiao is query-only here: no subscription, so polling through the LINK gateway does all.
  SimSetup setup;
  setup.push = false;
  setup.provider = "cainiao";
  setup.fallback = "none";
  setup.poll_s = 1;
  start(setup);
  const auto parcel = delivered_waybill();
  const auto& script = parcel.second;
  const auto no = shipped_order(parcel.first);
  ASSERT_TRUE(eventually([&] { return trace_count(no) == 1; }, 5s))
      << "no Cainiao query picked up the parcel: " << json::serialize(sim_->stats());
  for (std::size_t i = 1; i < script.steps.size(); ++i) {
    advance_to(script.steps[i].offset_s);
    ASSERT_TRUE(eventually([&] { return trace_count(no) == i + 1; }, 5s))
        << "step " << i << ": " << json::serialize(sim_->stats());
  }
  ASSERT_TRUE(eventually([&] { return order_status(s(), no) == "DELIVERED"; }, 3s));
  expect_clean_delivery(no, "cainiao");
  expect_delivered_tracking(no, script);
  EXPECT_GE(stat("cainiao", "queries"), script.steps.size());
  EXPECT_EQ(stat("kdniao", "queries") + stat("kuaidi100", "queries"), 0u);
}

TEST_F(TrackingSim, QueryFaultsOpenTheBreakerFailOverHealAndLoseNothing) {
  SimSetup setup;
  setup.push = true;  // pushes keep parcels moving while queries fail
  setup.poll_s = 1;   // and every parcel is queried about once a second
  start(setup);
  // Four faulted queries: two open the breaker, two half-open trials reopen it; parcels whose
  // query failed back off for half a minute or more, so six parcels keep the rest flowing.
  constexpr int kParcels = 6;
  std::vector<std::string> orders;
  std::vector<sim::Script> scripts;
  for (int i = 0; i < kParcels; ++i) {
    auto [waybill, script] = delivered_waybill();
    orders.push_back(shipped_order(waybill));
    scripts.push_back(std::move(script));
  }
  ASSERT_TRUE(eventually([&] { return stat("kdniao", "tracking") == kParcels; }, 5s))
      << json::serialize(sim_->stats());
  ASSERT_TRUE(eventually(
      [&] {
        for (const auto& no : orders)
          if (order_status(s(), no) != "IN_TRANSIT") return false;
        return true;
      },
      5s));
  ASSERT_TRUE(eventually([&] { return stat("kdniao", "queries") >= kParcels; }, 5s));
  // Let any pickup push still on the wire land: a push would use up the "timeout" fault.
  std::this_thread::sleep_for(300ms);
  ASSERT_EQ(stat("kdniao", "pushes_failed"), 0u);

  fault("kdniao", "timeout", 1);  // held 1.5 s, then 504
  fault("kdniao", "http500", 3);

  // While the worker waits on the held call, the service answers at once.
  ASSERT_TRUE(eventually([&] { return stat("kdniao", "faults_applied") >= 1; }, 5s));
  {
    const auto t = SteadyClock::now();
    EXPECT_TRUE(s().healthy());
    auto r = s().get("/api/orders/" + orders[0], s().viewer());
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_LT(SteadyClock::now() - t, 1s);
    EXPECT_EQ(stat("kdniao", "faults_applied"), 1u) << "the held call should still be pending";
  }

  // Two consecutive failures open the breaker: no Kdniao query for breaker_open_s, and the
  // parcels fail over to Kuaidi100 meanwhile.
  ASSERT_TRUE(eventually([&] { return stat("kdniao", "faults_applied") >= 2; }, 5s));
  const auto opened = SteadyClock::now();
  const auto kd_open = stat("kdniao", "queries");
  const auto k100_open = stat("kuaidi100", "queries");
  EXPECT_TRUE(eventually(
      [&] { return metric("coldtrack_carrier_breaker_state", {R"(provider="kdniao")"}) == 1.0; },
      1000ms));
  std::this_thread::sleep_until(opened + 1200ms);
  const auto kd_later = stat("kdniao", "queries");
  if (SteadyClock::now() - opened < std::chrono::seconds(kBreakerOpenS) - 300ms) {
    EXPECT_EQ(kd_later, kd_open) << "Kdniao was called while its breaker was open";
  } else {
    std::cerr << "note: the open-breaker window could not be observed in time" << std::endl;
  }
  EXPECT_GT(stat("kuaidi100", "queries"), k100_open) << "no failover to Kuaidi100";
  EXPECT_TRUE(s().healthy());

  // The half-open trials use up the remaining faults; then a trial succeeds and the breaker
  // closes: Kdniao is queried again, repeatedly.
  ASSERT_TRUE(eventually([&] { return stat("kdniao", "faults_pending") == 0; }, 10s))
      << json::serialize(sim_->stats());
  const auto kd_healed = stat("kdniao", "queries");
  ASSERT_TRUE(eventually([&] { return stat("kdniao", "queries") >= kd_healed + 2; }, 6s))
      << "Kdniao was not queried again after the faults: " << json::serialize(sim_->stats());
  EXPECT_TRUE(eventually(
      [&] { return metric("coldtrack_carrier_breaker_state", {R"(provider="kdniao")"}) == 0.0; },
      3s));
  EXPECT_TRUE(s().healthy());

  const auto retryable =
      metric("coldtrack_carrier_calls_total",
             {R"(provider="kdniao")", R"(kind="query")", R"(result="retryable")"});
  ASSERT_TRUE(retryable.has_value()) << s().get("/metrics", std::nullopt).body;
  EXPECT_EQ(*retryable, 4.0);

  // Every parcel still ends delivered, each order status recorded once.
  std::int64_t last = 0;
  for (const auto& sc : scripts) last = std::max(last, sc.steps.back().offset_s);
  advance_to(last + 60);
  for (std::size_t i = 0; i < orders.size(); ++i) {
    ASSERT_TRUE(eventually([&] { return order_status(s(), orders[i]) == "DELIVERED"; }, 5s))
        << orders[i] << ": " << joined(history(orders[i]));
    expect_clean_delivery(orders[i], "kdniao");
    expect_delivered_tracking(orders[i], scripts[i]);
  }
}

// A half-open trial call that fails permanently (a per-waybill data or configuration refusal,
// not provider trouble) must not leave the breaker waiting for a trial that never ends: once the
// faults are used up, polling resumes and the parcel keeps being tracked.
TEST_F(TrackingSim, BreakerRecoversWhenTheHalfOpenTrialFailsPermanently) {
  SimSetup setup;
  setup.push = false;
  setup.poll_s = 1;
  start(setup);
  constexpr int kParcels = 3;
  std::vector<std::string> orders;
  std::vector<sim::Script> scripts;
  for (int i = 0; i < kParcels; ++i) {
    auto [waybill, script] = delivered_waybill();
    orders.push_back(shipped_order(waybill));
    scripts.push_back(std::move(script));
  }
  ASSERT_TRUE(eventually(
      [&] {
        for (const auto& no : orders)
          if (trace_count(no) != 1) return false;
        return true;
      },
      6s))
      << json::serialize(sim_->stats());

  fault("kdniao", "http500", 2);        // two parcels fail: the breaker opens
  fault("kdniao", "bad_signature", 1);  // the half-open trial is refused (permanent)
  ASSERT_TRUE(eventually([&] { return stat("kdniao", "faults_pending") == 0; }, 8s))
      << json::serialize(sim_->stats());
  const auto after = queries();

  // The third parcel is due again within a second; some provider must answer for it.
  EXPECT_TRUE(eventually([&] { return queries() > after; }, 4s))
      << "no carrier query at all since the permanent failure of the half-open trial; "
         "breaker state "
      << metric("coldtrack_carrier_breaker_state", {R"(provider="kdniao")"}).value_or(-1)
      << ", stats " << json::serialize(sim_->stats());

  // And the parcels still progress by polling.
  advance_to(scripts[0].steps[1].offset_s);
  advance_to(scripts[1].steps[1].offset_s);
  advance_to(scripts[2].steps[1].offset_s);
  int moved = 0;
  eventually(
      [&] {
        moved = 0;
        for (const auto& no : orders) moved += trace_count(no) >= 2 ? 1 : 0;
        return moved >= 1;
      },
      4s);
  EXPECT_GE(moved, 1) << "no parcel picked up its next step by polling";
}

TEST_F(TrackingSim, KdniaoDuplicateAndOutOfOrderPushesChangeNothing) {
  duplicate_and_out_of_order("kdniao");
}

TEST_F(TrackingSim, Kuaidi100DuplicateAndOutOfOrderPushesChangeNothing) {
  duplicate_and_out_of_order("kuaidi100");
}

}  // namespace
}  // namespace coldtrack::it
