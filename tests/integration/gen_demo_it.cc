// `coldtrack gen-demo`: the real binary fills the server's database (SQLite, or MariaDB when the
// suite runs with COLDTRACK_IT_BACKENDS=mysql) with the server's environment, refuses to do it
// twice, and `coldtrack serve` then serves the generated orders, their tracking and the phone and
// date queries over the API.
#include "domain/time.h"
#include "fixtures.h"

namespace coldtrack::it {
namespace {

TEST(GenDemoCli, GeneratesADatabaseTheServerServes) {
  ServerProcess s;
  auto gen = s.cli({"gen-demo", "--orders", "500", "--days", "30", "--seed", "3"}, 60s);
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  const auto summary = json::parse(gen.out).as_object();
  EXPECT_EQ(summary.at("orders").as_int64(), 500);
  EXPECT_GT(summary.at("shipments").as_int64(), 350);
  EXPECT_GT(summary.at("tracking_events").as_int64(), 0);
  EXPECT_NE(gen.err.find("500 orders"), std::string::npos) << gen.err;

  auto again = s.cli({"gen-demo", "--orders", "10"}, 60s);
  EXPECT_EQ(again.exit_code, 1) << again.err;
  EXPECT_NE(again.err.find("already holds 500 orders"), std::string::npos) << again.err;

  ASSERT_NO_THROW(s.start());
  const auto admin = s.admin();
  auto listed = s.get("/api/orders?status=IN_TRANSIT&limit=1", admin);
  ASSERT_EQ(listed.status, 200) << listed.body;
  const auto listed_json = listed.json();
  const auto& items = listed_json.as_object().at("items").as_array();
  ASSERT_EQ(items.size(), 1u) << listed.body;
  const auto no = str(items[0].as_object(), "order_no");
  EXPECT_TRUE(no.starts_with("GD3-")) << no;

  // The personal data opens with the server's data key.
  auto got = s.get("/api/orders/" + no + "?reveal=true", admin);
  ASSERT_EQ(got.status, 200) << got.body;
  const auto order = got.json().as_object();
  const auto& customer = order.at("customer").as_object();
  const auto phone = str(customer, "phone");
  EXPECT_TRUE(phone.starts_with("170")) << got.body;
  EXPECT_FALSE(str(customer, "name").empty());
  EXPECT_EQ(order.at("shipments").as_array().size(), 1u) << got.body;
  EXPECT_GE(order.at("history").as_array().size(), 4u) << got.body;

  // Found by its phone.
  auto byphone = s.get("/api/orders?phone=" + phone, admin);
  ASSERT_EQ(byphone.status, 200) << byphone.body;
  bool found = false;
  const auto byphone_json = byphone.json();
  for (const auto& i : byphone_json.as_object().at("items").as_array())
    found = found || str(i.as_object(), "order_no") == no;
  EXPECT_TRUE(found) << byphone.body;

  // Carrier tracking with traces.
  auto tracking = s.get("/api/orders/" + no + "/tracking", admin);
  ASSERT_EQ(tracking.status, 200) << tracking.body;
  const auto tracking_json = tracking.json();
  const auto& shipments = tracking_json.as_object().at("shipments").as_array();
  ASSERT_EQ(shipments.size(), 1u) << tracking.body;
  EXPECT_FALSE(shipments[0].as_object().at("traces").as_array().empty()) << tracking.body;

  // A date range within the generated window.
  const auto now = now_ms();
  auto range = s.get("/api/orders?limit=200&from=" + url_encode(rfc3339(now - 7 * 86'400'000LL)) +
                         "&to=" + url_encode(rfc3339(now)),
                     admin);
  ASSERT_EQ(range.status, 200) << range.body;
  EXPECT_GT(range.json().as_object().at("items").as_array().size(), 20u) << range.body;
  EXPECT_EQ(s.stop(), 0) << s.stderr_text();
}

}  // namespace
}  // namespace coldtrack::it
