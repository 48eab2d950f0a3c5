// GET /api/orders (filters, paging) and POST /api/orders/batch-get over real HTTP.
#include <set>

#include <algorithm>
#include "domain/time.h"

#include "fixtures.h"

namespace coldtrack::it {
namespace {

class ListOrders : public SharedServerTest<ListOrders> {
 protected:
  // GET /api/orders?<query> as the viewer; asserts 200 and returns the items.
  json::array list(const std::string& query, json::value* next_cursor = nullptr) {
    auto r = s().get("/api/orders?" + query, s().viewer());
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    if (r.status != 200) return {};
    auto o = r.json().as_object();
    if (next_cursor) *next_cursor = o.at("next_cursor");
    return o.at("items").as_array();
  }
  static std::set<std::string> order_nos(const json::array& items) {
    std::set<std::string> out;
    for (const auto& i : items) out.insert(str(i.as_object(), "order_no"));
    return out;
  }
};

TEST_F(ListOrders, FilterByPhone) {
  const auto phone = unique_phone();
  std::set<std::string> mine;
  for (int i = 0; i < 3; ++i)
    mine.insert(str(must_create(s(), order_body(unique_order_no(), phone)), "order_no"));
  must_create(s(), order_body(unique_order_no(), unique_phone()));
  auto items = list("phone=" + phone);
  EXPECT_EQ(order_nos(items), mine);
  for (const auto& i : items) {
    EXPECT_EQ(str(i.as_object().at("customer").as_object(), "phone"), masked_phone(phone));
  }
  // The +86 form of the same number finds the same orders.
  EXPECT_EQ(order_nos(list("phone=" + url_encode("+86" + phone))), mine);
  auto bad = s().get("/api/orders?phone=12", s().viewer());
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(bad.error_field(), "phone");
}

TEST_F(ListOrders, OldestFirstAcrossPages) {
  const auto phone = unique_phone();
  std::vector<std::string> made;
  for (int i = 0; i < 5; ++i)
    made.push_back(str(must_create(s(), order_body(unique_order_no(), phone)), "order_no"));
  auto walk = [&](const std::string& sort) {
    std::vector<std::string> seen;
    std::string cursor;
    for (int page = 0; page < 10; ++page) {
      json::value next;
      auto items = list(
          "phone=" + phone + "&limit=2&sort=" + sort + (cursor.empty() ? "" : "&cursor=" + cursor),
          &next);
      for (const auto& i : items) seen.push_back(str(i.as_object(), "order_no"));
      if (next.is_null()) break;
      cursor = std::string(next.as_string());
    }
    return seen;
  };
  EXPECT_EQ(walk("oldest"), made);
  auto newest = walk("newest");
  std::reverse(newest.begin(), newest.end());
  EXPECT_EQ(newest, made);
  auto bad = s().get("/api/orders?sort=random", s().viewer());
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(bad.error_field(), "sort");
}

TEST_F(ListOrders, FilterByStatus) {
  const auto phone = unique_phone();
  const auto paid = str(must_create(s(), order_body(unique_order_no(), phone)), "order_no");
  const auto created = str(must_create(s(), order_body(unique_order_no(), phone)), "order_no");
  ASSERT_EQ(change_status(s(), paid, "PAID").status, 200);
  EXPECT_EQ(order_nos(list("phone=" + phone + "&status=PAID")), std::set<std::string>{paid});
  EXPECT_EQ(order_nos(list("phone=" + phone + "&status=CREATED")), std::set<std::string>{created});
  EXPECT_TRUE(list("phone=" + phone + "&status=DELIVERED").empty());
  // Any of several statuses.
  EXPECT_EQ(order_nos(list("phone=" + phone + "&status=CREATED,PAID,DELIVERED")),
            (std::set<std::string>{created, paid}));
  auto bad = s().get("/api/orders?status=LOST_IN_SPACE", s().viewer());
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(bad.error_field(), "status");
}

TEST_F(ListOrders, FilterByCarrierAndWaybill) {
  const auto phone = unique_phone();
  const auto shipped = str(must_create(s(), order_body(unique_order_no(), phone)), "order_no");
  const auto other = str(must_create(s(), order_body(unique_order_no(), phone)), "order_no");
  ASSERT_EQ(change_status(s(), shipped, "PAID").status, 200);
  const auto waybill = unique_waybill();
  ASSERT_EQ(add_shipment(s(), shipped, "SF", waybill).status, 200);
  ASSERT_EQ(change_status(s(), other, "PAID").status, 200);
  ASSERT_EQ(add_shipment(s(), other, "ZTO", unique_waybill("ZT")).status, 200);

  EXPECT_EQ(order_nos(list("waybill_no=" + waybill)), std::set<std::string>{shipped});
  EXPECT_EQ(order_nos(list("carrier=SF&phone=" + phone)), std::set<std::string>{shipped});
  EXPECT_EQ(order_nos(list("carrier=ZTO&phone=" + phone)), std::set<std::string>{other});
  EXPECT_TRUE(list("carrier=JD&phone=" + phone).empty());
  // The carrier alone (driven by the shipments index).
  auto sf = list("carrier=SF&limit=200");
  EXPECT_TRUE(order_nos(sf).contains(shipped));
  EXPECT_FALSE(order_nos(sf).contains(other));
  for (const auto& i : sf) {
    bool has_sf = false;
    for (const auto& sh : i.as_object().at("shipments").as_array())
      has_sf = has_sf || str(sh.as_object(), "carrier") == "SF";
    EXPECT_TRUE(has_sf) << json::serialize(i);
  }
  auto bad = s().get("/api/orders?waybill_no=x", s().viewer());
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(bad.error_field(), "waybill_no");
}

TEST_F(ListOrders, FilterByCreatedFromTo) {
  const auto phone = unique_phone();
  const auto t = now_ms() / 1000 * 1000 - 10 * 3'600'000;
  std::vector<std::string> nos;
  for (int h = 3; h >= 1; --h) {
    auto body = order_body(unique_order_no(), phone);
    body["created_at"] = rfc3339(t - h * 3'600'000);
    nos.push_back(str(must_create(s(), body), "order_no"));
  }
  // nos[0] at t-3h, nos[1] at t-2h, nos[2] at t-1h. from is inclusive, to exclusive.
  const auto from = url_encode(rfc3339(t - 2 * 3'600'000));
  const auto to = url_encode(rfc3339(t - 1 * 3'600'000));
  EXPECT_EQ(order_nos(list("phone=" + phone + "&from=" + from + "&to=" + to)),
            std::set<std::string>{nos[1]});
  EXPECT_EQ(order_nos(list("phone=" + phone + "&from=" + from)),
            (std::set<std::string>{nos[1], nos[2]}));
  EXPECT_EQ(order_nos(list("phone=" + phone + "&to=" + to)),
            (std::set<std::string>{nos[0], nos[1]}));
  // UTC input works the same.
  EXPECT_EQ(order_nos(list("phone=" + phone + "&from=" +
                           url_encode(domain::format_rfc3339(t - 2 * 3'600'000, 0)) + "&to=" + to)),
            std::set<std::string>{nos[1]});
  auto reversed = s().get("/api/orders?from=" + to + "&to=" + from, s().viewer());
  EXPECT_EQ(reversed.status, 400) << reversed.body;
  auto bad = s().get("/api/orders?from=yesterday", s().viewer());
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(bad.error_field(), "from");
}

TEST_F(ListOrders, CursorPagingVisitsEveryOrderOnce) {
  const auto phone = unique_phone();
  std::set<std::string> mine;
  const auto t = now_ms() - 3'600'000;
  for (int i = 0; i < 7; ++i) {
    auto body = order_body(unique_order_no(), phone);
    // Two orders share each timestamp so the cursor's tie-break is exercised.
    body["created_at"] = rfc3339(t + (i / 2) * 1000);
    mine.insert(str(must_create(s(), body), "order_no"));
  }
  std::vector<std::string> seen;
  std::optional<std::int64_t> last_created;
  std::string cursor;
  int pages = 0;
  for (;; ++pages) {
    ASSERT_LT(pages, 10) << "paging does not terminate";
    json::value next;
    auto items = list(
        "phone=" + phone + "&limit=2" + (cursor.empty() ? "" : "&cursor=" + url_encode(cursor)),
        &next);
    EXPECT_LE(items.size(), 2u);
    for (const auto& i : items) {
      seen.push_back(str(i.as_object(), "order_no"));
      const auto created = domain::parse_rfc3339(str(i.as_object(), "created_at"));
      ASSERT_TRUE(created);
      if (last_created) {
        EXPECT_LE(*created, *last_created) << "not newest first";
      }
      last_created = created;
    }
    if (next.is_null()) break;
    ASSERT_TRUE(next.is_string());
    cursor = std::string(next.as_string());
  }
  EXPECT_EQ(seen.size(), 7u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), mine);
  EXPECT_EQ(pages, 3);  // 2 + 2 + 2 + 1
}

TEST_F(ListOrders, LimitOutOfRangeIs400) {
  for (const char* limit : {"201", "0", "-1", "abc", "1.5"}) {
    auto r = s().get(std::string("/api/orders?limit=") + limit, s().viewer());
    EXPECT_EQ(r.status, 400) << limit << ": " << r.body;
    EXPECT_EQ(r.error_field(), "limit") << limit;
  }
  EXPECT_EQ(s().get("/api/orders?limit=200", s().viewer()).status, 200);
}

TEST_F(ListOrders, UnknownParameterIs400) {
  auto r = s().get("/api/orders?phon=13800138000", s().viewer());
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.error_field(), "phon");
}

