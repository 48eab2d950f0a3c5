// Reference data, health, metrics, public tracking, audit log and archiving over real HTTP.
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "domain/time.h"
#include "fixtures.h"

namespace coldtrack::it {
namespace {

class SystemApi : public SharedServerTest<SystemApi> {};

TEST_F(SystemApi, CarriersListsSfAsShunfeng) {
  auto r = s().get("/api/carriers", s().viewer());
  ASSERT_EQ(r.status, 200) << r.body;
  bool found = false;
  const auto items = r.json().as_object().at("items").as_array();
  for (const auto& c : items) {
    const auto& o = c.as_object();
    EXPECT_TRUE(o.contains("code") && o.contains("name") && o.contains("cold_chain"));
    if (str(o, "code") == "SF") {
      found = true;
      EXPECT_EQ(str(o, "name"), "顺丰");
    }
  }
  EXPECT_TRUE(found) << r.body;
  EXPECT_EQ(s().get("/api/carriers", std::nullopt).status, 401);
}

TEST_F(SystemApi, CategoriesListsFrozenChilledAmbient) {
  auto r = s().get("/api/categories", s().viewer());
  ASSERT_EQ(r.status, 200) << r.body;
  std::set<std::string> codes;
  const auto items = r.json().as_object().at("items").as_array();
  for (const auto& c : items) {
    const auto& o = c.as_object();
    codes.insert(str(o, "code"));
    if (str(o, "code") == "frozen") {
      EXPECT_EQ(str(o, "name"), "冷冻");
      EXPECT_EQ(o.at("max_temp_c").as_int64(), -18);
    }
  }
  EXPECT_TRUE(codes.contains("frozen") && codes.contains("chilled") && codes.contains("ambient"))
      << r.body;
  EXPECT_EQ(s().get("/api/categories", std::nullopt).status, 401);
}

TEST_F(SystemApi, HealthzIsPublic) {
  auto r = s().get("/healthz", std::nullopt);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(str(r.json().as_object(), "status"), "ok");
}

TEST_F(SystemApi, ReadyzIsPublicAndReady) {
  auto r = s().get("/readyz", std::nullopt);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(str(r.json().as_object(), "status"), "ready");
}

TEST_F(SystemApi, MetricsCountRequestsByRoute) {
  ASSERT_EQ(s().get("/healthz", std::nullopt).status, 200);
  ASSERT_EQ(s().get("/api/orders?limit=1", s().viewer()).status, 200);
  auto r = s().get("/metrics", std::nullopt);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.header("content-type").find("text/plain"), std::string::npos);
  EXPECT_NE(r.body.find("coldtrack_http_requests_total"), std::string::npos);
  bool healthz_line = false, orders_line = false;
  std::istringstream lines(r.body);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("coldtrack_http_requests_total{")) continue;
    healthz_line = healthz_line || line.find("route=\"/healthz\"") != std::string::npos;
    // Routes are labelled by pattern, never by raw path (no unbounded label values).
    orders_line = orders_line || line.find("route=\"/api/orders\"") != std::string::npos;
  }
  EXPECT_TRUE(healthz_line) << r.body;
  EXPECT_TRUE(orders_line) << r.body;
  EXPECT_EQ(r.body.find("limit=1"), std::string::npos);
  // Levels and the standard process series, for alerts and dashboards.
  for (const char* series :
       {"\ncoldtrack_outbox_pending ", "\ncoldtrack_outbox_oldest_pending_seconds ",
        "\nprocess_resident_memory_bytes ", "\nprocess_open_fds ", "\nprocess_cpu_seconds_total ",
        "\nprocess_start_time_seconds "})
    EXPECT_NE(r.body.find(series), std::string::npos) << series;
  const auto rss = r.body.find("\nprocess_resident_memory_bytes ");
  if (rss != std::string::npos)
    EXPECT_GT(std::stod(r.body.substr(rss + 31, 20)), 1e6) << "a live server holds megabytes";
}

TEST_F(SystemApi, MetricsUseRoutePatternsNotOrderNumbers) {
  const auto no = unique_order_no();
  must_create(s(), order_body(no, unique_phone()));
  ASSERT_EQ(change_status(s(), no, "PAID").status, 200);
  auto r = s().get("/metrics", std::nullopt);
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("route=\"/api/orders/{order_no}/status\""), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find(no), std::string::npos);
}

