// GET /api/stats/overview through the real binary: the console's counts match what was done.
#include "fixtures.h"

namespace coldtrack::it {
namespace {

TEST(Stats, OverviewCountsTodaysOrdersDeliveriesAndTheWeek) {
  ServerProcess s;
  s.start();
  auto empty = s.get("/api/stats/overview", s.viewer());
  ASSERT_EQ(empty.status, 200) << empty.body;
  EXPECT_EQ(empty.json().as_object().at("orders_today").as_object().at("total").as_int64(), 0);

  std::vector<std::string> nos;
  for (int i = 0; i < 4; ++i) {
    nos.push_back(unique_order_no("SO"));
    must_create(s, order_body(nos.back(), unique_phone()));
  }
  ASSERT_EQ(change_status(s, nos[1], "PAID").status, 200);
  for (int i : {2, 3}) {
    ASSERT_EQ(change_status(s, nos[i], "PAID").status, 200);
    ASSERT_EQ(add_shipment(s, nos[i], "SF", unique_waybill()).status, 200);
  }
  ASSERT_EQ(change_status(s, nos[3], "IN_TRANSIT").status, 200);
  ASSERT_EQ(change_status(s, nos[3], "DELIVERED").status, 200);

  auto r = s.get("/api/stats/overview", s.viewer());
  ASSERT_EQ(r.status, 200) << r.body;
  const auto v = r.json();
  const auto& o = v.as_object();
  const auto& today = o.at("orders_today").as_object();
  EXPECT_EQ(today.at("total").as_int64(), 4);
  const auto& by = today.at("by_status").as_object();
  EXPECT_EQ(by.at("CREATED").as_int64(), 1);
  EXPECT_EQ(by.at("PAID").as_int64(), 1);
  EXPECT_EQ(by.at("SHIPPED").as_int64(), 1);
  EXPECT_EQ(by.at("DELIVERED").as_int64(), 1);
  EXPECT_EQ(o.at("delivered_today").as_int64(), 1);
  EXPECT_EQ(o.at("in_transit").as_int64(), 1);
  EXPECT_EQ(o.at("anomalies_open").as_object().at("total").as_int64(), 0);
  const auto& week = o.at("last_7_days").as_array();
  ASSERT_EQ(week.size(), 7u);
  EXPECT_EQ(str(week.back().as_object(), "date"), str(o, "date"));
  EXPECT_EQ(week.back().as_object().at("created").as_int64(), 4);
  EXPECT_EQ(week.back().as_object().at("delivered").as_int64(), 1);
  EXPECT_EQ(week.front().as_object().at("created").as_int64(), 0);

  EXPECT_EQ(s.request("GET", "/api/stats/overview").status, 401);
}

}  // namespace
}  // namespace coldtrack::it

namespace coldtrack::it {
namespace {

// The outbox gauge counts only messages a worker here completes: events kept for other services
// (order.created, ...) are not a backlog, or the alert on it would fire on every real store.
TEST(Stats, OutboxGaugeCountsOnlyWorkWaitingHere) {
  ServerProcess s(std::map<std::string, std::string>{{"COLDTRACK_SERVER_METRICS_GAUGES_S", "1"},
                                                     {"COLDTRACK_NOTIFY_TICK_MS", "200"}});
  s.start();
  for (int i = 0; i < 3; ++i) {
    const auto no = unique_order_no("OG");
    must_create(s, order_body(no, unique_phone()));
    ASSERT_EQ(change_status(s, no, "PAID").status, 200);
  }
  // The status changes wait for the notification planner a moment; the order.created events
  // for other services stay undone here for good and must not count.
  // Two refreshes after the writes first: the value must come from a count that saw them.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  std::string m;
  for (int i = 0; i < 100; ++i) {
    m = s.get("/metrics", std::nullopt).body;
    if (m.find("\ncoldtrack_outbox_pending 0\n") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(m.find("\ncoldtrack_outbox_pending 0\n"), std::string::npos) << m;
  EXPECT_NE(m.find("\ncoldtrack_outbox_oldest_pending_seconds 0\n"), std::string::npos) << m;
}

}  // namespace
}  // namespace coldtrack::it
