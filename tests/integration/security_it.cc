// Request signing and roles, enforced by the real server.
#include "fixtures.h"
#include "security/signing.h"

namespace coldtrack::it {
namespace {

class Security : public SharedServerTest<Security> {
 protected:
  static long long unix_now() { return now_ms() / 1000; }

  // Headers for `method target body` signed with `creds` at `ts`.
  static std::map<std::string, std::string> sign(const Credentials& creds,
                                                 const std::string& method,
                                                 const std::string& target, const std::string& body,
                                                 long long ts) {
    return coldtrack::http::signed_headers(creds, method, target, body, ts);
  }

  static void expect_401(const Response& r) {
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_NE(r.header("content-type").find("application/json"), std::string::npos);
    EXPECT_EQ(r.error_code(), "unauthenticated") << r.body;
    EXPECT_FALSE(r.json().as_object().at("request_id").as_string().empty());
  }
};

TEST_F(Security, UnsignedRequestIs401Json) {
  expect_401(s().get("/api/orders", std::nullopt));
  expect_401(s().post("/api/orders", to_string(order_body(unique_order_no(), unique_phone())),
                      std::nullopt));
  expect_401(s().get("/api/orders/ANY1", std::nullopt));
}

TEST_F(Security, SignedRequestIsAccepted) {
  EXPECT_EQ(s().get("/api/orders?limit=1", s().viewer()).status, 200);
}

TEST_F(Security, WrongSignatureIs401) {
  const Credentials wrong{s().viewer().key, std::string(64, 'a')};
  expect_401(s().get("/api/orders", wrong));
  // A well-formed but altered signature.
  auto h = sign(s().viewer(), "GET", "/api/orders", "", unix_now());
  auto& sig = h["X-Signature"];
  sig[0] = sig[0] == '0' ? '1' : '0';
  expect_401(s().request("GET", "/api/orders", "", std::nullopt, h));
}

TEST_F(Security, TimestampOutsideWindowIs401) {
  const std::string kTarget = "/api/categories";
  auto old = sign(s().viewer(), "GET", kTarget, "", unix_now() - 301);
  expect_401(s().request("GET", kTarget, "", std::nullopt, old));
  auto future = sign(s().viewer(), "GET", kTarget, "", unix_now() + 301);
  expect_401(s().request("GET", kTarget, "", std::nullopt, future));
  // Inside the window (with a few seconds of slack) the same request is fine.
  auto recent = sign(s().viewer(), "GET", kTarget, "", unix_now() - 290);
  EXPECT_EQ(s().request("GET", kTarget, "", std::nullopt, recent).status, 200);
  auto garbage = sign(s().viewer(), "GET", kTarget, "", unix_now());
  garbage["X-Timestamp"] = "soon";
  expect_401(s().request("GET", kTarget, "", std::nullopt, garbage));
}

TEST_F(Security, ReplayedNonceIs401) {
  const auto body = to_string(order_body(unique_order_no(), unique_phone()));
  const auto h = sign(s().operator_key(), "POST", "/api/orders", body, unix_now());
  auto first = s().request("POST", "/api/orders", body, std::nullopt, h);
  EXPECT_EQ(first.status, 201) << first.body;
  auto replay = s().request("POST", "/api/orders", body, std::nullopt, h);
  expect_401(replay);
  // A GET replay too.
  const auto g = sign(s().viewer(), "GET", "/api/categories", "", unix_now());
  EXPECT_EQ(s().request("GET", "/api/categories", "", std::nullopt, g).status, 200);
  expect_401(s().request("GET", "/api/categories", "", std::nullopt, g));
}

TEST_F(Security, UnknownKeyIs401) {
  const Credentials ghost{"ak_000000000000000000000000", std::string(64, 'b')};
  expect_401(s().get("/api/orders", ghost));
  const Credentials long_key{std::string(200, 'k'), "x"};
  expect_401(s().get("/api/orders", long_key));
}

TEST_F(Security, MissingSignatureHeadersAre401) {
  for (const char* drop : {"X-Timestamp", "X-Nonce", "X-Signature"}) {
    auto h = sign(s().viewer(), "GET", "/api/orders", "", unix_now());
    h.erase(drop);
    expect_401(s().request("GET", "/api/orders", "", std::nullopt, h));
  }
  auto short_nonce = sign(s().viewer(), "GET", "/api/orders", "", unix_now());
  short_nonce["X-Nonce"] = "abc";
  // The signature covers the nonce, so compute it for the short nonce.
  short_nonce["X-Signature"] = security::sign_request(s().viewer().secret, "GET", "/api/orders", "",
                                                      short_nonce["X-Timestamp"], "abc", "");
  expect_401(s().request("GET", "/api/orders", "", std::nullopt, short_nonce));
}

TEST_F(Security, ViewerCannotWrite) {
  const auto no = unique_order_no();
  auto r = s().post("/api/orders", to_string(order_body(no, unique_phone())), s().viewer());
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(r.error_code(), "permission_denied");
  EXPECT_FALSE(order_exists(s(), no)) << "viewer created an order";
  must_create(s(), order_body(no, unique_phone()));
  auto st = s().post("/api/orders/" + no + "/status", R"({"status":"PAID"})", s().viewer());
  EXPECT_EQ(st.status, 403) << st.body;
  auto sh = s().post("/api/orders/" + no + "/shipments",
                     R"({"carrier":"SF","waybill_no":"SF12345678"})", s().viewer());
  EXPECT_EQ(sh.status, 403) << sh.body;
  EXPECT_EQ(order_status(s(), no), "CREATED");
}

TEST_F(Security, TamperedBodyIs401) {
  const auto no = unique_order_no();
  const auto signed_body = to_string(order_body(no, unique_phone()));
  auto tampered = order_body(no, unique_phone());
  tampered["remark"] = "tampered";
  const auto h = sign(s().operator_key(), "POST", "/api/orders", signed_body, unix_now());
  expect_401(s().request("POST", "/api/orders", to_string(tampered), std::nullopt, h));
  EXPECT_FALSE(order_exists(s(), no)) << "tampered order stored";
  // The untampered request with a fresh nonce still works: the failed attempt burnt nothing.
  EXPECT_EQ(create_order(s(), order_body(no, unique_phone())).status, 201);
}

TEST_F(Security, TamperedQueryOrPathIs401) {
  const auto h = sign(s().viewer(), "GET", "/api/orders?limit=1", "", unix_now());
  expect_401(s().request("GET", "/api/orders?limit=2", "", std::nullopt, h));
  const auto p = sign(s().viewer(), "GET", "/api/orders/AAA1", "", unix_now());
  expect_401(s().request("GET", "/api/orders/AAA2", "", std::nullopt, p));
  const auto m =
      sign(s().viewer(), "GET", "/api/orders/batch-get", R"({"order_nos":["A1"]})", unix_now());
  expect_401(
      s().request("POST", "/api/orders/batch-get", R"({"order_nos":["A1"]})", std::nullopt, m));
}

TEST_F(Security, QueryOrderDoesNotMatterForSignature) {
  // Signed with one parameter order, sent with another: canonical query makes them equal.
  auto h = sign(s().viewer(), "GET", "/api/orders?limit=2&status=PAID", "", unix_now());
  auto r = s().request("GET", "/api/orders?status=PAID&limit=2", "", std::nullopt, h);
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(Security, PublicRoutesIgnoreBadCredentials) {
  // Health checks must not depend on credentials, even broken ones.
  auto r = s().request("GET", "/healthz", "", std::nullopt,
                       {{"X-Api-Key", "nope"}, {"X-Signature", "bad"}});
  EXPECT_EQ(r.status, 200) << r.body;
}

}  // namespace
}  // namespace coldtrack::it
