// Two `coldtrack serve` replicas on one SQLite database: the anomaly sweep and the archiver run on
// one replica at a time (a lease in the database), both notification workers together send a
// staff alert once, and when the sweeping replica is killed -9 the other takes the sweep over.
#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <string>

#include "fixtures.h"
#include "http/client.h"
#include "sim/simulator.h"

namespace coldtrack::it {
namespace {

using namespace std::chrono_literals;
constexpr std::int64_t kHour = 3'600'000;

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

class Replicas : public ::testing::Test {
 public:
  static void SetUpTestSuite() {
    sim_ = std::make_unique<sim::Simulator>(sim::SimOptions{});
    sim_->start();
  }
  static void TearDownTestSuite() {
    if (sim_) sim_->stop();
    sim_.reset();
  }

 protected:
  // Starts replica A on a fresh database, then B on A's database with A's data key. (B starts
  // after A is up: A has applied the migrations by then.)
  void start_pair() {
    std::map<std::string, std::string> env{
        {"COLDTRACK_ANOMALIES_SWEEP_INTERVAL_S", "1"},
        {"COLDTRACK_TRACKING_ENABLED", "false"},
        {"COLDTRACK_NOTIFY_STAFF_WEBHOOK_URL", sim_->base_url() + "/sim/webhook/staff"},
        {"COLDTRACK_NOTIFY_TICK_MS", "100"},
        {"COLDTRACK_NOTIFY_DIGEST_WINDOW_S", "0"},
        {"COLDTRACK_NOTIFY_QUIET_START_HOUR", "0"},
        {"COLDTRACK_NOTIFY_QUIET_END_HOUR", "0"}};
    a_ = std::make_unique<ServerProcess>(env);
    a_->start();
    for (const auto& [k, v] : a_->shared_state_env()) env[k] = v;
    env["COLDTRACK_SECURITY_DATA_KEY"] = a_->env().at("COLDTRACK_SECURITY_DATA_KEY");
    b_ = std::make_unique<ServerProcess>(env);
    b_->start();
  }

  // An order paid 100 hours ago and never shipped: twice the 48-hour promise, so the sweep (and
  // only the sweep) raises a major not_shipped anomaly, which staff hear of on their robot.
  static std::string stale_order(ServerProcess& s) {
    const auto now = now_ms();
    const auto no = unique_order_no("REP");
    auto body = order_body(no, unique_phone());
    body["created_at"] = domain::format_rfc3339(now - 101 * kHour, 480);
    must_create(s, body);
    EXPECT_EQ(change_status(s, no, "PAID", domain::format_rfc3339(now - 100 * kHour, 480)).status,
              200);
    return no;
  }

  static json::array not_shipped(ServerProcess& s, const std::string& no) {
    auto r = s.get("/api/anomalies?order_no=" + no + "&kind=not_shipped", s.viewer());
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? r.json().as_object().at("items").as_array() : json::array{};
  }

  // Staff robot messages about order `no`.
  static std::size_t staff_messages(const std::string& no) {
    http::Client c("127.0.0.1", sim_->port());
    const auto r = c.request("GET", "/sim/webhook/messages", "");
    const auto body = boost::json::parse(r.body);  // outlives the loop
    std::size_t n = 0;
    for (const auto& m : body.as_object().at("messages").as_array())
      if (str(m.as_object(), "content").find(no) != std::string::npos) ++n;
    return n;
  }

  static std::size_t sweeps(const ServerProcess& s) {
    return count_of(s.stderr_text(), " rows read, ");  // one line per sweep
  }
  static bool holds(const ServerProcess& s, const std::string& job) {
    return s.stderr_text().find(job + ": this replica") != std::string::npos;
  }

  static inline std::unique_ptr<sim::Simulator> sim_;
  std::unique_ptr<ServerProcess> a_, b_;
};

TEST_F(Replicas, TwoReplicasSweepOnOneAndAlertStaffOnce) {
  start_pair();
  // One order through each replica; each is raised once and announced once.
  const auto via_a = stale_order(*a_);
  const auto via_b = stale_order(*b_);
  for (const auto& no : {via_a, via_b})
    ASSERT_TRUE(eventually([&] { return staff_messages(no) >= 1; }, 10s))
        << to_string(not_shipped(*a_, no)) << "\nA:\n"
        << a_->stderr_text() << "\nB:\n"
        << b_->stderr_text();
  // Several more sweeps and notification ticks on both replicas change nothing.
  std::this_thread::sleep_for(2500ms);
  for (const auto& no : {via_a, via_b}) {
    EXPECT_EQ(not_shipped(*a_, no).size(), 1u) << to_string(not_shipped(*a_, no));
    EXPECT_EQ(not_shipped(*b_, no).size(), 1u);
    EXPECT_EQ(staff_messages(no), 1u) << no;
  }
  // Exactly one replica swept (every second) and one archived; the other stood by.
  const auto sa = sweeps(*a_), sb = sweeps(*b_);
  EXPECT_TRUE((sa >= 3 && sb == 0) || (sb >= 3 && sa == 0)) << "A swept " << sa << ", B " << sb;
  EXPECT_NE(holds(*a_, "anomaly sweep"), holds(*b_, "anomaly sweep"));
  EXPECT_NE(holds(*a_, "archive run"), holds(*b_, "archive run"));
  for (const char* job : {"anomaly sweep:", "archive run:"})
    EXPECT_EQ(count_of(a_->stderr_text() + b_->stderr_text(),
                       std::string(job) + " another replica holds the lease"),
              1u)
        << job << "\n"
        << a_->stderr_text() << b_->stderr_text();
  // Both replicas logged their owner id once.
  EXPECT_EQ(count_of(a_->stderr_text(), "replica id "), 1u);
  EXPECT_EQ(count_of(b_->stderr_text(), "replica id "), 1u);
}

TEST_F(Replicas, TheSurvivorTakesTheSweepOverAfterAKill9) {
  start_pair();
  ASSERT_TRUE(
      eventually([&] { return holds(*a_, "anomaly sweep") || holds(*b_, "anomaly sweep"); }, 5s));
  auto& holder = holds(*a_, "anomaly sweep") ? *a_ : *b_;
  auto& survivor = &holder == a_.get() ? *b_ : *a_;
  // Killed with no chance to release its lease (possibly mid-sweep).
  holder.kill9();
  const auto killed_at = std::chrono::steady_clock::now();
  const auto no = stale_order(survivor);
  ASSERT_TRUE(eventually(
      [&] { return survivor.stderr_text().find("took the lease over from") != std::string::npos; },
      10s))
      << survivor.stderr_text();
  const auto takeover = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - killed_at);
  // The TTL is 2 sweep intervals + 1 s (plus twice the longest sweep seen).
  EXPECT_LT(takeover, 5s);
  std::cout << "[ replicas ] sweep taken over " << takeover.count() << " ms after kill -9\n";
  ASSERT_TRUE(eventually([&] { return staff_messages(no) >= 1; }, 10s))
      << to_string(not_shipped(survivor, no)) << survivor.stderr_text();
  std::this_thread::sleep_for(2s);
  EXPECT_EQ(not_shipped(survivor, no).size(), 1u) << to_string(not_shipped(survivor, no));
  EXPECT_EQ(staff_messages(no), 1u);
  EXPECT_GE(sweeps(survivor), 2u);
}

}  // namespace
}  // namespace coldtrack::it
