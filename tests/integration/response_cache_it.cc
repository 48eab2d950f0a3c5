// Hot order responses kept in the serving process (cache.responses): hot GETs are answered from
// it, and no write is ever missed: not one made through the API, not one made by a CLI command
// on the same database while serving, not one made by another replica on the same SQLite file.
// On MariaDB the cache is off by default; the freshness checks hold there too.
#include <regex>

#include "fixtures.h"

namespace coldtrack::it {
namespace {

constexpr std::int64_t kDay = 86'400'000;

bool on_mysql(const ServerProcess& s) {
  return s.env().count("COLDTRACK_STORE_MYSQL_URL") > 0;
}

// coldtrack_response_cache_total{result="<result>"} on `s` (-1 when absent).
double cache_count(const ServerProcess& s, const std::string& result) {
  const auto body = s.get("/metrics", std::nullopt).body;
  const std::regex line("coldtrack_response_cache_total\\{result=\"" + result +
                        "\"\\} ([0-9.e+]+)");
  std::smatch m;
  return std::regex_search(body, m, line) ? std::stod(m[1]) : -1;
}

std::string field(const Response& r, const std::string& name) {
  return json::serialize(r.json().as_object().at(name));
}

class ResponseCacheIt : public SharedServerTest<ResponseCacheIt> {
 public:
  static std::map<std::string, std::string> extra_env() {
    return {{"COLDTRACK_ARCHIVE_AFTER_DAYS", "1"},
            {"COLDTRACK_ARCHIVE_ENABLED", "false"},
            {"COLDTRACK_TRACK_RATE_LIMIT_PER_MINUTE", "100000"}};
  }
};

TEST_F(ResponseCacheIt, HotOrdersAreAnsweredHereAndEveryApiWriteShowsAtOnce) {
  const auto& viewer = s().viewer();
  const auto& admin = s().admin();
  const auto no =
      str(must_create(s(), order_body(unique_order_no("HOT"), unique_phone())), "order_no");
  auto first = s().get("/api/orders/" + no, viewer);
  ASSERT_EQ(first.status, 200) << first.body;
  if (on_mysql(s())) {
    EXPECT_EQ(cache_count(s(), "hit"), -1) << "off by default on MariaDB";
  } else {
    // The keys were just made by a CLI process on the same database: the server uses its cache
    // again once its poll has seen that process go.
    EXPECT_TRUE(eventually(
        [&] {
          const double before = cache_count(s(), "hit");
          for (int i = 0; i < 5; ++i) {
            auto again = s().get("/api/orders/" + no, viewer);
            EXPECT_EQ(again.body, first.body);
            EXPECT_NE(again.header("x-request-id"), first.header("x-request-id"))
                << "each answer carries its own request id";
          }
          return cache_count(s(), "hit") - before >= 4;
        },
        5s))
        << "answered from the process";
  }

  const std::vector<std::string> steps{"PAID", "SHIPPED", "IN_TRANSIT", "DELIVERED"};
  for (const auto& status : steps) {
    if (status == "SHIPPED") {
      auto shipped = add_shipment(s(), no, "SF", unique_waybill());
      ASSERT_EQ(shipped.status, 200) << shipped.body;
    } else {
      auto moved = change_status(s(), no, status);
      ASSERT_EQ(moved.status, 200) << moved.body;
    }
    auto read = s().get("/api/orders/" + no, viewer);
    EXPECT_EQ(field(read, "status"), "\"" + status + "\"") << read.body;
    s().get("/api/orders/" + no, viewer);  // cached again before the next write
  }
  auto shown = s().get("/api/orders/" + no, viewer).json().as_object();
  EXPECT_EQ(shown.at("shipments").as_array().size(), 1u);

  // Revealed answers are never taken from (or put into) the cache.
  auto revealed = s().get("/api/orders/" + no + "?reveal=true", admin);
  ASSERT_EQ(revealed.status, 200) << revealed.body;
  EXPECT_NE(revealed.body, s().get("/api/orders/" + no, viewer).body);
  auto masked_again = s().get("/api/orders/" + no, admin);
  EXPECT_EQ(masked_again.json().as_object().at("customer"), shown.at("customer"));

  // An unknown order is not cached: created afterwards, it is found at once.
  const auto later = unique_order_no("HOT");
  EXPECT_EQ(s().get("/api/orders/" + later, viewer).status, 404);
  must_create(s(), order_body(later, unique_phone()));
  EXPECT_EQ(s().get("/api/orders/" + later, viewer).status, 200);
}

TEST_F(ResponseCacheIt, PublicTrackingIsAnsweredHereOnlyForTheRightDigits) {
  const auto phone = unique_phone();
  const auto no = str(must_create(s(), order_body(unique_order_no("HOTTRK"), phone)), "order_no");
  const auto url = "/api/track?order_no=" + no + "&phone_last4=" + phone.substr(7);
  const auto wrong = "/api/track?order_no=" + no + "&phone_last4=" +
                     (phone.substr(7) == "0000" ? std::string("1111") : std::string("0000"));
  auto first = s().get(url, std::nullopt);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(field(first, "status"), "\"CREATED\"");
  if (!on_mysql(s())) {
    EXPECT_TRUE(eventually(
        [&] {
          const double before = cache_count(s(), "hit");
          EXPECT_EQ(s().get(url, std::nullopt).body, first.body);
          return cache_count(s(), "hit") > before;
        },
        5s))
        << "answered from the process";
  }
  EXPECT_EQ(s().get(wrong, std::nullopt).status, 404) << "cached or not, the digits must match";
  auto moved = change_status(s(), no, "PAID");
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(field(s().get(url, std::nullopt), "status"), "\"PAID\"") << "the write shows at once";
  EXPECT_EQ(s().get(wrong, std::nullopt).status, 404);
}

TEST_F(ResponseCacheIt, ACliCommandWritingWhileServingIsSeenAtOnce) {
  const auto& viewer = s().viewer();
  const auto now = now_ms();
  const auto no = unique_order_no("HOTARC");
  auto body = order_body(no, unique_phone());
  body["created_at"] = rfc3339(now - 10 * kDay);
  ASSERT_EQ(create_order(s(), body).status, 201);
  for (auto [status, days] : std::vector<std::pair<std::string, int>>{
           {"PAID", 9}, {"SHIPPED", 8}, {"IN_TRANSIT", 7}, {"DELIVERED", 5}}) {
    auto r = change_status(s(), no, status, rfc3339(now - days * kDay));
    ASSERT_EQ(r.status, 200) << status << ": " << r.body;
  }
  // Kept (give the server's poll a moment after the key-creating CLI runs above).
  ASSERT_TRUE(eventually(
      [&] {
        const double before = cache_count(s(), "hit");
        s().get("/api/orders/" + no, viewer);
        s().get("/api/orders/" + no, viewer);
        return on_mysql(s()) || cache_count(s(), "hit") > before;
      },
      5s));
  EXPECT_EQ(field(s().get("/api/orders/" + no, viewer), "archived"), "false");

  auto run = s().cli({"archive"});  // another process on the same database
  ASSERT_EQ(run.exit_code, 0) << run.err << run.out;
  auto read = s().get("/api/orders/" + no, viewer);
  EXPECT_EQ(field(read, "archived"), "true") << read.body;
}

TEST(ResponseCacheReplicas, AWriteOnOneReplicaIsReadOnTheOtherAtOnce) {
  ServerProcess a;
  a.start();
  auto env = a.shared_state_env();
  env["COLDTRACK_SECURITY_DATA_KEY"] = a.env().at("COLDTRACK_SECURITY_DATA_KEY");
  const auto& op = a.operator_key();
  const auto& viewer = a.viewer();  // keys live in the shared database
  const auto no =
      str(must_create(a, order_body(unique_order_no("REP"), unique_phone())), "order_no");
  auto b = std::make_unique<ServerProcess>(env);
  b->start();
  int checks = 0;
  for (const auto& status : {"PAID", "REFUNDING", "REFUNDED"}) {
    for (int i = 0; i < 3; ++i) ASSERT_EQ(a.get("/api/orders/" + no, viewer).status, 200);
    auto moved =
        b->post("/api/orders/" + no + "/status", to_string(json::object{{"status", status}}), op);
    ASSERT_EQ(moved.status, 200) << moved.body;
    auto read = a.get("/api/orders/" + no, viewer);
    EXPECT_EQ(field(read, "status"), std::string("\"") + status + "\"") << read.body;
    ++checks;
  }
  EXPECT_EQ(checks, 3);
  if (!on_mysql(a)) {
    EXPECT_GT(cache_count(a, "shared"), 0) << "A knew it was not alone";
    // B gone: A is alone again and answers from its cache once more.
    b->stop();
    EXPECT_TRUE(eventually(
        [&] {
          const double before = cache_count(a, "hit");
          a.get("/api/orders/" + no, viewer);
          a.get("/api/orders/" + no, viewer);
          return cache_count(a, "hit") > before;
        },
        5s));
    EXPECT_EQ(field(a.get("/api/orders/" + no, viewer), "status"), "\"REFUNDED\"");
  }
}

}  // namespace
}  // namespace coldtrack::it