TEST_F(SystemApi, RequestIdIsEchoedOrGenerated) {
  auto mine =
      s().request("GET", "/api/orders/NOPE-1", "", s().viewer(), {{"X-Request-Id", "it-req-0001"}});
  EXPECT_EQ(mine.header("x-request-id"), "it-req-0001");
  EXPECT_EQ(str(mine.json().as_object(), "request_id"), "it-req-0001");
  // An unusable id (too long, odd characters) is replaced, not echoed.
  auto bad = s().request("GET", "/healthz", "", std::nullopt,
                         {{"X-Request-Id", "<script>" + std::string(100, 'x')}});
  EXPECT_EQ(bad.status, 200);
  EXPECT_FALSE(bad.header("x-request-id").empty());
  EXPECT_EQ(bad.header("x-request-id").find('<'), std::string::npos);
}

// ---- Public tracking ------------------------------------------------------------------------

TEST_F(SystemApi, TrackWithRightPairShowsMinimalView) {
  const auto no = unique_order_no();
  must_create(s(), order_body(no, "13812345678"));
  ASSERT_EQ(change_status(s(), no, "PAID").status, 200);
  const auto waybill = unique_waybill();
  ASSERT_EQ(add_shipment(s(), no, "SF", waybill).status, 200);
  auto r = s().get("/api/track?order_no=" + no + "&phone_last4=5678", std::nullopt);
  ASSERT_EQ(r.status, 200) << r.body;
  auto o = r.json().as_object();
  EXPECT_EQ(str(o, "order_no"), no);
  EXPECT_EQ(str(o, "status"), "SHIPPED");
  EXPECT_EQ(str(o, "city"), "深圳市");
  EXPECT_FALSE(o.contains("customer"));
  EXPECT_FALSE(o.contains("address"));
  EXPECT_FALSE(o.contains("items"));
  EXPECT_FALSE(o.contains("amount_fen"));
  EXPECT_FALSE(o.contains("remark"));
  ASSERT_EQ(o.at("history").as_array().size(), 3u);
  for (const auto& e : o.at("history").as_array()) {
    EXPECT_FALSE(e.as_object().contains("actor")) << r.body;  // no API key names in public
    EXPECT_FALSE(e.as_object().contains("note")) << r.body;
  }
  EXPECT_EQ(o.at("shipments").as_array().size(), 1u);
  // The waybill is masked everywhere in the public view (shipments and tracking alike).
  EXPECT_NE(str(o.at("shipments").as_array()[0].as_object(), "waybill_no").find('*'),
            std::string::npos);
  for (const std::string secret :
       {std::string("13812345678"), std::string("138****5678"), std::string("张"),
        std::string("科技园"), std::string("南山区"), std::string("apikey:"), waybill})
    EXPECT_EQ(r.body.find(secret), std::string::npos) << secret << " leaked: " << r.body;
}

TEST_F(SystemApi, TrackWrongPhoneAndUnknownOrderGiveIdentical404) {
  const auto no = unique_order_no();
  must_create(s(), order_body(no, "13812345678"));
  auto wrong = s().get("/api/track?order_no=" + no + "&phone_last4=0000", std::nullopt);
  auto unknown =
      s().get("/api/track?order_no=" + unique_order_no() + "&phone_last4=5678", std::nullopt);
  ASSERT_EQ(wrong.status, 404) << wrong.body;
  ASSERT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_EQ(without_request_id(wrong), without_request_id(unknown));
  EXPECT_EQ(wrong.body.find(no), std::string::npos);
  // Same headers too, apart from the request id.
  auto h1 = wrong.headers, h2 = unknown.headers;
  for (auto* h : {&h1, &h2}) {
    h->erase("x-request-id");
    h->erase("date");
  }
  EXPECT_EQ(h1, h2);
}

TEST_F(SystemApi, TrackValidatesParameters) {
  auto no_phone = s().get("/api/track?order_no=" + unique_order_no(), std::nullopt);
  EXPECT_EQ(no_phone.status, 400) << no_phone.body;
  EXPECT_EQ(no_phone.error_field(), "phone_last4");
  auto bad_phone = s().get("/api/track?order_no=A1&phone_last4=12a4", std::nullopt);
  EXPECT_EQ(bad_phone.status, 400) << bad_phone.body;
  EXPECT_EQ(bad_phone.error_field(), "phone_last4");
  auto no_order = s().get("/api/track?phone_last4=1234", std::nullopt);
  EXPECT_EQ(no_order.status, 400) << no_order.body;
  EXPECT_EQ(no_order.error_field(), "order_no");
}

