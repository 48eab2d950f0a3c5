// POST /api/orders, GET /api/orders/{no}, POST .../status and .../shipments over real HTTP.
#include <atomic>
#include <regex>
#include <thread>

#include "domain/time.h"
#include "fixtures.h"

namespace coldtrack::it {
namespace {

class OrdersApi : public SharedServerTest<OrdersApi> {};

// ---- Create ---------------------------------------------------------------------------------

TEST_F(OrdersApi, CreateReturns201WithMaskedOrder) {
  const auto no = unique_order_no();
  auto r = create_order(s(), order_body(no, "13812345678"));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_NE(r.header("content-type").find("application/json"), std::string::npos);
  EXPECT_FALSE(r.header("x-request-id").empty());
  auto o = r.json().as_object();
  EXPECT_EQ(str(o, "order_no"), no);
  EXPECT_EQ(str(o, "status"), "CREATED");
  EXPECT_EQ(str(o, "status_label"), "已下单");
  EXPECT_EQ(str(o.at("customer").as_object(), "phone"), "138****5678");
  EXPECT_EQ(str(o.at("customer").as_object(), "name"), "张*");
  EXPECT_EQ(o.at("amount_fen").as_int64(), 4000);
  EXPECT_EQ(o.at("archived").as_bool(), false);
  ASSERT_EQ(o.at("items").as_array().size(), 1u);
  EXPECT_EQ(str(o.at("items").as_array()[0].as_object(), "category"), "frozen");
  const auto& history = o.at("history").as_array();
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(str(history[0].as_object(), "status"), "CREATED");
  EXPECT_TRUE(history[0].as_object().at("from").is_null());
  // Personal data never appears in the masked create response.
  EXPECT_EQ(r.body.find("13812345678"), std::string::npos);
  EXPECT_EQ(r.body.find("科技园"), std::string::npos);
  EXPECT_EQ(r.body.find("张三"), std::string::npos);
}

TEST_F(OrdersApi, SameBodyAgainReturns200WithSameOrder) {
  const auto body = order_body(unique_order_no(), unique_phone());
  auto first = create_order(s(), body);
  ASSERT_EQ(first.status, 201) << first.body;
  auto second = create_order(s(), body);
  ASSERT_EQ(second.status, 200) << second.body;
  auto a = first.json().as_object();
  auto b = second.json().as_object();
  EXPECT_EQ(str(a, "order_no"), str(b, "order_no"));
  EXPECT_EQ(str(a, "created_at"), str(b, "created_at"));
  EXPECT_EQ(a.at("history"), b.at("history"));
  EXPECT_EQ(a.at("items"), b.at("items"));
}

TEST_F(OrdersApi, SameOrderNoWithDifferentBodyIs409) {
  auto body = order_body(unique_order_no(), unique_phone());
  ASSERT_EQ(create_order(s(), body).status, 201);
  body["remark"] = "different remark";
  auto r = create_order(s(), body);
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.error_code(), "conflict");
  // The stored order is unchanged.
  auto got = s().get("/api/orders/" + std::string(body.at("order_no").as_string()), s().viewer());
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(str(got.json().as_object(), "remark"), "放门口");
}

TEST_F(OrdersApi, OrderNoIsGeneratedWhenAbsent) {
  auto a = must_create(s(), order_body("", unique_phone()));
  auto b = must_create(s(), order_body("", unique_phone()));
  const auto no_a = str(a, "order_no"), no_b = str(b, "order_no");
  EXPECT_TRUE(std::regex_match(no_a, std::regex("CT[0-9A-Za-z_-]{1,62}"))) << no_a;
  EXPECT_NE(no_a, no_b);
  auto got = s().get("/api/orders/" + no_a, s().viewer());
  EXPECT_EQ(got.status, 200) << got.body;
}

TEST_F(OrdersApi, ConcurrentDuplicateCreatesYieldExactlyOne201) {
  const auto body = to_string(order_body(unique_order_no(), unique_phone()));
  const auto& op = s().operator_key();
  std::atomic<int> created{0}, replayed{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      try {
        const int st = s().post("/api/orders", body, op).status;
        (st == 201 ? created : st == 200 ? replayed : other)++;
      } catch (const std::exception&) {
        other++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(replayed.load(), 7);
  EXPECT_EQ(other.load(), 0);
}

TEST_F(OrdersApi, ConcurrentStatusChangesApplyOnce) {
  const auto no = unique_order_no();
  must_create(s(), order_body(no, unique_phone()));
  s().operator_key();
  std::atomic<int> ok{0}, conflict{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      try {
        const int st = change_status(s(), no, "PAID").status;
        (st == 200 ? ok : st == 409 ? conflict : other)++;
      } catch (const std::exception&) {
        other++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(conflict.load(), 7);
  EXPECT_EQ(other.load(), 0);
  auto got = s().get("/api/orders/" + no, s().viewer());
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.json().as_object().at("history").as_array().size(), 2u) << got.body;
}

// Each invalid create is a 400 naming the offending field, and nothing is stored.
struct InvalidCase {
  const char* name;
  std::function<std::string(json::object&)> body;  // mutates a valid body, returns the request
  const char* field;                               // "" = no field (whole-body errors)
};

void PrintTo(const InvalidCase& c, std::ostream* os) {
  *os << c.name;
}

class CreateValidation : public SharedServerTest<CreateValidation>,
                         public ::testing::WithParamInterface<InvalidCase> {};

TEST_P(CreateValidation, Is400NamingTheField) {
  const auto& c = GetParam();
  auto body = order_body(unique_order_no("VAL"), unique_phone());
  const std::string order_no(body.at("order_no").as_string());
  const auto text = c.body(body);
  auto r = s().post("/api/orders", text, s().operator_key());
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.error_code(), "invalid_argument") << r.body;
  EXPECT_EQ(r.error_field(), c.field) << r.body;
  EXPECT_FALSE(r.json().as_object().at("error").as_object().at("message").as_string().empty());
  EXPECT_FALSE(order_exists(s(), order_no)) << "an invalid order was stored";
  EXPECT_TRUE(s().healthy());
}

std::string ser(const json::object& o) {
  return to_string(o);
}

INSTANTIATE_TEST_SUITE_P(
    AllFields, CreateValidation,
    ::testing::Values(
        InvalidCase{"OrderNo65Chars",
                    [](json::object& b) {
                      b["order_no"] = std::string(65, 'A');
                      return ser(b);
                    },
                    "order_no"},
        InvalidCase{"OrderNoBadChars",
                    [](json::object& b) {
                      b["order_no"] = "A/B C";
                      return ser(b);
                    },
                    "order_no"},
        InvalidCase{"BadPhone",
                    [](json::object& b) {
                      b["customer"].as_object()["phone"] = "12345";
                      return ser(b);
                    },
                    "customer.phone"},
        InvalidCase{"PhoneWithLetters",
                    [](json::object& b) {
                      b["customer"].as_object()["phone"] = "1381234567x";
                      return ser(b);
                    },
                    "customer.phone"},
        InvalidCase{"QuantityZero",
                    [](json::object& b) {
                      b["items"].as_array()[0].as_object()["quantity"] = 0;
                      b["amount_fen"] = 1000;
                      return ser(b);
                    },
                    "items[0].quantity"},
        InvalidCase{"WrongAmount",
                    [](json::object& b) {
                      b["amount_fen"] = 3999;
                      return ser(b);
                    },
                    "amount_fen"},
        InvalidCase{"UnknownCategory",
                    [](json::object& b) {
                      b["items"].as_array()[0].as_object()["category"] = "lava";
                      return ser(b);
                    },
                    "items[0].category"},
        InvalidCase{"AmountAsString",
                    [](json::object& b) {
                      b["amount_fen"] = "4000";
                      return ser(b);
                    },
                    "amount_fen"},
        InvalidCase{"QuantityAsFloat",
                    [](json::object& b) {
                      b["items"].as_array()[0].as_object()["quantity"] = 2.5;
                      return ser(b);
                    },
                    "items[0].quantity"},
        InvalidCase{"NameAsNumber",
                    [](json::object& b) {
                      b["customer"].as_object()["name"] = 42;
                      return ser(b);
                    },
                    "customer.name"},
        InvalidCase{"ItemsAsObject",
                    [](json::object& b) {
                      b["items"] = json::object{};
                      return ser(b);
                    },
                    "items"},
        InvalidCase{"EmptyItems",
                    [](json::object& b) {
                      b["items"] = json::array{};
                      return ser(b);
                    },
                    "items"},
        InvalidCase{"MissingCustomer",
                    [](json::object& b) {
                      b.erase("customer");
                      return ser(b);
                    },
                    "customer"},
        InvalidCase{"UnknownField",
                    [](json::object& b) {
                      b["colour"] = "blue";
                      return ser(b);
                    },
                    "colour"},
        InvalidCase{"UnknownNestedField",
                    [](json::object& b) {
                      b["customer"].as_object()["age"] = 30;
                      return ser(b);
                    },
                    "customer.age"},
        InvalidCase{"CreatedAtNotRfc3339",
                    [](json::object& b) {
                      b["created_at"] = "yesterday";
                      return ser(b);
                    },
                    "created_at"},
        InvalidCase{"CreatedAtInFuture",
                    [](json::object& b) {
                      b["created_at"] = rfc3339(now_ms() + 86'400'000);
                      return ser(b);
                    },
                    "created_at"},
        InvalidCase{"MalformedJson", [](json::object& b) { return ser(b).substr(0, 40); }, ""},
        InvalidCase{"NonObjectJson", [](json::object&) { return std::string("[1,2,3]"); }, ""},
        InvalidCase{"TooManyItems",
                    [](json::object& b) {
                      json::array items;
                      for (int i = 0; i < 201; ++i) items.push_back(b["items"].as_array()[0]);
                      b["items"] = items;
                      b["amount_fen"] = 201 * 3000 + 1000;
                      return ser(b);
                    },
                    "items"},
        InvalidCase{"CreatedAtBefore2000",
                    [](json::object& b) {
                      b["created_at"] = "1970-01-02T00:00:00Z";
                      return ser(b);
                    },
                    "created_at"},
        InvalidCase{"NegativeShipping",
                    [](json::object& b) {
                      b["shipping_fen"] = -1;
                      b["amount_fen"] = 2999;
                      return ser(b);
                    },
                    "shipping_fen"},
        InvalidCase{"EmptyBody", [](json::object&) { return std::string(); }, ""}),
    [](const ::testing::TestParamInfo<InvalidCase>& info) { return info.param.name; });

// ---- Read -----------------------------------------------------------------------------------

TEST_F(OrdersApi, GetIsMaskedByDefault) {
  const auto no = unique_order_no();
  must_create(s(), order_body(no, "13812345678"));
  for (const auto* who : {&s().viewer(), &s().operator_key(), &s().admin()}) {
    auto r = s().get("/api/orders/" + no, *who);
    ASSERT_EQ(r.status, 200) << r.body;
    auto o = r.json().as_object();
    EXPECT_EQ(str(o.at("customer").as_object(), "phone"), "138****5678");
    EXPECT_EQ(str(o.at("customer").as_object(), "name"), "张*");
    const auto& addr = o.at("address").as_object();
    EXPECT_EQ(str(addr, "province"), "广东省");
    EXPECT_EQ(str(addr, "city"), "深圳市");
    EXPECT_FALSE(addr.contains("district"));
    EXPECT_FALSE(addr.contains("detail"));
    EXPECT_EQ(r.body.find("13812345678"), std::string::npos);
    EXPECT_EQ(r.body.find("科技园"), std::string::npos);
  }
}

TEST_F(OrdersApi, RevealAsAdminShowsFullDataAndIsAudited) {
  const auto no = unique_order_no();
  must_create(s(), order_body(no, "13812345678"));
  auto r = s().get("/api/orders/" + no + "?reveal=true", s().admin());
  ASSERT_EQ(r.status, 200) << r.body;
  auto o = r.json().as_object();
  EXPECT_EQ(str(o.at("customer").as_object(), "phone"), "13812345678");
  EXPECT_EQ(str(o.at("customer").as_object(), "name"), "张三");
  EXPECT_EQ(str(o.at("address").as_object(), "district"), "南山区");
  EXPECT_EQ(str(o.at("address").as_object(), "detail"), "科技园路1号");

  auto audit =
      s().get("/api/audit?action=order.reveal&target=" + url_encode("order:" + no), s().admin());
  ASSERT_EQ(audit.status, 200) << audit.body;
  const auto items = audit.json().as_object().at("items").as_array();
  ASSERT_EQ(items.size(), 1u) << audit.body;
  const auto& row = items[0].as_object();
  EXPECT_EQ(str(row, "action"), "order.reveal");
  EXPECT_EQ(str(row, "target"), "order:" + no);
  EXPECT_EQ(str(row, "actor"), "apikey:" + s().admin().key);
  EXPECT_EQ(str(row, "role"), "admin");
  EXPECT_EQ(str(row, "request_id"), r.header("x-request-id"));
  // The audit row itself carries no personal data.
  EXPECT_EQ(audit.body.find("13812345678"), std::string::npos);
}

TEST_F(OrdersApi, RevealIsForbiddenForViewerAndOperator) {
  const auto no = unique_order_no();
  must_create(s(), order_body(no, "13812345678"));
  for (const auto* who : {&s().viewer(), &s().operator_key()}) {
    auto r = s().get("/api/orders/" + no + "?reveal=true", *who);
    EXPECT_EQ(r.status, 403) << r.body;
    EXPECT_EQ(r.error_code(), "permission_denied");
    EXPECT_EQ(r.body.find("13812345678"), std::string::npos);
  }
  auto audit =
      s().get("/api/audit?action=order.reveal&target=" + url_encode("order:" + no), s().admin());
  ASSERT_EQ(audit.status, 200);
  EXPECT_TRUE(audit.json().as_object().at("items").as_array().empty()) << audit.body;
}

TEST_F(OrdersApi, RevealMustBeTrueOrFalse) {
  const auto no = unique_order_no();
  must_create(s(), order_body(no, unique_phone()));
  auto r = s().get("/api/orders/" + no + "?reveal=yes", s().admin());
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.error_field(), "reveal");
  auto unknown = s().get("/api/orders/" + no + "?revael=true", s().admin());
  EXPECT_EQ(unknown.status, 400) << unknown.body;
}

TEST_F(OrdersApi, GetUnknownOrderIs404) {
  auto r = s().get("/api/orders/" + unique_order_no("NOPE"), s().viewer());
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(r.error_code(), "not_found");
}

// ---- Status ---------------------------------------------------------------------------------

TEST_F(OrdersApi, FullLifecycleRecordsHistoryOldestFirst) {
  const auto no = unique_order_no();
  const auto t0 = now_ms() - 3'600'000;
  auto body = order_body(no, unique_phone());
  body["created_at"] = rfc3339(t0);
  must_create(s(), body);

  const std::vector<std::pair<std::string, std::string>> steps = {
      {"PAID", rfc3339(t0 + 600'000)},
      {"SHIPPED", rfc3339(t0 + 1'200'000)},
      {"IN_TRANSIT", rfc3339(t0 + 1'800'000)},
      {"DELIVERED", rfc3339(t0 + 2'400'000)},
  };
  for (const auto& [status, at] : steps) {
    auto r = change_status(s(), no, status, at);
    ASSERT_EQ(r.status, 200) << status << ": " << r.body;
    auto o = r.json().as_object();
    EXPECT_EQ(str(o, "status"), status);
    // The explicit time is echoed as sent.
    EXPECT_EQ(str(o.at("history").as_array().back().as_object(), "at"), at);
  }

  auto r = s().get("/api/orders/" + no, s().viewer());
  ASSERT_EQ(r.status, 200) << r.body;
  auto o = r.json().as_object();
  EXPECT_EQ(str(o, "status"), "DELIVERED");
  EXPECT_EQ(str(o, "status_label"), "已签收");
  EXPECT_EQ(str(o, "created_at"), rfc3339(t0));
  const auto& h = o.at("history").as_array();
  ASSERT_EQ(h.size(), 5u) << r.body;
  const std::vector<std::string> expected = {"CREATED", "PAID", "SHIPPED", "IN_TRANSIT",
                                             "DELIVERED"};
  for (std::size_t i = 0; i < h.size(); ++i) {
    const auto& e = h[i].as_object();
    EXPECT_EQ(str(e, "status"), expected[i]);
    EXPECT_TRUE(domain::parse_rfc3339(str(e, "at"))) << str(e, "at");
    EXPECT_TRUE(domain::parse_rfc3339(str(e, "recorded_at"))) << str(e, "recorded_at");
    if (i == 0) {
      EXPECT_TRUE(e.at("from").is_null());
      EXPECT_EQ(str(e, "at"), rfc3339(t0));
    } else {
      EXPECT_EQ(str(e, "from"), expected[i - 1]);
      EXPECT_EQ(str(e, "at"), steps[i - 1].second);
      EXPECT_EQ(str(e, "actor"), "apikey:" + s().operator_key().key);
      // Oldest first.
      EXPECT_LT(*domain::parse_rfc3339(str(h[i - 1].as_object(), "at")),
                *domain::parse_rfc3339(str(e, "at")));
    }
  }
}

TEST_F(OrdersApi, StatusWithoutAtUsesNow) {
  const auto no = unique_order_no();
  must_create(s(), order_body(no, unique_phone()));
  const auto before = now_ms() - 1000;
  auto r = change_status(s(), no, "PAID");
  const auto after = now_ms() + 1000;
  ASSERT_EQ(r.status, 200) << r.body;
  const auto at = domain::parse_rfc3339(
      str(r.json().as_object().at("history").as_array().back().as_object(), "at"));
  ASSERT_TRUE(at);
  EXPECT_GE(*at, before);
  EXPECT_LE(*at, after);
}

TEST_F(OrdersApi, ImpossibleMoveIs409WithCurrentStatus) {
  const auto no = unique_order_no();
  must_create(s(), order_body(no, unique_phone()));
  auto r = change_status(s(), no, "DELIVERED");
  ASSERT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.error_code(), "conflict");
  auto o = r.json().as_object();
  const auto* top = o.if_contains("current_status");
  const auto* nested = o.at("error").as_object().if_contains("current_status");
  ASSERT_TRUE(top || nested) << r.body;
  EXPECT_EQ(str(top ? *top : *nested), "CREATED");
  // Going backwards is impossible too.
  ASSERT_EQ(change_status(s(), no, "PAID").status, 200);
  auto back = change_status(s(), no, "CREATED");
  EXPECT_EQ(back.status, 409) << back.body;
  // Nothing changed.
  auto got = s().get("/api/orders/" + no, s().viewer());
  EXPECT_EQ(str(got.json().as_object(), "status"), "PAID");
  EXPECT_EQ(got.json().as_object().at("history").as_array().size(), 2u);
}

TEST_F(OrdersApi, UnknownStatusIs400) {
  const auto no = unique_order_no();
  must_create(s(), order_body(no, unique_phone()));
  auto r = change_status(s(), no, "TELEPORTED");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.error_field(), "status");
  auto lower = change_status(s(), no, "paid");
  EXPECT_EQ(lower.status, 400) << lower.body;
  EXPECT_EQ(lower.error_field(), "status");
  auto missing = s().post("/api/orders/" + no + "/status", "{}", s().operator_key());
  EXPECT_EQ(missing.status, 400) << missing.body;
  EXPECT_EQ(missing.error_field(), "status");
  auto extra = s().post("/api/orders/" + no + "/status", R"({"status":"PAID","colour":1})",
                        s().operator_key());
  EXPECT_EQ(extra.status, 400) << extra.body;
  EXPECT_EQ(extra.error_field(), "colour");
}

TEST_F(OrdersApi, StatusAtInTheFutureIs400) {
  const auto no = unique_order_no();
  must_create(s(), order_body(no, unique_phone()));
  auto r = change_status(s(), no, "PAID", rfc3339(now_ms() + 86'400'000));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.error_field(), "at");
  auto bad = change_status(s(), no, "PAID", "not a time");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(bad.error_field(), "at");
}

TEST_F(OrdersApi, StatusOfUnknownOrderIs404) {
  auto r = change_status(s(), unique_order_no("NOPE"), "PAID");
  EXPECT_EQ(r.status, 404) << r.body;
}

// ---- Shipments ------------------------------------------------------------------------------

TEST_F(OrdersApi, ShipmentMovesPaidToShipped) {
  const auto no = unique_order_no();
  must_create(s(), order_body(no, unique_phone()));
  ASSERT_EQ(change_status(s(), no, "PAID").status, 200);
  const auto waybill = unique_waybill();
  auto r = add_shipment(s(), no, "SF", waybill);
  ASSERT_EQ(r.status, 200) << r.body;
  auto o = r.json().as_object();
  EXPECT_EQ(str(o, "status"), "SHIPPED");
  const auto& sh = o.at("shipments").as_array();
  ASSERT_EQ(sh.size(), 1u);
  EXPECT_EQ(str(sh[0].as_object(), "carrier"), "SF");
  EXPECT_EQ(str(sh[0].as_object(), "carrier_name"), "顺丰");
  EXPECT_EQ(str(sh[0].as_object(), "waybill_no"), waybill);
  const auto& h = o.at("history").as_array();
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(str(h.back().as_object(), "status"), "SHIPPED");
  EXPECT_EQ(str(h.back().as_object(), "from"), "PAID");

  auto got = s().get("/api/orders/" + no, s().viewer());
  EXPECT_EQ(got.json().as_object().at("shipments"), o.at("shipments"));
}

TEST_F(OrdersApi, RepeatedShipmentIsIdempotent) {
  const auto no = unique_order_no();
  must_create(s(), order_body(no, unique_phone()));
  ASSERT_EQ(change_status(s(), no, "PAID").status, 200);
  const auto waybill = unique_waybill();
  auto first = add_shipment(s(), no, "SF", waybill);
  ASSERT_EQ(first.status, 200) << first.body;
  auto second = add_shipment(s(), no, "SF", waybill);
  ASSERT_EQ(second.status, 200) << second.body;
  auto a = first.json().as_object(), b = second.json().as_object();
  EXPECT_EQ(str(b, "status"), "SHIPPED");
  EXPECT_EQ(b.at("shipments").as_array().size(), 1u) << second.body;
  EXPECT_EQ(a.at("history"), b.at("history"));
  EXPECT_EQ(a.at("shipments"), b.at("shipments"));
}

TEST_F(OrdersApi, ShipmentWithUnknownCarrierIs400) {
  const auto no = unique_order_no();
  must_create(s(), order_body(no, unique_phone()));
  ASSERT_EQ(change_status(s(), no, "PAID").status, 200);
  auto r = add_shipment(s(), no, "PIGEON", unique_waybill());
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.error_field(), "carrier");
  auto empty = add_shipment(s(), no, "", unique_waybill());
  EXPECT_EQ(empty.status, 400) << empty.body;
  EXPECT_EQ(empty.error_field(), "carrier");
  auto bad_waybill = add_shipment(s(), no, "SF", "x");
  EXPECT_EQ(bad_waybill.status, 400) << bad_waybill.body;
  EXPECT_EQ(bad_waybill.error_field(), "waybill_no");
  // Still PAID, no shipment.
  auto got = s().get("/api/orders/" + no, s().viewer()).json().as_object();
  EXPECT_EQ(str(got, "status"), "PAID");
  EXPECT_TRUE(got.at("shipments").as_array().empty());
}

TEST_F(OrdersApi, ShipmentOnUnpaidOrderIs409) {
  const auto no = unique_order_no();
  must_create(s(), order_body(no, unique_phone()));
  auto r = add_shipment(s(), no, "SF", unique_waybill());
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.error_code(), "conflict");
  auto unknown = add_shipment(s(), unique_order_no("NOPE"), "SF", unique_waybill());
  EXPECT_EQ(unknown.status, 404) << unknown.body;
}

}  // namespace
}  // namespace coldtrack::it