TEST_F(ListOrders, BadCursorIs400) {
  auto r = s().get("/api/orders?cursor=not-a-cursor!", s().viewer());
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.error_field(), "cursor");
}

TEST_F(ListOrders, BadArchivedValueIs400) {
  auto r = s().get("/api/orders?archived=maybe", s().viewer());
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.error_field(), "archived");
}

TEST_F(ListOrders, ListIsMaskedForEveryRole) {
  const auto phone = unique_phone();
  must_create(s(), order_body(unique_order_no(), phone));
  auto r = s().get("/api/orders?phone=" + phone, s().admin());
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body.find(phone), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("科技园"), std::string::npos) << r.body;
}

TEST_F(ListOrders, BatchGetReturnsFoundAndNotFound) {
  const auto a = str(must_create(s(), order_body(unique_order_no(), unique_phone())), "order_no");
  const auto b = str(must_create(s(), order_body(unique_order_no(), unique_phone())), "order_no");
  ASSERT_EQ(change_status(s(), b, "PAID").status, 200);
  const auto missing = unique_order_no("MISSING");
  auto r =
      s().post("/api/orders/batch-get",
               to_string(json::object{{"order_nos", json::array{b, missing, a}}}), s().viewer());
  ASSERT_EQ(r.status, 200) << r.body;
  auto o = r.json().as_object();
  const auto& items = o.at("items").as_array();
  ASSERT_EQ(items.size(), 2u) << r.body;
  EXPECT_EQ(str(items[0].as_object(), "order_no"), b);
  EXPECT_EQ(str(items[0].as_object(), "status"), "PAID");
  EXPECT_EQ(str(items[1].as_object(), "order_no"), a);
  EXPECT_EQ(str(items[1].as_object(), "status"), "CREATED");
  EXPECT_EQ(items[1].as_object().at("archived").as_bool(), false);
  EXPECT_EQ(o.at("not_found"), (json::array{missing}));
}