// ---- Audit ----------------------------------------------------------------------------------

TEST_F(SystemApi, AuditFiltersAndPaginates) {
  const auto op = s().create_key("operator");  // a fresh actor isolates this test's rows
  std::vector<std::string> nos;
  for (int i = 0; i < 5; ++i) {
    const auto no = unique_order_no();
    auto r = s().post("/api/orders", to_string(order_body(no, unique_phone())), op);
    ASSERT_EQ(r.status, 201) << r.body;
    nos.push_back(no);
  }
  ASSERT_EQ(s().post("/api/orders/" + nos[0] + "/status", R"({"status":"PAID"})", op).status, 200);
  const std::string actor = url_encode("apikey:" + op.key);

  // Filter by actor + action.
  auto r = s().get("/api/audit?action=order.create&actor=" + actor, s().admin());
  ASSERT_EQ(r.status, 200) << r.body;
  auto items = r.json().as_object().at("items").as_array();
  ASSERT_EQ(items.size(), 5u) << r.body;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto& row = items[i].as_object();
    EXPECT_EQ(str(row, "action"), "order.create");
    EXPECT_EQ(str(row, "actor"), "apikey:" + op.key);
    EXPECT_EQ(str(row, "role"), "operator");
    // Newest first.
    EXPECT_EQ(str(row, "target"), "order:" + nos[nos.size() - 1 - i]);
    EXPECT_TRUE(domain::parse_rfc3339(str(row, "at")));
    EXPECT_TRUE(row.at("detail").is_object()) << json::serialize(row);
  }
  // Filter by target.
  auto by_target = s().get("/api/audit?target=" + url_encode("order:" + nos[0]), s().admin());
  ASSERT_EQ(by_target.status, 200);
  std::set<std::string> actions;
  const auto target_rows = by_target.json().as_object().at("items").as_array();
  for (const auto& row : target_rows) actions.insert(str(row.as_object(), "action"));
  EXPECT_EQ(actions, (std::set<std::string>{"order.create", "order.status"}));
  // Time window: everything is "now", so a window in the past is empty.
  auto past =
      s().get("/api/audit?actor=" + actor + "&to=" + url_encode(rfc3339(now_ms() - 86'400'000)),
              s().admin());
  ASSERT_EQ(past.status, 200) << past.body;
  EXPECT_TRUE(past.json().as_object().at("items").as_array().empty());
  auto recent =
      s().get("/api/audit?actor=" + actor + "&from=" + url_encode(rfc3339(now_ms() - 600'000)),
              s().admin());
  ASSERT_EQ(recent.status, 200) << recent.body;
  EXPECT_EQ(recent.json().as_object().at("items").as_array().size(), 6u);

  // Pagination with limit=2 visits all 6 rows of this actor exactly once.
  std::vector<std::int64_t> ids;
  std::string cursor;
  for (int page = 0;; ++page) {
    ASSERT_LT(page, 10);
    auto p =
        s().get("/api/audit?limit=2&actor=" + actor + (cursor.empty() ? "" : "&cursor=" + cursor),
                s().admin());
    ASSERT_EQ(p.status, 200) << p.body;
    auto o = p.json().as_object();
    for (const auto& row : o.at("items").as_array())
      ids.push_back(row.as_object().at("id").as_int64());
    if (o.at("next_cursor").is_null()) break;
    cursor = str(o.at("next_cursor"));
  }
  ASSERT_EQ(ids.size(), 6u);
  for (std::size_t i = 1; i < ids.size(); ++i) EXPECT_GT(ids[i - 1], ids[i]);
}

TEST_F(SystemApi, AuditNeedsAdmin) {
  auto op = s().get("/api/audit", s().operator_key());
  EXPECT_EQ(op.status, 403) << op.body;
  EXPECT_EQ(op.error_code(), "permission_denied");
  auto viewer = s().get("/api/audit", s().viewer());
  EXPECT_EQ(viewer.status, 403) << viewer.body;
  auto unsigned_ = s().get("/api/audit", std::nullopt);
  EXPECT_EQ(unsigned_.status, 401) << unsigned_.body;
  EXPECT_EQ(s().get("/api/audit", s().admin()).status, 200);
}

TEST_F(SystemApi, AuditValidatesParameters) {
  for (const char* q : {"limit=0", "limit=201", "cursor=abc", "cursor=0", "from=yesterday",
                        "actions=order.create"}) {
    auto r = s().get(std::string("/api/audit?") + q, s().admin());
    EXPECT_EQ(r.status, 400) << q << ": " << r.body;
    EXPECT_FALSE(r.error_field().empty()) << q;
  }
}

// ---- Tracking rate limit (its own server: 3 per minute) -------------------------------------

class TrackRateLimit : public SharedServerTest<TrackRateLimit> {
 public:
  static std::map<std::string, std::string> extra_env() {
    return {{"COLDTRACK_TRACK_RATE_LIMIT_PER_MINUTE", "3"}};
  }
};

TEST_F(TrackRateLimit, FourthRequestIs429WithRetryAfter) {
  const auto no = unique_order_no();
  must_create(s(), order_body(no, "13812345678"));
  EXPECT_EQ(s().get("/api/track?order_no=" + no + "&phone_last4=5678", std::nullopt).status, 200);
  EXPECT_EQ(s().get("/api/track?order_no=" + no + "&phone_last4=0000", std::nullopt).status, 404);
  EXPECT_EQ(s().get("/api/track?order_no=NOPE1&phone_last4=5678", std::nullopt).status, 404);
  auto r = s().get("/api/track?order_no=" + no + "&phone_last4=5678", std::nullopt);
  ASSERT_EQ(r.status, 429) << r.body;
  EXPECT_EQ(r.error_code(), "rate_limited");
  const auto retry = r.header("retry-after");
  ASSERT_FALSE(retry.empty());
  const int seconds = std::stoi(retry);
  EXPECT_GE(seconds, 1);
  EXPECT_LE(seconds, 60);
  // Only tracking is limited: the signed API and health checks still answer.
  EXPECT_TRUE(s().healthy());
  EXPECT_EQ(s().get("/api/categories", s().viewer()).status, 200);
}

// ---- Archive (its own server: archive after 1 day) -------------------------------------------

class Archive : public SharedServerTest<Archive> {
 public:
  static std::map<std::string, std::string> extra_env() {
    return {{"COLDTRACK_ARCHIVE_AFTER_DAYS", "1"}};
  }

 protected:
  // An order created 10 days ago and delivered 5 days ago.
  std::string delivered_long_ago(std::string* phone_out = nullptr) {
    const auto day = 86'400'000LL;
    const auto now = now_ms();
    const auto no = unique_order_no("ARC");
    const auto phone = unique_phone();
    if (phone_out) *phone_out = phone;
    auto body = order_body(no, phone);
    body["created_at"] = rfc3339(now - 10 * day);
    auto created = create_order(s(), body);
    EXPECT_EQ(created.status, 201) << created.body;
    const std::vector<std::pair<const char*, long long>> steps = {
        {"PAID", 9}, {"SHIPPED", 8}, {"IN_TRANSIT", 7}, {"DELIVERED", 5}};
    for (const auto& [status, days_ago] : steps) {
      auto r = change_status(s(), no, status, rfc3339(now - days_ago * day));
      EXPECT_EQ(r.status, 200) << status << ": " << r.body;
    }
    return no;
  }

  void expect_archived(const std::string& no) {
    auto r = s().get("/api/orders/" + no, s().viewer());
    ASSERT_EQ(r.status, 200) << r.body;
    auto o = r.json().as_object();
    EXPECT_EQ(o.at("archived"), json::value(true)) << r.body;
    EXPECT_EQ(str(o, "status"), "DELIVERED");
    EXPECT_EQ(o.at("history").as_array().size(), 5u) << r.body;

    auto only = s().get("/api/orders?archived=only&order_no=" + no, s().viewer());
    ASSERT_EQ(only.status, 200) << only.body;
    auto items = only.json().as_object().at("items").as_array();
    ASSERT_EQ(items.size(), 1u) << only.body;
    EXPECT_EQ(items[0].as_object().at("archived"), json::value(true));

    auto exclude = s().get("/api/orders?archived=exclude&order_no=" + no, s().viewer());
    ASSERT_EQ(exclude.status, 200) << exclude.body;
    EXPECT_TRUE(exclude.json().as_object().at("items").as_array().empty()) << exclude.body;
    auto by_default = s().get("/api/orders?order_no=" + no, s().viewer());
    EXPECT_TRUE(by_default.json().as_object().at("items").as_array().empty()) << by_default.body;
    auto include = s().get("/api/orders?archived=include&order_no=" + no, s().viewer());
    EXPECT_EQ(include.json().as_object().at("items").as_array().size(), 1u) << include.body;

    auto batch = s().post("/api/orders/batch-get",
                          to_string(json::object{{"order_nos", json::array{no}}}), s().viewer());
    ASSERT_EQ(batch.status, 200) << batch.body;
    EXPECT_EQ(batch.json().as_object().at("items").as_array().at(0).as_object().at("archived"),
              json::value(true));
  }
};

TEST_F(Archive, ArchiveCommandWhileServerRuns) {
  std::string phone;
  const auto no = delivered_long_ago(&phone);
  const auto recent =
      str(must_create(s(), order_body(unique_order_no(), unique_phone())), "order_no");
  auto run = s().cli({"archive"});
  ASSERT_EQ(run.exit_code, 0) << run.err << run.out;
  auto out = json::parse(run.out).as_object();
  EXPECT_GE(out.at("archived").as_int64(), 1) << run.out;
  expect_archived(no);
  // A live order is untouched.
  auto live = s().get("/api/orders/" + recent, s().viewer());
  EXPECT_EQ(live.json().as_object().at("archived"), json::value(false));
  // An archived order can no longer change.
  auto change = change_status(s(), no, "COMPLETED");
  EXPECT_EQ(change.status, 409) << change.body;
  // Public tracking still finds it.
  auto track =
      s().get("/api/track?order_no=" + no + "&phone_last4=" + phone.substr(7), std::nullopt);
  EXPECT_EQ(track.status, 200) << track.body;
  // The archiver's run is audited.
  auto audit = s().get("/api/audit?action=order.archive", s().admin());
  ASSERT_EQ(audit.status, 200);
  EXPECT_FALSE(audit.json().as_object().at("items").as_array().empty()) << audit.body;
}

TEST_F(Archive, ArchiveWhileWritesAreRunningCausesNoServerErrors) {
  const auto no = delivered_long_ago();
  const auto& op = s().operator_key();
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0};
  std::vector<int> failures;
  std::mutex mu;
  auto failures_count = [&] {
    std::lock_guard lock(mu);
    return failures.size();
  };
  std::thread writer([&] {
    while (!stop) {
      try {
        const int st =
            s().post("/api/orders", to_string(order_body(unique_order_no(), unique_phone())), op)
                .status;
        if (st == 201) {
          ++ok;
        } else {
          std::lock_guard lock(mu);
          failures.push_back(st);
        }
      } catch (const std::exception&) {
        std::lock_guard lock(mu);
        failures.push_back(-1);
      }
    }
  });
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (ok < 5 && failures_count() == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  auto run = s().cli({"archive"});
  stop = true;
  writer.join();
  EXPECT_EQ(run.exit_code, 0) << run.err << run.out;
  EXPECT_TRUE(failures.empty()) << "first failure: " << failures.front();
  expect_archived(no);
}

TEST_F(Archive, ArchiveCommandWhileServerStopped) {
  const auto no = delivered_long_ago();
  ASSERT_EQ(s().stop(), 0) << s().stderr_text();
  auto run = s().cli({"archive"});
  EXPECT_EQ(run.exit_code, 0) << run.err << run.out;
  EXPECT_GE(json::parse(run.out).as_object().at("archived").as_int64(), 1) << run.out;
  s().restart();
  expect_archived(no);
}

// ---- Body limit raised: a 1 MB order number is read and rejected by name ---------------------

class LargeBodyLimit : public SharedServerTest<LargeBodyLimit> {
 public:
  static std::map<std::string, std::string> extra_env() {
    return {{"COLDTRACK_SERVER_MAX_BODY_BYTES", "4194304"}};
  }
};

TEST_F(LargeBodyLimit, OneMegabyteOrderNoIs400NamingOrderNo) {
  auto body = order_body(std::string(1 << 20, 'A'), unique_phone());
  auto r = create_order(s(), body);
  EXPECT_EQ(r.status, 400) << r.body.substr(0, 300);
  EXPECT_EQ(r.error_field(), "order_no");
  EXPECT_LT(r.body.size(), 4096u) << "the error echoes the huge value";
  EXPECT_TRUE(s().healthy());
}

}  // namespace
}  // namespace coldtrack::it
