// Idempotency-Key on signed POSTs: the first response is replayed for the same request, a
// different request under the same key is a conflict.
#include "fixtures.h"

namespace coldtrack::it {
namespace {

class IdempotencyApi : public SharedServerTest<IdempotencyApi> {};

TEST_F(IdempotencyApi, SameKeyAndRequestReplaysTheFirstResponse) {
  const auto no = unique_order_no();
  must_create(s(), order_body(no, unique_phone()));
  const std::string target = "/api/orders/" + no + "/status";
  const std::map<std::string, std::string> key{{"Idempotency-Key", "pay-" + no}};
  auto first = s().request("POST", target, R"({"status":"PAID"})", s().operator_key(), key);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.headers.count("idempotent-replayed"), 0u);

  // Without the key the same move is an impossible transition ...
  auto plain = s().request("POST", target, R"({"status":"PAID"})", s().operator_key());
  EXPECT_EQ(plain.status, 409) << plain.body;
  // ... with it, the retry gets the first answer back, and nothing changes twice.
  auto again = s().request("POST", target, R"({"status":"PAID"})", s().operator_key(), key);
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.headers["idempotent-replayed"], "true");
  EXPECT_EQ(again.body, first.body);

  auto order = s().get("/api/orders/" + no, s().viewer());
  ASSERT_EQ(order.status, 200);
  EXPECT_EQ(order.json().as_object().at("history").as_array().size(), 2u) << order.body;
}

TEST_F(IdempotencyApi, SameKeyWithADifferentRequestIsAConflict) {
  const auto no = unique_order_no();
  must_create(s(), order_body(no, unique_phone()));
  const std::string target = "/api/orders/" + no + "/status";
  const std::map<std::string, std::string> key{{"Idempotency-Key", "k-" + no}};
  ASSERT_EQ(s().request("POST", target, R"({"status":"PAID"})", s().operator_key(), key).status,
            200);
  auto other = s().request("POST", target, R"({"status":"CANCELLED"})", s().operator_key(), key);
  EXPECT_EQ(other.status, 409) << other.body;
  EXPECT_EQ(str(other.json().as_object().at("error").as_object(), "field"), "Idempotency-Key");
  EXPECT_EQ(order_status(s(), no), "PAID");
}

TEST_F(IdempotencyApi, KeysAreScopedToTheApiKey) {
  const auto no = unique_order_no();
  must_create(s(), order_body(no, unique_phone()));
  const std::string target = "/api/orders/" + no + "/status";
  const std::map<std::string, std::string> key{{"Idempotency-Key", "shared-" + no}};
  ASSERT_EQ(s().request("POST", target, R"({"status":"PAID"})", s().operator_key(), key).status,
            200);
  // Another caller's identical key is not a replay of the first caller's response.
  auto admin = s().request("POST", target, R"({"status":"PAID"})", s().admin(), key);
  EXPECT_EQ(admin.status, 409) << admin.body;
  EXPECT_EQ(admin.headers.count("idempotent-replayed"), 0u);
}

TEST_F(IdempotencyApi, MalformedKeyIs400) {
  const auto no = unique_order_no();
  must_create(s(), order_body(no, unique_phone()));
  auto r = s().request("POST", "/api/orders/" + no + "/status", R"({"status":"PAID"})",
                       s().operator_key(), {{"Idempotency-Key", std::string(129, 'k')}});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(order_status(s(), no), "CREATED");
}

}  // namespace
}  // namespace coldtrack::it