TEST_F(ListOrders, BatchGetValidation) {
  json::array many;
  for (int i = 0; i < 201; ++i) many.push_back(json::value("N" + std::to_string(i)));
  auto r =
      s().post("/api/orders/batch-get", to_string(json::object{{"order_nos", many}}), s().viewer());
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.error_field(), "order_nos");

  many.pop_back();  // 200 is allowed
  auto ok =
      s().post("/api/orders/batch-get", to_string(json::object{{"order_nos", many}}), s().viewer());
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.json().as_object().at("not_found").as_array().size(), 200u);

  auto empty = s().post("/api/orders/batch-get", R"({"order_nos":[]})", s().viewer());
  EXPECT_EQ(empty.status, 400) << empty.body;
  EXPECT_EQ(empty.error_field(), "order_nos");
  auto bad_entry = s().post("/api/orders/batch-get", R"({"order_nos":["A1", 7]})", s().viewer());
  EXPECT_EQ(bad_entry.status, 400) << bad_entry.body;
  EXPECT_EQ(bad_entry.error_field(), "order_nos[1]");
  auto long_entry = s().post(
      "/api/orders/batch-get",
      to_string(json::object{{"order_nos", json::array{std::string(65, 'A')}}}), s().viewer());
  EXPECT_EQ(long_entry.status, 400) << long_entry.body;
  EXPECT_EQ(long_entry.error_field(), "order_nos[0]");
  auto unknown = s().post("/api/orders/batch-get", R"({"order_nos":["A1"],"x":1})", s().viewer());
  EXPECT_EQ(unknown.status, 400) << unknown.body;
  EXPECT_EQ(unknown.error_field(), "x");
}

}  // namespace
}  // namespace coldtrack::it
